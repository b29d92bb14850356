//! The runtime of [`#[pyrum::test]`](crate::test): a scenario on a Rumor of its own, with
//! actors, a deadline, a leak check and a transcript on failure.
//!
//! The attribute expands to a `#[test]` that calls [`Scenario::run_test`]; the same runtime is
//! usable directly ([`Scenario::run`] returns the outcome instead of panicking), which is how
//! pyrum tests that a failing scenario fails the right way.
//!
//! ```no_run
//! # async fn demo() {
//! use pyrum::prelude::*;
//! use pyrum::testing::{FailureKind, Scenario};
//!
//! let outcome = Scenario::new("demo::refused")
//!     .actors(&["alice"])
//!     .run(|session| async move {
//!         let alice = session.actor("alice");
//!         alice.peer().connect("/ip4/127.0.0.1/tcp/1".parse::<Multiaddr>()?).await?;
//!         Ok::<_, pyrum::Error>(())
//!     })
//!     .await;
//! let failure = outcome.expect_err("nothing listens on port 1");
//! assert_eq!(failure.kind, FailureKind::Error);
//! println!("{failure}"); // the error, the last lines Rumor wrote, the transcript and its replay
//! # }
//! ```
//!
//! # What a run does
//!
//! 1. Starts `rumor bare --level=trace` ([`find_rumor`](crate::find_rumor): `RUMOR_BIN`, the
//!    cache, `PATH`; no Rumor is a [`FailureKind::NoRumor`] failure, never a skip), recording
//!    the connection to the test's transcript ([`Scenario::transcript_path`]).
//! 2. For each actor: `host start`, `host listen --ip=127.0.0.1 --tcp=0`, `host view` (the real
//!    address). With `connected`, actor *i* dials actor *i + 1* (a line: `a → b → c`), and the
//!    run waits until each connection shows in `peer list` on both ends, asking again after 5,
//!    10, 20, ... (at most 100) ms until the deadline.
//! 3. Runs the body, with the deadline ([`Scenario::timeout`], default [`DEFAULT_TIMEOUT`])
//!    counted from step 1.
//! 4. Teardown: lists the calls Rumor still runs for every actor (`calls`); each one that is not
//!    [detached](crate::Call::detach), not being cancelled (a dropped `cancel_on_drop` call
//!    is) and not freed within 0.5 s (a call that just succeeded is freed a moment later) is a
//!    leak: it is named in the failure and cancelled. Then `exit`.
//! 5. Passed: the transcript is deleted. Failed: it is kept, and the [`Failure`] says how to
//!    replay it without Rumor: `PYRUM_REPLAY` ([`REPLAY_ENV`]) makes the same test run against
//!    its transcript, which reproduces the failure offline.

use std::collections::VecDeque;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::{join_all, try_join_all};
use futures_util::{FutureExt, StreamExt};
use pyrum_commands::Commands;
use pyrum_core::types::{FromField, PeerId};
use pyrum_core::{Actor, Call, Error, OpenCall, Rumor, RumorBuilder, Wire, WireInfo};
use pyrum_replay::{Mismatch, Recorder, Replay};

/// The deadline of a scenario when none is given (`timeout = "..."`): 60 s for setup and body.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Set to run `#[pyrum::test]`s against their kept transcripts instead of Rumor: to one
/// transcript file (what a failure's replay command does:
/// `PYRUM_REPLAY=target/pyrum-transcripts/scenarios.my_test.jsonl cargo test --test scenarios
/// -- my_test --exact`), to a directory of transcripts, or to `1` for each test's own
/// [`transcript_path`](Scenario::transcript_path).
pub const REPLAY_ENV: &str = "PYRUM_REPLAY";

/// Where `#[pyrum::test]`s keep the transcripts of failed runs, instead of
/// `<target dir>/pyrum-transcripts` (a CI job can collect them from there).
pub const TRANSCRIPTS_ENV: &str = "PYRUM_TRANSCRIPTS";

