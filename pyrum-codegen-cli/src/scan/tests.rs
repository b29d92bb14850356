//! The scan's pieces against the real Rumor (the command-line behaviour is tested in
//! `tests/scan.rs`): what one scan of the binary sees, and what `compare` and `update_spec`
//! make of edited specs. Rumor must be installed (`scripts/install-rumor`, or `RUMOR_BIN`); a
//! missing binary fails these tests.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use pyrum_codegen::{FlagDef, Spec};

use super::*;

fn rumor() -> PathBuf {
    pyrum_core::find_rumor().unwrap_or_else(|e| panic!("the scan tests need Rumor: {e}"))
}

fn spec_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands.toml")
}

fn spec_text() -> String {
    std::fs::read_to_string(spec_path()).unwrap()
}

fn real_spec() -> Spec {
    Spec::load(&spec_path()).unwrap_or_else(|e| panic!("{e}"))
}

/// One scan of the real binary, shared by the tests of this file.
fn scanned() -> &'static Scanned {
    static SCANNED: OnceLock<Scanned> = OnceLock::new();
    SCANNED.get_or_init(|| {
        scan(&rumor(), &real_spec(), &[], None).unwrap_or_else(|e| panic!("scan failed: {e}"))
    })
}

#[test]
fn the_scan_sees_runtime_routes_unlisted_routes_and_pflag_types() {
    let s = scanned();
    assert!(s.unroutable.is_empty(), "{:?}", s.unroutable);
    assert!(s.unlisted_gone.is_empty(), "{:?}", s.unlisted_gone);
    assert!(s.dead_gone.is_empty(), "{:?}", s.dead_gone);
    let find = |p: &[&str]| {
        s.commands
            .iter()
            .find(|c| c.path.iter().map(String::as_str).eq(p.iter().copied()))
            .unwrap_or_else(|| panic!("{p:?} not scanned"))
    };
    // `{name}` replaces the scan's own DB and chain name.
    assert!(find(&["blocks", "on", "{name}", "list"]).advertised);
    assert!(find(&["chain", "on", "{name}", "votes"]).advertised);
    assert!(!s
        .commands
        .iter()
        .any(|c| c.path.iter().any(|w| w == SCAN_NAME)));
    // The spec's unlisted commands are scanned, unlisted.
    for c in real_spec().commands.iter().filter(|c| !c.advertised) {
        let p: Vec<&str> = c.path.iter().map(String::as_str).collect();
        assert!(!find(&p).advertised, "{p:?}");
    }
    assert!(!find(&["peer", "track", "ls"]).advertised);
    // pflag type names with spaces, and bools without one.
    let start = find(&["host", "start"]);
    let flag = |n: &str| start.flags().into_iter().find(|f| f.name == n).unwrap();
    assert_eq!(flag("priv").pflag_type, "P2P Private key");
    assert_eq!(
        flag("priv").default.as_deref(),
        Some("? (no private key data)")
    );
    assert_eq!(flag("nat").pflag_type, "");
    assert_eq!(flag("agent").default.as_deref(), Some("\"Rumor\""));
    // Positionals are split from the flags that back them.
    let connect = find(&["peer", "connect"]);
    let args: Vec<(&str, bool)> = connect
        .usage
        .args
        .iter()
        .map(|a| (a.name.as_str(), a.required))
        .collect();
    assert_eq!(args, [("addr", true), ("tag", false)]);
    assert!(connect.flags().iter().all(|f| f.name != "addr"));
}

#[test]
fn compare_reports_defaults_help_positionals_and_flags() {
    let mut spec = real_spec();
    let at = |spec: &Spec, p: &[&str]| {
        spec.commands
            .iter()
            .position(|c| c.path.iter().map(String::as_str).eq(p.iter().copied()))
            .unwrap()
    };
    let start = at(&spec, &["host", "start"]);
    let c = &mut spec.commands[start];
    c.flags
        .iter_mut()
        .find(|f| f.name == "agent")
        .unwrap()
        .default = Some("\"Rumour\"".into());
    c.flags.iter_mut().find(|f| f.name == "mux").unwrap().help = "Muxers".into();
    c.flags.retain(|f| f.name != "nat");
    c.flags.push(FlagDef {
        name: "colour".into(),
        ty: "string".into(),
        default: None,
        help: "no such flag".into(),
    });
    let connect = at(&spec, &["peer", "connect"]);
    spec.commands[connect].args[1].required = true;
    spec.commands[connect].args[0].help = "somewhere".into();
    let notify = at(&spec, &["host", "notify"]);
    spec.commands[notify].advertised = true;
    let diff = compare(&spec, scanned());
    let text = diff.to_string();
    for want in [
        "~ host start: flag --agent: default: spec \"\\\"Rumour\\\"\", binary \"\\\"Rumor\\\"\"",
        "~ host start: flag --mux: help: spec \"Muxers\", binary \"Multiplexers to use\"",
        "~ host start: flag --nat: in the binary, not in the spec (type \"\", default \"true\"",
        "~ host start: flag --colour: in the spec, not in the binary",
        "~ peer connect: arg <tag>: spec says required <..>, the binary shows optional [..]",
        "~ peer connect: arg <addr>: help: spec \"somewhere\"",
        "~ host notify: advertised: spec true, binary false",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
    assert_eq!(diff.drifts.len(), 7, "{text}");
    assert!(diff
        .drifts
        .iter()
        .all(|d| matches!(d, Drift::Changed { .. })));
    // --write undoes all of it, keeping what help cannot show.
    let (fixed, up) = update_spec(&spec, scanned(), scanned().version.as_deref());
    assert!(compare(&fixed, scanned()).is_empty());
    assert_eq!(up.changed.len(), 3);
    let real = real_spec();
    for c in &fixed.commands {
        let r = &real.commands[at(
            &real,
            &c.path.iter().map(String::as_str).collect::<Vec<_>>(),
        )];
        assert_eq!(c.results, r.results);
        assert_eq!(c.notes, r.notes);
        assert_eq!(c.args, r.args, "{:?}", c.path);
        // The changed ones wait for review.
        assert_eq!(c.review, up.changed.contains(&c.path), "{:?}", c.path);
    }
    // Rendering only rewrites the changed commands; the text parses back to the model.
    let text = spec_text();
    let rendered = render_spec(&text, &real, &fixed).unwrap();
    assert_eq!(Spec::parse(&rendered, "r").unwrap(), fixed);
    assert_eq!(render_spec(&text, &real, &real).unwrap(), text);
}
