//! The `pyrum-codegen` command line is part of the interface (CI and people call it): its help
//! is pinned in `tests/data/*.txt`. `PYRUM_BLESS=1 cargo test -p pyrum-codegen-cli --test cli_help`
//! rewrites the files after a reviewed change.

use std::path::Path;
use std::process::Command;

fn check(args: &[&str], file: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_pyrum-codegen"))
        .args(args)
        .output()
        .expect("pyrum-codegen runs");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).expect("help is UTF-8");
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(file);
    if std::env::var_os("PYRUM_BLESS").is_some() {
        std::fs::write(&golden, &text).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&golden).unwrap_or_default();
    assert!(
        expected == text,
        "`pyrum-codegen {}` changed; review, then rewrite {} with PYRUM_BLESS=1:\n{text}",
        args.join(" "),
        golden.display()
    );
}

#[test]
fn help_is_pinned() {
    check(&["--help"], "help.txt");
    for sub in ["generate", "check", "list", "scan"] {
        check(&[sub, "--help"], &format!("help-{sub}.txt"));
    }
}

#[test]
fn a_bad_spec_names_the_place_and_exits_1() {
    let dir = std::env::temp_dir().join(format!("pyrum-codegen-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let spec = dir.join("commands.toml");
    std::fs::write(
        &spec,
        "rumor_version = \"v0.3.6\"\n[[command]]\npath = [\"host\", \"listen\"]\n[[command.flag]]\nname = \"tcp\"\ntype = \"u61\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pyrum-codegen"))
        .args(["check", "--spec"])
        .arg(&spec)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("host listen: flag tcp: unknown type \"u61\" (expected one of"),
        "{err}"
    );
}
