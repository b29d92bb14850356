//! The benchmark's smoke run (`pyrum-bench --smoke`, what `scripts/bench --smoke` runs), so that
//! the benchmark cannot rot: every part runs against the real Rumor with small numbers, and the
//! tables come out complete. Needs Rumor (fails with the install hint when it is missing).

use std::process::Command;

#[test]
fn smoke_run_prints_every_table() {
    if let Err(e) = pyrum_core::find_rumor() {
        panic!("the benchmark's smoke run needs the real Rumor: {e}");
    }
    let out = Command::new(env!("CARGO_BIN_EXE_pyrum-bench"))
        .arg("--smoke")
        .output()
        .expect("running pyrum-bench --smoke");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "pyrum-bench --smoke failed: {}\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    // The codegen line names the spec's command count, whatever Rumor version it describes.
    let spec = pyrum_codegen::Spec::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../commands.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let codegen = format!("Generate the full spec ({} commands", spec.commands.len());
    for want in [
        "| raw pipe | all in flight | 200 |",
        "| pyrum-rs (this SDK) | all in flight | 200 |",
        "| pyrum-rs (this SDK) | one at a time | 200 |",
        "| pyrum-rs, caller in a spawned task | one at a time | 200 |",
        "| pyrum-rs, current-thread runtime | one at a time | 200 |",
        "| parser + router",
        "Quoting: ",
        codegen.as_str(),
        "results naming another actor's peer: 0.",
    ] {
        assert!(stdout.contains(want), "missing {want:?} in:\n{stdout}");
    }
}

#[test]
fn the_pyrum_script_compiles() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/src/pyrum_bench.py");
    let status = Command::new("python3")
        .args([
            "-c",
            "import ast, sys; ast.parse(open(sys.argv[1]).read(), sys.argv[1])",
            script,
        ])
        .status()
        .expect("python3 runs (the benchmark drives pyrum 0.3.0 with it)");
    assert!(status.success(), "{script} does not compile");
}
