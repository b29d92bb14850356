//! What a call logged up to a point, and reading its fields into typed values.

use std::sync::Arc;

use serde_json::{Map, Value};

use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::FromField;

/// What a call logged up to a point: the latest value of each key, and the entries.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The latest value of each key, merged over the entries.
    pub fields: Map<String, Value>,
    /// The entries, in order (markers excluded).
    pub entries: Vec<Arc<Entry>>,
    /// For a step that ran but whose own work failed (e.g. an rpc chunk with a non-zero result
    /// code): Rumor's message. `None` for setup output and for steps that succeeded.
    pub error: Option<String>,
}

impl Output {
    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&Value> {
        self.entries
            .iter()
            .filter_map(|e| e.fields.get(key))
            .collect()
    }

    /// A field every run logs, read into `T`; a missing or malformed one is
    /// [`Error::Protocol`] naming `call` and the key.
    pub fn required<T: FromField>(&self, call: &str, key: &str) -> Result<T> {
        match self.fields.get(key) {
            Some(v) => read_field(call, key, v),
            None => Err(Error::Protocol(format!(
                "`{call}` did not log `{key}` (logged: {})",
                self.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// A field some runs log (`null` counts as absent).
    pub fn optional<T: FromField>(&self, call: &str, key: &str) -> Result<Option<T>> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => read_field(call, key, v).map(Some),
        }
    }

    /// Every value of a field logged in several entries, in order.
    pub fn repeated<T: FromField>(&self, call: &str, key: &str) -> Result<Vec<T>> {
        self.all(key)
            .into_iter()
            .map(|v| read_field(call, key, v))
            .collect()
    }

    /// The fields not in `known`: what a newer Rumor logs that the spec does not name.
    pub fn extra(&self, known: &[&str]) -> Map<String, Value> {
        self.fields
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }
}

/// Reads one logged value into `T`; a malformed one is [`Error::Protocol`] naming `call` and
/// `key`.
pub fn read_field<T: FromField>(call: &str, key: &str, value: &Value) -> Result<T> {
    T::from_field(value).map_err(|e| {
        Error::Protocol(format!(
            "`{call}` logged `{key}` in an unexpected form: {e}"
        ))
    })
}
