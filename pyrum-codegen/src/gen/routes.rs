//! The command tree: the `Commands` trait at the root, a module and a struct per route, and on
//! each route the methods that lead to its children.

use proc_macro2::TokenStream;
use quote::quote;

use super::docs::plain;
use super::Gen;
use crate::ir::{Leaf, Node, Route};
use crate::names::{camel, module, snake};
use crate::validate::PLACEHOLDER;

/// The first line of a help text.
fn first(help: &str) -> &str {
    help.trim().lines().next().unwrap_or("")
}

/// Where a parent method finds the actor and the runtime route words.
struct Parent {
    /// The actor, owned (`self.actor.clone()`, `self.commands_actor()`).
    owned: TokenStream,
    /// The actor, borrowed (`&self.actor`, `&self.commands_actor()`).
    borrowed: TokenStream,
    /// Trait methods have no visibility of their own.
    vis: TokenStream,
    /// The route's runtime words, when it sits under a `{name}`.
    names: bool,
}

/// True when a route sits under a `{name}` (its struct carries the runtime words).
fn has_names(route: &Route) -> bool {
    route.path.iter().any(|w| w == PLACEHOLDER)
}

impl Gen<'_> {
    /// The `Commands` trait, its impls on `Actor` and `Rumor`, and every route's module.
    pub(super) fn root(&self) -> TokenStream {
        let core = &self.core;
        let root = &self.ir.root;
        let parent = Parent {
            owned: quote!(self.commands_actor()),
            borrowed: quote!(&self.commands_actor()),
            vis: quote!(),
            names: false,
        };
        let methods = root.children.iter().map(|c| self.child_method(c, &parent));
        let items = root.children.iter().map(|c| self.node_items(c));
        let trait_doc = self.doc(&format!(
            "The typed command tree, on an [`Actor`]({core}::Actor) (and on [`Rumor`]({core}::Rumor), for its default actor).\n\nImport it (`use pyrum::prelude::*`) to write `alice.host().start().await?`.",
            core = self.core_doc()
        ));
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
    fn child_method(&self, child: &Node, parent: &Parent) -> TokenStream {
        let Parent {
            owned, vis, names, ..
        } = parent;
        let route = match child {
            Node::Leaf(leaf) => return self.leaf_method(leaf, parent),
            Node::Route(route) => route,
        };
        let method = snake(&route.word);
        let module = module(&route.word);
        if let Some(target) = route.named() {
            let ty = camel(&target.path, "");
            let inner = crate::names::module(&target.word);
            let doc = self.doc(&format!(
                "`{} <name>`: commands on the named one.",
                route.path.join(" ")
            ));
            let names = if *names {
                quote! {
                    let mut names = self.names.clone();
                    names.push(name.into());
                }
            } else {
                quote!(let names = vec![name.into()];)
            };
            return quote! {
                #doc #vis fn #method(&self, name: impl Into<String>) -> #module::#inner::#ty {
                    #names
                    #module::#inner::#ty { actor: #owned, names }
                }
            };
        }
        let ty = camel(&route.path, "");
        let doc = self.doc(&format!("`{}`: its sub-commands.", route.path.join(" ")));
        let names = has_names(route).then(|| quote!(, names: self.names.clone()));
        quote! {
            #doc #vis fn #method(&self) -> #module::#ty {
                #module::#ty { actor: #owned #names }
            }
        }
    }

    /// The method that makes a leaf's builder; required positionals are its parameters, and
    /// `{name}` words of the path come from the route's runtime words.
    fn leaf_method(&self, leaf: &Leaf, parent: &Parent) -> TokenStream {
        let Parent { borrowed, vis, .. } = parent;
        let method = snake(leaf.word);
        let builder = &leaf.builder;
        let params = leaf.required.iter().map(|p| {
            let n = &p.method;
            let t = self.param_type(&p.ty);
            quote!(#n: #t)
        });
        let flags = leaf.required.iter().map(|p| {
            let (n, name) = (&p.method, p.name);
            let value = self.param_value(&p.ty, quote!(#n));
            quote!(.flag(#name, #value))
        });
        let mut name_idx = 0usize;
        let words = leaf.cmd.path.iter().map(|w| {
            if w == PLACEHOLDER {
                let i = name_idx;
                name_idx += 1;
                quote!(self.names[#i].as_str())
            } else {
                quote!(#w)
            }
        });
        let helper = if leaf.cmd.path.iter().any(|w| w == PLACEHOLDER) {
            quote!(pyrum_builder_named)
        } else {
            quote!(pyrum_builder)
        };
        let long_running = leaf.cmd.long_running || !self.typed(leaf);
        let doc = self.doc(&format!(
            "`{}`: {}",
            leaf.shown(),
            plain(first(&leaf.cmd.help))
        ));
        quote! {
            #doc #vis fn #method(&self #(, #params)*) -> #builder {
                #builder(#helper(#borrowed, &[#(#words),*], #long_running) #(#flags)*)
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
        let parent = Parent {
            owned: quote!(self.actor.clone()),
            borrowed: quote!(&self.actor),
            vis: quote!(pub),
            names: has_names(route),
        };
        let methods = route.children.iter().map(|c| self.child_method(c, &parent));
        let items = route.children.iter().map(|c| self.node_items(c));
        let names_field = has_names(route).then(|| quote!(pub(crate) names: Vec<String>,));
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
                    #names_field
                }

                impl #ty {
                    #(#methods)*
                }

                #(#items)*
            }
        }
    }
}
