//! Faults against the real Rumor: a connection cut under pending calls, Rumor panicking, and a
//! line that breaks Rumor's shell parser. Every pending call, stream and step waiter must end
//! with [`Error::Disconnected`] within a second, with a cause that says what happened; nothing
//! hangs. (Killing Rumor with 1,000 pending calls, a wrong API key and nothing listening are
//! covered per transport in `tests/transports.rs`.)

#[allow(dead_code)]
mod common;

use std::future::{Future, IntoFuture};
use std::time::{Duration, Instant};

use common::{connect, Connected, Kind, Server};
use pyrum::prelude::*;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Upper bound for any single wait, so that a bug fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(30);
/// How fast every pending call must fail after the fault.
const FAIL_FAST: Duration = Duration::from_secs(1);
/// Calls pending (a 30 s `sleep` each) when the fault happens.
const PENDING: usize = 100;

async fn within<T>(what: &str, fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: no answer within {LIMIT:?}"))
}

/// Waiters on everything a client can wait for: call setups, streams, a step.
struct Pending {
    tasks: Vec<tokio::task::JoinHandle<(&'static str, Result<()>, Instant)>>,
    calls: usize,
}

/// Starts `PENDING` 30 s sleeps and a `host notify all` (read as a stream, with a `next`
/// waiting on it) on a fresh actor, and waits until Rumor runs them all.
async fn pending_work(rumor: &Rumor, actor_name: &str) -> Pending {
    let actor = rumor.actor(actor_name).unwrap();
    within(
        "host start",
        actor
            .call(Command::new(["host", "start"]))
            .await
            .unwrap()
            .setup(),
    )
    .await
    .expect("host start");
    let notify = actor
        .call(Command::new(["host", "notify"]).positional("all"))
        .await
        .unwrap();
    within("notify setup", notify.setup()).await.unwrap();
    let sleeps = common::pending_sleeps(&actor, PENDING, LIMIT).await;
    assert_eq!(rumor.pending_calls(), PENDING + 1);
    let mut tasks = Vec::new();
    for call in sleeps {
        tasks.push(tokio::spawn(async move {
            ("setup", call.setup().await.map(|_| ()), Instant::now())
        }));
    }
    let mut entries = notify.entries();
    tasks.push(tokio::spawn(async move {
        let result = loop {
            match entries.next().await {
                Some(Ok(_)) => continue,
                Some(Err(e)) => break Err(e),
                None => break Ok(()),
            }
        };
        ("stream", result, Instant::now())
    }));
    let stepping = notify.clone();
    tasks.push(tokio::spawn(async move {
        (
            "next",
            stepping.step(None).await.map(|_| ()),
            Instant::now(),
        )
    }));
    tasks.push(tokio::spawn(async move {
        ("finished", notify.finished().await, Instant::now())
    }));
    // Every waiter (and the `next` line) gets going, and none ends early.
    let early = tokio::time::timeout(
        Duration::from_millis(200),
        futures_util::future::select_all(tasks.iter_mut()),
    )
    .await;
    assert!(early.is_err(), "nothing ends early: {early:?}");
    Pending {
        tasks,
        calls: PENDING + 1,
    }
}

impl Pending {
    /// Every waiter ends with Disconnected, within [`FAIL_FAST`] of `fault`; returns the causes
    /// seen and the slowest delay.
    async fn all_disconnected(self, fault: Instant, what: &str) -> (Vec<String>, Duration) {
        let n = self.tasks.len();
        let mut slowest = Duration::ZERO;
        let mut causes = Vec::new();
        for task in self.tasks {
            let (kind, result, at) = within(what, task).await.unwrap();
            match result {
                Err(Error::Disconnected { cause }) => {
                    if !causes.contains(&cause.to_string()) {
                        causes.push(cause.to_string());
                    }
                }
                other => panic!("{what}: {kind} waiter: expected Disconnected, got {other:?}"),
            }
            slowest = slowest.max(at.saturating_duration_since(fault));
        }
        eprintln!(
            "{what}: {n} waiters ({} calls) failed with Disconnected, slowest {slowest:?} after the fault",
            self.calls
        );
        assert!(
            slowest < FAIL_FAST,
            "{what}: waiters took {slowest:?} to fail"
        );
        assert_eq!(causes.len(), 1, "one shared cause: {causes:?}");
        (causes, slowest)
    }
}

/// Checks that a fresh connection to `server` works.
async fn server_still_serves(server: &Server, kind: Kind, test: &str) {
    let rumor = match kind {
        Kind::Tcp => Rumor::connect_tcp(server.addr.as_ref().unwrap()).await,
        Kind::Websocket => Rumor::connect_ws(&server.ws_url(), &server.api_key).await,
        _ => unreachable!(),
    }
    .expect("a new connection to the same server");
    let actor = rumor.actor(&format!("{test}-again")).unwrap();
    let call = actor
        .call(Command::new(["sleep"]).flag("time", "1ms"))
        .await
        .unwrap();
    within("sleep on a new connection", call.setup())
        .await
        .expect("the server still runs calls");
}

// ---------------------------------------------------------------------------------------------
// Connection cut

/// A TCP proxy for one connection; sending on the returned channel cuts both sides.
async fn cutting_proxy(target: String) -> (String, oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let (cut_tx, cut_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let (mut client, _) = listener.accept().await.unwrap();
        let mut server = TcpStream::connect(&target).await.unwrap();
        tokio::select! {
            _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
            _ = cut_rx => {}
        }
        // Both sockets are dropped here: the client sees the connection end without a goodbye.
    });
    (addr, cut_tx)
}

