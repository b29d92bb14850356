//! A leaf command's builder: the struct over `typed::Builder`, its typed setters and
//! `DEFAULT_*` constants, `send`, and the `CommandSpec`, `Steppable` and `IntoFuture` impls
//! through which the runtime runs it. Everything else (sending, setup, the open call, steps,
//! cancel) is pyrum-core's, once.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{help, plain, with_help};
use super::Gen;
use crate::ir::{Leaf, Param, Role};
use crate::types::Literal;
use crate::validate::integer_default;

impl Gen<'_> {
    /// Everything a leaf emits: builder, its plumbing (one `pyrum_command!` line), handle,
    /// result and step types.
    pub(super) fn leaf_items(&self, leaf: &Leaf) -> TokenStream {
        let core = &self.core;
        let builder = &leaf.builder;
        let doc = self.doc(&self.command_doc(leaf));
        let defaults = leaf.setters.iter().filter_map(|p| self.default_const(p));
        let setters: Vec<_> = leaf.setters.iter().map(|p| self.setter(p)).collect();
        let own = if setters.is_empty()
            && !leaf.setters.iter().any(|p| self.default_const(p).is_some())
        {
            quote!()
        } else {
            quote! {
                impl #builder {
                    #(#defaults)*
                    #(#setters)*
                }
            }
        };
        let plumbing = self.command_macro(leaf);
        let types = if self.typed(leaf) {
            self.result_items(leaf)
        } else {
            quote!()
        };
        quote! {
            #doc
            #[must_use = "a command does nothing until it is awaited or sent"]
            #[derive(Debug, Clone)]
            pub struct #builder(#core::typed::Builder);
            #own
            #plumbing
            #types
        }
    }

    /// True unless the command waits for review (then it is generated untyped).
    pub(super) fn typed(&self, leaf: &Leaf) -> bool {
        !leaf.cmd.review
    }

    /// A typed setter of an optional positional, a flag, or the variadic positional.
    fn setter(&self, p: &Param) -> TokenStream {
        let method = &p.method;
        let name = p.name;
        let ty = p.ty.name();
        let base = self.rust_type(&p.ty);
        if p.role == Role::Variadic {
            let doc = self.doc(&with_help(
                &format!("Words for `{name}` (`{ty}`), sent bare after `--`"),
                p.help,
            ));
            return quote! {
                #doc
                pub fn #method<I: IntoIterator<Item = S>, S: Into<#base>>(self, words: I) -> Self {
                    Self(self.0.positionals(words.into_iter().map(Into::<#base>::into)))
                }
            };
        }
        let what = match (p.role, p.default) {
            (Role::Optional, _) => format!("`[{name}]` (`{ty}`, optional positional)"),
            (_, Some(d)) => format!("`--{name}` (`{ty}`, default {})", plain(d)),
            (_, None) => format!("`--{name}` (`{ty}`)"),
        };
        let doc = self.doc(&with_help(&what, p.help));
        let pty = self.param_type(&p.ty);
        let value = self.param_value(&p.ty, quote!(value));
        quote! {
            #doc
            pub fn #method(self, value: #pty) -> Self {
                Self(self.0.flag(#name, #value))
            }
        }
    }

    /// `DEFAULT_<FLAG>`: an integer flag's value when the command line does not set it, from
    /// the default `help` prints (none printed: 0, which pflag leaves out).
    fn default_const(&self, p: &Param) -> Option<TokenStream> {
        if p.role != Role::Flag || !matches!(p.ty.literal(), Literal::Unsigned | Literal::Signed) {
            return None;
        }
        let value = match p.default {
            Some(d) => integer_default(&p.ty, d).expect("validated: integer defaults fit"),
            None => 0,
        };
        let name = format_ident!("DEFAULT_{}", p.name.to_ascii_uppercase().replace('-', "_"));
        let ty = self.rust_type(&p.ty);
        let lit = proc_macro2::Literal::u128_unsuffixed(value.unsigned_abs());
        let lit = if value < 0 {
            quote!(-#lit)
        } else {
            quote!(#lit)
        };
        let doc = self.doc(&format!(
            "`--{}` when not set{}.",
            p.name,
            if p.default.is_some() {
                ""
            } else {
                " (`help` shows no default: zero)"
            }
        ));
        Some(quote! {
            #doc
            pub const #name: #ty = #lit;
        })
    }

    /// The builder's doc: the help, what awaiting gives when it is not the result, the marks,
    /// the notes.
    fn command_doc(&self, leaf: &Leaf) -> String {
        let cmd = leaf.cmd;
        let mut doc = format!("`{}`: {}", leaf.shown(), help(&cmd.help));
        if !self.typed(leaf) {
            doc.push_str(&format!(
                "\n\n**Not reviewed** (`review = true` in the spec): its results, whether it is long-running and whether it offers steps are not known yet, so it is untyped. Awaiting it returns the setup's [`Output`]({core}::Output) and then cancels the call if it is still open; `send()` gives the open [`Call`]({core}::Call).",
                core = self.core_doc()
            ));
        } else if cmd.long_running {
            doc.push_str(&format!(
                "\n\nLong-running: awaiting it gives the open [`{}`] after setup; the call runs until cancelled (dropping every handle cancels it).",
                leaf.handle
            ));
        }
        if self.typed(leaf) && cmd.steppable {
            doc.push_str(&format!(
                "\n\nSteppable: `step` on the open call runs one step ([`{}`]).",
                leaf.step
            ));
        }
        if !cmd.advertised {
            doc.push_str("\n\nNot listed by Rumor's `help`, but routed.");
        }
        if let Some(a) = &cmd.alias_of {
            doc.push_str(&format!("\n\nAlias of `{}`.", a.join(" ")));
        }
        if let Some(n) = &cmd.notes {
            doc.push_str(&format!("\n\nNotes: {}", help(n)));
        }
        doc
    }

    /// The runtime crate's path for doc links (`pyrum_core`).
    pub(super) fn core_doc(&self) -> String {
        self.settings.core_path.trim_start_matches("::").to_string()
    }
}
