//! pyrum-bench: this SDK, pyrum 0.3.0 (Python) and a raw pipe, side by side on one real Rumor
//! binary, in one run. Prints the tables of BENCHMARKS.md (markdown).
//!
//! ```text
//! cargo run --release -p pyrum-bench -- [--quick] [--smoke] [--max-n N] [--no-pyrum]
//!     [--no-compile] [--python python3] [--venv DIR]
//! cargo run --release -p pyrum-bench -- record      # rewrite fixtures/transcript.jsonl
//! ```
//!
//! Every measurement of calls runs in a child process of this binary (or the venv's Python),
//! so the peak RSS reported is that client's own (VmHWM of its /proc status).

mod floor;
mod raw;
mod sdk;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use pyrum_bench::routing::{self, Transcript};
use pyrum_bench::stats::Run;
use serde_json::{json, Value};

/// The pyrum release on PyPI that is compared.
const PYRUM_PY: &str = "0.3.0";
const PY_SCRIPT: &str = include_str!("pyrum_bench.py");

struct Options {
    ns: Vec<usize>,
    smoke: bool,
    pyrum: bool,
    compile: bool,
    python: String,
    venv: Option<PathBuf>,
    scale: (usize, usize, usize),
    routing_runs: usize,
    /// Runs per client and N (the median is reported); `None`: 5 up to N = 1k, 3 up to 10k, else 1.
    reps: Option<usize>,
}

impl Options {
    fn reps(&self, n: usize) -> usize {
        self.reps.unwrap_or(match n {
            0..=1_000 => 5,
            1_001..=10_000 => 3,
            _ => 1,
        })
    }
}

fn usage() -> ! {
    eprintln!(
        "usage: pyrum-bench [--quick | --smoke] [--max-n N] [--reps R] [--no-pyrum] [--no-compile] \
         [--python PYTHON] [--venv DIR]\n       pyrum-bench record [--out FILE] [--rounds R]"
    );
    std::process::exit(2)
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("__child") => child(&args[1..]),
        Some("record") => record(&args[1..]),
        _ => bench(&args),
    }
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("pyrum-bench lives in the workspace")
        .to_path_buf()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
}

fn rumor_bin() -> PathBuf {
    pyrum_core::find_rumor().unwrap_or_else(|e| panic!("the benchmark needs the real Rumor: {e}"))
}

// ---------------------------------------------------------------------------------------------
// Child processes: one measurement each, one JSON line on stdout.

fn child(args: &[String]) {
    // A child never outlives a stuck Rumor by long.
    let limit: u64 = std::env::var("PYRUM_BENCH_LIMIT")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(900);
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(limit));
        eprintln!("pyrum-bench child: gave up after {limit} s");
        std::process::exit(3);
    });
    let bin = rumor_bin();
    let num = |i: usize| -> usize {
        args.get(i)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| usage())
    };
    let out = match args.first().map(String::as_str) {
        Some("raw") => raw::run(&bin, num(2), args[1] == "all").to_json(),
        Some("sdk") => {
            let rt = runtime(args[1].ends_with("-current"));
            // `all`, `seq` (the caller in `block_on`, as under `#[tokio::main]`), `seq-task` (the
            // caller in a task on a runtime worker), `seq-current` (a current-thread runtime).
            let (n, all) = (num(2), args[1] == "all");
            let task = sdk::calls(bin.clone(), n, all);
            let result = if args[1].ends_with("-task") {
                rt.block_on(rt.spawn(task)).expect("the task")
            } else {
                rt.block_on(task)
            };
            result
                .unwrap_or_else(|e| panic!("sdk run failed: {e}"))
                .to_json()
        }
        // The tokio floor, one call at a time, in the three places a caller runs.
        Some("floor") => {
            let rt = runtime(args[1].ends_with("-current"));
            let n = num(2);
            let run = if args[1].ends_with("-task") {
                let bin = bin.clone();
                rt.block_on(rt.spawn(async move { floor::run(&bin, n).await }))
                    .expect("the task")
            } else {
                rt.block_on(floor::run(&bin, n))
            };
            run.to_json()
        }
        Some("scale") => {
            let rt = runtime(false);
            let s = rt
                .block_on(sdk::scale(&bin, num(1), num(2), num(3)))
                .unwrap_or_else(|e| panic!("scale run failed: {e}"));
            let mut v = s.run.to_json();
            v["entries"] = json!(s.entries);
            v["cross_talk"] = json!(s.cross_talk);
            v
        }
        // For profilers: parse + route the recorded transcript RUNS times.
        Some("routing") => {
            let t = Transcript::recorded();
            json!({ "entries_per_s": routing::measure_routing(&t, num(1)) })
        }
        _ => usage(),
    };
    println!("{out}");
}

