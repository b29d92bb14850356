//! The type vocabulary of the spec: one table ([`SCALARS`]) from which the Rust type, the
//! parameter form (`impl Into<..>` or concrete), how a default becomes a Rust literal and the
//! pflag type name that Rumor's `help` prints all derive.

use std::fmt;

/// A built-in type of the vocabulary.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // each variant is documented by its row in SCALARS and in commands.toml
pub enum Scalar {
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
    RootList,
    ForkDigest,
    Version,
    Attnets,
    Slot,
    Epoch,
    SeqNr,
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
    StringList,
}

/// How a parameter of a type is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Param {
    /// `impl Into<T>`: `&str`, `Vec<u8>`, `Ipv4Addr`, an `Enr` where any address goes.
    Into,
    /// `T` itself: numbers stay concrete, so an integer literal infers its type and `"9000"`
    /// does not compile for a port.
    Exact,
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
    pub scalar: Scalar,
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
}

const fn row(
    scalar: Scalar,
    name: &'static str,
    rust: &'static str,
    param: Param,
    literal: Literal,
    pflag: Option<&'static str>,
) -> Row {
    Row {
        scalar,
        name,
        rust,
        param,
        literal,
        pflag,
    }
}

use Literal as L;
use Param as P;
use Scalar as S;

/// Every built-in type, in the order `help`'s names are read back (generic types first).
///
/// Columns: the type, its spec name, its Rust type, how parameters take it, how a default
/// becomes a literal, the pflag name `help` prints.
#[rustfmt::skip]
pub const SCALARS: &[Row] = &[
    row(S::String,     "string",       "String",                   P::Into,  L::None,     Some("string")),
    row(S::Bool,       "bool",         "bool",                     P::Exact, L::None,     Some("")),
    row(S::U8,         "u8",           "u8",                       P::Exact, L::Unsigned, Some("uint8")),
    row(S::U16,        "u16",          "u16",                      P::Exact, L::Unsigned, Some("uint16")),
    row(S::U32,        "u32",          "u32",                      P::Exact, L::Unsigned, Some("uint32")),
    row(S::U64,        "u64",          "u64",                      P::Exact, L::Unsigned, Some("uint")),
    row(S::I32,        "i32",          "i32",                      P::Exact, L::Signed,   Some("int32")),
    row(S::I64,        "i64",          "i64",                      P::Exact, L::Signed,   Some("int")),
    row(S::F64,        "f64",          "f64",                      P::Exact, L::None,     Some("float")),
    row(S::Duration,   "duration",     "::std::time::Duration",    P::Exact, L::None,     Some("duration")),
    row(S::Hex,        "hex",          "$core::types::HexBytes",   P::Into,  L::None,     Some("bytes")),
    row(S::Root,       "root",         "$core::types::Root",       P::Into,  L::None,     Some("bytes32")),
    row(S::RootList,   "root_list",    "Vec<$core::types::Root>",  P::Exact, L::None,     Some("[]bytes32")),
    row(S::ForkDigest, "fork_digest",  "$core::types::ForkDigest", P::Into,  L::None,     Some("bytes4")),
    row(S::Version,    "version",      "$core::types::Version",    P::Into,  L::None,     Some("bytes4")),
    row(S::Attnets,    "attnets",      "$core::types::Attnets",    P::Into,  L::None,     Some("bytes8")),
    row(S::Slot,       "slot",         "u64",                      P::Exact, L::Unsigned, Some("uint")),
    row(S::Epoch,      "epoch",        "u64",                      P::Exact, L::Unsigned, Some("uint")),
    row(S::SeqNr,      "seq_nr",       "u64",                      P::Exact, L::Unsigned, Some("uint")),
    row(S::PeerId,     "peer_id",      "$core::types::PeerId",     P::Exact, L::None,     Some("Peer ID")),
    row(S::Multiaddr,  "multiaddr",    "$core::types::Multiaddr",  P::Exact, L::None,     None),
    row(S::Enr,        "enr",          "$core::types::Enr",        P::Exact, L::None,     Some("ENR")),
    row(S::Enode,      "enode",        "$core::types::Enode",      P::Exact, L::None,     Some("enode")),
    row(S::EnrOrEnode, "enr_or_enode", "$core::types::EnrOrEnode", P::Into,  L::None,     Some("Enr/Enode")),
    row(S::FlexAddr,   "flex_addr",    "$core::types::FlexAddr",   P::Into,  L::None,     Some("ENR/enode/Multi-addr")),
    row(S::NodeId,     "node_id",      "$core::types::NodeId",     P::Into,  L::None,     Some("Dv5 node ID")),
    row(S::NodeIdFlex, "node_id_flex", "$core::types::NodeIdFlex", P::Into,  L::None,     Some("Dv5 flexible ID")),
    row(S::PrivKey,    "priv_key",     "$core::types::PrivKey",    P::Into,  L::None,     Some("P2P Private key")),
    row(S::Ip,         "ip",           "::std::net::IpAddr",       P::Into,  L::None,     Some("ip")),
    row(S::StringList, "string_list",  "Vec<String>",              P::Exact, L::None,     Some("strings")),
];

