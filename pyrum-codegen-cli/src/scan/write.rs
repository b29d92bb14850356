//! `scan --write`: the spec brought in line with the binary ([`update_spec`]), and the spec
//! file edited to match ([`render_spec`]): only what changed is touched, with `toml_edit`, so
//! comments, order and quoting stay and writing twice gives the same bytes.

use std::collections::HashMap;

use pyrum_codegen::{ArgDef, CommandDef, DeadRoute, FlagDef, Spec};
use serde::Serialize;
use toml_edit::{ArrayOfTables, DocumentMut, Item, Table, Value};

use super::{Scanned, ScannedCommand};

/// What [`update_spec`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Update {
    /// Commands added (marked `review = true`).
    pub(crate) added: Vec<Vec<String>>,
    /// Commands removed.
    pub(crate) removed: Vec<Vec<String>>,
    /// Commands whose help-visible parts changed (marked `review = true`).
    pub(crate) changed: Vec<Vec<String>>,
    /// Dead routes added (listed, but routing fails) and removed (listed no more, or routes).
    pub(crate) dead_added: Vec<Vec<String>>,
    /// See `dead_added`.
    pub(crate) dead_removed: Vec<Vec<String>>,
    /// pflag type names the tables do not know (written as `string`, command marked for review).
    pub(crate) unknown_types: Vec<String>,
}

