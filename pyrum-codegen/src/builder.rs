//! [`Builder`]: bindings for your own spec from a build script, the way `prost-build` does it.

use std::path::{Path, PathBuf};

use crate::error::Error;
use crate::gen::{generate, Settings};
use crate::spec::Spec;

/// Generates typed bindings for a spec into `OUT_DIR`, from a build script.
///
/// For a Rumor fork with commands of its own: describe them in a spec (the format of pyrum's
/// `commands.toml`), generate in `build.rs`, and `include!` the result; the bindings run on
/// pyrum-core like pyrum's own.
///
/// ```no_run
/// // in build.rs's main
/// pyrum_codegen::Builder::new()
///     .spec("commands.toml")
///     .file_name("commands.rs")
///     .generate()
///     .unwrap_or_else(|e| panic!("{e}"));
/// ```
///
/// ```text
/// // src/lib.rs
/// include!(concat!(env!("OUT_DIR"), "/commands.rs"));
/// ```
///
/// The generated code names the runtime as `::pyrum_core` (a dependency of the crate that
/// includes it) unless [`core_path`](Builder::core_path) says otherwise, and uses
/// `::serde_json`, so that crate depends on both.
#[derive(Debug, Clone)]
pub struct Builder {
    spec: PathBuf,
    out_dir: Option<PathBuf>,
    file_name: String,
    settings: Settings,
    rerun_if_changed: bool,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Defaults: spec `commands.toml` (relative to the build script's package), output
    /// `$OUT_DIR/commands.rs`, runtime `::pyrum_core`, docs on, unreviewed commands an error.
    pub fn new() -> Builder {
        Builder {
            spec: PathBuf::from("commands.toml"),
            out_dir: None,
            file_name: "commands.rs".into(),
            settings: Settings::default(),
            rerun_if_changed: true,
        }
    }

    /// The spec file (a relative path is relative to the package, where build scripts run).
    pub fn spec(mut self, path: impl Into<PathBuf>) -> Builder {
        self.spec = path.into();
        self
    }

    /// Where to write (default: `OUT_DIR`).
    pub fn out_dir(mut self, dir: impl Into<PathBuf>) -> Builder {
        self.out_dir = Some(dir.into());
        self
    }

    /// The file name in the output folder (default `commands.rs`).
    pub fn file_name(mut self, name: impl Into<String>) -> Builder {
        self.file_name = name.into();
        self
    }

    /// The runtime crate's path in the generated code (default `::pyrum_core`; `::pyrum` works
    /// too, it re-exports pyrum-core).
    pub fn core_path(mut self, path: impl Into<String>) -> Builder {
        self.settings.core_path = path.into();
        self
    }

    /// Doc comments on the generated items (default on; off makes the file shorter, but then
    /// `#![warn(missing_docs)]` warns about them).
    pub fn docs(mut self, docs: bool) -> Builder {
        self.settings.docs = docs;
        self
    }

    /// Generates commands marked `review = true` (as untyped commands) instead of failing, as
    /// the spec's own `allow_unreviewed = true` does (default: the spec decides).
    pub fn allow_unreviewed(mut self, allow: bool) -> Builder {
        self.settings.allow_unreviewed = allow;
        self
    }

    /// Prints `cargo:rerun-if-changed=<spec>` so Cargo reruns the build script when the spec
    /// changes (default on).
    pub fn emit_rerun_if_changed(mut self, emit: bool) -> Builder {
        self.rerun_if_changed = emit;
        self
    }

    /// Reads and validates the spec and returns the generated source.
    pub fn generate_to_string(&self) -> Result<String, Error> {
        if self.rerun_if_changed {
            println!("cargo:rerun-if-changed={}", self.spec.display());
        }
        let spec = Spec::load(&self.spec)?;
        generate(&spec, &self.settings).map_err(|e| match e {
            Error::Unreviewed { commands, .. } => Error::Unreviewed {
                origin: self.spec.display().to_string(),
                commands,
            },
            other => other,
        })
    }

    /// Generates and writes the file; returns its path.
    pub fn generate(&self) -> Result<PathBuf, Error> {
        let code = self.generate_to_string()?;
        let dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or(Error::Env("OUT_DIR"))?,
        };
        let path = dir.join(&self.file_name);
        write_if_changed(&path, &code)?;
        Ok(path)
    }
}

/// Writes `code` unless the file already holds it (keeps its mtime, so nothing rebuilds).
fn write_if_changed(path: &Path, code: &str) -> Result<(), Error> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == code) {
        return Ok(());
    }
    std::fs::write(path, code).map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_the_bindings_where_asked() {
        let dir =
            std::env::temp_dir().join(format!("pyrum-codegen-builder-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let spec = dir.join("fork.toml");
        std::fs::write(
            &spec,
            "rumor_version = \"fork-1\"\n[[command]]\npath = [\"gossip\", \"score\"]\n",
        )
        .unwrap();
        let out = Builder::new()
            .spec(&spec)
            .out_dir(&dir)
            .file_name("fork.rs")
            .docs(false)
            .emit_rerun_if_changed(false)
            .generate()
            .unwrap();
        let code = std::fs::read_to_string(&out).unwrap();
        assert!(code.contains("pub struct GossipScore("), "{code}");
        assert!(!code.contains("///"), "docs are off");
        let missing = Builder::new()
            .spec(dir.join("nope.toml"))
            .out_dir(&dir)
            .emit_rerun_if_changed(false)
            .generate()
            .unwrap_err();
        assert!(
            missing.to_string().starts_with("cannot read the spec"),
            "{missing}"
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