/// The SDK children's runtime: tokio's multi-thread default (what `#[tokio::main]` builds), or a
/// current-thread one.
fn runtime(current_thread: bool) -> tokio::runtime::Runtime {
    if current_thread {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Runtime::new()
    }
    .expect("tokio runtime")
}

/// Runs `cmd`, returns the JSON of its last stdout line (panics with its stderr otherwise).
fn run_json(mut cmd: Command, what: &str) -> Value {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("{what}: could not start: {e}"));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let last = stdout.lines().last().unwrap_or("");
    match serde_json::from_str::<Value>(last) {
        Ok(v) if out.status.success() => v,
        _ => panic!(
            "{what} failed ({}):\n{}\n{}",
            out.status,
            stdout,
            String::from_utf8_lossy(&out.stderr)
        ),
    }
}

fn self_child(args: &[&str]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().expect("own path"));
    cmd.arg("__child").args(args);
    cmd
}

// ---------------------------------------------------------------------------------------------
// The transcript fixture.

fn record(args: &[String]) {
    let mut out = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/transcript.jsonl");
    let mut rounds = 150;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--out" => out = it.next().unwrap_or_else(|| usage()).into(),
            "--rounds" => {
                rounds = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            _ => usage(),
        }
    }
    let lines = raw::record(&rumor_bin(), rounds);
    let mut text = lines.join("\n");
    text.push('\n');
    std::fs::write(&out, &text).unwrap_or_else(|e| panic!("writing {}: {e}", out.display()));
    let t = Transcript::parse(&text);
    eprintln!(
        "wrote {} ({} lines, {} calls, {} bytes)",
        out.display(),
        t.lines.len(),
        t.calls.len(),
        text.len()
    );
}

// ---------------------------------------------------------------------------------------------
// pyrum 0.3.0 in a venv.

struct Python {
    bin: PathBuf,
    script: PathBuf,
    versions: String,
}

fn setup_venv(python: &str, venv: &Path) -> Python {
    let py = venv.join("bin/python");
    let ready = || {
        Command::new(&py)
            .args([
                "-c",
                &format!(
                    "import importlib.metadata as m, trio, pyrum; \
                     assert m.version('pyrum') == '{PYRUM_PY}', m.version('pyrum')"
                ),
            ])
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    };
    if !ready() {
        eprintln!(
            "pyrum-bench: installing pyrum=={PYRUM_PY} into {}",
            venv.display()
        );
        let ok = Command::new(python)
            .args(["-m", "venv"])
            .arg(venv)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "`{python} -m venv {}` failed", venv.display());
        let ok = Command::new(venv.join("bin/pip"))
            .args([
                "install",
                "--quiet",
                "--disable-pip-version-check",
                &format!("pyrum=={PYRUM_PY}"),
            ])
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "pip install pyrum=={PYRUM_PY} failed");
        assert!(
            ready(),
            "pyrum {PYRUM_PY} does not import after installing it"
        );
    }
    let script = venv.join("pyrum_bench.py");
    std::fs::write(&script, PY_SCRIPT).expect("writing the Python script into the venv");
    let versions = Command::new(&py)
        .args([
            "-c",
            "import sys, trio, importlib.metadata as m; \
             print('CPython', sys.version.split()[0], '/ pyrum', m.version('pyrum'), '/ trio', trio.__version__)",
        ])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    Python {
        bin: py,
        script,
        versions,
    }
}

// ---------------------------------------------------------------------------------------------
// The whole run.

