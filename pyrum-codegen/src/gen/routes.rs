//! The command tree: the `Commands` trait at the root, a module and a struct per route, and on
//! each route the methods that lead to its children.

use proc_macro2::TokenStream;
use quote::quote;

use super::docs::first_line;
use super::Gen;
use crate::ir::{Leaf, Node, Route};
use crate::names::{camel, module, snake};

impl Gen<'_> {
    /// The `Commands` trait, its impls on `Actor` and `Rumor`, and every route's module.
    pub(super) fn root(&self) -> TokenStream {
        let core = &self.core;
        let root = &self.ir.root;
        let methods = root
            .children
            .iter()
            .map(|c| self.child_method(c, quote!(self.commands_actor()), quote!(Vec::new()), true));
        let items = root.children.iter().map(|c| self.node_items(c));
        let trait_doc = self.doc(
            "The typed command tree, on an [`Actor`](pyrum_core::Actor) (and on [`Rumor`](pyrum_core::Rumor), for its default actor).\n\nImport it (`use pyrum::prelude::*`) to write `alice.host().start().await?`.",
        );
        let actor_doc = self.doc("The actor the commands run on.");
        quote! {
            #trait_doc
            pub trait Commands {
                #actor_doc
                fn commands_actor(&self) -> #core::Actor;
                #(#methods)*
            }

            impl Commands for #core::Actor {
                fn commands_actor(&self) -> #core::Actor {
                    self.clone()
                }
            }

            impl Commands for #core::Rumor {
                fn commands_actor(&self) -> #core::Actor {
                    self.default_actor()
                }
            }

            #(#items)*
        }
    }

    /// The method on a parent that leads to `child`: a leaf's builder, a route accessor, or
    /// (for `on` in `blocks on {name}`) an accessor that takes the name.
    fn child_method(
        &self,
        child: &Node,
        actor: TokenStream,
        names: TokenStream,
        in_trait: bool,
    ) -> TokenStream {
        let vis = if in_trait { quote!() } else { quote!(pub) };
        match child {
            Node::Leaf(leaf) => self.leaf_method(leaf, actor, names, vis),
            Node::Route(route) => {
                let method = snake(&route.word);
                let module = module(&route.word);
                if let Some(target) = route.named() {
                    let ty = camel(&target.path, "");
                    let inner = crate::names::module(&target.word);
                    let doc = self.doc(&format!(
                        "`{} <name>`: commands on the named one.",
                        route.path.join(" ")
                    ));
                    quote! {
                        #doc #vis fn #method(&self, name: impl Into<String>) -> #module::#inner::#ty {
                            let mut names: Vec<String> = #names;
                            names.push(name.into());
                            #module::#inner::#ty { actor: #actor, names }
                        }
                    }
                } else {
                    let ty = camel(&route.path, "");
                    let doc = self.doc(&format!("`{}`: its sub-commands.", route.path.join(" ")));
                    quote! {
                        #doc #vis fn #method(&self) -> #module::#ty {
                            #module::#ty { actor: #actor, names: #names }
                        }
                    }
                }
            }
        }
    }

    /// The method that makes a leaf's builder; required positionals are its parameters.
    fn leaf_method(
        &self,
        leaf: &Leaf,
        actor: TokenStream,
        names: TokenStream,
        vis: TokenStream,
    ) -> TokenStream {
        let method = snake(leaf.word);
        let builder = &leaf.builder;
        let params = leaf.required.iter().map(|p| {
            let n = &p.method;
            let t = self.param_type(&p.ty);
            quote!(#n: #t)
        });
        let pass = leaf.required.iter().map(|p| {
            let n = &p.method;
            match p.ty.param() {
                crate::types::Param::Into => quote!(#n.into()),
                crate::types::Param::Exact => quote!(#n),
            }
        });
        let required = if leaf.required.is_empty() {
            String::new()
        } else {
            format!(
                "\n\nRequired: {}.",
                leaf.required
                    .iter()
                    .map(|p| format!("`{}`", p.name))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let doc = self.doc(&format!(
            "`{}`: {}{required}",
            leaf.shown(),
            first_line(&leaf.cmd.help)
        ));
        quote! {
            #doc #vis fn #method(&self #(, #params)*) -> #builder {
                #builder::new(#actor, #names #(, #pass)*)
            }
        }
    }

    /// Items for a child of a route: a leaf's types, or a route's module.
    fn node_items(&self, node: &Node) -> TokenStream {
        match node {
            Node::Leaf(leaf) => self.leaf_items(leaf),
            Node::Route(route) => self.route_module(route),
        }
    }

    fn route_module(&self, route: &Route) -> TokenStream {
        let core = &self.core;
        let module = module(&route.word);
        let shown = route.path.join(" ");
        if let Some(target) = route.named() {
            // `blocks on {name}`: the parent's `on(name)` leads straight to the named route.
            let inner = self.route_module(target);
            let doc = self.doc(&format!("The `{shown} <name>` commands."));
            return quote! {
                #doc
                pub mod #module {
                    #[allow(unused_imports)]
                    use super::*;
                    #inner
                }
            };
        }
        let ty = camel(&route.path, "");
        let methods = route.children.iter().map(|c| {
            self.child_method(
                c,
                quote!(self.actor.clone()),
                quote!(self.names.clone()),
                false,
            )
        });
        let items = route.children.iter().map(|c| self.node_items(c));
        let doc = self.doc(&format!("The `{shown}` commands."));
        let struct_doc = self.doc(&format!("Route `{shown}`: pick a sub-command."));
        quote! {
            #doc
            pub mod #module {
                #[allow(unused_imports)]
                use super::*;

                #struct_doc
                #[derive(Debug, Clone)]
                pub struct #ty {
                    pub(crate) actor: #core::Actor,
                    pub(crate) names: Vec<String>,
                }

                impl #ty {
                    #(#methods)*
                }

                #(#items)*
            }
        }
    }
}
