//! The upgrade path, against real binaries: every spec the repository ships scans clean
//! against the Rumor it describes, and an old spec brought to the current Rumor with
//! `scan --write` marks every new or changed command for review, fails to generate until the
//! review is done, and once the reviewed fields are filled in equals `commands.toml`.
//!
//! The binaries come from `scripts/install-rumor --version <rumor_version of the spec>` (cached
//! after the first build; building needs Go and a C++ compiler, and a test that cannot get its
//! Rumor fails).

use std::path::{Path, PathBuf};
use std::process::Command;

use pyrum_codegen::{CommandDef, Spec};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn load(path: &Path) -> Spec {
    Spec::load(path).unwrap_or_else(|e| panic!("{e}"))
}

/// The old specs in `specs/`.
fn old_specs() -> Vec<PathBuf> {
    let mut specs: Vec<PathBuf> = std::fs::read_dir(repo().join("specs"))
        .expect("specs/ exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    specs.sort();
    assert!(!specs.is_empty(), "no specs in specs/");
    specs
}

/// The Rumor binary of `version`, built (or found in the cache) by `scripts/install-rumor`.
fn rumor(version: &str) -> PathBuf {
    let out = Command::new(repo().join("scripts/install-rumor"))
        .args(["--version", version])
        .output()
        .expect("scripts/install-rumor runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "scripts/install-rumor --version {version} failed: {stderr}"
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let bin = PathBuf::from(stdout.lines().last().expect("it prints the path last"));
    assert!(bin.is_file(), "{} is not a file: {stderr}", bin.display());
    bin
}

/// Runs the CLI: exit code and stdout + stderr.
fn cli(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pyrum-codegen"))
        .args(args)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (
        out.status
            .code()
            .unwrap_or_else(|| panic!("killed: {text}")),
        text,
    )
}

fn path_str(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// A copy of a file in the temp folder, removed on drop.
struct Temp(PathBuf);

impl Temp {
    fn copy(from: &Path, name: &str) -> Temp {
        let p = std::env::temp_dir().join(format!("pyrum-upgrade-{}-{name}", std::process::id()));
        std::fs::copy(from, &p).unwrap();
        Temp(p)
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn every_shipped_spec_scans_clean_against_its_rumor() {
    for spec_path in old_specs()
        .into_iter()
        .chain([repo().join("commands.toml")])
    {
        let spec = load(&spec_path);
        let bin = rumor(&spec.rumor_version);
        let (code, out) = cli(&[
            "scan",
            "--rumor",
            path_str(&bin),
            "--spec",
            path_str(&spec_path),
        ]);
        assert_eq!(code, 0, "{}: {out}", spec_path.display());
        assert!(
            out.contains(&format!(
                "no drift: {n} leaf commands in the binary (Rumor {v}), {n} in",
                n = spec.commands.len(),
                v = spec.rumor_version
            )),
            "{}: {out}",
            spec_path.display()
        );
    }
}

/// `command` without the review mark.
fn reviewed(command: &CommandDef) -> CommandDef {
    CommandDef {
        review: false,
        ..command.clone()
    }
}

#[test]
fn upgrading_an_old_spec_marks_each_change_for_review_and_reviewed_it_equals_commands_toml() {
    let current = load(&repo().join("commands.toml"));
    let bin = rumor(&current.rumor_version);
    for old_path in old_specs() {
        let old = load(&old_path);
        let spec = Temp::copy(&old_path, "spec.toml");
        // `help` does not list some routes; what the new release's source says about them is
        // what a person passes as --probe (here taken from commands.toml).
        let mut args = vec![
            "scan".to_string(),
            "--rumor".into(),
            path_str(&bin).into(),
            "--spec".into(),
            path_str(&spec.0).into(),
            "--write".into(),
        ];
        for c in current.commands.iter().filter(|c| !c.advertised) {
            if !old.commands.iter().any(|o| o.path == c.path) {
                args.push("--probe".into());
                args.push(c.path.join(" "));
            }
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (code, out) = cli(&args);
        assert_eq!(code, 0, "{out}");
        let written = load(&spec.0);
        assert_eq!(written.rumor_version, current.rumor_version, "{out}");

        // Every new or changed command is marked, and only those.
        let mut marked = Vec::new();
        for c in &written.commands {
            let before = old.commands.iter().find(|o| o.path == c.path);
            let changed = before.is_none_or(|o| *o != reviewed(c));
            assert_eq!(c.review, changed, "{}: {out}", c.path.join(" "));
            if c.review {
                marked.push(c.path.join(" "));
            }
        }
        assert!(!marked.is_empty(), "the upgrade changed nothing: {out}");

        // Until they are reviewed, the spec does not generate, and says what to fill in.
        let (code, err) = cli(&["check", "--spec", path_str(&spec.0)]);
        assert_eq!(code, 1, "{err}");
        for m in &marked {
            assert!(
                err.contains(&format!("`{m}`: fill in")),
                "{m} not named: {err}"
            );
        }

        // The review: what help cannot show comes from Rumor's source (here: commands.toml),
        // as do the source order of new flags and the place of a command help does not list.
        let mut filled = written.clone();
        for c in filled.commands.iter_mut().filter(|c| c.review) {
            let want = current
                .commands
                .iter()
                .find(|w| w.path == c.path)
                .unwrap_or_else(|| panic!("{} is not in commands.toml", c.path.join(" ")));
            c.results = want.results.clone();
            c.long_running = want.long_running;
            c.steppable = want.steppable;
            c.notes = want.notes.clone();
            c.alias_of = want.alias_of.clone();
            c.args
                .extend(want.args.iter().filter(|a| a.variadic).cloned());
            c.flags.sort_by_key(|f| {
                want.flags
                    .iter()
                    .position(|w| w.name == f.name)
                    .unwrap_or(usize::MAX)
            });
            c.review = false;
        }
        filled.commands.sort_by_key(|c| {
            current
                .commands
                .iter()
                .position(|w| w.path == c.path)
                .unwrap_or(usize::MAX)
        });
        assert_eq!(filled.commands.len(), current.commands.len());
        for (f, c) in filled.commands.iter().zip(&current.commands) {
            assert_eq!(f, c, "{}", c.path.join(" "));
        }
        assert_eq!(filled, current);
    }
}