/// The limit for the leak check, the cancels and `exit` after the body.
const TEARDOWN_LIMIT: Duration = Duration::from_secs(20);

/// How long a call Rumor still lists after the body may take to end by itself before it
/// counts as leaked (a call that just succeeded is freed a moment later).
const LEAK_GRACE: Duration = Duration::from_millis(500);

/// How many of Rumor's last lines a failure shows.
const TAIL_LINES: usize = 12;

/// A scenario: its name, actors, topology and deadline. `#[pyrum::test]` builds one per test.
#[derive(Debug, Clone)]
pub struct Scenario {
    name: String,
    actors: Vec<String>,
    connected: bool,
    timeout: Duration,
    manifest_dir: Option<PathBuf>,
    package: Option<String>,
    /// `CARGO_TARGET_TMPDIR` (set for integration tests only): `<target dir>/tmp`.
    target_tmpdir: Option<PathBuf>,
    transcript_dir: Option<PathBuf>,
    rumor_bin: Option<PathBuf>,
    replay: Option<PathBuf>,
}

impl Scenario {
    /// A scenario named `name` (`#[pyrum::test]` passes `module_path!()::fn name`): no actors,
    /// the default deadline.
    pub fn new(name: impl Into<String>) -> Scenario {
        Scenario {
            name: name.into(),
            actors: Vec::new(),
            connected: false,
            timeout: DEFAULT_TIMEOUT,
            manifest_dir: None,
            package: None,
            target_tmpdir: None,
            transcript_dir: None,
            rumor_bin: None,
            replay: None,
        }
    }

    /// The actors, each with a started host listening on loopback.
    pub fn actors(mut self, names: &[&str]) -> Scenario {
        self.actors = names.iter().map(|n| n.to_string()).collect();
        self
    }

    /// Connects each actor to the next and waits until `peer list` shows every connection.
    pub fn connected(mut self, connected: bool) -> Scenario {
        self.connected = connected;
        self
    }

    /// The deadline for setup and body together (default [`DEFAULT_TIMEOUT`]).
    pub fn timeout(mut self, limit: Duration) -> Scenario {
        self.timeout = limit;
        self
    }

    /// Where the test was compiled: `CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME` and
    /// `CARGO_TARGET_TMPDIR` (integration tests only) of the test's crate. They place the
    /// transcript in the target directory and make the replay command exact.
    pub fn cargo_context(
        mut self,
        manifest_dir: &str,
        package: &str,
        target_tmpdir: Option<&str>,
    ) -> Scenario {
        self.manifest_dir = Some(manifest_dir.into());
        self.package = Some(package.into());
        self.target_tmpdir = target_tmpdir.map(PathBuf::from);
        self
    }

    /// Keeps transcripts in `dir` instead of `<target dir>/pyrum-transcripts`.
    pub fn transcript_dir(mut self, dir: impl Into<PathBuf>) -> Scenario {
        self.transcript_dir = Some(dir.into());
        self
    }

    /// The Rumor binary (default: [`find_rumor`](crate::find_rumor)).
    pub fn rumor_bin(mut self, bin: impl Into<PathBuf>) -> Scenario {
        self.rumor_bin = Some(bin.into());
        self
    }

    /// Runs against this transcript instead of Rumor (what `PYRUM_REPLAY` does); nothing is
    /// recorded then.
    pub fn replay_from(mut self, transcript: impl Into<PathBuf>) -> Scenario {
        self.replay = Some(transcript.into());
        self
    }

