//! Reading and validating a spec: everything the generator relies on is checked here, so
//! building the IR and emitting code cannot fail on a spec that passed.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;

use crate::error::{Error, SpecError, Unreviewed};
use crate::names::{camel, camel_word, snake, snake_plain};
use crate::spec::{CommandDef, Spec, When};
use crate::types::{Literal, SpecType, ALIASES, BUILTINS, JSON};

/// The word that marks a runtime route word in a path (`blocks on {name} list`).
pub const PLACEHOLDER: &str = "{name}";

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
    pub fn load(path: &Path) -> Result<Spec, Error> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Spec::parse(&text, &path.display().to_string()).map_err(Error::Spec)
    }

    /// Resolves a type name of an argument or flag (`result`: of a result field).
    pub fn resolve(&self, ty: &str, result: bool) -> Option<SpecType> {
        self.resolve_type(ty, result).ok()
    }

    /// Like [`Spec::resolve`], with the reason when the name does not resolve.
    pub fn resolve_type(&self, ty: &str, result: bool) -> Result<SpecType, String> {
        SpecType::parse(ty, &self.names(), result)
    }

    /// The commands marked `review = true`, with what to fill in for each.
    pub fn unreviewed(&self) -> Vec<Unreviewed> {
        self.commands
            .iter()
            .filter(|c| c.review)
            .map(|c| Unreviewed {
                path: c.path.clone(),
                fill_in: vec![
                    if c.results.is_empty() {
                        "its result fields ([[command.result]], none listed yet)"
                    } else {
                        "its result fields ([[command.result]], check the listed ones)"
                    },
                    "long_running (does Run register a stop hook?)",
                    "steppable (does it offer steps to `next`?)",
                ],
            })
            .collect()
    }

    /// Checks names, types, duplicates and the shape of the command tree. All problems are
    /// reported, not only the first.
    pub fn validate(&self, origin: &str) -> Result<(), Vec<SpecError>> {
        let mut v = Validator {
            origin,
            errors: Vec::new(),
        };
        v.top(self);
        v.enums(self);
        v.records(self);
        let mut paths = HashSet::new();
        for cmd in &self.commands {
            v.command(self, cmd, &mut paths);
        }
        v.tree(self);
        v.dead_routes(self);
        if v.errors.is_empty() {
            Ok(())
        } else {
            Err(v.errors)
        }
    }
}

struct Validator<'a> {
    origin: &'a str,
    errors: Vec<SpecError>,
}

