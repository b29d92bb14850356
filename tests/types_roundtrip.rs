//! Values that come out of Rumor go back in as Rumor accepts them, through the real binary:
//! every type the spec has both in results and in arguments (the first test finds them in the
//! spec and names the test below that sends each back); values built with the ecosystem's
//! crates too; and bad values are [`Error::InvalidInput`] before anything is sent.

use std::net::{IpAddr, Ipv4Addr};
use std::time::{Duration, Instant};

use pyrum::gossip::GossipLogExt;
use pyrum::prelude::*;
#[cfg(feature = "ecosystem-ids")]
use pyrum::types::ecosystem::{libp2p_identity, multiaddr, EnrRecord};
use pyrum::types::{EnrOrEnode, HexBytes, NodeIdFlex};

#[allow(dead_code)]
mod common;

const LIMIT: Duration = Duration::from_secs(20);

async fn started(rumor: &Rumor, name: &str) -> pyrum::Result<Actor> {
    let actor = rumor.actor(name)?;
    actor.host().start().await?;
    actor.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    Ok(actor)
}

/// Each argument type that takes values Rumor logs (found in the spec by
/// `pyrum_codegen::round_trips`), and the test that sends such a value back to the real Rumor.
const CHECKED: &[(&str, &str)] = &[
    ("string", "strings_and_numbers_go_back_to_rumor"),
    ("bool", "status_and_metadata_go_back_to_rumor"),
    ("u8", "request_ids_and_result_codes_go_back_to_rumor"),
    ("u64", "blocks_states_and_chain_are_typed"),
    ("i64", "blocks_states_and_chain_are_typed"),
    ("duration", "strings_and_numbers_go_back_to_rumor"),
    ("hex", "hex_bytes_go_back_to_rumor"),
    ("root", "status_and_metadata_go_back_to_rumor"),
    ("fork_digest", "status_and_metadata_go_back_to_rumor"),
    ("version", "enr_fields_and_keys_go_back_to_rumor"),
    ("attnets", "status_and_metadata_go_back_to_rumor"),
    ("slot", "status_and_metadata_go_back_to_rumor"),
    ("epoch", "status_and_metadata_go_back_to_rumor"),
    ("seq_nr", "status_and_metadata_go_back_to_rumor"),
    ("req_id", "request_ids_and_result_codes_go_back_to_rumor"),
    ("peer_id", "peer_id_and_multiaddr_go_back_to_rumor"),
    ("enr", "node_id_and_enr_go_back_to_rumor"),
    ("enr_or_enode", "discovery_values_go_back_to_rumor"),
    ("flex_addr", "peer_id_and_multiaddr_go_back_to_rumor"),
    ("node_id_flex", "node_id_and_enr_go_back_to_rumor"),
    ("priv_key", "enr_fields_and_keys_go_back_to_rumor"),
    ("ip", "discovery_values_go_back_to_rumor"),
    ("list<string>", "strings_and_numbers_go_back_to_rumor"),
    ("list<root>", "blocks_states_and_chain_are_typed"),
    ("list<enr_or_enode>", "discovery_values_go_back_to_rumor"),
];

/// The test files that hold the checks.
const TEST_FILES: &[(&str, &str)] = &[
    (
        "tests/types_roundtrip.rs",
        include_str!("types_roundtrip.rs"),
    ),
    ("tests/typed_results.rs", include_str!("typed_results.rs")),
];

