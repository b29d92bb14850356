//! One JSON log line from Rumor, parsed.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::error::{Error, Result};

/// A logrus level as Rumor writes it (`warning`, not `warn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Level {
    /// `trace`: call life-cycle markers and admin entries.
    Trace,
    /// `debug`
    Debug,
    /// `info`: most results.
    Info,
    /// `warning`: e.g. the session's `failed` entries.
    Warning,
    /// `error`
    Error,
    /// `fatal`
    Fatal,
    /// `panic`
    Panic,
    /// A level this version of pyrum does not know.
    Unknown,
}

impl Level {
    fn parse(s: &str) -> Level {
        match s {
            "trace" => Level::Trace,
            "debug" => Level::Debug,
            "info" => Level::Info,
            "warning" | "warn" => Level::Warning,
            "error" => Level::Error,
            "fatal" => Level::Fatal,
            "panic" => Level::Panic,
            _ => Level::Unknown,
        }
    }
}

/// A call life-cycle marker (rumor-protocol §3.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Marker {
    /// `__success`: the command's setup finished without error.
    Success,
    /// `__error`: the command failed; Rumor's message.
    Error(String),
    /// `__step`: one `next` finished a step.
    Step,
    /// `__freed`: the call and everything it started are finished.
    Freed,
}

/// One entry (JSON object) from Rumor.
///
/// `fields` holds every key but `level`, `msg`, `time`, `call_id`, `actor` and the markers.
/// Logrus renames a command's own `msg`/`time`/`level` fields to `fields.msg` etc.; they are
/// renamed back here, so `fields["msg"]` is the command's value and [`Entry::msg`] the log message.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The entry's level.
    pub level: Level,
    /// The log message (may be empty or multi-line).
    pub msg: String,
    /// The call that logged it, if any.
    pub call_id: Option<String>,
    /// The actor of that call, if any.
    pub actor: Option<String>,
    /// A life-cycle marker, if the entry is one.
    pub marker: Option<Marker>,
    /// Every other field.
    pub fields: Map<String, Value>,
}

impl Entry {
    /// An entry made on this side rather than read from Rumor: a level, a message and fields,
    /// with no call, actor or marker (a statement's printed output, an unparsable line).
    pub fn local(level: Level, msg: impl Into<String>, fields: Map<String, Value>) -> Entry {
        Entry {
            level,
            msg: msg.into(),
            call_id: None,
            actor: None,
            marker: None,
            fields,
        }
    }

    /// Parses one line. Fails on anything that is not a JSON object.
    ///
    /// This is the router's hot path: the object is read in one pass with a visitor that keeps
    /// the known keys (`level`, `msg`, `call_id`, `actor`, markers) out of `fields` and skips
    /// `time` without allocating, rather than building a `Value` and taking keys out of it.
    pub fn parse(line: &str) -> Result<Entry> {
        if let Some(e) = Entry::parse_marker(line) {
            return Ok(e);
        }
        use serde::Deserializer;
        let mut de = serde_json::Deserializer::from_str(line);
        let raw = de
            .deserialize_map(RawVisitor)
            .and_then(|raw| de.end().map(|()| raw))
            .map_err(|e| {
                if e.classify() == serde_json::error::Category::Data {
                    Error::Protocol(format!(
                        "entry is not a JSON object: {}",
                        crate::quote::shorten(line)
                    ))
                } else {
                    Error::Protocol(format!(
                        "not a JSON entry ({e}): {}",
                        crate::quote::shorten(line)
                    ))
                }
            })?;
        Ok(raw.into_entry())
    }

    /// Half of every call's lines are its `__success` and `__freed` markers, always written the
    /// same way (Go sorts the keys; the actor and the call id are the only variable text, and
    /// the time): `{"__freed":"true","actor":"A","call_id":"C","level":"trace","msg":"freed call
    /// resources","time":"T"}`. Read those without a JSON parser; anything that differs in the
    /// least (an escape, another key) goes the general way.
    fn parse_marker(line: &str) -> Option<Entry> {
        let (marker, msg, actor, call_id) = marker_parts(line)?;
        Some(Entry {
            level: Level::Trace,
            msg: msg.to_string(),
            call_id: Some(call_id.to_string()),
            actor: Some(actor.to_string()),
            marker: Some(marker),
            fields: Map::new(),
        })
    }

