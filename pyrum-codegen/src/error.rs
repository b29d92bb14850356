//! What can go wrong between a spec file and generated Rust.

use std::fmt;
use std::path::PathBuf;

/// A problem in a spec, with where it is and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecError {
    /// `commands.toml: host listen: flag tcp`
    pub place: String,
    /// What is wrong and the fix.
    pub message: String,
}

impl fmt::Display for SpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

impl std::error::Error for SpecError {}

/// A command marked `review = true`, and what a person has to check before the mark goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreviewed {
    /// Its path.
    pub path: Vec<String>,
    /// The fields to fill in or confirm, from Rumor's source.
    pub fill_in: Vec<&'static str>,
}

impl fmt::Display for Unreviewed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}`: fill in {}",
            self.path.join(" "),
            self.fill_in.join(", ")
        )
    }
}

/// Why reading a spec or generating from it failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The spec file cannot be read.
    #[error("cannot read the spec {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The spec does not parse or does not validate; every problem is listed.
    #[error("{} problem(s) in the spec:\n{}", .0.len(), lines(.0))]
    Spec(Vec<SpecError>),
    /// Commands are marked `review = true` and the spec does not set `allow_unreviewed`.
    #[error(
        "{origin}: {} command(s) are marked `review = true` (added or changed by `scan --write`); \
         check each against Rumor's source, fill in what it lacks, then delete its `review = true` \
         (or set `allow_unreviewed = true` at the top of the spec to generate them untyped):\n{}",
        .commands.len(),
        lines(.commands)
    )]
    Unreviewed {
        /// The spec, as named in errors.
        origin: String,
        /// The commands.
        commands: Vec<Unreviewed>,
    },
    /// `Settings::core_path` is not a Rust path.
    #[error("the runtime crate's path {path:?} is not a Rust path ({reason}); use e.g. `::pyrum_core` or `::pyrum::core`")]
    CorePath {
        /// The path given.
        path: String,
        /// The parser's message.
        reason: String,
    },
    /// The generated tokens do not parse: a bug of pyrum-codegen.
    #[error("the generated code does not parse ({0}); this is a bug of pyrum-codegen, please report it with the spec")]
    Unparsable(String),
    /// A build script variable is missing (`OUT_DIR` outside a build script).
    #[error("{0} is not set: run this from a build script (build.rs), or give an output path")]
    Env(&'static str),
    /// The output file cannot be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn lines<T: fmt::Display>(items: &[T]) -> String {
    items
        .iter()
        .map(|e| format!("  {e}"))
        .collect::<Vec<_>>()
        .join("\n")
}
