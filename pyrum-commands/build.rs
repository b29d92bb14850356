//! Generates the bindings from the workspace's `commands.toml` into `OUT_DIR/commands.rs`.

use std::path::PathBuf;

fn main() {
    let spec_path = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("..")
        .join("commands.toml");
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let generated = pyrum_codegen::Spec::load(&spec_path)
        .and_then(|spec| pyrum_codegen::generate(&spec, &pyrum_codegen::Settings::default()));
    let code = match generated {
        Ok(code) => code,
        Err(e) => {
            for line in e.to_string().lines() {
                println!("cargo:warning={line}");
            }
            panic!("{e}\nrun `cargo run -p pyrum-codegen-cli -- check --spec commands.toml`");
        }
    };
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("commands.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
