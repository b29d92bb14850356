//! Helpers for tests against the real Rumor binary: find it, start `rumor serve`, connect.
//!
//! A missing Rumor is a failure, never a skip: [`rumor_bin`] panics with the finder's hint.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pyrum_core::Rumor;

/// How long a fresh `rumor serve` may take to accept connections.
const START_LIMIT: Duration = Duration::from_secs(15);

/// The four ways to reach Rumor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `rumor bare --level=trace` as a child process.
    Subprocess,
    /// `rumor serve --tcp`.
    Tcp,
    /// `rumor serve --ipc` (unix socket).
    Unix,
    /// `rumor serve --http --api-key`, websocket at `/ws`.
    Websocket,
}

/// The Rumor binary; panics with the install hint when it is missing.
pub fn rumor_bin() -> PathBuf {
    match pyrum_core::find_rumor() {
        Ok(bin) => bin,
        Err(pyrum_core::Error::RumorNotFound { hint }) => {
            panic!("Rumor is required for these tests: {hint}")
        }
        Err(e) => panic!("Rumor is required for these tests: {e}"),
    }
}

/// A fresh `rumor bare --level=trace` (the subprocess transport) on the real binary.
pub async fn spawn_bare() -> Rumor {
    Rumor::builder()
        .rumor_bin(rumor_bin())
        .spawn()
        .await
        .expect("rumor bare starts")
}

/// A port that was free a moment ago (bind 127.0.0.1:0, read the port, release it).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("binding 127.0.0.1:0")
        .local_addr()
        .expect("local address")
        .port()
}

/// A socket path no other test (or test process) uses.
pub fn unique_socket_path() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "pyrum-test-{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A running `rumor serve` with the one listener a [`Kind`] needs: `pyrum::serve::Server`,
/// with its addresses in the shape these tests use. Killed when dropped.
pub struct Server {
    inner: pyrum::serve::Server,
    /// `127.0.0.1:PORT` of the `--tcp` or `--http` listener.
    pub addr: Option<String>,
    /// Path of the `--ipc` socket.
    pub socket: Option<PathBuf>,
    /// The `--api-key` of the `--http` listener.
    pub api_key: String,
}

impl Server {
    /// Starts `rumor serve` for `kind` (not [`Kind::Subprocess`]) and waits until it accepts
    /// connections.
    pub async fn start(kind: Kind) -> Server {
        let builder = pyrum::serve::Server::builder()
            .rumor_bin(rumor_bin())
            .start_timeout(START_LIMIT)
            .tcp(kind == Kind::Tcp)
            .unix(kind == Kind::Unix)
            .websocket(kind == Kind::Websocket);
        assert_ne!(
            kind,
            Kind::Subprocess,
            "the subprocess transport needs no server"
        );
        let inner = builder.start().await.expect("rumor serve starts");
        let addr = match kind {
            Kind::Tcp => inner.tcp_addr().map(|a| a.to_string()),
            Kind::Websocket => inner.ws_url().map(|u| {
                u.trim_start_matches("ws://")
                    .trim_end_matches("/ws")
                    .to_string()
            }),
            _ => None,
        };
        Server {
            addr,
            socket: inner.unix_path().map(PathBuf::from),
            api_key: inner.api_key().unwrap_or_default().to_string(),
            inner,
        }
    }

    /// `ws://127.0.0.1:PORT/ws`.
    pub fn ws_url(&self) -> String {
        self.inner.ws_url().expect("an --http server")
    }

    /// SIGKILLs the server now; returns when the signal was sent.
    pub fn kill(&mut self) -> Instant {
        self.inner.kill().expect("SIGKILL rumor serve");
        Instant::now()
    }
}

/// A connection to Rumor, and the server behind it (none for the subprocess).
pub struct Connected {
    /// The client.
    pub rumor: Rumor,
    /// The server (killed on drop).
    pub server: Option<Server>,
    /// How it is connected.
    pub kind: Kind,
}

impl Connected {
    /// SIGKILLs Rumor: the server, or for the subprocess the raw line `kill -9 $$` (`$$` is
    /// Rumor's own pid in its shell). Returns the moment the kill was issued.
    pub async fn kill_rumor(&mut self) -> Instant {
        match (self.kind, &mut self.server) {
            (Kind::Subprocess, _) => {
                let at = Instant::now();
                self.rumor
                    .send_raw_line("kill -9 $$")
                    .await
                    .expect("sending kill -9 $$");
                at
            }
            (_, Some(server)) => server.kill(),
            (kind, None) => unreachable!("{kind:?} runs on a server"),
        }
    }
}

/// Starts what `kind` needs and returns a connected client.
pub async fn connect(kind: Kind) -> Connected {
    let builder = Rumor::builder();
    let (rumor, server) = match kind {
        Kind::Subprocess => (
            builder
                .rumor_bin(rumor_bin())
                .spawn()
                .await
                .expect("spawning rumor bare"),
            None,
        ),
        Kind::Tcp => {
            let server = Server::start(kind).await;
            let addr = server.addr.clone().unwrap();
            let rumor = builder
                .connect_tcp(&addr)
                .await
                .expect("connecting over tcp");
            (rumor, Some(server))
        }
        Kind::Unix => {
            let server = Server::start(kind).await;
            let path = server.socket.clone().unwrap();
            let rumor = builder
                .connect_unix(&path)
                .await
                .expect("connecting over the unix socket");
            (rumor, Some(server))
        }
        Kind::Websocket => {
            let server = Server::start(kind).await;
            let rumor = builder
                .connect_ws(&server.ws_url(), &server.api_key)
                .await
                .expect("connecting over websocket");
            (rumor, Some(server))
        }
    };
    Connected {
        rumor,
        server,
        kind,
    }
}

/// Sends `n` `sleep --time=30s` calls on `actor` and waits until Rumor has started each one
/// (its "sleeping" entry), so that all `n` are pending inside Rumor; `limit` bounds each wait.
pub async fn pending_sleeps(
    actor: &pyrum_core::Actor,
    n: usize,
    limit: Duration,
) -> Vec<pyrum_core::Call> {
    let mut sleeps = Vec::with_capacity(n);
    for _ in 0..n {
        sleeps.push(
            actor
                .call(pyrum_core::Command::new(["sleep"]).flag("time", "30s"))
                .await
                .expect("sending a sleep"),
        );
    }
    for call in &sleeps {
        match tokio::time::timeout(limit, call.entries().next()).await {
            Ok(Some(Ok(e))) => assert!(e.msg.starts_with("sleeping"), "{e:?}"),
            other => panic!(
                "sleep call {} did not start within {limit:?}: {other:?}",
                call.id()
            ),
        }
        assert!(!call.is_finished());
    }
    sleeps
}

/// Waits until a `host notify` call reports `event`; `limit` bounds the wait.
pub async fn await_event(
    notify: &pyrum::commands::host::HostNotifyCall,
    event: &str,
    limit: Duration,
) -> pyrum::Result<()> {
    let mut events = notify.stream_event();
    let wait = async {
        while let Some(seen) = events.next().await {
            if seen? == event {
                return Ok(());
            }
        }
        panic!("the notify call ended before `{event}`")
    };
    tokio::time::timeout(limit, wait)
        .await
        .unwrap_or_else(|_| panic!("`{event}` notification: nothing within {limit:?}"))
}

pub mod chain;
