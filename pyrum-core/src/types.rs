//! Values that go to Rumor as arguments and come back as result fields.
//!
//! Each type of `commands.toml`'s vocabulary has a Rust type here (or a std one: `String`,
//! `bool`, integers, [`Duration`], [`IpAddr`], `Vec<String>`). [`ToArg`] writes a value the
//! way Rumor's flag parser (pflag) reads it; `Deserialize` reads it from a result field.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A value that can be one argument word for Rumor.
pub trait ToArg {
    /// The text pflag parses back into the same value.
    fn to_arg(&self) -> String;
}

impl ToArg for bool {
    fn to_arg(&self) -> String {
        if *self { "true" } else { "false" }.to_string()
    }
}

macro_rules! display_arg {
    ($($t:ty),*) => {$(
        impl ToArg for $t {
            fn to_arg(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
display_arg!(u8, u16, u32, u64, i8, i16, i32, i64, f64, String, IpAddr);

impl ToArg for &str {
    fn to_arg(&self) -> String {
        (*self).to_string()
    }
}

impl ToArg for Duration {
    /// Go duration syntax, exact: `10s`, `1500ms`, `7ns`.
    fn to_arg(&self) -> String {
        let n = self.as_nanos();
        if n == 0 {
            "0s".into()
        } else if n.is_multiple_of(1_000_000_000) {
            format!("{}s", n / 1_000_000_000)
        } else if n.is_multiple_of(1_000_000) {
            format!("{}ms", n / 1_000_000)
        } else if n.is_multiple_of(1_000) {
            format!("{}us", n / 1_000)
        } else {
            format!("{n}ns")
        }
    }
}

impl<T: ToArg> ToArg for Vec<T> {
    /// pflag's list syntax: comma-separated CSV, with quotes where an item needs them.
    fn to_arg(&self) -> String {
        let mut out = String::new();
        for (i, item) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let s = item.to_arg();
            if s.contains([',', '"', '\n']) || s.starts_with(' ') || s.ends_with(' ') {
                out.push('"');
                out.push_str(&s.replace('"', "\"\""));
                out.push('"');
            } else {
                out.push_str(&s);
            }
        }
        out
    }
}

/// Reads a Go `time.Duration` result field (a number of nanoseconds).
pub fn de_duration<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    let n = i128::deserialize(d)?;
    Ok(Duration::from_nanos(n.clamp(0, u64::MAX as i128) as u64))
}

/// Like [`de_duration`], for optional fields.
pub fn de_duration_opt<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    Option::<i128>::deserialize(d)
        .map(|o| o.map(|n| Duration::from_nanos(n.clamp(0, u64::MAX as i128) as u64)))
}

fn invalid(what: &'static str, value: &str, reason: &'static str) -> Error {
    Error::InvalidInput {
        what,
        value: crate::quote::shorten(value),
        reason: reason.into(),
    }
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:expr, $reason:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks the text's shape and wraps it.
            pub fn new(text: impl Into<String>) -> Result<Self> {
                let text = text.into();
                let check: fn(&str) -> bool = $check;
                if check(&text) {
                    Ok($name(text))
                } else {
                    Err(invalid($what, &text, $reason))
                }
            }
            /// The text as Rumor prints it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }
        impl ToArg for $name {
            fn to_arg(&self) -> String {
                self.0.clone()
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.0)
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                // Results are taken as Rumor prints them; only user input is checked.
                String::deserialize(d).map($name)
            }
        }
    };
}

text_type!(
    /// A libp2p peer id, such as `16Uiu2HAm...`.
    PeerId, "peer id",
    |s| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric()),
    "a peer id is base58 text such as 16Uiu2HAm..."
);
text_type!(
    /// A libp2p multiaddress, such as `/ip4/127.0.0.1/tcp/9000/p2p/16Uiu2...`.
    Multiaddr, "multiaddr",
    |s| s.starts_with('/') && !s.contains(char::is_whitespace),
    "a multiaddr starts with '/' and has no spaces, e.g. /ip4/127.0.0.1/tcp/9000"
);
text_type!(
    /// An Ethereum node record, `enr:...`.
    Enr, "ENR",
    |s| s.starts_with("enr:") && !s.contains(char::is_whitespace),
    "an ENR starts with 'enr:'"
);
text_type!(
    /// An `enode://...` URL.
    Enode, "enode",
    |s| s.starts_with("enode://") && !s.contains(char::is_whitespace),
    "an enode starts with 'enode://'"
);
text_type!(
    /// An ENR or an enode URL.
    EnrOrEnode, "ENR or enode",
    |s| (s.starts_with("enr:") || s.starts_with("enode://")) && !s.contains(char::is_whitespace),
    "expected 'enr:...' or 'enode://...'"
);
text_type!(
    /// An ENR, an enode URL or a multiaddr: where Rumor accepts any address form.
    FlexAddr, "address",
    |s| (s.starts_with("enr:") || s.starts_with("enode://") || s.starts_with('/'))
        && !s.contains(char::is_whitespace),
    "expected an ENR, an enode URL or a multiaddr"
);
text_type!(
    /// A discv5 node id (hex), or an ENR/enode to take it from.
    NodeIdFlex, "node id",
    |s| !s.is_empty() && !s.contains(char::is_whitespace),
    "expected a hex node id, an ENR or an enode URL"
);

