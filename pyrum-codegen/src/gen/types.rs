//! Spec types as Rust: the type itself (from the row of [`crate::types::BUILTINS`], or composed:
//! `Vec`, `BTreeMap`, a record or enum of the spec) and how a parameter takes it.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::names::camel;
use crate::types::{Param, SpecType};

impl Gen<'_> {
    /// The Rust type of a spec type.
    pub(super) fn rust_type(&self, ty: &SpecType) -> TokenStream {
        match ty {
            SpecType::Builtin(b) => {
                let text = b.row().rust.replace("$core", &self.settings.core_path);
                syn::parse_str(&text).expect("the rows of BUILTINS are Rust types")
            }
            SpecType::Json => quote!(::serde_json::Value),
            // In scope everywhere: each generated module starts with `use super::*`.
            SpecType::Enum(name) | SpecType::Record(name) => {
                let t = camel(std::slice::from_ref(name), "");
                quote!(#t)
            }
            SpecType::List(elem) => {
                let t = self.rust_type(elem);
                quote!(Vec<#t>)
            }
            SpecType::Map(elem) => {
                let t = self.rust_type(elem);
                quote!(::std::collections::BTreeMap<String, #t>)
            }
        }
    }

    /// The type of a parameter: `impl Into<T>`, `T`, or for a list any iterable of the
    /// element's form.
    pub(super) fn param_type(&self, ty: &SpecType) -> TokenStream {
        let base = self.rust_type(ty);
        match (ty.param(), ty) {
            (Param::Into, _) => quote!(impl Into<#base>),
            (Param::List, SpecType::List(elem)) => {
                let item = self.param_type(elem);
                quote!(impl IntoIterator<Item = #item>)
            }
            _ => base,
        }
    }

    /// A parameter's value as the type itself.
    pub(super) fn param_value(&self, ty: &SpecType, value: TokenStream) -> TokenStream {
        match (ty.param(), ty) {
            (Param::Into, _) => {
                let base = self.rust_type(ty);
                quote!(Into::<#base>::into(#value))
            }
            (Param::List, SpecType::List(elem)) => {
                let base = self.rust_type(ty);
                if elem.param() == Param::Exact {
                    quote!(#value.into_iter().collect::<#base>())
                } else {
                    let item = self.param_value(elem, quote!(item));
                    quote!(#value.into_iter().map(|item| #item).collect::<#base>())
                }
            }
            _ => value,
        }
    }
}
