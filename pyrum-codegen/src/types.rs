//! The type vocabulary of the spec. Built-in types are one table ([`BUILTINS`]) from which the
//! Rust type, the parameter form (`impl Into<..>`, concrete, or none: results only), how a
//! default becomes a Rust literal, the pflag type names that Rumor's `help` prints (for the
//! type and for a list of it), the conversions between types and the fields of built-in
//! records all derive. [`SpecType`] adds what a spec composes from them: `list<T>`, `map<T>`,
//! its own `[records.*]`, its `[enums.*]`, and `json`.

use std::fmt;

/// A built-in type of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[allow(missing_docs)] // each variant is documented by its row in BUILTINS and in commands.toml
pub enum Builtin {
    String,
    Bool,
    U8,
    U16,
    U32,
    U64,
    I32,
    I64,
    F64,
    Duration,
    Hex,
    Root,
    ForkDigest,
    Version,
    Attnets,
    Slot,
    Epoch,
    SeqNr,
    ReqId,
    PeerId,
    Multiaddr,
    Enr,
    Enode,
    EnrOrEnode,
    FlexAddr,
    NodeId,
    NodeIdFlex,
    PrivKey,
    Ip,
    Status,
    MetaData,
    BlocksByRangeRequest,
}

/// How a parameter of a type is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `impl Into<T>`: `&str`, `Vec<u8>`, `Ipv4Addr`, an `Enr` where any address goes.
    Into,
    /// `T` itself: numbers stay concrete, so an integer literal infers its type and `"9000"`
    /// does not compile for a port.
    Exact,
    /// Any iterable of the element's parameter form (`list<T>`): `[enr_a, enr_b]`, a `Vec`.
    List,
    /// Not an argument type: Rumor logs it, nothing takes it (records, maps, `json`).
    ResultOnly,
}

/// How a default printed by `help` becomes a Rust literal (for `DEFAULT_*` constants).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    /// An unsigned integer; no default printed means 0 (pflag omits zero defaults).
    Unsigned,
    /// A signed integer; no default printed means 0.
    Signed,
    /// No constant.
    None,
}

/// One row of the vocabulary.
#[derive(Debug, Clone, Copy)]
pub struct Row {
    /// The type.
    pub builtin: Builtin,
    /// Its name in the spec (`type = "u16"`).
    pub name: &'static str,
    /// The Rust type; `$core` stands for the runtime crate's path.
    pub rust: &'static str,
    /// How parameters take it.
    pub param: Param,
    /// How a default becomes a literal.
    pub literal: Literal,
    /// The pflag type name `help` prints for a flag of this type (pflag's `UnquoteUsage`
    /// renaming applied: `bool` prints nothing, `uint64` prints `uint`, `int64` prints `int`,
    /// `float64` prints `float`, `stringSlice` prints `strings`; ask's byte types print
    /// `bytes`, `bytesN`, `[]bytesN`; Rumor's own flag types print their `Type()`). Several
    /// types share a name (`u64`, `slot`, `epoch`, `seq_nr` all print `uint`); reading a type
    /// back from a name takes the first row, so the generic type comes first. `None`: no
    /// Rumor flag has this type, so `help` cannot confirm it.
    pub pflag: Option<&'static str>,
    /// The pflag type name of a Rumor flag that takes a list of this type (`list<T>`): ask's
    /// `[]bytes32` for roots; `strings` (a Go `[]string`) where Rumor parses each word itself
    /// (ids and addresses). `None`: no list of it can be an argument.
    pub list_pflag: Option<&'static str>,
    /// Other built-in types whose values this argument type takes (a `From` impl in
    /// pyrum-types): a `node_id` goes where a `node_id_flex` is asked for.
    pub takes: &'static [Builtin],
    /// For a built-in record (a struct of pyrum-types that reads a JSON object), its keys and
    /// their types; empty for plain values.
    pub fields: &'static [(&'static str, Builtin)],
}

#[allow(clippy::too_many_arguments)]
const fn row(
    builtin: Builtin,
    name: &'static str,
    rust: &'static str,
    param: Param,
    literal: Literal,
    pflag: Option<&'static str>,
    list_pflag: Option<&'static str>,
    takes: &'static [Builtin],
) -> Row {
    Row {
        builtin,
        name,
        rust,
        param,
        literal,
        pflag,
        list_pflag,
        takes,
        fields: &[],
    }
}