fn parse_options(args: &[String]) -> Options {
    let mut o = Options {
        ns: vec![1_000, 10_000, 100_000],
        smoke: false,
        pyrum: true,
        compile: true,
        python: "python3".into(),
        venv: None,
        scale: (32, 32, 50),
        routing_runs: 31,
        reps: None,
    };
    let mut max_n = usize::MAX;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => {
                o.ns = vec![1_000, 10_000];
                o.scale.2 = 10;
            }
            "--smoke" => {
                o.smoke = true;
                o.ns = vec![200];
                o.pyrum = false;
                o.compile = false;
                o.scale = (8, 2, 20);
                o.routing_runs = 3;
                o.reps = Some(1);
            }
            "--reps" => {
                o.reps = Some(
                    it.next()
                        .and_then(|v| v.parse().ok())
                        .filter(|r| *r > 0)
                        .unwrap_or_else(|| usage()),
                )
            }
            "--max-n" => {
                max_n = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .unwrap_or_else(|| usage())
            }
            "--no-pyrum" => o.pyrum = false,
            "--no-compile" => o.compile = false,
            "--python" => o.python = it.next().unwrap_or_else(|| usage()).clone(),
            "--venv" => o.venv = Some(it.next().unwrap_or_else(|| usage()).into()),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    o.ns.retain(|n| *n <= max_n);
    if o.ns.is_empty() {
        o.ns = vec![max_n.max(1)];
    }
    o
}

