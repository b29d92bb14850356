//! A call's whole life against the real Rumor: cancels never lost and never early, steps and
//! statements never misrouted, every wait bounded, bad bytes survived (issue 11).
//!
//! Each test names the property it checks. Waits are bounded by deadlines; "nothing left in
//! Rumor" is read from Rumor itself (`calls` of the actor), polled until a deadline.

use std::future::IntoFuture;
use std::path::PathBuf;
use std::sync::Arc;

use std::time::{Duration, Instant};

use futures_util::{SinkExt as _, StreamExt};
use pyrum::prelude::*;
use pyrum::{Entry, Wire};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// Upper bound for any single wait of these tests.
const LIMIT: Duration = Duration::from_secs(120);

fn rumor_bin() -> PathBuf {
    pyrum::find_rumor().unwrap_or_else(|e| panic!("Rumor is required for these tests: {e}"))
}

async fn spawn() -> Rumor {
    Rumor::builder()
        .rumor_bin(rumor_bin())
        .spawn()
        .await
        .expect("rumor bare starts")
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {LIMIT:?}"))
}

/// Waits until `actor`'s open calls in Rumor are `want`, or gives up after `limit`; returns the
/// last listing. First the client's own calls must end (their `__freed`, an event); Rumor drops
/// a call from its table just after logging `__freed` and says nothing then, so the table is
/// asked again, each time once the previous answer is in, until it matches or time is up.
async fn until_calls(
    actor: &Actor,
    want: usize,
    limit: Duration,
) -> serde_json::Map<String, serde_json::Value> {
    let deadline = Instant::now() + limit;
    settled(actor.rumor(), deadline).await;
    loop {
        let open = actor.calls().await.expect("calls");
        if open.len() == want || Instant::now() > deadline {
            return open;
        }
    }
}

/// [`until_calls`] down to none; how many were left.
async fn until_no_calls(actor: &Actor, limit: Duration) -> usize {
    until_calls(actor, 0, limit).await.len()
}

/// Waits for the `__freed` of every call the client still counts as open (detached ones
/// excepted), until `deadline`.
async fn settled(rumor: &Rumor, deadline: Instant) {
    for open in rumor.open_calls().into_iter().filter(|c| !c.detached) {
        if let Some(call) = rumor.open_call(&open.id) {
            let left = deadline.saturating_duration_since(Instant::now());
            let _ = call.finished_within(left).await;
        }
    }
}

/// Waits for the client's pending calls to end (each one's `__freed`), within `limit`; how many
/// are still pending then.
async fn until_no_pending(rumor: &Rumor, limit: Duration) -> usize {
    settled(rumor, Instant::now() + limit).await;
    rumor.pending_calls()
}

async fn started(rumor: &Rumor, name: &str) -> Actor {
    let actor = rumor.actor(name).unwrap();
    within("host start", actor.host().start().into_future())
        .await
        .unwrap();
    actor
}

/// Polls a future once, in the current task.
async fn poll_once<F: std::future::Future + Unpin>(f: &mut F) -> std::task::Poll<F::Output> {
    std::future::poll_fn(|cx| std::task::Poll::Ready(std::pin::Pin::new(&mut *f).poll(cx))).await
}

/// Resident memory of this process in bytes (`/proc/self/statm`).
fn rss() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse::<u64>().ok())
        .expect("resident pages")
        * 4096
}

/// The tests that measure this process' memory run one at a time.
static MEMORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

