//! Typed scenarios replayed from transcripts recorded against the real Rumor v0.3.6.
//!
//! Each scenario is one async fn that takes a [`Rumor`]: it runs against the real Rumor to
//! record its transcript (`tests/transcripts/<name>.jsonl`), and against [`Replay`] of that
//! transcript in these tests, which need no Rumor (no `RUMOR_BIN`, no cache) and take
//! milliseconds. A scenario whose typed calls send anything other than what was recorded fails
//! with the transcript's mismatch (expected line, actual line, transcript line number).
//!
//! Re-record every transcript against the real Rumor (found like `find_rumor`), then replay it:
//!
//! ```sh
//! scripts/record-transcripts     # = PYRUM_RECORD_TRANSCRIPTS=1 cargo test --test replay
//! ```

use std::future::Future;
use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use pyrum::prelude::*;
use pyrum::replay::{RecordExt, Replay};
use serde_json::Value;

#[allow(dead_code)]
mod common;

const LOCALHOST: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// Upper bound for any awaited event (against real Rumor; a replay takes milliseconds).
const LIMIT: Duration = Duration::from_secs(10);

/// Set (to anything but `0`) to re-record the transcripts against the real Rumor.
const RECORD_VAR: &str = "PYRUM_RECORD_TRANSCRIPTS";

fn transcript(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/transcripts")
        .join(format!("{name}.jsonl"))
}

fn recording() -> bool {
    std::env::var_os(RECORD_VAR).is_some_and(|v| !v.is_empty() && v != "0")
}

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {LIMIT:?}"))
}

/// Records `scenario` against the real Rumor when [`RECORD_VAR`] is set (the old transcript
/// is replaced only if the scenario passes), then replays the transcript and checks that the
/// scenario sent every recorded line.
async fn record_and_replay<F, Fut>(name: &str, scenario: F)
where
    F: Fn(Rumor) -> Fut,
    Fut: Future<Output = Result<()>>,
{
    let path = transcript(name);
    if recording() {
        let bin = pyrum::find_rumor()
            .unwrap_or_else(|e| panic!("{RECORD_VAR} records against the real Rumor: {e}"));
        let fresh = path.with_extension("jsonl.new");
        let rumor = Rumor::builder()
            .rumor_bin(bin)
            .record_to(&fresh)
            .spawn()
            .await
            .expect("rumor bare starts");
        scenario(rumor.clone())
            .await
            .unwrap_or_else(|e| panic!("{name} against the real Rumor: {e}"));
        rumor.close().await.expect("exit");
        std::fs::rename(&fresh, &path).expect("replacing the transcript");
    }
    let started = Instant::now();
    let replay = Replay::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let rumor = replay.rumor();
    scenario(rumor.clone())
        .await
        .unwrap_or_else(|e| panic!("replay of {name}: {e}"));
    rumor.close().await.expect("exit");
    replay.finish().unwrap_or_else(|m| panic!("{m}"));
    eprintln!("replayed {name} in {:?}", started.elapsed());
}

/// The peer ids in a `peer list` result (without `--details`: an array of ids).
fn peer_ids(peers: &Value) -> Vec<PeerId> {
    peers
        .as_array()
        .unwrap_or_else(|| panic!("`peers` is an array of ids: {peers}"))
        .iter()
        .map(|p| PeerId::from_field(p).expect("a peer id"))
        .collect()
}

// ---- two actors ----------------------------------------------------------------------------

/// A host starts, listens on `tcp` (0: the OS picks) and shows its address; a peer connects to
/// it and lists it.
async fn two_actors(rumor: Rumor, tcp: u16) -> Result<()> {
    let (host, peer) = (rumor.actor("host")?, rumor.actor("peer")?);
    host.host().start().await?;
    let listen = host.host().listen().ip(LOCALHOST).tcp(tcp).await?;
    let view = host.host().view().await?;
    assert!(
        listen
            .addr
            .as_str()
            .ends_with(&format!("/p2p/{}", view.peer_id)),
        "{listen:?}"
    );
    assert_eq!(view.addr.len(), 1, "{view:?}");
    assert!(
        view.addr[0].as_str().starts_with("/ip4/127.0.0.1/tcp/"),
        "{view:?}"
    );

    peer.host().start().await?;
    let connected = peer.peer().connect(view.addr[0].clone()).await?;
    assert_eq!(connected.peer_id, view.peer_id);
    let list = peer.peer().list().await?;
    assert_eq!(peer_ids(&list.peers), [view.peer_id], "{list:?}");
    Ok(())
}

