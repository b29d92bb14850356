//! Values that come out of Rumor go back in as Rumor accepts them, through the real binary:
//! node ids (bare hex), ENRs, peer ids, multiaddrs and hex bytes; values built with the
//! ecosystem's crates too; and bad values are [`Error::InvalidInput`] before anything is sent.

use std::net::Ipv4Addr;
use std::time::Duration;

use pyrum::gossip::GossipLogExt;
use pyrum::prelude::*;
#[cfg(feature = "ecosystem-ids")]
use pyrum::types::ecosystem::{libp2p_identity, multiaddr, EnrRecord};
use pyrum::types::{HexBytes, NodeIdFlex};

#[allow(dead_code)]
mod common;

const LIMIT: Duration = Duration::from_secs(20);

async fn started(rumor: &Rumor, name: &str) -> pyrum::Result<Actor> {
    let actor = rumor.actor(name)?;
    actor.host().start().await?;
    actor.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    Ok(actor)
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