/// A built-in record: results only, read from a JSON object with these keys.
const fn record(
    builtin: Builtin,
    name: &'static str,
    rust: &'static str,
    fields: &'static [(&'static str, Builtin)],
) -> Row {
    Row {
        builtin,
        name,
        rust,
        param: Param::ResultOnly,
        literal: Literal::None,
        pflag: None,
        list_pflag: None,
        takes: &[],
        fields,
    }
}

use Builtin as B;
use Literal as L;
use Param as P;

/// Every built-in type, in the order `help`'s names are read back (generic types first).
///
/// Columns of `row`: the type, its spec name, its Rust type, how parameters take it, how a
/// default becomes a literal, the pflag name `help` prints for it and for a list of it, the
/// types it takes values of. `record` rows are the eth2 containers Rumor logs as JSON objects,
/// which pyrum's `ssz` module encodes too (the same Rust types).
#[rustfmt::skip]
pub const BUILTINS: &[Row] = &[
    row(B::String,     "string",       "String",                   P::Into,  L::None,     Some("string"),   Some("strings"),   &[]),
    row(B::Bool,       "bool",         "bool",                     P::Exact, L::None,     Some(""),         None,              &[]),
    row(B::U8,         "u8",           "u8",                       P::Exact, L::Unsigned, Some("uint8"),    None,              &[]),
    row(B::U16,        "u16",          "u16",                      P::Exact, L::Unsigned, Some("uint16"),   None,              &[]),
    row(B::U32,        "u32",          "u32",                      P::Exact, L::Unsigned, Some("uint32"),   None,              &[]),
    row(B::U64,        "u64",          "u64",                      P::Exact, L::Unsigned, Some("uint"),     None,              &[]),
    row(B::I32,        "i32",          "i32",                      P::Exact, L::Signed,   Some("int32"),    None,              &[]),
    row(B::I64,        "i64",          "i64",                      P::Exact, L::Signed,   Some("int"),      None,              &[]),
    row(B::F64,        "f64",          "f64",                      P::Exact, L::None,     Some("float"),    None,              &[]),
    row(B::Duration,   "duration",     "::std::time::Duration",    P::Exact, L::None,     Some("duration"), None,              &[]),
    row(B::Hex,        "hex",          "$core::types::HexBytes",   P::Into,  L::None,     Some("bytes"),    None,              &[]),
    row(B::Root,       "root",         "$core::types::Root",       P::Into,  L::None,     Some("bytes32"),  Some("[]bytes32"), &[]),
    row(B::ForkDigest, "fork_digest",  "$core::types::ForkDigest", P::Into,  L::None,     Some("bytes4"),   None,              &[]),
    row(B::Version,    "version",      "$core::types::Version",    P::Into,  L::None,     Some("bytes4"),   None,              &[]),
    row(B::Attnets,    "attnets",      "$core::types::Attnets",    P::Into,  L::None,     Some("bytes8"),   None,              &[]),
    row(B::Slot,       "slot",         "u64",                      P::Exact, L::Unsigned, Some("uint"),     None,              &[]),
    row(B::Epoch,      "epoch",        "u64",                      P::Exact, L::Unsigned, Some("uint"),     None,              &[]),
    row(B::SeqNr,      "seq_nr",       "u64",                      P::Exact, L::Unsigned, Some("uint"),     None,              &[]),
    // Rumor's `<req-id>` is a Go string that `checkAndGetReq` parses with ParseUint(s, 0, 64).
    row(B::ReqId,      "req_id",       "u64",                      P::Exact, L::Unsigned, Some("string"),   None,              &[]),
    row(B::PeerId,     "peer_id",      "$core::types::PeerId",     P::Exact, L::None,     Some("Peer ID"),  Some("strings"),   &[]),
    row(B::Multiaddr,  "multiaddr",    "$core::types::Multiaddr",  P::Exact, L::None,     None,             Some("strings"),   &[]),
    row(B::Enr,        "enr",          "$core::types::Enr",        P::Exact, L::None,     Some("ENR"),      Some("strings"),   &[]),
    row(B::Enode,      "enode",        "$core::types::Enode",      P::Exact, L::None,     Some("enode"),    Some("strings"),   &[]),
    row(B::EnrOrEnode, "enr_or_enode", "$core::types::EnrOrEnode", P::Into,  L::None,     Some("Enr/Enode"), Some("strings"),  &[B::Enr, B::Enode]),
    row(B::FlexAddr,   "flex_addr",    "$core::types::FlexAddr",   P::Into,  L::None,     Some("ENR/enode/Multi-addr"), Some("strings"), &[B::Multiaddr, B::Enr, B::Enode]),
    row(B::NodeId,     "node_id",      "$core::types::NodeId",     P::Into,  L::None,     Some("Dv5 node ID"), None,           &[]),
    row(B::NodeIdFlex, "node_id_flex", "$core::types::NodeIdFlex", P::Into,  L::None,     Some("Dv5 flexible ID"), None,       &[B::NodeId, B::Enr]),
    row(B::PrivKey,    "priv_key",     "$core::types::PrivKey",    P::Into,  L::None,     Some("P2P Private key"), None,       &[]),
    row(B::Ip,         "ip",           "::std::net::IpAddr",       P::Into,  L::None,     Some("ip"),       None,              &[]),
    record(B::Status, "status", "$core::types::ssz::Status", &[
        ("fork_digest", B::ForkDigest), ("finalized_root", B::Root), ("finalized_epoch", B::Epoch),
        ("head_root", B::Root), ("head_slot", B::Slot),
    ]),
    record(B::MetaData, "metadata", "$core::types::ssz::MetaData", &[
        ("seq_number", B::SeqNr), ("attnets", B::Attnets),
    ]),
    record(B::BlocksByRangeRequest, "blocks_by_range_request", "$core::types::ssz::BeaconBlocksByRangeRequest", &[
        ("start_slot", B::Slot), ("count", B::U64), ("step", B::U64),
    ]),
];