    /// The scenario's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where a failed run keeps its transcript: `<target dir>/pyrum-transcripts/<name>.jsonl`,
    /// with `::` in the name written `.` (`scenarios.scenario_basic.jsonl`). The target
    /// directory is the parent of `CARGO_TARGET_TMPDIR` (integration tests), else
    /// `CARGO_TARGET_DIR`, else the nearest `target` with a `CACHEDIR.TAG` above the manifest
    /// directory, else `<manifest dir>/target`.
    pub fn transcript_path(&self) -> PathBuf {
        let dir = match &self.transcript_dir {
            Some(d) => d.clone(),
            None => self.target_dir().join("pyrum-transcripts"),
        };
        dir.join(self.file_name())
    }

    fn file_name(&self) -> String {
        let stem: String = self
            .name
            .replace("::", ".")
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "._-".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        format!("{stem}.jsonl")
    }

    fn target_dir(&self) -> PathBuf {
        if let Some(parent) = self.target_tmpdir.as_deref().and_then(Path::parent) {
            return parent.to_path_buf();
        }
        if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty()) {
            return PathBuf::from(dir);
        }
        let manifest = self
            .manifest_dir
            .clone()
            .or_else(|| std::env::var_os("CARGO_MANIFEST_DIR").map(PathBuf::from))
            .unwrap_or_else(|| PathBuf::from("."));
        manifest
            .ancestors()
            .map(|d| d.join("target"))
            .find(|t| t.join("CACHEDIR.TAG").is_file())
            .unwrap_or_else(|| manifest.join("target"))
    }

    /// The command that replays this test from its transcript.
    fn replay_command(&self) -> String {
        let Some(package) = &self.package else {
            return format!(
                "Scenario::new({:?}).replay_from(<the transcript>).run(<the same body>)",
                self.name
            );
        };
        let (krate, path) = self.name.split_once("::").unwrap_or(("", &self.name));
        let target = if self.target_tmpdir.is_some() && !krate.is_empty() {
            format!("--test {krate}")
        } else {
            "--lib".to_string()
        };
        format!(
            "{REPLAY_ENV}={} cargo test -p {package} {target} -- {path} --exact",
            self.transcript_path().display()
        )
    }

    /// Runs the scenario as a `#[test]`: on a current-thread tokio runtime of its own, against
    /// the transcript if [`PYRUM_REPLAY`](REPLAY_ENV) is set, keeping a failed run's
    /// transcript in [`PYRUM_TRANSCRIPTS`](TRANSCRIPTS_ENV) if that is set; panics with the
    /// [`Failure`] if it fails. This is what `#[pyrum::test]` calls.
    pub fn run_test<F, Fut, R>(mut self, body: F)
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = R>,
        R: TestResult,
    {
        if let Some(dir) = std::env::var_os(TRANSCRIPTS_ENV).filter(|v| !v.is_empty()) {
            self.transcript_dir
                .get_or_insert_with(|| PathBuf::from(dir));
        }
        if let Some(value) = std::env::var_os(REPLAY_ENV).filter(|v| !v.is_empty() && v != "0") {
            let value = PathBuf::from(value);
            let path = if value.as_os_str() == "1" || value.as_os_str() == "true" {
                self.transcript_path()
            } else if value.is_dir() {
                value.join(self.file_name())
            } else {
                value
            };
            self.replay = Some(path);
        }
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(rt) => rt,
            Err(e) => panic!(
                "#[pyrum::test] {}: cannot start a tokio runtime: {e}",
                self.name
            ),
        };
        if let Err(failure) = runtime.block_on(self.run(body)) {
            panic!("{failure}");
        }
    }

    /// Runs the scenario on the current tokio runtime and returns how it went; see the
    /// [module docs](self) for the steps.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills the Rumor child; the transcript stays where it is.
    pub async fn run<F, Fut, R>(self, body: F) -> Result<Report, Failure>
    where
        F: FnOnce(Session) -> Fut,
        Fut: Future<Output = R>,
        R: TestResult,
    {
        let started = Instant::now();
        let deadline = tokio::time::Instant::now() + self.timeout;
        let tail = Tail::default();
        let prefix: Arc<Mutex<Option<String>>> = Arc::default();
        let hook = {
            let (tail, prefix) = (tail.clone(), prefix.clone());
            move |recorder: Option<Recorder>| {
                move |wire: Wire, info: &WireInfo| {
                    *prefix.lock().unwrap_or_else(|e| e.into_inner()) =
                        Some(info.id_prefix.clone());
                    let wire = match &recorder {
                        Some(r) => r.wrap(wire, info),
                        None => wire,
                    };
                    tail.wrap(wire)
                }
            }
        };
        let mut out = Outcome {
            scenario: &self,
            tail: tail.clone(),
            transcript: None,
            replay: None,
            last_lines: None,
        };

        // 1. Rumor, or its transcript.
        let rumor = match &self.replay {
            Some(path) => {
                let replay = Replay::open(path).map_err(|e| {
                    out.failure(
                        FailureKind::Transcript,
                        format!("cannot replay: {e} (a transcript is kept when the test fails)"),
                    )
                })?;
                let rumor = RumorBuilder::default()
                    .wire_hook(hook(None))
                    .connect(replay.wire());
                out.replay = Some((path.clone(), replay));
                rumor
            }
            None => {
                let bin = match &self.rumor_bin {
                    Some(b) => b.clone(),
                    None => crate::find_rumor().map_err(|e| {
                        let ci = if std::env::var("CI").is_ok_and(|v| v == "true") {
                            " (CI=true: a test that needs Rumor fails without it)"
                        } else {
                            ""
                        };
                        out.failure(
                            FailureKind::NoRumor,
                            format!("needs Rumor, which it cannot find{ci}: {e}"),
                        )
                    })?,
                };
                let path = self.transcript_path();
                out.transcript = Some(path.clone());
                let spawn = Rumor::builder()
                    .rumor_bin(bin)
                    .wire_hook(hook(Some(Recorder::exact_file(path))))
                    .spawn();
                match tokio::time::timeout_at(deadline, spawn).await {
                    Ok(Ok(rumor)) => rumor,
                    Ok(Err(e)) => {
                        return Err(out.failure(FailureKind::Setup, format!("rumor bare: {e}")))
                    }
                    Err(_) => {
                        return Err(out.failure(
                            FailureKind::Timeout,
                            format!("rumor bare did not start within {:?}", self.timeout),
                        ))
                    }
                }
            }
        };

        // 2. Actors; 3. the body.
        let progress = Mutex::new(String::from("starting the hosts"));
        let setup = tokio::time::timeout_at(
            deadline,
            setup(&rumor, &self.actors, self.connected, &progress),
        )
        .await;
        let setup_time = started.elapsed();
        let body_started = Instant::now();
        let mut pending = Vec::new();
        let result: Result<(), (FailureKind, String)> = match setup {
            Err(_) => {
                pending = rumor.open_calls();
                let at = progress.lock().unwrap_or_else(|e| e.into_inner()).clone();
                Err((
                    FailureKind::Timeout,
                    format!(
                        "the setup did not finish within {:?} (at: {at})",
                        self.timeout
                    ),
                ))
            }
            Ok(Err(e)) => Err((FailureKind::Setup, format!("the setup failed: {e}"))),
            Ok(Ok(actors)) => {
                let session = Session {
                    rumor: rumor.clone(),
                    actors,
                };
                // Called inside the future: a body that panics before its first await is caught too.
                let body = AssertUnwindSafe(async move { body(session).await }).catch_unwind();
                tokio::pin!(body);
                tokio::select! {
                    done = &mut body => match done {
                        Ok(r) => r.into_test_result().map_err(|e| {
                            (FailureKind::Error, format!("the test returned an error: {e}"))
                        }),
                        Err(panic) => Err((
                            FailureKind::Panic,
                            format!("the test panicked: {}", panic_message(&*panic)),
                        )),
                    },
                    _ = tokio::time::sleep_until(deadline) => {
                        pending = rumor.open_calls();
                        Err((FailureKind::Timeout, format!("the test timed out after {:?}", self.timeout)))
                    }
                }
            }
        };
        let body_time = body_started.elapsed();
        // What Rumor wrote up to here, not the teardown's lines.
        out.last_lines = Some(tail.lines());

        // 4. Teardown.
        let teardown_started = Instant::now();
        let own = prefix.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let leaks = tokio::time::timeout(TEARDOWN_LIMIT, leaks(&rumor, &self.actors, own)).await;
        let (leaked, teardown_error) = match leaks {
            Ok(Ok(l)) => (l, None),
            Ok(Err(e)) if e.is_disconnected() => (Vec::new(), None),
            Ok(Err(e)) => (Vec::new(), Some(format!("the leak check failed: {e}"))),
            Err(_) => (
                Vec::new(),
                Some(format!(
                    "the leak check did not finish within {TEARDOWN_LIMIT:?}"
                )),
            ),
        };
        let leaked = cancel(&rumor, leaked).await;
        let _ = tokio::time::timeout(TEARDOWN_LIMIT, rumor.close()).await;
        drop(rumor);
        let teardown_time = teardown_started.elapsed();

        // 5. The outcome.
        let mismatch = out.replay.as_ref().and_then(|(_, r)| r.finish().err());
        let failure = match result {
            Err((kind, detail)) => Some((kind, detail)),
            Ok(()) if !leaked.is_empty() => Some((
                FailureKind::Leak,
                format!(
                    "the test leaked {}: still running in Rumor after the test returned",
                    plural(leaked.len(), "call")
                ),
            )),
            Ok(()) => match (teardown_error, &mismatch) {
                (Some(e), _) => Some((FailureKind::Teardown, e)),
                (None, Some(_)) => Some((
                    FailureKind::Transcript,
                    "the replay differs from the recorded run".to_string(),
                )),
                (None, None) => None,
            },
        };
        match failure {
            None => {
                if let Some(path) = &out.transcript {
                    let _ = std::fs::remove_file(path);
                }
                Ok(Report {
                    name: self.name.clone(),
                    setup: setup_time,
                    body: body_time,
                    teardown: teardown_time,
                    replayed: out.replay.is_some(),
                })
            }
            Some((kind, detail)) => {
                let mut f = out.failure(kind, detail);
                f.leaked = leaked;
                f.pending = pending;
                f.mismatch = mismatch;
                Err(f)
            }
        }
    }
}

