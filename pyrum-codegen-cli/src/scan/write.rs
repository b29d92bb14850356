//! `scan --write`: the spec brought in line with the binary, and its new text.

use std::collections::{BTreeMap, HashMap};

use pyrum_codegen::{ArgDef, CommandDef, FlagDef, Spec};
use serde::Serialize;

use super::{Scanned, ScannedCommand};

/// What [`update_spec`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Update {
    /// Commands added (marked `review = true`).
    pub(crate) added: Vec<Vec<String>>,
    /// Commands removed.
    pub(crate) removed: Vec<Vec<String>>,
    /// Commands whose help-visible parts changed.
    pub(crate) changed: Vec<Vec<String>>,
    /// pflag type names the tables do not know (written as `string`, command marked for review).
    pub(crate) unknown_types: Vec<String>,
}

/// The spec brought in line with the binary: commands the binary lacks are dropped; new ones
/// are inserted after the last command sharing the longest path prefix, marked
/// `review = true`; for the others the help-visible parts (help, advertised, positionals,
/// flags) are taken from the binary while results, `long_running`, `steppable`, `notes`,
/// `alias_of` and variadic positionals stay. Spec types are kept while their pflag name
/// matches; otherwise the first type-table row of the binary's pflag name is used.
pub(crate) fn update_spec(spec: &Spec, scanned: &Scanned) -> (Spec, Update) {
    let mut up = Update::default();
    let by_path: HashMap<&[String], &ScannedCommand> = scanned
        .commands
        .iter()
        .map(|c| (c.path.as_slice(), c))
        .collect();
    let mut unknown = |pflag: &str, review: &mut bool| -> String {
        match spec.type_for_pflag(pflag) {
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
                Some(o) if spec.pflag_name(&o.ty) == Some(pflag) => o.ty.clone(),
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
                let ty = if spec.pflag_name(&f.ty) == Some(b.pflag_type.as_str()) {
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
pub(crate) fn render_spec(original: &str, old: &Spec, new: &Spec) -> Result<String, String> {
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