async fn connection_cut(kind: Kind, test: &str) {
    let server = Server::start(kind).await;
    let target = server.addr.clone().unwrap();
    let (proxy, cut) = cutting_proxy(target).await;
    let rumor = match kind {
        Kind::Tcp => Rumor::connect_tcp(&proxy).await,
        Kind::Websocket => Rumor::connect_ws(&format!("ws://{proxy}/ws"), &server.api_key).await,
        _ => unreachable!(),
    }
    .expect("connecting through the proxy");
    let pending = pending_work(&rumor, test).await;

    let fault = Instant::now();
    cut.send(()).unwrap();
    let (causes, _) = pending.all_disconnected(fault, test).await;
    assert!(
        causes[0].contains(&proxy),
        "the cause names the connection: {causes:?}"
    );
    assert_eq!(rumor.pending_calls(), 0);
    let err = rumor
        .actor(test)
        .unwrap()
        .call(Command::new(["host", "view"]))
        .await
        .expect_err("no calls after the cut");
    assert!(err.is_disconnected(), "{err:?}");
    // Only the connection was lost: the server serves a new one.
    server_still_serves(&server, kind, test).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_tcp_connection_cut() {
    connection_cut(Kind::Tcp, "kill_disconnect_tcp_connection_cut").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_websocket_connection_cut() {
    connection_cut(Kind::Websocket, "kill_disconnect_websocket_connection_cut").await
}

// ---------------------------------------------------------------------------------------------
// Rumor panicking

/// `wait` with an argument panics inside Rumor's shell (mvdan/sh v3.1.2: "wait with args not
/// handled yet"); `dv5 resolve` does not (see below). In bare mode the panic kills the process:
/// every waiter gets Disconnected, and the cause carries the panic line from Rumor's stderr.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_rumor_panic_carries_panic_text() {
    let conn = connect(Kind::Subprocess).await;
    let pending = pending_work(&conn.rumor, "panic").await;
    let fault = Instant::now();
    let err = within("wait 1", conn.rumor.statement(["wait", "1"]))
        .await
        .expect_err("Rumor panics");
    assert!(err.is_disconnected(), "{err:?}");
    let (causes, _) = pending.all_disconnected(fault, "panic").await;
    let cause = &causes[0];
    assert!(
        cause.contains("panic: wait with args not handled yet"),
        "the cause carries the panic text: {cause}"
    );
    assert!(cause.contains("exit status: 2"), "{cause}");
    assert_eq!(
        err.to_string(),
        Error::Disconnected {
            cause: cause.as_str().into()
        }
        .to_string()
    );
    assert_eq!(conn.rumor.pending_calls(), 0);
}

/// Over `rumor serve --tcp` the same panic kills the whole server: the client sees the
/// connection end (stderr is the server's, not ours), and nothing listens afterwards.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_rumor_panic_tcp_server_dies() {
    let conn = connect(Kind::Tcp).await;
    let pending = pending_work(&conn.rumor, "panic_tcp").await;
    let fault = Instant::now();
    let err = within("wait 1", conn.rumor.statement(["wait", "1"]))
        .await
        .expect_err("Rumor panics");
    assert!(err.is_disconnected(), "{err:?}");
    pending.all_disconnected(fault, "panic over tcp").await;
    let addr = conn.server.as_ref().unwrap().addr.clone().unwrap();
    let again = Rumor::connect_tcp(&addr).await;
    assert!(
        matches!(again, Err(Error::Io { .. })),
        "the server died with the panic: {again:?}"
    );
}

/// Over the websocket, a statement runs on net/http's connection goroutine, whose recovery
/// catches the panic: only this connection is dropped, the server lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_rumor_panic_websocket_drops_only_the_connection() {
    let conn = connect(Kind::Websocket).await;
    let pending = pending_work(&conn.rumor, "panic_ws").await;
    let fault = Instant::now();
    let err = within("wait 1", conn.rumor.statement(["wait", "1"]))
        .await
        .expect_err("Rumor panics");
    assert!(err.is_disconnected(), "{err:?}");
    pending
        .all_disconnected(fault, "panic over websocket")
        .await;
    server_still_serves(conn.server.as_ref().unwrap(), Kind::Websocket, "panic_ws").await;
}

