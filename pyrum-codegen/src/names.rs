//! Rust names from spec words. Every generated name comes from a command path, a flag or
//! argument name or a result key, never from the order of the spec, so adding a command never
//! renames another one.

use proc_macro2::{Ident, Span};
use quote::format_ident;

use crate::validate::PLACEHOLDER;

/// `host-list` → `host_list`; keywords become raw identifiers (`r#type`), `self` and friends
/// get a trailing `_`.
pub(crate) fn snake(word: &str) -> Ident {
    let mut s: String = word
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    if s.is_empty() || s.starts_with(|c: char| c.is_ascii_digit()) {
        s.insert_str(0, "f_");
    }
    if syn::parse_str::<Ident>(&s).is_err() {
        if matches!(s.as_str(), "self" | "super" | "crate" | "Self") {
            s.push('_');
            return Ident::new(&s, Span::call_site());
        }
        return Ident::new_raw(&s, Span::call_site());
    }
    Ident::new(&s, Span::call_site())
}

/// [`snake`] without the `r#` of a raw identifier: the base for derived names.
pub(crate) fn snake_plain(word: &str) -> String {
    snake(word).to_string().trim_start_matches("r#").to_string()
}

/// `blocks-by-range` → `BlocksByRange`; `{name}` → `Name`.
pub(crate) fn camel_word(word: &str) -> String {
    let word = if word == PLACEHOLDER { "name" } else { word };
    let mut out = String::new();
    for part in word.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut cs = part.chars();
        if let Some(f) = cs.next() {
            out.push(f.to_ascii_uppercase());
            out.extend(cs);
        }
    }
    out
}

/// A type name from path words and a suffix: `["host", "listen"], "Result"` →
/// `HostListenResult`.
pub(crate) fn camel(words: &[String], suffix: &str) -> Ident {
    let name: String = words.iter().map(|w| camel_word(w)).collect();
    format_ident!("{}{}", name, suffix)
}

/// The module of a route word: `{name}` → `name`.
pub(crate) fn module(word: &str) -> Ident {
    if word == PLACEHOLDER {
        format_ident!("name")
    } else {
        snake(word)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_from_words() {
        assert_eq!(snake("peer-id").to_string(), "peer_id");
        assert_eq!(snake("type").to_string(), "r#type");
        assert_eq!(snake("self").to_string(), "self_");
        assert_eq!(snake("2x").to_string(), "f_2x");
        assert_eq!(snake_plain("type"), "type");
        assert_eq!(
            camel(&["rpc".into(), "blocks-by-range".into()], "Call").to_string(),
            "RpcBlocksByRangeCall"
        );
        assert_eq!(
            camel(&["on".into(), "{name}".into()], "").to_string(),
            "OnName"
        );
        assert_eq!(module("{name}").to_string(), "name");
    }
}