/// The spec brought in line with the binary: commands the binary lacks are dropped; new ones
/// are inserted after the last command sharing the longest path prefix; for the others the
/// help-visible parts (help, advertised, positionals, flags) are taken from the binary while
/// results, `long_running`, `steppable`, `notes`, `alias_of` and variadic positionals stay.
/// New flags go last (help sorts flags by name, so their place in the source order is for the
/// review). New and changed commands are marked `review = true`. Spec types are kept while
/// their pflag name matches; otherwise the first type-table row of the binary's pflag name is
/// used. Dead routes follow the scan; `version` (the binary's Rumor release, when known)
/// becomes `rumor_version`.
pub(crate) fn update_spec(spec: &Spec, scanned: &Scanned, version: Option<&str>) -> (Spec, Update) {
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
            new.review = true;
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
    let mut dead_routes: Vec<DeadRoute> = spec
        .dead_routes
        .iter()
        .filter(|d| !scanned.dead_gone.contains(&d.path))
        .cloned()
        .collect();
    up.dead_removed = scanned.dead_gone.clone();
    for (path, error) in &scanned.unroutable {
        if error.contains("command was not recognized") {
            up.dead_added.push(path.clone());
            dead_routes.push(DeadRoute {
                path: path.clone(),
                why: format!("listed by `help`, but routing it fails: {error}"),
            });
        }
    }
    (
        Spec {
            rumor_version: version.map_or_else(|| spec.rumor_version.clone(), str::to_string),
            dead_routes,
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

/// The new text of a spec file: `original` (the text `old` was parsed from) edited to hold
/// `new`. Only what differs is touched: changed values are replaced in place (keeping their
/// key's formatting), removed commands and sub-tables are cut (a section comment above a
/// removed command moves to the next one), added ones are inserted where `new` has them, in the
/// indentation of their neighbours. The result is checked to parse back to `new`.
pub(crate) fn render_spec(original: &str, old: &Spec, new: &Spec) -> Result<String, String> {
    let mut doc: DocumentMut = original
        .parse()
        .map_err(|e| format!("the spec is not TOML that toml_edit reads: {e}"))?;
    if old.rumor_version != new.rumor_version {
        set(
            doc.as_table_mut(),
            "rumor_version",
            Value::from(new.rumor_version.as_str()),
        );
    }
    if old.dead_routes != new.dead_routes {
        edit_dead_routes(&mut doc, new)?;
    }
    edit_commands(&mut doc, old, new)?;
    let text = doc.to_string();
    match Spec::parse(&text, "rendered") {
        Ok(s) if s == *new => Ok(text),
        Ok(s) => {
            let first = s
                .commands
                .iter()
                .zip(&new.commands)
                .find(|(a, b)| a != b)
                .map(|(a, _)| a.path.join(" "))
                .unwrap_or_else(|| "the top-level keys".into());
            Err(format!("the rewritten spec does not read back as the updated spec (at `{first}`; a bug of pyrum-codegen scan --write; the file was not written)"))
        }
        Err(e) => Err(format!(
            "the rewritten spec does not parse ({}); the file was not written",
            e.iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
                .join("; ")
        )),
    }
}

/// Replaces a value, keeping the formatting around it; inserts it (at the end) if missing.
/// True when it inserted.
fn set(table: &mut Table, key: &str, value: Value) -> bool {
    match table.get_mut(key).and_then(Item::as_value_mut) {
        Some(old) => {
            let decor = old.decor().clone();
            *old = value;
            *old.decor_mut() = decor;
            false
        }
        None => {
            table.insert(key, Item::Value(value));
            true
        }
    }
}

/// Sets or removes an optional value. True when it inserted.
fn set_opt(table: &mut Table, key: &str, value: Option<Value>) -> bool {
    match value {
        Some(v) => set(table, key, v),
        None => {
            table.remove(key);
            false
        }
    }
}

/// Puts the keys of `table` in the order the spec writes them (keys not listed keep their
/// place after the listed ones), after a key was inserted at the end.
fn order_keys(table: &mut Table, order: &[&str]) {
    let rank = |k: &str| order.iter().position(|o| *o == k).unwrap_or(order.len());
    let keys: Vec<usize> = table.iter().map(|(k, _)| rank(k)).collect();
    if keys.windows(2).any(|w| w[0] > w[1]) {
        table.sort_values_by(|k1, _, k2, _| rank(k1.get()).cmp(&rank(k2.get())));
    }
}

const ARG_KEYS: &[&str] = &["name", "type", "required", "variadic", "help"];
const FLAG_KEYS: &[&str] = &["name", "type", "default", "help"];

fn words(path: &[String]) -> Value {
    Value::Array(path.iter().map(String::as_str).collect())
}

fn path_of(table: &Table) -> Vec<String> {
    table
        .get("path")
        .and_then(Item::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn edit_dead_routes(doc: &mut DocumentMut, new: &Spec) -> Result<(), String> {
    let root = doc.as_table_mut();
    if !root.contains_key("dead_route") {
        // Before the commands: a table without a position is written after the tables
        // before it in the document's order.
        root.insert("dead_route", Item::ArrayOfTables(ArrayOfTables::new()));
        root.sort_values_by(|k1, _, k2, _| (k1.get() == "command").cmp(&(k2.get() == "command")));
    }
    let arr = root
        .get_mut("dead_route")
        .and_then(Item::as_array_of_tables_mut)
        .ok_or("`dead_route` is not an array of tables")?;
    arr.retain(|t| new.dead_routes.iter().any(|d| d.path == path_of(t)));
    for d in &new.dead_routes {
        if arr.iter().any(|t| path_of(t) == d.path) {
            continue;
        }
        let mut t = Table::new();
        t.insert("path", Item::Value(words(&d.path)));
        if !d.why.is_empty() {
            t.insert("why", Item::Value(Value::from(d.why.as_str())));
        }
        arr.push(t);
    }
    Ok(())
}

fn edit_commands(doc: &mut DocumentMut, old: &Spec, new: &Spec) -> Result<(), String> {
    let new_by_path: HashMap<&[String], &CommandDef> = new
        .commands
        .iter()
        .map(|c| (c.path.as_slice(), c))
        .collect();
    let old_by_path: HashMap<&[String], &CommandDef> = old
        .commands
        .iter()
        .map(|c| (c.path.as_slice(), c))
        .collect();
    let Some(arr) = doc
        .as_table_mut()
        .get_mut("command")
        .and_then(Item::as_array_of_tables_mut)
    else {
        if new.commands.is_empty() {
            return Ok(());
        }
        return Err("the spec has no [[command]] tables to edit".into());
    };
    // Removed commands; a comment above one moves to the next command.
    let mut i = 0;
    while i < arr.len() {
        let path = path_of(arr.get(i).expect("in range"));
        if new_by_path.contains_key(path.as_slice()) {
            i += 1;
            continue;
        }
        let removed = arr.remove(i);
        let prefix = removed
            .decor()
            .prefix()
            .and_then(|p| p.as_str())
            .unwrap_or("")
            .to_string();
        if prefix.contains('#') {
            if let Some(next) = arr.get_mut(i) {
                let own = next.decor().prefix().and_then(|p| p.as_str()).unwrap_or("");
                if !own.contains('#') {
                    next.decor_mut().set_prefix(prefix);
                }
            }
        }
    }
    // Changed commands, in place.
    for t in arr.iter_mut() {
        let path = path_of(t);
        let (Some(o), Some(n)) = (
            old_by_path.get(path.as_slice()),
            new_by_path.get(path.as_slice()),
        ) else {
            continue;
        };
        if o != n {
            edit_command(t, o, n)?;
        }
    }
    // Added commands, after the command `new` has before them.
    for (k, c) in new.commands.iter().enumerate() {
        if old_by_path.contains_key(c.path.as_slice()) {
            continue;
        }
        let at = match k {
            0 => 0,
            _ => {
                let before = &new.commands[k - 1].path;
                arr.iter()
                    .position(|t| &path_of(t) == before)
                    .map_or(arr.len(), |i| i + 1)
            }
        };
        let indent = at
            .checked_sub(1)
            .and_then(|i| arr.get(i))
            .is_some_and(indented);
        arr.insert(at, command_table(c, indent)?);
    }
    Ok(())
}

/// True when the command's sub-tables are written indented (`  [[command.flag]]`).
fn indented(t: &Table) -> bool {
    ["arg", "flag", "result"].iter().any(|k| {
        t.get(k)
            .and_then(Item::as_array_of_tables)
            .and_then(|a| a.iter().next())
            .and_then(|s| {
                s.decor()
                    .prefix()
                    .and_then(|p| p.as_str())
                    .map(|p| p.ends_with("  "))
            })
            .unwrap_or(false)
    })
}

/// A new `[[command]]` table, serialized from the model, without positions (so it is written
/// where it sits in the array) and indented like its neighbour.
fn command_table(c: &CommandDef, indent: bool) -> Result<Table, String> {
    let text = toml::to_string(&OneCommand { command: [c] }).map_err(|e| e.to_string())?;
    let mut doc: DocumentMut = text.parse().map_err(|e| format!("{e}"))?;
    let mut t = doc
        .as_table_mut()
        .remove("command")
        .and_then(|i| i.into_array_of_tables().ok())
        .and_then(|a| a.into_iter().next())
        .ok_or("a serialized command has a [[command]] table")?;
    t.set_position(None);
    t.decor_mut().set_prefix("\n");
    for key in ["arg", "flag", "result"] {
        let empty = t
            .get(key)
            .and_then(Item::as_array_of_tables)
            .is_some_and(|a| a.is_empty());
        if empty {
            t.remove(key);
            continue;
        }
        if let Some(subs) = t.get_mut(key).and_then(Item::as_array_of_tables_mut) {
            for s in subs.iter_mut() {
                s.set_position(None);
                s.decor_mut().set_prefix(if indent { "\n  " } else { "\n" });
                if indent {
                    let keys: Vec<String> = s.iter().map(|(k, _)| k.to_string()).collect();
                    for k in keys {
                        if let Some(mut key) = s.key_mut(&k) {
                            key.leaf_decor_mut().set_prefix("  ");
                        }
                    }
                }
            }
        }
    }
    Ok(t)
}

/// Edits one `[[command]]` table from `old` to `new` (same path).
fn edit_command(t: &mut Table, old: &CommandDef, new: &CommandDef) -> Result<(), String> {
    if old.help != new.help {
        set(t, "help", Value::from(new.help.as_str()));
    }
    if old.advertised != new.advertised {
        set_opt(
            t,
            "advertised",
            (!new.advertised).then(|| Value::from(false)),
        );
    }
    if old.review != new.review {
        set_opt(t, "review", new.review.then(|| Value::from(true)));
    }
    if old.args != new.args {
        edit_subtables(
            t,
            "arg",
            &old.args,
            &new.args,
            |a| &a.name,
            arg_values,
            ARG_KEYS,
        )?;
    }
    if old.flags != new.flags {
        edit_subtables(
            t,
            "flag",
            &old.flags,
            &new.flags,
            |f| &f.name,
            flag_values,
            FLAG_KEYS,
        )?;
    }
    Ok(())
}

/// The values of an argument as the spec writes them (`None`: left out, the default).
fn arg_values(a: &ArgDef) -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("name", Some(Value::from(a.name.as_str()))),
        ("type", Some(Value::from(a.ty.as_str()))),
        ("required", a.required.then(|| Value::from(true))),
        ("variadic", a.variadic.then(|| Value::from(true))),
        ("help", Some(Value::from(a.help.as_str()))),
    ]
}

fn flag_values(f: &FlagDef) -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("name", Some(Value::from(f.name.as_str()))),
        ("type", Some(Value::from(f.ty.as_str()))),
        ("default", f.default.as_deref().map(Value::from)),
        ("help", Some(Value::from(f.help.as_str()))),
    ]
}

/// Edits the `[[command.<key>]]` sub-tables from `old` to `new`, matched by name: changed
/// values in place, removed ones cut, new ones inserted at their place in `new`.
#[allow(clippy::too_many_arguments)]
fn edit_subtables<T: PartialEq>(
    cmd: &mut Table,
    key: &str,
    old: &[T],
    new: &[T],
    name: impl Fn(&T) -> &String,
    values: impl Fn(&T) -> Vec<(&'static str, Option<Value>)>,
    order: &[&str],
) -> Result<(), String> {
    if !cmd.contains_key(key) {
        cmd.insert(key, Item::ArrayOfTables(ArrayOfTables::new()));
    }
    let indent = indented(cmd);
    let arr = cmd
        .get_mut(key)
        .and_then(Item::as_array_of_tables_mut)
        .ok_or_else(|| format!("`command.{key}` is not an array of tables"))?;
    let sub_name = |t: &Table| t.get("name").and_then(Item::as_str).map(str::to_string);
    arr.retain(|t| new.iter().any(|n| Some(name(n)) == sub_name(t).as_ref()));
    for (k, n) in new.iter().enumerate() {
        let at = arr
            .iter()
            .position(|t| sub_name(t).as_ref() == Some(name(n)));
        let o = old.iter().find(|o| name(o) == name(n));
        match at {
            Some(i) => {
                if o != Some(n) {
                    let t = arr.get_mut(i).expect("in range");
                    let have = o.map(&values).unwrap_or_default();
                    let mut inserted = false;
                    for (key, v) in values(n) {
                        let shown = |v: &Option<Value>| v.as_ref().map(|v| v.to_string());
                        let same = have
                            .iter()
                            .any(|(k, hv)| *k == key && shown(hv) == shown(&v));
                        if !same {
                            inserted |= set_opt(t, key, v);
                        }
                    }
                    if inserted {
                        order_keys(t, order);
                    }
                }
            }
            None => {
                let mut t = Table::new();
                t.decor_mut().set_prefix(if indent { "\n  " } else { "\n" });
                for (key, v) in values(n) {
                    if let Some(v) = v {
                        t.insert(key, Item::Value(v));
                        if indent {
                            if let Some(mut kk) = t.key_mut(key) {
                                kk.leaf_decor_mut().set_prefix("  ");
                            }
                        }
                    }
                }
                let at = if k == 0 {
                    0
                } else {
                    arr.iter()
                        .position(|t| sub_name(t).as_ref() == Some(name(&new[k - 1])))
                        .map_or(arr.len(), |i| i + 1)
                };
                arr.insert(at, t);
            }
        }
    }
    // The order of `new` (a table moved is written where it now sits in the array).
    let order: Vec<Option<String>> = arr.iter().map(sub_name).collect();
    let want: Vec<Option<String>> = new.iter().map(|n| Some(name(n).clone())).collect();
    if order != want {
        let mut tables: Vec<Table> = Vec::new();
        while !arr.is_empty() {
            tables.push(arr.remove(0));
        }
        for w in &want {
            if let Some(i) = tables.iter().position(|t| &sub_name(t) == w) {
                let mut t = tables.remove(i);
                t.set_position(None);
                arr.push(t);
            }
        }
    }
    if arr.is_empty() {
        cmd.remove(key);
    }
    Ok(())
}
