//! The generator's intermediate form: the validated spec as a route tree of resolved types and
//! settled Rust names. Building it cannot fail (the spec was validated); emitting code reads
//! only this.

use std::collections::BTreeSet;

use proc_macro2::Ident;
use quote::format_ident;

use crate::names::{camel, camel_word, snake, snake_plain};
use crate::spec::{CommandDef, EnumDef, RecordDef, ResultDef, Spec, When};
use crate::types::SpecType;
use crate::validate::PLACEHOLDER;

/// The whole spec, ready to emit.
pub(crate) struct Ir<'s> {
    pub enums: Vec<Enum<'s>>,
    pub records: Vec<Record<'s>>,
    /// The root route: its children are the top-level words.
    pub root: Route<'s>,
}

/// An enum of `[enums]`.
pub(crate) struct Enum<'s> {
    pub name: &'s str,
    pub def: &'s EnumDef,
    pub ty: Ident,
    /// Variant and word.
    pub variants: Vec<(Ident, &'s str)>,
}

/// A record of `[records]`: a struct read from a JSON object.
pub(crate) struct Record<'s> {
    pub name: &'s str,
    pub def: &'s RecordDef,
    pub ty: Ident,
    pub fields: Vec<RecordField<'s>>,
}

/// A key of a record.
pub(crate) struct RecordField<'s> {
    pub key: &'s str,
    pub ty: SpecType,
    pub optional: bool,
    pub help: &'s str,
    /// The struct field.
    pub ident: Ident,
}

/// A route: a word whose sub-commands are picked by further words.
pub(crate) struct Route<'s> {
    pub word: String,
    pub path: Vec<String>,
    pub children: Vec<Node<'s>>,
}

/// A child of a route.
pub(crate) enum Node<'s> {
    Route(Route<'s>),
    Leaf(Box<Leaf<'s>>),
}

/// A leaf command.
pub(crate) struct Leaf<'s> {
    pub word: &'s str,
    pub cmd: &'s CommandDef,
    /// The builder type (`HostListen`).
    pub builder: Ident,
    /// The setup result type (`HostListenResult`).
    pub result: Ident,
    /// The open-call type (`HostListenCall`).
    pub handle: Ident,
    /// The step type of a steppable command (`RpcStatusReqRawStep`).
    pub step: Ident,
    /// Required positionals: parameters of the method that makes the builder.
    pub required: Vec<Param<'s>>,
    /// Typed setters: the variadic positional, optional positionals, then flags.
    pub setters: Vec<Param<'s>>,
    /// Fields logged before setup ends.
    pub setup: Vec<Field<'s>>,
    /// Fields logged by one step.
    pub step_fields: Vec<Field<'s>>,
    /// Fields logged in the background, once per key: the handle's `stream_*` methods.
    pub streams: Vec<Field<'s>>,
}

/// What a parameter is on Rumor's command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Required,
    Optional,
    Variadic,
    Flag,
}

/// A positional or a flag.
pub(crate) struct Param<'s> {
    pub name: &'s str,
    pub ty: SpecType,
    pub help: &'s str,
    pub default: Option<&'s str>,
    pub role: Role,
    /// The Rust method (setter) or parameter name.
    pub method: Ident,
}

/// How many values of a result key a run logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Card {
    One,
    Optional,
    Repeated,
}

/// A result field.
pub(crate) struct Field<'s> {
    pub key: &'s str,
    pub ty: SpecType,
    pub card: Card,
    pub help: &'s str,
    /// The struct field (or, for streams, the `stream_*` method).
    pub ident: Ident,
}

/// Method names a setter cannot take: the builder's own and its traits'.
const RESERVED: [&str; 6] = [
    "send",
    "command",
    "into_future",
    "new",
    "builder",
    "into_builder",
];

/// Field names a result struct has besides the spec's fields.
const RESULT_OWN: [&str; 3] = ["extra", "entries", "step_error"];

impl<'s> Ir<'s> {
    /// The IR of a validated spec.
    pub fn new(spec: &'s Spec) -> Ir<'s> {
        let mut root = Route {
            word: String::new(),
            path: Vec::new(),
            children: Vec::new(),
        };
        for cmd in &spec.commands {
            root.insert(spec, cmd, 0);
        }
        let enums = spec
            .enums
            .iter()
            .map(|(name, def)| Enum {
                name,
                def,
                ty: camel(std::slice::from_ref(name), ""),
                variants: def
                    .values
                    .iter()
                    .map(|v| (format_ident!("{}", camel_word(v)), v.as_str()))
                    .collect(),
            })
            .collect();
        let records = spec
            .records
            .iter()
            .map(|(name, def)| Record {
                name,
                def,
                ty: camel(std::slice::from_ref(name), ""),
                fields: def
                    .fields
                    .iter()
                    .map(|f| RecordField {
                        key: &f.key,
                        ty: spec
                            .resolve(&f.ty, true)
                            .expect("types were resolved by validation"),
                        optional: f.optional,
                        help: &f.help,
                        ident: snake(&f.key),
                    })
                    .collect(),
            })
            .collect();
        Ir {
            enums,
            records,
            root,
        }
    }
}

impl Ir<'_> {
    /// True when the spec has at least one command.
    pub fn has_leaves(&self) -> bool {
        !self.root.children.is_empty()
    }
}

