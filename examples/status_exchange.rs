//! The seed scenario, pyrum's README example, with typed calls: two actors, concurrent sleeps,
//! ENR, peers, and a Status req/resp exchange with SSZ payloads.
//!
//! Run: `cargo run --example status_exchange` (needs Rumor v0.3.6: `scripts/install-rumor`,
//! or `RUMOR_BIN`). Ports are picked by the OS (`--tcp=0`), so it runs while 9000/9001 are busy.

use std::time::Duration;

use pyrum::prelude::*;
use pyrum::ssz::Status;

#[tokio::main]
async fn main() -> pyrum::Result<()> {
    // `rumor bare --level=trace` as a child process.
    let rumor = Rumor::spawn().await?;

    let alice = rumor.actor("alice")?;
    alice.host().start().await?;
    alice.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    println!("started alice");

    let bob = rumor.actor("bob")?;
    bob.host().start().await?;
    bob.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    println!("started bob");

    // Concurrency in Rumor: both sleeps run at once; the short one is awaited first.
    let long_call = alice.sleep(Duration::from_secs(5)).send().await?;
    println!("made long call");
    let short_call = alice.sleep(Duration::from_secs(3)).send().await?;
    println!("made short call");
    short_call.result().await?;
    println!("done with short call");
    long_call.result().await?;
    println!("done with long call");

    let bob_view = bob.host().view().await?;
    println!("BOB has address:  {}", bob_view.addr[0]);

    // Bob's ENR (IP and TCP copied from his host), then every field `enr view` decodes from it.
    bob.enr().make().await?;
    let bob_enr = bob
        .host()
        .view()
        .await?
        .enr
        .expect("host view shows the ENR after enr make");
    println!("BOB has ENR: {bob_enr}");
    let enr = bob.enr().view().enr(bob_enr).kv(true).await?;
    println!("bob's ENR, viewed:");
    println!("  enr: {}", enr.enr);
    println!("  seq: {}", enr.seq);
    println!("  node_id: {}", enr.node_id);
    println!("  peer_id: {}", enr.peer_id);
    println!("  xy: {}", enr.xy);
    println!("  enode: {}", enr.enode);
    match &enr.multi {
        Some(multi) => println!("  multi: {multi}"),
        None => println!("  multi: (not logged)"),
    }
    println!("  enr_kv: {}", map_or_absent(&enr.enr_kv));
    println!("  raw_enr_kv: {}", map_or_absent(&enr.raw_enr_kv));
    for (key, value) in &enr.extra {
        println!("  {key}: {value}");
    }

    alice.peer().connect(bob_view.addr[0].clone()).await?;
    println!("connected alice to bob!");

    for addr in &bob.host().view().await?.addr {
        println!("bob has addr: {addr}");
    }

    let alice_peers = alice.peer().list().details(true).await?;
    println!("alice peer list: {}", alice_peers.peers);
    let bob_peers = bob.peer().list().await?;
    println!("bob peer list: {}", bob_peers.peers);

    println!("Testing a Status RPC exchange");

    let alice_peer_id = alice.host().view().await?.peer_id;
    let alice_status = Status {
        head_slot: 42,
        ..Default::default()
    };
    let bob_status = Status {
        head_slot: 123,
        ..Default::default()
    };

    // Alice: awaiting the listener waits until its handler is online; it then stays open.
    println!("alice: listening for status requests");
    let listener = alice.rpc().status().listen().raw(true).await?;
    let requests = listener.clone();
    let alice_work = tokio::spawn(async move {
        // One `next` per incoming request, until the listener is cancelled.
        loop {
            let req = match requests.next_request().await {
                Ok(req) => req,
                Err(_) if requests.call().is_finished() => break,
                Err(e) => return Err(e),
            };
            println!(
                "alice: Got request: {{req_id: {}, from: {}, protocol: {}, data: {}}}",
                req.req_id,
                req.from,
                req.protocol,
                req.hex().unwrap_or("(none)")
            );
            assert_eq!(req.data::<Status>()?, bob_status);
            println!(
                "alice: sending response back to request {}: {}",
                req.req_id,
                alice_status.to_hex()
            );
            req.respond_chunk(&alice_status).done(true).await?;
        }
        println!("alice: stopped listening for status requests");
        Ok::<_, pyrum::Error>(())
    });

    // Bob: one call sends the request, steps through the written request and the response
    // chunk, and frees the call.
    println!(
        "bob: sending alice ({alice_peer_id}) a status request: {}",
        bob_status.to_hex()
    );
    let resp = bob
        .rpc()
        .status()
        .req()
        .raw(alice_peer_id, &bob_status)
        .raw(true)
        .response()
        .await?;
    let chunk = resp.chunk()?;
    println!(
        "bob: received status response from alice: {{chunk_index: {}, chunk_size: {}, \
         result_code: {}, from: {}, protocol: {}, data: {}}}",
        chunk.chunk_index,
        chunk.chunk_size,
        chunk.result_code,
        chunk.from,
        chunk.protocol,
        chunk.hex().unwrap_or("(none)")
    );
    assert_eq!(resp.chunks.len(), 1);
    assert_eq!(chunk.chunk_index, 0);
    assert_eq!(chunk.result_code, 0);
    assert_eq!(chunk.data::<Status>()?, alice_status);
    println!(
        "bob: alice's head slot is {}",
        chunk.data::<Status>()?.head_slot
    );

    // Close alice's listener; her request loop then ends.
    listener.cancel().await?;
    alice_work.await.expect("alice's task panicked")?;
    Ok(())
}

/// `key=value` pairs of a logged map, or "(not logged)".
fn map_or_absent<V: std::fmt::Display>(
    value: &Option<std::collections::BTreeMap<String, V>>,
) -> String {
    match value {
        Some(map) => map
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        None => "(not logged)".into(),
    }
}