/// The spec decides which types go back; a new one (a result type that an argument now takes,
/// or a new argument type that takes logged values) fails here until a test sends such a value
/// back to the real Rumor and is listed in [`CHECKED`].
#[test]
fn every_type_that_goes_back_to_rumor_has_a_real_check() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("commands.toml");
    let spec = pyrum_codegen::Spec::load(&path).unwrap_or_else(|e| panic!("{e}"));
    let trips = pyrum_codegen::round_trips(&spec).unwrap_or_else(|e| panic!("{e:?}"));
    let mut missing = Vec::new();
    for t in &trips {
        let name = t.arg.name();
        if !CHECKED.iter().any(|(ty, _)| *ty == name) {
            let from: Vec<String> = t
                .from
                .iter()
                .map(|(ty, at)| format!("{ty} from `{at}`"))
                .collect();
            missing.push(format!(
                "{name} (taken by `{}`; values: {})",
                t.taken_by,
                from.join(", ")
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "these types go back to Rumor but no test sends such a value back to the real binary; \
         write one and list it in CHECKED: {}",
        missing.join("; ")
    );
    for (ty, test) in CHECKED {
        assert!(
            trips.iter().any(|t| t.arg.name() == *ty),
            "CHECKED lists {ty}, which the spec no longer has both in results and arguments: remove it"
        );
        let needle = format!("async fn {test}(");
        assert!(
            TEST_FILES.iter().any(|(_, text)| text.contains(&needle)),
            "CHECKED names {test} for {ty}, but none of {:?} has it",
            TEST_FILES.iter().map(|(f, _)| *f).collect::<Vec<_>>()
        );
    }
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|s| s.local_addr())
        .expect("a free udp port")
        .port()
}

/// `enr view` prints a node id; `dv5 lookup` takes it back (bare hex). With `0x`, Rumor's
/// parser refuses it, which is why pyrum never writes one there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_id_and_enr_go_back_to_rumor() -> pyrum::Result<()> {
    let rumor = common::spawn_bare().await;
    let alice = rumor.actor("alice")?;
    let udp = free_udp_port();
    let made = alice.enr().make().ip(Ipv4Addr::LOCALHOST).udp(udp).await?;
    // ENR: out of `enr make`, into `enr view`, unchanged; the `enr` crate reads the same record.
    let view = rumor.enr().view().enr(made.enr.clone()).await?;
    assert_eq!(view.enr, made.enr);
    #[cfg(feature = "ecosystem-ids")]
    {
        let record: EnrRecord = made.enr.to_record()?;
        assert_eq!(record.udp4(), Some(udp));
        assert_eq!(
            made.enr.node_id()?,
            view.node_id,
            "the crate's node id is Rumor's"
        );
        // An ENR written by the crate goes in too.
        let rewritten = Enr::from(&record);
        let again = rumor.enr().view().enr(rewritten.clone()).await?;
        assert_eq!(again.node_id, view.node_id);
        assert_eq!(again.enr, rewritten);
    }

    // NodeId: out of `enr view`, into `dv5 lookup` (which needs discv5 running).
    let node_id: NodeId = view.node_id;
    assert!(!node_id.to_string().starts_with("0x"), "{node_id}");
    let dv5 = alice.dv5().run().ip(Ipv4Addr::LOCALHOST).udp(udp).await?;
    let found = alice.dv5().lookup(node_id).await?;
    assert!(
        found.nodes.iter().all(|n| n.as_str().starts_with("enr:")),
        "{found:?}"
    );
    // ... and as an ENR, which Rumor turns into the same id.
    alice.dv5().lookup(made.enr.clone()).await?;
    // What Rumor says to `0x` (sent untyped, since the typed API refuses to build it).
    let with_0x = format!("0x{node_id}");
    let refused = alice
        .call(Command::new(["dv5", "lookup"]).positional(with_0x.clone()))
        .await?
        .setup()
        .await
        .expect_err("Rumor reads bare hex only");
    assert!(
        refused.to_string().contains("not a valid node ID"),
        "{refused}"
    );
    let caught = NodeIdFlex::new(with_0x).expect_err("refused before sending");
    assert!(matches!(caught, Error::InvalidInput { .. }), "{caught:?}");
    dv5.cancel().await?;
    Ok(())
}

