//! `pyrum-codegen scan` against the real Rumor binary of commands.toml's version: the
//! checked-in commands.toml shows no drift, and mutated copies of it show exactly what was
//! changed. Rumor must be installed (`scripts/install-rumor`, or `RUMOR_BIN`); a missing binary
//! fails these tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use pyrum_codegen::Spec;

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
fn the_real_spec_has_no_drift() {
    let (code, out) = cli_scan(&spec_path(), false);
    assert_eq!(code, 0, "scan reported drift or failed:\n{out}");
    let spec = real_spec();
    assert!(
        out.contains(&format!(
            "no drift: {n} leaf commands in the binary (Rumor {v}), {n} in",
            n = spec.commands.len(),
            v = spec.rumor_version
        )),
        "{out}"
    );
    assert!(!out.contains("note:"), "{out}");
}

#[test]
fn write_without_drift_changes_no_byte() {
    let original = spec_text();
    let t = Temp::new("unchanged", &original);
    let (code, out) = cli_scan(&t.0, true);
    assert_eq!(code, 0, "{out}");
    assert_eq!(std::fs::read_to_string(&t.0).unwrap(), original);
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
        out.contains("1 command(s) changed and 2 added (marked `review = true`), 1 removed"),
        "{out}"
    );
    let written = std::fs::read_to_string(&t.0).unwrap();
    // The header comment and the top-level keys are untouched.
    let header_end = original.find("[[command]]").unwrap();
    assert_eq!(written[..header_end], original[..header_end]);
    // A second scan finds nothing, and a second write changes no byte.
    let (code, out) = cli_scan(&t.0, true);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("no drift"), "{out}");
    assert_eq!(std::fs::read_to_string(&t.0).unwrap(), written);
    // Only the three commands' tables differ from the original, line for line, and the one
    // type that was wrong is back as the original writes it.
    let changed: Vec<&str> = diff_lines(&original, &written);
    assert!(changed.contains(&"review = true"), "{changed:?}");
    assert!(
        changed.iter().all(|l| !l.contains("u32")),
        "the wrong type stays in no line: {changed:?}"
    );
    let spec = Spec::parse(&written, "written").unwrap();
    let real = real_spec();
    let cmd = |s: &Spec, p: &[&str]| {
        s.commands
            .iter()
            .find(|c| c.path.iter().map(String::as_str).eq(p.iter().copied()))
            .unwrap_or_else(|| panic!("{p:?} missing"))
            .clone()
    };
    // host listen was repaired: type back to u16, its results kept, marked for review.
    let mut listen = cmd(&spec, &["host", "listen"]);
    assert!(listen.review);
    listen.review = false;
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
        if !matches!(
            a.path.join(" ").as_str(),
            "host view" | "peer trim" | "host listen"
        ) {
            assert_eq!(a, b);
        }
    }
}

/// The lines of `b` that `a` lacks (a multiset difference, enough to see what a write added).
fn diff_lines<'b>(a: &str, b: &'b str) -> Vec<&'b str> {
    let mut have: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for l in a.lines() {
        *have.entry(l).or_default() += 1;
    }
    b.lines()
        .filter(|l| match have.get_mut(l) {
            Some(n) if *n > 0 => {
                *n -= 1;
                false
            }
            _ => true,
        })
        .collect()
}
