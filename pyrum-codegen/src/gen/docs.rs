//! Doc comments: on or off by [`Settings::docs`](super::Settings). Spec texts become plain
//! markdown (no HTML tags, links or emphasis by accident); a help of several lines is fenced.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;

impl Gen<'_> {
    /// `#[doc]` attributes for `text`, one per line (nothing when docs are off).
    pub(super) fn doc(&self, text: &str) -> TokenStream {
        if !self.settings.docs {
            return quote!();
        }
        let lines = text.lines().map(|l| format!(" {l}"));
        quote!(#(#[doc = #lines])*)
    }
}

/// A help text for a doc: one line as plain markdown, several lines as the first line and the
/// whole text fenced (nothing in it read as markdown, HTML or a doctest).
pub(super) fn help(help: &str) -> String {
    let help = help.trim();
    if !help.contains('\n') {
        return plain(help);
    }
    format!(
        "{}\n\n```text\n{}\n```",
        plain(help.lines().next().unwrap_or("")),
        help.replace("```", "'''")
    )
}

/// `prefix: help`, or `prefix` alone when there is no help.
pub(super) fn with_help(prefix: &str, text: &str) -> String {
    if text.trim().is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}: {}", help(text))
    }
}

/// One line of text as plain markdown: code spans (between backticks) stay, elsewhere the
/// characters markdown or rustdoc would read (`<`, `>`, `[`, `]`, `*`, `_`, `\`) are escaped.
/// Unbalanced backticks become quotes.
pub(super) fn plain(line: &str) -> String {
    let balanced = line.matches('`').count().is_multiple_of(2);
    let mut out = String::with_capacity(line.len() + 8);
    let mut in_code = false;
    for c in line.chars() {
        match c {
            '`' if balanced => {
                in_code = !in_code;
                out.push(c);
            }
            '`' => out.push('\''),
            _ if in_code => out.push(c),
            '<' | '>' | '[' | ']' | '*' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_text_stays_plain() {
        assert_eq!(
            plain("needs <peer-id> [x] *b* `a_b` snake_case"),
            "needs \\<peer-id\\> \\[x\\] \\*b\\* `a_b` snake\\_case"
        );
        assert_eq!(plain("odd ` tick"), "odd ' tick");
        assert_eq!(help("one\ntwo"), "one\n\n```text\none\ntwo\n```");
        assert_eq!(with_help("`--x` (u8)", ""), "`--x` (u8)");
    }
}
