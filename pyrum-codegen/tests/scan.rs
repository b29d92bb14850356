//! `pyrum-codegen scan` against the real Rumor v0.3.6 binary: the checked-in commands.toml shows
//! no drift, and mutated copies of it show exactly what was changed. Rumor must be installed
//! (`scripts/install-rumor`, or `RUMOR_BIN`); a missing binary fails these tests.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use pyrum_codegen::{
    compare, render_spec, scan, update_spec, Drift, FlagDef, Scanned, Spec, SCAN_NAME,
};

fn rumor() -> PathBuf {
    pyrum_core::find_rumor().unwrap_or_else(|e| panic!("Rumor v0.3.6 is needed: {e}"))
}

fn spec_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands.toml")
}

fn spec_text() -> String {
    std::fs::read_to_string(spec_path()).unwrap()
}

fn real_spec() -> Spec {
    Spec::load(&spec_path()).unwrap_or_else(|e| panic!("{e:?}"))
}

/// One scan of the real binary, shared by the library-level tests of this file.
fn scanned() -> &'static Scanned {
    static SCANNED: OnceLock<Scanned> = OnceLock::new();
    SCANNED.get_or_init(|| scan(&rumor(), "v0.3.6").unwrap_or_else(|e| panic!("scan failed: {e}")))
}

/// A file in the temp dir, unique to this process and test, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn new(name: &str, text: &str) -> Temp {
        let p = std::env::temp_dir().join(format!(
            "pyrum-scan-test-{}-{name}.toml",
            std::process::id()
        ));
        std::fs::write(&p, text).unwrap();
        Temp(p)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Runs the CLI: exit code and stdout.
fn cli_scan(spec: &Path, write: bool) -> (i32, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_pyrum-codegen"));
    cmd.arg("scan")
        .arg("--rumor")
        .arg(rumor())
        .arg("--spec")
        .arg(spec);
    if write {
        cmd.arg("--write");
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr);
    (
        out.status
            .code()
            .unwrap_or_else(|| panic!("killed: {stderr}")),
        stdout + &stderr,
    )
}

/// Cuts the `[[command]]` table of `path` out of the spec text.
fn cut_command(text: &str, path: &str) -> String {
    let at = text
        .find(&format!("path = {path}\n"))
        .unwrap_or_else(|| panic!("{path} not in the spec"));
    let start = text[..at].rfind("[[command]]").unwrap();
    let end = text[at..]
        .find("[[command]]")
        .map_or(text.len(), |e| at + e);
    format!("{}{}", &text[..start], &text[end..])
}

