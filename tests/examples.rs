//! The examples' scenarios against the real Rumor: each example's body is a function of its
//! file (`run`), included here and checked.
//!
//! The multi-chunk exchange count of the blocks-by-range scenario is `PYRUM_MULTICHUNK_RUNS`
//! (default 12, both compressions alternating; each exchange is 2 to 64 chunks, every byte
//! checked). The 100-run check by hand:
//!
//! ```sh
//! PYRUM_MULTICHUNK_RUNS=100 cargo test --test examples blocks_by_range -- --nocapture
//! ```

use std::time::Duration;

use pyrum::Error;

#[allow(dead_code)]
mod common;

#[path = "../examples/blocks_by_range.rs"]
#[allow(dead_code)]
mod blocks_by_range;
#[path = "../examples/discovery.rs"]
#[allow(dead_code)]
mod discovery;
#[path = "../examples/gossip.rs"]
#[allow(dead_code)]
mod gossip;
#[path = "../examples/serve.rs"]
#[allow(dead_code)]
mod serve;

/// Bounds a whole scenario.
const SCENARIO_LIMIT: Duration = Duration::from_secs(240);

fn say(line: String) {
    eprintln!("{line}");
}

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(SCENARIO_LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: not done within {SCENARIO_LIMIT:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_by_range_every_byte_of_2_to_64_chunks() {
    let runs: usize = match std::env::var("PYRUM_MULTICHUNK_RUNS") {
        Ok(n) => n.parse().expect("PYRUM_MULTICHUNK_RUNS is a number"),
        Err(_) => 12,
    };
    let rumor = common::spawn_bare().await;
    let summary = within("blocks by range", blocks_by_range::run(&rumor, runs, &say))
        .await
        .unwrap_or_else(|e| panic!("the exchange failed: {e}"));
    eprintln!(
        "multi-chunk exchanges: {} of {runs} intact, {} chunks checked",
        summary.intact, summary.chunks
    );
    assert_eq!(summary.intact, runs as u64);
    let expected: u64 = blocks_by_range::counts(runs).sum();
    assert_eq!(summary.chunks, expected, "every block of every range");
    assert_eq!(
        summary.errors, 4,
        "invalid request and server error, per compression"
    );
}

#[test]
fn blocks_by_range_counts_cover_2_to_64() {
    let counts: Vec<u64> = blocks_by_range::counts(100).collect();
    assert!(counts.iter().all(|c| (2..=64).contains(c)), "{counts:?}");
    for want in [2, 3, 63, 64] {
        assert!(counts.contains(&want), "{want} in {counts:?}");
    }
    assert_eq!(blocks_by_range::block(7), blocks_by_range::block(7));
    assert_ne!(blocks_by_range::block(7), blocks_by_range::block(8));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gossip_three_actors_five_messages_each() {
    let rumor = common::spawn_bare().await;
    let summary = within("gossip", gossip::run(&rumor, &say))
        .await
        .unwrap_or_else(|e| panic!("gossip failed: {e}"));
    assert_eq!(summary.delivered, 3 * gossip::PER_ACTOR * 2, "{summary:?}");
    assert_eq!(summary.own, 3 * gossip::PER_ACTOR, "{summary:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lookup_by_node_id_finds_the_third() {
    let rumor = common::spawn_bare().await;
    let found = within("discovery", discovery::run(&rumor, &say))
        .await
        .unwrap_or_else(|e| panic!("discovery failed: {e}"));
    assert!(found.lookups >= 1);
    assert!(!found.nodes.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_over_tcp_and_websocket_and_a_wrong_key() {
    let server = pyrum::serve::Server::builder()
        .rumor_bin(common::rumor_bin())
        .start()
        .await
        .expect("rumor serve starts");
    let seen = within("serve", serve::run(&server, &say))
        .await
        .unwrap_or_else(|e| panic!("the serve scenario failed: {e}"));
    assert!(
        matches!(&seen.wrong_key, Error::Auth { hint, .. } if hint.contains("--api-key")),
        "{:?}",
        seen.wrong_key
    );
    assert_eq!(seen.alice_peers, std::slice::from_ref(&seen.bob));
    server.stop().await.expect("stopping rumor serve");
}
