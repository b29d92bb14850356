//! `pyrum-codegen scan`: read Rumor's command tree from a live binary and compare it with
//! `commands.toml`.
//!
//! The scan starts `rumor bare --level=trace`, creates the state that routes need before their
//! `help` shows ([`SETUP`]), then asks `help` of every route and leaf, depth first. Every
//! statement is one line, every word single-quoted, with a `_<id>` call id and `lvl_trace`, so
//! the `__success`/`__error`/`__freed` markers arrive (rumor-protocol §3.4, §3.6).
//!
//! A usage text ([`parse_usage`]) is: a first line `(command) <required> [optional]`, the help
//! string, a `Flags/args:` block from pflag (`--name type   help (default ...)`, sorted by name,
//! positionals included since each is backed by a flag of the same name) and, for routes, a
//! `Sub commands:` block. [`compare`] then matches the leaves with the spec: commands added or
//! removed; positionals and flags added, removed, or with another type, default or help; the
//! command help; whether `help` lists it. The spec's types are checked through an explicit table
//! ([`crate::types::SCALARS`] and the `pflag` of the spec's enums). [`update_spec`] and [`render_spec`] implement
//! `--write`.
//!
//! What `help` cannot show, and the scan therefore neither checks nor overwrites: variadic
//! positionals (`variadic = true`, e.g. `host notify`'s events), result fields, `long_running`,
//! `steppable`, `notes`, `alias_of`, and the defaults of positionals (the spec has no field for
//! them). Routes that work without being listed, and listed words that do not route, are kept
//! per Rumor version in [`KNOWN_ROUTES`].

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::{Map, Value};

use crate::spec::{ArgDef, CommandDef, FlagDef, Spec};
use crate::types::{Scalar, SpecType};

// ---------------------------------------------------------------------------------------------
// Type vocabulary <-> pflag type names

/// The pflag type name `help` prints for a spec type: from the type table
/// ([`crate::types::SCALARS`]) or the enum's `pflag`.
pub fn pflag_type_of(spec: &Spec, spec_type: &str) -> Option<String> {
    match spec.resolve(spec_type, false)? {
        SpecType::Scalar(s) => s.row().pflag.map(str::to_string),
        SpecType::Enum(e) => spec.enums.get(&e).and_then(|d| d.pflag.clone()),
        SpecType::Json => None,
    }
}

/// The spec type `--write` uses for a pflag type name: the first row of the type table with
/// that name, else an enum of the spec whose `pflag` it is.
pub fn spec_type_of(spec: &Spec, pflag_type: &str) -> Option<String> {
    Scalar::from_pflag(pflag_type)
        .map(|s| s.row().name.to_string())
        .or_else(|| {
            spec.enums
                .iter()
                .find(|(_, d)| d.pflag.as_deref() == Some(pflag_type))
                .map(|(t, _)| t.clone())
        })
}

// ---------------------------------------------------------------------------------------------
// Known routes, per Rumor version

/// A route that works but that its parent's `Sub commands:` does not list.
#[derive(Debug, Clone, Copy)]
pub struct KnownExtra {
    /// Spec path (`{name}` for a runtime route word).
    pub path: &'static [&'static str],
    /// The path this one is an alias of, written to new commands by `--write`.
    pub alias_of: Option<&'static [&'static str]>,
    /// Why it is not advertised.
    pub why: &'static str,
}

/// What `help` gets wrong at one Rumor version, so the scan neither guesses nor misses.
#[derive(Debug, Clone, Copy)]
pub struct KnownRoutes {
    /// The Rumor release (`rumor_version` of the spec).
    pub version: &'static str,
    /// Routes that work without being listed; the scan asks their `help` directly.
    pub extras: &'static [KnownExtra],
    /// Listed words whose routing fails with "command was not recognized"; the scan skips them
    /// while they keep failing.
    pub dead: &'static [&'static [&'static str]],
}

/// Every Rumor version the scan knows the quirks of, oldest first. Rumor v0.3.6 needs no list
/// of routes the scan cannot reach: [`SETUP`] creates all the state that `help` needs.
pub const KNOWN_ROUTES: &[KnownRoutes] = &[KnownRoutes {
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
pub fn known_routes(version: &str) -> (&'static KnownRoutes, bool) {
    match KNOWN_ROUTES.iter().find(|k| k.version == version) {
        Some(k) => (k, true),
        None => (KNOWN_ROUTES.last().expect("at least one version"), false),
    }
}

// ---------------------------------------------------------------------------------------------
// Usage text

/// One positional of a usage's first line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageArg {
    /// The name between the brackets.
    pub name: String,
    /// `<name>` (true) or `[name]` (false).
    pub required: bool,
}

/// One line (with continuations) of the `Flags/args:` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageFlag {
    /// Name without dashes.
    pub name: String,
    /// The pflag type name as printed (`uint16`, `Peer ID`; empty for bool).
    pub pflag_type: String,
    /// The text inside `(default ...)`, when printed (pflag omits zero values).
    pub default: Option<String>,
    /// The help text.
    pub help: String,
}

/// One line of the `Sub commands:` block.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageSub {
    /// The route word.
    pub name: String,
    /// Its help, or the error that building it gave.
    pub text: String,
}

/// A parsed usage text (ask v0.0.5 `CommandDescription.Usage`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Usage {
    /// Positionals of the first line, in order.
    pub args: Vec<UsageArg>,
    /// The help string.
    pub help: String,
    /// `Flags/args:`, in printed (sorted) order; positionals included.
    pub flags: Vec<UsageFlag>,
    /// `Sub commands:`; `None` for a leaf.
    pub subs: Option<Vec<UsageSub>>,
}

const FLAGS_HEAD: &str = "Flags/args:\n";
const SUBS_HEAD: &str = "Sub commands:\n";

