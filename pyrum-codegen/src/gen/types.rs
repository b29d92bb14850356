//! Spec types as Rust: the type itself (from the row of [`crate::types::SCALARS`]) and how a
//! parameter takes it.

use proc_macro2::TokenStream;
use quote::quote;

use super::Gen;
use crate::names::camel;
use crate::types::{Param, SpecType};

impl Gen<'_> {
    /// The Rust type of a spec type.
    pub(super) fn rust_type(&self, ty: &SpecType) -> TokenStream {
        match ty {
            SpecType::Scalar(s) => {
                let text = s.row().rust.replace("$core", &self.settings.core_path);
                syn::parse_str(&text).expect("the rows of SCALARS are Rust types")
            }
            SpecType::Json => quote!(::serde_json::Value),
            // In scope everywhere: each generated module starts with `use super::*`.
            SpecType::Enum(name) => {
                let t = camel(std::slice::from_ref(name), "");
                quote!(#t)
            }
        }
    }

    /// The type of a parameter: `impl Into<T>` or `T`.
    pub(super) fn param_type(&self, ty: &SpecType) -> TokenStream {
        let base = self.rust_type(ty);
        match ty.param() {
            Param::Into => quote!(impl Into<#base>),
            Param::Exact => base,
        }
    }

    /// A parameter's value as the type itself.
    pub(super) fn param_value(&self, ty: &SpecType, value: TokenStream) -> TokenStream {
        match ty.param() {
            Param::Into => {
                let base = self.rust_type(ty);
                quote!(Into::<#base>::into(#value))
            }
            Param::Exact => value,
        }
    }
}