/// The state a failure is built from.
struct Outcome<'a> {
    scenario: &'a Scenario,
    tail: Tail,
    transcript: Option<PathBuf>,
    replay: Option<(PathBuf, Replay)>,
    /// Rumor's last lines when the body ended.
    last_lines: Option<Vec<String>>,
}

impl Outcome<'_> {
    fn failure(&self, kind: FailureKind, detail: String) -> Failure {
        let replayed_from = self.replay.as_ref().map(|(p, _)| p.clone());
        let kept = self.transcript.clone().filter(|p| p.is_file());
        Failure {
            test: self.scenario.name.clone(),
            kind,
            detail,
            leaked: Vec::new(),
            pending: Vec::new(),
            last_lines: self.last_lines.clone().unwrap_or_else(|| self.tail.lines()),
            replay_command: kept.as_ref().map(|_| self.scenario.replay_command()),
            transcript: kept,
            replayed_from,
            mismatch: None,
        }
    }
}

/// Steps 2 of the run: hosts, listening, connections.
async fn setup(
    rumor: &Rumor,
    names: &[String],
    connected: bool,
    progress: &Mutex<String>,
) -> pyrum_core::Result<Vec<Actor>> {
    let at = |what: String| *progress.lock().unwrap_or_else(|e| e.into_inner()) = what;
    let actors = names
        .iter()
        .map(|n| rumor.actor(n))
        .collect::<pyrum_core::Result<Vec<_>>>()?;
    // Each phase sends every actor's line at once, in order, then waits for all answers: the
    // lines go out in the same order every run (so a transcript replays in order).
    at("host start".into());
    try_join_all(actors.iter().map(|a| async move { a.host().start().await })).await?;
    at("host listen".into());
    try_join_all(
        actors
            .iter()
            .map(|a| async move { a.host().listen().ip([127, 0, 0, 1]).tcp(0).await }),
    )
    .await?;
    at("host view".into());
    let views = try_join_all(actors.iter().map(|a| async move { a.host().view().await })).await?;
    let mut addrs = Vec::with_capacity(views.len());
    for (actor, view) in actors.iter().zip(&views) {
        let addr = view.addr.first().cloned().ok_or_else(|| {
            Error::Protocol(format!(
                "`{}: host view` shows no listening address after `host listen`",
                actor.name()
            ))
        })?;
        addrs.push(addr);
    }
    if !connected || actors.len() < 2 {
        return Ok(actors);
    }
    at("peer connect".into());
    try_join_all(
        actors
            .iter()
            .zip(addrs.iter().skip(1))
            .map(|(a, next)| async move { a.peer().connect(next.clone()).await }),
    )
    .await?;
    // Every connection on both ends: actor i lists i - 1 and i + 1.
    let mut pause = Duration::from_millis(5);
    loop {
        let lists =
            try_join_all(actors.iter().map(|a| async move { a.peer().list().await })).await?;
        let mut missing = Vec::new();
        for (i, list) in lists.iter().enumerate() {
            let listed: Vec<PeerId> = list
                .peers
                .as_array()
                .map(|ids| {
                    ids.iter()
                        .filter_map(|p| PeerId::from_field(p).ok())
                        .collect()
                })
                .unwrap_or_default();
            for j in [i.wrapping_sub(1), i + 1] {
                if let Some(view) = views.get(j) {
                    if !listed.contains(&view.peer_id) {
                        missing.push(format!(
                            "`{}: peer list` does not show {} yet",
                            actors[i].name(),
                            actors[j].name()
                        ));
                    }
                }
            }
        }
        if missing.is_empty() {
            return Ok(actors);
        }
        at(missing.join(", "));
        tokio::time::sleep(pause).await;
        pause = (pause * 2).min(Duration::from_millis(100));
    }
}

