//! `pyrum-codegen scan`: read Rumor's command tree from a live binary and compare it with a
//! spec.
//!
//! The scan starts `rumor bare` through pyrum-core's client ([`session`]), creates the state
//! that routes need before their `help` shows ([`SETUP`]), then asks `help` of every route and
//! leaf, depth first, and parses each usage text ([`usage`]). [`diff`] matches the leaves with
//! the spec; [`write`] implements `--write`.
//!
//! What `help` cannot show, and the scan therefore neither checks nor overwrites: variadic
//! positionals (`variadic = true`, e.g. `host notify`'s events), result fields, `long_running`,
//! `steppable`, `notes`, `alias_of`, and the defaults of positionals (the spec has no field for
//! them).
//!
//! What `help` gets wrong is in the spec, per Rumor version: routes that work without being
//! listed are its commands with `advertised = false` (the scan asks their `help` directly, and
//! `--probe` names more), and listed words that do not route are its `[[dead_route]]`s.

mod diff;
mod session;
mod usage;
mod write;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use pyrum_codegen::{Spec, PLACEHOLDER};

pub(crate) use diff::compare;
#[cfg(test)]
pub(crate) use diff::Drift;
use pyrum_core::types::ssz::genesis_state_ssz;
pub(crate) use session::ScanError;
use session::{Session, TempFile};
use usage::{parse_usage, Usage, UsageArg, UsageFlag};
pub(crate) use write::{render_spec, update_spec};

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------
// State for help, and the walk

/// The name the scan gives its peerstore, DBs and chain. `blocks on`, `states on` and
/// `chain on` list the names that exist; a listed word equal to this one is a runtime route
/// word and becomes `{name}` in paths.
pub(crate) const SCAN_NAME: &str = "pyrumscan";

/// The state the scan creates before walking, and why. Without it the parent
/// routes fail to build their sub-commands and `help` prints the error instead.
/// `{state}` stands for a generated state file and `{root}` for the root that importing it
/// logged. The host is started without NAT probing and never listens, so the scan sends no
/// network traffic.
pub(crate) const SETUP: &[(&str, &str)] = &[
    ("host start --nat=false", "a host, for routes that need one"),
    ("enr make", "`dv5` needs an ENR"),
    (
        "peerstore create pyrumscan",
        "every `peer` route needs a peerstore",
    ),
    (
        "blocks create pyrumscan",
        "`blocks db`, `chain` need a blocks DB",
    ),
    (
        "states create pyrumscan",
        "`states db`, `chain` need a states DB",
    ),
    (
        "states db import --input={state}",
        "`chain create` starts from a state in the states DB",
    ),
    (
        "chain create pyrumscan {root}",
        "`chain this` and `chain on {name}` need a chain",
    ),
];

/// One leaf command as the binary shows it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ScannedCommand {
    /// Spec path (`{name}` for runtime route words).
    pub(crate) path: Vec<String>,
    /// Listed by its parent's `Sub commands:`.
    pub(crate) advertised: bool,
    /// The parsed usage.
    pub(crate) usage: Usage,
}

impl ScannedCommand {
    /// The positionals with the flag line that backs each (`None` if help shows none).
    pub(crate) fn args(&self) -> Vec<(&UsageArg, Option<&UsageFlag>)> {
        self.usage
            .args
            .iter()
            .map(|a| (a, self.usage.flags.iter().find(|f| f.name == a.name)))
            .collect()
    }

    /// The flags that are not positionals.
    pub(crate) fn flags(&self) -> Vec<&UsageFlag> {
        self.usage
            .flags
            .iter()
            .filter(|f| !self.usage.args.iter().any(|a| a.name == f.name))
            .collect()
    }
}

/// The binary's command tree.
#[derive(Debug, Clone)]
pub(crate) struct Scanned {
    /// Every leaf, depth first in listed order, then the unlisted ones that route.
    pub(crate) commands: Vec<ScannedCommand>,
    /// Listed routes whose routing fails and that the spec does not know as dead: path, error.
    pub(crate) unroutable: Vec<(Vec<String>, String)>,
    /// Unlisted routes (the spec's `advertised = false` commands, `--probe`s) that do not
    /// route: path, error.
    pub(crate) unlisted_gone: Vec<(Vec<String>, String)>,
    /// The spec's dead routes that are not listed any more, or route now.
    pub(crate) dead_gone: Vec<Vec<String>>,
    /// Remarks that are not drift (setup failures, routes with flags of their own).
    pub(crate) notes: Vec<String>,
    /// The binary's Rumor release (`--rumor-version`, else its Go build info), if known.
    pub(crate) version: Option<String>,
    /// Number of calls made.
    pub(crate) calls: usize,
    /// Wall time of the scan.
    pub(crate) elapsed: Duration,
}

