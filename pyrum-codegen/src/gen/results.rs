//! What a command logged, typed: the setup result and step structs (with `FromOutput`), and
//! the open-call handle, a newtype with `stream_*` methods when the command logs in the
//! background.

use proc_macro2::{Ident, TokenStream};
use quote::quote;

use super::docs::help_block;
use super::Gen;
use crate::ir::{Card, Field, Leaf};

impl Gen<'_> {
    /// The open-call type: an alias of `TypedCall`, or a newtype that adds typed streams.
    pub(super) fn handle_item(&self, leaf: &Leaf) -> TokenStream {
        let core = &self.core;
        let (builder, handle) = (&leaf.builder, &leaf.handle);
        let shown = leaf.shown();
        let steps = if leaf.cmd.steppable { "steps, " } else { "" };
        if leaf.streams.is_empty() {
            let doc = self.doc(&format!(
                "An open `{shown}` call: its result, {steps}cancel and completion."
            ));
            return quote! {
                #doc
                pub type #handle = #core::typed::TypedCall<#builder>;
            };
        }
        let streams = leaf.streams.iter().map(|f| {
            let method = &f.ident;
            let key = f.key;
            let t = self.rust_type(&f.ty);
            let doc = self.doc(&format!(
                "Every value of `{key}` that the call logs in the background, typed.{}",
                help_block(f.help)
            ));
            quote! {
                #doc
                pub fn #method(&self) -> #core::Values<#t> {
                    self.0.values(#key)
                }
            }
        });
        let doc = self.doc(&format!(
            "An open `{shown}` call: what [`TypedCall`]({core_doc}::typed::TypedCall) offers (result, {steps}cancel, completion), and typed streams of what it logs in the background.",
            core_doc = self.settings.core_path.trim_start_matches("::")
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
    pub(super) fn fields_struct(
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
                    ", every value in order",
                ),
                Card::Optional => (
                    quote!(Option<#t>),
                    quote!(out.optional(#shown, #key)?),
                    ", when logged",
                ),
                Card::One => (quote!(#t), quote!(out.required(#shown, #key)?), ""),
            };
            let fdoc = self.doc(&format!("`{key}` ({}{how}){}", f.ty, help_block(f.help)));
            decls.push(quote!(#fdoc pub #ident: #ty,));
            inits.push(quote!(#ident: #init,));
        }
        let doc = self.doc(doc);
        let extra_doc =
            self.doc("Fields the spec does not name: what a newer Rumor logs is kept here.");
        let entries_doc = self.doc("The entries, in order.");
        let from_doc = self.doc("Reads the typed fields from a call's output.");
        let (error_decl, error_init) = if step {
            let d = self.doc("Rumor's message when the step ran but its own work failed (e.g. a non-zero result code).");
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
                #from_doc
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