fn bench(args: &[String]) {
    let o = parse_options(args);
    let bin = rumor_bin();
    let load_before = loadavg();
    let started = Instant::now();
    let python = o.pyrum.then(|| {
        let venv = o
            .venv
            .clone()
            .unwrap_or_else(|| target_dir().join("bench-venv"));
        setup_venv(&o.python, &venv)
    });
    let limit = if o.smoke { "120" } else { "900" };

    // 1. Calls.
    const SDK: &str = "pyrum-rs (this SDK)";
    const SDK_TASK: &str = "pyrum-rs, caller in a spawned task";
    const SDK_CURRENT: &str = "pyrum-rs, current-thread runtime";
    const RAW: &str = "raw pipe";
    const FLOOR: &str = "tokio floor (no SDK), in `block_on`";
    const FLOOR_TASK: &str = "tokio floor (no SDK), in a spawned task";
    const FLOOR_CURRENT: &str = "tokio floor (no SDK), current-thread runtime";
    const PY: &str = "pyrum 0.3.0 (Python)";
    let mut rows: Vec<(&str, &str, usize, usize, Run)> = Vec::new();
    for pipelined in [true, false] {
        let label = if pipelined {
            "all in flight"
        } else {
            "one at a time"
        };
        let children: &[(&str, &str, &str)] = if pipelined {
            &[(RAW, "raw", "all"), (SDK, "sdk", "all")]
        } else {
            &[
                (RAW, "raw", "seq"),
                (SDK, "sdk", "seq"),
                (SDK_TASK, "sdk", "seq-task"),
                (SDK_CURRENT, "sdk", "seq-current"),
                (FLOOR, "floor", "seq"),
                (FLOOR_TASK, "floor", "seq-task"),
                (FLOOR_CURRENT, "floor", "seq-current"),
            ]
        };
        for &n in &o.ns {
            let ns = n.to_string();
            let reps = o.reps(n);
            // Repetitions interleave the clients, so that a change in the machine's load hits
            // all of them alike; the run with the median throughput is reported.
            let mut runs: Vec<(&str, Vec<Run>)> = Vec::new();
            let mut keep =
                |name: &'static str, run: Run| match runs.iter_mut().find(|r| r.0 == name) {
                    Some(r) => r.1.push(run),
                    None => runs.push((name, vec![run])),
                };
            for rep in 0..reps {
                for &(name, client, mode) in children {
                    eprintln!("pyrum-bench: {client} {mode} N={n} ({}/{reps})", rep + 1);
                    let mut cmd = self_child(&[client, mode, &ns]);
                    cmd.env("PYRUM_BENCH_LIMIT", limit);
                    let v = run_json(cmd, &format!("{client} {mode} N={n}"));
                    keep(name, Run::from_json(&v).expect("a run"));
                }
                if let Some(py) = &python {
                    let mode = if pipelined { "all" } else { "seq" };
                    eprintln!(
                        "pyrum-bench: pyrum {PYRUM_PY} {mode} N={n} ({}/{reps})",
                        rep + 1
                    );
                    let mut cmd = Command::new(&py.bin);
                    cmd.arg(&py.script)
                        .arg("--rumor")
                        .arg(&bin)
                        .args(["--n", &ns, "--mode", mode, "--limit", limit]);
                    let v = run_json(cmd, &format!("pyrum {mode} N={n}"));
                    keep(PY, Run::from_json(&v).expect("a run"));
                }
            }
            for (name, mut all) in runs {
                all.sort_by(|a, b| a.rate().total_cmp(&b.rate()));
                let median = all.swap_remove(all.len() / 2);
                rows.push((name, label, n, reps, median));
            }
        }
    }

    // 4. Scale.
    eprintln!("pyrum-bench: scale");
    let (servers, actors, per_actor) = o.scale;
    let mut cmd = self_child(&[
        "scale",
        &servers.to_string(),
        &actors.to_string(),
        &per_actor.to_string(),
    ]);
    cmd.env("PYRUM_BENCH_LIMIT", limit);
    let scale = run_json(cmd, "scale");
    let scale_run = Run::from_json(&scale).expect("a run");
    let cross_talk = scale["cross_talk"].as_u64().unwrap_or(u64::MAX);
    assert_eq!(cross_talk, 0, "results routed to the wrong actor");

    // 2. Routing (one core), in this process.
    eprintln!("pyrum-bench: routing");
    let t = Transcript::recorded();
    let serde_rate = routing::measure_serde(&t, o.routing_runs);
    let parse_rate = routing::measure_entry_parse(&t, o.routing_runs);
    let route_rate = routing::measure_routing(&t, o.routing_runs);
    let quote_ns = routing::measure_quoting(if o.smoke { 10_000 } else { 1_000_000 });

    // 3. Codegen.
    eprintln!("pyrum-bench: codegen");
    let spec_path = workspace_root().join("commands.toml");
    let mut commands = 0;
    let gen_time = routing::median_time(if o.smoke { 1 } else { 5 }, || {
        let spec = pyrum_codegen::Spec::load(&spec_path).expect("commands.toml loads");
        commands = spec.commands.len();
        let code =
            pyrum_codegen::generate(&spec, &pyrum_codegen::Settings::default()).expect("generates");
        std::hint::black_box(code);
    });
    let compile = o.compile.then(compile_time);

    // The tables.
    let mut md = String::new();
    let p = |md: &mut String, s: String| {
        md.push_str(&s);
        md.push('\n');
    };
    p(
        &mut md,
        format!(
            "Machine: {} cores ({}), {}; load average {} before, {} after; total {:.0} s.",
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            cpu_model(),
            mem_total(),
            load_before,
            loadavg(),
            started.elapsed().as_secs_f64()
        ),
    );
    p(
        &mut md,
        format!(
            "Versions: Rumor {} (`rumor bare --level=trace` / `serve --tcp`), {}, {}.",
            pyrum_commands::RUMOR_VERSION,
            rustc_version(),
            python
                .as_ref()
                .map_or("pyrum (Python) not run".to_string(), |p| p.versions.clone())
        ),
    );
    p(&mut md, String::new());
    p(
        &mut md,
        "### 1. Calls: `host view` after `host start`, one actor".into(),
    );
    p(&mut md, String::new());
    p(
        &mut md,
        "| client | mode | N | calls/s | p50 | p99 | client CPU / call | Rumor CPU / call | client peak RSS | runs |"
            .into(),
    );
    p(
        &mut md,
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|".into(),
    );
    for (client, mode, n, reps, r) in &rows {
        p(
            &mut md,
            format!(
                "| {client} | {mode} | {n} | {:.0} | {} | {} | {:.1} µs | {:.0} µs | {:.1} MiB | {reps} |",
                r.rate(),
                fmt_us(r.p50_us),
                fmt_us(r.p99_us),
                r.cpu_us_per_call(),
                r.rumor_cpu_us_per_call(),
                r.rss_kib as f64 / 1024.0
            ),
        );
    }
    p(&mut md, String::new());
    p(
        &mut md,
        "Ratios (targets: throughput ≥ 0.9× the raw pipe's and ≥ 10× pyrum 0.3.0's; client CPU \
         per call ≤ 1.5× the raw pipe's). The tokio floor, where it was run, is the same loop \
         with no SDK in the same place (`pyrum-bench/src/floor.rs`): what tokio itself costs \
         there."
            .into(),
    );
    p(&mut md, String::new());
    p(
        &mut md,
        "| SDK | mode | N | SDK / raw pipe | client CPU / raw pipe's | tokio floor / raw pipe | \
         floor's CPU / raw pipe's | SDK / pyrum 0.3.0 |"
            .into(),
    );
    p(&mut md, "|---|---|---:|---:|---:|---:|---:|---:|".into());
    for (name, mode, n, _, sdk) in rows
        .iter()
        .filter(|r| [SDK, SDK_TASK, SDK_CURRENT].contains(&r.0))
    {
        let run = |c: &str| {
            rows.iter()
                .find(|r| r.0 == c && r.1 == *mode && r.2 == *n)
                .map(|r| &r.4)
        };
        let find = |c: &str| run(c).map(Run::rate);
        let raw = run(RAW);
        let cpu = |of: Option<&Run>| match (of, raw) {
            (Some(of), Some(raw)) => {
                let x = of.cpu_us_per_call() / raw.cpu_us_per_call();
                format!("{x:.2}× {}", if x <= 1.5 { "✓" } else { "✗" })
            }
            _ => "–".into(),
        };
        let floor = match *name {
            SDK => run(FLOOR),
            SDK_TASK => run(FLOOR_TASK),
            SDK_CURRENT => run(FLOOR_CURRENT),
            _ => None,
        };
        let floor_ratio = match (floor, raw) {
            (Some(f), Some(r)) => format!("{:.2}×", f.rate() / r.rate()),
            _ => "–".into(),
        };
        let ratio = |other: Option<f64>, target: f64| match other {
            Some(o) => {
                let x = sdk.rate() / o;
                format!("{x:.2}× {}", if x >= target { "✓" } else { "✗" })
            }
            None => "not run".into(),
        };
        p(
            &mut md,
            format!(
                "| {name} | {mode} | {n} | {} | {} | {floor_ratio} | {} | {} |",
                ratio(find(RAW), 0.9),
                cpu(Some(sdk)),
                cpu(floor),
                ratio(find(PY), 10.0)
            ),
        );
    }
    p(&mut md, String::new());
    p(
        &mut md,
        format!(
            "### 2. Core, one thread (recorded transcript: {} lines, {} calls, {} KiB)",
            t.lines.len(),
            t.calls.len(),
            t.bytes() / 1024
        ),
    );
    p(&mut md, String::new());
    p(&mut md, "| what | entries/s | vs serde_json |".into());
    p(&mut md, "|---|---:|---:|".into());
    p(
        &mut md,
        format!(
            "| `serde_json::from_str::<Value>` (baseline) | {} | 1.00× |",
            fmt_rate(serde_rate)
        ),
    );
    p(
        &mut md,
        format!(
            "| `Entry::parse` (parser alone) | {} | {:.2}× |",
            fmt_rate(parse_rate),
            parse_rate / serde_rate
        ),
    );
    p(
        &mut md,
        format!(
            "| parser + router (fake `Wire`, every entry to its call) | {} | {:.2}× {} |",
            fmt_rate(route_rate),
            route_rate / serde_rate,
            if route_rate >= 1e6 && route_rate >= 0.5 * serde_rate {
                "✓ (targets ≥ 1M/s, ≥ 0.5×)"
            } else {
                "✗ (targets ≥ 1M/s, ≥ 0.5×)"
            }
        ),
    );
    p(&mut md, String::new());
    p(
        &mut md,
        format!(
            "Quoting: {quote_ns:.1} ns per argument (`check_word` + `push_quoted`, mean over {} typical words).",
            routing::quoting_words().len()
        ),
    );
    p(&mut md, String::new());
    p(&mut md, "### 3. Codegen".into());
    p(&mut md, String::new());
    p(
        &mut md,
        format!(
            "- Generate the full spec ({commands} commands; `Spec::load` + `pyrum_codegen::generate`): {:.0} ms",
            gen_time.as_secs_f64() * 1e3
        ),
    );
    match &compile {
        Some(Ok((debug, release))) => p(
            &mut md,
            format!(
                "- Clean compile of pyrum-commands (`cargo clean -p pyrum-commands` then `cargo build -p pyrum-commands`, dependencies built): {:.1} s dev, {:.1} s release",
                debug.as_secs_f64(),
                release.as_secs_f64()
            ),
        ),
        Some(Err(e)) => p(&mut md, format!("- Clean compile of pyrum-commands: failed: {e}")),
        None => p(&mut md, "- Clean compile of pyrum-commands: not run".into()),
    }
    p(&mut md, String::new());
    p(
        &mut md,
        format!(
            "### 4. Scale: one client, {servers} × `rumor serve --tcp`, {actors} actors each, in pairs across servers"
        ),
    );
    p(&mut md, String::new());
    p(
        &mut md,
        format!(
            "{} typed `host view` calls ({per_actor} per actor) all in flight: {:.0} calls/s in total, \
             {:.0} result entries/s, p50 {}, p99 {}, client CPU {:.1} µs per call, Rumor CPU {:.0} µs per call (all {servers}), {} actors, client peak RSS {:.1} MiB; \
             results naming another actor's peer: {cross_talk}.",
            scale_run.calls,
            scale_run.rate(),
            scale["entries"].as_u64().unwrap_or(0) as f64 / scale_run.elapsed.as_secs_f64(),
            fmt_us(scale_run.p50_us),
            fmt_us(scale_run.p99_us),
            scale_run.cpu_us_per_call(),
            scale_run.rumor_cpu_us_per_call(),
            servers * actors,
            scale_run.rss_kib as f64 / 1024.0
        ),
    );
    print!("{md}");
}

