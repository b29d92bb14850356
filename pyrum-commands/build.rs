//! Generates the bindings from `commands.toml` into `OUT_DIR/commands.rs`.
//!
//! The spec lives at the top of the repository; `pyrum-commands/commands.toml` links to it, and
//! `cargo package` puts the file itself into the package. In a checkout that does not make
//! symlinks (the link is then a file holding its target), the spec one folder up is used.

fn main() {
    let own = "commands.toml";
    let spec = match std::fs::read_to_string(own) {
        Ok(text) if text.trim() != "../commands.toml" => own,
        _ => "../commands.toml",
    };
    if let Err(e) = pyrum_codegen::Builder::new().spec(spec).generate() {
        for line in e.to_string().lines() {
            println!("cargo:warning={line}");
        }
        panic!("{e}\ncheck the spec with `cargo run -p pyrum-codegen-cli -- check --spec commands.toml`");
    }
}