// ---- cancel: never lost, never early ------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_on_drop_5000() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let mut handles = Vec::with_capacity(5000);
    for _ in 0..5000 {
        handles.push(alice.host().notify().events(["all"]).send().await.unwrap());
    }
    for h in &handles {
        within("notify setup", h.result()).await.unwrap();
    }
    assert_eq!(rumor.pending_calls(), 5000);
    drop(handles);
    let left = until_no_calls(&alice, Duration::from_secs(3)).await;
    assert_eq!(
        left, 0,
        "open calls left in Rumor 3 s after dropping 5000 handles"
    );
    assert_eq!(until_no_pending(&rumor, Duration::from_secs(3)).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_future_dropped_by_timeout_1000() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let mut finished = 0;
    for _ in 0..1000 {
        let fut = alice.host().notify().events(["all"]).into_future();
        if tokio::time::timeout(Duration::from_micros(50), fut)
            .await
            .is_ok()
        {
            finished += 1;
        }
    }
    let left = until_no_calls(&alice, Duration::from_secs(3)).await;
    assert_eq!(
        left, 0,
        "open calls left in Rumor ({finished} futures finished in time)"
    );
    assert_eq!(until_no_pending(&rumor, Duration::from_secs(3)).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_right_after_send() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let tasks: Vec<_> = (0..1000)
        .map(|_| {
            let alice = alice.clone();
            tokio::spawn(async move {
                let call = alice.host().notify().events(["all"]).send().await?;
                call.cancel().await?;
                assert!(call.is_finished());
                Ok::<_, pyrum::Error>(())
            })
        })
        .collect();
    let mut errors = Vec::new();
    for t in tasks {
        if let Err(e) = within("send + cancel", t).await.unwrap() {
            errors.push(e.to_string());
        }
    }
    assert!(
        errors.is_empty(),
        "{} cancel errors: {:?}",
        errors.len(),
        &errors[..errors.len().min(3)]
    );
    assert_eq!(until_no_calls(&alice, Duration::from_secs(3)).await, 0);
    assert_eq!(rumor.pending_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_is_idempotent_and_ok_after_the_end() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let call = alice.host().notify().events(["all"]).await.unwrap();
    let (a, b) = tokio::join!(call.cancel(), call.cancel());
    a.unwrap();
    b.unwrap();
    call.cancel().await.expect("a cancel after the end is Ok");
    within("finished", call.finished()).await.unwrap();
}

// ---- steps ------------------------------------------------------------------------------------

/// Alice listens for status requests; `n` requests from bob, each carrying its number as the
/// head slot, are sent one after another (each waits until its request is written).
async fn listener_and_requests(
    n: u64,
) -> (
    Rumor,
    pyrum::commands::rpc::status::RpcStatusListenCall,
    Vec<tokio::task::JoinHandle<()>>,
) {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let bob = started(&rumor, "bob").await;
    alice
        .host()
        .listen()
        .ip([127, 0, 0, 1])
        .tcp(0)
        .await
        .unwrap();
    let view = alice.host().view().await.unwrap();
    bob.peer().connect(view.addr[0].clone()).await.unwrap();
    let listener = alice.rpc().status().listen().raw(true).await.unwrap();
    let mut requests = Vec::new();
    for slot in 1..=n {
        let status = pyrum::ssz::Status {
            head_slot: slot,
            ..Default::default()
        };
        let req = bob
            .rpc()
            .status()
            .req()
            .raw(view.peer_id.clone(), &status)
            .raw(true)
            .timeout(Duration::from_secs(60))
            .send()
            .await
            .unwrap();
        // The first step writes the request; the rest is left to the listener side.
        within("request written", req.step(None)).await.unwrap();
        requests.push(tokio::spawn(async move {
            let _keep = req;
            std::future::pending::<()>().await
        }));
    }
    (rumor, listener, requests)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn next_dropped_future() {
    let (_rumor, listener, requests) = listener_and_requests(10).await;
    // Ten requests wait in Rumor. Five times: a step is sent and its future dropped at once
    // (Rumor still runs that `next`: it takes a request, whose result is thrown away), then a
    // step is awaited. Each awaited step gets a request of its own, never the dropped one's.
    let mut slots = Vec::new();
    for _ in 0..5 {
        let mut dropped = Box::pin(listener.next_request());
        // (On a busy machine the whole step may be over by the first poll: then it took its
        // request the ordinary way.)
        if let std::task::Poll::Ready(r) = poll_once(&mut dropped).await {
            r.unwrap();
        }
        drop(dropped);
        let req = within("step", listener.next_request()).await.unwrap();
        slots.push(req.data::<pyrum::ssz::Status>().unwrap().head_slot);
    }
    let mut unique = slots.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), 5, "a request delivered twice: {slots:?}");
    assert!(slots.iter().all(|s| (1..=10).contains(s)), "{slots:?}");
    // The five dropped steps took the other five requests: none is left.
    let err = listener
        .step(Some(Duration::from_millis(500)))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("step request stopped"), "{err}");
    // Steps still queued behind another are never sent when dropped.
    let first = Box::pin(listener.step(Some(Duration::from_secs(1))));
    let mut second = Box::pin(listener.step(Some(Duration::from_secs(1))));
    let mut first = first;
    assert!(poll_once(&mut first).await.is_pending());
    assert!(poll_once(&mut second).await.is_pending());
    drop(second);
    let err = within("first", first).await.unwrap_err();
    assert!(err.to_string().contains("step request stopped"), "{err}");
    drop(requests);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_step_token() {
    let (rumor, listener, _requests) = listener_and_requests(0).await;
    let waiting = {
        let listener = listener.clone();
        tokio::spawn(async move { listener.step(Some(Duration::from_secs(60))).await })
    };
    let id = listener.call().id().to_string();
    let n = id.rsplit('n').next().unwrap().to_string();
    // Session output that looks like step tokens, with every part but the secret right.
    for forged in [
        format!("pyrum-step:{id}:0"),
        format!("pyrum-step:k0000000000000000:{n}:0:0"),
        format!("pyrum-step::{n}:0:0"),
    ] {
        rumor
            .send_raw_line(&format!("echo {}", pyrum::quote::quote(&forged)))
            .await
            .unwrap();
    }
    // Rumor runs foreground lines in order: once this statement answered, the echoes above
    // were routed.
    rumor.statement(["echo", "sync"]).await.unwrap();
    assert!(!waiting.is_finished(), "a forged token completed a step");
    waiting.abort();
}

// ---- statements -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_isolation() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let noise = {
        let (rumor, alice) = (rumor.clone(), alice.clone());
        tokio::spawn(async move {
            // Output on the session that belongs to no statement: echoes of raw lines, and
            // stdout of programs sent as calls.
            for i in 0..500 {
                rumor
                    .send_raw_line(&format!(
                        "echo {}",
                        pyrum::quote::quote(&format!("noise-{i}"))
                    ))
                    .await
                    .unwrap();
                alice
                    .call(Command::new(["echo"]).positional(format!("call-noise-{i}")))
                    .await
                    .unwrap();
            }
        })
    };
    let tasks: Vec<_> = (0..1000)
        .map(|i| {
            let rumor = rumor.clone();
            tokio::spawn(async move {
                let out = rumor
                    .statement(["echo", &format!("mine-{i}")])
                    .await
                    .unwrap();
                let texts: Vec<String> = out
                    .iter()
                    .map(|e| e.str_field("stdout").unwrap_or(&e.msg).to_string())
                    .collect();
                (i, texts)
            })
        })
        .collect();
    let mut wrong = Vec::new();
    for t in tasks {
        let (i, texts) = within("statement", t).await.unwrap();
        if texts != [format!("mine-{i}")] {
            wrong.push((i, texts));
        }
    }
    noise.await.unwrap();
    assert!(
        wrong.is_empty(),
        "{} misattributed: {:?}",
        wrong.len(),
        &wrong[..wrong.len().min(3)]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_builtins_take_only_their_output() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let bob = started(&rumor, "bob").await;
    let notify = alice.host().notify().events(["all"]).await.unwrap();
    // `calls` of two actors at once: each gets its own listing.
    let (a, b) = tokio::join!(alice.calls(), bob.calls());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.len(), 1, "{a:?}");
    assert!(a.contains_key(notify.call().id()));
    assert!(b.is_empty(), "{b:?}");
    // grab of a value the notify call logged nothing for fails with Rumor's words.
    let err = rumor.grab("nothing_here").await.unwrap_err();
    assert!(err.to_string().contains("unknown variable"), "{err}");
    notify.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout() {
    // A peer that reads everything and never answers.
    let sink = futures_util::sink::drain().sink_map_err(|e| match e {});
    let wire = Wire::new("silent", sink, futures_util::stream::pending());
    let rumor = Rumor::builder()
        .statement_timeout(Duration::from_millis(300))
        .connect(wire);
    let alice = rumor.actor("alice").unwrap();
    let started = Instant::now();
    let results = [
        rumor.statement(["echo", "x"]).await.map(|_| ()),
        rumor.grab("x").await.map(|_| ()),
        alice.calls().await.map(|_| ()),
        alice.kill().await,
        alice.make_default().await,
        alice.include("x.rumor").await.map(|_| ()),
        rumor.clear_log_data().await,
    ];
    for r in results {
        assert!(matches!(r, Err(pyrum::Error::Timeout { .. })), "{r:?}");
    }
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_wait_has_a_deadline() {
    // Rumor registers the call (one entry of it arrives), then says nothing more.
    let (rumor, side) = piped_with(
        Rumor::builder()
            .setup_timeout(Some(Duration::from_millis(300)))
            .step_timeout(Duration::from_millis(100))
            .cancel_timeout(Duration::from_millis(300))
            .finish_timeout(Duration::from_millis(300)),
    );
    let call = rumor
        .actor("alice")
        .unwrap()
        .call(Command::new(["host", "notify"]).positional("all"))
        .await
        .unwrap();
    let (read, mut write) = tokio::io::split(side);
    let mut lines = BufReader::new(read).lines();
    let line = within("the call's line", lines.next_line())
        .await
        .unwrap()
        .unwrap();
    let id = line
        .strip_prefix("'_")
        .and_then(|l| l.split('\'').next())
        .unwrap()
        .to_string();
    let entry = json!({"call_id": id, "msg": "started"}).to_string() + "\n";
    write.write_all(entry.as_bytes()).await.unwrap();
    let started = Instant::now();
    let setup = call.setup().await.unwrap_err();
    assert!(matches!(setup, pyrum::Error::Timeout { .. }), "{setup:?}");
    let step = call
        .step(Some(Duration::from_millis(100)))
        .await
        .unwrap_err();
    let cancel = call.cancel().await.unwrap_err();
    let finished = call.finished().await.unwrap_err();
    for e in [step, cancel, finished] {
        assert!(matches!(e, pyrum::Error::Timeout { .. }), "{e:?}");
    }
    // step: 100 ms in Rumor + the 5 s grace; the rest 300 ms each.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // Registered in Rumor: the call stays in the table (it may still be running there).
    assert_eq!(rumor.pending_calls(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn never_registered_call_leaves_table_at_its_setup_deadline() {
    let sink = futures_util::sink::drain().sink_map_err(|e| match e {});
    let wire = Wire::new("silent", sink, futures_util::stream::pending());
    let rumor = Rumor::builder()
        .setup_timeout(Some(Duration::from_millis(300)))
        .connect(wire);
    let call = rumor
        .actor("alice")
        .unwrap()
        .call(Command::new(["host", "view"]))
        .await
        .unwrap();
    let err = call.setup().await.unwrap_err();
    assert!(matches!(err, pyrum::Error::Timeout { .. }), "{err:?}");
    assert_eq!(rumor.pending_calls(), 0);
    assert!(call.is_finished());
}

// ---- connecting -------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_handshake_timeout() {
    // Accepts TCP, never upgrades.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = listener.accept().await {
            held.push(s);
        }
    });
    let started = Instant::now();
    let err = Rumor::builder()
        .connect_timeout(Duration::from_millis(500))
        .connect_ws(&format!("ws://{addr}/ws"), "key")
        .await
        .unwrap_err();
    assert!(matches!(err, pyrum::Error::Timeout { .. }), "{err:?}");
    assert!(err.to_string().contains("WebSocket handshake"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

fn script(name: &str, body: &str) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let dir = std::env::temp_dir().join(format!("pyrum-call-life-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spawn_not_rumor() {
    let cases = [
        // Echoes what it reads: not JSON.
        ("cat", script("echoes", "exec cat")),
        // Exits at once, with a word on stderr.
        ("exits", script("exits", "echo 'no such mode' >&2; exit 3")),
        // Reads and never answers.
        ("silent", script("silent", "exec sleep 600")),
    ];
    for (what, bin) in cases {
        let started = Instant::now();
        let err = Rumor::builder()
            .rumor_bin(&bin)
            .connect_timeout(Duration::from_secs(2))
            .spawn()
            .await
            .expect_err(what);
        let text = err.to_string();
        assert!(
            started.elapsed() < Duration::from_secs(6),
            "{what}: {:?}",
            started.elapsed()
        );
        match what {
            "cat" => assert!(text.contains("is not Rumor"), "{text}"),
            "exits" => assert!(
                text.contains("no such mode") && text.contains("exit status: 3"),
                "{text}"
            ),
            _ => assert!(matches!(err, pyrum::Error::Timeout { .. }), "{text}"),
        }
    }
}

// ---- the call table ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmarked_call_leaves_table() {
    let _one = MEMORY.lock().await;
    let rumor = Rumor::builder()
        .rumor_bin(rumor_bin())
        .setup_timeout(Some(Duration::from_millis(500)))
        .spawn()
        .await
        .unwrap();
    let alice = rumor.actor("alice").unwrap();
    // `true` is no Rumor command: Rumor runs the program and gives the call no marker.
    let round = |n: usize| {
        let alice = alice.clone();
        async move {
            let calls: Vec<_> = futures_util::stream::iter(0..n)
                .map(|_| {
                    let alice = alice.clone();
                    async move {
                        let call = alice.call(Command::new(["true"])).await.unwrap();
                        call.setup().await
                    }
                })
                .buffer_unordered(500)
                .collect()
                .await;
            for r in calls {
                assert!(matches!(r, Err(pyrum::Error::Timeout { .. })), "{r:?}");
            }
        }
    };
    within("warm-up", round(1000)).await;
    let before = rss();
    within("10k unmarked calls", round(10_000)).await;
    assert_eq!(until_no_pending(&rumor, Duration::from_secs(2)).await, 0);
    let growth = rss().saturating_sub(before);
    eprintln!("10k unmarked calls: RSS grew {} KiB", growth / 1024);
    assert!(growth < 2 << 20, "RSS grew {growth} bytes");
}

// ---- bad bytes --------------------------------------------------------------------------------

/// A client on an in-memory pipe, and Rumor's end of it.
fn piped() -> (Rumor, tokio::io::DuplexStream) {
    piped_with(Rumor::builder())
}

fn piped_with(builder: pyrum::RumorBuilder) -> (Rumor, tokio::io::DuplexStream) {
    let (client, rumor_side) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(client);
    let rumor = builder.connect(Wire::from_io("pipe", read, write, 1 << 20));
    (rumor, rumor_side)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_line() {
    let (rumor, side) = piped();
    let mut events = rumor.session_events().unwrap();
    let call = rumor
        .actor("a")
        .unwrap()
        .call(Command::new(["host", "view"]))
        .await
        .unwrap();
    let (read, mut write) = tokio::io::split(side);
    let mut lines = BufReader::new(read).lines();
    let line = within("the call's line", lines.next_line())
        .await
        .unwrap()
        .unwrap();
    let id = line
        .strip_prefix("'_")
        .and_then(|l| l.split('\'').next())
        .unwrap()
        .to_string();
    write
        .write_all(b"{\"msg\":\"caf\xe9 \xff\"}\n")
        .await
        .unwrap();
    let answer = json!({"call_id": id, "peer_id": "p"}).to_string()
        + "\n"
        + &json!({"call_id": id, "__success": "true"}).to_string()
        + "\n";
    write.write_all(answer.as_bytes()).await.unwrap();
    let out = within("setup", call.setup())
        .await
        .expect("the connection survived");
    assert_eq!(out.fields["peer_id"], "p");
    let e: Arc<Entry> = within("event", events.recv()).await.unwrap();
    assert_eq!(e.msg, "caf\u{fffd} \u{fffd}");
    assert!(rumor.disconnect_reason().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stderr_bounded() {
    let _one = MEMORY.lock().await;
    // Rumor itself, with 300 MB of stderr without a newline beside it.
    let flood = script(
        "flooding-rumor",
        &format!(
            "head -c 300000000 /dev/zero | tr '\\0' x >&2 &\nexec {} \"$@\"",
            pyrum::quote::quote(&rumor_bin().display().to_string())
        ),
    );
    let rumor = Rumor::builder().rumor_bin(&flood).spawn().await.unwrap();
    let alice = started(&rumor, "alice").await;
    // From here on only the flood and the calls can make the client grow (the connection's own
    // buffers and tasks exist already); the flood runs for seconds after this point.
    let before = rss();
    // Calls go on while the flood is read.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut calls = 0;
    while Instant::now() < deadline {
        alice.host().view().await.unwrap();
        calls += 1;
        if calls >= 200 {
            break;
        }
    }
    // Give the flood time to pass: it ends when `head` is done; until then calls keep working.
    let flood_done = Instant::now() + Duration::from_secs(60);
    let mut peak = rss();
    while Instant::now() < flood_done {
        peak = peak.max(rss());
        let busy = std::process::Command::new("pgrep")
            .args(["-f", "head -c 300000000"])
            .output()
            .map(|o| !o.stdout.is_empty())
            .unwrap_or(false);
        if !busy {
            break;
        }
        alice.host().view().await.unwrap();
    }
    let growth = peak.saturating_sub(before);
    eprintln!("300 MB of stderr: RSS grew {} KiB at most", growth / 1024);
    assert!(growth < 2 << 20, "RSS grew {growth} bytes");
    rumor.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_multi_line_message() {
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    // A WebSocket peer that answers the hello, then sends two entries of the first call in one
    // message, and a binary message.
    let server = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        let hello = match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => t.to_string(),
            other => panic!("{other:?}"),
        };
        // 'echo' 'pyrum-stmt:<nonce>:1:'"$(...)"
        let token = hello.split('\'').nth(3).unwrap().to_string();
        let answer = json!({"level": "info", "msg": "", "stdout": format!("{token}pyrum\n0")});
        ws.send(Message::Text(answer.to_string().into()))
            .await
            .unwrap();
        let call = match ws.next().await.unwrap().unwrap() {
            Message::Text(t) => t.to_string(),
            other => panic!("{other:?}"),
        };
        let id = call
            .strip_prefix("'_")
            .and_then(|l| l.split('\'').next())
            .unwrap()
            .to_string();
        let two = format!(
            "{}\n{}\n",
            json!({"call_id": id, "peer_id": "p"}),
            json!({"call_id": id, "__success": "true"})
        );
        ws.send(Message::Binary(vec![1, 2, 3].into()))
            .await
            .unwrap();
        ws.send(Message::Text(two.into())).await.unwrap();
        futures_util::future::pending::<()>().await;
    });
    let rumor = Rumor::connect_ws(&format!("ws://{addr}/ws"), "")
        .await
        .unwrap();
    let mut events = rumor.session_events().unwrap();
    let out = within(
        "setup",
        rumor
            .actor("a")
            .unwrap()
            .call(Command::new(["host", "view"]))
            .await
            .unwrap()
            .setup(),
    )
    .await
    .unwrap();
    assert_eq!(out.fields["peer_id"], "p");
    let e = within("binary event", events.recv()).await.unwrap();
    assert!(e.msg.contains("binary WebSocket message"), "{e:?}");
    server.abort();
}

// ---- words ------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flag_like_positional() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    for word in ["--help", "-h", "help", "--all"] {
        // Rumor's flag parser would read these as flags or as a help request; after `--` they
        // are event names, which Rumor does not know.
        let err = alice.host().notify().events([word]).await.unwrap_err();
        assert!(
            err.to_string()
                .contains(&format!("unrecognized notification type: {word}")),
            "{word}: {err}"
        );
    }
    let ok = alice.host().notify().events(["all"]).await.unwrap();
    ok.cancel().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn detached_call_outlives_its_handles() {
    let rumor = spawn().await;
    let alice = started(&rumor, "alice").await;
    let kept = alice.host().notify().events(["all"]).await.unwrap();
    let id = kept.call().id().to_string();
    kept.call().detach();
    drop(kept);
    let dropped = alice.host().notify().events(["all"]).await.unwrap();
    drop(dropped);
    // The dropped one is cancelled; the detached one stays open in Rumor and is listed.
    let open = until_calls(&alice, 1, Duration::from_secs(5)).await;
    assert_eq!(open.keys().collect::<Vec<_>>(), [&id]);
    let listed = rumor.open_calls();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].detached && listed[0].id == id);
}
