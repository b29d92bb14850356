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
//! them). Routes that work without being listed, and listed words that do not route, are kept
//! per Rumor version in [`KNOWN_ROUTES`].

mod diff;
mod session;
mod usage;
mod write;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

pub(crate) use diff::compare;
#[cfg(test)]
pub(crate) use diff::Drift;
pub(crate) use session::ScanError;
use session::{genesis_state_ssz, Session, TempFile};
use usage::{parse_usage, Usage, UsageArg, UsageFlag};
pub(crate) use write::{render_spec, update_spec};

#[cfg(test)]
mod tests;

// ---------------------------------------------------------------------------------------------
// Known routes, per Rumor version

/// A route that works but that its parent's `Sub commands:` does not list.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KnownExtra {
    /// Spec path (`{name}` for a runtime route word).
    pub(crate) path: &'static [&'static str],
    /// The path this one is an alias of, written to new commands by `--write`.
    pub(crate) alias_of: Option<&'static [&'static str]>,
    /// Why it is not advertised (for the reader).
    #[allow(dead_code)]
    pub(crate) why: &'static str,
}

/// What `help` gets wrong at one Rumor version, so the scan neither guesses nor misses.
#[derive(Debug, Clone, Copy)]
pub(crate) struct KnownRoutes {
    /// The Rumor release (`rumor_version` of the spec).
    pub(crate) version: &'static str,
    /// Routes that work without being listed; the scan asks their `help` directly.
    pub(crate) extras: &'static [KnownExtra],
    /// Listed words whose routing fails with "command was not recognized"; the scan skips them
    /// while they keep failing.
    pub(crate) dead: &'static [&'static [&'static str]],
}

/// Every Rumor version the scan knows the quirks of, oldest first. Rumor v0.3.6 needs no list
/// of routes the scan cannot reach: [`SETUP`] creates all the state that `help` needs.
pub(crate) const KNOWN_ROUTES: &[KnownRoutes] = &[KnownRoutes {
    version: "v0.3.6",
    extras: &[
        KnownExtra {
            path: &["host", "notify"],
            alias_of: None,
            why: "`host` lists `event` but routes `notify` (control/actor/host/host.go)",
        },
        KnownExtra {
            path: &["peer", "connectall"],
            alias_of: None,
            why: "`peer` routes `connectall` without listing it (control/actor/peer/peer.go)",
        },
        KnownExtra {
            path: &["peer", "track", "ls"],
            alias_of: Some(&["peer", "track", "list"]),
            why: "`peer track` routes `ls` as an alias of `list` without listing it",
        },
        KnownExtra {
            path: &["chain", "this", "hot", "cold"],
            alias_of: None,
            why: "`hot` lists `view` but routes `cold` (control/actor/chain/chcmd/hot.go)",
        },
        KnownExtra {
            path: &["chain", "this", "cold", "cold"],
            alias_of: None,
            why: "`cold` lists `view` but routes `cold` (control/actor/chain/chcmd/cold.go)",
        },
        KnownExtra {
            path: &["chain", "on", "{name}", "hot", "cold"],
            alias_of: None,
            why: "`hot` lists `view` but routes `cold`",
        },
        KnownExtra {
            path: &["chain", "on", "{name}", "cold", "cold"],
            alias_of: None,
            why: "`cold` lists `view` but routes `cold`",
        },
    ],
    dead: &[
        &["host", "event"],
        &["chain", "this", "hot", "view"],
        &["chain", "this", "cold", "view"],
        &["chain", "on", "{name}", "hot", "view"],
        &["chain", "on", "{name}", "cold", "view"],
    ],
}];

/// The known routes of `version`, else those of the newest version known (the bool is false
/// then, and the scan says so).
pub(crate) fn known_routes(version: &str) -> (&'static KnownRoutes, bool) {
    match KNOWN_ROUTES.iter().find(|k| k.version == version) {
        Some(k) => (k, true),
        None => (KNOWN_ROUTES.last().expect("at least one version"), false),
    }
}

// ---------------------------------------------------------------------------------------------
// State for help, and the walk

/// The name the scan gives its peerstore, DBs and chain. `blocks on`, `states on` and
/// `chain on` list the names that exist; a listed word equal to this one is a runtime route
/// word and becomes `{name}` in paths.
pub(crate) const SCAN_NAME: &str = "pyrumscan";

/// The state the scan creates before walking, and why (Rumor v0.3.6). Without it the parent
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
    /// From [`KnownExtra::alias_of`].
    pub(crate) alias_of: Option<Vec<String>>,
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
    /// Every leaf, depth first in listed order, then the known extras.
    pub(crate) commands: Vec<ScannedCommand>,
    /// Listed routes whose routing fails (not known dead ones): path and error.
    pub(crate) unroutable: Vec<(Vec<String>, String)>,
    /// Known extras that no longer route: path and error.
    pub(crate) extras_gone: Vec<(Vec<String>, String)>,
    /// Known dead words that are not listed any more, or route now.
    pub(crate) notes: Vec<String>,
    /// The known-routes list used.
    pub(crate) known_version: String,
    /// Number of calls made.
    pub(crate) calls: usize,
    /// Wall time of the scan.
    pub(crate) elapsed: Duration,
}

