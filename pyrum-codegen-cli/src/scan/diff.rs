//! Comparing the spec with the scanned tree: commands added or removed; positionals and flags
//! added, removed, or with another type, default or help; the command help; whether `help`
//! lists it.

use std::collections::{HashMap, HashSet};
use std::fmt;

use pyrum_codegen::{ArgDef, Spec};

use super::{Scanned, ScannedCommand};

/// One difference between the spec and the binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Drift {
    /// A leaf the binary has and the spec lacks.
    CommandAdded {
        /// Its path.
        path: Vec<String>,
        /// Listed by help (false: an unlisted route named by `--probe`).
        advertised: bool,
    },
    /// A leaf the spec has and the binary lacks.
    CommandRemoved {
        /// Its path.
        path: Vec<String>,
        /// For a command the spec marks unlisted: the error that asking its `help` gave.
        error: Option<String>,
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
    /// A listed route whose routing fails, and that the spec does not list as dead.
    Unroutable {
        /// Its path.
        path: Vec<String>,
        /// The routing error.
        error: String,
    },
    /// The binary is another Rumor release than `rumor_version`.
    Version {
        /// The spec's `rumor_version`.
        spec: String,
        /// The binary's.
        binary: String,
    },
    /// A `[[dead_route]]` of the spec that `help` no longer lists, or that routes now.
    DeadRouteGone {
        /// Its path.
        path: Vec<String>,
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
                    " (not listed by help; probed)"
                }
            ),
            Drift::CommandRemoved { path, error } => write!(
                f,
                "- {}: command in the spec, not in the binary{}",
                path.join(" "),
                match error {
                    Some(e) => format!(" (unlisted, and asking its help fails: {e})"),
                    None => String::new(),
                }
            ),
            Drift::Changed { path, item, detail } => {
                write!(f, "~ {}: {item}: {detail}", path.join(" "))
            }
            Drift::Unroutable { path, error } => write!(
                f,
                "! {}: listed by help but routing it fails: {error}",
                path.join(" ")
            ),
            Drift::Version { spec, binary } => {
                write!(f, "~ rumor_version: spec {spec}, binary {binary}")
            }
            Drift::DeadRouteGone { path } => write!(
                f,
                "! {}: a dead route of the spec, but help no longer lists it or it routes now",
                path.join(" ")
            ),
        }
    }
}

/// The result of [`compare`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Diff {
    /// Every difference, by command in spec order, then added commands.
    pub(crate) drifts: Vec<Drift>,
    /// Removed/added pairs with the same help, positionals and flags: likely renames.
    pub(crate) renames: Vec<(Vec<String>, Vec<String>)>,
    /// Remarks that are not drift (setup failures, routes with flags of their own).
    pub(crate) notes: Vec<String>,
}

impl Diff {
    /// No drift.
    pub(crate) fn is_empty(&self) -> bool {
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
    match spec.pflag_name(spec_ty) {
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
pub(crate) fn compare(spec: &Spec, scanned: &Scanned) -> Diff {
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
    if let Some(v) = scanned
        .version
        .as_ref()
        .filter(|v| **v != spec.rumor_version)
    {
        diff.drifts.push(Drift::Version {
            spec: spec.rumor_version.clone(),
            binary: v.clone(),
        });
    }
    let mut removed = Vec::new();
    for cmd in &spec.commands {
        let Some(sc) = by_path.get(cmd.path.as_slice()) else {
            removed.push(cmd);
            let error = scanned
                .unlisted_gone
                .iter()
                .find(|(p, _)| *p == cmd.path)
                .map(|(_, e)| e.clone());
            diff.drifts.push(Drift::CommandRemoved {
                path: cmd.path.clone(),
                error,
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
    for path in &scanned.dead_gone {
        diff.drifts
            .push(Drift::DeadRouteGone { path: path.clone() });
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