impl<'s> Route<'s> {
    fn insert(&mut self, spec: &'s Spec, cmd: &'s CommandDef, depth: usize) {
        let word = &cmd.path[depth];
        if depth + 1 == cmd.path.len() {
            self.children
                .push(Node::Leaf(Box::new(Leaf::new(spec, cmd))));
            return;
        }
        let at = self.children.iter().position(|c| match c {
            Node::Route(r) => &r.word == word,
            Node::Leaf(_) => false,
        });
        let at = at.unwrap_or_else(|| {
            let mut path = self.path.clone();
            path.push(word.clone());
            self.children.push(Node::Route(Route {
                word: word.clone(),
                path,
                children: Vec::new(),
            }));
            self.children.len() - 1
        });
        let Node::Route(r) = &mut self.children[at] else {
            unreachable!("found or pushed a route")
        };
        r.insert(spec, cmd, depth + 1);
    }

    /// For `on` in `blocks on {name} ...`: the `{name}` route that the method taking the name
    /// leads to.
    pub fn named(&self) -> Option<&Route<'s>> {
        match self.children.as_slice() {
            [Node::Route(r)] if r.word == PLACEHOLDER => Some(r),
            _ => None,
        }
    }
}

impl<'s> Leaf<'s> {
    fn new(spec: &'s Spec, cmd: &'s CommandDef) -> Leaf<'s> {
        let resolve = |ty: &str, result: bool| {
            spec.resolve(ty, result)
                .expect("types were resolved by validation")
        };
        let required = cmd
            .args
            .iter()
            .filter(|a| a.required)
            .map(|a| Param {
                name: &a.name,
                ty: resolve(&a.ty, false),
                help: &a.help,
                default: None,
                role: Role::Required,
                method: snake(&a.name),
            })
            .collect();
        let mut taken = BTreeSet::new();
        let mut setters = Vec::new();
        for a in cmd.args.iter().filter(|a| a.variadic) {
            let method = snake(&a.name);
            taken.insert(method.to_string());
            setters.push(Param {
                name: &a.name,
                ty: resolve(&a.ty, false),
                help: &a.help,
                default: None,
                role: Role::Variadic,
                method,
            });
        }
        let optional = cmd
            .args
            .iter()
            .filter(|a| !a.required && !a.variadic)
            .map(|a| (&a.name, &a.ty, &a.help, None, Role::Optional));
        let flags = cmd
            .flags
            .iter()
            .map(|f| (&f.name, &f.ty, &f.help, f.default.as_deref(), Role::Flag));
        for (name, ty, help, default, role) in optional.chain(flags) {
            let plain = snake_plain(name);
            let method = if RESERVED.contains(&plain.as_str()) || !taken.insert(plain.clone()) {
                taken.insert(format!("{plain}_flag"));
                format_ident!("{}_flag", plain)
            } else {
                snake(name)
            };
            setters.push(Param {
                name,
                ty: resolve(ty, false),
                help,
                default,
                role,
                method,
            });
        }
        let fields = |when: When| -> Vec<Field<'s>> {
            let mut used: BTreeSet<String> = RESULT_OWN.iter().map(|s| s.to_string()).collect();
            cmd.results
                .iter()
                .filter(|r| r.when == when)
                .map(|r| {
                    let mut ident = snake(&r.key).to_string();
                    while !used.insert(ident.clone()) {
                        ident.push_str("_field");
                    }
                    let ident: Ident = syn::parse_str(&ident)
                        .unwrap_or_else(|_| format_ident!("f_{}", ident.replace("r#", "")));
                    field(r, resolve(&r.ty, true), ident)
                })
                .collect()
        };
        let mut seen = BTreeSet::new();
        let streams = cmd
            .results
            .iter()
            .filter(|r| r.when == When::Background && seen.insert(r.key.as_str()))
            .map(|r| {
                let ident = format_ident!("stream_{}", snake_plain(&r.key));
                field(r, resolve(&r.ty, true), ident)
            })
            .collect();
        let path = &cmd.path;
        Leaf {
            word: path.last().expect("validated: paths are not empty"),
            cmd,
            builder: camel(path, ""),
            result: camel(path, "Result"),
            handle: camel(path, "Call"),
            step: camel(path, "Step"),
            required,
            setters,
            setup: fields(When::Setup),
            step_fields: fields(When::Step),
            streams,
        }
    }

    /// The command's path as Rumor shows it (`host listen`).
    pub fn shown(&self) -> String {
        self.cmd.path.join(" ")
    }
}

fn field<'s>(r: &'s ResultDef, ty: SpecType, ident: Ident) -> Field<'s> {
    Field {
        key: &r.key,
        ty,
        card: if r.repeated {
            Card::Repeated
        } else if r.optional {
            Card::Optional
        } else {
            Card::One
        },
        help: &r.help,
        ident,
    }
}