/// Older spellings, still read: `string_list` is `list<string>`, `root_list` is `list<root>`.
pub const ALIASES: &[(&str, &str)] =
    &[("string_list", "list<string>"), ("root_list", "list<root>")];

/// The name results use for any JSON value.
pub const JSON: &str = "json";

/// A resolved type of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecType {
    /// A built-in type.
    Builtin(Builtin),
    /// Results only: any JSON value (`serde_json::Value`); needs a `json_reason`.
    Json,
    /// An enum of the spec's `[enums]`, by name.
    Enum(String),
    /// Results only: a record of the spec's `[records]` (a JSON object with fixed keys), by
    /// name.
    Record(String),
    /// `list<T>`: a JSON array (results), or a comma-separated list (arguments); `Vec<T>`.
    List(Box<SpecType>),
    /// `map<T>`, results only: a JSON object of string keys; `BTreeMap<String, T>`.
    Map(Box<SpecType>),
}

impl Builtin {
    /// This type's row of [`BUILTINS`].
    pub fn row(self) -> &'static Row {
        BUILTINS
            .iter()
            .find(|r| r.builtin == self)
            .expect("every builtin has a row")
    }

    /// The built-in type of this spec name.
    pub fn from_name(name: &str) -> Option<Builtin> {
        BUILTINS.iter().find(|r| r.name == name).map(|r| r.builtin)
    }

    /// The first built-in type whose pflag name is `pflag` (the generic one).
    pub fn from_pflag(pflag: &str) -> Option<Builtin> {
        BUILTINS
            .iter()
            .find(|r| r.pflag == Some(pflag))
            .map(|r| r.builtin)
    }
}

/// The names a spec defines, for resolving type names.
pub(crate) struct Names<'a> {
    pub enums: Vec<&'a str>,
    pub records: Vec<&'a str>,
}

impl SpecType {
    /// Resolves a type name against `names`: a built-in (or an alias), `list<T>`, and, for
    /// results, `map<T>`, a record or `json`; an enum. The error says why not.
    pub(crate) fn parse(name: &str, names: &Names, result: bool) -> Result<SpecType, String> {
        let name = name.trim();
        if let Some((_, to)) = ALIASES.iter().find(|(a, _)| *a == name) {
            return SpecType::parse(to, names, result);
        }
        let inner = |prefix: &str| {
            name.strip_prefix(prefix)
                .and_then(|r| r.strip_suffix('>'))
                .map(str::trim)
        };
        if let Some(elem) = inner("list<") {
            let elem = SpecType::parse(elem, names, result)?;
            if !result && elem.list_pflag().is_none() {
                return Err(format!(
                    "list<{elem}> cannot be an argument (no Rumor flag takes a list of {elem}; lists of string, root and ids/addresses can)"
                ));
            }
            return Ok(SpecType::List(Box::new(elem)));
        }
        if let Some(elem) = inner("map<") {
            if !result {
                return Err("map<..> is a result type only (a JSON object Rumor logs)".into());
            }
            return Ok(SpecType::Map(Box::new(SpecType::parse(
                elem, names, result,
            )?)));
        }
        if let Some(b) = Builtin::from_name(name) {
            if !result && b.row().param == Param::ResultOnly {
                return Err(format!(
                    "{name} is a result type only (a JSON object Rumor logs)"
                ));
            }
            return Ok(SpecType::Builtin(b));
        }
        if name == JSON {
            return if result {
                Ok(SpecType::Json)
            } else {
                Err("json is a result type only".into())
            };
        }
        if names.enums.contains(&name) {
            return Ok(SpecType::Enum(name.to_string()));
        }
        if names.records.contains(&name) {
            return if result {
                Ok(SpecType::Record(name.to_string()))
            } else {
                Err(format!(
                    "record {name} is a result type only (a JSON object Rumor logs)"
                ))
            };
        }
        Err(format!("unknown type {name:?}"))
    }