/// Parses a usage text as `help` prints it (rumor-protocol §3.6).
pub fn parse_usage(text: &str) -> Result<Usage, String> {
    let (first, rest) = text
        .split_once('\n')
        .ok_or_else(|| format!("a usage text has several lines: {text:?}"))?;
    let mut words = first.split(' ');
    if words.next() != Some("(command)") {
        return Err(format!(
            "the first line of a usage starts with `(command)`: {first:?}"
        ));
    }
    let mut args = Vec::new();
    for w in words {
        let (name, required) =
            if let Some(n) = w.strip_prefix('<').and_then(|w| w.strip_suffix('>')) {
                (n, true)
            } else if let Some(n) = w.strip_prefix('[').and_then(|w| w.strip_suffix(']')) {
                (n, false)
            } else {
                return Err(format!(
                    "positional {w:?} is neither <name> nor [name] in {first:?}"
                ));
            };
        args.push(UsageArg {
            name: name.to_string(),
            required,
        });
    }
    let rest = rest.strip_prefix('\n').unwrap_or(rest);
    // The blocks start at the beginning or right after a blank line; the help may itself
    // hold blank lines (the root help does).
    let block_at = |head: &str| {
        let mut from = 0;
        while let Some(i) = rest[from..].find(head) {
            let at = from + i;
            if at == 0 || rest[..at].ends_with("\n\n") {
                return Some(at);
            }
            from = at + 1;
        }
        None
    };
    let flags_at = block_at(FLAGS_HEAD);
    let subs_at = match flags_at {
        Some(f) => rest[f..].find(&format!("\n{SUBS_HEAD}")).map(|i| f + i + 1),
        None => block_at(SUBS_HEAD),
    };
    let help_end = flags_at.or(subs_at).unwrap_or(rest.len());
    let help = rest[..help_end]
        .strip_suffix("\n\n")
        .unwrap_or(&rest[..help_end])
        .to_string();
    let flags = match flags_at {
        Some(f) => parse_flags(&rest[f + FLAGS_HEAD.len()..subs_at.unwrap_or(rest.len())])?,
        None => Vec::new(),
    };
    let subs = subs_at.map(|s| parse_subs(&rest[s + SUBS_HEAD.len()..]));
    Ok(Usage {
        args,
        help,
        flags,
        subs,
    })
}

/// pflag's `FlagUsages` block: `      --name type` padded so that every help starts in one
/// column (three spaces after the longest name and type); a help with newlines continues on
/// lines indented to that column; ` (default X)` ends the help when the default is not zero.
fn parse_flags(block: &str) -> Result<Vec<UsageFlag>, String> {
    let lines: Vec<&str> = block.lines().collect();
    fn starts(l: &str) -> Option<&str> {
        l.strip_prefix("      --")
            .or_else(|| {
                l.strip_prefix("  -")
                    .and_then(|r| r.get(1..))
                    .and_then(|r| r.strip_prefix(", --"))
            })
            .filter(|_| l.len() > 8)
    }
    // The help column: where the first run of 3+ spaces after the name ends, the smallest
    // over all lines (the longest name+type has exactly three; an empty help runs to the end).
    let mut column = usize::MAX;
    for l in &lines {
        if starts(l).is_some() {
            if let Some(i) = l[8..].find("   ") {
                let run_start = 8 + i;
                let run_end = l[run_start..]
                    .find(|c: char| c != ' ')
                    .map_or(l.len(), |j| run_start + j);
                column = column.min(run_end);
            }
        }
    }
    let mut flags: Vec<UsageFlag> = Vec::new();
    let mut helps: Vec<String> = Vec::new();
    for l in &lines {
        if let Some(after) = starts(l) {
            let name: String = after.chars().take_while(|c| *c != ' ').collect();
            let head_end = column.min(l.len());
            let ty = l
                .get(l.len() - after.len() + name.len()..head_end)
                .unwrap_or("")
                .trim()
                .to_string();
            let help = l.get(head_end..).unwrap_or("").to_string();
            flags.push(UsageFlag {
                name,
                pflag_type: ty,
                default: None,
                help: String::new(),
            });
            helps.push(help);
        } else if l.trim().is_empty() && !l.is_empty() && l.len() >= column {
            // a blank continuation line of a multi-line help
            if let Some(h) = helps.last_mut() {
                h.push('\n');
            }
        } else if l.is_empty() {
            continue;
        } else if let (Some(h), Some(cont)) = (helps.last_mut(), l.get(column.min(l.len())..)) {
            if l[..column.min(l.len())].trim().is_empty() {
                h.push('\n');
                h.push_str(cont);
            } else {
                return Err(format!("unexpected line in the Flags/args block: {l:?}"));
            }
        } else {
            return Err(format!("unexpected line in the Flags/args block: {l:?}"));
        }
    }
    for (f, mut h) in flags.iter_mut().zip(helps) {
        if h.ends_with(')') {
            if let Some(i) = h.rfind(" (default ") {
                f.default = Some(h[i + " (default ".len()..h.len() - 1].to_string());
                h.truncate(i);
            } else if let Some(d) = h.strip_prefix("(default ") {
                f.default = Some(d[..d.len() - 1].to_string());
                h.clear();
            }
        }
        f.help = h;
    }
    Ok(flags)
}

/// `  name` padded to column 19 (or two spaces after a long name), then the help or error.
fn parse_subs(block: &str) -> Vec<UsageSub> {
    let mut subs = Vec::new();
    for l in block.lines() {
        let Some(body) = l.strip_prefix("  ") else {
            continue;
        };
        let name: String = body.chars().take_while(|c| *c != ' ').collect();
        let ok = !name.is_empty()
            && !body.starts_with(' ')
            && (body.len() == name.len() || body[name.len()..].starts_with("  "));
        if ok {
            subs.push(UsageSub {
                text: body[name.len()..].trim().to_string(),
                name,
            });
        }
    }
    subs
}

// ---------------------------------------------------------------------------------------------
// Driving Rumor

/// Why a scan could not run.
#[derive(Debug)]
pub struct ScanError(pub String);

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ScanError {}

/// What one call produced.
#[derive(Debug, Default)]
struct Outcome {
    entries: Vec<Map<String, Value>>,
    error: Option<String>,
}

/// A `rumor bare --level=trace` child, driven one statement at a time.
struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Map<String, Value>>,
    stderr: Arc<Mutex<String>>,
    next_id: usize,
    calls: usize,
    timeout: Duration,
}

