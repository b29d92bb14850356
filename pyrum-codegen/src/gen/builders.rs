//! A leaf command's builder: the struct over `typed::Builder`, its typed setters, `send`, and
//! the `CommandSpec`, `Steppable` and `IntoFuture` impls through which the runtime runs it.

use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::docs::{first_line, help_block};
use super::Gen;
use crate::ir::{Leaf, Param, Role};
use crate::types::Literal;
use crate::validate::integer_default;
use crate::validate::PLACEHOLDER;

impl Gen<'_> {
    /// Everything a leaf emits: builder, impls, handle, result and step structs.
    pub(super) fn leaf_items(&self, leaf: &Leaf) -> TokenStream {
        let core = &self.core;
        let cmd = leaf.cmd;
        let shown = leaf.shown();
        let (builder, result, handle, step) =
            (&leaf.builder, &leaf.result, &leaf.handle, &leaf.step);

        // Path words, with placeholders filled from the route's names.
        let mut name_idx = 0usize;
        let words: Vec<TokenStream> = cmd
            .path
            .iter()
            .map(|w| {
                if w == PLACEHOLDER {
                    let i = name_idx;
                    name_idx += 1;
                    quote!(names[#i].clone())
                } else {
                    quote!(#w.to_string())
                }
            })
            .collect();
        let req_params = leaf.required.iter().map(|p| {
            let n = &p.method;
            let t = self.rust_type(&p.ty);
            quote!(#n: #t)
        });
        let req_flags = leaf.required.iter().map(|p| {
            let n = &p.method;
            let name = p.name;
            quote!(.flag(#name, #n))
        });
        let setters = leaf.setters.iter().map(|p| self.setter(p));
        let defaults = leaf.setters.iter().filter_map(|p| self.default_const(p));
        let cmd_doc = self.doc(&self.command_doc(leaf));
        let long_running = cmd.long_running;

        let (output, complete) = if cmd.long_running && leaf.streams.is_empty() {
            (quote!(#handle), quote!(Ok(handle)))
        } else if cmd.long_running {
            (quote!(#handle), quote!(Ok(#handle(handle))))
        } else {
            (
                quote!(#result),
                quote!(<#result as #core::typed::FromOutput>::from_output(&setup)),
            )
        };
        let steppable = if cmd.steppable {
            quote! {
                impl #core::typed::Steppable for #builder {
                    type Step = #step;
                }
            }
        } else {
            quote!()
        };
        let handle_item = self.handle_item(leaf);
        let result_struct = self.fields_struct(
            result,
            &leaf.setup,
            false,
            &shown,
            &format!("What `{shown}` logged before its setup finished."),
        );
        let step_struct = if cmd.steppable {
            self.fields_struct(
                step,
                &leaf.step_fields,
                true,
                &shown,
                &format!("What one step (`next`) of `{shown}` logged."),
            )
        } else {
            quote!()
        };
        let send_doc =
            self.doc("Sends the command and returns the open call without waiting for setup.");

        quote! {
            #cmd_doc
            #[must_use = "a command does nothing until it is awaited or sent"]
            #[derive(Debug, Clone)]
            pub struct #builder(#core::typed::Builder);

            impl #builder {
                #(#defaults)*

                #[allow(unused_variables, clippy::too_many_arguments)]
                pub(crate) fn new(actor: #core::Actor, names: Vec<String> #(, #req_params)*) -> Self {
                    #builder(#core::typed::Builder::new(
                        actor,
                        #core::Command::new([#(#words),*]).cancel_on_drop(#long_running) #(#req_flags)*,
                    ))
                }

                #(#setters)*

                #send_doc
                pub fn send(self) -> #core::typed::SendFuture<Self> {
                    #core::typed::SendFuture::new(self)
                }
            }

            impl #core::typed::CommandSpec for #builder {
                type Result = #result;
                type Output = #output;
                type Handle = #handle;
                const PATH: &'static str = #shown;
                const LONG_RUNNING: bool = #long_running;
                fn builder(&self) -> &#core::typed::Builder {
                    &self.0
                }
                fn into_builder(self) -> #core::typed::Builder {
                    self.0
                }
                #[allow(unused_variables)]
                fn complete(handle: #core::typed::TypedCall<Self>, setup: #core::Output) -> #core::Result<#output> {
                    #complete
                }
            }

            #steppable

            impl ::std::future::IntoFuture for #builder {
                type Output = #core::Result<#output>;
                type IntoFuture = #core::typed::CallFuture<Self>;
                fn into_future(self) -> Self::IntoFuture {
                    #core::typed::CallFuture::new(self)
                }
            }

            #handle_item
            #result_struct
            #step_struct
        }
    }

    /// A typed setter of an optional positional, a flag, or the variadic positional.
    fn setter(&self, p: &Param) -> TokenStream {
        let method = &p.method;
        let name = p.name;
        let ty = p.ty.name();
        if p.role == Role::Variadic {
            let base = self.rust_type(&p.ty);
            let doc = self.doc(&format!(
                "Appends words for `{name}` (bare positional words at the end of the line, {ty}).{}",
                help_block(p.help)
            ));
            return quote! {
                #doc
                pub fn #method<I, S>(self, words: I) -> Self
                where
                    I: IntoIterator<Item = S>,
                    S: Into<#base>,
                {
                    Self(self.0.positionals(words.into_iter().map(Into::<#base>::into)))
                }
            };
        }
        let kind = if p.role == Role::Optional {
            "optional argument"
        } else {
            "flag"
        };
        let pty = self.param_type(&p.ty);
        let value = self.param_value(&p.ty, quote!(value));
        let mut text = format!("Sets `--{name}` ({kind}, {ty}).");
        let mut block = p.help.trim().to_string();
        if let Some(d) = p.default {
            block.push_str(&format!("\n(default {d})"));
        }
        text.push_str(&help_block(&block));
        let doc = self.doc(&text);
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
            "`--{}` when the command line does not set it: {value}{}.",
            p.name,
            if p.default.is_some() {
                " (the default `help` prints)"
            } else {
                " (`help` prints no default: pflag leaves out zero)"
            }
        ));
        Some(quote! {
            #doc
            pub const #name: #ty = #lit;
        })
    }

    /// The builder's doc: the help, what awaiting gives, the marks, the notes.
    fn command_doc(&self, leaf: &Leaf) -> String {
        let cmd = leaf.cmd;
        let (builder, result, handle) = (&leaf.builder, &leaf.result, &leaf.handle);
        let mut doc = format!(
            "`{}`: {}{}",
            leaf.shown(),
            first_line(&cmd.help),
            help_block(&cmd.help)
        );
        if cmd.long_running {
            doc.push_str(&format!(
                "\n\nLong-running: after setup the call stays open until cancelled. Awaiting this builder returns the open [`{handle}`] once setup succeeded; dropping every handle cancels the call."
            ));
        } else {
            doc.push_str(&format!("\n\nAwaiting this builder sends the command and returns [`{result}`]; [`{builder}::send`] gives the call handle instead."));
        }
        if cmd.steppable {
            doc.push_str("\n\nSteppable: `step` on the open call runs one step.");
        }
        if !cmd.advertised {
            doc.push_str("\n\nNot listed by Rumor's `help`, but routed.");
        }
        if let Some(a) = &cmd.alias_of {
            doc.push_str(&format!("\n\nAlias of `{}`.", a.join(" ")));
        }
        if let Some(n) = &cmd.notes {
            doc.push_str(&format!("\n\nNotes:{}", help_block(n)));
        }
        doc
    }
}