    /// The name as the spec writes it (`list<peer_id>`).
    pub fn name(&self) -> String {
        self.to_string()
    }

    /// How parameters of this type are taken.
    pub fn param(&self) -> Param {
        match self {
            SpecType::Builtin(b) => b.row().param,
            SpecType::Enum(_) => Param::Exact,
            SpecType::List(_) => Param::List,
            SpecType::Json | SpecType::Record(_) | SpecType::Map(_) => Param::ResultOnly,
        }
    }

    /// How a default of this type becomes a literal.
    pub fn literal(&self) -> Literal {
        match self {
            SpecType::Builtin(b) => b.row().literal,
            _ => Literal::None,
        }
    }

    /// The pflag name of a Rumor flag taking a list of this type.
    fn list_pflag(&self) -> Option<&'static str> {
        match self {
            SpecType::Builtin(b) => b.row().list_pflag,
            _ => None,
        }
    }

    /// True when an argument of this type takes a value of the result type `value`: the same
    /// type, a built-in it converts from ([`Row::takes`]), or lists of such.
    pub fn takes(&self, value: &SpecType) -> bool {
        match (self, value) {
            (SpecType::Builtin(a), SpecType::Builtin(v)) => a == v || a.row().takes.contains(v),
            (SpecType::List(a), SpecType::List(v)) => a.takes(v),
            (a, v) => a == v,
        }
    }
}

impl crate::Spec {
    pub(crate) fn names(&self) -> Names<'_> {
        Names {
            enums: self.enums.keys().map(String::as_str).collect(),
            records: self.records.keys().map(String::as_str).collect(),
        }
    }

    /// The pflag type name `help` prints for a flag of spec type `ty`: from the table (for a
    /// list, the element's list name), or the enum's `pflag`. `None` when `help` cannot show
    /// it (or `ty` is unknown).
    pub fn pflag_name(&self, ty: &str) -> Option<&str> {
        match self.resolve(ty, false)? {
            SpecType::Builtin(b) => b.row().pflag,
            SpecType::List(elem) => elem.list_pflag(),
            SpecType::Enum(e) => self.enums.get(&e).and_then(|d| d.pflag.as_deref()),
            SpecType::Json | SpecType::Record(_) | SpecType::Map(_) => None,
        }
    }

    /// The spec type for a pflag type name as `help` prints it: the first row of the table
    /// with that name (the generic type), else an enum of this spec whose `pflag` it is, else
    /// a list of the first row whose list takes that name (`strings` → `list<string>`).
    pub fn type_for_pflag(&self, pflag: &str) -> Option<String> {
        Builtin::from_pflag(pflag)
            .map(|b| b.row().name.to_string())
            .or_else(|| {
                self.enums
                    .iter()
                    .find(|(_, d)| d.pflag.as_deref() == Some(pflag))
                    .map(|(name, _)| name.clone())
            })
            .or_else(|| {
                BUILTINS
                    .iter()
                    .find(|r| r.list_pflag == Some(pflag))
                    .map(|r| format!("list<{}>", r.name))
            })
    }
}

