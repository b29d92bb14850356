//! Which values go back: the types Rumor logs in results that commands also take as arguments,
//! found on the IR (every argument and flag, every result field, looking into lists, maps and
//! records). A value read from a result must be written back the way Rumor reads it; a test
//! over this list makes sure each such type has a check against the real binary.

use std::collections::BTreeMap;

use crate::error::SpecError;
use crate::ir::{Field, Ir, Node, Route};
use crate::spec::Spec;
use crate::types::SpecType;

/// An argument type that takes values Rumor logs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoundTrip {
    /// The argument type (`peer_id`, `node_id_flex`, `list<enr_or_enode>`).
    pub arg: SpecType,
    /// Where it is an argument: the first command and parameter that take it
    /// (`dv5 lookup <target>`).
    pub taken_by: String,
    /// The result types whose values it takes (itself, or types that convert into it, such as
    /// `node_id` into `node_id_flex`), each with the first command and key that logs it.
    pub from: Vec<(SpecType, String)>,
}

/// Every argument type of `spec` that takes values of a result type, in the order of the type
/// table (built-ins first, lists last).
///
/// A result type counts with what it holds: a `list<enr>` result also yields `enr` values, a
/// record or a built-in record (a `status`) the values of its fields.
///
/// ```
/// use pyrum_codegen::{round_trips, Spec};
/// let spec = Spec::parse(r#"
///     rumor_version = "v0.3.6"
///     [[command]]
///     path = ["enr", "view"]
///     [[command.result]]
///     key = "node_id"
///     type = "node_id"
///     [[command]]
///     path = ["dv5", "lookup"]
///     [[command.arg]]
///     name = "target"
///     type = "node_id_flex"
/// "#, "inline").unwrap();
/// let trips = round_trips(&spec).unwrap();
/// assert_eq!(trips[0].arg.name(), "node_id_flex");
/// assert_eq!(trips[0].taken_by, "dv5 lookup <target>");
/// assert_eq!(trips[0].from[0].1, "enr view: node_id");
/// ```
pub fn round_trips(spec: &Spec) -> Result<Vec<RoundTrip>, Vec<SpecError>> {
    spec.validate("spec")?;
    let ir = Ir::new(spec);
    let mut args: BTreeMap<SpecType, String> = BTreeMap::new();
    let mut results: BTreeMap<SpecType, String> = BTreeMap::new();
    walk(&ir.root, &mut |leaf| {
        let shown = leaf.shown();
        for p in leaf.required.iter().chain(&leaf.setters) {
            args.entry(p.ty.clone())
                .or_insert_with(|| format!("{shown} <{}>", p.name));
        }
        let fields: Vec<&Field> = leaf
            .setup
            .iter()
            .chain(&leaf.step_fields)
            .chain(&leaf.streams)
            .collect();
        for f in fields {
            let place = format!("{shown}: {}", f.key);
            expand(&ir, &f.ty, &mut |t| {
                results.entry(t).or_insert_with(|| place.clone());
            });
        }
    });
    Ok(args
        .into_iter()
        .filter_map(|(arg, taken_by)| {
            let from: Vec<(SpecType, String)> = results
                .iter()
                .filter(|(r, _)| arg.takes(r))
                .map(|(r, at)| (r.clone(), at.clone()))
                .collect();
            (!from.is_empty()).then_some(RoundTrip {
                arg,
                taken_by,
                from,
            })
        })
        .collect())
}

fn walk<'s>(route: &Route<'s>, f: &mut impl FnMut(&crate::ir::Leaf<'s>)) {
    for child in &route.children {
        match child {
            Node::Route(r) => walk(r, f),
            Node::Leaf(leaf) => f(leaf),
        }
    }
}

/// `ty` and every type of value it holds.
fn expand(ir: &Ir, ty: &SpecType, f: &mut impl FnMut(SpecType)) {
    f(ty.clone());
    match ty {
        SpecType::List(t) | SpecType::Map(t) => expand(ir, t, f),
        SpecType::Record(name) => {
            if let Some(r) = ir.records.iter().find(|r| r.name == name) {
                for field in &r.fields {
                    expand(ir, &field.ty, f);
                }
            }
        }
        SpecType::Builtin(b) => {
            for (_, t) in b.row().fields {
                f(SpecType::Builtin(*t));
            }
        }
        SpecType::Json | SpecType::Enum(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn looks_into_lists_records_and_builtin_records() {
        let spec = Spec::parse(
            r#"
rumor_version = "v1"
[[command]]
path = ["dv5", "lookup"]
[[command.result]]
key = "nodes"
type = "list<enr>"
[[command]]
path = ["dv5", "run"]
long_running = true
[[command.arg]]
name = "bootnodes"
type = "list<enr_or_enode>"
[[command]]
path = ["peer", "status", "get"]
[[command.result]]
key = "status"
type = "status"
[[command.result]]
key = "chunk"
type = "chunk"
[[command]]
path = ["peer", "status", "set"]
[[command.flag]]
name = "head-root"
type = "root"
[[command.flag]]
name = "peer"
type = "peer_id"
[[command.flag]]
name = "never-logged"
type = "u16"
[records.chunk]
[[records.chunk.field]]
key = "from"
type = "peer_id"
"#,
            "t",
        )
        .unwrap();
        let trips = round_trips(&spec).unwrap();
        let names: Vec<String> = trips.iter().map(|t| t.arg.name()).collect();
        assert_eq!(names, ["root", "peer_id", "list<enr_or_enode>"]);
        assert_eq!(trips[0].from[0].1, "peer status get: status");
        assert_eq!(trips[1].from[0].1, "peer status get: chunk");
        assert_eq!(trips[2].taken_by, "dv5 run <bootnodes>");
        assert_eq!(trips[2].from[0].0.name(), "list<enr>");
    }
}