fn quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', "'\\''"))
}

impl Session {
    fn start(rumor: &Path, timeout: Duration) -> Result<Session, ScanError> {
        let mut child = Command::new(rumor)
            .args(["bare", "--level=trace"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| ScanError(format!("cannot start {}: {e}", rumor.display())))?;
        let stdout = child.stdout.take().expect("piped");
        let mut stderr_pipe = child.stderr.take().expect("piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(Value::Object(m)) = serde_json::from_str::<Value>(&line) {
                    if tx.send(m).is_err() {
                        break;
                    }
                }
            }
        });
        // Drain stderr (libp2p logs, pflag output, panics), keeping the tail for errors.
        let stderr = Arc::new(Mutex::new(String::new()));
        let tail = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr_pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                t.push_str(&String::from_utf8_lossy(&buf[..n]));
                if t.len() > 8192 {
                    let cut = t.len() - 4096;
                    let cut = (cut..t.len()).find(|i| t.is_char_boundary(*i)).unwrap_or(0);
                    t.drain(..cut);
                }
            }
        });
        let stdin = child.stdin.take();
        Ok(Session {
            child,
            stdin,
            rx,
            stderr,
            next_id: 0,
            calls: 0,
            timeout,
        })
    }

    fn died(&mut self, what: &str) -> ScanError {
        let status = self.child.try_wait().ok().flatten();
        let tail = self.stderr.lock().map(|s| s.clone()).unwrap_or_default();
        ScanError(format!(
            "rumor stopped answering while running `{what}`{}{}",
            status.map(|s| format!(" ({s})")).unwrap_or_default(),
            if tail.trim().is_empty() {
                String::new()
            } else {
                format!("; its stderr ends with:\n{}", tail.trim_end())
            }
        ))
    }

    /// Runs one actor command and waits for its `__freed` marker.
    fn call(&mut self, words: &[String]) -> Result<Outcome, ScanError> {
        self.next_id += 1;
        self.calls += 1;
        let id = format!("pyrumscan{}", self.next_id);
        let mut line = vec![quote(&format!("_{id}")), quote("lvl_trace")];
        line.extend(words.iter().map(|w| quote(w)));
        let line = line.join(" ") + "\n";
        let what = words.join(" ");
        let stdin = self.stdin.as_mut().expect("open until drop");
        if stdin
            .write_all(line.as_bytes())
            .and_then(|_| stdin.flush())
            .is_err()
        {
            return Err(self.died(&what));
        }
        let deadline = Instant::now() + self.timeout;
        let mut out = Outcome::default();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let entry = match self.rx.recv_timeout(left) {
                Ok(e) => e,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(ScanError(format!(
                        "`{what}` did not finish within {:?}",
                        self.timeout
                    )))
                }
                Err(RecvTimeoutError::Disconnected) => return Err(self.died(&what)),
            };
            let mine = entry.get("call_id").and_then(Value::as_str) == Some(id.as_str());
            if !mine {
                // A statement that fails before a call exists only gets a session "failed"
                // warning whose args start with our id word.
                let failed = entry.get("msg").and_then(Value::as_str) == Some("failed")
                    && entry
                        .get("args")
                        .and_then(Value::as_array)
                        .and_then(|a| a.first())
                        .and_then(Value::as_str)
                        == Some(format!("_{id}").as_str());
                if failed && entry.get("call_id").is_none() {
                    let e = entry
                        .get("error")
                        .and_then(Value::as_str)
                        .unwrap_or("failed");
                    out.error.get_or_insert_with(|| e.to_string());
                    // A command that cannot even be loaded gets no markers at all.
                    if e.contains("failed to parse command") {
                        return Ok(out);
                    }
                }
                continue;
            }
            if let Some(e) = entry.get("__error") {
                out.error = Some(e.as_str().map(str::to_string).unwrap_or(e.to_string()));
            }
            if entry.contains_key("__freed") {
                return Ok(out);
            }
            if entry.get("level").and_then(Value::as_str) != Some("trace") {
                out.entries.push(entry);
            }
        }
    }

    /// `help` of a path: the usage text, or the routing error.
    fn help(&mut self, path: &[String]) -> Result<Result<String, String>, ScanError> {
        let mut words = path.to_vec();
        words.push("help".into());
        let out = self.call(&words)?;
        if let Some(e) = out.error {
            return Ok(Err(e));
        }
        let text = out
            .entries
            .iter()
            .rev()
            .find(|e| {
                e.get("level").and_then(Value::as_str) == Some("info")
                    && e.get("msg")
                        .and_then(Value::as_str)
                        .is_some_and(|m| m.starts_with("(command)"))
            })
            .and_then(|e| e.get("msg").and_then(Value::as_str));
        match text {
            Some(t) => Ok(Ok(t.to_string())),
            None => Ok(Err("help printed no usage text".into())),
        }
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // End of input closes every call and exits; kill our own child if it lingers.
        drop(self.stdin.take());
        let until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < until {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------------------------
// State for help, and the walk

/// The name the scan gives its peerstore, DBs and chain. `blocks on`, `states on` and
/// `chain on` list the names that exist; a listed word equal to this one is a runtime route
/// word and becomes `{name}` in paths.
pub const SCAN_NAME: &str = "pyrumscan";

/// The state the scan creates before walking, and why (Rumor v0.3.6). Without it the parent
/// routes fail to build their sub-commands and `help` prints the error instead.
/// `{state}` stands for a generated state file and `{root}` for the root that importing it
/// logged. The host is started without NAT probing and never listens, so the scan sends no
/// network traffic.
pub const SETUP: &[(&str, &str)] = &[
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScannedCommand {
    /// Spec path (`{name}` for runtime route words).
    pub path: Vec<String>,
    /// Listed by its parent's `Sub commands:`.
    pub advertised: bool,
    /// From [`KnownExtra::alias_of`].
    pub alias_of: Option<Vec<String>>,
    /// The parsed usage.
    pub usage: Usage,
}

impl ScannedCommand {
    /// The positionals with the flag line that backs each (`None` if help shows none).
    pub fn args(&self) -> Vec<(&UsageArg, Option<&UsageFlag>)> {
        self.usage
            .args
            .iter()
            .map(|a| (a, self.usage.flags.iter().find(|f| f.name == a.name)))
            .collect()
    }

    /// The flags that are not positionals.
    pub fn flags(&self) -> Vec<&UsageFlag> {
        self.usage
            .flags
            .iter()
            .filter(|f| !self.usage.args.iter().any(|a| a.name == f.name))
            .collect()
    }
}

/// The binary's command tree.
#[derive(Debug, Clone, Serialize)]
pub struct Scanned {
    /// Every leaf, depth first in listed order, then the known extras.
    pub commands: Vec<ScannedCommand>,
    /// Listed routes whose routing fails (not known dead ones): path and error.
    pub unroutable: Vec<(Vec<String>, String)>,
    /// Known extras that no longer route: path and error.
    pub extras_gone: Vec<(Vec<String>, String)>,
    /// Known dead words that are not listed any more, or route now.
    pub notes: Vec<String>,
    /// The known-routes list used.
    pub known_version: String,
    /// Number of calls made.
    pub calls: usize,
    /// Wall time of the scan.
    #[serde(skip)]
    pub elapsed: Duration,
}

/// Scans `rumor`'s command tree; `version` picks the [`KNOWN_ROUTES`] list.
pub fn scan(rumor: &Path, version: &str) -> Result<Scanned, ScanError> {
    let started = Instant::now();
    let (known, exact) = known_routes(version);
    let mut notes = Vec::new();
    if !exact {
        notes.push(format!(
            "no known-routes list for Rumor {version}; used the one of {} (add one to KNOWN_ROUTES in pyrum-codegen/src/scan.rs)",
            known.version
        ));
    }
    let state = TempFile::new("ssz", &genesis_state_ssz())?;
    let mut s = Session::start(rumor, Duration::from_secs(15))?;
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
            .find_map(|e| e.get("root").and_then(Value::as_str))
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

/// A file removed on drop.
struct TempFile(PathBuf);

impl TempFile {
    fn new(ext: &str, bytes: &[u8]) -> Result<TempFile, ScanError> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "pyrum-scan-{}-{}-{nanos}.{ext}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::write(&path, bytes)
            .map_err(|e| ScanError(format!("cannot write {}: {e}", path.display())))?;
        Ok(TempFile(path))
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// An SSZ phase0 `BeaconState` for the mainnet preset (what `states create` uses at Rumor
/// v0.3.6) with one active validator of 32 ETH, everything else zero: the cheapest state that
/// `chain create` accepts (it computes a proposer, so it needs an active validator). About
/// 2.6 MB, mostly the fixed-size history vectors.
pub fn genesis_state_ssz() -> Vec<u8> {
    const SLOTS_PER_HISTORICAL_ROOT: usize = 8192;
    const EPOCHS_PER_HISTORICAL_VECTOR: usize = 65536;
    const EPOCHS_PER_SLASHINGS_VECTOR: usize = 8192;
    const VALIDATOR: usize = 48 + 32 + 8 + 1 + 8 * 4;
    let fixed = 8 + 32 + 8 + 16 // genesis_time, genesis_validators_root, slot, fork
        + 112 // latest_block_header
        + 2 * SLOTS_PER_HISTORICAL_ROOT * 32 // block_roots, state_roots
        + 4 + 72 + 4 + 8 // historical_roots offset, eth1_data, eth1_data_votes offset, eth1_deposit_index
        + 4 + 4 // validators, balances offsets
        + EPOCHS_PER_HISTORICAL_VECTOR * 32 + EPOCHS_PER_SLASHINGS_VECTOR * 8
        + 4 + 4 // attestation list offsets
        + 1 + 3 * 40; // justification_bits, three checkpoints
    let offset = |n: usize| (n as u32).to_le_bytes();
    let mut b = Vec::with_capacity(fixed + VALIDATOR + 8);
    b.resize(
        8 + 32 + 8 + 16 + 112 + 2 * SLOTS_PER_HISTORICAL_ROOT * 32,
        0,
    );
    b.extend(offset(fixed)); // historical_roots: empty
    b.resize(b.len() + 72, 0);
    b.extend(offset(fixed)); // eth1_data_votes: empty
    b.resize(b.len() + 8, 0);
    b.extend(offset(fixed)); // validators: one
    b.extend(offset(fixed + VALIDATOR)); // balances: one
    b.resize(
        b.len() + EPOCHS_PER_HISTORICAL_VECTOR * 32 + EPOCHS_PER_SLASHINGS_VECTOR * 8,
        0,
    );
    b.extend(offset(fixed + VALIDATOR + 8)); // previous_epoch_attestations: empty
    b.extend(offset(fixed + VALIDATOR + 8)); // current_epoch_attestations: empty
    b.resize(b.len() + 1 + 3 * 40, 0);
    assert_eq!(b.len(), fixed);
    let gwei = 32_000_000_000u64.to_le_bytes();
    b.resize(b.len() + 48 + 32, 0); // pubkey, withdrawal_credentials
    b.extend(gwei); // effective_balance
    b.push(0); // slashed
    b.extend(0u64.to_le_bytes()); // activation_eligibility_epoch
    b.extend(0u64.to_le_bytes()); // activation_epoch
    b.extend(u64::MAX.to_le_bytes()); // exit_epoch
    b.extend(u64::MAX.to_le_bytes()); // withdrawable_epoch
    b.extend(gwei); // balance
    b
}

// ---------------------------------------------------------------------------------------------
// Comparing

/// One difference between the spec and the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Drift {
    /// A leaf the binary has and the spec lacks.
    CommandAdded {
        /// Its path.
        path: Vec<String>,
        /// Listed by help (false: a known extra).
        advertised: bool,
    },
    /// A leaf the spec has and the binary lacks.
    CommandRemoved {
        /// Its path.
        path: Vec<String>,
    },
    /// Something of a command that both have differs.
    Changed {
        /// The command.
        path: Vec<String>,
        /// `help`, `advertised`, `arg <x>`, `flag --x`.
        item: String,
        /// What differs, readable.
        detail: String,
    },
    /// A listed route whose routing fails, not known as dead.
    Unroutable {
        /// Its path.
        path: Vec<String>,
        /// The routing error.
        error: String,
    },
    /// A known extra that no longer routes.
    ExtraGone {
        /// Its path.
        path: Vec<String>,
        /// The routing error.
        error: String,
    },
}

impl fmt::Display for Drift {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Drift::CommandAdded { path, advertised } => write!(
                f,
                "+ {}: command in the binary, not in the spec{}",
                path.join(" "),
                if *advertised {
                    ""
                } else {
                    " (a known unlisted route)"
                }
            ),
            Drift::CommandRemoved { path } => write!(
                f,
                "- {}: command in the spec, not in the binary",
                path.join(" ")
            ),
            Drift::Changed { path, item, detail } => {
                write!(f, "~ {}: {item}: {detail}", path.join(" "))
            }
            Drift::Unroutable { path, error } => write!(
                f,
                "! {}: listed by help but routing it fails: {error}",
                path.join(" ")
            ),
            Drift::ExtraGone { path, error } => write!(
                f,
                "! {}: a known unlisted route of this version no longer routes: {error}",
                path.join(" ")
            ),
        }
    }
}

/// The result of [`compare`].
#[derive(Debug, Clone, Default)]
pub struct Diff {
    /// Every difference, by command in spec order, then added commands.
    pub drifts: Vec<Drift>,
    /// Removed/added pairs with the same help, positionals and flags: likely renames.
    pub renames: Vec<(Vec<String>, Vec<String>)>,
    /// Remarks that are not drift (stale known-route entries, setup failures).
    pub notes: Vec<String>,
}

impl Diff {
    /// No drift.
    pub fn is_empty(&self) -> bool {
        self.drifts.is_empty()
    }
}

impl fmt::Display for Diff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for d in &self.drifts {
            writeln!(f, "{d}")?;
        }
        for (from, to) in &self.renames {
            writeln!(
                f,
                "? `{}` looks renamed to `{}` (same help, positionals and flags)",
                from.join(" "),
                to.join(" ")
            )?;
        }
        for n in &self.notes {
            writeln!(f, "note: {n}")?;
        }
        Ok(())
    }
}