/// Clean build times of pyrum-commands (dev, release) in a target dir of its own, so that the
/// measurement neither disturbs nor waits for other builds in the workspace's target dir.
fn compile_time() -> Result<(Duration, Duration), String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let dir = target_dir().join("bench-compile");
    let root = workspace_root();
    let cargo_cmd = |args: &[&str]| -> Result<Duration, String> {
        let start = Instant::now();
        let out = Command::new(&cargo)
            .args(args)
            .arg("--target-dir")
            .arg(&dir)
            .current_dir(&root)
            .env_remove("RUSTC_WRAPPER")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .output()
            .map_err(|e| format!("cargo: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "cargo {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(start.elapsed())
    };
    let mut times = Vec::new();
    for profile in [&[][..], &["--release"][..]] {
        eprintln!("pyrum-bench: compile pyrum-commands {profile:?} (dependencies first)");
        let with = |base: &[&'static str]| -> Vec<&'static str> {
            base.iter().chain(profile.iter()).copied().collect()
        };
        cargo_cmd(&with(&["build", "-q", "-p", "pyrum-commands"]))?;
        cargo_cmd(&with(&["clean", "-q", "-p", "pyrum-commands"]))?;
        times.push(cargo_cmd(&with(&["build", "-q", "-p", "pyrum-commands"]))?);
    }
    Ok((times[0], times[1]))
}

fn fmt_us(us: f64) -> String {
    if us >= 1e6 {
        format!("{:.2} s", us / 1e6)
    } else if us >= 1e3 {
        format!("{:.1} ms", us / 1e3)
    } else {
        format!("{us:.0} µs")
    }
}

fn fmt_rate(r: f64) -> String {
    if r >= 1e6 {
        format!("{:.2} M", r / 1e6)
    } else {
        format!("{:.0} k", r / 1e3)
    }
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|| "?".into())
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("model name"))
                .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

fn mem_total() -> String {
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or("? memory".into(), |kib| {
            format!("{:.1} GiB memory", kib / 1024.0 / 1024.0)
        })
}

fn rustc_version() -> String {
    Command::new(std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into()))
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(|_| "rustc ?".into())
}
