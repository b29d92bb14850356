//! `pyrum-codegen list --json`: one object per leaf command, for other tooling.

use serde::Serialize;

use pyrum_codegen::Spec;

/// One leaf command, in the shape other tooling reads.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Listed {
    /// Path words; runtime route words as `{name}`.
    pub path: Vec<String>,
    /// Positional argument names.
    pub args: Vec<String>,
    /// Flag names without dashes.
    pub flags: Vec<String>,
    /// Long-running: stays open until cancelled.
    pub long_running: bool,
    /// Offers steps (`next`).
    pub steppable: bool,
    /// Result keys, each once, in spec order.
    pub results: Vec<String>,
}

/// Every leaf command of the spec, in spec order.
pub(crate) fn list(spec: &Spec) -> Vec<Listed> {
    spec.commands
        .iter()
        .map(|c| {
            let mut results: Vec<String> = Vec::new();
            for r in &c.results {
                if !results.contains(&r.key) {
                    results.push(r.key.clone());
                }
            }
            Listed {
                path: c.path.clone(),
                args: c.args.iter().map(|a| a.name.clone()).collect(),
                flags: c.flags.iter().map(|f| f.name.clone()).collect(),
                long_running: c.long_running,
                steppable: c.steppable,
                results,
            }
        })
        .collect()
}
