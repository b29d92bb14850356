//! Blocks by range, the way clients sync: alice serves `BeaconBlocksByRange` from a listener,
//! bob requests ranges of 2 to 64 blocks and checks every byte of every chunk, with snappy and
//! without compression; then the error paths (an invalid request, a server error mid-stream).
//!
//! ```sh
//! cargo run --example blocks_by_range            # a few ranges per compression
//! cargo run --example blocks_by_range -- 100     # 100 exchanges of 2..=64 chunks
//! ```
//!
//! Multi-chunk responses need the Rumor that `scripts/install-rumor` builds (Rumor v0.3.6 as
//! released corrupts them, see `pyrum::rpc`). `tests/examples.rs` runs this scenario against the
//! real Rumor.

use std::time::{Duration, Instant};

use pyrum::commands::rpc::blocks_by_range::RpcBlocksByRangeListenCall;
use pyrum::commands::Compression;
use pyrum::prelude::*;
use pyrum::rpc::{Request, Response, ResponseEnd};
use pyrum::ssz::BeaconBlocksByRangeRequest;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Ranges that start at or above this slot get a server error after [`CHUNKS_BEFORE_ERROR`]
/// blocks: the listener's way to show an error chunk mid-stream.
pub const FAILING_SLOT: u64 = 1 << 20;
/// How many blocks a failing range delivers before its error chunk.
pub const CHUNKS_BEFORE_ERROR: u64 = 3;
/// The most blocks one request asks for (and `--max-chunks`).
pub const MAX_BLOCKS: u64 = 64;
/// Request and stream timeout on both sides (Rumor's default is 10 s).
const STREAM_TIMEOUT: Duration = Duration::from_secs(60);

/// The bytes alice serves as the block of `slot`: 1 to 1500 bytes, the same every time.
pub fn block(slot: u64) -> Vec<u8> {
    let mut x = slot.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    let len = 1 + (x % 1500) as usize;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Two started, connected actors: alice serves, bob requests. Returns (alice, bob, alice's
/// peer id).
pub async fn connect_pair(rumor: &Rumor) -> pyrum::Result<(Actor, Actor, PeerId)> {
    let (alice, bob) = (rumor.actor("alice")?, rumor.actor("bob")?);
    for actor in [&alice, &bob] {
        actor.host().start().await?;
        actor.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    }
    let view = alice.host().view().await?;
    bob.peer().connect(view.addr[0].clone()).await?;
    Ok((alice, bob, view.peer_id))
}

/// Answers one request as a beacon node would: `count` blocks from `start_slot`, every `step`
/// slots, one chunk each, then closes the stream. `count` or `step` 0 is an invalid request; a
/// range from [`FAILING_SLOT`] gets a server error after a few blocks.
pub async fn answer(req: &Request) -> pyrum::Result<()> {
    let range: BeaconBlocksByRangeRequest = req.data()?;
    if range.count == 0 || range.step == 0 {
        return req.invalid_request("count and step must be positive").await;
    }
    if range.count > MAX_BLOCKS {
        return req
            .invalid_request(format!("at most {MAX_BLOCKS} blocks per request"))
            .await;
    }
    for i in 0..range.count {
        if range.start_slot >= FAILING_SLOT && i == CHUNKS_BEFORE_ERROR {
            return req.server_error("block database unavailable").await;
        }
        let slot = range.start_slot + i * range.step;
        req.respond_chunk(block(slot)).await?; // --done=false: more may follow
    }
    req.close().await
}

/// A listener on alice for one compression, answering until [`Server::stop`].
pub struct Server {
    listener: RpcBlocksByRangeListenCall,
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<pyrum::Result<u64>>,
}

impl Server {
    /// Opens `rpc blocks-by-range listen --raw=true --compression=<c>` on alice and answers
    /// every request with [`answer`].
    pub async fn start(alice: &Actor, compression: Compression) -> pyrum::Result<Server> {
        let listener = alice
            .rpc()
            .blocks_by_range()
            .listen()
            .raw(true)
            .compression(compression)
            .timeout(STREAM_TIMEOUT)
            .await?;
        let (stop, mut stopped) = oneshot::channel();
        let requests = listener.clone();
        let task = tokio::spawn(async move {
            let mut answered = 0;
            loop {
                let req = tokio::select! {
                    req = requests.next_request() => req?,
                    _ = &mut stopped => return Ok(answered),
                };
                answer(&req).await?;
                answered += 1;
            }
        });
        Ok(Server {
            listener,
            stop: Some(stop),
            task,
        })
    }

    /// Stops answering, closes the listener; returns how many requests it answered.
    pub async fn stop(mut self) -> pyrum::Result<u64> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let answered = (&mut self.task).await.map_err(|e| {
            pyrum::Error::Protocol(format!("the listener task ended abnormally: {e}"))
        })??;
        self.listener.cancel().await?;
        Ok(answered)
    }
}

/// Bob asks alice for `range` and checks the response: every block's bytes, chunk indexes,
/// result codes, and how the response ended.
pub async fn exchange(
    bob: &Actor,
    alice_id: &PeerId,
    compression: Compression,
    range: BeaconBlocksByRangeRequest,
) -> pyrum::Result<Response> {
    let resp = bob
        .rpc()
        .blocks_by_range()
        .req()
        .raw(alice_id.clone(), &range)
        .raw(true)
        .compression(compression)
        .max_chunks(MAX_BLOCKS)
        .timeout(STREAM_TIMEOUT)
        .response()
        .await?;
    let invalid = range.count == 0 || range.step == 0 || range.count > MAX_BLOCKS;
    let failing = !invalid && range.start_slot >= FAILING_SLOT && range.count > CHUNKS_BEFORE_ERROR;
    let expected_blocks = match (invalid, failing) {
        (true, _) => 0,
        (false, true) => CHUNKS_BEFORE_ERROR,
        (false, false) => range.count,
    };
    let wrong = |what: String| Err(pyrum::Error::Protocol(format!("{range:?}: {what}")));
    for (i, chunk) in resp.chunks.iter().enumerate() {
        if chunk.chunk_index != i as u64 {
            return wrong(format!("chunk {i} has index {}", chunk.chunk_index));
        }
        if (i as u64) < expected_blocks {
            let want = block(range.start_slot + i as u64 * range.step);
            if chunk.result_code != 0 || chunk.bytes()? != want {
                return wrong(format!(
                    "chunk {i}: code {}, {} bytes; expected block {} ({} bytes)",
                    chunk.result_code,
                    chunk.chunk_size,
                    range.start_slot + i as u64 * range.step,
                    want.len()
                ));
            }
        }
    }
    let success = resp.data::<pyrum::types::HexBytes>()?.len() as u64;
    let end_ok = match resp.end {
        ResponseEnd::ErrorChunk => invalid || failing,
        ResponseEnd::MaxChunks => !invalid && !failing && range.count == MAX_BLOCKS,
        ResponseEnd::Closed => !invalid && !failing && range.count < MAX_BLOCKS,
        _ => false,
    };
    if success != expected_blocks || !end_ok {
        return wrong(format!(
            "{success} blocks, ended {:?}; expected {expected_blocks}",
            resp.end
        ));
    }
    Ok(resp)
}

/// Block counts 2..=64 spread over `n` exchanges: 2, 15, 28, ... wrapping around.
pub fn counts(n: usize) -> impl Iterator<Item = u64> {
    (0..n as u64).map(|i| 2 + (i * 13) % (MAX_BLOCKS - 1))
}

/// What [`run`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Multi-chunk exchanges whose every byte matched.
    pub intact: u64,
    /// Chunks checked.
    pub chunks: u64,
    /// Error responses seen as expected (invalid request, server error).
    pub errors: u64,
}

