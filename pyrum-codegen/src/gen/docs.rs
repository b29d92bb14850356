//! Doc comments: on or off by [`Settings::docs`](super::Settings), help texts fenced so that
//! nothing in them is read as markdown, HTML or a doctest.

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

/// Help text, fenced so that nothing in it is read as markdown, HTML or a doctest.
pub(super) fn help_block(help: &str) -> String {
    if help.trim().is_empty() {
        return String::new();
    }
    format!(
        "\n\n```text\n{}\n```",
        help.trim_end().replace("```", "'''")
    )
}

/// The first line of a help text as plain markdown: no HTML-like tags, no code, no links.
pub(super) fn first_line(help: &str) -> String {
    let line = help.lines().next().unwrap_or("").trim();
    let mut out = String::with_capacity(line.len());
    for c in line.chars() {
        match c {
            '<' => out.push('‹'),
            '>' => out.push('›'),
            '`' => out.push('\''),
            '[' | ']' | '*' | '_' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}
