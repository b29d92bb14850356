//! One JSON log line from Rumor, parsed.

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
    /// Parses one line. Fails on anything that is not a JSON object.
    pub fn parse(line: &str) -> Result<Entry> {
        let value: Value = serde_json::from_str(line).map_err(|e| {
            Error::Protocol(format!(
                "not a JSON entry ({e}): {}",
                crate::quote::shorten(line)
            ))
        })?;
        let Value::Object(mut obj) = value else {
            return Err(Error::Protocol(format!(
                "entry is not a JSON object: {}",
                crate::quote::shorten(line)
            )));
        };
        let level = match obj.remove("level") {
            Some(Value::String(s)) => Level::parse(&s),
            _ => Level::Unknown,
        };
        let msg = match obj.remove("msg") {
            Some(Value::String(s)) => s,
            Some(other) => other.to_string(),
            None => String::new(),
        };
        obj.remove("time");
        let call_id = take_string(&mut obj, "call_id");
        let actor = take_string(&mut obj, "actor");
        let marker = if obj.contains_key("__step") {
            obj.remove("__step");
            Some(Marker::Step)
        } else if obj.contains_key("__freed") {
            obj.remove("__freed");
            Some(Marker::Freed)
        } else if obj.contains_key("__success") {
            obj.remove("__success");
            Some(Marker::Success)
        } else {
            obj.remove("__error").map(|e| {
                Marker::Error(match e {
                    Value::String(s) => s,
                    other => other.to_string(),
                })
            })
        };
        for key in ["msg", "time", "level"] {
            if let Some(v) = obj.remove(&format!("fields.{key}")) {
                obj.insert(key.to_string(), v);
            }
        }
        Ok(Entry {
            level,
            msg,
            call_id,
            actor,
            marker,
            fields: obj,
        })
    }

    /// A field's value as text, if it is a string.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.fields.get(key).and_then(Value::as_str)
    }
}

fn take_string(obj: &mut Map<String, Value>, key: &str) -> Option<String> {
    match obj.remove(key) {
        Some(Value::String(s)) => Some(s),
        Some(other) => Some(other.to_string()),
        None => None,
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
    fn rejects_non_objects() {
        assert!(matches!(Entry::parse("[1]"), Err(Error::Protocol(_))));
        assert!(matches!(Entry::parse("{"), Err(Error::Protocol(_))));
        assert!(matches!(Entry::parse(""), Err(Error::Protocol(_))));
    }
}