/// Step 4: the calls Rumor still runs that nobody will stop, with a handle if they are ours.
async fn leaks(
    rumor: &Rumor,
    actors: &[String],
    own_prefix: Option<String>,
) -> pyrum_core::Result<Vec<(LeakedCall, Option<Call>)>> {
    let open = rumor.open_calls();
    let mut names: Vec<String> = actors.to_vec();
    for call in &open {
        if !names.iter().any(|n| n == call.actor()) {
            names.push(call.actor().to_string());
        }
    }
    let mut leaked = Vec::new();
    for name in names {
        let listing = rumor.actor(&name)?.calls().await?;
        // What the client knows now, after the listing: Rumor lists a call until just after
        // its `__freed`, which may have arrived meanwhile.
        let now = rumor.open_calls();
        for (id, details) in listing {
            let exempt = match now.iter().find(|c| c.id == id) {
                Some(c) => c.detached || c.cancelling,
                // Ours and freed, or another client's.
                None => own_prefix.as_deref().is_some_and(|p| id.starts_with(p)),
            };
            if exempt {
                continue;
            }
            let args = details
                .get("args")
                .and_then(|a| a.as_array())
                .map(|a| {
                    a.iter()
                        .map(|w| w.as_str().map_or_else(|| w.to_string(), str::to_string))
                        .collect::<Vec<_>>()
                        .join(" ")
                })
                .unwrap_or_else(|| details.to_string());
            leaked.push((
                LeakedCall {
                    call: format!("{name}: {args}"),
                    actor: name.clone(),
                    id: id.clone(),
                },
                rumor.open_call(&id),
            ));
        }
    }
    // A call that just ended by itself (`__success`, its `__freed` on the way) is listed too:
    // it is no leak if Rumor frees it within the grace.
    let own_prefix = own_prefix.as_deref();
    let ended = join_all(leaked.iter().map(|(leak, call)| async move {
        match call {
            Some(c) => c.finished_within(LEAK_GRACE).await.is_ok(),
            // Ours and freed since the listing; another client's call has no handle here.
            None => own_prefix.is_some_and(|p| leak.id.starts_with(p)),
        }
    }))
    .await;
    Ok(leaked
        .into_iter()
        .zip(ended)
        .filter(|(_, ended)| !ended)
        .map(|(l, _)| l)
        .collect())
}

