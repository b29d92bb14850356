//! The model of `commands.toml`: plain structs as the file spells them, so tests can build
//! specs in code. [`Spec::validate`](crate::Spec::validate) checks them; the generator works
//! on the resolved form ([`crate::ir`]).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The whole spec: Rumor's command tree.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// The Rumor release the spec describes (a tag such as `v0.3.6`).
    pub rumor_version: String,
    /// Generate commands marked `review = true` (untyped) instead of failing the build.
    #[serde(default, skip_serializing_if = "is_false")]
    pub allow_unreviewed: bool,
    /// Closed sets of words, by name; usable as a type.
    #[serde(default)]
    pub enums: BTreeMap<String, EnumDef>,
    /// Record types, by name: JSON objects with fixed keys that results are typed as.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub records: BTreeMap<String, RecordDef>,
    /// Words that a route's `help` lists but that do not route ("command was not
    /// recognized"); the scan skips them while they keep failing.
    #[serde(default, rename = "dead_route", skip_serializing_if = "Vec::is_empty")]
    pub dead_routes: Vec<DeadRoute>,
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
    /// The pflag type name `help` prints for the Rumor flag type behind it (`RPC
    /// compression`), so the scan can check flags of this type.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pflag: Option<String>,
}

/// A record type: `[records.<name>]`, a JSON object Rumor logs with fixed keys. The generated
/// struct has a field per key and keeps keys it does not name in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordDef {
    /// What it is.
    #[serde(default)]
    pub help: String,
    /// Its keys, in the order the struct lists them.
    #[serde(rename = "field")]
    pub fields: Vec<RecordField>,
}

/// A key of a record: `[[records.<name>.field]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RecordField {
    /// The JSON key.
    pub key: String,
    /// A result type of the vocabulary (not `json`).
    #[serde(rename = "type")]
    pub ty: String,
    /// Not every object has it (or it is `null`).
    #[serde(default, skip_serializing_if = "is_false")]
    pub optional: bool,
    /// Help text.
    #[serde(default)]
    pub help: String,
}

/// A listed word that does not route: `[[dead_route]]`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadRoute {
    /// Its path, as `help` lists it (`{name}` for a runtime route word).
    pub path: Vec<String>,
    /// Why, for the reader.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub why: String,
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
    /// False for routes that work but `help` does not list (the scan asks their `help`
    /// directly).
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub advertised: bool,
    /// Another path this one is an alias of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alias_of: Option<Vec<String>>,
    /// What a user must know.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    /// Added or changed by `scan --write`, not reviewed yet: a build error unless the spec
    /// sets `allow_unreviewed`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub review: bool,
    /// Positional arguments, in order.
    #[serde(default, rename = "arg", skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<ArgDef>,
    /// `--name=value` options.
    #[serde(default, rename = "flag", skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<FlagDef>,
    /// Fields the command logs.
    #[serde(default, rename = "result", skip_serializing_if = "Vec::is_empty")]
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
    /// A type of the vocabulary ([`crate::types`]) or an enum name.
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
    /// A result type of the vocabulary: a built-in, `list<T>`, `map<T>`, a record, an enum, or
    /// `json` (with `json_reason`).
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
    /// For `type = "json"` (and only then): why no fixed type fits (what its shape depends
    /// on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_reason: Option<String>,
}