fn show(v: &Option<String>) -> String {
    match v {
        Some(s) => format!("{s:?}"),
        None => "none".into(),
    }
}

fn type_detail(spec: &Spec, spec_ty: &str, binary: &str) -> Option<String> {
    match pflag_type_of(spec, spec_ty) {
        Some(p) if p == binary => None,
        Some(p) => Some(format!(
            "type: spec has {spec_ty} (help would show {p:?}), the binary shows {binary:?}"
        )),
        None => Some(format!(
            "type: spec has {spec_ty}, which has no pflag name in the type table (or the enum has no `pflag`); the binary shows {binary:?}"
        )),
    }
}

/// Compares the spec with the scanned tree.
pub fn compare(spec: &Spec, scanned: &Scanned) -> Diff {
    let mut diff = Diff {
        notes: scanned.notes.clone(),
        ..Diff::default()
    };
    let by_path: HashMap<&[String], &ScannedCommand> = scanned
        .commands
        .iter()
        .map(|c| (c.path.as_slice(), c))
        .collect();
    let in_spec: HashSet<&[String]> = spec.commands.iter().map(|c| c.path.as_slice()).collect();
    let mut removed = Vec::new();
    for cmd in &spec.commands {
        let Some(sc) = by_path.get(cmd.path.as_slice()) else {
            removed.push(cmd);
            diff.drifts.push(Drift::CommandRemoved {
                path: cmd.path.clone(),
            });
            continue;
        };
        let mut ch = |item: String, detail: String| {
            diff.drifts.push(Drift::Changed {
                path: cmd.path.clone(),
                item,
                detail,
            })
        };
        if cmd.help != sc.usage.help {
            ch(
                "help".into(),
                format!("spec {:?}, binary {:?}", cmd.help, sc.usage.help),
            );
        }
        if cmd.advertised != sc.advertised {
            ch(
                "advertised".into(),
                format!(
                    "spec {}, binary {} (its parent's help {} it)",
                    cmd.advertised,
                    sc.advertised,
                    if sc.advertised {
                        "lists"
                    } else {
                        "does not list"
                    }
                ),
            );
        }
        // Positionals, in order; variadic ones are invisible to help.
        let spec_args: Vec<&ArgDef> = cmd.args.iter().filter(|a| !a.variadic).collect();
        let bin_args = sc.args();
        for (i, a) in spec_args.iter().enumerate() {
            let item = format!("arg <{}>", a.name);
            let Some(j) = bin_args.iter().position(|(b, _)| b.name == a.name) else {
                ch(item, "in the spec, not in the binary".into());
                continue;
            };
            let (b, line) = bin_args[j];
            if i != j {
                ch(
                    item.clone(),
                    format!("position: spec {}, binary {}", i + 1, j + 1),
                );
            }
            if a.required != b.required {
                ch(
                    item.clone(),
                    format!(
                        "spec says {}, the binary shows {}",
                        if a.required {
                            "required <..>"
                        } else {
                            "optional [..]"
                        },
                        if b.required {
                            "required <..>"
                        } else {
                            "optional [..]"
                        }
                    ),
                );
            }
            match line {
                None => ch(item, "the binary shows no flag line for it".into()),
                Some(l) => {
                    if let Some(d) = type_detail(spec, &a.ty, &l.pflag_type) {
                        ch(item.clone(), d);
                    }
                    if a.help != l.help {
                        ch(
                            item,
                            format!("help: spec {:?}, binary {:?}", a.help, l.help),
                        );
                    }
                }
            }
        }
        for (b, line) in &bin_args {
            if !spec_args.iter().any(|a| a.name == b.name) {
                ch(
                    format!("arg <{}>", b.name),
                    format!(
                        "in the binary, not in the spec ({}, {})",
                        if b.required { "required" } else { "optional" },
                        line.map(|l| format!("{:?}", l.pflag_type))
                            .unwrap_or_else(|| "no type shown".into())
                    ),
                );
            }
        }
        // Flags, by name (help sorts them).
        let bin_flags = sc.flags();
        for fl in &cmd.flags {
            let item = format!("flag --{}", fl.name);
            let Some(b) = bin_flags.iter().find(|b| b.name == fl.name) else {
                ch(item, "in the spec, not in the binary".into());
                continue;
            };
            if let Some(d) = type_detail(spec, &fl.ty, &b.pflag_type) {
                ch(item.clone(), d);
            }
            if fl.default != b.default {
                ch(
                    item.clone(),
                    format!(
                        "default: spec {}, binary {}",
                        show(&fl.default),
                        show(&b.default)
                    ),
                );
            }
            if fl.help != b.help {
                ch(
                    item,
                    format!("help: spec {:?}, binary {:?}", fl.help, b.help),
                );
            }
        }
        for b in &bin_flags {
            if !cmd.flags.iter().any(|f| f.name == b.name) {
                ch(
                    format!("flag --{}", b.name),
                    format!(
                        "in the binary, not in the spec (type {:?}, default {}, help {:?})",
                        b.pflag_type,
                        show(&b.default),
                        b.help
                    ),
                );
            }
        }
    }
    let mut added = Vec::new();
    for sc in &scanned.commands {
        if !in_spec.contains(sc.path.as_slice()) {
            added.push(sc);
            diff.drifts.push(Drift::CommandAdded {
                path: sc.path.clone(),
                advertised: sc.advertised,
            });
        }
    }
    for (path, error) in &scanned.unroutable {
        diff.drifts.push(Drift::Unroutable {
            path: path.clone(),
            error: error.clone(),
        });
    }
    for (path, error) in &scanned.extras_gone {
        diff.drifts.push(Drift::ExtraGone {
            path: path.clone(),
            error: error.clone(),
        });
    }
    let shape = |help: &str, args: Vec<String>, mut flags: Vec<String>| {
        flags.sort();
        (help.to_string(), args, flags)
    };
    for r in &removed {
        let want = shape(
            &r.help,
            r.args
                .iter()
                .filter(|a| !a.variadic)
                .map(|a| a.name.clone())
                .collect(),
            r.flags.iter().map(|f| f.name.clone()).collect(),
        );
        if let Some(a) = added.iter().find(|a| {
            shape(
                &a.usage.help,
                a.usage.args.iter().map(|x| x.name.clone()).collect(),
                a.flags().iter().map(|f| f.name.clone()).collect(),
            ) == want
        }) {
            diff.renames.push((r.path.clone(), a.path.clone()));
        }
    }
    diff
}

