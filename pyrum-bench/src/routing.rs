//! Parser + router throughput on a recorded transcript, without a real connection.
//!
//! A client runs on a fake [`Wire`]: its sink drops what it is sent, its stream yields the
//! transcript's lines once [`Prepared::run`] releases them. Before that, one call is
//! registered per call id of the transcript (through the ordinary [`pyrum_core::Actor::call`])
//! and the transcript's ids are rewritten to the ids the client gave those calls, so every
//! entry reaches a real call state: markers, setup output, the `__freed` that removes it.
//! Lines without a call id (`Started cN`, `lookup!`) take the session path, as they do live.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use futures_util::{stream, SinkExt, StreamExt};
use pyrum_core::{Call, Command, Rumor, Wire};
use serde_json::Value;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

/// The lines of a Rumor run and the calls in it.
#[derive(Debug, Clone)]
pub struct Transcript {
    /// Every JSON line, in order.
    pub lines: Vec<String>,
    /// Each distinct call id with its actor, in order of first appearance.
    pub calls: Vec<(String, String)>,
}

impl Transcript {
    /// Reads a transcript (one JSON object per line; blank lines are skipped).
    pub fn parse(text: &str) -> Transcript {
        let lines: Vec<String> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect();
        let mut seen = HashMap::new();
        let mut calls = Vec::new();
        for line in &lines {
            let v: Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("transcript line is not JSON ({e}): {line}"));
            if let Some(id) = v.get("call_id").and_then(Value::as_str) {
                if seen.insert(id.to_string(), ()).is_none() {
                    let actor = v.get("actor").and_then(Value::as_str).unwrap_or("alice");
                    calls.push((id.to_string(), actor.to_string()));
                }
            }
        }
        Transcript { lines, calls }
    }

    /// The transcript checked into `pyrum-bench/fixtures/`.
    pub fn recorded() -> Transcript {
        Transcript::parse(crate::TRANSCRIPT)
    }

    /// Total bytes of the lines (without newlines).
    pub fn bytes(&self) -> usize {
        self.lines.iter().map(String::len).sum()
    }
}

/// A single-threaded runtime: the router's figures are for one core.
pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a current-thread tokio runtime")
}

/// A client on a fake wire with the transcript's calls registered, ready to route.
pub struct Prepared {
    rumor: Rumor,
    calls: Vec<Call>,
    lines: Vec<String>,
    go: oneshot::Sender<Vec<String>>,
}

/// What is left after a run; dropping it (outside the measurement) closes the client.
pub struct Routed {
    /// The client.
    pub rumor: Rumor,
    /// Its calls, all finished.
    pub calls: Vec<Call>,
    /// Lines routed.
    pub lines: usize,
}

impl Prepared {
    /// Builds the client and registers one call per call id of `t` (inside `rt`).
    pub fn new(rt: &Runtime, t: &Transcript) -> Prepared {
        rt.block_on(async {
            let (go, lines_rx) = oneshot::channel::<Vec<String>>();
            let incoming = stream::once(lines_rx)
                .map(|lines| stream::iter(lines.unwrap_or_default().into_iter().map(Ok)))
                .flatten();
            let sink = futures_util::sink::drain().sink_map_err(|e| match e {});
            let rumor = Rumor::builder().call_buffer(64).connect(Wire::new(
                "recorded transcript",
                sink,
                incoming,
            ));
            let mut calls = Vec::with_capacity(t.calls.len());
            let mut rename = HashMap::with_capacity(t.calls.len());
            for (id, actor) in &t.calls {
                let call = rumor
                    .actor(actor)
                    .expect("recorded actor names are valid")
                    .call(Command::new(["host", "view"]))
                    .await
                    .expect("registering a call on the fake wire");
                rename.insert(id.clone(), call.id().to_string());
                calls.push(call);
            }
            let lines = t
                .lines
                .iter()
                .map(|line| rewrite_ids(line, &rename))
                .collect();
            Prepared {
                rumor,
                calls,
                lines,
                go,
            }
        })
    }

    /// Routes every line and waits until every call is finished (freed).
    pub fn run(self, rt: &Runtime) -> Routed {
        let Prepared {
            rumor,
            calls,
            lines,
            go,
        } = self;
        let n = lines.len();
        rt.block_on(async {
            go.send(lines).expect("the reader task is alive");
            for c in &calls {
                c.finished().await.expect("every recorded call is freed");
            }
        });
        Routed {
            rumor,
            calls,
            lines: n,
        }
    }
}

/// Replaces a recorded call id (`"call_id":"c7"`, and `"_c7"` in a `failed` entry's args) with
/// the id the client registered.
fn rewrite_ids(line: &str, rename: &HashMap<String, String>) -> String {
    let Some(start) = line.find("\"call_id\":\"") else {
        return line.to_string();
    };
    let from = start + "\"call_id\":\"".len();
    let Some(len) = line[from..].find('"') else {
        return line.to_string();
    };
    let old = &line[from..from + len];
    match rename.get(old) {
        Some(new) => format!("{}{}{}", &line[..from], new, &line[from + len..]),
        None => line.to_string(),
    }
}