/// The mutated spec: `host view` removed, `host listen --tcp` typed u32 (help shows uint16),
/// `peer trim` renamed `peer prune`.
fn mutated() -> String {
    let text = cut_command(&spec_text(), r#"["host", "view"]"#);
    let tcp = "  name = \"tcp\"\n  type = \"u16\"\n  default = \"9000\"";
    assert!(
        text.contains(tcp),
        "host listen --tcp is no longer written as expected"
    );
    let text = text.replacen(tcp, &tcp.replace("u16", "u32"), 1);
    let trim = r#"path = ["peer", "trim"]"#;
    assert!(text.contains(trim));
    text.replacen(trim, r#"path = ["peer", "prune"]"#, 1)
}

#[test]
fn the_real_spec_has_no_drift_against_v0_3_6() {
    let (code, out) = cli_scan(&spec_path(), false);
    assert_eq!(code, 0, "scan reported drift or failed:\n{out}");
    let spec = real_spec();
    assert!(
        out.contains(&format!(
            "no drift: {n} leaf commands in the binary, {n} in",
            n = spec.commands.len()
        )),
        "{out}"
    );
    assert!(!out.contains("note:"), "stale known-route entries: {out}");
}

#[test]
fn a_mutated_spec_names_each_change_and_exits_1() {
    let t = Temp::new("mutated", &mutated());
    let (code, out) = cli_scan(&t.0, false);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("+ host view: command in the binary, not in the spec"),
        "{out}"
    );
    assert!(
        out.contains("~ host listen: flag --tcp: type: spec has u32 (help would show \"uint32\"), the binary shows \"uint16\""),
        "{out}"
    );
    assert!(
        out.contains("- peer prune: command in the spec, not in the binary"),
        "{out}"
    );
    assert!(
        out.contains("+ peer trim: command in the binary, not in the spec"),
        "{out}"
    );
    assert!(
        out.contains("? `peer prune` looks renamed to `peer trim`"),
        "{out}"
    );
    assert!(out.contains("4 difference(s)"), "{out}");
}

#[test]
fn write_repairs_a_mutated_spec_and_keeps_the_rest() {
    let original = spec_text();
    let t = Temp::new("write", &mutated());
    let (code, out) = cli_scan(&t.0, true);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("2 added (marked `review = true`), 1 removed"),
        "{out}"
    );
    let written = std::fs::read_to_string(&t.0).unwrap();
    // The header comment and the top-level keys are untouched.
    let header_end = original.find("[[command]]").unwrap();
    assert_eq!(written[..header_end], original[..header_end]);
    // A second scan finds nothing.
    let (code, out) = cli_scan(&t.0, false);
    assert_eq!(code, 0, "{out}");
    let spec = Spec::parse(&written, "written").unwrap();
    let real = real_spec();
    let cmd = |s: &Spec, p: &[&str]| {
        s.commands
            .iter()
            .find(|c| c.path.iter().map(String::as_str).eq(p.iter().copied()))
            .unwrap_or_else(|| panic!("{p:?} missing"))
            .clone()
    };
    // host listen was rewritten: type back to u16, its results kept.
    let listen = cmd(&spec, &["host", "listen"]);
    assert_eq!(listen, cmd(&real, &["host", "listen"]));
    // Re-added commands are marked for review, in their old place, with what help shows.
    let view = cmd(&spec, &["host", "view"]);
    assert!(view.review && view.results.is_empty());
    let pos = |s: &Spec, p: &[&str]| {
        s.commands
            .iter()
            .position(|c| c.path.iter().map(String::as_str).eq(p.iter().copied()))
            .unwrap()
    };
    assert_eq!(pos(&spec, &["host", "view"]), pos(&real, &["host", "view"]));
    assert_eq!(pos(&spec, &["peer", "trim"]), pos(&real, &["peer", "trim"]));
    let trim = cmd(&spec, &["peer", "trim"]);
    assert_eq!(trim.args, cmd(&real, &["peer", "trim"]).args);
    assert!(trim.review);
    assert!(!spec.commands.iter().any(|c| c.path == ["peer", "prune"]));
    // Everything else is as it was.
    assert_eq!(spec.commands.len(), real.commands.len());
    for (a, b) in spec.commands.iter().zip(&real.commands) {
        if a.path != ["host", "view"] && a.path != ["peer", "trim"] {
            assert_eq!(a, b);
        }
    }
}

#[test]
fn the_scan_sees_runtime_routes_extras_and_pflag_types() {
    let s = scanned();
    assert!(s.unroutable.is_empty(), "{:?}", s.unroutable);
    assert!(s.extras_gone.is_empty(), "{:?}", s.extras_gone);
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
    // Known extras are scanned, unlisted.
    assert!(!find(&["host", "notify"]).advertised);
    let ls = find(&["peer", "track", "ls"]);
    assert!(!ls.advertised);
    assert_eq!(
        ls.alias_of.as_deref(),
        Some(&["peer".to_string(), "track".into(), "list".into()][..])
    );
    assert!(!find(&["chain", "this", "hot", "cold"]).advertised);
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
    let (fixed, up) = update_spec(&spec, scanned());
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
    }
    // Rendering only rewrites the changed commands; the text parses back to the model.
    let text = spec_text();
    let rendered = render_spec(&text, &real, &fixed).unwrap();
    assert_eq!(Spec::parse(&rendered, "r").unwrap(), fixed);
    assert_eq!(render_spec(&text, &real, &real).unwrap(), text);
}
