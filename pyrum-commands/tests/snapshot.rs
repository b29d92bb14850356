//! The generated layer is reviewed like code: `generated/commands.rs` is what `build.rs`
//! generates from the whole `commands.toml`, checked in, so a spec or generator change shows
//! its real diff. This test fails when the snapshot is stale;
//! `PYRUM_BLESS=1 cargo test -p pyrum-commands --test snapshot` rewrites it after review.

use std::path::Path;

/// What this build compiled (build.rs wrote it).
const GENERATED: &str = include_str!(concat!(env!("OUT_DIR"), "/commands.rs"));

#[test]
fn the_checked_in_snapshot_is_what_the_build_generates() {
    let snapshot = Path::new(env!("CARGO_MANIFEST_DIR")).join("generated/commands.rs");
    if std::env::var_os("PYRUM_BLESS").is_some() {
        std::fs::write(&snapshot, GENERATED).unwrap();
        return;
    }
    let checked_in = std::fs::read_to_string(&snapshot).unwrap_or_default();
    if checked_in != GENERATED {
        let (old, new): (Vec<&str>, Vec<&str>) =
            (checked_in.lines().collect(), GENERATED.lines().collect());
        let first = old
            .iter()
            .zip(&new)
            .position(|(a, b)| a != b)
            .unwrap_or(old.len().min(new.len()));
        panic!(
            "{} is stale: the spec or the generator changed what it generates (first difference at \
             line {}: {:?} is now {:?}). Review the change, then run \
             `PYRUM_BLESS=1 cargo test -p pyrum-commands --test snapshot` to rewrite it.",
            snapshot.display(),
            first + 1,
            old.get(first).copied().unwrap_or("<end>"),
            new.get(first).copied().unwrap_or("<end>"),
        );
    }
}

#[test]
fn the_full_spec_generates_a_reviewable_amount_of_code() {
    let lines = GENERATED.lines().count();
    assert!(
        lines <= 12_000,
        "the full spec generates {lines} lines; keep it at most 12,000 (emit nothing per command \
         that pyrum-core's generic types already give)"
    );
}