/// Peer ids and multiaddrs from `host view` go back into `peer connect` and `peer info`; so do
/// ones built with `multiaddr` and `libp2p-identity`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peer_id_and_multiaddr_go_back_to_rumor() -> pyrum::Result<()> {
    let rumor = common::spawn_bare().await;
    let alice = started(&rumor, "alice").await?;
    let bob = started(&rumor, "bob").await?;
    let charlie = started(&rumor, "charlie").await?;
    let alice_view = alice.host().view().await?;

    // As printed: `host view` -> `peer connect`, `peer info`.
    let connected = bob.peer().connect(alice_view.addr[0].clone()).await?;
    assert_eq!(connected.peer_id, alice_view.peer_id);
    let info = bob.peer().info(alice_view.peer_id.clone()).await?;
    assert_eq!(info.peer_id, alice_view.peer_id);

    // Built by the crates: the same address and id, parsed and written back.
    #[cfg(feature = "ecosystem-ids")]
    {
        let parsed: multiaddr::Multiaddr = alice_view.addr[0].to_multiaddr()?;
        let id: libp2p_identity::PeerId = alice_view.peer_id.to_libp2p()?;
        assert_eq!(
            alice_view.addr[0].peer_id().as_ref(),
            Some(&alice_view.peer_id)
        );
        let mut built = multiaddr::Multiaddr::empty();
        for part in parsed.iter() {
            if !matches!(part, multiaddr::Protocol::P2p(_)) {
                built.push(part);
            }
        }
        built.push(multiaddr::Protocol::P2p(id));
        let connected = charlie.peer().connect(Multiaddr::from(built)).await?;
        assert_eq!(connected.peer_id, alice_view.peer_id);
        let info = charlie.peer().info(PeerId::from(id)).await?;
        assert_eq!(info.peer_id, alice_view.peer_id);
    }
    let _ = &charlie;

    // Bad values never reach Rumor.
    let calls_before = rumor.pending_calls();
    for bad in [
        "/ip4/999.1.1.1/tcp/x",
        "/ip4/127.0.0.1/tcp/99999",
        "ip4/1.2.3.4",
    ] {
        let err = Multiaddr::new(bad).expect_err(bad);
        assert!(
            matches!(
                &err,
                Error::InvalidInput {
                    what: "multiaddr",
                    ..
                }
            ),
            "{err:?}"
        );
    }
    assert!(matches!(
        PeerId::new("16Uiu2HAm-not-base58"),
        Err(Error::InvalidInput { .. })
    ));
    assert_eq!(rumor.pending_calls(), calls_before);
    Ok(())
}

/// Hex bytes (every byte value) go in as `gossip publish` data and come back as `gossip log`
/// data, the same.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hex_bytes_go_back_to_rumor() -> pyrum::Result<()> {
    let rumor = common::spawn_bare().await;
    let alice = started(&rumor, "alice").await?;
    alice.gossip().start().await?;
    alice.gossip().join("bytes").await?;
    let log = alice.gossip().log("bytes").await?;
    let all: Vec<u8> = (0..=255).collect();
    alice.gossip().publish("bytes", all.clone()).await?;
    let mut messages = log.messages();
    let msg = messages.next_within(LIMIT).await?;
    assert_eq!(msg.data, HexBytes(all.clone()));
    // The logged hex goes back in as it is (on bob's own gossipsub: alice's has seen it).
    let bob = started(&rumor, "bob").await?;
    bob.gossip().start().await?;
    bob.gossip().join("bytes").await?;
    let bob_log = bob.gossip().log("bytes").await?;
    bob.gossip().publish("bytes", msg.data.clone()).await?;
    let echoed = bob_log.messages().next_within(LIMIT).await?;
    assert_eq!(echoed.data.0, all);
    log.cancel().await?;
    bob_log.cancel().await?;
    Ok(())
}

