//! `#[pyrum::test]` and its runtime (`pyrum::testing`) against the real Rumor.
//!
//! A failing `#[pyrum::test]` cannot sit in the suite, so the failures (leaks, errors, panics,
//! timeouts) run through the runtime API, `Scenario::run`, which returns the outcome the
//! attribute would panic with. Their transcripts go to a temporary directory.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use pyrum::prelude::*;
use pyrum::testing::{Failure, FailureKind, Scenario};

/// A transcript directory of its own for each scenario run here.
fn temp_dir() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "pyrum-test-attribute-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A scenario on the real Rumor (found like `Rumor::spawn`; missing is a failure).
fn scenario(name: &str, actors: &[&str]) -> Scenario {
    Scenario::new(format!("test_attribute::{name}"))
        .actors(actors)
        .transcript_dir(temp_dir())
        .timeout(Duration::from_secs(30))
}

fn expect_failure(outcome: Result<pyrum::testing::Report, Failure>) -> Failure {
    match outcome {
        Ok(report) => panic!("the scenario should fail, it passed: {report:?}"),
        Err(f) => {
            eprintln!("{f}\n");
            f
        }
    }
}

// ---- the attribute -------------------------------------------------------------------------

#[pyrum::test(actors = ["alice", "bob", "carol"], connected)]
async fn connected_actors_form_a_line(alice: Actor, bob: Actor, carol: Actor) -> Result<()> {
    let a = alice.host().view().await?.peer_id;
    let b = bob.host().view().await?.peer_id;
    let c = carol.host().view().await?.peer_id;
    let listed = |actor: &Actor| {
        let actor = actor.clone();
        async move {
            let peers = actor.peer().list().await?.peers;
            let ids: Vec<PeerId> = peers
                .as_array()
                .expect("an array of peer ids")
                .iter()
                .map(|p| PeerId::from_field(p).expect("a peer id"))
                .collect();
            Ok::<_, Error>(ids)
        }
    };
    assert_eq!(listed(&alice).await?, std::slice::from_ref(&b));
    let middle = listed(&bob).await?;
    assert!(
        middle.len() == 2 && middle.contains(&a) && middle.contains(&c),
        "{middle:?}"
    );
    assert_eq!(listed(&carol).await?, [b], "carol is connected to bob only");
    // Each host listens on loopback, on a port the OS picked.
    for actor in [&alice, &bob, &carol] {
        let view = actor.host().view().await?;
        assert_eq!(view.addr.len(), 1, "{view:?}");
        assert!(view.addr[0].as_str().starts_with("/ip4/127.0.0.1/tcp/"));
        assert!(!view.addr[0].as_str().starts_with("/ip4/127.0.0.1/tcp/0/"));
    }
    Ok(())
}

#[pyrum::test(actors = ["node-1", "node.2"], timeout = "20s")]
async fn names_map_to_parameters_and_rumor_comes_too(node_1: Actor, _node_2: Actor, rumor: Rumor) {
    assert_eq!(node_1.name(), "node-1");
    // Not connected: the hosts know no peers.
    let peers = node_1.peer().list().await.expect("peer list");
    assert_eq!(peers.peers, serde_json::json!([]));
    let view = rumor
        .actor("node.2")
        .unwrap()
        .host()
        .view()
        .await
        .expect("a started host");
    assert_eq!(view.addr.len(), 1);
}

#[pyrum::test]
async fn a_test_may_take_nothing_but_rumor(rumor: Rumor) -> Result<()> {
    let err = rumor.host().view().await.unwrap_err();
    assert!(
        matches!(err, Error::Command { .. }),
        "no host was started: {err:?}"
    );
    Ok(())
}

#[pyrum::test(actors = ["alice"])]
async fn dropped_and_detached_calls_are_no_leaks(alice: Actor) -> Result<()> {
    // Dropped: a long-running typed call is cancelled on drop.
    drop(alice.host().notify().events(["all"]).await?);
    // Detached: meant to run on; the teardown leaves it to Rumor's exit.
    let kept = alice.host().notify().events(["all"]).await?;
    kept.call().detach();
    let id = kept.call().id().to_string();
    drop(kept);
    let open = alice.rumor().open_calls();
    let kept = open
        .iter()
        .find(|c| c.id == id)
        .expect("a detached call runs on");
    assert!(kept.detached && !kept.cancelling, "{kept:?}");
    Ok(())
}