#[tokio::test]
async fn replay_two_actors() {
    record_and_replay("two_actors", |rumor| two_actors(rumor, 0)).await;
}

#[tokio::test]
async fn replay_fails_readably_when_a_call_changes() {
    let path = transcript("two_actors");
    let replay = Replay::open(&path).unwrap_or_else(|e| panic!("{e}"));
    let rumor = replay.rumor();
    // The recording listened on --tcp=0; this run asks for 9000 (nothing binds it: no Rumor).
    let err = two_actors(rumor, 9000)
        .await
        .expect_err("a changed flag must not replay");
    assert!(err.is_disconnected(), "{err:?}");
    let text = err.to_string();
    eprintln!("{text}");
    for needle in [
        "transcript mismatch: the program's line 2 differs from line",
        "two_actors.jsonl",
        "expected: '_<id>' 'host:' 'lvl_trace' 'host' 'listen' '--ip=127.0.0.1' '--tcp=0' &",
        "actual:   '_<id>' 'host:' 'lvl_trace' 'host' 'listen' '--ip=127.0.0.1' '--tcp=9000' &",
        "first difference at column",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    let mismatch = replay.mismatch().expect("the replay keeps the mismatch");
    assert_eq!(mismatch.sent, 2);
    assert!(mismatch.line > 2, "{mismatch:?}");
    assert_eq!(replay.finish(), Err(mismatch));
}

#[tokio::test]
async fn replay_reports_recorded_lines_never_sent() {
    let replay = Replay::open(transcript("two_actors")).unwrap_or_else(|e| panic!("{e}"));
    let rumor = replay.rumor();
    rumor.actor("host").unwrap().host().start().await.unwrap();
    // The scenario stops here: the transcript still expects `host listen`.
    let missing = replay.finish().expect_err("lines were never sent");
    assert_eq!(missing.sent, 2);
    assert!(missing.actual.is_none());
    let text = missing.to_string();
    assert!(
        text.contains("the program stopped after 1 line;")
            && text.contains("'host' 'listen' '--ip=127.0.0.1' '--tcp=0'"),
        "{text}"
    );
}

// ---- connect.rumor -------------------------------------------------------------------------
// Rumor's scripts/tests/connect.rumor (v0.3.6), typed: alice with a fixed key, both watch
// `host notify all`, bob connects, lists, inspects and disconnects alice, both are killed.
// Free ports instead of 9001/9002; awaited notifications instead of the script's `bg` calls.

const CONNECT_ALICE_PRIV: &str = "4fbdc938929d6286339ff996c7d5d374bb11b3d624ee2761af10a4c74002fcea";
const CONNECT_ALICE_ID: &str = "16Uiu2HAm9jTVTnbEp1mXDvcd6eUGAtV9ARPUgkxDVysZtBzQUgnN";

async fn connect_script(rumor: Rumor) -> Result<()> {
    let (alice, bob) = (rumor.actor("alice")?, rumor.actor("bob")?);
    alice
        .host()
        .start()
        .r#priv(CONNECT_ALICE_PRIV.parse::<PrivKey>()?)
        .await?;
    bob.host().start().await?;
    let alice_notify = alice.host().notify().events(["all"]).await?;
    let bob_notify = bob.host().notify().events(["all"]).await?;

    let alice_id = PeerId::new(CONNECT_ALICE_ID)?;
    let view = alice.host().view().await?;
    assert_eq!(view.peer_id, alice_id, "the key fixes the peer id");
    assert!(view.addr.is_empty(), "not listening yet: {view:?}");

    alice.host().listen().ip(LOCALHOST).tcp(0).await?;
    bob.host().listen().ip(LOCALHOST).tcp(0).await?;
    common::await_event(&alice_notify, "listen_open", LIMIT).await?;
    let alice_addr = alice.host().view().await?.addr[0].clone();
    assert!(
        alice_addr.as_str().ends_with(CONNECT_ALICE_ID),
        "{alice_addr}"
    );

    let connected = bob.peer().connect(alice_addr).await?;
    assert_eq!(connected.peer_id, alice_id);
    common::await_event(&alice_notify, "connection_open", LIMIT).await?;
    common::await_event(&bob_notify, "connection_open", LIMIT).await?;

    let details = bob.peer().list().details(true).await?;
    let by_id = details.peers.as_object().expect("--details: id -> data");
    assert_eq!(
        by_id.keys().collect::<Vec<_>>(),
        [CONNECT_ALICE_ID],
        "{details:?}"
    );
    let info = bob.peer().info(alice_id.clone()).await?;
    assert_eq!(info.peer_id, alice_id);

    bob.peer().disconnect(alice_id).await?;
    common::await_event(&bob_notify, "connection_close", LIMIT).await?;
    let after = bob.peer().list().await?;
    assert!(peer_ids(&after.peers).is_empty(), "{after:?}");

    alice.kill().await?;
    bob.kill().await?;
    within("alice's notify ends", alice_notify.finished()).await?;
    within("bob's notify ends", bob_notify.finished()).await?;
    Ok(())
}

#[tokio::test]
async fn replay_connect_script() {
    record_and_replay("connect_script", connect_script).await;
}

// ---- the seed scenario (examples/status_exchange.rs) ---------------------------------------
// Two actors, two concurrent sleeps, bob's ENR, a connection, peer lists, and a Status
// exchange: alice's listener answers bob's request from its own task while bob's request steps
// through, so the two send at the same time. One difference from the example: alice's task
// answers one request and ends, and the listener is cancelled after it (the example's loop
// races its next `next` with the cancel, which a replay cannot always repeat).

const BOB_HEX: &str = "000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000007b00000000000000";

async fn status_exchange(rumor: Rumor) -> Result<()> {
    use pyrum::rpc::{ListenExt, RequestExt};
    use pyrum::ssz::Status;

    let (alice, bob) = (rumor.actor("alice")?, rumor.actor("bob")?);
    for actor in [&alice, &bob] {
        actor.host().start().await?;
        actor.host().listen().ip(LOCALHOST).tcp(0).await?;
    }

    let long_call = alice.sleep(Duration::from_secs(5)).send().await?;
    let short_call = alice.sleep(Duration::from_secs(3)).send().await?;
    short_call.result().await?;
    long_call.result().await?;

    let bob_view = bob.host().view().await?;
    assert_eq!(bob_view.addr.len(), 1, "{bob_view:?}");
    let made = bob.enr().make().await?;
    let bob_enr = bob.host().view().await?.enr.expect("an ENR after enr make");
    assert_eq!(bob_enr, made.enr);
    let enr = bob.enr().view().enr(bob_enr.clone()).kv(true).await?;
    assert_eq!(enr.peer_id, bob_view.peer_id);
    assert_eq!(enr.multi.as_ref(), Some(&bob_view.addr[0]));
    let kv = enr.enr_kv.as_ref().expect("enr_kv with --kv=true");
    assert_eq!(kv["ip"], "127.0.0.1");

    let connected = alice.peer().connect(bob_view.addr[0].clone()).await?;
    assert_eq!(connected.peer_id, bob_view.peer_id);
    let bob_addrs = bob.host().view().await?.addr;
    assert_eq!(bob_addrs, bob_view.addr);
    let alice_peers = alice.peer().list().details(true).await?;
    assert!(
        alice_peers.peers.get(bob_view.peer_id.as_str()).is_some(),
        "{alice_peers:?}"
    );
    let alice_id = alice.host().view().await?.peer_id;
    let bob_peers = bob.peer().list().await?;
    assert_eq!(peer_ids(&bob_peers.peers), std::slice::from_ref(&alice_id));

    let alice_status = Status {
        head_slot: 42,
        ..Default::default()
    };
    let bob_status = Status {
        head_slot: 123,
        ..Default::default()
    };
    assert_eq!(bob_status.to_hex(), BOB_HEX);
    let listener = alice.rpc().status().listen().raw(true).await?;
    let requests = listener.clone();
    let (expected_from, answer) = (bob_view.peer_id.clone(), alice_status);
    let alice_work = tokio::spawn(async move {
        let req = requests.next_request().await?;
        assert_eq!(req.req_id, 0);
        assert_eq!(req.from, expected_from);
        assert_eq!(req.hex(), Some(BOB_HEX));
        assert_eq!(req.data::<Status>()?, bob_status);
        req.respond_chunk(&answer).done(true).await?;
        Ok::<_, Error>(())
    });
    let resp = bob
        .rpc()
        .status()
        .req()
        .raw(alice_id.clone(), &bob_status)
        .raw(true)
        .response()
        .await?;
    let chunk = resp.chunk()?;
    assert_eq!(resp.chunks.len(), 1, "{resp:?}");
    assert_eq!((chunk.chunk_index, chunk.result_code), (0, 0));
    assert_eq!(chunk.from, alice_id);
    assert_eq!(chunk.data::<Status>()?, alice_status);
    within("alice's task", alice_work)
        .await
        .expect("alice's task panicked")?;
    listener.cancel().await?;
    assert!(listener.call().is_finished());
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_status_exchange() {
    record_and_replay("status_exchange", status_exchange).await;
}
