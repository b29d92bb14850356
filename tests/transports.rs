//! The same scenarios over each transport, against the real Rumor binary:
//! `rumor bare` as a subprocess, and `rumor serve` over TCP, a unix socket and a websocket.
//!
//! Each scenario is one generic async fn, instantiated per transport below with the transport
//! in the test's name. Everything a test uses is its own: a Rumor process, free ports, a unique
//! socket path, actor names made from the test name.

#[allow(dead_code)]
mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::{connect, free_port, unique_socket_path, Kind, Server};
use pyrum_core::{Actor, Call, Command, Error, Output, Rumor};
use serde_json::{json, Value};

/// Upper bound for any single wait in these tests, so that a bug fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(30);

/// How many calls are pending when Rumor is killed.
const PENDING_CALLS: usize = 1000;

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?}"))
}

/// Runs a command and expects its setup to succeed.
async fn ok(actor: &Actor, command: Command) -> Output {
    let what = format!("{}: {}", actor.name(), command.words().join(" "));
    let call = actor
        .call(command)
        .await
        .unwrap_or_else(|e| panic!("{what}: sending failed: {e}"));
    within(&what, call.setup())
        .await
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn text(out: &Output, key: &str) -> String {
    match out.fields.get(key) {
        Some(Value::String(s)) => s.clone(),
        other => panic!(
            "expected a string `{key}`, got {other:?} in {:?}",
            out.fields
        ),
    }
}

/// `host start`, `host listen` on 127.0.0.1 with an OS-chosen port, then `host view`:
/// (peer id, listening address with `/p2p/<peer id>`).
async fn start_listening(actor: &Actor) -> (String, String) {
    ok(actor, Command::new(["host", "start"])).await;
    ok(
        actor,
        Command::new(["host", "listen"])
            .flag("ip", "127.0.0.1")
            .flag("tcp", 0u16),
    )
    .await;
    let view = ok(actor, Command::new(["host", "view"])).await;
    let peer_id = text(&view, "peer_id");
    let addr = text(&view, "addr");
    assert!(
        addr.starts_with("/ip4/127.0.0.1/tcp/") && !addr.starts_with("/ip4/127.0.0.1/tcp/0/"),
        "host view should show the port the OS picked: {addr}"
    );
    assert!(
        addr.ends_with(&format!("/p2p/{peer_id}")),
        "{addr} vs {peer_id}"
    );
    (peer_id, addr)
}

fn notify_all() -> Command {
    Command::new(["host", "notify"]).positional("all")
}

// ---------------------------------------------------------------------------------------------
// Scenarios

async fn two_actors_connect(kind: Kind, test: &str) {
    let conn = connect(kind).await;
    let alice = conn.rumor.actor(&format!("{test}-alice")).unwrap();
    let bob = conn.rumor.actor(&format!("{test}-bob")).unwrap();
    let (alice_id, _) = start_listening(&alice).await;
    let (bob_id, bob_addr) = start_listening(&bob).await;
    assert_ne!(alice_id, bob_id, "two actors are two hosts");

    let connected = ok(
        &alice,
        Command::new(["peer", "connect"]).flag("addr", bob_addr.as_str()),
    )
    .await;
    assert_eq!(connected.fields.get("peer_id"), Some(&json!(bob_id)));

    let list = ok(&alice, Command::new(["peer", "list"])).await;
    assert_eq!(
        list.fields.get("peers"),
        Some(&json!([bob_id])),
        "alice's peers: {:?}",
        list.fields
    );
}

async fn failing_call_is_command_error(kind: Kind, test: &str) {
    let conn = connect(kind).await;
    let actor = conn.rumor.actor(test).unwrap();
    // Without a host, `peer` routes fail earlier: "Not available. Create a peerstore first."
    ok(&actor, Command::new(["host", "start"])).await;
    let call = actor
        .call(Command::new(["peer", "connect"]).flag("addr", "garbage"))
        .await
        .unwrap();
    let err = within("failing call", call.setup())
        .await
        .expect_err("connecting to `garbage` must fail");
    let Error::Command {
        call: shown,
        message,
    } = &err
    else {
        panic!("expected Error::Command, got {err:?}");
    };
    assert!(message.contains("garbage"), "Rumor's message: {message}");
    assert!(shown.contains("peer connect"), "{shown}");
    within("failed call freed", call.finished())
        .await
        .expect("a failed call is freed normally");

    // The session goes on after a failure.
    let out = ok(&actor, Command::new(["sleep"]).flag("time", "1ms")).await;
    assert!(
        out.entries.iter().any(|e| e.msg.contains("sleeping")),
        "{out:?}"
    );
}

async fn long_running_call_cancelled(kind: Kind, test: &str) {
    let conn = connect(kind).await;
    let actor = conn.rumor.actor(test).unwrap();
    ok(&actor, Command::new(["host", "start"])).await;
    let call = actor.call(notify_all()).await.unwrap();
    within("notify setup", call.setup())
        .await
        .expect("host notify all sets up");
    let early = tokio::time::timeout(Duration::from_millis(200), call.finished()).await;
    assert!(
        early.is_err(),
        "host notify stays open until cancelled: {early:?}"
    );
    within("cancel", call.cancel())
        .await
        .expect("cancel succeeds");
    within("finished", call.finished())
        .await
        .expect("finished after cancel");
    assert!(call.is_finished());
    assert_eq!(conn.rumor.pending_calls(), 0);
}

enum Waiter {
    Setup(Call),
    Stream(Call),
    Next(Call),
}

async fn rumor_killed_fails_pending_calls(kind: Kind, test: &str) {
    let mut conn = connect(kind).await;
    let actor = conn.rumor.actor(test).unwrap();
    ok(&actor, Command::new(["host", "start"])).await;

    // Two long-running calls: one read as a stream, one as a stream and with a pending `next`.
    let mut notifies = Vec::new();
    for _ in 0..2 {
        let call = actor.call(notify_all()).await.unwrap();
        within("notify setup", call.setup()).await.unwrap();
        notifies.push(call);
    }
    // Every sleep logs "sleeping 30s" when it starts inside Rumor; its setup ends after 30 s.
    let sleeps = common::pending_sleeps(&actor, PENDING_CALLS, LIMIT).await;
    assert_eq!(conn.rumor.pending_calls(), PENDING_CALLS + 2);

    let mut waiters: Vec<Waiter> = sleeps.into_iter().map(Waiter::Setup).collect();
    waiters.extend(notifies.iter().cloned().map(Waiter::Stream));
    waiters.push(Waiter::Next(notifies[0].clone()));
    let expected = waiters.len();
    let mut tasks = Vec::with_capacity(expected);
    for waiter in waiters {
        tasks.push(tokio::spawn(async move {
            let (what, result) = match waiter {
                Waiter::Setup(call) => ("setup", call.setup().await.map(|_| ())),
                Waiter::Stream(call) => {
                    let mut entries = call.entries();
                    let result = loop {
                        match entries.next().await {
                            Some(Ok(_)) => continue,
                            Some(Err(e)) => break Err(e),
                            None => break Ok(()),
                        }
                    };
                    ("stream", result)
                }
                Waiter::Next(call) => ("next", call.step(None).await.map(|_| ())),
            };
            (what, result, Instant::now())
        }));
    }
    // Every waiter (and the `next` line) gets going, and none ends before the kill.
    let early = tokio::time::timeout(
        Duration::from_millis(300),
        futures_util::future::select_all(tasks.iter_mut()),
    )
    .await;
    assert!(early.is_err(), "nothing ends before the kill: {early:?}");

    let killed_at = conn.kill_rumor().await;
    let mut slowest = Duration::ZERO;
    let mut counts = [0usize; 3];
    for task in tasks {
        let (what, result, at) = within("waiter after kill", task).await.unwrap();
        match result {
            Err(Error::Disconnected { .. }) => {}
            other => panic!("{what}: expected Error::Disconnected, got {other:?}"),
        }
        counts[["setup", "stream", "next"]
            .iter()
            .position(|w| *w == what)
            .unwrap()] += 1;
        slowest = slowest.max(at.saturating_duration_since(killed_at));
    }
    eprintln!(
        "{kind:?}: {} setups, {} streams, {} next failed with Disconnected; slowest {slowest:?} after the kill",
        counts[0], counts[1], counts[2]
    );
    assert_eq!(counts, [PENDING_CALLS, 2, 1]);
    assert!(
        slowest < Duration::from_secs(1),
        "{kind:?}: pending calls took {slowest:?} to fail after the kill"
    );
    assert!(matches!(
        conn.rumor.disconnect_reason(),
        Some(Error::Disconnected { .. })
    ));
    assert_eq!(conn.rumor.pending_calls(), 0);
    // New calls fail at once too.
    let err = actor
        .call(Command::new(["host", "view"]))
        .await
        .expect_err("no calls after the kill");
    assert!(err.is_disconnected(), "{err:?}");
}

// ---------------------------------------------------------------------------------------------
// Per transport

macro_rules! instantiate {
    ($kind:expr; $($name:ident => $scenario:ident),* $(,)?) => {$(
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $scenario($kind, stringify!($name)).await
        }
    )*};
}