/// A Status and a MetaData as `peer info` logs them (hex with 0x) go back field by field into
/// `peer status set` / `peer metadata set` (pyrum writes roots, digests and attnets with 0x);
/// `peer status get` / `peer metadata get` (bare hex) read back the same. A bool goes back too.
#[pyrum::test(actors = ["alice", "bob", "charlie"], connected, timeout = "60s")]
async fn status_and_metadata_go_back_to_rumor(
    alice: Actor,
    bob: Actor,
    charlie: Actor,
) -> Result<()> {
    let alice_id = alice.host().view().await?.peer_id;
    alice
        .peer()
        .status()
        .set()
        .fork_digest([0xaa, 0xbb, 0xcc, 0xdd])
        .finalized_root([2; 32])
        .finalized_epoch(5)
        .head_root([1; 32])
        .head_slot(77)
        .await?;
    let status_serve = alice.peer().status().serve().await?;
    alice
        .peer()
        .metadata()
        .set()
        .seq_number(9)
        .attnets([0x0f, 0, 0, 0, 0, 0, 0, 0x80])
        .await?;
    let metadata_serve = alice.peer().metadata().serve().await?;
    let pong = alice.peer().metadata().pong().await?;

    // Bob asks alice; his peerstore keeps both, and `peer info` logs them with 0x.
    bob.peer().status().req(alice_id.clone()).await?;
    bob.peer()
        .metadata()
        .ping(alice_id.clone())
        .update(true)
        .await?;
    let info = bob.peer().info(alice_id).await?;
    let status = info.status.expect("bob knows alice's status");
    let metadata = info.metadata.expect("bob knows alice's metadata");
    assert_eq!((status.head_slot, status.finalized_epoch), (77, 5));

    let set = charlie
        .peer()
        .status()
        .set()
        .fork_digest(status.fork_digest)
        .finalized_root(status.finalized_root)
        .finalized_epoch(status.finalized_epoch)
        .head_root(status.head_root)
        .head_slot(status.head_slot);
    let words = set.command().words().join(" ");
    assert!(
        words.contains("--fork-digest=0xaabbccdd")
            && words.contains(&format!("--head-root=0x{}", "01".repeat(32))),
        "{words}"
    );
    set.await?;
    let back = charlie.peer().status().get().await?;
    assert_eq!(back.status, status, "Rumor took the 0x forms");
    charlie
        .peer()
        .metadata()
        .set()
        .seq_number(metadata.seq_number)
        .attnets(metadata.attnets)
        .await?;
    assert_eq!(charlie.peer().metadata().get().await?.metadata, metadata);

    // A bool Rumor logged, back as a flag.
    let following = charlie
        .peer()
        .status()
        .follow()
        .following(true)
        .await?
        .following;
    assert!(following);
    let md_follow = charlie
        .peer()
        .metadata()
        .follow()
        .following(following)
        .await?;
    assert!(md_follow.following && charlie.peer().metadata().get().await?.following);

    for call in [&status_serve.call(), &metadata_serve.call(), &pong.call()] {
        call.cancel().await?;
    }
    Ok(())
}

/// The eth2 fields of an ENR, as `peer info` logs them (0x), and the key `enr make` logs go back
/// into `enr make` on another actor, which then makes the same record content: the same node
/// id and the same decoded `eth2` and `attnets` entries.
#[pyrum::test(timeout = "30s")]
async fn enr_fields_and_keys_go_back_to_rumor(rumor: Rumor) -> Result<()> {
    let (alice, bob, charlie) = (
        rumor.actor("alice")?,
        rumor.actor("bob")?,
        rumor.actor("charlie")?,
    );
    let made = alice
        .enr()
        .make()
        .ip(Ipv4Addr::LOCALHOST)
        .tcp(9000)
        .udp(9000)
        .fork_digest([1, 2, 3, 4])
        .next_fork_version([5, 6, 7, 8])
        .next_fork_epoch(11)
        .attnets([3, 0, 0, 0, 0, 0, 0, 0x80])
        .await?;
    let key = made.key.expect("enr make logs the key it generated");
    let view = rumor.enr().view().enr(made.enr.clone()).kv(true).await?;

    bob.peerstore().create().id("bob-store").await?;
    bob.peer().add(made.enr.clone()).await?;
    let info = bob.peer().info(view.peer_id.clone()).await?;
    let digest = info.enr_fork_digest.expect("from the ENR");
    let version = info.enr_next_fork_version.expect("from the ENR");
    let epoch = info.enr_next_fork_epoch.expect("from the ENR");
    let attnets = info.enr_attnets.expect("from the ENR");
    assert_eq!(
        (digest, version, epoch, attnets),
        (
            ForkDigest([1, 2, 3, 4]),
            Version([5, 6, 7, 8]),
            11,
            Attnets([3, 0, 0, 0, 0, 0, 0, 0x80])
        )
    );

    let again = charlie
        .enr()
        .make()
        .r#priv(key)
        .ip(Ipv4Addr::LOCALHOST)
        .tcp(9000)
        .udp(9000)
        .fork_digest(digest)
        .next_fork_version(version)
        .next_fork_epoch(epoch)
        .attnets(attnets);
    let words = again.command().words().join(" ");
    assert!(
        words.contains("--next-fork-version=0x05060708") && words.contains("--priv=0x"),
        "{words}"
    );
    let made_again = again.await?;
    let view_again = rumor.enr().view().enr(made_again.enr).kv(true).await?;
    assert_eq!(view_again.node_id, view.node_id, "the same key");
    let (kv, kv_again) = (view.enr_kv.unwrap(), view_again.enr_kv.unwrap());
    assert_eq!(kv_again["eth2"], kv["eth2"], "{kv_again:?}");
    assert_eq!(kv_again["attnets"], kv["attnets"], "{kv_again:?}");

    // The key also starts a host: the same peer id.
    let host = rumor.actor("dave")?;
    host.host().start().r#priv(key).await?;
    host.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    assert_eq!(host.host().view().await?.peer_id, view.peer_id);
    Ok(())
}