// ---- leaks ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_leaked_host_notify_fails_the_test_naming_it() {
    let s = scenario("leaks_notify", &["alice", "bob"]);
    let transcript = s.transcript_path();
    let leaked_id = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let id_out = leaked_id.clone();
    let failure = expect_failure(
        s.run(|session| async move {
            let alice = session.actor("alice");
            let notify = alice.host().notify().events(["all"]).await?;
            *id_out.lock().unwrap() = notify.call().id().to_string();
            // The handle lives on in a task the test never stops: the call is leaked.
            tokio::spawn(async move {
                let _notify = notify;
                std::future::pending::<()>().await
            });
            // A clean call on bob, finished before the end: not a leak.
            session.actor("bob").host().view().await?;
            Ok::<_, Error>(())
        })
        .await,
    );
    let id = leaked_id.lock().unwrap().clone();
    assert_eq!(failure.kind, FailureKind::Leak);
    assert_eq!(failure.leaked.len(), 1, "{failure:?}");
    let leak = &failure.leaked[0];
    assert_eq!(leak.id, id);
    assert_eq!(leak.actor, "alice");
    assert_eq!(leak.call, "alice: host notify -- all");
    let text = failure.to_string();
    assert!(
        text.contains("the test leaked 1 call")
            && text.contains(&format!("alice: host notify -- all (call {id})")),
        "{text}"
    );
    // The teardown cancelled it, and Rumor freed it (the transcript shows both).
    assert_eq!(failure.transcript.as_deref(), Some(transcript.as_path()));
    let recorded = std::fs::read_to_string(&transcript).expect("the transcript is kept");
    assert!(
        recorded.contains(&format!("'_{id}' 'cancel'")),
        "no cancel of {id}"
    );
    let freed = format!(r#"\"__freed\":\"true\",\"actor\":\"alice\",\"call_id\":\"{id}\""#);
    assert!(recorded.contains(&freed), "{id} was not freed");
}

#[tokio::test]
async fn an_untyped_call_left_running_is_a_leak_too() {
    let failure = expect_failure(
        scenario("leaks_untyped", &["alice"])
            .run(|session| async move {
                let alice = session.actor("alice");
                // No cancel_on_drop: dropping the handle leaves the call running in Rumor.
                let call = alice
                    .call(Command::new(["host", "notify"]).positional("all"))
                    .await?;
                call.setup().await?;
                Ok::<_, Error>(())
            })
            .await,
    );
    assert_eq!(failure.kind, FailureKind::Leak);
    assert_eq!(failure.leaked[0].call, "alice: host notify -- all");
}

// ---- failures keep a transcript that replays offline ----------------------------------------

/// Fails on Rumor's own error: bob dials a port nothing listens on.
async fn dial_nowhere(session: pyrum::testing::Session) -> Result<()> {
    let (alice, bob) = (session.actor("alice"), session.actor("bob"));
    let alice_id = alice.host().view().await?.peer_id;
    let nowhere: Multiaddr = format!("/ip4/127.0.0.1/tcp/1/p2p/{alice_id}").parse()?;
    bob.peer().connect(nowhere).await?;
    Ok(())
}

