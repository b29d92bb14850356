//! Floods and back-pressure.
//!
//! Policy (pyrum-core `call.rs`): each call keeps its last `call_buffer` entries in a ring; each
//! stream has its own cursor; a stream that falls further behind gets one
//! [`Error::Lagged`] with the number it lost, then goes on from the oldest kept entry. The reader
//! task never waits for a stream, so other calls and the connection are not slowed down, and a
//! call's memory is bounded whatever Rumor sends.
//!
//! Memory is read from `/proc/self/statm` (resident pages). The tests of this file measure the
//! whole process, so they run one at a time (`MEMORY`).

#[allow(dead_code)]
mod common;

use std::future::Future;
use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{connect, Kind};
use futures_util::{sink, stream};
use pyrum_core::{Call, Command, Error, Rumor, Wire};
use serde_json::Value;
use tokio::sync::{mpsc, oneshot};

/// Upper bound for any single wait, so that a bug fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(180);

/// The tests of this file measure the process' memory: one at a time.
static MEMORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?}"))
}

/// Resident memory of this process, in bytes (`/proc/self/statm`, second field, in pages).
fn rss() -> u64 {
    /// The page size of Linux on x86_64 and (by default) aarch64.
    const PAGE: u64 = 4096;
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages in /proc/self/statm");
    pages * PAGE
}

fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Samples the resident memory every millisecond until dropped; `peak()` is the largest seen.
struct PeakRss {
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PeakRss {
    fn start() -> PeakRss {
        let peak = Arc::new(AtomicU64::new(rss()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = std::thread::spawn({
            let (peak, stop) = (peak.clone(), stop.clone());
            move || {
                while !stop.load(Ordering::Relaxed) {
                    peak.fetch_max(rss(), Ordering::Relaxed);
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        });
        PeakRss {
            peak,
            stop,
            thread: Some(thread),
        }
    }

    fn peak(&self) -> u64 {
        self.peak.fetch_max(rss(), Ordering::Relaxed).max(rss())
    }
}

impl Drop for PeakRss {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

// ---------------------------------------------------------------------------------------------
// One million entries for one call, from a fake Rumor

/// Entries the fake sends for the flooded call.
const FLOOD: u64 = 1_000_000;
/// The per-call buffer of the flood test.
const FLOOD_BUFFER: usize = 1024;
/// Growth of resident memory allowed during the flood. What the client keeps is bounded by
/// the ring of `FLOOD_BUFFER` entries (about 1 MiB here) plus the step output's fields; 64 MiB
/// leaves room for the allocator's arenas of the runtime's threads and the JSON parsing, and is
/// far below what keeping the flood would cost (one million entries of several hundred bytes
/// each: over 500 MiB).
const FLOOD_GROWTH: u64 = 64 << 20;

/// The call id in a line the client sent: `'_<id>' 'actor:' ...`.
fn call_id_of(line: &str) -> String {
    line.strip_prefix("'_")
        .and_then(|l| l.split('\'').next())
        .unwrap_or_else(|| panic!("not a call line: {line:?}"))
        .to_string()
}

fn marker(id: &str, key: &str, value: &str) -> String {
    format!(
        r#"{{"{key}":{value},"actor":"alice","call_id":"{id}","level":"trace","msg":"","time":"t"}}"#
    )
}

/// What the fake sends once it knows the two call ids: the flooded call's `__success`, then
/// `FLOOD` entries for it, with the other call's whole life (an entry, `__success`, `__freed`)
/// in the middle, then the flooded call's `__freed`; then it stays open.
fn flood_stream(
    ids: oneshot::Receiver<(String, String)>,
) -> impl futures_util::Stream<Item = io::Result<String>> {
    enum State {
        Waiting(oneshot::Receiver<(String, String)>),
        Running { busy: String, other: String, n: u64 },
        Done,
    }
    stream::unfold(State::Waiting(ids), |state| async move {
        match state {
            State::Waiting(rx) => {
                let (busy, other) = rx.await.ok()?;
                let line = marker(&busy, "__success", r#""true""#);
                Some((Ok(line), State::Running { busy, other, n: 0 }))
            }
            State::Running { busy, other, n } => {
                if n % 4096 == 0 {
                    // A real socket runs dry now and then; let the runtime breathe.
                    tokio::task::yield_now().await;
                }
                let half = FLOOD / 2;
                let line = match n {
                    n if n == half => format!(
                        r#"{{"actor":"bob","call_id":"{other}","level":"info","msg":"","peer_id":"bob-id","time":"t"}}"#
                    ),
                    n if n == half + 1 => marker(&other, "__success", r#""true""#),
                    n if n == half + 2 => marker(&other, "__freed", r#""true""#),
                    n if n == FLOOD + 3 => {
                        return Some((Ok(marker(&busy, "__freed", r#""true""#)), State::Done))
                    }
                    n => {
                        let k = if n > half + 2 { n - 3 } else { n };
                        format!(
                            r#"{{"actor":"alice","call_id":"{busy}","data":"0x{k:064x}","level":"debug","msg":"gossip message","n":{k},"time":"2020-10-20T00:00:00.000000000Z"}}"#
                        )
                    }
                };
                Some((
                    Ok(line),
                    State::Running {
                        busy,
                        other,
                        n: n + 1,
                    },
                ))
            }
            State::Done => {
                std::future::pending::<()>().await;
                None
            }
        }
    })
}

/// What a stream saw: entries delivered, entries lost (Lagged), and the last `n` read.
#[derive(Debug, Default)]
struct Seen {
    delivered: u64,
    missed: u64,
    lagged_errors: u64,
    last_n: Option<u64>,
}

async fn drain(mut entries: pyrum_core::Entries, pause: Option<Duration>) -> Seen {
    let mut seen = Seen::default();
    while let Some(item) = entries.next().await {
        match item {
            Ok(e) => {
                seen.delivered += 1;
                let n = e.fields["n"].as_u64().expect("n");
                if let Some(last) = seen.last_n {
                    assert!(n > last, "in order: {n} after {last}");
                }
                seen.last_n = Some(n);
            }
            Err(Error::Lagged { missed, capacity }) => {
                assert_eq!(capacity, FLOOD_BUFFER);
                seen.missed += missed;
                seen.lagged_errors += 1;
            }
            Err(e) => panic!("unexpected stream error {e:?}"),
        }
        if let Some(p) = pause {
            tokio::time::sleep(p).await;
        }
    }
    seen
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_backpressure_million_entries_bounded_memory_lagged_others_unaffected() {
    let _one_at_a_time = MEMORY.lock().await;
    let (out_tx, mut out_rx) = mpsc::unbounded_channel::<String>();
    let sink = sink::unfold(out_tx, |tx, line: String| async move {
        tx.send(line)
            .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "fake rumor gone"))?;
        Ok::<_, io::Error>(tx)
    });
    let (ids_tx, ids_rx) = oneshot::channel();
    let rumor = Rumor::builder()
        .call_buffer(FLOOD_BUFFER)
        .connect(Wire::new("flood", sink, flood_stream(ids_rx)));

    let busy = rumor
        .actor("alice")
        .unwrap()
        .call(Command::new(["gossip", "log"]))
        .await
        .unwrap();
    let other = rumor
        .actor("bob")
        .unwrap()
        .call(Command::new(["host", "view"]))
        .await
        .unwrap();
    // Streams made before the flood: one reads slowly all along, one not at all until the end.
    let slow = busy.entries();
    let unread = busy.stream("n");
    let busy_id = call_id_of(&within("busy line", out_rx.recv()).await.unwrap());
    let other_id = call_id_of(&within("other line", out_rx.recv()).await.unwrap());
    assert_eq!(
        (busy.id(), other.id()),
        (busy_id.as_str(), other_id.as_str())
    );

    let baseline = rss();
    let peak = PeakRss::start();
    let started = Instant::now();
    ids_tx.send((busy_id, other_id)).unwrap();
    within("busy setup", busy.setup()).await.unwrap();

    let slow_reader = tokio::spawn(drain(slow, Some(Duration::from_millis(1))));
    let other_done = tokio::spawn({
        let other = other.clone();
        async move {
            let out = other.setup().await;
            other.finished().await.unwrap();
            (out, Instant::now())
        }
    });
    within("flood freed", busy.finished()).await.unwrap();
    let flood_done = Instant::now();
    let peak_rss = peak.peak();
    drop(peak);

    let (other_out, other_at) = within("other call", other_done).await.unwrap();
    let other_out = other_out.expect("the other call completes during the flood");
    assert_eq!(other_out.fields["peer_id"], "bob-id");
    assert!(
        other_at < flood_done,
        "the other call finished while the flood was still coming in"
    );

    let unread = within("unread stream", drain(unread, None)).await;
    assert_eq!(
        unread.lagged_errors, 1,
        "a stream that never read lags once: {unread:?}"
    );
    assert_eq!(unread.missed, FLOOD - FLOOD_BUFFER as u64, "{unread:?}");
    assert_eq!(unread.delivered, FLOOD_BUFFER as u64, "{unread:?}");
    assert_eq!(unread.last_n, Some(FLOOD - 1));

    let slow = within("slow reader", slow_reader).await.unwrap();
    assert_eq!(
        slow.delivered + slow.missed,
        FLOOD,
        "every entry is delivered or counted as lost: {slow:?}"
    );
    assert!(slow.missed > 0 && slow.lagged_errors > 0, "{slow:?}");
    assert_eq!(slow.last_n, Some(FLOOD - 1));
    assert_eq!(rumor.pending_calls(), 0);
    assert!(rumor.disconnect_reason().is_none());

    let growth = peak_rss.saturating_sub(baseline);
    eprintln!(
        "flood: {FLOOD} entries in {:?}; slow reader {slow:?}; unread stream {unread:?}; \
         rss baseline {:.1} MiB, peak {:.1} MiB (+{:.1} MiB)",
        flood_done - started,
        mib(baseline),
        mib(peak_rss),
        mib(growth)
    );
    assert!(
        growth < FLOOD_GROWTH,
        "resident memory grew by {:.1} MiB during the flood",
        mib(growth)
    );
}

// ---------------------------------------------------------------------------------------------
// A real long-running stream: `host notify all` while another actor connects and disconnects

/// Connect/disconnect rounds; each produces several notify entries (connection and stream
/// events).
const ROUNDS: usize = 25;
/// The per-call buffer of the notify test: small, so that an unread stream lags.
const NOTIFY_BUFFER: usize = 8;

fn text(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("expected text, got {v}"))
        .to_string()
}

async fn ok(call: Call) -> pyrum_core::Output {
    within("setup", call.setup())
        .await
        .unwrap_or_else(|e| panic!("{call:?}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_backpressure_real_notify_stream_lags_alone() {
    let _one_at_a_time = MEMORY.lock().await;
    let rumor = Rumor::builder()
        .rumor_bin(common::rumor_bin())
        .call_buffer(NOTIFY_BUFFER)
        .spawn()
        .await
        .expect("spawning rumor bare");
    let alice = rumor.actor("flood-alice").unwrap();
    let bob = rumor.actor("flood-bob").unwrap();
    for actor in [&alice, &bob] {
        ok(actor.call(Command::new(["host", "start"])).await.unwrap()).await;
    }
    ok(alice
        .call(
            Command::new(["host", "listen"])
                .flag("ip", "127.0.0.1")
                .flag("tcp", 0u16),
        )
        .await
        .unwrap())
    .await;
    let view = ok(alice.call(Command::new(["host", "view"])).await.unwrap()).await;
    let alice_id = text(&view.fields["peer_id"]);
    let alice_addr = text(&view.fields["addr"]);

    let notify = alice
        .call(Command::new(["host", "notify"]).positional("all"))
        .await
        .unwrap();
    ok(notify.clone()).await;
    let unread = notify.entries();
    // A fast reader counts everything the call logs.
    let mut fast = notify.entries();
    let (count_tx, mut count_rx) = tokio::sync::watch::channel(0u64);
    let fast_reader = tokio::spawn(async move {
        let (mut delivered, mut missed) = (0u64, 0u64);
        while let Some(item) = fast.next().await {
            match item {
                Ok(e) => {
                    delivered += 1;
                    assert!(e.fields.contains_key("event"), "{e:?}");
                }
                Err(Error::Lagged { missed: m, .. }) => missed += m,
                Err(e) => panic!("{e:?}"),
            }
            let _ = count_tx.send(delivered + missed);
        }
        (delivered, missed)
    });

    for _ in 0..ROUNDS {
        ok(bob
            .call(Command::new(["peer", "connect"]).flag("addr", alice_addr.as_str()))
            .await
            .unwrap())
        .await;
        ok(bob
            .call(Command::new(["peer", "disconnect"]).flag("peer-id", alice_id.as_str()))
            .await
            .unwrap())
        .await;
    }
    // Each round shows at least a connection opening and closing on alice's side.
    within(
        "notify entries",
        count_rx.wait_for(|n| *n >= 2 * ROUNDS as u64),
    )
    .await
    .unwrap();
    within("cancel", notify.cancel()).await.unwrap();
    let (delivered, fast_missed) = within("fast reader", fast_reader).await.unwrap();
    let total = delivered + fast_missed;

    // The stream nobody read lost all but the last NOTIFY_BUFFER entries, and said so once.
    let mut unread = unread;
    let mut kept = 0u64;
    let mut missed = 0u64;
    while let Some(item) = within("unread stream", unread.next()).await {
        match item {
            Ok(_) => kept += 1,
            Err(Error::Lagged {
                missed: m,
                capacity,
            }) => {
                assert_eq!(capacity, NOTIFY_BUFFER);
                assert_eq!(kept, 0, "the lag is reported first");
                missed += m;
            }
            Err(e) => panic!("{e:?}"),
        }
    }
    eprintln!(
        "notify: {total} entries ({delivered} read by the fast reader, which lost {fast_missed}); \
         the unread stream lost {missed} and kept {kept}"
    );
    assert!(total >= 2 * ROUNDS as u64);
    assert_eq!(kept, NOTIFY_BUFFER as u64);
    assert_eq!(
        missed + kept,
        total,
        "lost + kept = everything the call logged"
    );
    assert_eq!(rumor.pending_calls(), 0);
    assert!(rumor.disconnect_reason().is_none());
}

// ---------------------------------------------------------------------------------------------
// 100k finished calls leave nothing behind

/// Calls made to warm up the allocator before the baseline is taken.
const WARM_UP: usize = 10_000;
/// Calls whose memory must be returned.
const CALLS: usize = 100_000;
/// Calls in flight at once.
const WAVE: usize = 500;
/// Allowed growth of resident memory over `CALLS` finished calls. A leak of the smallest piece
/// of call state (the `CallState` with its mutex, buffers and id, several hundred bytes; one kept
/// `Entry` alone is over 200 bytes) would grow memory by 20 MiB or more over 100k calls; 8 MiB
/// (84 bytes per call) tolerates allocator fragmentation and the runtime's own caches.
const CALLS_GROWTH: u64 = 8 << 20;

async fn wave(actor: &pyrum_core::Actor, n: usize) {
    let mut calls = Vec::with_capacity(n);
    for _ in 0..n {
        calls.push(
            actor
                .call(Command::new(["sleep"]).flag("time", "1ns"))
                .await
                .unwrap(),
        );
    }
    for call in calls {
        let out = call.setup().await.unwrap_or_else(|e| panic!("{e}"));
        assert!(!out.entries.is_empty());
        call.finished().await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_backpressure_memory_returns_to_baseline_after_100k_calls() {
    let _one_at_a_time = MEMORY.lock().await;
    let conn = connect(Kind::Subprocess).await;
    let actor = conn.rumor.actor("flood-calls").unwrap();
    let started = Instant::now();
    for _ in 0..WARM_UP / WAVE {
        within("warm-up wave", wave(&actor, WAVE)).await;
    }
    assert_eq!(conn.rumor.pending_calls(), 0);
    let baseline = rss();
    let peak = PeakRss::start();
    for _ in 0..CALLS / WAVE {
        within("wave", wave(&actor, WAVE)).await;
    }
    assert_eq!(conn.rumor.pending_calls(), 0, "no call state is left");
    let after = rss();
    let peak_rss = peak.peak();
    drop(peak);
    let growth = after.saturating_sub(baseline);
    eprintln!(
        "{CALLS} calls (after {WARM_UP} to warm up) in {:?}: rss baseline {:.1} MiB, \
         peak {:.1} MiB, after {:.1} MiB (+{:.2} MiB, {:.1} bytes per call)",
        started.elapsed(),
        mib(baseline),
        mib(peak_rss),
        mib(after),
        mib(growth),
        growth as f64 / CALLS as f64
    );
    assert!(
        growth < CALLS_GROWTH,
        "resident memory grew by {:.2} MiB over {CALLS} finished calls",
        mib(growth)
    );
    assert!(conn.rumor.disconnect_reason().is_none());
}
