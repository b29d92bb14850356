//! Golden files: each `tests/specs/*.toml` generates the `.rs` file beside it. The `.rs` files
//! are checked in, so a reviewer sees what a generator change does, and `pyrum-commands`
//! compiles them (`tests/golden_compiles.rs`). `PYRUM_BLESS=1 cargo test -p pyrum-codegen`
//! rewrites them.

use std::path::Path;

use pyrum_codegen::{generate, Settings, Spec};

#[test]
fn generated_code_matches_the_golden_files() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let spec_path = entry.unwrap().path();
        if spec_path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let spec = Spec::load(&spec_path).unwrap_or_else(|e| panic!("{e:?}"));
        let code = generate(&spec, &Settings::default()).unwrap();
        let golden = spec_path.with_extension("rs");
        if std::env::var_os("PYRUM_BLESS").is_some() {
            std::fs::write(&golden, &code).unwrap();
        } else {
            let expected = std::fs::read_to_string(&golden).unwrap_or_default();
            assert!(
                expected == code,
                "{} is stale: the generator now writes different code. Review the change, then run \
                 `PYRUM_BLESS=1 cargo test -p pyrum-codegen --test golden` to rewrite it.",
                golden.display()
            );
        }
        checked += 1;
    }
    assert!(checked > 0, "no specs in {}", dir.display());
}

#[test]
fn generation_is_deterministic_and_names_come_from_paths() {
    let spec =
        Spec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/small.toml")).unwrap();
    let a = generate(&spec, &Settings::default()).unwrap();
    // Adding a command does not rename or reorder anything that was there.
    let mut more = spec.clone();
    more.commands.insert(
        0,
        pyrum_codegen::CommandDef {
            path: vec!["host".into(), "aaa".into()],
            ..Default::default()
        },
    );
    let b = generate(&more, &Settings::default()).unwrap();
    for name in [
        "pub struct HostListen(",
        "pub struct PeerConnectResult",
        "pub struct RpcStatusReqRawStep",
        "pub struct BlocksOnNameList(",
    ] {
        assert!(a.contains(name) && b.contains(name), "{name}");
    }
    assert_eq!(a, generate(&spec, &Settings::default()).unwrap());
}

#[test]
fn commands_waiting_for_review_fail_generation_and_say_what_to_fill_in() {
    let mut spec =
        Spec::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/specs/small.toml")).unwrap();
    spec.allow_unreviewed = false;
    let err = generate(&spec, &Settings::default()).unwrap_err();
    let text = err.to_string();
    assert!(
        matches!(&err, pyrum_codegen::Error::Unreviewed { commands, .. } if commands.len() == 1),
        "{text}"
    );
    assert!(
        text.contains("`peer connectall`: fill in its result fields")
            && text.contains("long_running")
            && text.contains("steppable")
            && text.contains("allow_unreviewed = true"),
        "{text}"
    );
    // The build script's setting allows them too.
    let code = generate(&spec, &Settings::default().with_allow_unreviewed(true)).unwrap();
    assert!(code.contains("pyrum_command!(PeerConnectall, \"peer connectall\", untyped);"));
}