/// Scans `rumor`'s command tree; `version` picks the [`KNOWN_ROUTES`] list.
pub(crate) fn scan(rumor: &Path, version: &str) -> Result<Scanned, ScanError> {
    let started = Instant::now();
    let (known, exact) = known_routes(version);
    let mut notes = Vec::new();
    if !exact {
        notes.push(format!(
            "no known-routes list for Rumor {version}; used the one of {} (add one to KNOWN_ROUTES in pyrum-codegen-cli/src/scan/mod.rs)",
            known.version
        ));
    }
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
    let mut w = Walk {
        s: &mut s,
        known,
        commands: Vec::new(),
        unroutable: Vec::new(),
        dead_seen: HashSet::new(),
        notes: Vec::new(),
    };
    w.walk(Vec::new(), Vec::new(), true, None)?;
    let mut extras_gone = Vec::new();
    for extra in known.extras {
        let path: Vec<String> = extra.path.iter().map(|w| w.to_string()).collect();
        if w.commands.iter().any(|c| c.path == path) {
            notes.push(format!(
                "known extra `{}` is listed by help now; drop it from KNOWN_ROUTES",
                path.join(" ")
            ));
            continue;
        }
        let real = real_words(&path);
        match w.s.help(&real)? {
            Ok(_) => w.walk(
                real,
                path,
                false,
                extra
                    .alias_of
                    .map(|a| a.iter().map(|w| w.to_string()).collect()),
            )?,
            Err(e) => extras_gone.push((path, e)),
        }
    }
    for d in known.dead {
        let path: Vec<String> = d.iter().map(|w| w.to_string()).collect();
        if !w.dead_seen.contains(&path) {
            notes.push(format!(
                "known dead route `{}` is not listed any more (or routes now); drop it from KNOWN_ROUTES",
                path.join(" ")
            ));
        }
    }
    notes.extend(w.notes);
    let (commands, unroutable) = (w.commands, w.unroutable);
    let calls = s.calls;
    drop(s);
    Ok(Scanned {
        commands,
        unroutable,
        extras_gone,
        notes,
        known_version: known.version.to_string(),
        calls,
        elapsed: started.elapsed(),
    })
}

fn real_words(path: &[String]) -> Vec<String> {
    path.iter()
        .map(|w| {
            if w == "{name}" {
                SCAN_NAME.to_string()
            } else {
                w.clone()
            }
        })
        .collect()
}

struct Walk<'a> {
    s: &'a mut Session,
    known: &'static KnownRoutes,
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
        alias_of: Option<Vec<String>>,
    ) -> Result<(), ScanError> {
        let text = match self.s.help(&real)? {
            Ok(t) => t,
            Err(e) => {
                let dead = self
                    .known
                    .dead
                    .iter()
                    .any(|d| d.iter().copied().eq(path.iter().map(String::as_str)));
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
                        "{name}".to_string()
                    } else {
                        sub.name.clone()
                    });
                    self.walk(r, p, advertised, None)?;
                }
            }
            None => self.commands.push(ScannedCommand {
                path,
                advertised,
                alias_of,
                usage,
            }),
        }
        Ok(())
    }
}