instantiate!(Kind::Subprocess;
    subprocess_two_actors_connect => two_actors_connect,
    subprocess_failing_call_is_command_error => failing_call_is_command_error,
    subprocess_long_running_call_cancelled => long_running_call_cancelled,
    subprocess_rumor_killed_fails_pending_calls => rumor_killed_fails_pending_calls,
);

instantiate!(Kind::Tcp;
    tcp_two_actors_connect => two_actors_connect,
    tcp_failing_call_is_command_error => failing_call_is_command_error,
    tcp_long_running_call_cancelled => long_running_call_cancelled,
    tcp_rumor_killed_fails_pending_calls => rumor_killed_fails_pending_calls,
);

instantiate!(Kind::Unix;
    unix_two_actors_connect => two_actors_connect,
    unix_failing_call_is_command_error => failing_call_is_command_error,
    unix_long_running_call_cancelled => long_running_call_cancelled,
    unix_rumor_killed_fails_pending_calls => rumor_killed_fails_pending_calls,
);

instantiate!(Kind::Websocket;
    websocket_two_actors_connect => two_actors_connect,
    websocket_failing_call_is_command_error => failing_call_is_command_error,
    websocket_long_running_call_cancelled => long_running_call_cancelled,
    websocket_rumor_killed_fails_pending_calls => rumor_killed_fails_pending_calls,
);