fn free_udp_port() -> u16 {
    std::net::UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `dv5 resolve` (rumor-protocol §3.5 and §8 name it as a panic trigger) does not panic with
/// Rumor v0.3.6 as built: go-ethereum's `Resolve` never returns nil (it returns its argument
/// when resolving fails), so the inverted nil check always reports
/// "Failed to resolve <target>, nil result" as the call's error, and Rumor lives on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_dv5_resolve_is_an_error_not_a_panic() -> Result<()> {
    let conn = connect(Kind::Subprocess).await;
    let mut enrs = Vec::new();
    let mut runs = Vec::new();
    for name in ["resolve-a", "resolve-b"] {
        let actor = conn.rumor.actor(name)?;
        let udp = free_udp_port();
        actor.host().start().await?;
        let made = actor
            .enr()
            .make()
            .ip([127, 0, 0, 1])
            .udp(udp)
            .tcp(udp)
            .await?;
        runs.push(actor.dv5().run().ip([127, 0, 0, 1]).udp(udp).await?);
        enrs.push((actor, made.enr));
    }
    let (a, _) = &enrs[0];
    let (_, b_enr) = &enrs[1];
    let err = within("dv5 resolve", a.dv5().resolve(b_enr.clone()).into_future())
        .await
        .expect_err("v0.3.6 reports every resolve as failed");
    match &err {
        Error::Command { message, .. } => assert!(
            message.contains("Failed to resolve") && message.contains("nil result"),
            "{message}"
        ),
        other => panic!("expected a command error, got {other:?}"),
    }
    // Rumor is alive and well.
    assert!(conn.rumor.disconnect_reason().is_none());
    a.host().view().await?;
    for run in runs {
        run.cancel().await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// A line that breaks Rumor's parser (only possible through the raw API)

/// A stray `)` is a hard syntax error for Rumor's shell: it logs `failed to run input` and reads
/// no more input from this connection (bare mode exits with status 0; a `rumor serve` session
/// keeps the connection open but never answers again). pyrum turns that entry into
/// Disconnected for everything pending, instead of letting calls wait for their setup timeout.
async fn parser_error(kind: Kind, test: &str) {
    let conn: Connected = connect(kind).await;
    let pending = pending_work(&conn.rumor, test).await;
    let mut events = conn.rumor.session_events().unwrap();
    let fault = Instant::now();
    conn.rumor
        .send_raw_line(")")
        .await
        .expect("the raw API sends anything it can carry");
    let (causes, _) = pending.all_disconnected(fault, test).await;
    let cause = &causes[0];
    // `<line>:<column>: ) can only be used to close a subshell`, from mvdan/sh.
    assert!(
        cause.contains("Rumor stopped reading input (failed to run input: ")
            && cause.ends_with(":1: ) can only be used to close a subshell)"),
        "{cause}"
    );
    // Session listeners see Rumor's own entry, then the end.
    let entry = within("failed to run input", events.recv()).await.unwrap();
    assert_eq!(entry.msg, "failed to run input");
    assert!(matches!(
        within("events end", events.recv()).await,
        Err(tokio::sync::broadcast::error::RecvError::Closed)
    ));
    let err = conn
        .rumor
        .actor(test)
        .unwrap()
        .call(Command::new(["host", "view"]))
        .await
        .expect_err("no calls after the parser gave up");
    assert!(err.is_disconnected(), "{err:?}");
    if let Some(server) = &conn.server {
        // The server itself is fine; only that session's input is dead.
        server_still_serves(server, kind, test).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_parser_error_subprocess() {
    parser_error(Kind::Subprocess, "kill_disconnect_parser_error_subprocess").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_parser_error_tcp() {
    parser_error(Kind::Tcp, "kill_disconnect_parser_error_tcp").await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_parser_error_websocket() {
    parser_error(Kind::Websocket, "kill_disconnect_parser_error_websocket").await
}

/// An unbalanced quote is not an error for Rumor: its shell waits for the rest of the statement
/// and swallows the following lines into the open string, answering nothing meanwhile. The SDK's
/// own quoting never produces one; through the raw API, a closing quote lets the session go on.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_disconnect_unbalanced_quote_swallows_lines_until_closed() {
    let conn = connect(Kind::Subprocess).await;
    let mut events = conn.rumor.session_events().unwrap();
    conn.rumor.send_raw_line("echo 'open").await.unwrap();
    conn.rumor.send_raw_line("echo swallowed").await.unwrap();
    conn.rumor.send_raw_line("'").await.unwrap();
    let first = loop {
        let e = within("echo output", events.recv()).await.unwrap();
        if let Some(out) = e.str_field("stdout") {
            break out.to_string();
        }
    };
    assert_eq!(
        first.trim_end(),
        "open\necho swallowed",
        "one statement, one word"
    );
    let out = within(
        "after the quote closed",
        conn.rumor.statement(["echo", "back"]),
    )
    .await
    .unwrap();
    let text: String = out.iter().filter_map(|e| e.str_field("stdout")).collect();
    assert_eq!(text.trim_end(), "back");
    assert!(conn.rumor.disconnect_reason().is_none());
}