impl fmt::Display for SpecType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SpecType::Builtin(b) => f.write_str(b.row().name),
            SpecType::Json => f.write_str(JSON),
            SpecType::Enum(e) | SpecType::Record(e) => f.write_str(e),
            SpecType::List(t) => write!(f, "list<{t}>"),
            SpecType::Map(t) => write!(f, "map<{t}>"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names<'static> {
        Names {
            enums: vec!["compression"],
            records: vec!["chunk"],
        }
    }

    #[test]
    fn names_are_unique_and_every_builtin_has_one_row() {
        for (i, r) in BUILTINS.iter().enumerate() {
            assert!(
                BUILTINS[i + 1..]
                    .iter()
                    .all(|o| o.name != r.name && o.builtin != r.builtin),
                "{} is listed twice",
                r.name
            );
            assert_eq!(Builtin::from_name(r.name), Some(r.builtin));
            assert!(
                r.param != Param::ResultOnly || (r.pflag.is_none() && !r.fields.is_empty()),
                "{}: result-only rows are records",
                r.name
            );
            for (_, t) in r.fields {
                assert!(t.row().fields.is_empty(), "{}: records of values", r.name);
            }
        }
        for (alias, to) in ALIASES {
            assert!(Builtin::from_name(alias).is_none());
            assert!(SpecType::parse(to, &names(), false).is_ok());
        }
    }

    #[test]
    fn pflag_names_read_back_as_the_generic_type() {
        assert_eq!(Builtin::from_pflag("uint"), Some(Builtin::U64));
        assert_eq!(Builtin::from_pflag("string"), Some(Builtin::String));
        assert_eq!(Builtin::from_pflag("bytes4"), Some(Builtin::ForkDigest));
        assert_eq!(Builtin::from_pflag("RPC compression"), None);
        assert_eq!(Builtin::Multiaddr.row().pflag, None);
    }

    #[test]
    fn pflag_names_of_a_spec_include_its_enums_and_lists() {
        let mut spec = crate::Spec::default();
        assert_eq!(spec.type_for_pflag("uint").as_deref(), Some("u64"));
        assert_eq!(spec.type_for_pflag("RPC compression"), None);
        assert_eq!(
            spec.type_for_pflag("strings").as_deref(),
            Some("list<string>")
        );
        assert_eq!(
            spec.type_for_pflag("[]bytes32").as_deref(),
            Some("list<root>")
        );
        spec.enums.insert(
            "compression".into(),
            crate::EnumDef {
                values: vec!["none".into()],
                pflag: Some("RPC compression".into()),
                ..Default::default()
            },
        );
        assert_eq!(
            spec.type_for_pflag("RPC compression").as_deref(),
            Some("compression")
        );
        assert_eq!(spec.pflag_name("compression"), Some("RPC compression"));
        assert_eq!(spec.pflag_name("slot"), Some("uint"));
        assert_eq!(spec.pflag_name("req_id"), Some("string"));
        assert_eq!(spec.pflag_name("multiaddr"), None);
        assert_eq!(spec.pflag_name("list<enr_or_enode>"), Some("strings"));
        assert_eq!(spec.pflag_name("string_list"), Some("strings"));
        assert_eq!(spec.pflag_name("root_list"), Some("[]bytes32"));
        assert_eq!(spec.pflag_name("status"), None);
    }

    #[test]
    fn composite_types_parse_and_print_back() {
        let n = names();
        for text in [
            "list<peer_id>",
            "map<string>",
            "list<chunk>",
            "map<list<root>>",
            "status",
        ] {
            let t = SpecType::parse(text, &n, true).unwrap();
            assert_eq!(t.to_string(), text);
        }
        assert_eq!(
            SpecType::parse("string_list", &n, false).unwrap(),
            SpecType::List(Box::new(SpecType::Builtin(Builtin::String)))
        );
        assert_eq!(
            SpecType::parse("list< root >", &n, false).unwrap().name(),
            "list<root>"
        );
    }

    #[test]
    fn result_only_types_are_refused_as_arguments() {
        let n = names();
        assert_eq!(SpecType::parse("json", &n, true), Ok(SpecType::Json));
        for (text, why) in [
            ("json", "result type only"),
            ("map<string>", "result type only"),
            ("chunk", "result type only"),
            ("status", "result type only"),
            ("list<u64>", "cannot be an argument"),
            ("list<nope>", "unknown type \"nope\""),
            ("lisst<u64>", "unknown type"),
        ] {
            let err = SpecType::parse(text, &n, false).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
        assert!(SpecType::parse("list<u64>", &n, true).is_ok());
        assert_eq!(
            SpecType::parse("compression", &n, false),
            Ok(SpecType::Enum("compression".into()))
        );
    }

    #[test]
    fn arguments_take_their_own_type_and_what_converts_into_it() {
        let n = names();
        let t = |s: &str| SpecType::parse(s, &n, true).unwrap();
        assert!(t("node_id_flex").takes(&t("node_id")));
        assert!(t("node_id_flex").takes(&t("enr")));
        assert!(!t("node_id").takes(&t("node_id_flex")));
        assert!(t("list<enr_or_enode>").takes(&t("list<enr>")));
        assert!(!t("list<enr_or_enode>").takes(&t("enr")));
        assert!(t("flex_addr").takes(&t("multiaddr")));
        assert!(t("compression").takes(&t("compression")));
        assert!(
            !t("u64").takes(&t("slot")),
            "names differ: the spec says which"
        );
    }
}
