//! `rumor serve` from Rust: start it on free ports, drive one scenario from two clients (alice
//! over TCP, bob over WebSocket: actors live in the server, so each session sees the other's),
//! and show what a wrong API key gets.
//!
//! ```sh
//! cargo run --example serve
//! ```
//!
//! `tests/examples.rs` runs this scenario against the real Rumor.

use pyrum::prelude::*;
use pyrum::serve::Server;

/// What [`run`] saw.
#[derive(Debug)]
pub struct Seen {
    /// The error a client with the wrong key got.
    pub wrong_key: pyrum::Error,
    /// Alice's peers, listed over TCP after bob connected over WebSocket.
    pub alice_peers: Vec<PeerId>,
    /// Bob's peer id.
    pub bob: PeerId,
}

/// The scenario on a running server; `say` prints progress.
pub async fn run(server: &Server, say: &(dyn Fn(String) + Sync)) -> pyrum::Result<Seen> {
    let over_tcp = server.connect_tcp().await?;
    let over_ws = server.connect_ws().await?;
    say(format!(
        "connected over tcp ({}) and websocket ({})",
        server.tcp_addr().map(|a| a.to_string()).unwrap_or_default(),
        server.ws_url().unwrap_or_default()
    ));

    let alice = over_tcp.actor("alice")?;
    alice.host().start().await?;
    alice.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;
    let bob = over_ws.actor("bob")?;
    bob.host().start().await?;
    bob.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;

    // Bob (WebSocket session) reads alice's address from the server's shared actor.
    let alice_there = over_ws.actor("alice")?.host().view().await?;
    let connected = bob.peer().connect(alice_there.addr[0].clone()).await?;
    say(format!("bob connected to alice ({})", connected.peer_id));
    let bob_id = bob.host().view().await?.peer_id;

    // Alice (TCP session) sees bob.
    let list = alice.peer().list().await?;
    let alice_peers: Vec<PeerId> = serde_json::from_value(list.peers.clone())
        .map_err(|e| pyrum::Error::Protocol(format!("peer list: {e}")))?;
    say(format!("alice's peers: {alice_peers:?}"));

    // A client with the wrong key is refused before any session starts.
    let url = server.ws_url().expect("the websocket listener is on");
    let wrong_key = match Rumor::connect_ws(&url, "not-the-key").await {
        Ok(_) => {
            return Err(pyrum::Error::Protocol(
                "the server accepted a wrong API key".into(),
            ))
        }
        Err(e) => e,
    };
    say(format!("wrong key: {wrong_key}"));

    over_tcp.close().await?;
    over_ws.close().await?;
    Ok(Seen {
        wrong_key,
        alice_peers,
        bob: bob_id,
    })
}

#[allow(dead_code)] // `tests/examples.rs` includes this file and calls `run`.
#[tokio::main]
async fn main() -> pyrum::Result<()> {
    println!("starting rumor serve (tcp, unix socket, websocket) ...");
    let server = Server::start().await?;
    println!("rumor serve is up: {server:?}");
    let seen = run(&server, &|line| println!("{line}")).await?;
    assert!(seen.alice_peers.contains(&seen.bob));
    server.stop().await?;
    println!("server stopped");
    Ok(())
}