/// The scenario: `exchanges` multi-chunk exchanges (2 to 64 blocks, alternating snappy and
/// none), then the error paths with each compression. Stops at the first failure.
pub async fn run(
    rumor: &Rumor,
    exchanges: usize,
    say: &(dyn Fn(String) + Sync),
) -> pyrum::Result<Summary> {
    let (alice, bob, alice_id) = connect_pair(rumor).await?;
    say(format!("alice ({alice_id}) and bob are connected"));
    let mut summary = Summary::default();
    for (compression, first) in [(Compression::Snappy, 0), (Compression::None, 1)] {
        let server = Server::start(&alice, compression.clone()).await?;
        let started = Instant::now();
        for (i, count) in counts(exchanges).enumerate().skip(first).step_by(2) {
            let range = BeaconBlocksByRangeRequest {
                start_slot: 1000 * i as u64,
                count,
                step: 1 + (i as u64 % 3),
            };
            let resp = exchange(&bob, &alice_id, compression.clone(), range).await?;
            summary.intact += 1;
            summary.chunks += resp.chunks.len() as u64;
            say(format!(
                "[{}/{exchanges}] {}: {count} blocks intact ({:?}), {:.1?} so far",
                summary.intact,
                compression.as_str(),
                resp.end,
                started.elapsed()
            ));
        }
        // The error paths: an invalid request, and a server error after a few blocks.
        let invalid = BeaconBlocksByRangeRequest {
            start_slot: 1,
            count: 0,
            step: 1,
        };
        let resp = exchange(&bob, &alice_id, compression.clone(), invalid).await?;
        let chunk = resp.error_chunk().expect("checked by exchange");
        say(format!(
            "{}: invalid request -> code {}: {:?}",
            compression.as_str(),
            chunk.result_code,
            chunk.error_message().unwrap_or_default()
        ));
        assert_eq!(chunk.result_code, 1);
        let failing = BeaconBlocksByRangeRequest {
            start_slot: FAILING_SLOT,
            count: 10,
            step: 1,
        };
        let resp = exchange(&bob, &alice_id, compression.clone(), failing).await?;
        let chunk = resp.error_chunk().expect("checked by exchange");
        say(format!(
            "{}: {} blocks, then code {}: {:?}",
            compression.as_str(),
            resp.chunks.len() - 1,
            chunk.result_code,
            chunk.error_message().unwrap_or_default()
        ));
        assert_eq!(chunk.result_code, 2);
        assert_eq!(
            chunk.error_message().as_deref(),
            Some("block database unavailable")
        );
        summary.errors += 2;
        let answered = server.stop().await?;
        say(format!(
            "{}: the listener answered {answered} requests",
            compression.as_str()
        ));
    }
    Ok(summary)
}

#[allow(dead_code)] // `tests/examples.rs` includes this file and calls `run`.
#[tokio::main]
async fn main() -> pyrum::Result<()> {
    let exchanges = match std::env::args().nth(1) {
        Some(n) => n.parse().map_err(|_| pyrum::Error::InvalidInput {
            what: "argument",
            value: n,
            reason: "the number of exchanges, e.g. 100".into(),
        })?,
        None => 8,
    };
    let rumor = Rumor::spawn().await?;
    let summary = run(&rumor, exchanges, &|line| println!("{line}")).await?;
    println!(
        "{} of {exchanges} multi-chunk exchanges intact ({} chunks checked), {} error responses as expected",
        summary.intact, summary.chunks, summary.errors
    );
    rumor.close().await?;
    Ok(())
}