impl From<Multiaddr> for FlexAddr {
    fn from(v: Multiaddr) -> Self {
        FlexAddr(v.0)
    }
}
impl From<Enr> for FlexAddr {
    fn from(v: Enr) -> Self {
        FlexAddr(v.0)
    }
}
impl From<Enode> for FlexAddr {
    fn from(v: Enode) -> Self {
        FlexAddr(v.0)
    }
}
impl From<Enr> for EnrOrEnode {
    fn from(v: Enr) -> Self {
        EnrOrEnode(v.0)
    }
}
impl From<Enode> for EnrOrEnode {
    fn from(v: Enode) -> Self {
        EnrOrEnode(v.0)
    }
}
impl From<Enr> for NodeIdFlex {
    fn from(v: Enr) -> Self {
        NodeIdFlex(v.0)
    }
}
impl From<NodeId> for NodeIdFlex {
    fn from(v: NodeId) -> Self {
        NodeIdFlex(v.to_string())
    }
}

/// Decodes hex, with or without a `0x` prefix.
pub fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("0x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    let digit = |b: u8| match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    };
    s.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

/// Encodes bytes as lowercase hex without prefix.
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

/// Bytes of any length, written as hex (Rumor's `[]byte` flags; request and chunk payloads).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct HexBytes(pub Vec<u8>);

impl fmt::Display for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_hex(&self.0))
    }
}
impl FromStr for HexBytes {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        decode_hex(s)
            .map(HexBytes)
            .ok_or_else(|| invalid("hex bytes", s, "expected an even number of hex digits"))
    }
}
impl From<Vec<u8>> for HexBytes {
    fn from(v: Vec<u8>) -> Self {
        HexBytes(v)
    }
}
impl From<&[u8]> for HexBytes {
    fn from(v: &[u8]) -> Self {
        HexBytes(v.to_vec())
    }
}
impl ToArg for HexBytes {
    fn to_arg(&self) -> String {
        self.to_string()
    }
}
impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}
impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

macro_rules! fixed_bytes {
    ($(#[$doc:meta])* $name:ident, $n:literal, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; $n]);

        impl fmt::Display for $name {
            /// `0x`-prefixed lowercase hex.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "0x{}", encode_hex(&self.0))
            }
        }
        impl FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                let bytes = decode_hex(s)
                    .ok_or_else(|| invalid($what, s, "expected hex digits"))?;
                let arr: [u8; $n] = bytes.try_into().map_err(|_| {
                    invalid($what, s, concat!("expected exactly ", stringify!($n), " bytes of hex"))
                })?;
                Ok($name(arr))
            }
        }
        impl From<[u8; $n]> for $name {
            fn from(v: [u8; $n]) -> Self {
                $name(v)
            }
        }
        impl ToArg for $name {
            fn to_arg(&self) -> String {
                self.to_string()
            }
        }
        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(&self.to_string())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
    };
}

fixed_bytes!(
    /// A 32-byte root (block, state or finalized root).
    Root, 32, "root"
);
fixed_bytes!(
    /// A 4-byte fork digest.
    ForkDigest, 4, "fork digest"
);
fixed_bytes!(
    /// A 4-byte fork version.
    Version, 4, "fork version"
);
fixed_bytes!(
    /// The 64-bit attestation subnet bitfield of an ENR or metadata.
    Attnets, 8, "attnets bitfield"
);
fixed_bytes!(
    /// A discv5 node id.
    NodeId, 32, "node id"
);
fixed_bytes!(
    /// A secp256k1 private key.
    PrivKey, 32, "private key"
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_are_exact_go_syntax() {
        assert_eq!(Duration::from_secs(10).to_arg(), "10s");
        assert_eq!(Duration::from_millis(1500).to_arg(), "1500ms");
        assert_eq!(Duration::from_micros(3).to_arg(), "3us");
        assert_eq!(Duration::from_nanos(7).to_arg(), "7ns");
        assert_eq!(Duration::ZERO.to_arg(), "0s");
    }

    #[test]
    fn lists_are_csv() {
        assert_eq!(vec!["a".to_string(), "b".into()].to_arg(), "a,b");
        assert_eq!(
            vec!["a,b".to_string(), "c\"d".into()].to_arg(),
            "\"a,b\",\"c\"\"d\""
        );
    }

    #[test]
    fn hex_types_round_trip_and_check_length() {
        let r: Root = format!("0x{}", "ab".repeat(32)).parse().unwrap();
        assert_eq!(r.0, [0xab; 32]);
        assert_eq!(r.to_string(), format!("0x{}", "ab".repeat(32)));
        assert!("0xabcd".parse::<Root>().is_err());
        assert!("zz".parse::<HexBytes>().is_err());
        assert_eq!("00ff".parse::<HexBytes>().unwrap().0, vec![0, 255]);
        let d: ForkDigest = serde_json::from_str("\"0x01020304\"").unwrap();
        assert_eq!(d.0, [1, 2, 3, 4]);
    }

    #[test]
    fn text_types_check_shape() {
        assert!(PeerId::new("16Uiu2HAm9jTVTnbEp1").is_ok());
        assert!(PeerId::new("a b").is_err());
        assert!(Multiaddr::new("/ip4/1.2.3.4/tcp/1").is_ok());
        assert!(Multiaddr::new("garbage").is_err());
        let flex: FlexAddr = Multiaddr::new("/ip4/1.2.3.4/tcp/1").unwrap().into();
        assert_eq!(flex.as_str(), "/ip4/1.2.3.4/tcp/1");
    }
}