/// A request key from a listener's step goes back into `rpc status resp ...`, and a result
/// code Rumor logged goes back as `--result-code`.
#[pyrum::test(actors = ["alice", "bob"], connected, timeout = "30s")]
async fn request_ids_and_result_codes_go_back_to_rumor(alice: Actor, bob: Actor) -> Result<()> {
    let alice_id = alice.host().view().await?.peer_id;
    let listener = alice.rpc().status().listen().await?;
    let mut codes = Vec::new();
    let mut answer = 3u8;
    for round in 0..2 {
        let requester = bob
            .rpc()
            .status()
            .req()
            .raw(alice_id.clone(), vec![0u8; 84])
            .raw(true)
            .max_chunks(1)
            .send()
            .await?;
        requester.result().await?;
        requester.step(Some(LIMIT)).await?; // the request is written
        let request = listener.step(Some(LIMIT)).await?;
        // (The step also holds the "Responded!" entry of the round before, with its key.)
        let req_id = *request.req_id.last().expect("the queued request's key");
        assert_eq!(req_id, round, "keys count from 0: {request:?}");
        alice
            .rpc()
            .status()
            .resp()
            .chunk()
            .raw(req_id, vec![0u8; 84])
            .result_code(answer)
            .await?;
        let chunk = requester.step(Some(LIMIT)).await?;
        let code = chunk.result_code.expect("a chunk with a result code");
        codes.push(code);
        answer = code; // what Rumor logged goes back for the next round
        requester.cancel().await?;
    }
    assert_eq!(codes, [3, 3]);
    listener.cancel().await?;
    Ok(())
}

/// Strings, a string list and a duration Rumor logged go back as arguments.
#[pyrum::test(actors = ["alice", "bob"], connected, timeout = "30s")]
async fn strings_and_numbers_go_back_to_rumor(
    rumor: Rumor,
    alice: Actor,
    bob: Actor,
) -> Result<()> {
    // A DB name from `blocks list` goes back into `blocks switch`.
    alice.blocks().create("first").await?;
    alice.blocks().create("second").await?;
    let listed = alice.blocks().list().await?;
    assert_eq!(listed.current, "second");
    let first = listed
        .dbs
        .iter()
        .find(|d| *d != &listed.current)
        .expect("two DBs")
        .clone();
    alice.blocks().switch(first.clone()).await?;
    assert_eq!(alice.blocks().list().await?.current, first);

    // A latency from `peer info` (nanoseconds in the log) goes back in Go syntax. Rumor
    // records one when a `peer metadata ping` gets an answer.
    let alice_id = alice.host().view().await?.peer_id;
    let pong = alice.peer().metadata().pong().await?;
    bob.peer()
        .metadata()
        .ping(alice_id.clone())
        .update(false)
        .await?;
    let info = bob.peer().info(alice_id).await?;
    let latency = info
        .latency
        .unwrap_or_else(|| panic!("a ping records the latency: {info:?}"));
    assert!(latency > Duration::ZERO);
    let t0 = Instant::now();
    rumor.sleep(latency).await?;
    assert!(
        t0.elapsed() >= latency,
        "slept {:?} of {latency:?}",
        t0.elapsed()
    );

    // A list of strings is one word that pflag splits: both security transports arrive (a
    // host that only speaks the first one connects, and one that only speaks the second).
    let protocols: Vec<String> = vec!["tls".into(), "noise".into()];
    let carol = rumor.actor("carol")?;
    carol.host().start().security(protocols).await?;
    carol.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    let carol_view = carol.host().view().await?;
    for (name, only) in [("dave", "tls"), ("erin", "noise")] {
        let actor = rumor.actor(name)?;
        actor.host().start().security([only]).await?;
        let connected = actor.peer().connect(carol_view.addr[0].clone()).await?;
        assert_eq!(connected.peer_id, carol_view.peer_id, "over {only}");
    }
    pong.cancel().await?;
    Ok(())
}

