//! Reading a usage text as `help` prints it (ask v0.0.5 `CommandDescription.Usage`,
//! rumor-protocol §3.6): a first line `(command) <required> [optional]`, the help string, a
//! `Flags/args:` block from pflag (`--name type   help (default ...)`, sorted by name,
//! positionals included since each is backed by a flag of the same name) and, for routes, a
//! `Sub commands:` block.

/// One positional of a usage's first line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageArg {
    /// The name between the brackets.
    pub name: String,
    /// `<name>` (true) or `[name]` (false).
    pub required: bool,
}

/// One line (with continuations) of the `Flags/args:` block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageFlag {
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
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UsageSub {
    /// The route word.
    pub name: String,
    /// Its help, or the error that building it gave.
    pub text: String,
}

/// A parsed usage text (ask v0.0.5 `CommandDescription.Usage`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Usage {
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
pub(crate) fn parse_usage(text: &str) -> Result<Usage, String> {
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
}
