//! Generates the fork's bindings from `fork.toml` into `OUT_DIR/fork.rs`.

fn main() {
    if let Err(e) = pyrum_codegen::Builder::new()
        .spec("fork.toml")
        .file_name("fork.rs")
        .generate()
    {
        panic!("{e}");
    }
}