#[tokio::test]
async fn a_failing_test_leaves_a_transcript_that_replays_offline() {
    let s = scenario("fails_offline", &["alice", "bob"]);
    let path = s.transcript_path();
    let live = expect_failure(s.clone().run(dial_nowhere).await);
    assert_eq!(live.kind, FailureKind::Error);
    assert!(
        live.detail
            .starts_with("the test returned an error: bob: peer connect")
            && live.detail.contains("connection refused"),
        "{live}"
    );
    assert_eq!(live.transcript.as_deref(), Some(path.as_path()));
    let command = live.replay_command.as_deref().expect("how to replay it");
    assert!(command.contains("replay_from"), "{command}");
    assert!(!live.last_lines.is_empty(), "{live:?}");
    let text = live.to_string();
    assert!(
        text.contains(&format!("transcript of this run: {}", path.display())),
        "{text}"
    );

    // Offline: no Rumor binary at all, the same body against the transcript.
    let replayed = expect_failure(
        s.rumor_bin("/nonexistent/rumor")
            .replay_from(&path)
            .run(dial_nowhere)
            .await,
    );
    assert_eq!(replayed.kind, FailureKind::Error, "{replayed}");
    assert_eq!(replayed.detail, live.detail, "the same failure, reproduced");
    assert_eq!(replayed.replayed_from.as_deref(), Some(path.as_path()));
    assert!(
        replayed.mismatch.is_none(),
        "every recorded line was sent: {replayed}"
    );
    // A replay leaves its input alone and records nothing.
    assert!(path.is_file());
    assert!(replayed.transcript.is_none());

    // A body that sends something else parts from the transcript, and says where.
    let other = expect_failure(
        Scenario::new("test_attribute::fails_offline")
            .actors(&["alice", "bob"])
            .replay_from(&path)
            .run(|session| async move {
                session.actor("bob").host().view().await?;
                Ok::<_, Error>(())
            })
            .await,
    );
    let text = other.to_string();
    assert!(text.contains("transcript mismatch"), "{text}");
}

#[tokio::test]
async fn a_passing_test_drops_its_transcript() {
    let s = scenario("passes", &["alice"]);
    let path = s.transcript_path();
    let report = s
        .run(|session| async move {
            session.actor("alice").host().view().await?;
            Ok::<_, Error>(())
        })
        .await
        .unwrap_or_else(|f| panic!("{f}"));
    assert!(!report.replayed);
    assert!(!path.exists(), "{} was not deleted", path.display());
}

// ---- timeouts, panics, setup ----------------------------------------------------------------

#[tokio::test]
async fn a_timeout_lists_the_pending_calls_and_rumors_last_lines() {
    let failure = expect_failure(
        scenario("times_out", &["alice"])
            .timeout(Duration::from_secs(3))
            .run(|session| async move {
                let alice = session.actor("alice");
                let notify = alice.host().notify().events(["all"]).await?;
                // No peer ever connects: this waits for an event that never comes.
                let mut events = notify.stream_event();
                let _ = events.next().await;
                Ok::<_, Error>(())
            })
            .await,
    );
    assert_eq!(failure.kind, FailureKind::Timeout);
    assert_eq!(failure.detail, "the test timed out after 3s");
    let pending: Vec<&str> = failure.pending.iter().map(|c| c.call.as_str()).collect();
    assert_eq!(pending, ["alice: host notify -- all"], "{failure}");
    assert!(
        failure
            .last_lines
            .iter()
            .any(|l| l.contains("\"__success\"")),
        "{:?}",
        failure.last_lines
    );
    let text = failure.to_string();
    assert!(
        text.contains("calls still pending:\n  alice: host notify -- all (call ")
            && text.contains("the last lines Rumor wrote:"),
        "{text}"
    );
}

#[tokio::test]
async fn a_panic_is_a_failure_with_its_message() {
    let failure = expect_failure(
        scenario("panics", &[])
            .run(|session| async move {
                let view = session.rumor().host().view().await;
                assert!(view.is_ok(), "the default actor has no host: {view:?}");
            })
            .await,
    );
    assert_eq!(failure.kind, FailureKind::Panic);
    assert!(
        failure
            .detail
            .starts_with("the test panicked: the default actor has no host"),
        "{failure}"
    );
    assert!(failure.transcript.as_ref().is_some_and(|p| p.is_file()));
}

#[tokio::test]
async fn a_rumor_that_does_not_start_is_a_setup_failure() {
    let failure = expect_failure(
        scenario("no_binary", &["alice"])
            .rumor_bin("/nonexistent/rumor")
            .run(|_session| async move {})
            .await,
    );
    assert_eq!(failure.kind, FailureKind::Setup);
    assert!(failure.detail.contains("/nonexistent/rumor"), "{failure}");
}

