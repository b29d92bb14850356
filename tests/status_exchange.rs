//! The seed scenario (issue 4 §1, pyrum's README example) against the real Rumor v0.3.6, with
//! every value asserted; plus the failure and error-chunk paths of the one-call request.

use std::time::{Duration, Instant};

use pyrum::prelude::*;
use pyrum::ssz::{Ping, Status};

/// The loopback port the actor listens on (`#[pyrum::test]` listened with `--tcp=0`: `host
/// view` shows the port the OS picked).
async fn port(actor: &Actor) -> pyrum::Result<u16> {
    let view = actor.host().view().await?;
    let port: u16 = view.addr[0]
        .as_str()
        .strip_prefix("/ip4/127.0.0.1/tcp/")
        .and_then(|p| p.split('/').next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("a loopback tcp address: {view:?}"));
    assert_ne!(port, 0, "the OS picked a port");
    Ok(port)
}

/// The actor's open calls once every freed call has left Rumor's list: Rumor logs `__freed`
/// just before it deletes the call (`control/session_processor.go`), so a `calls` sent right
/// after can still list it. Each retry is one round trip to Rumor, no sleep.
async fn open_calls(actor: &Actor) -> pyrum::Result<serde_json::Map<String, serde_json::Value>> {
    let mut calls = actor.calls().await?;
    for _ in 0..20 {
        if calls.is_empty() {
            break;
        }
        calls = actor.calls().await?;
    }
    Ok(calls)
}

const BOB_HEX: &str = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007b00000000000000";
const ALICE_HEX: &str = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000002a00000000000000";