impl Validator<'_> {
    fn err(&mut self, place: impl Into<String>, message: impl Into<String>) {
        self.errors.push(SpecError {
            place: place.into(),
            message: message.into(),
        });
    }

    fn at(&self, what: &str) -> String {
        format!("{}: {what}", self.origin)
    }

    fn top(&mut self, spec: &Spec) {
        if spec.rumor_version.is_empty() {
            self.err(
                self.origin.to_string(),
                "`rumor_version` is missing (e.g. rumor_version = \"v0.3.6\")",
            );
        }
    }

    fn enums(&mut self, spec: &Spec) {
        for (name, e) in &spec.enums {
            let at = self.at(&format!("enums.{name}"));
            if !is_word(name) {
                self.err(&at, "an enum name is lowercase letters, digits and '_'");
            }
            if is_builtin_name(name) {
                self.err(&at, "this name is already a built-in type; pick another");
            }
            if e.values.is_empty() {
                self.err(&at, "`values` is empty; list the words the enum takes");
            }
            let mut variants: HashMap<String, &str> = HashMap::new();
            for v in &e.values {
                if v.is_empty()
                    || !v
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    self.err(
                        &at,
                        format!("value {v:?} must be ASCII letters, digits, '-' or '_'"),
                    );
                    continue;
                }
                let variant = camel_word(v);
                if let Some(other) = variants.insert(variant.clone(), v) {
                    if other == v {
                        self.err(&at, format!("value {v:?} is listed twice"));
                    } else {
                        self.err(
                            &at,
                            format!("values {other:?} and {v:?} both become the Rust variant `{variant}`"),
                        );
                    }
                }
                if variant == "Unknown" || variant.starts_with(|c: char| c.is_ascii_digit()) {
                    self.err(
                        &at,
                        format!("value {v:?} cannot be a Rust variant (`Unknown` carries unknown words; variants start with a letter)"),
                    );
                }
            }
            if e.pflag.as_deref() == Some("") {
                self.err(
                    &at,
                    "`pflag` is empty; give the type name `help` prints, or leave it out",
                );
            }
        }
    }

    /// What a type name can be, for messages: arguments take values and lists of them,
    /// results also records, maps and `json`.
    fn expected(spec: &Spec, result: bool) -> String {
        let mut all: Vec<&str> = BUILTINS
            .iter()
            .filter(|r| result || r.fields.is_empty())
            .map(|r| r.name)
            .collect();
        all.push("list<T>");
        if result {
            all.extend(["map<T>", JSON]);
            all.extend(spec.records.keys().map(String::as_str));
        }
        all.extend(spec.enums.keys().map(String::as_str));
        all.join(", ")
    }

    /// An error for a type name that does not resolve: the reason, and for an unknown name
    /// what it can be.
    fn type_err(&mut self, place: &str, spec: &Spec, ty: &str, result: bool) {
        if let Err(e) = spec.resolve_type(ty, result) {
            let msg = if e.starts_with("unknown type") {
                format!("{e} (expected one of {})", Self::expected(spec, result))
            } else {
                e
            };
            self.err(place, msg);
        }
    }

    fn records(&mut self, spec: &Spec) {
        // Type names the generated root already has: the enums, the trait, top-level leaves.
        let mut taken: HashMap<String, String> = HashMap::new();
        for name in spec.enums.keys() {
            taken.insert(
                camel(std::slice::from_ref(name), "").to_string(),
                format!("enum {name}"),
            );
        }
        taken.insert("Commands".into(), "the Commands trait".into());
        for c in spec.commands.iter().filter(|c| c.path.len() == 1) {
            for suffix in ["", "Result", "Call", "Step"] {
                taken.insert(
                    camel(&c.path, suffix).to_string(),
                    format!("command `{}`", c.path[0]),
                );
            }
        }
        for (name, r) in &spec.records {
            let at = self.at(&format!("records.{name}"));
            if !is_word(name) {
                self.err(&at, "a record name is lowercase letters, digits and '_'");
                continue;
            }
            if is_builtin_name(name) {
                self.err(&at, "this name is already a built-in type; pick another");
            }
            if spec.enums.contains_key(name) {
                self.err(&at, "an enum has this name too; pick another");
            }
            let ty = camel(std::slice::from_ref(name), "").to_string();
            if let Some(other) = taken.insert(ty.clone(), format!("record {name}")) {
                if other != format!("enum {name}") {
                    self.err(
                        &at,
                        format!("its Rust type `{ty}` is also the name of {other}; pick another"),
                    );
                }
            }
            if r.fields.is_empty() {
                self.err(&at, "no fields; list its keys as [[records.<name>.field]]");
            }
            let mut keys = HashSet::new();
            let mut idents: HashMap<String, &str> = HashMap::new();
            for f in &r.fields {
                let place = format!("{at}: field {}", f.key);
                if f.key.is_empty() {
                    self.err(&place, "`key` is empty");
                }
                if !keys.insert(f.key.as_str()) {
                    self.err(&place, "this key is listed twice");
                }
                let ident = snake_plain(&f.key);
                if ident == "extra" {
                    self.err(
                        &place,
                        "the field `extra` holds the keys the record does not name; rename it",
                    );
                } else if let Some(other) = idents.insert(ident.clone(), &f.key) {
                    self.err(
                        &place,
                        format!(
                            "keys {other:?} and {:?} both become the Rust field `{ident}`",
                            f.key
                        ),
                    );
                }
                if f.ty == JSON {
                    self.err(&place, "a record field has a fixed type (a value whose shape varies is a `json` result of its own)");
                    continue;
                }
                self.type_err(&place, spec, &f.ty, true);
            }
            if let Some(cycle) = record_cycle(spec, name, &mut Vec::new()) {
                self.err(
                    &at,
                    format!(
                        "records contain each other ({}); a record cannot hold itself",
                        cycle.join(" -> ")
                    ),
                );
            }
        }
    }

    fn command(&mut self, spec: &Spec, cmd: &CommandDef, paths: &mut HashSet<Vec<String>>) {
        if cmd.path.is_empty() {
            self.err(
                self.at("[[command]]"),
                "`path` is empty; give the command's words, e.g. [\"host\", \"view\"]",
            );
            return;
        }
        let at = self.at(&cmd.path.join(" "));
        self.path_words(&at, &cmd.path);
        if cmd.path.last().is_some_and(|w| w == PLACEHOLDER) {
            self.err(
                &at,
                "a path cannot end with \"{name}\" (the runtime word names what the command after it works on)",
            );
        }
        if !paths.insert(cmd.path.clone()) {
            self.err(
                &at,
                "this path is listed twice; merge the two [[command]] tables",
            );
        }
        if cmd.steppable && !cmd.long_running {
            self.err(&at, "steppable commands are long-running in Rumor (steps need an open call); set long_running = true");
        }
        if let Some(alias) = &cmd.alias_of {
            if !spec.commands.iter().any(|c| &c.path == alias) {
                self.err(
                    &at,
                    format!(
                        "alias_of names `{}`, which is not a command of the spec",
                        alias.join(" ")
                    ),
                );
            }
        }
        let mut names = HashSet::new();
        for a in &cmd.args {
            let place = format!("{at}: arg {}", a.name);
            if !is_flag_name(&a.name) {
                self.err(&place, "an argument name is letters, digits and '-'");
            }
            if !names.insert(a.name.clone()) {
                self.err(
                    &place,
                    "this name is used twice in the command (args and flags share one namespace)",
                );
            }
            self.type_err(&place, spec, &a.ty, false);
        }
        for (i, a) in cmd.args.iter().enumerate() {
            if a.variadic && (a.required || i + 1 != cmd.args.len()) {
                self.err(
                    format!("{at}: arg {}", a.name),
                    "a variadic argument must be the last one and not required",
                );
            }
        }
        let mut optional_seen = false;
        for a in &cmd.args {
            if !a.required {
                optional_seen = true;
            } else if optional_seen {
                self.err(
                    format!("{at}: arg {}", a.name),
                    "a required argument cannot follow an optional one",
                );
            }
        }
        for f in &cmd.flags {
            let place = format!("{at}: flag {}", f.name);
            if !is_flag_name(&f.name) {
                self.err(
                    &place,
                    "a flag name is letters, digits and '-', without the dashes in front",
                );
            }
            if !names.insert(f.name.clone()) {
                self.err(
                    &place,
                    "this name is used twice in the command (args and flags share one namespace)",
                );
            }
            self.type_err(&place, spec, &f.ty, false);
            match spec.resolve(&f.ty, false) {
                None => {}
                Some(t) => {
                    if let (Some(d), Literal::Unsigned | Literal::Signed) =
                        (&f.default, t.literal())
                    {
                        if integer_default(&t, d).is_none() {
                            self.err(
                                &place,
                                format!("default {d:?} is not a {} number; write it as `help` prints it", t.name()),
                            );
                        }
                    }
                }
            }
        }
        let mut keys = HashSet::new();
        for r in &cmd.results {
            let place = format!("{at}: result {}", r.key);
            if r.key.is_empty() {
                self.err(&place, "`key` is empty");
            }
            if !keys.insert((r.key.clone(), r.when)) {
                self.err(&place, "this key is listed twice for the same `when`");
            }
            self.type_err(&place, spec, &r.ty, true);
            match (spec.resolve(&r.ty, true), r.json_reason.as_deref().map(str::trim)) {
                (Some(SpecType::Json), None | Some("")) => self.err(
                    &place,
                    "type = \"json\" needs a `json_reason`: say what its shape depends on (or give it a fixed type: list<T>, map<T>, a record)",
                ),
                (Some(t), Some(_)) if t != SpecType::Json => self.err(
                    &place,
                    "`json_reason` is only for type = \"json\"; remove it",
                ),
                _ => {}
            }
            if r.when == When::Step && !cmd.steppable {
                self.err(&place, "when = \"step\" on a command that is not steppable");
            }
            if r.when == When::Background && !cmd.long_running {
                self.err(
                    &place,
                    "when = \"background\" on a command that is not long_running",
                );
            }
        }
    }

    fn path_words(&mut self, at: &str, path: &[String]) {
        for w in path {
            if w != PLACEHOLDER && !is_route_word(w) {
                self.err(at, format!("path word {w:?} must be lowercase letters, digits and '-' (or the placeholder \"{{name}}\")"));
            }
        }
        if path.first().is_some_and(|w| w == PLACEHOLDER) {
            self.err(at, "a path cannot start with \"{name}\"");
        }
    }

    /// The tree: no path is both a command and a route, and `{name}` is the only word under
    /// its route (the route's method takes the name).
    fn tree(&mut self, spec: &Spec) {
        let leaves: HashSet<&[String]> = spec.commands.iter().map(|c| c.path.as_slice()).collect();
        let mut reported = HashSet::new();
        let mut children: BTreeMap<&[String], HashSet<&str>> = BTreeMap::new();
        for cmd in &spec.commands {
            for i in 1..cmd.path.len() {
                let prefix = &cmd.path[..i];
                children
                    .entry(prefix)
                    .or_default()
                    .insert(cmd.path[i].as_str());
                if leaves.contains(prefix) && reported.insert(prefix) {
                    self.err(
                        self.at(&prefix.join(" ")),
                        format!(
                            "this path is both a command and a route (`{}` is under it); Rumor routes one or the other",
                            cmd.path.join(" ")
                        ),
                    );
                }
            }
        }
        let top: HashSet<&str> = spec
            .commands
            .iter()
            .filter_map(|c| c.path.first().map(String::as_str))
            .collect();
        for (route, words) in children
            .iter()
            .map(|(r, w)| (r.to_vec(), w))
            .chain([(Vec::new(), &top)])
        {
            if words.contains(PLACEHOLDER) && words.len() > 1 {
                let mut others: Vec<&str> = words
                    .iter()
                    .copied()
                    .filter(|w| *w != PLACEHOLDER)
                    .collect();
                others.sort();
                self.err(
                    self.at(&route.join(" ")),
                    format!(
                        "\"{{name}}\" must be the only word under its route, but {} are there too",
                        others.join(", ")
                    ),
                );
            }
            let mut methods: HashMap<String, &str> = HashMap::new();
            for w in words {
                if let Some(other) = methods.insert(snake(w).to_string(), w) {
                    self.err(
                        self.at(&route.join(" ")),
                        format!("sub-commands {other:?} and {w:?} get the same Rust method name"),
                    );
                }
            }
        }
    }

    fn dead_routes(&mut self, spec: &Spec) {
        for d in &spec.dead_routes {
            let at = self.at(&format!("dead_route {}", d.path.join(" ")));
            if d.path.is_empty() {
                self.err(&at, "`path` is empty");
            }
            self.path_words(&at, &d.path);
            if spec.commands.iter().any(|c| c.path == d.path) {
                self.err(
                    &at,
                    "this path is also a command; a dead route does not route",
                );
            }
        }
    }
}

