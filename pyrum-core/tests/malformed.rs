//! Bad output from Rumor (or from whatever pretends to be Rumor): arbitrary lines through the
//! entry parser and the router. Nothing panics, everything ends in bounded time, and a line
//! longer than `max_line_length` is an error on that connection after reading at most about
//! that many bytes, never an unbounded allocation.
//!
//! The same harness runs unbounded under cargo-fuzz (`fuzz/fuzz_targets/entry_router.rs`); these
//! property tests are its bounded version for CI.

use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use futures_util::{sink, stream, SinkExt};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use pyrum_core::entry::Shape;
use pyrum_core::{Command, Entry, Error, Rumor, Wire};
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWriteExt, BufReader, ReadBuf};
use tokio::sync::mpsc;

/// Lines through the entry parser (bounded for CI; the fuzz target runs unbounded).
const PARSER_CASES: u32 = 5_000;
/// Scripts of up to 48 lines through the router.
const ROUTER_CASES: u32 = 300;

/// Every case must end within this after the fake hangs up.
const CASE_LIMIT: Duration = Duration::from_secs(5);

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

fn config(cases: u32) -> Config {
    Config { cases, failure_persistence: None, max_shrink_iters: 512, ..Config::default() }
}

/// Keys Rumor's entries use, with special meaning to the parser or the router.
const KEYS: &[&str] = &[
    "level",
    "msg",
    "time",
    "call_id",
    "actor",
    "__success",
    "__error",
    "__step",
    "__freed",
    "fields.msg",
    "fields.time",
    "fields.level",
    "args",
    "error",
    "stdout",
    "stderr",
    "envlookup",
    "n",
];