/// Scans `rumor`'s command tree, with what `spec` knows about routes that `help` gets wrong,
/// and asks `help` of the unlisted routes `probes` too. `version` overrides the release read
/// from the binary.
pub(crate) fn scan(
    rumor: &Path,
    spec: &Spec,
    probes: &[Vec<String>],
    version: Option<&str>,
) -> Result<Scanned, ScanError> {
    let started = Instant::now();
    let version = version
        .map(str::to_string)
        .or_else(|| session::binary_version(rumor));
    let mut notes = Vec::new();
    let state = TempFile::new("ssz", &genesis_state_ssz())?;
    let mut s = Session::start(rumor)?;
    let mut root = String::new();
    for (stmt, why) in SETUP {
        let stmt = stmt
            .replace("{state}", &state.0.display().to_string())
            .replace("{root}", &root);
        let words: Vec<String> = stmt.split(' ').map(str::to_string).collect();
        let out = s.call(&words)?;
        if let Some(e) = out.error {
            notes.push(format!(
                "setup `{stmt}` ({why}) failed: {e}; routes that need it will show as unroutable"
            ));
        }
        if let Some(r) = out
            .entries
            .iter()
            .find_map(|e| e.fields.get("root").and_then(|v| v.as_str()))
        {
            root = r.to_string();
        }
    }
    let dead: Vec<&[String]> = spec.dead_routes.iter().map(|d| d.path.as_slice()).collect();
    let mut w = Walk {
        s: &mut s,
        dead: &dead,
        commands: Vec::new(),
        unroutable: Vec::new(),
        dead_seen: HashSet::new(),
        notes: Vec::new(),
    };
    w.walk(Vec::new(), Vec::new(), true)?;
    let unlisted = spec
        .commands
        .iter()
        .filter(|c| !c.advertised)
        .map(|c| &c.path)
        .chain(probes);
    let mut unlisted_gone = Vec::new();
    let mut asked = HashSet::new();
    for path in unlisted {
        if !asked.insert(path) || w.commands.iter().any(|c| &c.path == path) {
            // Listed by help now: `compare` reports that `advertised` changed.
            continue;
        }
        let real = real_words(path);
        match w.s.help(&real)? {
            Ok(_) => w.walk(real, path.clone(), false)?,
            Err(e) => unlisted_gone.push((path.clone(), e)),
        }
    }
    let dead_gone = dead
        .iter()
        .filter(|d| !w.dead_seen.contains(**d))
        .map(|d| d.to_vec())
        .collect();
    notes.extend(w.notes);
    let (commands, unroutable) = (w.commands, w.unroutable);
    let calls = s.calls;
    drop(s);
    Ok(Scanned {
        commands,
        unroutable,
        unlisted_gone,
        dead_gone,
        notes,
        version,
        calls,
        elapsed: started.elapsed(),
    })
}

fn real_words(path: &[String]) -> Vec<String> {
    path.iter()
        .map(|w| {
            if w == PLACEHOLDER {
                SCAN_NAME.to_string()
            } else {
                w.clone()
            }
        })
        .collect()
}

struct Walk<'a> {
    s: &'a mut Session,
    /// The spec's dead routes.
    dead: &'a [&'a [String]],
    commands: Vec<ScannedCommand>,
    unroutable: Vec<(Vec<String>, String)>,
    dead_seen: HashSet<Vec<String>>,
    notes: Vec<String>,
}

impl Walk<'_> {
    fn walk(
        &mut self,
        real: Vec<String>,
        path: Vec<String>,
        advertised: bool,
    ) -> Result<(), ScanError> {
        let text = match self.s.help(&real)? {
            Ok(t) => t,
            Err(e) => {
                let dead = self.dead.contains(&path.as_slice());
                if dead && e.contains("command was not recognized") {
                    self.dead_seen.insert(path);
                } else {
                    self.unroutable.push((path, e));
                }
                return Ok(());
            }
        };
        let usage =
            parse_usage(&text).map_err(|e| ScanError(format!("`{} help`: {e}", real.join(" "))))?;
        match &usage.subs {
            Some(subs) => {
                if !usage.flags.is_empty() || !usage.args.is_empty() {
                    self.notes.push(format!(
                        "route `{}` takes positionals or flags of its own; the spec models only leaves, so they are not compared",
                        path.join(" ")
                    ));
                }
                for sub in subs.clone() {
                    let mut r = real.clone();
                    r.push(sub.name.clone());
                    let mut p = path.clone();
                    p.push(if sub.name == SCAN_NAME {
                        PLACEHOLDER.to_string()
                    } else {
                        sub.name.clone()
                    });
                    self.walk(r, p, advertised)?;
                }
            }
            None => self.commands.push(ScannedCommand {
                path,
                advertised,
                usage,
            }),
        }
        Ok(())
    }
}
