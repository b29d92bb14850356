//! Request/response against the real Rumor: failures in Rumor's own words and at once, every
//! answer a listener can give (chunks, error codes, close), and what a corrupted multi-chunk
//! read reports.

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use pyrum::prelude::*;
use pyrum::rpc::{RequestCallExt, ResponseEnd, MULTI_CHUNK_HINT};
use pyrum::ssz::{BeaconBlocksByRangeRequest, BeaconBlocksByRootRequest, Status};
use pyrum::types::{HexBytes, Root};

#[allow(dead_code)]
mod common;

/// Bounds every wait on Rumor in these tests.
const LIMIT: Duration = Duration::from_secs(30);

/// A peer id nobody on this machine has (a valid one, so it reaches Rumor).
const STRANGER: &str = "16Uiu2HAmBLjLDvAtEEpnvTguzzakbbfP1brcFbeQmvjou57FtJ4P";

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {LIMIT:?}"))
}

async fn started(rumor: &Rumor, name: &str) -> pyrum::Result<Actor> {
    let actor = rumor.actor(name)?;
    actor.host().start().await?;
    actor.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    Ok(actor)
}

/// Two started actors, bob connected to alice; returns alice's peer id too.
async fn pair(rumor: &Rumor) -> pyrum::Result<(Actor, Actor, PeerId)> {
    let alice = started(rumor, "alice").await?;
    let bob = started(rumor, "bob").await?;
    let view = alice.host().view().await?;
    bob.peer().connect(view.addr[0].clone()).await?;
    Ok((alice, bob, view.peer_id))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_request_is_rumors_error_at_once() -> pyrum::Result<()> {
    let rumor = common::spawn_bare().await;
    let bob = started(&rumor, "bob").await?;
    let stranger = PeerId::new(STRANGER)?;

    // By hand: the request goroutine fails before it offers its first step. A plain step would
    // wait out its whole timeout; `step_request` returns Rumor's words when Rumor logs them.
    let call = bob
        .rpc()
        .status()
        .req()
        .raw(stranger.clone(), &Status::default())
        .await?;
    let t0 = Instant::now();
    let err = within(
        "step_request",
        call.step_request(Some(Duration::from_secs(20))),
    )
    .await
    .expect_err("nobody to dial");
    let took = t0.elapsed();
    match &err {
        Error::Command { call, message } => {
            assert!(call.contains("rpc status req raw"), "{err}");
            assert!(message.starts_with("failed to make request: "), "{err}");
            assert!(message.len() > "failed to make request: ".len(), "{err}");
        }
        other => panic!("expected Rumor's error, got {other:?}"),
    }
    assert!(
        took < Duration::from_secs(10),
        "the step ended with the failure, not its 20 s timeout: {took:?}"
    );
    // The call's own entry says the same.
    let mut entries = call.entries();
    let logged = within("the failure entry", async {
        while let Some(entry) = entries.next().await {
            let entry = entry?;
            if entry.msg == "failed to make request" {
                return Ok(entry);
            }
        }
        panic!("the call ended without its failure entry")
    })
    .await?;
    let rumor_words = logged.str_field("error").expect("an error field");
    assert!(
        err.to_string().contains(rumor_words),
        "{err} vs {rumor_words}"
    );
    // A second step on the failed request fails at once too.
    let again = within("second step", call.step_request(None)).await;
    assert!(matches!(again, Err(Error::Command { .. })), "{again:?}");
    call.cancel().await?;

    // In one call: the same words, no step timeout.
    let t0 = Instant::now();
    let err = within(
        "response",
        bob.rpc()
            .status()
            .req()
            .raw(stranger, &Status::default())
            .response(),
    )
    .await
    .expect_err("nobody to dial");
    assert!(err.to_string().contains(rumor_words), "{err}");
    assert!(!err.to_string().contains("no chunk"), "{err}");
    assert!(t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    Ok(())
}

/// Every answer a listener can give, read back by the requester.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listener_answers_chunks_errors_and_close() -> pyrum::Result<()> {
    let rumor = common::spawn_bare().await;
    let (alice, bob, alice_id) = pair(&rumor).await?;
    let listener = alice.rpc().blocks_by_root().listen().raw(true).await?;
    let requests = listener.clone();
    let roots: Vec<Root> = (1..=3u8).map(|i| Root([i; 32])).collect();
    let expected_roots = roots.clone();
    let alice_work = tokio::spawn(async move {
        // 1: one chunk per root, then close.
        let req = requests.next_request().await?;
        assert_eq!(req.method(), "blocks-by-root");
        let asked: BeaconBlocksByRootRequest = req.data()?;
        assert_eq!(asked.roots, expected_roots);
        for root in &asked.roots {
            req.respond_chunk(HexBytes(root.0[..4].to_vec())).await?;
        }
        req.close().await?;
        // Closing twice is Rumor's error, in its words.
        let twice = req.close().await.expect_err("already closed");
        assert!(
            twice.to_string().contains("Could not find request"),
            "{twice}"
        );
        // 2: invalid request (code 1).
        let req = requests.next_request().await?;
        req.invalid_request("no such roots").await?;
        // 3: a chunk, then a server error (code 2).
        let req = requests.next_request().await?;
        req.respond_chunk(HexBytes(vec![7])).await?;
        req.server_error("disk on fire").await?;
        // 4: an undefined code, 3.
        let req = requests.next_request().await?;
        req.respond_error(3, "rate limited").await?;
        Ok::<_, pyrum::Error>(())
    });

    let ask = |roots: Vec<Root>| {
        bob.rpc()
            .blocks_by_root()
            .req()
            .raw(
                alice_id.clone(),
                &BeaconBlocksByRootRequest::new(roots).unwrap(),
            )
            .raw(true)
            .response()
    };
    let resp = within("three chunks", ask(roots.clone())).await?;
    assert_eq!(resp.end, ResponseEnd::Closed, "{resp:?}");
    let got: Vec<HexBytes> = resp.data()?;
    assert_eq!(
        got,
        roots
            .iter()
            .map(|r| HexBytes(r.0[..4].to_vec()))
            .collect::<Vec<_>>()
    );

    let resp = within("invalid request", ask(vec![Root([9; 32])])).await?;
    assert_eq!(resp.end, ResponseEnd::ErrorChunk);
    let chunk = resp.error_chunk().expect("an error chunk");
    assert_eq!(
        (chunk.result_code, chunk.error_message().as_deref()),
        (1, Some("no such roots"))
    );

    let resp = within("server error", ask(vec![Root([8; 32])])).await?;
    assert_eq!(resp.chunks.len(), 2, "{resp:?}");
    assert_eq!(resp.chunks[0].bytes()?, [7]);
    let chunk = resp.error_chunk().expect("an error chunk");
    assert_eq!(
        (chunk.result_code, chunk.error_message().as_deref()),
        (2, Some("disk on fire"))
    );

    let resp = within("code 3", ask(vec![Root([7; 32])])).await?;
    let chunk = resp.error_chunk().expect("an error chunk");
    assert_eq!(
        (chunk.result_code, chunk.error_message().as_deref()),
        (3, Some("rate limited"))
    );

    within("alice's answers", alice_work)
        .await
        .expect("alice's task")?;
    listener.cancel().await?;
    Ok(())
}

/// `--max-chunks` smaller than the response: the requester stops there and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_chunks_is_reported() -> pyrum::Result<()> {
    let rumor = common::spawn_bare().await;
    let (alice, bob, alice_id) = pair(&rumor).await?;
    let listener = alice.rpc().blocks_by_range().listen().raw(true).await?;
    let requests = listener.clone();
    let alice_work = tokio::spawn(async move {
        let req = requests.next_request().await?;
        for i in 0..5u8 {
            req.respond_chunk(HexBytes(vec![i; 3])).await?;
        }
        req.close().await
    });
    let range = BeaconBlocksByRangeRequest {
        start_slot: 0,
        count: 5,
        step: 1,
    };
    let resp = within(
        "two of five",
        bob.rpc()
            .blocks_by_range()
            .req()
            .raw(alice_id, &range)
            .raw(true)
            .max_chunks(2)
            .response(),
    )
    .await?;
    assert_eq!(resp.end, ResponseEnd::MaxChunks);
    assert_eq!(
        resp.data::<HexBytes>()?,
        [HexBytes(vec![0; 3]), HexBytes(vec![1; 3])]
    );
    within("alice", alice_work).await.expect("alice's task")?;
    listener.cancel().await?;
    Ok(())
}

