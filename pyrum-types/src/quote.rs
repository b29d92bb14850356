//! Turning words into one safe line of Rumor's shell (mvdan/sh, bash dialect).
//!
//! Every word, including command path words, prefixes and values, is wrapped in single quotes,
//! and a `'` inside a word is written `'\''`. Inside single quotes the shell expands nothing:
//! no `$VAR`, no `$(...)`, no backquotes, no globbing, no `#` comments.
//!
//! [`check_word`] rejects, before anything is sent, the characters that cannot be carried:
//! - U+0080 and U+0081: Rumor's parser (mvdan/sh v3.1.2) uses these two code points as internal
//!   sentinels (end of input, escaped newline). Checked against the real Rumor v0.3.6: U+0080
//!   inside single quotes ends the parser with "reached EOF without closing quote", which in
//!   bare mode ends the process; U+0081 arrives with a backslash and a newline appended.
//! - NUL and carriage return: policy, not necessity. Rumor v0.3.6 passes both through to `echo`
//!   intact, but a NUL cannot be part of an operating-system program's arguments (`execve`), and
//!   a carriage return is kept out so that a sent line reads the same in every Rumor input mode.

use crate::error::{Error, Result};

/// The characters [`check_word`] rejects: NUL, CR, U+0080, U+0081 (see the module docs).
pub const UNCARRIED: [char; 4] = ['\0', '\r', '\u{80}', '\u{81}'];

/// Rejects text that no quoting can carry to Rumor intact: any of [`UNCARRIED`].
pub fn check_word(what: &'static str, word: &str) -> Result<()> {
    // In UTF-8, NUL and CR are single bytes and U+0080/U+0081 are 0xC2 0x80/0x81: a byte
    // scan finds all four (0xC2 starts no other character's encoding of these).
    let bytes = word.as_bytes();
    let suspicious = memchr::memchr3(b'\0', b'\r', 0xC2, bytes).is_some();
    if !suspicious {
        return Ok(());
    }
    if let Some(bad) = word.chars().find(|c| UNCARRIED.contains(c)) {
        return Err(Error::InvalidInput {
            what,
            value: shorten(word),
            reason: match bad {
                '\0' => "contains a NUL byte, which pyrum does not send to Rumor",
                '\r' => "contains a carriage return, which pyrum does not send to Rumor",
                _ => "contains U+0080 or U+0081, which Rumor's shell parser (mvdan/sh) uses as internal markers: U+0080 ends its input, U+0081 is mangled",
            }
            .into(),
        });
    }
    Ok(())
}

/// Appends `word` to `line` as one single-quoted shell word (after a space if `line` is not
/// empty). The caller has checked the word with [`check_word`].
pub fn push_quoted(line: &mut String, word: &str) {
    if !line.is_empty() {
        line.push(' ');
    }
    line.reserve(word.len() + 2);
    line.push('\'');
    let mut rest = word;
    while let Some(i) = rest.find('\'') {
        line.push_str(&rest[..i]);
        line.push_str("'\\''");
        rest = &rest[i + 1..];
    }
    line.push_str(rest);
    line.push('\'');
}

/// Quotes one word: `it's` becomes `'it'\''s'`.
///
/// ```
/// assert_eq!(pyrum_types::quote::quote("it's $HOME"), r"'it'\''s $HOME'");
/// ```
pub fn quote(word: &str) -> String {
    let mut s = String::new();
    push_quoted(&mut s, word);
    s
}

/// Actor names: non-empty, and a name must not end in `:` (Rumor reads up to the first `:` at the
/// end of the word) or contain whitespace-only text.
pub fn check_actor_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("is empty; Rumor needs a non-empty actor name")
    } else if name.ends_with(':') {
        Some("ends with ':', which Rumor would read as part of the actor prefix")
    } else if name.len() > 256 {
        Some("is longer than 256 bytes")
    } else if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    {
        Some("may only use ASCII letters, digits, '-', '_' and '.'")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(Error::InvalidInput {
            what: "actor name",
            value: shorten(name),
            reason: reason.into(),
        }),
        None => Ok(()),
    }
}

/// `s`, cut to at most 80 bytes (on a character boundary) with `...` when cut: how errors
/// quote a value.
pub fn shorten(s: &str) -> String {
    shorten_to(s, 80)
}

/// `s`, cut to at most `max` bytes (on a character boundary) with `...` when cut.
pub fn shorten_to(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max.saturating_sub(3);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &s[..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_every_special_character() {
        assert_eq!(quote(""), "''");
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("'"), r"''\'''");
        assert_eq!(quote("$(touch x)`y`;&|#*"), "'$(touch x)`y`;&|#*'");
        assert_eq!(quote("two\nlines"), "'two\nlines'");
    }

    #[test]
    fn rejects_what_cannot_be_carried() {
        assert!(check_word("argument", "a\0b").is_err());
        assert!(check_word("argument", "a\rb").is_err());
        assert!(check_word("argument", "a\u{80}b").is_err());
        assert!(check_word("argument", "\u{81}").is_err());
        assert!(check_word("argument", "\u{7f}\u{82}\u{85}\u{2028}").is_ok());
        assert!(check_word("argument", "a\nb 'c' $d").is_ok());
    }

    #[test]
    fn validates_names() {
        assert!(check_actor_name("alice").is_ok());
        assert!(check_actor_name("node-1.a_b").is_ok());
        for bad in ["", "a:", "a b", "$x", "a'b"] {
            assert!(check_actor_name(bad).is_err(), "{bad:?}");
        }
    }
}