#[pyrum::test(actors = ["alice", "bob"])]
async fn seed_status_exchange(alice: Actor, bob: Actor) -> pyrum::Result<()> {
    let bob_port = port(&bob).await?;

    // Two concurrent sleeps on alice; the short one is awaited first and ends first.
    let t0 = Instant::now();
    let long_call = alice.sleep(Duration::from_secs(5)).send().await?;
    let short_call = alice.sleep(Duration::from_secs(3)).send().await?;
    short_call.result().await?;
    let short_done = t0.elapsed();
    assert!(
        !long_call.call().is_finished(),
        "the 5 s sleep still runs when the 3 s one is done ({short_done:?})"
    );
    long_call.result().await?;
    let long_done = t0.elapsed();
    assert!(short_done >= Duration::from_millis(2900), "{short_done:?}");
    assert!(long_done >= Duration::from_millis(4900), "{long_done:?}");
    assert!(
        long_done < Duration::from_millis(7500),
        "the sleeps ran concurrently, not 3 + 5 s: {long_done:?}"
    );

    // Bob's ENR from host view after `enr make`, and `enr view` of it.
    let bob_view = bob.host().view().await?;
    assert_eq!(bob_view.addr.len(), 1, "{bob_view:?}");
    assert_eq!(
        bob_view.addr[0].as_str(),
        format!("/ip4/127.0.0.1/tcp/{bob_port}/p2p/{}", bob_view.peer_id)
    );
    assert!(bob_view.enr.is_none(), "no ENR before `enr make`");
    let made = bob.enr().make().await?;
    let bob_enr = bob.host().view().await?.enr.expect("an ENR after enr make");
    assert_eq!(bob_enr, made.enr);
    assert!(bob_enr.as_str().starts_with("enr:-"), "{bob_enr}");

    let enr = bob.enr().view().enr(bob_enr.clone()).kv(true).await?;
    assert_eq!(enr.enr, bob_enr);
    assert_eq!(enr.peer_id, bob_view.peer_id);
    assert!(enr.seq >= 1, "{enr:?}");
    assert_ne!(enr.node_id.0, [0; 32]);
    assert_eq!(enr.xy.split(' ').count(), 2, "x and y: {}", enr.xy);
    assert!(
        enr.xy.split(' ').all(|n| n.parse::<f64>().is_ok()),
        "{}",
        enr.xy
    );
    assert!(
        enr.enode
            .as_str()
            .ends_with(&format!("@127.0.0.1:{bob_port}")),
        "{}",
        enr.enode
    );
    assert_eq!(enr.multi.as_ref(), Some(&bob_view.addr[0]));
    let kv = enr.enr_kv.as_ref().expect("enr_kv with --kv=true");
    assert_eq!(kv["id"], "v4");
    assert_eq!(kv["ip"], "127.0.0.1");
    assert_eq!(kv["tcp"], bob_port.to_string());
    assert_eq!(
        kv["udp"],
        bob_port.to_string(),
        "udp copies the host tcp port"
    );
    let pubkey = &kv["secp256k1"];
    assert!(enr.enode.as_str().contains(pubkey), "enode holds the key");
    let raw_kv = enr.raw_enr_kv.as_ref().expect("raw_enr_kv with --kv=true");
    assert_eq!(
        raw_kv["ip"],
        HexBytes(vec![0x84, 127, 0, 0, 1]),
        "RLP of 127.0.0.1"
    );

    // Alice connects to bob; each lists exactly the other.
    let alice_id = alice.host().view().await?.peer_id;
    let connected = alice.peer().connect(bob_view.addr[0].clone()).await?;
    assert_eq!(connected.peer_id, bob_view.peer_id);
    let alice_peers = alice.peer().list().await?;
    assert_eq!(
        alice_peers.peers,
        serde_json::json!([bob_view.peer_id.as_str()])
    );
    let bob_peers = bob.peer().list().await?;
    assert_eq!(bob_peers.peers, serde_json::json!([alice_id.as_str()]));
    let details = alice.peer().list().details(true).await?;
    let bob_details = &details.peers[bob_view.peer_id.as_str()];
    assert_eq!(bob_details["peer_id"], bob_view.peer_id.as_str());
    assert_eq!(
        bob_details["addrs"],
        serde_json::json!([format!("/ip4/127.0.0.1/tcp/{bob_port}")])
    );
    assert_eq!(details.peers.as_object().map(|m| m.len()), Some(1));

    // The Status exchange.
    let alice_status = Status {
        head_slot: 42,
        ..Default::default()
    };
    let bob_status = Status {
        head_slot: 123,
        ..Default::default()
    };
    assert_eq!(bob_status.to_hex(), BOB_HEX);
    assert_eq!(alice_status.to_hex(), ALICE_HEX);

    let listener = alice.rpc().status().listen().raw(true).await?;
    let requests = listener.clone();
    let expected_from = bob_view.peer_id.clone();
    let alice_work = tokio::spawn(async move {
        let req = requests.next_request().await?;
        assert_eq!(req.req_id, 0, "first request of alice's status listener");
        assert_eq!(req.from, expected_from);
        assert_eq!(req.protocol, "/eth2/beacon_chain/req/status/1/ssz_snappy");
        assert_eq!(req.method(), "status");
        assert_eq!(req.input_err, None);
        assert_eq!(req.hex(), Some(BOB_HEX));
        assert!(req.hex().unwrap().ends_with("7b00000000000000"));
        assert_eq!(req.data::<Status>()?.head_slot, 123);
        assert_eq!(req.data::<Status>()?, bob_status);
        req.respond_chunk(&alice_status).done(true).await?;
        // The listener then only waits; a second `next_request` ends with the cancel.
        let after_cancel = requests.next_request().await;
        assert!(after_cancel.is_err(), "{after_cancel:?}");
        Ok::<_, pyrum::Error>(())
    });

    let resp = bob
        .rpc()
        .status()
        .req()
        .raw(alice_id.clone(), &bob_status)
        .raw(true)
        .response()
        .await?;
    assert_eq!(resp.chunks.len(), 1, "{resp:?}");
    let chunk = resp.chunk()?;
    assert_eq!(chunk.chunk_index, 0);
    assert_eq!(chunk.result_code, 0);
    assert_eq!(chunk.chunk_size, 84);
    assert_eq!(chunk.from, alice_id);
    assert_eq!(chunk.protocol, "/eth2/beacon_chain/req/status/1/ssz_snappy");
    assert_eq!(chunk.hex(), Some(ALICE_HEX));
    assert!(chunk.hex().unwrap().ends_with("2a00000000000000"));
    assert_eq!(chunk.msg, None);
    assert_eq!(chunk.data::<Status>()?.head_slot, 42);
    assert_eq!(chunk.data::<Status>()?, alice_status);

    // `.response()` freed bob's call; only alice's listener is open. Cancel it.
    let bob_calls = open_calls(&bob).await?;
    assert!(bob_calls.is_empty(), "bob has no open call: {bob_calls:?}");
    assert!(!listener.call().is_finished());
    listener.cancel().await?;
    assert!(listener.call().is_finished());
    alice_work.await.expect("alice's task")?;
    let alice_calls = open_calls(&alice).await?;
    assert!(
        alice_calls.is_empty(),
        "alice has no open call: {alice_calls:?}"
    );
    Ok(())
}

