//! The spec's records: a struct per `[records.<name>]`, read from the JSON object Rumor logs
//! (`FromField`), keeping keys it does not name in `extra` (what a newer Rumor adds).

use proc_macro2::TokenStream;
use quote::quote;

use super::docs::{help, with_help};
use super::Gen;
use crate::ir::Record;

impl Gen<'_> {
    /// A record's struct and its `FromField` impl.
    pub(super) fn record_def(&self, r: &Record) -> TokenStream {
        let core = &self.core;
        let ty = &r.ty;
        let name = r.name;
        let doc = self.doc(&format!(
            "Record `{name}` of the spec: {}",
            help(if r.def.help.trim().is_empty() {
                "a JSON object Rumor logs."
            } else {
                &r.def.help
            })
        ));
        let mut decls = Vec::new();
        let mut inits = Vec::new();
        let mut keys = Vec::new();
        for f in &r.fields {
            let ident = &f.ident;
            let key = f.key;
            let t = self.rust_type(&f.ty);
            keys.push(key);
            let (ty, init, how) = if f.optional {
                (
                    quote!(Option<#t>),
                    quote!(record.optional(#key)?),
                    ", when present",
                )
            } else {
                (quote!(#t), quote!(record.required(#key)?), "")
            };
            let fdoc = self.doc(&with_help(&format!("`{key}` (`{}`{how})", f.ty), f.help));
            decls.push(quote!(#fdoc pub #ident: #ty,));
            inits.push(quote!(#ident: #init,));
        }
        let extra_doc = self.doc("Keys the spec does not name (what a newer Rumor logs).");
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq)]
            #[non_exhaustive]
            pub struct #ty {
                #(#decls)*
                #extra_doc
                pub extra: ::serde_json::Map<String, ::serde_json::Value>,
            }

            impl #core::types::FromField for #ty {
                fn from_field(value: &::serde_json::Value) -> ::std::result::Result<Self, String> {
                    let record = #core::types::Record::new(#name, value)?;
                    Ok(#ty {
                        #(#inits)*
                        extra: record.extra(&[#(#keys),*]),
                    })
                }
            }
        }
    }
}
