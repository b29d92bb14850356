//! pyrum-types: the data that crosses the wire to Rumor, without any I/O: the values that go
//! as arguments and come back as result fields (this module), the quoting that makes every
//! word one shell word ([`quote`]), one command line before quoting ([`Command`]), one JSON
//! line from Rumor ([`entry`]), what a call logged ([`Output`]), and pyrum's one error type
//! ([`Error`]). pyrum-core re-exports it as `pyrum_core::types` (and `Command`, `Output`,
//! `entry`, `quote`, `Error` at their old places); users reach it as `pyrum::types`.
//!
//! Each type of `commands.toml`'s vocabulary has a Rust type here (or a std one: `String`,
//! `bool`, integers, [`Duration`], [`IpAddr`], `Vec<String>`). [`ToArg`] writes a value the
//! way Rumor's flag parser (pflag) reads it; `Deserialize` reads it from a result field.

#![warn(missing_docs)]

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub mod command;
pub mod entry;
pub mod error;
pub mod output;
pub mod quote;
pub mod ssz;

pub use command::Command;
pub use error::{Error, Result};
pub use output::Output;
use quote::shorten;

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
        value: shorten(value),
        reason: reason.into(),
    }
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident, $what:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Checks the text and wraps it; [`Error::InvalidInput`] says what is wrong with it.
            pub fn new(text: impl Into<String>) -> Result<Self> {
                let text = text.into();
                let check: fn(&str) -> Result<(), String> = $check;
                match check(&text) {
                    Ok(()) => Ok($name(text)),
                    Err(reason) => Err(invalid_because($what, &text, reason)),
                }
            }
            /// The text as Rumor prints it (and takes it back).
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
        impl TryFrom<&str> for $name {
            type Error = Error;
            fn try_from(s: &str) -> Result<Self> {
                Self::new(s)
            }
        }
        impl TryFrom<String> for $name {
            type Error = Error;
            fn try_from(s: String) -> Result<Self> {
                Self::new(s)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
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

fn invalid_because(what: &'static str, value: &str, reason: String) -> Error {
    Error::InvalidInput {
        what,
        value: shorten(value),
        reason,
    }
}

/// No whitespace: Rumor would read the word as several.
fn one_word(s: &str) -> Result<(), String> {
    if s.contains(char::is_whitespace) {
        Err("it contains whitespace".into())
    } else {
        Ok(())
    }
}

/// `Ok` when `f` holds, else the fixed reason.
fn shape(ok: bool, reason: &str) -> Result<(), String> {
    if ok {
        Ok(())
    } else {
        Err(reason.into())
    }
}

fn check_peer_id(s: &str) -> Result<(), String> {
    #[cfg(feature = "ecosystem-ids")]
    {
        s.parse::<libp2p_identity::PeerId>().map(drop).map_err(|e| {
            format!("not a libp2p peer id ({e}); expected base58 text such as 16Uiu2HAm...")
        })
    }
    #[cfg(not(feature = "ecosystem-ids"))]
    {
        light::peer_id(s)
    }
}

fn check_multiaddr(s: &str) -> Result<(), String> {
    #[cfg(feature = "ecosystem-ids")]
    {
        one_word(s)?;
        s.parse::<multiaddr::Multiaddr>().map(drop).map_err(|e| {
            format!("not a multiaddr ({e}); expected e.g. /ip4/127.0.0.1/tcp/9000/p2p/16Uiu2...")
        })
    }
    #[cfg(not(feature = "ecosystem-ids"))]
    {
        one_word(s)?;
        light::multiaddr(s)
    }
}

fn check_enr(s: &str) -> Result<(), String> {
    one_word(s)?;
    shape(s.starts_with("enr:"), "an ENR starts with 'enr:'")?;
    #[cfg(feature = "ecosystem-ids")]
    {
        s.parse::<ecosystem::EnrRecord>()
            .map(drop)
            .map_err(|e| format!("not a valid signed node record: {e}"))?;
    }
    #[cfg(not(feature = "ecosystem-ids"))]
    light::enr(s)?;
    Ok(())
}

fn check_enode(s: &str) -> Result<(), String> {
    one_word(s)?;
    shape(s.starts_with("enode://"), "an enode starts with 'enode://'")
}

fn check_enr_or_enode(s: &str) -> Result<(), String> {
    if s.starts_with("enode://") {
        check_enode(s)
    } else if s.starts_with("enr:") {
        check_enr(s)
    } else {
        Err("expected 'enr:...' or 'enode://...'".into())
    }
}

fn check_flex_addr(s: &str) -> Result<(), String> {
    if s.starts_with('/') {
        check_multiaddr(s)
    } else if s.starts_with("enr:") || s.starts_with("enode://") {
        check_enr_or_enode(s)
    } else {
        Err("expected an ENR, an enode URL or a multiaddr".into())
    }
}

fn check_node_id_flex(s: &str) -> Result<(), String> {
    if s.starts_with("enr:") || s.starts_with("enode://") {
        return check_enr_or_enode(s);
    }
    // Rumor's ParseNodeIDOrEnrOrEnode reads bare hex only: `0x...` would be rejected there.
    let bare = s.strip_prefix("0x").is_none();
    match decode_hex(s) {
        Some(bytes) if bytes.len() == 32 && bare => Ok(()),
        Some(bytes) if bytes.len() == 32 => {
            Err("Rumor takes a node id as bare hex: drop the 0x (NodeId does it for you)".into())
        }
        Some(bytes) => Err(format!(
            "a node id is 32 bytes of hex, this is {} bytes",
            bytes.len()
        )),
        None => Err("expected a hex node id (64 digits), an ENR or an enode URL".into()),
    }
}

/// Readers of the text forms of peer ids, multiaddrs and ENRs, without the ecosystem's crates
/// (feature `ecosystem-ids` uses those instead): enough to refuse what Rumor would refuse, with
/// a reason, before anything is sent.
#[cfg(not(feature = "ecosystem-ids"))]
mod light {
    use std::net::{Ipv4Addr, Ipv6Addr};

    const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

    /// Base58 (bitcoin alphabet) to bytes.
    pub fn base58(s: &str) -> Option<Vec<u8>> {
        let mut big_endian: Vec<u8> = Vec::with_capacity(s.len());
        for c in s.bytes() {
            let mut carry = BASE58.iter().position(|&b| b == c)? as u32;
            for byte in big_endian.iter_mut().rev() {
                carry += u32::from(*byte) * 58;
                *byte = carry as u8;
                carry >>= 8;
            }
            while carry > 0 {
                big_endian.insert(0, carry as u8);
                carry >>= 8;
            }
        }
        let zeros = s.bytes().take_while(|&b| b == b'1').count();
        let mut out = vec![0; zeros];
        out.extend(big_endian);
        Some(out)
    }

    /// A peer id is the base58 text of a multihash: the identity hash (0x00) of a key of at
    /// most 42 bytes (secp256k1 and ed25519 keys: `16Uiu2...`, `12D3Koo...`), or a sha2-256
    /// (0x12) of 32 bytes (`Qm...`).
    pub fn peer_id(s: &str) -> Result<(), String> {
        let bytes =
            base58(s).ok_or("not base58 text; a peer id looks like 16Uiu2HAm... or 12D3KooW...")?;
        match bytes.as_slice() {
            [0x00, len, key @ ..] if usize::from(*len) == key.len() && key.len() <= 42 => Ok(()),
            [0x12, 32, digest @ ..] if digest.len() == 32 => Ok(()),
            _ => Err("base58, but not a libp2p peer id (a multihash of a public key)".into()),
        }
    }

    /// The text form `/proto/value/...` with the protocols libp2p hosts use; values are checked
    /// where they have a form (addresses, ports, peer ids).
    pub fn multiaddr(s: &str) -> Result<(), String> {
        let mut parts = s.split('/');
        if parts.next() != Some("") {
            return Err("a multiaddr starts with '/', e.g. /ip4/127.0.0.1/tcp/9000".into());
        }
        let mut protocols = 0;
        while let Some(protocol) = parts.next() {
            protocols += 1;
            let mut value = || {
                parts
                    .next()
                    .filter(|v| !v.is_empty())
                    .ok_or_else(|| format!("`/{protocol}` needs a value"))
            };
            match protocol {
                "ip4" => {
                    let v = value()?;
                    v.parse::<Ipv4Addr>().map_err(|_| {
                        format!("`/ip4/{v}`: not an IPv4 address such as 127.0.0.1")
                    })?;
                }
                "ip6" => {
                    let v = value()?;
                    v.parse::<Ipv6Addr>()
                        .map_err(|_| format!("`/ip6/{v}`: not an IPv6 address such as ::1"))?;
                }
                "tcp" | "udp" | "dccp" | "sctp" => {
                    let v = value()?;
                    v.parse::<u16>().map_err(|_| {
                        format!("`/{protocol}/{v}`: a port is a number from 0 to 65535")
                    })?;
                }
                "p2p" | "ipfs" => peer_id(value()?)?,
                "dns" | "dns4" | "dns6" | "dnsaddr" | "ip6zone" | "certhash" | "sni" | "onion"
                | "onion3" | "garlic32" | "garlic64" => {
                    value()?;
                }
                "unix" => {
                    value()?;
                    break;
                }
                "ws" | "wss" | "quic" | "quic-v1" | "tls" | "noise" | "p2p-circuit" | "webrtc"
                | "webrtc-direct" | "webtransport" | "http" | "https" | "utp" | "udt"
                | "p2p-webrtc-star" | "p2p-webrtc-direct" | "p2p-websocket-star"
                | "p2p-stardust" | "x-parity-ws" | "x-parity-wss" => {}
                "" => return Err("an empty protocol (`//`, or a `/` at the end)".into()),
                other => return Err(format!("`/{other}` is not a multiaddr protocol")),
            }
        }
        if protocols == 0 {
            return Err("a multiaddr names at least one protocol".into());
        }
        Ok(())
    }

    /// `enr:` and the URL-safe base64 (no padding) of an RLP list of at most 300 bytes
    /// (EIP-778). The signature is not checked here.
    pub fn enr(s: &str) -> Result<(), String> {
        let text = s.strip_prefix("enr:").ok_or("an ENR starts with 'enr:'")?;
        let bytes = base64url(text).ok_or("the text after 'enr:' is not URL-safe base64")?;
        if bytes.len() > 300 {
            return Err(format!("{} bytes; an ENR has at most 300", bytes.len()));
        }
        let (len, header) = match bytes.first() {
            Some(&b @ 0xc0..=0xf7) => (usize::from(b - 0xc0), 1),
            Some(&b @ 0xf8..=0xff) => {
                let n = usize::from(b - 0xf7);
                let len = bytes
                    .get(1..1 + n)
                    .ok_or("a truncated record")?
                    .iter()
                    .fold(0usize, |acc, b| acc << 8 | usize::from(*b));
                (len, 1 + n)
            }
            _ => return Err("not an RLP list, so not a node record".into()),
        };
        if header + len != bytes.len() {
            return Err("the record's length does not match its RLP header".into());
        }
        Ok(())
    }

    fn base64url(s: &str) -> Option<Vec<u8>> {
        let digit = |c: u8| match c {
            b'A'..=b'Z' => Some(c - b'A'),
            b'a'..=b'z' => Some(c - b'a' + 26),
            b'0'..=b'9' => Some(c - b'0' + 52),
            b'-' => Some(62),
            b'_' => Some(63),
            _ => None,
        };
        let mut out = Vec::with_capacity(s.len() * 3 / 4);
        let (mut acc, mut bits) = (0u32, 0);
        for c in s.trim_end_matches('=').bytes() {
            acc = acc << 6 | u32::from(digit(c)?);
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
            }
        }
        Some(out)
    }
}

text_type!(
    /// A libp2p peer id, such as `16Uiu2HAm...`.
    ///
    /// [`PeerId::new`] checks it with a light reader; with feature `ecosystem-ids` it parses it with
    /// [`libp2p-identity`](https://docs.rs/libp2p-identity), and it converts to and from
    /// `libp2p_identity::PeerId` (module `ecosystem`, feature `ecosystem-ids`).
    ///
    /// ```
    /// use pyrum_types::PeerId;
    /// assert!(PeerId::new("16Uiu2HAkuta54X4uaYDaGcG7UgyLcdKZKY6Vxp43fiF57BXoJ1GY").is_ok());
    /// assert!(PeerId::new("not-a-peer").is_err());
    /// ```
    PeerId, "peer id", check_peer_id
);
text_type!(
    /// A libp2p multiaddress, such as `/ip4/127.0.0.1/tcp/9000/p2p/16Uiu2...`.
    ///
    /// [`Multiaddr::new`] checks it with a light reader; with feature `ecosystem-ids` it parses it with
    /// [`multiaddr`](https://docs.rs/multiaddr), so a bad address is an error before anything is
    /// sent, and it converts to and from `multiaddr::Multiaddr` (module `ecosystem`, feature `ecosystem-ids`).
    ///
    /// ```
    /// use pyrum_types::Multiaddr;
    /// assert!(Multiaddr::new("/ip4/127.0.0.1/tcp/9000").is_ok());
    /// assert!(Multiaddr::new("/ip4/999.1.1.1/tcp/x").is_err());
    /// ```
    Multiaddr, "multiaddr", check_multiaddr
);
text_type!(
    /// An Ethereum node record, `enr:...`.
    ///
    /// [`Enr::new`] checks its form with a light reader; with feature `ecosystem-ids` it decodes it and checks its signature
    /// with [`enr`](https://docs.rs/enr), and it converts to and from
    /// `ecosystem::EnrRecord` (feature `ecosystem-ids`).
    Enr, "ENR", check_enr
);
text_type!(
    /// An `enode://...` URL.
    Enode, "enode", check_enode
);
text_type!(
    /// An ENR or an enode URL.
    EnrOrEnode, "ENR or enode", check_enr_or_enode
);
text_type!(
    /// An ENR, an enode URL or a multiaddr: where Rumor accepts any address form.
    FlexAddr, "address", check_flex_addr
);
text_type!(
    /// A discv5 node id (bare hex, as Rumor takes it), or an ENR/enode to take it from.
    ///
    /// ```
    /// use pyrum_types::{NodeId, NodeIdFlex};
    /// let id = NodeId([0xab; 32]);
    /// let flex: NodeIdFlex = id.into();                  // what `dv5 lookup` takes
    /// assert_eq!(flex.as_str(), "ab".repeat(32));        // bare hex: Rumor rejects 0x here
    /// assert!(NodeIdFlex::new(format!("0x{}", "ab".repeat(32))).is_err());
    /// ```
    NodeIdFlex, "node id", check_node_id_flex
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
    /// Bare hex, the only node id form Rumor's `ParseNodeIDOrEnrOrEnode` reads.
    fn from(v: NodeId) -> Self {
        NodeIdFlex(encode_hex(&v.0))
    }
}

impl Multiaddr {
    /// The peer id of the address' last `/p2p/<id>` (or `/ipfs/<id>`) part, if it has one.
    ///
    /// ```
    /// use pyrum_types::Multiaddr;
    /// let addr = Multiaddr::new("/ip4/127.0.0.1/tcp/9000/p2p/16Uiu2HAkuta54X4uaYDaGcG7UgyLcdKZKY6Vxp43fiF57BXoJ1GY")?;
    /// assert_eq!(addr.peer_id().unwrap().as_str(), "16Uiu2HAkuta54X4uaYDaGcG7UgyLcdKZKY6Vxp43fiF57BXoJ1GY");
    /// assert!(Multiaddr::new("/ip4/127.0.0.1/tcp/9000")?.peer_id().is_none());
    /// # Ok::<(), pyrum_types::Error>(())
    /// ```
    pub fn peer_id(&self) -> Option<PeerId> {
        let parts: Vec<&str> = self.0.split('/').collect();
        parts
            .windows(2)
            .rev()
            .find(|w| w[0] == "p2p" || w[0] == "ipfs")
            .map(|w| PeerId(w[1].to_string()))
    }
}

/// The ecosystem's types behind [`PeerId`], [`Multiaddr`], [`Enr`] and [`NodeId`], and their
/// crates, re-exported so that versions match (feature `ecosystem-ids`, on by default).
///
/// pyrum's types keep the text Rumor printed (so a value goes back exactly as it came); these
/// conversions give the parsed value, and take one to send.
///
/// ```
/// use pyrum_types::ecosystem::{libp2p_identity, multiaddr};
/// use pyrum_types::{Multiaddr, PeerId};
///
/// let addr: multiaddr::Multiaddr = "/ip4/127.0.0.1/tcp/9000".parse().unwrap();
/// let ours = Multiaddr::from(addr.clone());                 // to pass to a command
/// assert_eq!(ours.to_multiaddr()?, addr);                     // and back
///
/// let peer = PeerId::new("16Uiu2HAkuta54X4uaYDaGcG7UgyLcdKZKY6Vxp43fiF57BXoJ1GY")?;
/// let theirs: libp2p_identity::PeerId = peer.to_libp2p()?;
/// assert_eq!(PeerId::from(theirs), peer);
/// # Ok::<(), pyrum_types::Error>(())
/// ```
#[cfg(feature = "ecosystem-ids")]
pub mod ecosystem {
    use super::{shorten, Enr, Multiaddr, NodeId, PeerId};
    use crate::error::{Error, Result};

    pub use ::enr;
    pub use ::libp2p_identity;
    pub use ::multiaddr;

    /// A decoded ENR whose signature was checked: the secp256k1 (`v4`) identity scheme that
    /// eth2 nodes and Rumor use.
    pub type EnrRecord = enr::Enr<enr::k256::ecdsa::SigningKey>;

    fn unreadable(what: &'static str, value: &str, reason: String) -> Error {
        Error::InvalidInput {
            what,
            value: shorten(value),
            reason,
        }
    }

    impl From<libp2p_identity::PeerId> for PeerId {
        fn from(id: libp2p_identity::PeerId) -> PeerId {
            PeerId(id.to_base58())
        }
    }

    impl From<&libp2p_identity::PeerId> for PeerId {
        fn from(id: &libp2p_identity::PeerId) -> PeerId {
            PeerId(id.to_base58())
        }
    }

    impl TryFrom<&PeerId> for libp2p_identity::PeerId {
        type Error = Error;
        fn try_from(id: &PeerId) -> Result<libp2p_identity::PeerId> {
            id.to_libp2p()
        }
    }

    impl PeerId {
        /// The parsed peer id.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidInput`] when the text (e.g. a result field of a newer Rumor) is not a
        /// base58 peer id.
        pub fn to_libp2p(&self) -> Result<libp2p_identity::PeerId> {
            self.0
                .parse()
                .map_err(|e| unreadable("peer id", &self.0, format!("not a libp2p peer id: {e}")))
        }
    }

    impl From<multiaddr::Multiaddr> for Multiaddr {
        fn from(addr: multiaddr::Multiaddr) -> Multiaddr {
            Multiaddr(addr.to_string())
        }
    }

    impl From<&multiaddr::Multiaddr> for Multiaddr {
        fn from(addr: &multiaddr::Multiaddr) -> Multiaddr {
            Multiaddr(addr.to_string())
        }
    }

    impl TryFrom<&Multiaddr> for multiaddr::Multiaddr {
        type Error = Error;
        fn try_from(addr: &Multiaddr) -> Result<multiaddr::Multiaddr> {
            addr.to_multiaddr()
        }
    }

    impl Multiaddr {
        /// The parsed address.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidInput`] when the text names a protocol the `multiaddr` crate does not
        /// know.
        pub fn to_multiaddr(&self) -> Result<multiaddr::Multiaddr> {
            self.0
                .parse()
                .map_err(|e| unreadable("multiaddr", &self.0, format!("not a multiaddr: {e}")))
        }
    }

    impl From<&EnrRecord> for Enr {
        fn from(record: &EnrRecord) -> Enr {
            Enr(record.to_base64())
        }
    }

    impl From<EnrRecord> for Enr {
        fn from(record: EnrRecord) -> Enr {
            Enr(record.to_base64())
        }
    }

    impl TryFrom<&Enr> for EnrRecord {
        type Error = Error;
        fn try_from(enr: &Enr) -> Result<EnrRecord> {
            enr.to_record()
        }
    }

    impl Enr {
        /// The decoded record, its signature checked.
        ///
        /// # Errors
        ///
        /// [`Error::InvalidInput`] when the text is not a valid signed `v4` record.
        pub fn to_record(&self) -> Result<EnrRecord> {
            self.0
                .parse()
                .map_err(|e| unreadable("ENR", &self.0, format!("not a valid node record: {e}")))
        }

        /// The record's discv5 node id (keccak256 of its public key).
        ///
        /// # Errors
        ///
        /// As [`Enr::to_record`].
        pub fn node_id(&self) -> Result<NodeId> {
            Ok(NodeId::from(self.to_record()?.node_id()))
        }
    }

    impl From<enr::NodeId> for NodeId {
        fn from(id: enr::NodeId) -> NodeId {
            NodeId(id.raw())
        }
    }

    impl From<NodeId> for enr::NodeId {
        fn from(id: NodeId) -> enr::NodeId {
            enr::NodeId::new(&id.0)
        }
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
    ($(#[$doc:meta])* $name:ident, $n:literal, $what:literal, $prefix:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(pub [u8; $n]);

        impl fmt::Display for $name {
            /// Lowercase hex, with the prefix Rumor writes and reads for this type.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}{}", $prefix, encode_hex(&self.0))
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
    Root, 32, "root", "0x"
);
fixed_bytes!(
    /// A 4-byte fork digest.
    ForkDigest, 4, "fork digest", "0x"
);
fixed_bytes!(
    /// A 4-byte fork version.
    Version, 4, "fork version", "0x"
);
fixed_bytes!(
    /// The 64-bit attestation subnet bitfield of an ENR or metadata.
    Attnets, 8, "attnets bitfield", "0x"
);
fixed_bytes!(
    /// A discv5 node id (32 bytes), written as bare hex: that is how Rumor prints it (`enr view`,
    /// `peer info`) and the only form `dv5 lookup` and other node id arguments take
    /// (Rumor's `ParseNodeID*` read no `0x`). Parsing accepts both.
    ///
    /// ```
    /// use pyrum_types::{NodeId, ToArg};
    /// let id: NodeId = format!("0x{}", "01".repeat(32)).parse()?;
    /// assert_eq!(id.to_arg(), "01".repeat(32));
    /// assert_eq!(id.to_string(), "01".repeat(32));
    /// # Ok::<(), pyrum_types::Error>(())
    /// ```
    NodeId, 32, "node id", ""
);
fixed_bytes!(
    /// A secp256k1 private key.
    PrivKey, 32, "private key", "0x"
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

    const PEER: &str = "16Uiu2HAkuta54X4uaYDaGcG7UgyLcdKZKY6Vxp43fiF57BXoJ1GY";
    /// A record Rumor v0.3.6 made (`enr make --ip=127.0.0.1 --tcp=9000 --udp=9000 --priv=4a0e...`),
    /// and the node id and peer id `enr view` printed for it.
    #[cfg_attr(not(feature = "ecosystem-ids"), allow(dead_code))]
    const ENR: &str = "enr:-Iu4QBcqiybl3ZvjSaUTDvfR28ukmmFgzoB1mVEZbR_virpJRjeIf5jDluIwxKAweMAxcl4B1mEfLuPbyZjRmOymGfECgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQLsduCOEBMe8F5I6u4ReYvg0eWYgTiFv_PzTWdl2zx_wIN0Y3CCIyiDdWRwgiMo";
    #[cfg_attr(not(feature = "ecosystem-ids"), allow(dead_code))]
    const ENR_NODE_ID: &str = "70907cf87b2a54184b4901cf4e9a251ebc4bd491bc07beb987ab9df7b90aa15a";

    #[test]
    fn text_types_check_shape() {
        assert!(PeerId::new(PEER).is_ok());
        assert!(PeerId::new("a b").is_err());
        assert!(Multiaddr::new("/ip4/1.2.3.4/tcp/1").is_ok());
        assert!(Multiaddr::new("garbage").is_err());
        let flex: FlexAddr = Multiaddr::new("/ip4/1.2.3.4/tcp/1").unwrap().into();
        assert_eq!(flex.as_str(), "/ip4/1.2.3.4/tcp/1");
        assert!(Enr::new("enr:x y").is_err());
        assert!(Enode::new("enode://abc@127.0.0.1:30303").is_ok());
        assert!(FlexAddr::new("http://x").is_err());
    }

    #[test]
    fn lists_and_maps_read_what_rumor_logs() {
        use std::collections::BTreeMap;
        let peers = serde_json::json!([PEER]);
        assert_eq!(Vec::<PeerId>::from_field(&peers).unwrap()[0].as_str(), PEER);
        // Go logs a nil slice or map as null: empty.
        assert!(Vec::<PeerId>::from_field(&serde_json::Value::Null)
            .unwrap()
            .is_empty());
        assert!(
            BTreeMap::<String, HexBytes>::from_field(&serde_json::Value::Null)
                .unwrap()
                .is_empty()
        );
        let raw = serde_json::json!({"ip": "847f000001", "id": "827634"});
        let raw = BTreeMap::<String, HexBytes>::from_field(&raw).unwrap();
        assert_eq!(raw["ip"].0, [0x84, 127, 0, 0, 1]);
        let err =
            BTreeMap::<String, HexBytes>::from_field(&serde_json::json!({"ip": "zz"})).unwrap_err();
        assert!(err.starts_with("at key \"ip\""), "{err}");
        assert!(Vec::<PeerId>::from_field(&serde_json::json!({"a": 1})).is_err());
        assert!(BTreeMap::<String, String>::from_field(&serde_json::json!([1])).is_err());
        // Roots come with or without 0x.
        let roots = serde_json::json!([format!("0x{}", "01".repeat(32)), "02".repeat(32)]);
        assert_eq!(
            Vec::<Root>::from_field(&roots).unwrap(),
            [Root([1; 32]), Root([2; 32])]
        );
    }

    #[test]
    fn node_ids_go_back_as_bare_hex() {
        let hex = "ab".repeat(32);
        let id: NodeId = format!("0x{hex}").parse().unwrap();
        assert_eq!(id.to_arg(), hex);
        assert_eq!(id.to_string(), hex);
        assert_eq!(hex.parse::<NodeId>().unwrap(), id);
        let flex: NodeIdFlex = id.into();
        assert_eq!(flex.as_str(), hex);
        assert!(NodeIdFlex::new(hex.clone()).is_ok());
        let err = NodeIdFlex::new(format!("0x{hex}")).unwrap_err().to_string();
        assert!(err.contains("drop the 0x"), "{err}");
        assert!(NodeIdFlex::new("abcd").is_err());
        assert!(NodeIdFlex::new("xyz").is_err());
        // Other fixed-size values keep their 0x.
        assert!(Root([1; 32]).to_arg().starts_with("0x"));
    }

    #[cfg(feature = "ecosystem-ids")]
    #[test]
    fn ecosystem_parsers_reject_bad_values_before_sending() {
        let err = Multiaddr::new("/ip4/999.1.1.1/tcp/x").unwrap_err();
        assert!(
            matches!(
                &err,
                Error::InvalidInput {
                    what: "multiaddr",
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(Multiaddr::new("/ip4/127.0.0.1/tcp/x").is_err());
        assert!(Multiaddr::new("/ip4/127.0.0.1/tcp/9000/p2p/nope").is_err());
        assert!(Multiaddr::new(format!("/ip4/127.0.0.1/tcp/9000/p2p/{PEER}")).is_ok());
        assert!(
            PeerId::new("16Uiu2HAm9jTVTnbEp1").is_err(),
            "base58, but no multihash"
        );
        assert!(PeerId::new("0OIl").is_err(), "not base58");
        assert!(Enr::new(ENR).is_ok());
        // One character changed: the signature no longer holds (or the RLP breaks).
        let bad = ENR
            .replace("BcqiybL", "BcqiybM")
            .replace("Bcqiyb", "Bcqiyc");
        assert!(Enr::new(bad).is_err());
        assert!(Enr::new("enr:-Iu4Q").is_err());
        assert!(EnrOrEnode::new(ENR).is_ok());
        assert!(FlexAddr::new("/ip4/1.2.3.999/tcp/1").is_err());
    }

    #[cfg(feature = "ecosystem-ids")]
    #[test]
    fn ecosystem_conversions_both_ways() {
        use super::ecosystem::{enr, libp2p_identity, multiaddr, EnrRecord};
        let peer = PeerId::new(PEER).unwrap();
        let p2p: libp2p_identity::PeerId = (&peer).try_into().unwrap();
        assert_eq!(PeerId::from(p2p), peer);

        let text = format!("/ip4/127.0.0.1/tcp/9000/p2p/{PEER}");
        let addr = Multiaddr::new(text.clone()).unwrap();
        let parsed: multiaddr::Multiaddr = (&addr).try_into().unwrap();
        assert_eq!(Multiaddr::from(&parsed).as_str(), text);
        assert_eq!(addr.peer_id(), Some(peer));

        let enr_text = Enr::new(ENR).unwrap();
        let record: EnrRecord = (&enr_text).try_into().unwrap();
        assert_eq!(Enr::from(&record), enr_text);
        let id = enr_text.node_id().unwrap();
        assert_eq!(id.to_string(), ENR_NODE_ID, "the node id Rumor printed");
        assert_eq!(NodeId::from(enr::NodeId::from(id)), id);
        assert_eq!(id.0, record.node_id().raw());
        // Text Rumor printed but the crate cannot read comes back as a clear error.
        let odd: Multiaddr = serde_json::from_str("\"/x-unknown/1\"").unwrap();
        assert!(matches!(
            odd.to_multiaddr(),
            Err(Error::InvalidInput { .. })
        ));
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

impl<T: FromField> FromField for std::collections::BTreeMap<String, T> {
    /// A JSON object (or `null`, which Rumor logs for a nil Go map), every value read as `T`.
    fn from_field(value: &serde_json::Value) -> Result<Self, String> {
        match value {
            serde_json::Value::Object(map) => map
                .iter()
                .map(|(k, v)| {
                    T::from_field(v)
                        .map(|v| (k.clone(), v))
                        .map_err(|e| format!("at key {k:?}: {e}"))
                })
                .collect(),
            serde_json::Value::Null => Ok(Default::default()),
            _ => Err(expected("an object", value)),
        }
    }
}

/// Reads a JSON object key by key: how record types (generated from the spec's `[records]`,
/// and the [`ssz`] containers) implement [`FromField`].
///
/// ```
/// use pyrum_types::{FromField, PeerId, Record};
///
/// let logged = serde_json::json!({"from": "16Uiu2HAm...", "chunk_index": 0, "new": true});
/// let record = Record::new("chunk", &logged)?;
/// let from: PeerId = record.required("from")?;
/// let index: u64 = record.required("chunk_index")?;
/// let msg: Option<String> = record.optional("msg")?;
/// assert_eq!((from.as_str(), index, msg), ("16Uiu2HAm...", 0, None));
/// assert_eq!(record.extra(&["from", "chunk_index", "msg"]).len(), 1);
/// # Ok::<(), String>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Record<'a> {
    what: &'a str,
    fields: &'a serde_json::Map<String, serde_json::Value>,
}

impl<'a> Record<'a> {
    /// The object `value`, or an error naming `what` was expected.
    pub fn new(what: &'a str, value: &'a serde_json::Value) -> Result<Self, String> {
        match value {
            serde_json::Value::Object(fields) => Ok(Record { what, fields }),
            _ => Err(format!("expected {what} as a JSON object, got {value}")),
        }
    }

    /// A key every object has.
    pub fn required<T: FromField>(&self, key: &str) -> Result<T, String> {
        match self.fields.get(key) {
            Some(v) => T::from_field(v).map_err(|e| format!("{} `{key}`: {e}", self.what)),
            None => Err(format!(
                "{} has no `{key}` (keys: {})",
                self.what,
                self.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            )),
        }
    }

    /// A key some objects have (`null` counts as absent).
    pub fn optional<T: FromField>(&self, key: &str) -> Result<Option<T>, String> {
        match self.fields.get(key) {
            None | Some(serde_json::Value::Null) => Ok(None),
            Some(v) => T::from_field(v)
                .map(Some)
                .map_err(|e| format!("{} `{key}`: {e}", self.what)),
        }
    }

    /// The keys not in `known`, with their values.
    pub fn extra(&self, known: &[&str]) -> serde_json::Map<String, serde_json::Value> {
        self.fields
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
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

#[cfg(all(test, not(feature = "ecosystem-ids")))]
mod light_tests {
    use super::*;

    #[test]
    fn real_values_pass_and_broken_ones_say_why() {
        // As Rumor printed them (host view, enr make).
        let peer = "16Uiu2HAmAkdGWFDQJENXrMkQWD3QuwmBQtuckeP2eSpgcX41Scej";
        assert!(PeerId::new(peer).is_ok());
        assert!(PeerId::new("12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA").is_ok());
        assert!(PeerId::new("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N").is_ok());
        for bad in ["16Uiu2HAm-not-base58", "16Uiu2HAm", "abc0", ""] {
            assert!(PeerId::new(bad).is_err(), "{bad}");
        }
        for good in [
            format!("/ip4/127.0.0.1/tcp/9000/p2p/{peer}"),
            "/ip6/::1/udp/9000/quic-v1".into(),
            "/dns4/example.org/tcp/443/wss".into(),
        ] {
            assert!(Multiaddr::new(&good).is_ok(), "{good}");
        }
        for bad in [
            "/ip4/999.1.1.1/tcp/x",
            "/ip4/127.0.0.1/tcp/99999",
            "ip4/1.2.3.4",
            "/ip4/1.2.3.4/",
            "/foo/1",
            "/tcp",
        ] {
            let err = Multiaddr::new(bad).unwrap_err().to_string();
            assert!(err.contains("multiaddr"), "{bad}: {err}");
        }
        // The example record of EIP-778.
        let enr = "enr:-IS4QHCYrYZbAKWCBRlAy5zzaDZXJBGkcnh4MHcBFZntXNFrdvJjX04jRzjzCBOonrkTfj499SZuOh8R33Ls8RRcy5wBgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQPKY0yuDUmstAHYpMa2_oxVtw0RW_QAdpzBQA8yWM0xOIN1ZHCCdl8";
        assert!(Enr::new(enr).is_ok());
        assert!(Enr::new("enr:!!!").is_err());
        assert!(Enr::new("enr:AAAA").is_err());
    }
}
