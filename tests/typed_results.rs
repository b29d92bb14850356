//! Result fields the spec types as lists, maps, records and the `pyrum::ssz` containers, read
//! from what the real Rumor v0.3.6 logs: one real call (or more) per command whose results
//! were `json` before.

use std::time::Duration;

use pyrum::commands::{BlockSummary, StateSummary, SyncChunk};
use pyrum::gossip::GossipExt;
use pyrum::prelude::*;
use pyrum::ssz::{genesis_state_ssz, BeaconBlocksByRangeRequest, MetaData, Status};

#[allow(dead_code)]
mod common;

use common::chain::{signed_block_ssz, Block, TempDir};

/// Bounds each wait for an entry that a long-running call logs.
const LIMIT: Duration = Duration::from_secs(20);

/// The next value of a typed stream, within [`LIMIT`].
async fn next_of<T>(what: &str, values: &mut pyrum::Values<T>) -> T
where
    T: pyrum::types::FromField + Unpin,
{
    tokio::time::timeout(LIMIT, values.next())
        .await
        .unwrap_or_else(|_| panic!("no {what} within {LIMIT:?}"))
        .unwrap_or_else(|| panic!("the call ended before logging {what}"))
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// The raw JSON Rumor logged for `key` (to show which hex form a typed value was read from).
fn logged(entries: &[std::sync::Arc<pyrum::Entry>], key: &str) -> serde_json::Value {
    entries
        .iter()
        .find_map(|e| e.fields.get(key).cloned())
        .unwrap_or_else(|| panic!("no entry logged `{key}`"))
}

#[pyrum::test(actors = ["alice", "bob"], connected, timeout = "60s")]
async fn peer_status_metadata_and_info_are_typed(alice: Actor, bob: Actor) -> Result<()> {
    let alice_view = alice.host().view().await?;
    let alice_id = alice_view.peer_id.clone();

    // Status: `peer status set/get` log it with bare hex.
    let status = Status {
        fork_digest: ForkDigest([0xaa, 0xbb, 0xcc, 0xdd]),
        finalized_root: Root([2; 32]),
        finalized_epoch: 2,
        head_root: Root([1; 32]),
        head_slot: 7,
    };
    let set = alice
        .peer()
        .status()
        .set()
        .fork_digest(status.fork_digest)
        .finalized_root(status.finalized_root)
        .finalized_epoch(2)
        .head_root(status.head_root)
        .head_slot(7)
        .await?;
    assert_eq!(set.status, status, "{set:?}");
    assert_eq!(logged(&set.entries, "status")["head_root"], "01".repeat(32));
    let get = alice.peer().status().get().await?;
    assert_eq!((get.status, get.following), (status, false));
    let serve = alice.peer().status().serve().await?;

    // MetaData: `peer metadata set/get` log attnets with bare hex.
    let metadata = MetaData {
        seq_number: 3,
        attnets: Attnets([1, 0, 0, 0, 0, 0, 0, 0x80]),
    };
    let md_set = alice
        .peer()
        .metadata()
        .set()
        .seq_number(3)
        .attnets(metadata.attnets)
        .await?;
    assert_eq!(md_set.metadata, metadata);
    assert_eq!(
        logged(&md_set.entries, "metadata")["attnets"],
        "0100000000000080"
    );
    assert_eq!(alice.peer().metadata().get().await?.metadata, metadata);
    let _md_serve = alice.peer().metadata().serve().await?;
    let _pong = alice.peer().metadata().pong().await?;

    // Bob asks: alice's serve logs bob's status (0x form) as a Status.
    bob.peer().status().set().head_slot(9).await?;
    let req = bob.peer().status().req(alice_id.clone()).await?;
    assert_eq!(
        (req.code, req.head_slot, req.head_root),
        (0, Some(7), Some(status.head_root)),
        "{req:?}"
    );
    let mut data = serve.stream_data();
    let bob_status = next_of("the requester's status", &mut data).await;
    assert_eq!(bob_status.head_slot, 9);
    let raw = serve.call().latest("data").expect("data logged");
    assert!(
        raw["head_root"].as_str().unwrap().starts_with("0x"),
        "{raw}"
    );

    // A ping with --update fetches alice's metadata (bare hex).
    let ping = bob
        .peer()
        .metadata()
        .ping(alice_id.clone())
        .update(true)
        .await?;
    assert_eq!(ping.metadata, Some(metadata), "{ping:?}");

    // `peer info` on bob: status and metadata in the 0x form, addresses, protocols.
    let info = bob.peer().info(alice_id.clone()).await?;
    assert_eq!(info.status, Some(status), "{info:?}");
    assert_eq!(info.metadata, Some(metadata), "{info:?}");
    assert!(logged(&info.entries, "status")["fork_digest"] == "0xaabbccdd");
    let addrs = info.addrs.clone().expect("alice's addresses");
    let listen = Multiaddr::new(
        alice_view.addr[0]
            .as_str()
            .split("/p2p/")
            .next()
            .unwrap()
            .to_string(),
    )?;
    assert!(addrs.contains(&listen), "{addrs:?} lacks {listen}");
    let protocols = info.protocols.clone().expect("identify ran");
    assert!(
        protocols
            .iter()
            .any(|p| p == "/eth2/beacon_chain/req/status/1/ssz_snappy"),
        "{protocols:?}"
    );

    // Polling: every round fetches the metadata (forced), typed on the stream.
    let poll = bob
        .peer()
        .metadata()
        .poll()
        .interval(Duration::from_millis(300))
        .force_update(true)
        .await?;
    let mut polled = poll.stream_metadata();
    assert_eq!(next_of("polled metadata", &mut polled).await, metadata);
    poll.cancel().await?;

    // `peer addrs`: the host's own as multiaddr text, a remote peer's as base64 of the binary
    // form (/ip4/127.0.0.1/tcp/... begins with the bytes 04 7f 00 00 01 06: "BH8AAAEG").
    let own = bob.peer().addrs().await?;
    assert!(!own.addrs.is_empty());
    for a in &own.addrs {
        Multiaddr::new(a.clone())?;
    }
    let remote = bob.peer().addrs().peer_id(alice_id.clone()).await?;
    assert!(
        !remote.addrs.is_empty() && remote.addrs.iter().all(|a| a.starts_with("BH8AAAEG")),
        "{remote:?}"
    );

    // Lists of strings.
    assert!(bob.peer().track().list().await?.tees.is_empty());
    let stores = bob.peerstore().list().await?;
    assert_eq!(stores.stores.len(), 2, "one per actor: {stores:?}");
    assert!(stores.stores.contains(&stores.current), "{stores:?}");

    serve.cancel().await?;
    Ok(())
}

#[pyrum::test(actors = ["alice", "bob", "carol"], timeout = "60s")]
async fn gossip_peers_and_connectall_addresses_are_typed(
    alice: Actor,
    bob: Actor,
    carol: Actor,
) -> Result<()> {
    // `gossip list-peers`: null while nobody else is on the topic, then peer ids. GossipSub
    // learns of connections made after it started, so the peers connect afterwards.
    for actor in [&alice, &bob] {
        actor.gossip().start().await?;
        actor.gossip().join("typed").await?;
    }
    let alone = alice.gossip().list_peers("typed").await?;
    assert!(alone.peers.is_empty(), "{alone:?}");
    assert!(logged(&alone.entries, "peers").is_null(), "Rumor logs null");
    let _alice_log = alice.gossip().log("typed").await?;
    let _bob_log = bob.gossip().log("typed").await?;
    let bob_view = bob.host().view().await?;
    alice.peer().connect(bob_view.addr[0].clone()).await?;
    // (`wait_for_topic_peers` asks `gossip list-peers` until bob shows.)
    alice.wait_for_topic_peers("typed", 1, LIMIT).await?;
    let listed = alice.gossip().list_peers("typed").await?;
    assert_eq!(listed.peers, [bob_view.peer_id], "{listed:?}");

    // `peer connectall` tries the peers of the peerstore it is not connected to: carol, added
    // by address. Its debug entry lists the addresses as base64 of their binary form.
    let carol_addr = carol.host().view().await?.addr[0].clone();
    alice.peer().add(carol_addr).await?;
    let connectall = alice.peer().connectall().workers(1).await?;
    let mut tried = connectall.stream_addrs();
    let addrs = next_of("the addresses tried", &mut tried).await;
    assert!(
        !addrs.is_empty() && addrs.iter().all(|a| a.starts_with("BH8AAAEG")),
        "{addrs:?}"
    );
    connectall.cancel().await?;
    Ok(())
}

/// Also the round trips of `list<root>` (alice's block roots are bob's sync request), `u64` and
/// `slot` (the by-range request alice logged, sent again) and `i64` (the index of a stored
/// block, as a host's peer watermark).
#[pyrum::test(actors = ["alice", "bob"], timeout = "90s")]
async fn blocks_states_and_chain_are_typed(rumor: Rumor, alice: Actor, bob: Actor) -> Result<()> {
    let files = TempDir::new("chain");
    let state_file = files.file("genesis.ssz", &genesis_state_ssz());
    let block = Block {
        slot: 3,
        proposer: 7,
        parent: [0x11; 32],
        state: [0x22; 32],
        signature: [0x33; 96],
    };
    let block_file = files.file("block.ssz", &signed_block_ssz(&block));

    // Each actor: a file-backed blocks DB (memory ones panic on reads at v0.3.6), a states DB
    // with the genesis state, and a chain from it.
    let dbs = [TempDir::new("alice-blocks"), TempDir::new("bob-blocks")];
    for ((actor, name), dir) in [(&alice, "alice"), (&bob, "bob")].into_iter().zip(&dbs) {
        actor
            .blocks()
            .create(format!("{name}-blocks"))
            .path(dir.text())
            .await?;
        actor.states().create(format!("{name}-states")).await?;
        let imported = actor
            .states()
            .db()
            .import()
            .input(state_file.clone())
            .await?;
        assert!(!imported.existed);
        let roots = actor.states().db().list().await?;
        assert_eq!(roots.state_roots, [imported.root], "{roots:?}");
        assert!(logged(&roots.entries, "state_roots")[0]
            .as_str()
            .unwrap()
            .starts_with("0x"));
        let summary: StateSummary = actor
            .states()
            .db()
            .get(imported.root)
            .await?
            .state
            .expect("the state is known");
        assert_eq!(summary.slot, 0);
        assert_eq!(summary.parent_block, Root::default());
        actor
            .chain()
            .create(format!("{name}-chain"), imported.root)
            .await?;
    }
    let lists = alice.states().list().await?;
    assert_eq!(lists.dbs.len(), 2, "shared by all actors: {lists:?}");
    assert_eq!(lists.current, "alice-states");
    let chains = bob.chain().list().await?;
    let mut names = chains.chains.clone();
    names.sort();
    assert_eq!(names, ["alice-chain", "bob-chain"]);
    assert_eq!(chains.current, "bob-chain");
    assert!(bob
        .blocks()
        .list()
        .await?
        .dbs
        .contains(&"alice-blocks".to_string()));

    // A block in alice's DB, summarized (roots and signature logged without 0x).
    alice.blocks().db().import().input(block_file).await?;
    let block_roots = alice.blocks().db().list().await?.block_roots;
    assert_eq!(block_roots.len(), 1);
    let got: BlockSummary = alice
        .blocks()
        .db()
        .get(block_roots[0])
        .await?
        .block
        .expect("the block is known");
    assert_eq!((got.slot, got.proposer), (3, 7));
    assert_eq!(got.parent, Root(block.parent));
    assert_eq!(got.state, Root(block.state));
    assert_eq!(got.signature.0, block.signature);

    // Alice serves blocks; bob connects afterwards, so identify tells him the protocols.
    let by_root = alice
        .chain()
        .this()
        .serve()
        .by_root()
        .within_view(false)
        .await?;
    let by_range = alice.chain().this().serve().by_range().await?;
    let alice_view = alice.host().view().await?;
    bob.peer().connect(alice_view.addr[0].clone()).await?;

    // By root, for the roots alice listed: one chunk with the block (not processed: a chain
    // from a genesis state takes no blocks at v0.3.6), stored in bob's DB.
    let synced = bob
        .chain()
        .this()
        .sync()
        .by_root()
        .peer(alice_view.peer_id.clone())
        .roots(block_roots.clone())
        .process(false)
        .await?;
    assert_eq!(synced.chunk.len(), 1, "{synced:?}");
    let chunk: &SyncChunk = &synced.chunk[0];
    assert_eq!(
        (
            &chunk.from,
            chunk.chunk_index,
            chunk.result_code,
            &chunk.msg
        ),
        (&alice_view.peer_id, 0, 0, &None),
        "{chunk:?}"
    );
    assert!(chunk.chunk_size > 0);
    assert_eq!(synced.root, block_roots, "stored: {synced:?}");
    assert_eq!(synced.i, [1], "{synced:?}");
    assert_eq!(bob.blocks().db().list().await?.block_roots, block_roots);
    let mut asked = by_root.stream_req();
    assert_eq!(
        next_of("the by-root request", &mut asked).await,
        block_roots
    );

    // By range: alice's chain cannot be iterated (genesis anchor), so she answers with an
    // error chunk, which fails bob's call; the chunk is typed on the call all the same.
    let range = bob
        .chain()
        .this()
        .sync()
        .by_range()
        .peer(alice_view.peer_id.clone())
        .start(0)
        .count(1)
        .step(1)
        .send()
        .await?;
    let err = range
        .result()
        .await
        .expect_err("an error chunk fails the sync");
    assert!(err.to_string().contains("no chain available"), "{err}");
    let mut chunks = range.values::<SyncChunk>("chunk");
    let chunk = next_of("the error chunk", &mut chunks).await;
    assert_eq!(chunk.result_code, 2, "{chunk:?}");
    assert_eq!(chunk.msg.as_deref(), Some("no chain available"));
    let mut requests = by_range.stream_req();
    let request = next_of("the by-range request", &mut requests).await;
    assert_eq!(
        request,
        BeaconBlocksByRangeRequest {
            start_slot: 0,
            count: 1,
            step: 1
        }
    );

    // The request's numbers go back: the same request again, from what alice logged.
    let again = bob
        .chain()
        .this()
        .sync()
        .by_range()
        .peer(alice_view.peer_id.clone())
        .start(request.start_slot)
        .count(request.count)
        .step(request.step)
        .send()
        .await?;
    again.result().await.expect_err("the same answer");
    assert_eq!(
        next_of("the second by-range request", &mut requests).await,
        request
    );
    // An i64 Rumor logged, back as an i64 flag.
    let carol = rumor.actor("carol")?;
    carol
        .host()
        .start()
        .lo_peers(synced.i[0])
        .hi_peers(synced.i[0] + 1)
        .await?;

    by_root.cancel().await?;
    by_range.cancel().await?;
    Ok(())
}
