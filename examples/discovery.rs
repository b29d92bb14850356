//! Discovery on loopback discv5: alice is the bootnode; bob and charlie start discv5 with
//! alice's ENR; bob looks up charlie by charlie's typed node id (as `enr view` gave it) and finds
//! charlie's record through alice.
//!
//! ```sh
//! cargo run --example discovery
//! ```
//!
//! `tests/examples.rs` runs this scenario against the real Rumor.

use std::net::Ipv4Addr;
use std::time::{Duration, Instant};

use pyrum::prelude::*;

/// Bounds the whole lookup loop.
pub const LIMIT: Duration = Duration::from_secs(30);

/// A UDP port on 127.0.0.1 that was free a moment ago.
fn free_udp_port() -> std::io::Result<u16> {
    Ok(std::net::UdpSocket::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port())
}

/// One discv5 node: its actor, record and typed ids.
#[derive(Debug, Clone)]
pub struct Node {
    /// The actor.
    pub actor: Actor,
    /// Its ENR (from `enr make`).
    pub enr: Enr,
    /// Its node id, as `enr view` printed it (bare hex, which is how it goes back to Rumor).
    pub node_id: NodeId,
}

/// Makes an ENR for a fresh actor on a free loopback UDP port and reads its node id.
pub async fn node(rumor: &Rumor, name: &str) -> pyrum::Result<(Node, u16)> {
    let actor = rumor.actor(name)?;
    let udp = free_udp_port().map_err(|e| pyrum::Error::Io {
        context: "finding a free UDP port".into(),
        source: e.into(),
    })?;
    let made = actor.enr().make().ip(Ipv4Addr::LOCALHOST).udp(udp).await?;
    let view = rumor.enr().view().enr(made.enr.clone()).await?;
    Ok((
        Node {
            actor,
            enr: made.enr,
            node_id: view.node_id,
        },
        udp,
    ))
}

/// What [`run`] found.
#[derive(Debug, Clone)]
pub struct Found {
    /// How many lookups it took.
    pub lookups: u32,
    /// The nodes of the successful lookup.
    pub nodes: Vec<Enr>,
}

/// The scenario; `say` prints progress.
pub async fn run(rumor: &Rumor, say: &(dyn Fn(String) + Sync)) -> pyrum::Result<Found> {
    let (alice, alice_udp) = node(rumor, "alice").await?;
    let (bob, bob_udp) = node(rumor, "bob").await?;
    let (charlie, charlie_udp) = node(rumor, "charlie").await?;
    // The node id `enr view` printed is the one the ENR's key gives (checked by the `enr`
    // crate, with feature `ecosystem-ids`).
    #[cfg(feature = "ecosystem-ids")]
    for n in [&alice, &bob, &charlie] {
        assert_eq!(n.enr.node_id()?, n.node_id, "{}", n.actor.name());
    }
    say(format!(
        "alice {}, bob {}, charlie {}",
        alice.node_id, bob.node_id, charlie.node_id
    ));

    let alice_dv5 = alice
        .actor
        .dv5()
        .run()
        .ip(Ipv4Addr::LOCALHOST)
        .udp(alice_udp)
        .await?;
    let mut runs = vec![alice_dv5];
    for (n, udp) in [(&bob, bob_udp), (&charlie, charlie_udp)] {
        runs.push(
            n.actor
                .dv5()
                .run()
                .ip(Ipv4Addr::LOCALHOST)
                .udp(udp)
                .bootnodes([alice.enr.clone()]) // typed ENRs: Rumor parses each with ParseEnrOrEnode
                .await?,
        );
        // A successful ping: the handshake is done and alice has the pinger in her table.
        n.actor.dv5().ping(alice.enr.clone()).await?;
        say(format!("{} runs discv5 and pinged alice", n.actor.name()));
    }

    // Bob looks for charlie by node id; alice, who knows charlie, answers. The typed NodeId
    // goes to Rumor as bare hex, the only form `dv5 lookup` reads.
    let started = Instant::now();
    let mut lookups = 0;
    let found = loop {
        lookups += 1;
        let result = bob.actor.dv5().lookup(charlie.node_id).await?;
        let nodes: Vec<Enr> = result.nodes;
        say(format!(
            "lookup {lookups}: {} nodes ({:.1?})",
            nodes.len(),
            started.elapsed()
        ));
        if nodes.contains(&charlie.enr) {
            break nodes;
        }
        if started.elapsed() > LIMIT {
            return Err(pyrum::Error::Timeout {
                what: format!("bob's lookups of charlie ({lookups}; last: {nodes:?})"),
                after: LIMIT,
            });
        }
    };
    say(format!("bob found charlie after {lookups} lookups"));
    for run in &runs {
        run.cancel().await?;
    }
    Ok(Found {
        lookups,
        nodes: found,
    })
}

#[allow(dead_code)] // `tests/examples.rs` includes this file and calls `run`.
#[tokio::main]
async fn main() -> pyrum::Result<()> {
    let rumor = Rumor::spawn().await?;
    let found = run(&rumor, &|line| println!("{line}")).await?;
    println!(
        "found in {} lookups; the last returned {:?}",
        found.lookups, found.nodes
    );
    rumor.close().await?;
    Ok(())
}
