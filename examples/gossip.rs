//! Gossip between three actors: alice, bob and charlie join one topic, wait until each sees the
//! other two on it, and each publishes 5 messages; every message must reach both other peers,
//! intact, from its author, in the order it was published.
//!
//! ```sh
//! cargo run --example gossip
//! ```
//!
//! `tests/examples.rs` runs this scenario against the real Rumor.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use pyrum::gossip::{wait_for_delivery, GossipExt, GossipLogExt, GossipMessage, Messages};
use pyrum::prelude::*;

/// The topic (any name works; one ending in `_snappy` is snappy-compressed on the wire).
pub const TOPIC: &str = "pyrum_example_gossip";
/// Messages each actor publishes.
pub const PER_ACTOR: usize = 5;
/// Bounds each wait: peers on the topic, and each message.
pub const LIMIT: Duration = Duration::from_secs(30);

/// The payload of message `i` of `name` (unique: Rumor's message id is the data's hash).
pub fn payload(name: &str, i: usize) -> Vec<u8> {
    format!("{name} says hello #{i}").into_bytes()
}

/// What [`run`] checked.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Deliveries to a peer other than the author (expected: 3 actors x 5 messages x 2).
    pub delivered: usize,
    /// Messages every actor also saw of its own (pubsub delivers to local subscribers too).
    pub own: usize,
}

/// The scenario; `say` prints progress.
pub async fn run(rumor: &Rumor, say: &(dyn Fn(String) + Sync)) -> pyrum::Result<Summary> {
    let names = ["alice", "bob", "charlie"];
    let mut actors = Vec::new();
    let mut ids = BTreeMap::new();
    for name in names {
        let actor = rumor.actor(name)?;
        actor.host().start().await?;
        actor.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
        let view = actor.host().view().await?;
        ids.insert(view.peer_id.clone(), name);
        actors.push((actor, view));
    }
    // Start gossipsub, join the topic, and subscribe (`gossip log` is the subscription), before
    // connecting: gossipsub speaks to the peers that connect after it started.
    let mut logs = Vec::new();
    for (actor, _) in &actors {
        actor.gossip().start().await?;
        actor.gossip().join(TOPIC).await?;
        logs.push(actor.gossip().log(TOPIC).await?);
    }
    // A full mesh of connections: alice-bob, alice-charlie, bob-charlie.
    for i in 0..actors.len() {
        for j in i + 1..actors.len() {
            let addr = actors[j].1.addr[0].clone();
            actors[i].0.peer().connect(addr).await?;
        }
    }
    say("three actors subscribed and connected".into());
    let started = Instant::now();
    for (actor, _) in &actors {
        let peers = actor.wait_for_topic_peers(TOPIC, 2, LIMIT).await?;
        say(format!(
            "{} sees {} peers on {TOPIC} ({:.1?})",
            actor.name(),
            peers.len(),
            started.elapsed()
        ));
    }
    // Peers on the topic are not yet peers in each publisher's gossipsub mesh (grafted at the
    // next heartbeat): each actor sends probes until both others received one.
    for (i, (actor, _)) in actors.iter().enumerate() {
        let others: Vec<_> = logs
            .iter()
            .enumerate()
            .filter(|(j, _)| *j != i)
            .map(|(_, log)| log)
            .collect();
        let probes = wait_for_delivery(actor, TOPIC, &others, LIMIT).await?;
        say(format!(
            "{}'s messages reach both others ({probes} probes, {:.1?})",
            actor.name(),
            started.elapsed()
        ));
    }
    let mut streams: Vec<Messages> = logs
        .iter()
        .map(|log| log.messages().without_probes())
        .collect();

    for i in 0..PER_ACTOR {
        for (actor, _) in &actors {
            actor
                .gossip()
                .publish(TOPIC, payload(actor.name(), i))
                .await?;
        }
        say(format!("round {}/{PER_ACTOR} published", i + 1));
    }

    // Each actor receives 15 messages: 5 of its own and 5 from each other actor.
    let mut summary = Summary::default();
    for ((actor, view), stream) in actors.iter().zip(&mut streams) {
        let mut next_of: BTreeMap<&str, usize> = names.iter().map(|n| (*n, 0)).collect();
        let mut last_seq: BTreeMap<&str, u64> = BTreeMap::new();
        while next_of.values().any(|n| *n < PER_ACTOR) {
            let msg: GossipMessage = stream.next_within(LIMIT).await?;
            let author = *ids.get(&msg.from).ok_or_else(|| {
                pyrum::Error::Protocol(format!("a message from a stranger: {msg:?}"))
            })?;
            let i = next_of[author];
            if msg.topic != TOPIC || msg.data.0 != payload(author, i) {
                return Err(pyrum::Error::Protocol(format!(
                    "{} expected message #{i} of {author}, got {:?} on {}",
                    actor.name(),
                    String::from_utf8_lossy(&msg.data.0),
                    msg.topic
                )));
            }
            // Per author, sequence numbers grow with publishing order.
            let seq = msg.seq_no_u64().unwrap_or_default();
            if last_seq.get(author).is_some_and(|&last| seq <= last) {
                return Err(pyrum::Error::Protocol(format!(
                    "{}: seq_no of {author} went backwards: {msg:?}",
                    actor.name()
                )));
            }
            last_seq.insert(author, seq);
            next_of.insert(author, i + 1);
            if msg.from == view.peer_id {
                summary.own += 1;
            } else {
                summary.delivered += 1;
            }
        }
        say(format!(
            "{} received all {} messages, in order",
            actor.name(),
            PER_ACTOR * names.len()
        ));
    }
    for log in &logs {
        log.cancel().await?;
    }
    Ok(summary)
}

#[allow(dead_code)] // `tests/examples.rs` includes this file and calls `run`.
#[tokio::main]
async fn main() -> pyrum::Result<()> {
    let rumor = Rumor::spawn().await?;
    let summary = run(&rumor, &|line| println!("{line}")).await?;
    println!(
        "{} deliveries to other peers, {} own messages echoed",
        summary.delivered, summary.own
    );
    rumor.close().await?;
    Ok(())
}
