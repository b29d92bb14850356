//! An `[enums]` entry as a Rust enum with an `Unknown(String)` catch-all, its word mapping,
//! `ToArg` and `FromField`.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::ir::Enum;

impl Gen<'_> {
    pub(super) fn enum_def(&self, e: &Enum) -> TokenStream {
        let core = &self.core;
        let ty = &e.ty;
        let variants: Vec<_> = e.variants.iter().map(|(v, _)| v).collect();
        let values: Vec<_> = e.variants.iter().map(|(_, w)| *w).collect();
        let help = if e.def.help.is_empty() {
            format!("The `{}` enum.", e.name)
        } else {
            e.def.help.clone()
        };
        let doc = self.doc(&format!("{help}\n\n`Unknown` carries a word this version of the bindings does not know (from a newer Rumor), and sends any word as given."));
        let vdocs = values.iter().map(|v| self.doc(&format!("`{v}`")));
        let unknown_doc = self.doc("A word these bindings do not know.");
        let as_str_doc = self.doc("The word Rumor uses.");
        quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, Eq, Hash)]
            #[non_exhaustive]
            pub enum #ty {
                #(#vdocs #variants,)*
                #unknown_doc
                Unknown(String),
            }

            impl #ty {
                #as_str_doc
                pub fn as_str(&self) -> &str {
                    match self {
                        #(#ty::#variants => #values,)*
                        #ty::Unknown(s) => s,
                    }
                }
            }

            impl ::std::fmt::Display for #ty {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::std::str::FromStr for #ty {
                type Err = ::std::convert::Infallible;
                fn from_str(s: &str) -> Result<Self, Self::Err> {
                    Ok(match s {
                        #(#values => #ty::#variants,)*
                        other => #ty::Unknown(other.to_string()),
                    })
                }
            }

            impl #core::types::ToArg for #ty {
                fn to_arg(&self) -> String {
                    self.as_str().to_string()
                }
            }

            impl #core::types::FromField for #ty {
                fn from_field(value: &::serde_json::Value) -> Result<Self, String> {
                    let s = value.as_str().ok_or_else(|| format!("expected text, got {value}"))?;
                    Ok(s.parse().unwrap_or_else(|e: ::std::convert::Infallible| match e {}))
                }
            }
        }
    }
}