/// Parse + route throughput: the median over `runs` runs of the whole transcript, in entries
/// per second, on one thread.
pub fn measure_routing(t: &Transcript, runs: usize) -> f64 {
    let rt = runtime();
    let mut rates: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let p = Prepared::new(&rt, t);
            let start = Instant::now();
            let routed = p.run(&rt);
            let secs = start.elapsed().as_secs_f64();
            let rate = routed.lines as f64 / secs;
            drop(routed);
            rate
        })
        .collect();
    median(&mut rates)
}

/// Plain `serde_json::from_str::<Value>` of every line: the median over `runs`, entries/s.
pub fn measure_serde(t: &Transcript, runs: usize) -> f64 {
    let mut rates: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            for line in &t.lines {
                std::hint::black_box(serde_json::from_str::<Value>(line).expect("JSON"));
            }
            t.lines.len() as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    median(&mut rates)
}

/// [`pyrum_core::Entry::parse`] of every line (the parser alone): the median, entries/s.
pub fn measure_entry_parse(t: &Transcript, runs: usize) -> f64 {
    let mut rates: Vec<f64> = (0..runs.max(1))
        .map(|_| {
            let start = Instant::now();
            for line in &t.lines {
                std::hint::black_box(pyrum_core::Entry::parse(line).expect("entry"));
            }
            t.lines.len() as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    median(&mut rates)
}

/// Quoting cost per argument: nanoseconds per `check_word` + `push_quoted` of typical words.
pub fn measure_quoting(iterations: usize) -> f64 {
    let words = quoting_words();
    let mut line = String::with_capacity(1024);
    let start = Instant::now();
    for _ in 0..iterations {
        line.clear();
        for w in &words {
            pyrum_core::quote::check_word("argument", w).expect("quotable");
            pyrum_core::quote::push_quoted(&mut line, w);
        }
        std::hint::black_box(&line);
    }
    start.elapsed().as_nanos() as f64 / (iterations * words.len()) as f64
}

/// The words the quoting figures use: a path word, a flag, a peer id, a multiaddr, an ENR and
/// a word with a single quote in it.
pub fn quoting_words() -> Vec<&'static str> {
    vec![
        "host",
        "--ip=127.0.0.1",
        "16Uiu2HAkxcva6aTDS48oJqmkMbhFyBmzM3Fdo2U3z4viYY8LH5hQ",
        "/ip4/127.0.0.1/tcp/9000/p2p/16Uiu2HAkxcva6aTDS48oJqmkMbhFyBmzM3Fdo2U3z4viYY8LH5hQ",
        "enr:-Iu4QGFP-rdcIOfGukVUhySBD-MGaXm9XizhHX0kEjiFjjKQXOSMHrN0D0z1AC-ErtE_QI-QKebV7iSIfRiVJUiCGnECgmlkgnY0gmlwhH8AAAGJc2VjcDI1NmsxoQOFoFNz1yURJ79F-3su_jRP-WxUyhOO6QzvUaN177g-dIN0Y3CCIyiDdWRwgiMo",
        "it's",
    ]
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// How long `f` takes, the median of `runs`.
pub fn median_time(runs: usize, mut f: impl FnMut()) -> Duration {
    let mut times: Vec<Duration> = (0..runs.max(1))
        .map(|_| {
            let s = Instant::now();
            f();
            s.elapsed()
        })
        .collect();
    times.sort_unstable();
    times[times.len() / 2]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_rewritten_exactly() {
        let rename = HashMap::from([("c1".to_string(), "pyXc0n1".to_string())]);
        assert_eq!(
            rewrite_ids(r#"{"call_id":"c1","x":"c1"}"#, &rename),
            r#"{"call_id":"pyXc0n1","x":"c1"}"#
        );
        assert_eq!(
            rewrite_ids(r#"{"call_id":"c10"}"#, &rename),
            r#"{"call_id":"c10"}"#
        );
    }

    #[test]
    fn the_recorded_transcript_routes_to_every_call() {
        let t = Transcript::recorded();
        assert!(t.lines.len() > 1000, "a few thousand lines");
        assert!(t.calls.len() > 100);
        let rt = runtime();
        let routed = Prepared::new(&rt, &t).run(&rt);
        assert_eq!(routed.lines, t.lines.len());
        assert_eq!(routed.rumor.pending_calls(), 0, "every call was freed");
        let with_peer_id = rt.block_on(async {
            let mut n = 0;
            for c in &routed.calls {
                if let Ok(out) = c.setup().await {
                    n += usize::from(out.fields.contains_key("peer_id"));
                }
            }
            n
        });
        assert!(
            with_peer_id > 100,
            "host view results reached their calls: {with_peer_id}"
        );
    }
}