/// Values of every JSON type, with the strings that mean something (levels, messages).
fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        any::<String>().prop_map(Value::String),
        prop::sample::select(vec![
            "trace",
            "debug",
            "info",
            "warning",
            "error",
            "true",
            "failed",
            "lookup!",
            "Started x",
            "failed to run input",
            "",
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((any::<String>(), inner), 0..6)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

/// A JSON object with Rumor's keys (and others) holding arbitrary values.
fn json_object() -> impl Strategy<Value = Map<String, Value>> {
    let key = prop_oneof![
        4 => prop::sample::select(KEYS).prop_map(String::from),
        1 => any::<String>(),
    ];
    prop::collection::vec((key, json_value()), 0..8).prop_map(|kv| kv.into_iter().collect())
}

/// Short ASCII text, control bytes, quotes and backslashes included.
fn ascii() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[\\x00-\\x7f]{0,8}").unwrap()
}

/// Arbitrary lines: text, JSON objects and other JSON, objects cut short or with a byte
/// changed, deep nesting.
fn arbitrary_line() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => any::<String>().prop_map(|s| s.replace('\n', " ")),
        4 => json_object().prop_map(|o| Value::Object(o).to_string()),
        1 => json_value().prop_map(|v| v.to_string().replace('\n', " ")),
        2 => (json_object(), any::<prop::sample::Index>())
            .prop_map(|(o, i)| {
                let s = Value::Object(o).to_string();
                let mut cut = i.index(s.len() + 1);
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                s[..cut].to_string()
            }),
        1 => (json_object(), any::<prop::sample::Index>(), any::<char>())
            .prop_map(|(o, i, c)| {
                let mut s = Value::Object(o).to_string();
                let mut at = i.index(s.len() + 1);
                while !s.is_char_boundary(at) {
                    at -= 1;
                }
                s.insert(at, if c == '\n' { ' ' } else { c });
                s
            }),
        // The fast path's forms (a marker, a call's plain entry) with raw text spliced in.
        1 => (ascii(), ascii(), prop::bool::ANY).prop_map(|(actor, rest, marker)| {
            let actor = actor.replace('\n', " ");
            let rest = rest.replace('\n', " ");
            if marker {
                format!(r#"{{"__freed":"true","actor":"{actor}","call_id":"c1","level":"trace","msg":"freed call resources","time":"{rest}"}}"#)
            } else {
                format!(r#"{{"actor":"{actor}","call_id":"c1","level":"info","msg":"m","x":{rest}}}"#)
            }
        }),
        1 => (1usize..20_000, prop::bool::ANY).prop_map(|(depth, object)| {
            if object {
                format!("{}1{}", r#"{"a":"#.repeat(depth), "}".repeat(depth))
            } else {
                format!("{}{}", "[".repeat(depth), "]".repeat(depth))
            }
        }),
    ]
}

const MARKERS: [&str; 4] = ["__step", "__freed", "__success", "__error"];

#[test]
fn fuzz_malformed_lines_entry_parser_never_panics() {
    let slowest = std::cell::Cell::new(Duration::ZERO);
    let parsed = std::cell::Cell::new(0u32);
    let mut runner = TestRunner::new(config(PARSER_CASES));
    runner
        .run(&arbitrary_line(), |line| {
            let started = Instant::now();
            let result = Entry::parse(&line);
            let took = started.elapsed();
            slowest.set(slowest.get().max(took));
            prop_assert!(took < Duration::from_secs(1), "{took:?} for {} bytes", line.len());
            // The parser accepts exactly the lines serde_json reads as an object, and the fast
            // path lets through no line that is not one.
            let oracle = serde_json::from_str::<Map<String, Value>>(&line);
            prop_assert_eq!(result.is_ok(), oracle.is_ok(), "{:?} / {:?}", result, oracle);
            if let Some(Shape::Plain { .. } | Shape::Marker { .. }) = Entry::shape(&line) {
                prop_assert!(oracle.is_ok(), "{:?}", oracle);
            }
            match result {
                Ok(entry) => {
                    parsed.set(parsed.get() + 1);
                    let obj = oracle.unwrap();
                    prop_assert!(!entry.fields.contains_key("call_id"));
                    prop_assert!(!entry.fields.contains_key("actor"));
                    let had_marker = MARKERS.iter().any(|m| obj.contains_key(*m));
                    prop_assert_eq!(entry.marker.is_some(), had_marker);
                    prop_assert_eq!(entry.call_id.is_some(), obj.contains_key("call_id"));
                }
                Err(Error::Protocol(message)) => {
                    // The message quotes at most a short prefix of the line.
                    prop_assert!(message.len() < 400, "{} bytes", message.len());
                }
                Err(other) => return Err(TestCaseError::fail(format!("{other:?}"))),
            }
            Ok(())
        })
        .unwrap();
    let (parsed, slowest) = (parsed.get(), slowest.get());
    eprintln!(
        "entry parser: {PARSER_CASES} lines, {parsed} parsed as entries, slowest {slowest:?}"
    );
    assert!(parsed > PARSER_CASES / 10, "the generator makes real entries too");
}

// ---------------------------------------------------------------------------------------------
// The router

/// One line of a scripted Rumor; `target` picks one of the client's live calls (or none).
#[derive(Debug, Clone)]
enum Line {
    /// Any line at all.
    Raw(String),
    /// An entry for a live call: its fields, maybe a marker.
    ForCall { target: usize, fields: Map<String, Value> },
    /// A marker for a live call.
    Marker { target: usize, marker: usize },
    /// The session's `failed` warning naming a live call, maybe for its `next`/`cancel`.
    Failed { target: usize, control: Option<&'static str> },
}

fn script_line() -> impl Strategy<Value = Line> {
    prop_oneof![
        3 => arbitrary_line().prop_map(Line::Raw),
        3 => (0..3usize, json_object()).prop_map(|(target, fields)| Line::ForCall { target, fields }),
        3 => (0..3usize, 0..4usize).prop_map(|(target, marker)| Line::Marker { target, marker }),
        1 => (0..3usize, prop::sample::select(vec![None, Some("next"), Some("cancel")]))
            .prop_map(|(target, control)| Line::Failed { target, control }),
    ]
}

fn render(line: &Line, ids: &[String]) -> String {
    match line {
        Line::Raw(s) => s.clone(),
        Line::ForCall { target, fields } => {
            let mut obj = fields.clone();
            obj.insert("call_id".into(), json!(ids[*target]));
            Value::Object(obj).to_string()
        }
        Line::Marker { target, marker } => {
            let value = if *marker == 0 { json!(true) } else { json!("true") };
            json!({"call_id": ids[*target], "actor": "a", "level": "trace", "msg": "", MARKERS[*marker]: value})
                .to_string()
        }
        Line::Failed { target, control } => {
            let mut args = vec![format!("_{}", ids[*target])];
            args.extend(control.map(String::from));
            json!({"level": "warning", "msg": "failed", "args": args, "error": "exit status 1: boom"})
                .to_string()
        }
    }
}

/// A client on a fake wire: what it sends is dropped; what the test pushes is what it reads.
fn fake_client(buffer: usize) -> (Rumor, mpsc::UnboundedSender<io::Result<String>>) {
    let (tx, mut rx) = mpsc::unbounded_channel::<io::Result<String>>();
    let sink = sink::drain().sink_map_err(|e| -> io::Error { match e {} });
    let stream = stream::poll_fn(move |cx| rx.poll_recv(cx));
    let rumor = Rumor::builder().call_buffer(buffer).connect(Wire::new("fake", sink, stream));
    (rumor, tx)
}

/// Runs one script through the router: three calls (a plain one, a long-running one read as a
/// stream and stepped, one being cancelled), the lines, then the end of the stream. Everything
/// must end within [`CASE_LIMIT`]; nothing may panic.
async fn route_script(lines: &[Line]) -> Result<(), String> {
    let (rumor, tx) = fake_client(8);
    let actor = rumor.actor("a").unwrap();
    let mut calls = Vec::new();
    for cmd in [
        Command::new(["host", "view"]),
        Command::new(["gossip", "log"]),
        Command::new(["sleep"]).flag("time", "1s"),
    ] {
        calls.push(actor.call(cmd).await.map_err(|e| e.to_string())?);
    }
    let ids: Vec<String> = calls.iter().map(|c| c.id().to_string()).collect();
    let mut waiters = Vec::new();
    {
        let c = calls[0].clone();
        waiters.push(tokio::spawn(async move { c.setup().await.map(|_| ()) }));
        let mut entries = calls[1].entries();
        waiters.push(tokio::spawn(async move {
            while let Some(item) = entries.next().await {
                if let Err(e) = item {
                    if !matches!(e, Error::Lagged { .. }) {
                        return Err(e);
                    }
                }
            }
            Ok(())
        }));
        let c = calls[1].clone();
        waiters.push(tokio::spawn(async move { c.step(None).await.map(|_| ()) }));
        let c = calls[2].clone();
        waiters.push(tokio::spawn(async move { c.cancel().await }));
        let c = calls[2].clone();
        waiters.push(tokio::spawn(async move { c.finished().await }));
    }
    let mut events = rumor.session_events().map_err(|e| e.to_string())?;
    let session = tokio::spawn(async move {
        let mut n = 0usize;
        while events.recv().await.is_ok() {
            n += 1;
        }
        n
    });
    for line in lines {
        let _ = tx.send(Ok(render(line, &ids)));
    }
    drop(tx);
    let end = async {
        let reason = rumor.closed().await;
        for w in waiters {
            match w.await {
                Ok(_) => {}
                Err(e) => return Err(format!("a waiter panicked: {e}")),
            }
        }
        session.await.map_err(|e| format!("session reader: {e}"))?;
        Ok(reason)
    };
    let reason = tokio::time::timeout(CASE_LIMIT, end)
        .await
        .map_err(|_| format!("not finished within {CASE_LIMIT:?}"))??;
    if !reason.is_disconnected() {
        return Err(format!("closed with {reason:?}"));
    }
    if rumor.pending_calls() != 0 {
        return Err(format!("{} calls still pending", rumor.pending_calls()));
    }
    for c in &calls {
        if !c.is_finished() {
            return Err(format!("{c:?} not finished"));
        }
    }
    Ok(())
}

#[test]
fn fuzz_malformed_lines_through_router() {
    let rt = runtime();
    let mut runner = TestRunner::new(config(ROUTER_CASES));
    let started = Instant::now();
    runner
        .run(&prop::collection::vec(script_line(), 0..48), |lines| {
            rt.block_on(route_script(&lines)).map_err(TestCaseError::fail)
        })
        .unwrap();
    eprintln!("router: {ROUTER_CASES} scripts in {:?}", started.elapsed());
}

// ---------------------------------------------------------------------------------------------
// Line length limit

/// A reader that never ends a line: `x` forever. Counts the bytes it hands out.
struct Endless {
    served: Arc<AtomicU64>,
}

impl AsyncRead for Endless {
    fn poll_read(
        self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let n = buf.remaining();
        buf.put_slice(&vec![b'x'; n]);
        self.served.fetch_add(n as u64, Ordering::Relaxed);
        Poll::Ready(Ok(()))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_malformed_endless_line_is_a_connection_error_with_bounded_reading() {
    const MAX: usize = 1 << 20;
    let served = Arc::new(AtomicU64::new(0));
    let wire = Wire::from_io("endless", Endless { served: served.clone() }, tokio::io::sink(), MAX);
    let rumor = Rumor::builder().max_line_length(MAX).connect(wire);
    // The reader may already have refused the line when the call is made: then the call fails.
    let call = rumor.actor("a").unwrap().call(Command::new(["host", "view"])).await;
    let reason = tokio::time::timeout(Duration::from_secs(10), rumor.closed())
        .await
        .expect("the connection ends");
    let cause = match &reason {
        Error::Disconnected { cause } => cause.to_string(),
        other => panic!("{other:?}"),
    };
    assert!(cause.contains(&format!("Rumor sent a line longer than {MAX} bytes")), "{cause}");
    let err = match call {
        Ok(call) => {
            tokio::time::timeout(Duration::from_secs(1), call.setup()).await.unwrap().unwrap_err()
        }
        Err(e) => e,
    };
    assert!(err.is_disconnected(), "{err:?}");
    // Bounded: the codec stops at the limit (plus one read buffer), and reading stops.
    let read = served.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(served.load(Ordering::Relaxed), read, "reading stopped");
    eprintln!("endless line: {read} bytes read for a limit of {MAX}");
    assert!(read <= 2 * MAX as u64 + (64 << 10), "read {read} bytes for a limit of {MAX}");
}

/// A line of exactly `max_line_length` bytes is accepted; one byte more ends the connection,
/// and nothing after it is routed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_malformed_line_limit_is_exact() {
    const MAX: usize = 4096;
    let (client_side, rumor_side) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(client_side);
    let rumor =
        Rumor::builder().max_line_length(MAX).connect(Wire::from_io("duplex", read, write, MAX));
    let actor = rumor.actor("a").unwrap();
    let first = actor.call(Command::new(["host", "view"])).await.unwrap();
    let second = actor.call(Command::new(["host", "view"])).await.unwrap();
    let (rumor_read, mut rumor_write) = tokio::io::split(rumor_side);
    let mut lines = BufReader::new(rumor_read).lines();
    let mut ids = Vec::new();
    for _ in 0..2 {
        let line = lines.next_line().await.unwrap().unwrap();
        ids.push(line.strip_prefix("'_").and_then(|l| l.split('\'').next()).unwrap().to_string());
    }
    // An entry padded to exactly `len` bytes.
    let padded = |id: &str, extra: &str, len: usize| {
        let bare = json!({"call_id": id, "pad": "", "extra": extra}).to_string();
        let pad = "p".repeat(len - bare.len());
        let line = json!({"call_id": id, "pad": pad, "extra": extra}).to_string();
        assert_eq!(line.len(), len);
        line
    };
    let at_limit = padded(&ids[0], "at", MAX);
    let over_limit = padded(&ids[1], "over", MAX + 1);
    let success = |id: &str| json!({"call_id": id, "__success": "true"}).to_string();
    let script = [at_limit, success(&ids[0]), over_limit, success(&ids[1])].join("\n") + "\n";
    rumor_write.write_all(script.as_bytes()).await.unwrap();

    let out = tokio::time::timeout(Duration::from_secs(5), first.setup())
        .await
        .unwrap()
        .expect("a line of exactly max_line_length is routed");
    assert_eq!(out.fields["extra"], "at");
    let err =
        tokio::time::timeout(Duration::from_secs(5), second.setup()).await.unwrap().unwrap_err();
    match &err {
        Error::Disconnected { cause } => {
            assert!(cause.contains(&format!("longer than {MAX} bytes")), "{cause}")
        }
        other => panic!("{other:?}"),
    }
}

/// Entries of many calls, interleaved with garbage, reach each call complete and in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzz_malformed_interleaved_garbage_keeps_each_call_in_order() {
    let (rumor, tx) = fake_client(1 << 16);
    let actor = rumor.actor("a").unwrap();
    let mut calls = Vec::new();
    for _ in 0..20 {
        calls.push(actor.call(Command::new(["gossip", "log"])).await.unwrap());
    }
    for round in 0..500u64 {
        for c in &calls {
            tx.send(Ok(json!({"call_id": c.id(), "n": round}).to_string())).unwrap();
            tx.send(Ok(format!("{{garbage {round}"))).unwrap();
        }
    }
    for c in &calls {
        let _ = tx.send(Ok(json!({"call_id": c.id(), "__freed": "true"}).to_string()));
    }
    for c in &calls {
        let mut entries = c.entries();
        let mut expected = 0u64;
        while let Some(item) =
            tokio::time::timeout(Duration::from_secs(5), entries.next()).await.unwrap()
        {
            let e = item.unwrap();
            assert_eq!(e.fields["n"], expected);
            expected += 1;
        }
        assert_eq!(expected, 500);
    }
    assert_eq!(rumor.pending_calls(), 0);
    assert!(rumor.disconnect_reason().is_none());
}