/// Rumor's "failed to make request" (here: alice has no status handler) is the request's error.
#[pyrum::test(actors = ["alice", "bob"], connected)]
async fn request_without_listener_is_rumors_error(alice: Actor, bob: Actor) -> pyrum::Result<()> {
    let alice_view = alice.host().view().await?;

    let err = bob
        .rpc()
        .status()
        .req()
        .raw(alice_view.peer_id, &Status::default())
        .raw(true)
        .response()
        .await
        .expect_err("no handler on alice");
    match &err {
        Error::Command { call, message } => {
            assert!(call.starts_with("bob: rpc status req raw"), "{err}");
            assert!(message.starts_with("failed to make request: "), "{err}");
            assert!(message.contains("protocol not supported"), "{err}");
        }
        other => panic!("expected Rumor's error, got {other:?}"),
    }
    let calls = open_calls(&bob).await?;
    assert!(calls.is_empty(), "the failed request was freed: {calls:?}");
    Ok(())
}

/// A chunk with a non-zero result code ends the response and is returned, not an error; Ping
/// payloads go through the same typed path.
#[pyrum::test(actors = ["alice", "bob"], connected)]
async fn ping_and_error_chunk(alice: Actor, bob: Actor) -> pyrum::Result<()> {
    let alice_view = alice.host().view().await?;

    let listener = alice.rpc().ping().listen().raw(true).await?;
    let requests = listener.clone();
    let alice_work = tokio::spawn(async move {
        let first = requests.next_request().await?;
        assert_eq!(first.req_id, 0);
        assert_eq!(first.data::<Ping>()?.seq_number, 7);
        first.respond_chunk(&Ping { seq_number: 9 }).await?;
        let second = requests.next_request().await?;
        assert_eq!(second.req_id, 1);
        assert_eq!(second.data::<Ping>()?.seq_number, 8);
        second
            .respond_chunk(pyrum::types::HexBytes(b"busy".to_vec()))
            .result_code(2)
            .await?;
        Ok::<_, pyrum::Error>(())
    });

    let pong = bob
        .rpc()
        .ping()
        .req()
        .raw(alice_view.peer_id.clone(), &Ping { seq_number: 7 })
        .raw(true)
        .response()
        .await?;
    assert_eq!(pong.chunks.len(), 1);
    assert_eq!(pong.chunk()?.result_code, 0);
    assert_eq!(pong.chunk()?.data::<Ping>()?, Ping { seq_number: 9 });

    let refused = bob
        .rpc()
        .ping()
        .req()
        .raw(alice_view.peer_id.clone(), &Ping { seq_number: 8 })
        .raw(true)
        .response()
        .await?;
    assert_eq!(refused.chunks.len(), 1, "{refused:?}");
    let chunk = refused.chunk()?;
    assert_eq!(chunk.result_code, 2);
    assert_eq!(chunk.chunk_index, 0);
    assert_eq!(
        chunk.hex(),
        Some(pyrum::types::encode_hex(b"busy").as_str())
    );

    alice_work.await.expect("alice's task")?;
    listener.cancel().await?;
    let calls = open_calls(&bob).await?;
    assert!(calls.is_empty(), "bob's requests were freed: {calls:?}");
    Ok(())
}