/// What a client sees when Rumor hands it a chunk shorter than announced: the symptom of an
/// unpatched Rumor v0.3.6 (measured: `"chunk_size":1024,"data":"6d"`). The real, patched Rumor
/// runs the exchange; a wire hook cuts the second chunk's data the way the race does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_corrupted_chunk_says_what_happened_and_what_to_do() -> pyrum::Result<()> {
    let rumor = Rumor::builder()
        .rumor_bin(common::rumor_bin())
        .wire_hook(|wire, _| {
            let (name, sink, stream, describe) = wire.into_parts();
            let stream = stream.map(|line| line.map(truncate_second_chunk));
            pyrum::Wire::from_parts(name, sink, Box::pin(stream), describe)
        })
        .spawn()
        .await?;
    let (alice, bob, alice_id) = pair(&rumor).await?;
    let listener = alice.rpc().blocks_by_range().listen().raw(true).await?;
    let requests = listener.clone();
    let alice_work = tokio::spawn(async move {
        let req = requests.next_request().await?;
        for i in 0..3u8 {
            req.respond_chunk(HexBytes(vec![i; 16])).await?;
        }
        req.close().await
    });
    let range = BeaconBlocksByRangeRequest {
        start_slot: 0,
        count: 3,
        step: 1,
    };
    let err = within(
        "the corrupted response",
        bob.rpc()
            .blocks_by_range()
            .req()
            .raw(alice_id, &range)
            .raw(true)
            .response(),
    )
    .await
    .expect_err("chunk 1 was cut");
    let text = err.to_string();
    assert!(matches!(err, Error::Protocol(_)), "{err:?}");
    assert!(
        text.contains("chunk 1 announced 16 bytes but Rumor read 1"),
        "{text}"
    );
    assert!(text.contains(MULTI_CHUNK_HINT), "{text}");
    assert!(text.contains("scripts/install-rumor") && text.contains("max_chunks(1)"));
    within("alice", alice_work).await.expect("alice's task")?;
    listener.cancel().await?;
    Ok(())
}

/// Rewrites the "Received chunk" entry of chunk 1 so that its data is one byte.
fn truncate_second_chunk(line: String) -> String {
    if !line.contains("\"Received chunk\"") {
        return line;
    }
    let Ok(serde_json::Value::Object(mut entry)) = serde_json::from_str(&line) else {
        return line;
    };
    if entry.get("chunk_index") != Some(&serde_json::json!(1)) {
        return line;
    }
    entry.insert("data".into(), serde_json::json!("01"));
    serde_json::Value::Object(entry).to_string()
}