/// A value that can be read from a result field.
///
/// Reading is lenient where Rumor is inconsistent: integers also parse from strings, hex from
/// text with or without `0x`, durations from nanoseconds or Go syntax.
pub trait FromField: Sized {
    /// Reads the value, or says what was expected.
    fn from_field(value: &serde_json::Value) -> Result<Self, String>;
}

fn expected(what: &str, value: &serde_json::Value) -> String {
    format!("expected {what}, got {value}")
}

macro_rules! int_field {
    ($($t:ty),*) => {$(
        impl FromField for $t {
            fn from_field(value: &serde_json::Value) -> Result<Self, String> {
                match value {
                    serde_json::Value::Number(n) => n
                        .as_i64()
                        .and_then(|v| <$t>::try_from(v).ok())
                        .or_else(|| n.as_u64().and_then(|v| <$t>::try_from(v).ok()))
                        .ok_or_else(|| expected(stringify!($t), value)),
                    serde_json::Value::String(s) => s.parse().map_err(|_| expected(stringify!($t), value)),
                    _ => Err(expected(stringify!($t), value)),
                }
            }
        }
    )*};
}
int_field!(u8, u16, u32, u64, i8, i16, i32, i64);

impl FromField for f64 {
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        value.as_f64().ok_or_else(|| expected("a number", value))
    }
}

impl FromField for bool {
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        match value {
            serde_json::Value::Bool(b) => Ok(*b),
            serde_json::Value::String(s) if s == "true" => Ok(true),
            serde_json::Value::String(s) if s == "false" => Ok(false),
            _ => Err(expected("a boolean", value)),
        }
    }
}

impl FromField for String {
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        match value {
            serde_json::Value::String(s) => Ok(s.clone()),
            serde_json::Value::Null => Err(expected("text", value)),
            other => Ok(other.to_string()),
        }
    }
}

impl FromField for serde_json::Value {
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        Ok(value.clone())
    }
}

impl FromField for Duration {
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        match value {
            serde_json::Value::Number(n) => n
                .as_u64()
                .map(Duration::from_nanos)
                .or_else(|| n.as_i64().map(|_| Duration::ZERO))
                .ok_or_else(|| expected("a duration in nanoseconds", value)),
            _ => Err(expected("a duration in nanoseconds", value)),
        }
    }
}

impl FromField for IpAddr {
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        value
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| expected("an IP address", value))
    }
}

impl<T: FromField> FromField for Vec<T> {
    /// A JSON array (or `null`, which Rumor logs for empty Go slices), or a comma-separated string.
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        match value {
            serde_json::Value::Array(items) => items.iter().map(T::from_field).collect(),
            serde_json::Value::Null => Ok(Vec::new()),
            serde_json::Value::String(s) if s.is_empty() => Ok(Vec::new()),
            serde_json::Value::String(s) => s
                .split(',')
                .map(|p| T::from_field(&serde_json::Value::String(p.to_string())))
                .collect(),
            _ => Err(expected("a list", value)),
        }
    }
}

macro_rules! parsed_field {
    ($($t:ty),*) => {$(
        impl FromField for $t {
            fn from_field(value: &serde_json::Value) -> Result<Self, String> {
                let s = value.as_str().ok_or_else(|| expected(stringify!($t), value))?;
                s.parse().map_err(|e: Error| e.to_string())
            }
        }
    )*};
}
parsed_field!(HexBytes, Root, ForkDigest, Version, Attnets, NodeId, PrivKey);

macro_rules! text_field {
    ($($t:ident),*) => {$(
        impl FromField for $t {
            /// Taken as Rumor prints it.
            fn from_field(value: &serde_json::Value) -> Result<Self, String> {
                value
                    .as_str()
                    .map(|s| $t(s.to_string()))
                    .ok_or_else(|| expected(stringify!($t), value))
            }
        }
    )*};
}
text_field!(PeerId, Multiaddr, Enr, Enode, EnrOrEnode, FlexAddr, NodeIdFlex);