    /// What a line is, told without building an entry, for the lines every call writes in
    /// Rumor's usual form; `None` for anything else ([`Entry::parse`] it).
    ///
    /// ```
    /// use pyrum_types::entry::{Entry, Marker, Shape};
    /// let line = r#"{"actor":"alice","call_id":"c7","level":"info","msg":"Peer ID","peer_id":"16U"}"#;
    /// assert_eq!(Entry::shape(line), Some(Shape::Plain { call_id: "c7" }));
    /// let freed = r#"{"__freed":"true","actor":"alice","call_id":"c7","level":"trace","msg":"freed call resources","time":"T"}"#;
    /// assert_eq!(Entry::shape(freed), Some(Shape::Marker { call_id: "c7", marker: Marker::Freed }));
    /// assert_eq!(Entry::shape(r#"{"msg":"hello"}"#), None);
    /// ```
    pub fn shape(line: &str) -> Option<Shape<'_>> {
        use memchr::memmem::Finder;
        use std::sync::LazyLock;
        static STARTED: LazyLock<Finder> =
            LazyLock::new(|| Finder::new(r#""level":"trace","msg":"Started "#));
        static CALL_ID: LazyLock<Finder> = LazyLock::new(|| Finder::new(r#""call_id":""#));
        static MARKER_KEY: LazyLock<Finder> = LazyLock::new(|| Finder::new(r#""__"#));
        let bytes = line.as_bytes();
        if let Some((marker, _, _, call_id)) = marker_parts(line) {
            return Some(Shape::Marker { call_id, marker });
        }
        // Inside a JSON string a `"` is escaped, so these bytes can only be keys.
        if bytes.starts_with(br#"{"args":["#)
            && STARTED.find(bytes).is_some()
            && CALL_ID.find(bytes).is_none()
        {
            return Some(Shape::StartedNote);
        }
        let rest = line.strip_prefix(r#"{"actor":""#)?;
        let (_, rest) = plain_value(rest)?;
        let (call_id, _) = plain_value(rest.strip_prefix(r#"","call_id":""#)?)?;
        // No marker key anywhere (`"__` also matches an escaped quote in a value: then the
        // general way), and well-formed: a broken line is reported as such, not logged.
        let valid = || {
            let mut de = serde_json::Deserializer::from_str(line);
            serde::de::DeserializeSeed::deserialize(Skip::NONE, &mut de)
                .and_then(|()| de.end())
                .is_ok()
        };
        (MARKER_KEY.find(bytes).is_none() && valid()).then_some(Shape::Plain { call_id })
    }

    /// A field's value as text, if it is a string.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

/// What [`Entry::shape`] tells of a line.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Shape<'a> {
    /// Rumor's admin note `{"args":[...],"level":"trace","msg":"Started <id>",...}`, written for
    /// every call in bare mode and carrying no call id.
    StartedNote,
    /// A `__success` or `__freed` marker in the exact form Rumor writes them.
    Marker {
        /// The call's id.
        call_id: &'a str,
        /// [`Marker::Success`] or [`Marker::Freed`].
        marker: Marker,
    },
    /// A well-formed entry of call `call_id` with no marker: `{"actor":"A","call_id":"C",...}`.
    Plain {
        /// The call's id.
        call_id: &'a str,
    },
}

/// One entry of a call's log: kept as its line until somebody reads it, then parsed once. A
/// call's results often wait a while for their reader; as text they take a fifth of the memory.
#[derive(Debug, Clone)]
pub enum Logged {
    /// Not read yet: the line (one [`Entry::shape`] found [`Shape::Plain`]).
    Line(Box<str>),
    /// Parsed.
    Entry(Arc<Entry>),
}

impl Logged {
    /// The entry, parsed on first use. (A line [`Entry::shape`] let through is a JSON object,
    /// so this cannot fail short of a bug; if it does, the entry says so at level `Unknown`.)
    pub fn entry(&mut self) -> &Arc<Entry> {
        if let Logged::Line(line) = self {
            let entry = Entry::parse(line)
                .unwrap_or_else(|e| Entry::local(Level::Unknown, e.to_string(), Map::new()));
            *self = Logged::Entry(Arc::new(entry));
        }
        match self {
            Logged::Entry(entry) => entry,
            Logged::Line(_) => unreachable!("parsed above"),
        }
    }
}

/// A value of a marker line or a plain line's prefix: runs to the next `"`; a `\` in it means
/// an escape, and a control byte is not JSON: the general way then.
fn plain_value(s: &str) -> Option<(&str, &str)> {
    let i = memchr::memchr(b'"', s.as_bytes())?;
    (!s.as_bytes()[..i].iter().any(|&b| b == b'\\' || b < 0x20)).then(|| (&s[..i], &s[i..]))
}

/// `(marker, msg, actor, call_id)` of a `__success` / `__freed` line in the exact form Rumor
/// writes them (see `Entry::parse_marker`).
fn marker_parts(line: &str) -> Option<(Marker, &'static str, &str, &str)> {
    let (marker, msg, rest) = if let Some(r) = line.strip_prefix(r#"{"__freed":"true","actor":""#) {
        (Marker::Freed, "freed call resources", r)
    } else if let Some(r) = line.strip_prefix(r#"{"__success":"true","actor":""#) {
        (Marker::Success, "completed call", r)
    } else {
        return None;
    };
    let (actor, rest) = plain_value(rest)?;
    let (call_id, rest) = plain_value(rest.strip_prefix(r#"","call_id":""#)?)?;
    let rest = rest
        .strip_prefix(r#"","level":"trace","msg":""#)?
        .strip_prefix(msg)?
        .strip_prefix(r#"","time":""#)?;
    let (_time, rest) = plain_value(rest)?;
    (rest == r#""}"#).then_some((marker, msg, actor, call_id))
}

fn into_text(v: Value) -> String {
    match v {
        Value::String(s) => s,
        other => other.to_string(),
    }
}

/// An entry as read, before the markers are decided.
struct Raw {
    level: Level,
    msg: Option<Value>,
    call_id: Option<Value>,
    actor: Option<Value>,
    step: Option<Value>,
    freed: Option<Value>,
    success: Option<Value>,
    error: Option<Value>,
    /// `fields.msg`, `fields.time`, `fields.level`: a command's own fields that logrus renamed.
    renamed: [Option<Value>; 3],
    fields: Map<String, Value>,
}

impl Raw {
    fn into_entry(self) -> Entry {
        let Raw {
            level,
            msg,
            call_id,
            actor,
            step,
            freed,
            success,
            error,
            renamed,
            mut fields,
        } = self;
        // One marker per entry; should several appear, the first of __step, __freed,
        // __success, __error counts and the others stay fields.
        let mut rest = Vec::new();
        let marker = if step.is_some() {
            rest.extend([
                ("__freed", freed),
                ("__success", success),
                ("__error", error),
            ]);
            Some(Marker::Step)
        } else if freed.is_some() {
            rest.extend([("__success", success), ("__error", error)]);
            Some(Marker::Freed)
        } else if success.is_some() {
            rest.push(("__error", error));
            Some(Marker::Success)
        } else {
            error.map(|e| Marker::Error(into_text(e)))
        };
        for (key, value) in rest {
            if let Some(v) = value {
                fields.insert(key.to_string(), v);
            }
        }
        for (key, value) in ["msg", "time", "level"].into_iter().zip(renamed) {
            if let Some(v) = value {
                fields.insert(key.to_string(), v);
            }
        }
        Entry {
            level,
            msg: msg.map(into_text).unwrap_or_default(),
            call_id: call_id.map(into_text),
            actor: actor.map(into_text),
            marker,
            fields,
        }
    }
}

/// The keys the parser keeps out of `fields`; any other key is `Other`.
enum Key {
    Time,
    Level,
    Msg,
    CallId,
    Actor,
    Step,
    Freed,
    Success,
    Error,
    Renamed(usize),
    Other(String),
}

impl<'de> serde::Deserialize<'de> for Key {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Key, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Key;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            // Compared in place: only keys that go into `fields` are allocated.
            fn visit_str<E: serde::de::Error>(self, k: &str) -> std::result::Result<Key, E> {
                Ok(match k {
                    "time" => Key::Time,
                    "level" => Key::Level,
                    "msg" => Key::Msg,
                    "call_id" => Key::CallId,
                    "actor" => Key::Actor,
                    "__step" => Key::Step,
                    "__freed" => Key::Freed,
                    "__success" => Key::Success,
                    "__error" => Key::Error,
                    "fields.msg" => Key::Renamed(0),
                    "fields.time" => Key::Renamed(1),
                    "fields.level" => Key::Renamed(2),
                    other => Key::Other(other.to_string()),
                })
            }
            fn visit_string<E: serde::de::Error>(self, k: String) -> std::result::Result<Key, E> {
                match self.visit_str::<E>(&k)? {
                    Key::Other(_) => Ok(Key::Other(k)),
                    known => Ok(known),
                }
            }
        }
        d.deserialize_str(V)
    }
}

/// One JSON value read without allocating, keeping only what `on_str` makes of a string and
/// `other` for any other value: `LEVEL` reads the `level` value (anything but a string is
/// `Unknown`), `NONE` drops a value. As strict as reading it into a [`Value`] would be: a number
/// out of `f64`'s range (`1e400`) or a lone surrogate (`"\ud800"`) fails here too, where serde's
/// `IgnoredAny` lets them through. So [`Entry::shape`] and [`Entry::parse`] accept exactly the
/// lines that read as a `serde_json` object, wherever in the line such a value sits.
struct Skip<T> {
    on_str: fn(&str) -> T,
    other: T,
}

impl Skip<()> {
    const NONE: Skip<()> = Skip {
        on_str: |_| (),
        other: (),
    };
}

impl Skip<Level> {
    const LEVEL: Skip<Level> = Skip {
        on_str: Level::parse,
        other: Level::Unknown,
    };
}

impl<'de, T> serde::de::DeserializeSeed<'de> for Skip<T> {
    type Value = T;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<T, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T> serde::de::Visitor<'de> for Skip<T> {
    type Value = T;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, _: bool) -> std::result::Result<T, E> {
        Ok(self.other)
    }
    fn visit_i64<E>(self, _: i64) -> std::result::Result<T, E> {
        Ok(self.other)
    }
    fn visit_u64<E>(self, _: u64) -> std::result::Result<T, E> {
        Ok(self.other)
    }
    fn visit_f64<E>(self, _: f64) -> std::result::Result<T, E> {
        Ok(self.other)
    }
    fn visit_str<E>(self, s: &str) -> std::result::Result<T, E> {
        Ok((self.on_str)(s))
    }
    fn visit_unit<E>(self) -> std::result::Result<T, E> {
        Ok(self.other)
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(
        self,
        mut seq: A,
    ) -> std::result::Result<T, A::Error> {
        while seq.next_element_seed(Skip::NONE)?.is_some() {}
        Ok(self.other)
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<T, A::Error> {
        while map.next_key_seed(Skip::NONE)?.is_some() {
            map.next_value_seed(Skip::NONE)?;
        }
        Ok(self.other)
    }
}

struct RawVisitor;

impl<'de> serde::de::Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(
        self,
        mut map: A,
    ) -> std::result::Result<Raw, A::Error> {
        let mut raw = Raw {
            level: Level::Unknown,
            msg: None,
            call_id: None,
            actor: None,
            step: None,
            freed: None,
            success: None,
            error: None,
            renamed: [None, None, None],
            fields: Map::new(),
        };
        while let Some(key) = map.next_key::<Key>()? {
            let slot = match key {
                Key::Time => {
                    map.next_value_seed(Skip::NONE)?;
                    continue;
                }
                Key::Level => {
                    raw.level = map.next_value_seed(Skip::LEVEL)?;
                    continue;
                }
                Key::Other(key) => {
                    let value = map.next_value::<Value>()?;
                    raw.fields.insert(key, value);
                    continue;
                }
                Key::Msg => &mut raw.msg,
                Key::CallId => &mut raw.call_id,
                Key::Actor => &mut raw.actor,
                Key::Step => &mut raw.step,
                Key::Freed => &mut raw.freed,
                Key::Success => &mut raw.success,
                Key::Error => &mut raw.error,
                Key::Renamed(i) => &mut raw.renamed[i],
            };
            *slot = Some(map.next_value::<Value>()?);
        }
        Ok(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_markers_and_renamed_fields() {
        let e = Entry::parse(r#"{"__error":"boom","actor":"alice","call_id":"c2","level":"trace","msg":"call failed with error","time":"t"}"#).unwrap();
        assert_eq!(e.marker, Some(Marker::Error("boom".into())));
        assert_eq!(e.call_id.as_deref(), Some("c2"));
        assert_eq!(e.actor.as_deref(), Some("alice"));
        assert!(e.fields.is_empty());

        let e =
            Entry::parse(r#"{"__step":true,"call_id":"c","level":"trace","msg":"Step complete"}"#)
                .unwrap();
        assert_eq!(e.marker, Some(Marker::Step));

        let e = Entry::parse(
            r#"{"fields.msg":"bad chunk","level":"info","msg":"Received chunk","chunk_index":0}"#,
        )
        .unwrap();
        assert_eq!(e.str_field("msg"), Some("bad chunk"));
        assert_eq!(e.msg, "Received chunk");
        assert_eq!(e.level, Level::Info);
        assert_eq!(e.fields["chunk_index"], 0);
    }

    #[test]
    fn odd_entries_read_as_before() {
        // Non-string meta values, two markers, a renamed level, nested fields, escaped keys.
        let e = Entry::parse(
            r#"{"level":5,"msg":7,"call\u005fid":3,"__success":"true","__freed":"true","fields.level":"x","time":1,"a":{"b":[1]}}"#,
        )
        .unwrap();
        assert_eq!(e.level, Level::Unknown);
        assert_eq!(e.msg, "7");
        assert_eq!(e.call_id.as_deref(), Some("3"));
        assert_eq!(e.marker, Some(Marker::Freed));
        assert_eq!(e.fields["__success"], "true");
        assert_eq!(e.fields["level"], "x");
        assert_eq!(e.fields["a"]["b"][0], 1);
        assert!(!e.fields.contains_key("time") && !e.fields.contains_key("__freed"));
        assert_eq!(e.fields.len(), 3);

        let e =
            Entry::parse(r#"{"level":"warning","msg":"failed","args":["_c1","next"]}"#).unwrap();
        assert_eq!((e.level, e.marker, e.call_id), (Level::Warning, None, None));
        assert_eq!(e.fields["args"][1], "next");
        assert!(matches!(
            Entry::parse(r#"{"a":1} x"#),
            Err(Error::Protocol(_))
        ));
    }

    #[test]
    fn markers_read_fast_as_the_parser_reads_them() {
        for line in [
            r#"{"__freed":"true","actor":"alice","call_id":"py1c0n7","level":"trace","msg":"freed call resources","time":"2020-10-20T00:00:00.1Z"}"#,
            r#"{"__success":"true","actor":"a-b.c","call_id":"s1_2","level":"trace","msg":"completed call","time":"t"}"#,
        ] {
            let fast = Entry::parse_marker(line).expect("the fast path reads it");
            let mut de = serde_json::Deserializer::from_str(line);
            let slow = serde::Deserializer::deserialize_map(&mut de, RawVisitor)
                .unwrap()
                .into_entry();
            assert_eq!(fast, slow);
        }
        // Anything else takes the general way: another key, an escape, a different message.
        for line in [
            r#"{"__freed":"true","actor":"alice","call_id":"c","level":"trace","msg":"freed call resources","parent":"s1","time":"t"}"#,
            r#"{"__freed":"true","actor":"al\"ice","call_id":"c","level":"trace","msg":"freed call resources","time":"t"}"#,
            r#"{"__success":"true","actor":"a","call_id":"c","level":"trace","msg":"other","time":"t"}"#,
            r#"{"__success":"true","actor":"a","call_id":"c","level":"trace","msg":"completed call","time":"t"} "#,
        ] {
            assert!(Entry::parse_marker(line).is_none(), "{line}");
            assert!(Entry::parse(line).is_ok() || line.ends_with(' '));
        }
    }

    #[test]
    fn shapes_are_told_only_for_rumors_usual_forms() {
        let plain = r#"{"actor":"alice","call_id":"py1c0n7","level":"info","msg":"Peer ID","peer_id":"16U","time":"t"}"#;
        assert_eq!(
            Entry::shape(plain),
            Some(Shape::Plain { call_id: "py1c0n7" })
        );
        let started =
            r#"{"args":["host","view"],"level":"trace","msg":"Started py1c0n7","time":"t"}"#;
        assert_eq!(Entry::shape(started), Some(Shape::StartedNote));
        let freed = r#"{"__freed":"true","actor":"a","call_id":"c","level":"trace","msg":"freed call resources","time":"t"}"#;
        let marker = Some(Shape::Marker {
            call_id: "c",
            marker: Marker::Freed,
        });
        assert_eq!(Entry::shape(freed), marker);
        // The general way: a marker key further on, `"__` in a value, an escape in the id, a
        // key before `actor`, a broken or trailing line, a Started note of a call.
        for line in [
            r#"{"actor":"a","call_id":"c","__error":"x","level":"info","msg":"m"}"#,
            r#"{"actor":"a","call_id":"c","level":"info","msg":"say "__hi""}"#,
            r#"{"actor":"a","call_id":"c"d","level":"info","msg":"m"}"#,
            r#"{"actor":"a\b","call_id":"c","level":"info","msg":"m"}"#,
            r#"{"addr":"x","actor":"a","call_id":"c","level":"info","msg":"m"}"#,
            r#"{"actor":"a","call_id":"c","level":"info","msg":"m""#,
            r#"{"actor":"a","call_id":"c","level":"info"} trailing"#,
            r#"{"args":["x"],"call_id":"c","level":"trace","msg":"Started c"}"#,
        ] {
            assert_eq!(Entry::shape(line), None, "{line}");
        }
    }

    #[test]
    fn a_logged_line_parses_once_into_the_entry_the_parser_makes() {
        let line = r#"{"actor":"alice","call_id":"c1","level":"info","msg":"Peer ID","peer_id":"16U","time":"t"}"#;
        let mut logged = Logged::Line(line.into());
        let first = logged.entry().clone();
        assert_eq!(*first, Entry::parse(line).unwrap());
        assert_eq!(first.str_field("peer_id"), Some("16U"));
        assert!(matches!(logged, Logged::Entry(_)));
        assert!(
            Arc::ptr_eq(&first, logged.entry()),
            "parsed once, then shared"
        );
        let mut broken = Logged::Line("{".into());
        assert_eq!(broken.entry().level, Level::Unknown);
    }

    #[test]
    fn rejects_non_objects() {
        assert!(matches!(Entry::parse("[1]"), Err(Error::Protocol(_))));
        assert!(matches!(Entry::parse("{"), Err(Error::Protocol(_))));
        assert!(matches!(Entry::parse(""), Err(Error::Protocol(_))));
    }

    #[test]
    fn values_the_parser_skips_are_as_strict_as_the_values_it_keeps() {
        // Found by the fuzz test: `IgnoredAny` let `1e400` through in a skipped value (the level
        // or the time) and in the shape check, while the same number in a field failed.
        for bad in [r#"1e400"#, r#""\ud800""#, r#"[-1e999]"#, r#"{"k":1e400}"#] {
            for line in [
                format!(r#"{{"actor":"a","call_id":"c","level":"info","msg":"m","x":{bad}}}"#),
                format!(r#"{{"actor":"a","call_id":"c","level":{bad},"msg":"m"}}"#),
                format!(r#"{{"actor":"a","call_id":"c","level":"info","msg":"m","time":{bad}}}"#),
            ] {
                assert!(serde_json::from_str::<Value>(&line).is_err(), "{line}");
                assert!(
                    matches!(Entry::parse(&line), Err(Error::Protocol(_))),
                    "{line}"
                );
                assert_eq!(Entry::shape(&line), None, "{line}");
            }
        }
        // Nor does the fast path take a raw control byte, which JSON does not allow in a string.
        let ctrl = "{\"__freed\":\"true\",\"actor\":\"a\u{1}\",\"call_id\":\"c1\",\"level\":\"trace\",\"msg\":\"freed call resources\",\"time\":\"t\"}";
        assert!(serde_json::from_str::<Value>(ctrl).is_err());
        assert_eq!(Entry::shape(ctrl), None);
        assert!(Entry::parse(ctrl).is_err());
        let fine = r#"{"actor":"a","call_id":"c","level":[1e300,"\ud83d\ude00"],"msg":"m","time":{"t":-0.5}}"#;
        assert_eq!(Entry::parse(fine).unwrap().level, Level::Unknown);
        assert_eq!(Entry::shape(fine), Some(Shape::Plain { call_id: "c" }));
    }
}
