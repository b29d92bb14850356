//! The model of `commands.toml`: plain structs, so tests can build specs in code.

use std::collections::{BTreeMap, HashSet};
use std::fmt;

use serde::{Deserialize, Serialize};

/// The whole spec: Rumor's command tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The Rumor release the spec describes (`v0.3.6`).
    pub rumor_version: String,
    /// Closed sets of words, by name; usable as a type.
    #[serde(default)]
    pub enums: BTreeMap<String, EnumDef>,
    /// Every leaf command.
    #[serde(default, rename = "command")]
    pub commands: Vec<CommandDef>,
}

/// An enum type: `[enums.compression]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumDef {
    /// What it is.
    #[serde(default)]
    pub help: String,
    /// The words it takes.
    pub values: Vec<String>,
}

/// One leaf command: `[[command]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommandDef {
    /// Words after the actor; `{name}` marks a runtime route word.
    pub path: Vec<String>,
    /// Rumor's help text.
    #[serde(default)]
    pub help: String,
    /// The call stays open after setup until cancelled.
    #[serde(default)]
    pub long_running: bool,
    /// The command offers steps (`next`).
    #[serde(default)]
    pub steppable: bool,
    /// False for routes that work but `help` does not list.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub advertised: bool,
    /// Another path this one is an alias of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<Vec<String>>,
    /// What a user must know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Added by `scan --write`, not reviewed yet.
    #[serde(default, skip_serializing_if = "is_false")]
    pub review: bool,
    /// Positional arguments, in order.
    #[serde(default, rename = "arg")]
    pub args: Vec<ArgDef>,
    /// `--name=value` options.
    #[serde(default, rename = "flag")]
    pub flags: Vec<FlagDef>,
    /// Fields the command logs.
    #[serde(default, rename = "result")]
    pub results: Vec<ResultDef>,
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}
fn is_false(b: &bool) -> bool {
    !*b
}

/// A positional argument: `[[command.arg]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ArgDef {
    /// Name, as in `<name>`.
    pub name: String,
    /// A type of the vocabulary.
    #[serde(rename = "type")]
    pub ty: String,
    /// `<name>` (true) or `[name]` (false).
    #[serde(default)]
    pub required: bool,
    /// Takes any number of bare words at the end of the command line (no `ask` tag backs it,
    /// so it cannot be given as a flag and `help` does not show it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub variadic: bool,
    /// Help text.
    #[serde(default)]
    pub help: String,
}

/// A flag: `[[command.flag]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FlagDef {
    /// Name without dashes.
    pub name: String,
    /// A type of the vocabulary.
    #[serde(rename = "type")]
    pub ty: String,
    /// The default as `help` prints it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<String>,
    /// Help text.
    #[serde(default)]
    pub help: String,
}

/// When a result field is logged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum When {
    /// Before `__success`.
    #[default]
    Setup,
    /// While a `next` runs a step.
    Step,
    /// Later, from a long-running call.
    Background,
}

/// A result field: `[[command.result]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultDef {
    /// The JSON key.
    pub key: String,
    /// A type of the vocabulary, or `json`.
    #[serde(rename = "type")]
    pub ty: String,
    /// When it is logged.
    #[serde(default)]
    pub when: When,
    /// Not every run logs it.
    #[serde(default)]
    pub optional: bool,
    /// One run logs it in several entries.
    #[serde(default)]
    pub repeated: bool,
    /// Help text.
    #[serde(default)]
    pub help: String,
}

/// The scalar and named types of the vocabulary (enums come on top, from `[enums]`).
pub const TYPES: &[&str] = &[
    "string",
    "bool",
    "u8",
    "u16",
    "u32",
    "u64",
    "i32",
    "i64",
    "f64",
    "duration",
    "hex",
    "root",
    "root_list",
    "fork_digest",
    "version",
    "attnets",
    "slot",
    "epoch",
    "seq_nr",
    "peer_id",
    "multiaddr",
    "enr",
    "enode",
    "enr_or_enode",
    "flex_addr",
    "node_id",
    "node_id_flex",
    "priv_key",
    "ip",
    "string_list",
];

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