/// ENRs from `dv5 lookup` go back as `dv5 run` bootnodes (one comma-separated word), an enode
/// from `enr view` as a `dv5 ping` target, and the IP geth logs for a dead node as
/// `host listen --ip`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_values_go_back_to_rumor() -> pyrum::Result<()> {
    let rumor = common::spawn_bare().await;
    let mut nodes = Vec::new();
    for name in ["alice", "bob", "charlie"] {
        let actor = rumor.actor(name)?;
        let udp = free_udp_port();
        let made = actor.enr().make().ip(Ipv4Addr::LOCALHOST).udp(udp).await?;
        nodes.push((actor, udp, made.enr));
    }
    let [(alice, alice_udp, alice_enr), (bob, bob_udp, _), (charlie, charlie_udp, _)] =
        <[_; 3]>::try_from(nodes).expect("three nodes");
    let alice_dv5 = alice
        .dv5()
        .run()
        .ip(Ipv4Addr::LOCALHOST)
        .udp(alice_udp)
        .await?;
    let bob_dv5 = bob
        .dv5()
        .run()
        .ip(Ipv4Addr::LOCALHOST)
        .udp(bob_udp)
        .bootnodes([alice_enr.clone()])
        .await?;
    bob.dv5().ping(alice_enr.clone()).await?;
    // Bob's lookup finds alice (once his table holds the bootnode: each lookup is a round of
    // queries, retried until one lists her, within LIMIT); the ENRs it logs are charlie's
    // bootnodes.
    let t0 = Instant::now();
    let found = loop {
        let nodes = bob.dv5().lookup(alice_enr.clone()).await?.nodes;
        if nodes.contains(&alice_enr) {
            break nodes;
        }
        assert!(
            t0.elapsed() < LIMIT,
            "bob's lookups never listed alice: {nodes:?}"
        );
    };
    let charlie_dv5 = charlie
        .dv5()
        .run()
        .ip(Ipv4Addr::LOCALHOST)
        .udp(charlie_udp)
        .bootnodes(found.clone())
        .await?;
    let setup = charlie_dv5.result().await?;
    let said = format!("Started discv5 with {} bootnodes", found.len());
    assert!(
        setup.entries.iter().any(|e| e.msg == said),
        "every ENR of the list arrived ({said}): {setup:?}"
    );
    // An enode (no ENR) is a ping target too.
    let enode = rumor.enr().view().enr(alice_enr.clone()).await?.enode;
    charlie.dv5().ping(EnrOrEnode::from(enode)).await?;

    // A node that never answers: dave's table drops it at its next revalidation (within 10 s)
    // and geth logs its IP, which goes back as a listen address.
    let (dave, erin) = (rumor.actor("dave")?, rumor.actor("erin")?);
    let erin_enr = erin
        .enr()
        .make()
        .ip(Ipv4Addr::LOCALHOST)
        .udp(free_udp_port())
        .await?
        .enr;
    let dave_udp = free_udp_port();
    dave.enr()
        .make()
        .ip(Ipv4Addr::LOCALHOST)
        .udp(dave_udp)
        .await?;
    let dave_dv5 = dave
        .dv5()
        .run()
        .ip(Ipv4Addr::LOCALHOST)
        .udp(dave_udp)
        .bootnodes([erin_enr])
        .await?;
    let mut ips = dave_dv5.stream_ip();
    let ip = tokio::time::timeout(Duration::from_secs(30), ips.next())
        .await
        .expect("geth logs the dead node's ip within 30 s")
        .expect("dv5 run is open")?;
    assert_eq!(ip, IpAddr::from(Ipv4Addr::LOCALHOST));
    dave.host().start().await?;
    let listen = dave.host().listen().ip(ip).tcp(0).await?;
    assert!(
        listen.addr.as_str().starts_with("/ip4/127.0.0.1/tcp/"),
        "{listen:?}"
    );

    for run in [&alice_dv5, &bob_dv5, &charlie_dv5] {
        run.cancel().await?;
    }
    dave_dv5.cancel().await?;
    Ok(())
}