/// Cancels leaked calls: through their handle (waiting until Rumor frees them), or for a call
/// the client did not make, with Rumor's `cancel` as a statement.
async fn cancel(rumor: &Rumor, leaked: Vec<(LeakedCall, Option<Call>)>) -> Vec<LeakedCall> {
    let mut out = Vec::with_capacity(leaked.len());
    for (leak, call) in leaked {
        match call {
            Some(c) => {
                let _ = c.cancel_within(TEARDOWN_LIMIT).await;
            }
            None => {
                let words = [format!("_{}", leak.id), "cancel".to_string()];
                let _ = tokio::time::timeout(TEARDOWN_LIMIT, rumor.statement(words)).await;
            }
        }
        out.push(leak);
    }
    out
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(a panic without a message)".into())
}

/// `s` cut to about `max` bytes (on a character boundary), with `…` when cut.
fn shorten(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn plural(n: usize, what: &str) -> String {
    if n == 1 {
        format!("1 {what}")
    } else {
        format!("{n} {what}s")
    }
}

/// What the body of a scenario gets: the connection and the actors.
#[derive(Debug, Clone)]
pub struct Session {
    rumor: Rumor,
    actors: Vec<Actor>,
}

impl Session {
    /// The connection to this scenario's Rumor.
    pub fn rumor(&self) -> Rumor {
        self.rumor.clone()
    }

    /// The actor `name` of the scenario's `actors`.
    ///
    /// # Panics
    ///
    /// If `name` is not one of them (`#[pyrum::test]` checks that at compile time).
    pub fn actor(&self, name: &str) -> Actor {
        match self.actors.iter().find(|a| a.name() == name) {
            Some(a) => a.clone(),
            None => panic!(
                "the scenario has no actor `{name}` (its actors: {:?})",
                self.actors.iter().map(|a| a.name()).collect::<Vec<_>>()
            ),
        }
    }

    /// Every actor of the scenario, in order.
    pub fn actors(&self) -> &[Actor] {
        &self.actors
    }
}

/// What a scenario body may return: nothing, or `Result<(), E>` with `E: Display`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not what a #[pyrum::test] returns",
    label = "return nothing, or a `Result<(), E>` with `E: Display` such as `pyrum::Result<()>`"
)]
pub trait TestResult {
    /// Ok, or the error's text.
    fn into_test_result(self) -> Result<(), String>;
}