/// True for a built-in type name, an alias or `json`.
fn is_builtin_name(name: &str) -> bool {
    BUILTINS.iter().any(|r| r.name == name)
        || ALIASES.iter().any(|(a, _)| *a == name)
        || name == JSON
}

/// A chain of records from `name` back to a record already on `path`, if there is one.
fn record_cycle(spec: &Spec, name: &str, path: &mut Vec<String>) -> Option<Vec<String>> {
    if let Some(at) = path.iter().position(|p| p == name) {
        let mut cycle = path[at..].to_vec();
        cycle.push(name.to_string());
        return Some(cycle);
    }
    let def = spec.records.get(name)?;
    path.push(name.to_string());
    for f in &def.fields {
        let mut ty = spec.resolve(&f.ty, true);
        while let Some(SpecType::List(t) | SpecType::Map(t)) = ty {
            ty = Some(*t);
        }
        if let Some(SpecType::Record(r)) = ty {
            if let Some(c) = record_cycle(spec, &r, path) {
                return Some(c);
            }
        }
    }
    path.pop();
    None
}

/// A flag's integer default as a literal of its type (pflag prints no default for zero).
pub(crate) fn integer_default(ty: &SpecType, default: &str) -> Option<i128> {
    let SpecType::Builtin(s) = ty else {
        return None;
    };
    let v: i128 = default.parse().ok()?;
    let (min, max): (i128, i128) = match s.row().rust {
        "u8" => (0, u8::MAX.into()),
        "u16" => (0, u16::MAX.into()),
        "u32" => (0, u32::MAX.into()),
        "u64" => (0, u64::MAX.into()),
        "i32" => (i32::MIN.into(), i32::MAX.into()),
        "i64" => (i64::MIN.into(), i64::MAX.into()),
        _ => return None,
    };
    (min..=max).contains(&v).then_some(v)
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

    fn errors(text: &str) -> Vec<String> {
        Spec::parse(text, "c.toml")
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn parses_a_small_spec() {
        let spec = Spec::parse(GOOD, "t.toml").unwrap();
        assert_eq!(spec.commands[0].flags[0].ty, "u16");
        assert!(spec.commands[0].advertised);
        assert!(!spec.allow_unreviewed && spec.dead_routes.is_empty());
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
        let errs = errors(&GOOD.replace("type = \"u16\"", "type = \"u16\"\ncolour = 1"));
        assert!(errs[0].contains("colour"), "{errs:?}");
        let errs = errors(&format!(
            "{GOOD}\n[[command]]\npath = [\"host\", \"listen\"]\n"
        ));
        assert!(errs[0].contains("listed twice"), "{errs:?}");
    }

    #[test]
    fn a_path_that_is_command_and_route_is_a_spec_error() {
        let errs = errors(&format!(
            "{GOOD}\n[[command]]\npath = [\"host\", \"listen\", \"now\"]\n"
        ));
        assert_eq!(errs.len(), 1, "{errs:?}");
        assert!(
            errs[0].starts_with("c.toml: host listen: this path is both a command and a route (`host listen now` is under it)"),
            "{errs:?}"
        );
    }

    #[test]
    fn placeholders_stand_alone_and_not_last() {
        let errs = errors(
            "rumor_version = \"v1\"\n[[command]]\npath = [\"a\", \"{name}\", \"x\"]\n[[command]]\npath = [\"a\", \"b\"]\n[[command]]\npath = [\"c\", \"{name}\"]\n",
        );
        assert!(
            errs.iter().any(|e| e.contains(
                "c.toml: a: \"{name}\" must be the only word under its route, but b are there too"
            )),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("c.toml: c {name}: a path cannot end with")),
            "{errs:?}"
        );
    }

    #[test]
    fn integer_defaults_must_fit_their_type() {
        let errs = errors(&GOOD.replace("type = \"u16\"", "type = \"u16\"\ndefault = \"70000\""));
        assert!(
            errs[0].contains("default \"70000\" is not a u16 number"),
            "{errs:?}"
        );
        assert!(Spec::parse(
            &GOOD.replace("type = \"u16\"", "type = \"u16\"\ndefault = \"9000\""),
            "c"
        )
        .is_ok());
    }

    #[test]
    fn enum_values_map_to_distinct_variants() {
        let errs =
            errors("rumor_version = \"v1\"\n[enums.c]\nvalues = [\"a-b\", \"a_b\", \"unknown\"]\n");
        assert!(
            errs.iter()
                .any(|e| e.contains("both become the Rust variant `AB`")),
            "{errs:?}"
        );
        assert!(
            errs.iter().any(|e| e.contains("\"unknown\" cannot be")),
            "{errs:?}"
        );
    }

    #[test]
    fn aliases_and_dead_routes_are_checked() {
        let text = GOOD.replace(
            "path = [\"host\", \"listen\"]\n",
            "path = [\"host\", \"listen\"]\nalias_of = [\"host\", \"lisen\"]\n",
        );
        let errs = errors(&format!(
            "{text}[[dead_route]]\npath = [\"host\", \"listen\"]\n"
        ));
        assert!(
            errs.iter()
                .any(|e| e.contains("alias_of names `host lisen`")),
            "{errs:?}"
        );
        assert!(
            errs.iter()
                .any(|e| e.contains("dead_route host listen: this path is also a command")),
            "{errs:?}"
        );
    }

    #[test]
    fn unreviewed_commands_are_listed_with_what_to_fill_in() {
        let text = GOOD.replace(
            "path = [\"host\", \"listen\"]\n",
            "path = [\"host\", \"listen\"]\nreview = true\n",
        );
        let spec = Spec::parse(&text, "c").unwrap();
        let u = spec.unreviewed();
        assert_eq!(u.len(), 1);
        let text = u[0].to_string();
        assert!(
            text.starts_with("`host listen`: fill in its result fields"),
            "{text}"
        );
        assert!(
            text.contains("long_running") && text.contains("steppable"),
            "{text}"
        );
    }

    #[test]
    fn json_results_need_a_reason_and_only_they_take_one() {
        let json = format!("{GOOD}[[command.result]]\nkey = \"data\"\ntype = \"json\"\n");
        let errs = errors(&json);
        assert!(
            errs[0].contains("result data: type = \"json\" needs a `json_reason`"),
            "{errs:?}"
        );
        assert!(Spec::parse(&format!("{json}json_reason = \"hex or an object\"\n"), "c").is_ok());
        let errs = errors(&format!(
            "{GOOD}[[command.result]]\nkey = \"n\"\ntype = \"u64\"\njson_reason = \"x\"\n"
        ));
        assert!(errs[0].contains("`json_reason` is only for"), "{errs:?}");
    }

    #[test]
    fn composite_result_types_resolve_and_argument_types_stay_values() {
        let spec = format!(
            "{GOOD}[[command.arg]]\nname = \"boot\"\ntype = \"list<enr_or_enode>\"\n\
             [[command.result]]\nkey = \"a\"\ntype = \"list<peer_id>\"\n\
             [[command.result]]\nkey = \"b\"\ntype = \"map<hex>\"\n\
             [[command.result]]\nkey = \"c\"\ntype = \"status\"\n"
        );
        assert!(Spec::parse(&spec, "c").is_ok());
        let errs = errors(&format!(
            "{GOOD}[[command.arg]]\nname = \"s\"\ntype = \"status\"\n\
             [[command.arg]]\nname = \"m\"\ntype = \"map<string>\"\n\
             [[command.result]]\nkey = \"x\"\ntype = \"list<nope>\"\n"
        ));
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(
            errs[0].contains("arg s: status is a result type only"),
            "{errs:?}"
        );
        assert!(
            errs[1].contains("arg m: map<..> is a result type only"),
            "{errs:?}"
        );
        assert!(
            errs[2].contains("result x: unknown type \"nope\" (expected one of string,")
                && errs[2].contains("map<T>, json"),
            "{errs:?}"
        );
    }

    #[test]
    fn records_are_checked() {
        let good =
            "[records.chunk]\n[[records.chunk.field]]\nkey = \"chunk_index\"\ntype = \"u64\"\n";
        let spec = Spec::parse(
            &format!("{GOOD}[[command.result]]\nkey = \"c\"\ntype = \"list<chunk>\"\n{good}"),
            "c",
        )
        .unwrap();
        assert_eq!(spec.records["chunk"].fields[0].ty, "u64");
        let errs = errors(&format!(
            "{GOOD}[[command.arg]]\nname = \"c\"\ntype = \"chunk\"\n{good}"
        ));
        assert!(
            errs[0].contains("record chunk is a result type only"),
            "{errs:?}"
        );
        let errs = errors(&format!(
            "{GOOD}[[command]]\npath = [\"empty\"]\n[records.a]\n[[records.a.field]]\nkey = \"b\"\ntype = \"list<b>\"\n\
             [[records.a.field]]\nkey = \"b\"\ntype = \"json\"\n\
             [records.b]\n[[records.b.field]]\nkey = \"a\"\ntype = \"map<a>\"\n\
             [records.host_listen]\n[[records.host_listen.field]]\nkey = \"extra\"\ntype = \"string\"\n\
             [records.u64]\n[[records.u64.field]]\nkey = \"x\"\ntype = \"nope\"\n\
             [records.empty]\nfield = []\n"
        ));
        let has = |what: &str| errs.iter().any(|e| e.contains(what));
        assert!(
            has("records.a: field b: this key is listed twice"),
            "{errs:?}"
        );
        assert!(
            has("records.a: field b: a record field has a fixed type"),
            "{errs:?}"
        );
        assert!(has("records contain each other (a -> b -> a)"), "{errs:?}");
        assert!(
            has("records.host_listen: field extra: the field `extra`"),
            "{errs:?}"
        );
        assert!(
            has("records.u64: this name is already a built-in type"),
            "{errs:?}"
        );
        assert!(
            has("records.u64: field x: unknown type \"nope\""),
            "{errs:?}"
        );
        assert!(has("records.empty: no fields"), "{errs:?}");
        assert!(
            has("records.empty: its Rust type `Empty` is also the name of command `empty`"),
            "{errs:?}"
        );
    }
}