// ---------------------------------------------------------------------------------------------
// Connection errors

#[tokio::test]
async fn websocket_wrong_api_key_is_auth_error() {
    let server = Server::start(Kind::Websocket).await;
    for key in ["wrong", ""] {
        let err = Rumor::connect_ws(&server.ws_url(), key)
            .await
            .expect_err("a wrong key must be refused");
        assert!(matches!(err, Error::Auth { .. }), "key {key:?}: {err:?}");
    }
    // The right key still works on the same server.
    let rumor = Rumor::connect_ws(&server.ws_url(), &server.api_key)
        .await
        .expect("the right key is accepted");
    let out = ok(
        &rumor.actor("websocket_wrong_api_key").unwrap(),
        Command::new(["sleep"]).flag("time", "1ms"),
    )
    .await;
    assert!(!out.entries.is_empty());
}

fn assert_io_naming(err: &Error, name: &str) {
    match err {
        Error::Io { context, .. } => {
            assert!(context.contains(name), "{context:?} should name {name}")
        }
        other => panic!("expected Error::Io naming {name}, got {other:?}"),
    }
    assert!(err.to_string().contains(name), "{err}");
}

#[tokio::test]
async fn tcp_nothing_listening_is_io_error() {
    let addr = format!("127.0.0.1:{}", free_port());
    let err = Rumor::connect_tcp(&addr)
        .await
        .expect_err("nothing listens");
    assert_io_naming(&err, &addr);
}

#[tokio::test]
async fn websocket_nothing_listening_is_io_error() {
    let addr = format!("127.0.0.1:{}", free_port());
    let err = Rumor::connect_ws(&format!("ws://{addr}/ws"), "key")
        .await
        .expect_err("nothing listens");
    assert_io_naming(&err, &addr);
}

#[tokio::test]
async fn unix_nothing_listening_is_io_error() {
    let path = unique_socket_path();
    let err = Rumor::connect_unix(&path)
        .await
        .expect_err("nothing listens");
    assert_io_naming(&err, &path.display().to_string());
}