/// The name results use for any JSON value.
pub const JSON: &str = "json";

/// A resolved type of the spec.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SpecType {
    /// A built-in type.
    Scalar(Scalar),
    /// Results only: any JSON value (`serde_json::Value`).
    Json,
    /// An enum of the spec's `[enums]`, by name.
    Enum(String),
}

impl Scalar {
    /// This type's row of [`SCALARS`].
    pub fn row(self) -> &'static Row {
        SCALARS
            .iter()
            .find(|r| r.scalar == self)
            .expect("every scalar has a row")
    }

    /// The built-in type of this spec name.
    pub fn from_name(name: &str) -> Option<Scalar> {
        SCALARS.iter().find(|r| r.name == name).map(|r| r.scalar)
    }

    /// The first built-in type whose pflag name is `pflag` (the generic one).
    pub fn from_pflag(pflag: &str) -> Option<Scalar> {
        SCALARS
            .iter()
            .find(|r| r.pflag == Some(pflag))
            .map(|r| r.scalar)
    }
}

impl SpecType {
    /// Resolves a spec type name: a built-in, an enum of `enums`, or (when `result`) `json`.
    pub fn resolve<'a>(
        name: &str,
        mut enums: impl Iterator<Item = &'a str>,
        result: bool,
    ) -> Option<SpecType> {
        if let Some(s) = Scalar::from_name(name) {
            return Some(SpecType::Scalar(s));
        }
        if result && name == JSON {
            return Some(SpecType::Json);
        }
        enums
            .any(|e| e == name)
            .then(|| SpecType::Enum(name.to_string()))
    }

    /// The name as the spec writes it.
    pub fn name(&self) -> &str {
        match self {
            SpecType::Scalar(s) => s.row().name,
            SpecType::Json => JSON,
            SpecType::Enum(e) => e,
        }
    }

    /// How parameters of this type are taken.
    pub fn param(&self) -> Param {
        match self {
            SpecType::Scalar(s) => s.row().param,
            SpecType::Json | SpecType::Enum(_) => Param::Exact,
        }
    }

    /// How a default of this type becomes a literal.
    pub fn literal(&self) -> Literal {
        match self {
            SpecType::Scalar(s) => s.row().literal,
            SpecType::Json | SpecType::Enum(_) => Literal::None,
        }
    }
}

impl crate::Spec {
    /// The pflag type name `help` prints for a flag of spec type `ty`: from the table, or the
    /// enum's `pflag`. `None` when `help` cannot show it (or `ty` is unknown).
    pub fn pflag_name(&self, ty: &str) -> Option<&str> {
        match self.resolve(ty, false)? {
            SpecType::Scalar(s) => s.row().pflag,
            SpecType::Enum(e) => self.enums.get(&e).and_then(|d| d.pflag.as_deref()),
            SpecType::Json => None,
        }
    }

    /// The spec type for a pflag type name as `help` prints it: the first row of the table
    /// with that name (the generic type), else an enum of this spec whose `pflag` it is.
    pub fn type_for_pflag(&self, pflag: &str) -> Option<String> {
        Scalar::from_pflag(pflag)
            .map(|s| s.row().name.to_string())
            .or_else(|| {
                self.enums
                    .iter()
                    .find(|(_, d)| d.pflag.as_deref() == Some(pflag))
                    .map(|(name, _)| name.clone())
            })
    }
}

impl fmt::Display for SpecType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_every_scalar_has_one_row() {
        for (i, r) in SCALARS.iter().enumerate() {
            assert!(
                SCALARS[i + 1..]
                    .iter()
                    .all(|o| o.name != r.name && o.scalar != r.scalar),
                "{} is listed twice",
                r.name
            );
            assert_eq!(Scalar::from_name(r.name), Some(r.scalar));
        }
    }

    #[test]
    fn pflag_names_read_back_as_the_generic_type() {
        assert_eq!(Scalar::from_pflag("uint"), Some(Scalar::U64));
        assert_eq!(Scalar::from_pflag("bytes4"), Some(Scalar::ForkDigest));
        assert_eq!(Scalar::from_pflag("RPC compression"), None);
        assert_eq!(Scalar::Multiaddr.row().pflag, None);
    }

    #[test]
    fn pflag_names_of_a_spec_include_its_enums() {
        let mut spec = crate::Spec::default();
        assert_eq!(spec.type_for_pflag("uint").as_deref(), Some("u64"));
        assert_eq!(spec.type_for_pflag("RPC compression"), None);
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
        assert_eq!(spec.pflag_name("multiaddr"), None);
    }

    #[test]
    fn json_is_a_result_type_only() {
        let none = std::iter::empty();
        assert_eq!(SpecType::resolve("json", none, true), Some(SpecType::Json));
        assert_eq!(SpecType::resolve("json", std::iter::empty(), false), None);
        assert_eq!(
            SpecType::resolve("compression", ["compression"].into_iter(), false),
            Some(SpecType::Enum("compression".into()))
        );
    }
}