// ---- end to end: the attribute's own failure message and PYRUM_REPLAY -----------------------

/// Set in a child run of this test binary: [`end_to_end_subject`] then fails.
const FAIL_VAR: &str = "PYRUM_TEST_ATTRIBUTE_FAIL";

/// Passes in the suite (alice dials bob); fails when [`FAIL_VAR`] is set (alice dials a port
/// nothing listens on), which the test below does in a child process.
#[pyrum::test(actors = ["alice", "bob"])]
async fn end_to_end_subject(alice: Actor, bob: Actor) -> Result<()> {
    let bob_view = bob.host().view().await?;
    let target = if std::env::var_os(FAIL_VAR).is_some() {
        format!("/ip4/127.0.0.1/tcp/1/p2p/{}", bob_view.peer_id).parse()?
    } else {
        bob_view.addr[0].clone()
    };
    alice.peer().connect(target).await?;
    Ok(())
}

fn transcripts_of_the_child() -> PathBuf {
    static DIR: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(temp_dir).clone()
}

/// Runs [`end_to_end_subject`] alone in a child of this test binary.
fn run_subject(envs: &[(&str, &str)]) -> String {
    let exe = std::env::current_exe().expect("the test binary");
    let out = std::process::Command::new(exe)
        .args(["end_to_end_subject", "--exact", "--test-threads=1"])
        .env_remove("PYRUM_REPLAY")
        .env("RUST_BACKTRACE", "0")
        // Not where the subject's run in this suite (which passes) writes and deletes its own.
        .env("PYRUM_TRANSCRIPTS", transcripts_of_the_child())
        .envs(envs.iter().copied())
        .output()
        .expect("running the test binary");
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "the subject should fail:\n{text}");
    text
}

#[test]
fn a_failing_attribute_test_says_how_to_replay_it_and_the_replay_fails_alike() {
    let live = run_subject(&[(FAIL_VAR, "1")]);
    let transcript = live
        .lines()
        .find_map(|l| l.strip_prefix("transcript of this run: "))
        .unwrap_or_else(|| panic!("no transcript named in:\n{live}"));
    let expected = transcripts_of_the_child().join("test_attribute.end_to_end_subject.jsonl");
    assert_eq!(std::path::Path::new(transcript), expected);
    assert!(expected.is_file());
    let command = format!(
        "replay it offline, without Rumor: PYRUM_REPLAY={transcript} cargo test -p pyrum --test \
         test_attribute -- end_to_end_subject --exact"
    );
    assert!(live.contains(&command), "{live}");
    let error = live
        .lines()
        .find(|l| l.contains("the test returned an error: alice: peer connect"))
        .unwrap_or_else(|| panic!("no error line in:\n{live}"));

    // As the message says, without Rumor (RUMOR_BIN points nowhere): the same failure.
    let replayed = run_subject(&[
        (FAIL_VAR, "1"),
        ("PYRUM_REPLAY", transcript),
        ("RUMOR_BIN", "/nonexistent/rumor"),
    ]);
    let again = error.replace(
        "end_to_end_subject:",
        &format!("end_to_end_subject (replayed from {transcript}):"),
    );
    assert!(
        replayed.contains(&again),
        "expected {again:?} in:\n{replayed}"
    );
    assert!(!replayed.contains("mismatch"), "{replayed}");
}

// ---- the README's example, run (the README's copy is compiled as a doctest) ------------------

/// alice and bob: started hosts on loopback, alice dialled bob, both see the connection.
#[pyrum::test(actors = ["alice", "bob"], connected, timeout = "30s")]
async fn bob_answers_alices_ping(alice: Actor, bob: Actor) -> pyrum::Result<()> {
    let bob_id = bob.host().view().await?.peer_id;
    assert_eq!(alice.peer().list().await?.peers[0], bob_id.as_str());
    let _pong = bob.peer().metadata().pong().await?; // long-running: runs until dropped
    let ping = alice.peer().metadata().ping(bob_id).update(false).await?;
    assert_eq!(ping.code, [0], "{ping:?}");
    Ok(())
}