impl Spec {
    /// Parses and validates spec text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: &str) -> Result<Spec, Vec<SpecError>> {
        let spec: Spec = toml::from_str(text).map_err(|e| {
            vec![SpecError {
                place: origin.to_string(),
                message: e.to_string().trim_end().to_string(),
            }]
        })?;
        spec.validate(origin)?;
        Ok(spec)
    }

    /// Reads, parses and validates a spec file.
    pub fn load(path: &std::path::Path) -> Result<Spec, Vec<SpecError>> {
        let origin = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| {
            vec![SpecError {
                place: origin.clone(),
                message: format!("cannot read the spec: {e}"),
            }]
        })?;
        Spec::parse(&text, &origin)
    }

    /// Checks names, types and duplicates. All problems are reported, not only the first.
    pub fn validate(&self, origin: &str) -> Result<(), Vec<SpecError>> {
        let mut errors = Vec::new();
        let mut err = |place: String, message: String| errors.push(SpecError { place, message });
        if self.rumor_version.is_empty() {
            err(
                origin.into(),
                "`rumor_version` is missing (e.g. rumor_version = \"v0.3.6\")".into(),
            );
        }
        for (name, e) in &self.enums {
            if !is_word(name) {
                err(
                    format!("{origin}: enums.{name}"),
                    "an enum name is lowercase letters, digits and '_'".into(),
                );
            }
            if TYPES.contains(&name.as_str()) || name == "json" {
                err(
                    format!("{origin}: enums.{name}"),
                    "this name is already a built-in type; pick another".into(),
                );
            }
            if e.values.is_empty() {
                err(
                    format!("{origin}: enums.{name}"),
                    "`values` is empty; list the words the enum takes".into(),
                );
            }
            let mut seen = HashSet::new();
            for v in &e.values {
                if !seen.insert(v) {
                    err(
                        format!("{origin}: enums.{name}"),
                        format!("value {v:?} is listed twice"),
                    );
                }
                if v.is_empty()
                    || !v
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    err(
                        format!("{origin}: enums.{name}"),
                        format!("value {v:?} must be ASCII letters, digits, '-' or '_'"),
                    );
                }
            }
        }
        let known = |ty: &str, result: bool| {
            TYPES.contains(&ty) || self.enums.contains_key(ty) || (result && ty == "json")
        };
        let expected = || {
            let mut all: Vec<&str> = TYPES.to_vec();
            all.extend(self.enums.keys().map(String::as_str));
            all.join(", ")
        };
        let mut paths = HashSet::new();
        for cmd in &self.commands {
            let at = format!("{origin}: {}", cmd.path.join(" "));
            if cmd.path.is_empty() {
                err(
                    format!("{origin}: [[command]]"),
                    "`path` is empty; give the command's words, e.g. [\"host\", \"view\"]".into(),
                );
                continue;
            }
            for w in &cmd.path {
                if w != "{name}" && !is_route_word(w) {
                    err(at.clone(), format!("path word {w:?} must be lowercase letters, digits and '-' (or the placeholder \"{{name}}\")"));
                }
            }
            if cmd.path.first().is_some_and(|w| w == "{name}") {
                err(at.clone(), "a path cannot start with \"{name}\"".into());
            }
            if !paths.insert(cmd.path.clone()) {
                err(
                    at.clone(),
                    "this path is listed twice; merge the two [[command]] tables".into(),
                );
            }
            if cmd.steppable && !cmd.long_running {
                err(at.clone(), "steppable commands are long-running in Rumor (steps need an open call); set long_running = true".into());
            }
            let mut names = HashSet::new();
            for a in &cmd.args {
                let place = format!("{at}: arg {}", a.name);
                if !is_flag_name(&a.name) {
                    err(
                        place.clone(),
                        "an argument name is letters, digits and '-'".into(),
                    );
                }
                if !names.insert(a.name.clone()) {
                    err(place.clone(), "this name is used twice in the command (args and flags share one namespace)".into());
                }
                if !known(&a.ty, false) {
                    err(
                        place,
                        format!("unknown type {:?} (expected one of {})", a.ty, expected()),
                    );
                }
            }
            for (i, a) in cmd.args.iter().enumerate() {
                if a.variadic && (a.required || i + 1 != cmd.args.len()) {
                    err(
                        format!("{at}: arg {}", a.name),
                        "a variadic argument must be the last one and not required".into(),
                    );
                }
            }
            let mut optional_seen = false;
            for a in &cmd.args {
                if !a.required {
                    optional_seen = true;
                } else if optional_seen {
                    err(
                        format!("{at}: arg {}", a.name),
                        "a required argument cannot follow an optional one".into(),
                    );
                }
            }
            for f in &cmd.flags {
                let place = format!("{at}: flag {}", f.name);
                if !is_flag_name(&f.name) {
                    err(
                        place.clone(),
                        "a flag name is letters, digits and '-', without the dashes in front"
                            .into(),
                    );
                }
                if !names.insert(f.name.clone()) {
                    err(place.clone(), "this name is used twice in the command (args and flags share one namespace)".into());
                }
                if !known(&f.ty, false) {
                    err(
                        place,
                        format!("unknown type {:?} (expected one of {})", f.ty, expected()),
                    );
                }
            }
            let mut keys = HashSet::new();
            for r in &cmd.results {
                let place = format!("{at}: result {}", r.key);
                if r.key.is_empty() {
                    err(place.clone(), "`key` is empty".into());
                }
                if !keys.insert((r.key.clone(), r.when)) {
                    err(
                        place.clone(),
                        "this key is listed twice for the same `when`".into(),
                    );
                }
                if !known(&r.ty, true) {
                    err(
                        place.clone(),
                        format!(
                            "unknown type {:?} (expected json or one of {})",
                            r.ty,
                            expected()
                        ),
                    );
                }
                if r.when == When::Step && !cmd.steppable {
                    err(
                        place.clone(),
                        "when = \"step\" on a command that is not steppable".into(),
                    );
                }
                if r.when == When::Background && !cmd.long_running {
                    err(
                        place,
                        "when = \"background\" on a command that is not long_running".into(),
                    );
                }
            }
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_route_word(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_flag_name(s: &str) -> bool {
    !s.is_empty()
        && s.starts_with(|c: char| c.is_ascii_alphabetic())
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
rumor_version = "v0.3.6"
[[command]]
path = ["host", "listen"]
[[command.flag]]
name = "tcp"
type = "u16"
"#;

    #[test]
    fn parses_a_small_spec() {
        let spec = Spec::parse(GOOD, "t.toml").unwrap();
        assert_eq!(spec.commands[0].flags[0].ty, "u16");
        assert!(spec.commands[0].advertised);
    }

    #[test]
    fn names_the_place_and_the_fix() {
        let bad = GOOD.replace("u16", "u61");
        let errs = Spec::parse(&bad, "commands.toml").unwrap_err();
        assert_eq!(errs.len(), 1);
        let text = errs[0].to_string();
        assert!(text.starts_with("commands.toml: host listen: flag tcp: unknown type \"u61\" (expected one of string, bool"), "{text}");
    }

    #[test]
    fn rejects_unknown_keys_and_duplicates() {
        let errs = Spec::parse(
            &GOOD.replace("type = \"u16\"", "type = \"u16\"\ncolour = 1"),
            "c.toml",
        )
        .unwrap_err();
        assert!(errs[0].message.contains("colour"), "{errs:?}");
        let twice = format!("{GOOD}\n[[command]]\npath = [\"host\", \"listen\"]\n");
        let errs = Spec::parse(&twice, "c.toml").unwrap_err();
        assert!(errs[0].message.contains("listed twice"), "{errs:?}");
    }
}