// ---------------------------------------------------------------------------------------------
// --write

/// What [`update_spec`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Update {
    /// Commands added (marked `review = true`).
    pub added: Vec<Vec<String>>,
    /// Commands removed.
    pub removed: Vec<Vec<String>>,
    /// Commands whose help-visible parts changed.
    pub changed: Vec<Vec<String>>,
    /// pflag type names the tables do not know (written as `string`, command marked for review).
    pub unknown_types: Vec<String>,
}

/// The spec brought in line with the binary: commands the binary lacks are dropped; new ones
/// are inserted after the last command sharing the longest path prefix, marked
/// `review = true`; for the others the help-visible parts (help, advertised, positionals,
/// flags) are taken from the binary while results, `long_running`, `steppable`, `notes`,
/// `alias_of` and variadic positionals stay. Spec types are kept while their pflag name
/// matches; otherwise the first type-table row of the binary's pflag name is used.
pub fn update_spec(spec: &Spec, scanned: &Scanned) -> (Spec, Update) {
    let mut up = Update::default();
    let by_path: HashMap<&[String], &ScannedCommand> = scanned
        .commands
        .iter()
        .map(|c| (c.path.as_slice(), c))
        .collect();
    let mut unknown = |pflag: &str, review: &mut bool| -> String {
        match spec_type_of(spec, pflag) {
            Some(t) => t,
            None => {
                *review = true;
                if !up.unknown_types.iter().any(|u| u == pflag) {
                    up.unknown_types.push(pflag.to_string());
                }
                "string".into()
            }
        }
    };
    let mut out: Vec<CommandDef> = Vec::new();
    let mut changed = Vec::new();
    for cmd in &spec.commands {
        let Some(sc) = by_path.get(cmd.path.as_slice()) else {
            up.removed.push(cmd.path.clone());
            continue;
        };
        let mut new = cmd.clone();
        new.help = sc.usage.help.clone();
        new.advertised = sc.advertised;
        let mut review = new.review;
        let mut args = Vec::new();
        for (b, line) in sc.args() {
            let old = cmd.args.iter().find(|a| a.name == b.name && !a.variadic);
            let pflag = line.map(|l| l.pflag_type.as_str()).unwrap_or("string");
            let ty = match old {
                Some(o) if pflag_type_of(spec, &o.ty).as_deref() == Some(pflag) => o.ty.clone(),
                _ => unknown(pflag, &mut review),
            };
            args.push(ArgDef {
                name: b.name.clone(),
                ty,
                required: b.required,
                variadic: false,
                help: line.map(|l| l.help.clone()).unwrap_or_default(),
            });
        }
        args.extend(cmd.args.iter().filter(|a| a.variadic).cloned());
        new.args = args;
        let bin_flags = sc.flags();
        let mut flags = Vec::new();
        for f in &cmd.flags {
            if let Some(b) = bin_flags.iter().find(|b| b.name == f.name) {
                let ty = if pflag_type_of(spec, &f.ty).as_deref() == Some(b.pflag_type.as_str()) {
                    f.ty.clone()
                } else {
                    unknown(&b.pflag_type, &mut review)
                };
                flags.push(FlagDef {
                    name: f.name.clone(),
                    ty,
                    default: b.default.clone(),
                    help: b.help.clone(),
                });
            }
        }
        for b in &bin_flags {
            if !cmd.flags.iter().any(|f| f.name == b.name) {
                flags.push(FlagDef {
                    name: b.name.clone(),
                    ty: unknown(&b.pflag_type, &mut review),
                    default: b.default.clone(),
                    help: b.help.clone(),
                });
            }
        }
        new.flags = flags;
        new.review = review;
        if new != *cmd {
            changed.push(new.path.clone());
        }
        out.push(new);
    }
    for sc in &scanned.commands {
        if spec.commands.iter().any(|c| c.path == sc.path) {
            continue;
        }
        let mut review = true;
        let args = sc
            .args()
            .into_iter()
            .map(|(b, line)| ArgDef {
                name: b.name.clone(),
                ty: unknown(
                    line.map(|l| l.pflag_type.as_str()).unwrap_or("string"),
                    &mut review,
                ),
                required: b.required,
                variadic: false,
                help: line.map(|l| l.help.clone()).unwrap_or_default(),
            })
            .collect();
        let flags = sc
            .flags()
            .into_iter()
            .map(|b| FlagDef {
                name: b.name.clone(),
                ty: unknown(&b.pflag_type, &mut review),
                default: b.default.clone(),
                help: b.help.clone(),
            })
            .collect();
        let new = CommandDef {
            path: sc.path.clone(),
            help: sc.usage.help.clone(),
            advertised: sc.advertised,
            alias_of: sc.alias_of.clone(),
            review,
            args,
            flags,
            ..CommandDef::default()
        };
        // After the scanned command before it (in help order) that shares the longest path
        // prefix with it and is in the spec; else after the last spec command with the longest
        // common prefix; else at the end.
        let common = |p: &[String]| p.iter().zip(&new.path).take_while(|(a, b)| a == b).count();
        let k = scanned
            .commands
            .iter()
            .position(|c| c.path == new.path)
            .expect("scanned");
        // (`max_by_key` keeps the last of equal keys: the nearest one.)
        let anchor = scanned.commands[..k]
            .iter()
            .filter(|c| out.iter().any(|o| o.path == c.path))
            .max_by_key(|c| common(&c.path))
            .filter(|c| common(&c.path) > 0)
            .and_then(|c| out.iter().position(|o| o.path == c.path));
        let best = out.iter().map(|c| common(&c.path)).max().unwrap_or(0);
        let at = match anchor {
            Some(i) => i + 1,
            None if best > 0 => {
                out.iter()
                    .rposition(|c| common(&c.path) == best)
                    .expect("max exists")
                    + 1
            }
            None => out.len(),
        };
        up.added.push(new.path.clone());
        out.insert(at, new);
    }
    up.changed = changed;
    (
        Spec {
            commands: out,
            ..spec.clone()
        },
        up,
    )
}

