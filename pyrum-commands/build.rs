//! Generates the bindings from the workspace's `commands.toml` into `OUT_DIR/commands.rs`.

use std::path::PathBuf;

fn main() {
    let spec_path = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap())
        .join("..")
        .join("commands.toml");
    println!("cargo:rerun-if-changed={}", spec_path.display());
    let spec = match pyrum_codegen::Spec::load(&spec_path) {
        Ok(spec) => spec,
        Err(errors) => {
            for e in &errors {
                println!("cargo:warning={e}");
            }
            panic!("commands.toml has {} problem(s); run `cargo run -p pyrum-codegen -- check --spec commands.toml`", errors.len());
        }
    };
    let code = pyrum_codegen::generate(&spec, &pyrum_codegen::Settings::default())
        .unwrap_or_else(|e| panic!("generating bindings from commands.toml: {e}"));
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("commands.rs");
    std::fs::write(&out, code).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
}
