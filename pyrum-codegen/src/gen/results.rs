//! What a command logged, typed: the setup result and step structs (with `FromOutput`), and
//! the open-call type. Where the runtime's generic types already say it all, they are used:
//! a command without setup fields has [`Output`](pyrum_core::Output) as its result, a call
//! without background fields is a plain `TypedCall`.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::docs::with_help;
use super::Gen;
use crate::ir::{Card, Field, Leaf};

impl Gen<'_> {
    /// The handle, result and step types of a typed leaf.
    pub(super) fn result_items(&self, leaf: &Leaf) -> TokenStream {
        let core = &self.core;
        let shown = leaf.shown();
        let handle = self.handle_item(leaf);
        let result = if leaf.setup.is_empty() {
            let name = &leaf.result;
            let doc = self.doc(&format!(
                "What `{shown}` logged before its setup finished (the spec names no fields)."
            ));
            quote! {
                #doc
                pub type #name = #core::Output;
            }
        } else {
            self.fields_struct(
                &leaf.result,
                &leaf.setup,
                false,
                &shown,
                &format!("What `{shown}` logged before its setup finished."),
            )
        };
        let step = if leaf.cmd.steppable {
            self.fields_struct(
                &leaf.step,
                &leaf.step_fields,
                true,
                &shown,
                &format!("What one step of `{shown}` logged."),
            )
        } else {
            quote!()
        };
        quote!(#handle #result #step)
    }

    /// The open-call type: an alias of `TypedCall`, or a newtype that adds typed streams of
    /// what the call logs in the background.
    fn handle_item(&self, leaf: &Leaf) -> TokenStream {
        let core = &self.core;
        let (builder, handle) = (&leaf.builder, &leaf.handle);
        let shown = leaf.shown();
        if leaf.streams.is_empty() {
            let doc = self.doc(&format!("An open `{shown}` call."));
            return quote! {
                #doc
                pub type #handle = #core::typed::TypedCall<#builder>;
            };
        }
        let streams = leaf.streams.iter().map(|f| {
            let method = &f.ident;
            let key = f.key;
            let t = self.rust_type(&f.ty);
            let doc = self.doc(&with_help(
                &format!("Every `{key}` (`{}`) logged in the background", f.ty),
                f.help,
            ));
            quote! {
                #doc
                pub fn #method(&self) -> #core::Values<#t> {
                    self.0.values(#key)
                }
            }
        });
        let doc = self.doc(&format!(
            "An open `{shown}` call: a [`TypedCall`]({}::typed::TypedCall) with typed streams of what it logs in the background.",
            self.core_doc()
        ));
        quote! {
            #doc
            #[derive(Debug, Clone)]
            pub struct #handle(#core::typed::TypedCall<#builder>);

            impl ::std::convert::From<#core::typed::TypedCall<#builder>> for #handle {
                fn from(call: #core::typed::TypedCall<#builder>) -> Self {
                    #handle(call)
                }
            }

            impl ::std::ops::Deref for #handle {
                type Target = #core::typed::TypedCall<#builder>;
                fn deref(&self) -> &Self::Target {
                    &self.0
                }
            }

            impl #handle {
                #(#streams)*
            }
        }
    }

    /// A result or step struct and its `FromOutput` impl.
    fn fields_struct(
        &self,
        name: &Ident,
        fields: &[Field],
        step: bool,
        shown: &str,
        doc: &str,
    ) -> TokenStream {
        let core = &self.core;
        let mut decls = Vec::new();
        let mut inits = Vec::new();
        let mut keys = Vec::new();
        for f in fields {
            let ident = &f.ident;
            let t = self.rust_type(&f.ty);
            let key = f.key;
            keys.push(key);
            let (ty, init, how) = match f.card {
                Card::Repeated => (
                    quote!(Vec<#t>),
                    quote!(out.repeated(#shown, #key)?),
                    ", every value",
                ),
                Card::Optional => (
                    quote!(Option<#t>),
                    quote!(out.optional(#shown, #key)?),
                    ", when logged",
                ),
                Card::One => (quote!(#t), quote!(out.required(#shown, #key)?), ""),
            };
            let fdoc = self.doc(&with_help(&format!("`{key}` (`{}`{how})", f.ty), f.help));
            decls.push(quote!(#fdoc pub #ident: #ty,));
            inits.push(quote!(#ident: #init,));
        }
        let doc = self.doc(doc);
        let extra_doc = self.doc("Fields the spec does not name (what a newer Rumor logs).");
        let entries_doc = self.doc("The entries, in order.");
        let (error_decl, error_init) = if step {
            let d = self.doc("Rumor's message when the step ran but its work failed.");
            (
                quote!(#d pub step_error: Option<String>,),
                quote!(step_error: out.error.clone(),),
            )
        } else {
            (quote!(), quote!())
        };
        quote! {
            #doc
            #[derive(Debug, Clone)]
            #[non_exhaustive]
            pub struct #name {
                #(#decls)*
                #error_decl
                #extra_doc
                pub extra: ::serde_json::Map<String, ::serde_json::Value>,
                #entries_doc
                pub entries: Vec<::std::sync::Arc<#core::Entry>>,
            }

            impl #core::typed::FromOutput for #name {
                fn from_output(out: &#core::Output) -> #core::Result<Self> {
                    Ok(#name {
                        #(#inits)*
                        #error_init
                        extra: out.extra(&[#(#keys),*]),
                        entries: out.entries.clone(),
                    })
                }
            }
        }
    }
}