#[derive(Serialize)]
struct OneCommand<'a> {
    command: [&'a CommandDef; 1],
}

/// One `[[command]]` table as TOML. Empty `arg`/`flag`/`result` lists are left out (the
/// spec's default); with `indent`, the sub-tables are indented by two spaces like the first
/// group of commands.toml (unless a multi-line string makes indentation unsafe).
fn render_command(cmd: &CommandDef, indent: bool) -> Result<String, String> {
    let text = toml::to_string(&OneCommand { command: [cmd] }).map_err(|e| e.to_string())?;
    let mut out = String::new();
    let mut in_sub = false;
    let indent = indent && !text.contains("\"\"\"") && !text.contains("'''");
    for line in text.split_inclusive('\n') {
        let t = line.trim_end();
        if t.starts_with("[[command.") {
            in_sub = true;
        }
        if !in_sub && matches!(t, "arg = []" | "flag = []" | "result = []") {
            continue;
        }
        if indent && in_sub && !t.is_empty() {
            out.push_str("  ");
        }
        out.push_str(line);
    }
    Ok(out)
}

/// The new text of a spec file: `original` (the text `old` was parsed from) with only the
/// commands that differ between `old` and `new` rewritten (serialized from the model), removed
/// ones cut and added ones inserted where `new` has them; the header comment, the top-level
/// keys, the section comments and every unchanged command stay byte for byte. If the text
/// cannot be split that way, everything after the header comment is rewritten from `new`.
/// Either way the result is checked to parse back to `new`.
pub fn render_spec(original: &str, old: &Spec, new: &Spec) -> Result<String, String> {
    let text = match render_in_place(original, old, new) {
        Some(t) if Spec::parse(&t, "rendered").as_ref() == Ok(new) => t,
        _ => {
            let header: String = original
                .split_inclusive('\n')
                .take_while(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
                .collect();
            let body = toml::to_string(new).map_err(|e| e.to_string())?;
            format!("{header}{body}")
        }
    };
    match Spec::parse(&text, "rendered") {
        Ok(s) if s == *new => Ok(text),
        Ok(_) => Err("the rewritten spec does not read back as the updated spec".into()),
        Err(e) => Err(format!(
            "the rewritten spec does not parse: {}",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

fn render_in_place(original: &str, old: &Spec, new: &Spec) -> Option<String> {
    if old.rumor_version != new.rumor_version || old.enums != new.enums {
        return None;
    }
    let lines: Vec<&str> = original.split_inclusive('\n').collect();
    let heads: Vec<usize> = (0..lines.len())
        .filter(|i| lines[*i].trim() == "[[command]]")
        .collect();
    if heads.len() != old.commands.len() {
        return None;
    }
    let preamble: String = lines[..heads.first().copied().unwrap_or(lines.len())].concat();
    // Each chunk: body up to its last line that is not blank or a comment; trailer: the rest.
    let mut chunks = Vec::new();
    for (k, &h) in heads.iter().enumerate() {
        let end = heads.get(k + 1).copied().unwrap_or(lines.len());
        let mut body_end = end;
        while body_end > h + 1 {
            let l = lines[body_end - 1].trim();
            if l.is_empty() || l.starts_with('#') {
                body_end -= 1;
            } else {
                break;
            }
        }
        chunks.push((lines[h..body_end].concat(), lines[body_end..end].concat()));
    }
    // The commands kept must be in the same relative order.
    let old_index: HashMap<&[String], usize> = old
        .commands
        .iter()
        .enumerate()
        .map(|(i, c)| (c.path.as_slice(), i))
        .collect();
    let mut last: Option<usize> = None;
    let mut attached: BTreeMap<Option<usize>, Vec<&CommandDef>> = BTreeMap::new();
    let mut kept: HashMap<usize, &CommandDef> = HashMap::new();
    for c in &new.commands {
        match old_index.get(c.path.as_slice()) {
            Some(&i) => {
                if last.is_some_and(|l| l >= i) {
                    return None;
                }
                last = Some(i);
                kept.insert(i, c);
            }
            None => attached.entry(last).or_default().push(c),
        }
    }
    let mut out = preamble;
    for c in attached.get(&None).into_iter().flatten() {
        out.push_str(&render_command(c, false).ok()?);
        out.push('\n');
    }
    for (i, (body, trailer)) in chunks.iter().enumerate() {
        // Keep the style of the neighbouring command: indented sub-tables or not.
        let indent = body.contains("\n  [[command.");
        match kept.get(&i) {
            Some(c) if **c == old.commands[i] => out.push_str(body),
            Some(c) => out.push_str(&render_command(c, indent).ok()?),
            None => {}
        }
        for c in attached.get(&Some(i)).into_iter().flatten() {
            if !out.ends_with("\n\n") {
                out.push('\n');
            }
            out.push_str(&render_command(c, indent).ok()?);
        }
        if out.ends_with("\n\n") || out.is_empty() {
            // after a removed command: no second blank line
            out.push_str(trailer.trim_start_matches('\n'));
        } else {
            out.push_str(trailer);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const LISTEN: &str = "(command)\n\nStart listening on given address (see option flags).\n\nFlags/args:\n      --ip ip        If no IP is specified, network interfaces are checked for one.\n      --tcp uint16   If no tcp port is specified, it defaults to the ENR TCP port. (default 9000)\n\n";

    #[test]
    fn parses_a_leaf() {
        let u = parse_usage(LISTEN).unwrap();
        assert!(u.args.is_empty() && u.subs.is_none());
        assert_eq!(
            u.help,
            "Start listening on given address (see option flags)."
        );
        assert_eq!(u.flags.len(), 2);
        assert_eq!(u.flags[1].name, "tcp");
        assert_eq!(u.flags[1].pflag_type, "uint16");
        assert_eq!(u.flags[1].default.as_deref(), Some("9000"));
        assert_eq!(
            u.flags[1].help,
            "If no tcp port is specified, it defaults to the ENR TCP port."
        );
        assert_eq!(u.flags[0].default, None);
    }

    #[test]
    fn parses_types_with_spaces_bools_and_parenthesized_defaults() {
        let text = "(command) <peer-id> [tag]\n\nDo it\n\nFlags/args:\n      --nat                        enable nat (default true)\n      --peer-id Peer ID            the peer\n      --priv P2P Private key       key (default ? (no private key data))\n      --tag string                 a tag\n\n";
        let u = parse_usage(text).unwrap();
        assert_eq!(
            u.args,
            vec![
                UsageArg {
                    name: "peer-id".into(),
                    required: true
                },
                UsageArg {
                    name: "tag".into(),
                    required: false
                }
            ]
        );
        let f = |n: &str| u.flags.iter().find(|f| f.name == n).unwrap().clone();
        assert_eq!(f("nat").pflag_type, "");
        assert_eq!(f("nat").default.as_deref(), Some("true"));
        assert_eq!(f("peer-id").pflag_type, "Peer ID");
        assert_eq!(f("priv").pflag_type, "P2P Private key");
        assert_eq!(
            f("priv").default.as_deref(),
            Some("? (no private key data)")
        );
        assert_eq!(f("priv").help, "key");
    }

    #[test]
    fn parses_a_route_with_a_blank_line_in_its_help() {
        let text = "(command)\n\nLine one.\n\nLine two.\n\nSub commands:\n  host             Manage the libp2p host\n  a-very-long-name-here  Something\n  dv5              Discv5 needs an ENR first. Use 'enr make'.\n\n";
        let u = parse_usage(text).unwrap();
        assert_eq!(u.help, "Line one.\n\nLine two.");
        let subs = u.subs.unwrap();
        let names: Vec<&str> = subs.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["host", "a-very-long-name-here", "dv5"]);
        assert_eq!(subs[2].text, "Discv5 needs an ENR first. Use 'enr make'.");
    }

    #[test]
    fn parses_multi_line_flag_help() {
        let text = "(command)\n\nX\n\nFlags/args:\n      --a string   first line\n                   second line (default \"x\")\n      --b int      other\n\n";
        let u = parse_usage(text).unwrap();
        assert_eq!(u.flags[0].help, "first line\nsecond line");
        assert_eq!(u.flags[0].default.as_deref(), Some("\"x\""));
        assert_eq!(u.flags[1].pflag_type, "int");
    }

    #[test]
    fn rejects_a_text_that_is_not_a_usage() {
        assert!(parse_usage("hello\nworld").is_err());
        assert!(parse_usage("(command) name\n\nX\n\n").is_err());
    }

    #[test]
    fn the_genesis_state_has_the_phase0_mainnet_size() {
        // 2,687,377 fixed bytes, one validator (121) and one balance (8).
        assert_eq!(genesis_state_ssz().len(), 2_687_377 + 121 + 8);
    }

    #[test]
    fn reverse_types_pick_the_generic_one() {
        let mut spec = Spec::default();
        assert_eq!(spec_type_of(&spec, "uint").as_deref(), Some("u64"));
        assert_eq!(
            spec_type_of(&spec, "bytes4").as_deref(),
            Some("fork_digest")
        );
        assert_eq!(spec_type_of(&spec, "RPC compression"), None);
        spec.enums.insert(
            "compression".into(),
            crate::spec::EnumDef {
                values: vec!["none".into()],
                pflag: Some("RPC compression".into()),
                ..Default::default()
            },
        );
        assert_eq!(
            spec_type_of(&spec, "RPC compression").as_deref(),
            Some("compression")
        );
        assert_eq!(
            pflag_type_of(&spec, "compression").as_deref(),
            Some("RPC compression")
        );
        assert_eq!(pflag_type_of(&spec, "multiaddr"), None);
    }
}