impl TestResult for () {
    fn into_test_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: fmt::Display> TestResult for Result<(), E> {
    fn into_test_result(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:#}"))
    }
}

/// How a scenario that passed went.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Report {
    /// The scenario's name.
    pub name: String,
    /// From the start to the body: Rumor, hosts, listening, connections.
    pub setup: Duration,
    /// The body.
    pub body: Duration,
    /// The leak check and `exit`.
    pub teardown: Duration,
    /// It ran against a transcript.
    pub replayed: bool,
}

/// Why a scenario failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureKind {
    /// No Rumor binary was found.
    NoRumor,
    /// Starting Rumor or the actors failed.
    Setup,
    /// The body returned an error.
    Error,
    /// The body panicked.
    Panic,
    /// The deadline passed, in setup or body.
    Timeout,
    /// The body passed, but calls it started still ran in Rumor.
    Leak,
    /// The leak check or `exit` after the body failed.
    Teardown,
    /// The transcript to replay is missing, or the replay parted from it.
    Transcript,
}

/// A call still running in Rumor after the body returned.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct LeakedCall {
    /// Its call id.
    pub id: String,
    /// Its actor.
    pub actor: String,
    /// The call as Rumor lists it: `alice: host notify -- all`.
    pub call: String,
}

/// A failed scenario: what went wrong, with what helps to see why. Its `Display` is the
/// message a failing `#[pyrum::test]` panics with.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Failure {
    /// The scenario's name.
    pub test: String,
    /// What failed.
    pub kind: FailureKind,
    /// The error, panic message or deadline, in words.
    pub detail: String,
    /// Calls still running in Rumor after the body (cancelled by the teardown).
    pub leaked: Vec<LeakedCall>,
    /// On a timeout: the calls the client still waited for.
    pub pending: Vec<OpenCall>,
    /// The last lines Rumor wrote (at most 12).
    pub last_lines: Vec<String>,
    /// The kept transcript of the run.
    pub transcript: Option<PathBuf>,
    /// The command that replays the run from the transcript, without Rumor.
    pub replay_command: Option<String>,
    /// This run was a replay of this transcript.
    pub replayed_from: Option<PathBuf>,
    /// Where a replay parted from its transcript.
    pub mismatch: Option<Mismatch>,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let replay = match &self.replayed_from {
            Some(p) => format!(" (replayed from {})", p.display()),
            None => String::new(),
        };
        write!(f, "#[pyrum::test] {}{replay}: {}", self.test, self.detail)?;
        if !self.leaked.is_empty() {
            write!(
                f,
                "\ncalls still running in Rumor after the test returned (the teardown cancelled \
                 them; cancel or drop each call the test starts, or `.detach()` one that should \
                 run on):"
            )?;
            for c in &self.leaked {
                write!(f, "\n  {} (call {})", c.call, c.id)?;
            }
        }
        if self.kind == FailureKind::Timeout {
            if self.pending.is_empty() {
                write!(f, "\ncalls still pending: none")?;
            } else {
                write!(f, "\ncalls still pending:")?;
                for c in &self.pending {
                    let mark = match (c.detached, c.cancelling) {
                        (true, _) => " [detached]",
                        (_, true) => " [cancelling]",
                        _ => "",
                    };
                    write!(f, "\n  {} (call {}){mark}", c.call, c.id)?;
                }
            }
        }
        if let Some(m) = &self.mismatch {
            write!(f, "\nthe replay: {m}")?;
        }
        if !self.last_lines.is_empty() && self.kind != FailureKind::Leak {
            write!(f, "\nthe last lines Rumor wrote:")?;
            for l in &self.last_lines {
                write!(f, "\n  {}", shorten(l, 400))?;
            }
        }
        if let (Some(t), Some(cmd)) = (&self.transcript, &self.replay_command) {
            write!(
                f,
                "\ntranscript of this run: {}\nreplay it offline, without Rumor: {cmd}",
                t.display()
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

/// The last lines a connection received.
#[derive(Clone, Default)]
struct Tail(Arc<Mutex<VecDeque<String>>>);

impl Tail {
    fn wrap(&self, wire: Wire) -> Wire {
        let (name, sink, stream, describe) = wire.into_parts();
        let tail = self.clone();
        let stream = stream.inspect(move |item| {
            if let Ok(line) = item {
                let mut t = tail.0.lock().unwrap_or_else(|e| e.into_inner());
                if t.len() == TAIL_LINES {
                    t.pop_front();
                }
                t.push_back(line.clone());
            }
        });
        Wire::from_parts(name, sink, Box::pin(stream), describe)
    }

    fn lines(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .iter()
            .cloned()
            .collect()
    }
}
