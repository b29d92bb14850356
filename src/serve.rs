//! `rumor serve` from Rust: start it as a child process on free ports, wait until it accepts
//! connections, connect; it is stopped when the [`Server`] is dropped.
//!
//! ```no_run
//! use pyrum::serve::Server;
//! use pyrum::prelude::*;
//!
//! # async fn demo() -> pyrum::Result<()> {
//! let server = Server::start().await?;            // TCP, Unix socket and WebSocket (random key)
//! let over_tcp = server.connect_tcp().await?;
//! let over_ws = server.connect_ws().await?;
//! over_tcp.actor("alice")?.host().start().await?;
//! // Both sessions share the server's actors.
//! let view = over_ws.actor("alice")?.host().view().await?;
//! drop(server);                                   // SIGKILL; the clients see Disconnected
//! # Ok(()) }
//! ```
//!
//! Which listeners to open, the Rumor binary, the API key and the start deadline are set with
//! [`Server::builder`]. The server's own log (text, not JSON) is drained and its last lines are
//! kept for errors ([`Server::output`]).

use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use pyrum_core::{Error, Result, Rumor, RumorBuilder};
use tokio::io::{AsyncBufReadExt, AsyncRead, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::watch;

/// How many lines of the server's output are kept for error messages.
const KEPT_LINES: usize = 40;
/// How often a start with a port taken meanwhile is retried with fresh ports.
const START_ATTEMPTS: usize = 3;

/// What to start: see [`Server::builder`].
#[derive(Debug, Clone)]
#[must_use = "a builder does nothing until `start` is awaited"]
pub struct ServerBuilder {
    bin: Option<PathBuf>,
    tcp: bool,
    unix: Option<Option<PathBuf>>,
    websocket: bool,
    api_key: Option<String>,
    start_timeout: Duration,
    level: String,
}

impl Default for ServerBuilder {
    fn default() -> Self {
        ServerBuilder {
            bin: None,
            tcp: true,
            unix: Some(None),
            websocket: true,
            api_key: None,
            start_timeout: Duration::from_secs(20),
            level: "info".into(),
        }
    }
}

impl ServerBuilder {
    /// The Rumor binary (default: [`pyrum_core::find_rumor`]: `RUMOR_BIN`, the cache of
    /// `scripts/install-rumor`, then `PATH`).
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let server = pyrum::serve::Server::builder().rumor_bin("/opt/rumor").start().await?;
    /// # Ok(()) }
    /// ```
    pub fn rumor_bin(mut self, path: impl Into<PathBuf>) -> Self {
        self.bin = Some(path.into());
        self
    }

    /// `--tcp 127.0.0.1:<free port>` (default on).
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let only_ws = pyrum::serve::Server::builder().tcp(false).unix(false).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn tcp(mut self, on: bool) -> Self {
        self.tcp = on;
        self
    }

    /// `--ipc <socket>` in the temporary folder (default on).
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let server = pyrum::serve::Server::builder().unix(false).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn unix(mut self, on: bool) -> Self {
        self.unix = on.then_some(None);
        self
    }

    /// `--ipc <path>`: the Unix socket at `path`. Rumor deletes whatever is there first.
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let server = pyrum::serve::Server::builder().unix_path("rumor.sock").start().await?;
    /// # Ok(()) }
    /// ```
    pub fn unix_path(mut self, path: impl Into<PathBuf>) -> Self {
        self.unix = Some(Some(path.into()));
        self
    }

    /// `--http 127.0.0.1:<free port>` with `--api-key`: the WebSocket endpoint `/ws` (default
    /// on, with a random key unless [`ServerBuilder::api_key`] sets one).
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let server = pyrum::serve::Server::builder().websocket(false).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn websocket(mut self, on: bool) -> Self {
        self.websocket = on;
        self
    }

    /// The API key the WebSocket endpoint requires (`X-Api-Key`). Rumor prints it in its own
    /// log; without it a random key is made.
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let server = pyrum::serve::Server::builder().api_key("s3cret").start().await?;
    /// assert_eq!(server.api_key(), Some("s3cret"));
    /// # Ok(()) }
    /// ```
    pub fn api_key(mut self, key: impl Into<String>) -> Self {
        self.api_key = Some(key.into());
        self
    }

    /// How long the server may take to accept connections (default 20 s).
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// use std::time::Duration;
    /// let server = pyrum::serve::Server::builder().start_timeout(Duration::from_secs(60)).start().await?;
    /// # Ok(()) }
    /// ```
    pub fn start_timeout(mut self, limit: Duration) -> Self {
        self.start_timeout = limit;
        self
    }

    /// Starts `rumor serve` and waits until every listener accepts connections: TCP and the
    /// Unix socket are open once Rumor logs "Started server"; the HTTP listener starts in the
    /// background, so its port is tried until it accepts.
    ///
    /// # Errors
    ///
    /// [`Error::RumorNotFound`] without a binary; [`Error::InvalidInput`] for an API key that
    /// cannot be a header or a command-line word; [`Error::Io`] when the process cannot start;
    /// [`Error::Disconnected`] when Rumor exits or cannot open a listener (with its own
    /// words); [`Error::Timeout`] when it does not accept in time.
    ///
    /// # Cancel safety
    ///
    /// Dropped early, the child started so far is killed.
    pub async fn start(self) -> Result<Server> {
        if !(self.tcp || self.unix.is_some() || self.websocket) {
            return Err(Error::InvalidInput {
                what: "server",
                value: "no listener".into(),
                reason: "enable at least one of tcp, unix and websocket".into(),
            });
        }
        if let Some(key) = &self.api_key {
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_graphic()) {
                return Err(Error::InvalidInput {
                    what: "API key",
                    value: key.clone(),
                    reason: "use visible ASCII characters, no spaces (it is an HTTP header)".into(),
                });
            }
        }
        let bin = match &self.bin {
            Some(bin) => bin.clone(),
            None => pyrum_core::find_rumor()?,
        };
        let mut attempt = 1;
        loop {
            match self.start_once(&bin).await {
                Err(Error::Disconnected { cause })
                    if cause.contains("address already in use") && attempt < START_ATTEMPTS =>
                {
                    attempt += 1; // a port was taken between picking it and Rumor binding it
                }
                other => return other,
            }
        }
    }

    async fn start_once(&self, bin: &Path) -> Result<Server> {
        let tcp = self.tcp.then(free_port).transpose()?;
        let http = self.websocket.then(free_port).transpose()?;
        let unix = self
            .unix
            .as_ref()
            .map(|p| p.clone().unwrap_or_else(unique_socket_path));
        let api_key = self
            .websocket
            .then(|| self.api_key.clone().unwrap_or_else(random_key));
        let mut cmd = Command::new(bin);
        cmd.arg("serve").arg(format!("--level={}", self.level));
        if let Some(addr) = tcp {
            cmd.arg(format!("--tcp={addr}"));
        }
        if let Some(path) = &unix {
            cmd.arg("--ipc").arg(path);
        }
        if let (Some(addr), Some(key)) = (http, &api_key) {
            cmd.arg(format!("--http={addr}"))
                .arg(format!("--api-key={key}"));
        }
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd
            .spawn()
            .map_err(|e| io_error(format!("starting {} serve", bin.display()), e))?;
        let output = Arc::new(Mutex::new(VecDeque::new()));
        let (events, mut seen) = watch::channel(Started::No);
        for pipe in [
            child
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn AsyncRead + Send + Unpin>),
            child
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn AsyncRead + Send + Unpin>),
        ]
        .into_iter()
        .flatten()
        {
            tokio::spawn(drain(pipe, output.clone(), events.clone()));
        }
        let mut server = Server {
            child,
            bin: bin.to_path_buf(),
            tcp,
            unix,
            http,
            api_key,
            output,
        };
        let deadline = Instant::now() + self.start_timeout;
        // TCP and IPC listen before "Started server"; a listener that failed is logged first.
        loop {
            let state = seen.borrow_and_update().clone();
            match state {
                Started::Yes => break,
                Started::Failed(line) => return Err(server.gone(&format!("Rumor: {line}"))),
                Started::No => {}
            }
            let left = deadline.saturating_duration_since(Instant::now());
            tokio::select! {
                changed = seen.changed() => if changed.is_err() {
                    // Both pipes closed: the process is gone.
                    let status = server.child.wait().await.ok();
                    return Err(server.gone(&format!("rumor serve exited ({status:?})")));
                },
                status = server.child.wait() => {
                    return Err(server.gone(&format!("rumor serve exited ({:?})", status.ok())));
                }
                () = tokio::time::sleep(left) => return Err(server.timeout("log \"Started server\"", self.start_timeout)),
            }
        }
        if let Some(addr) = server.http {
            let mut pause = Duration::from_millis(10);
            while tokio::net::TcpStream::connect(addr).await.is_err() {
                if let Ok(Some(status)) = server.child.try_wait() {
                    return Err(server.gone(&format!("rumor serve exited ({status})")));
                }
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    return Err(server.timeout("accept on its HTTP port", self.start_timeout));
                }
                tokio::time::sleep(pause.min(left)).await;
                pause = (pause * 2).min(Duration::from_millis(200));
            }
        }
        Ok(server)
    }
}

/// A running `rumor serve`, killed (SIGKILL) when dropped; its Unix socket is removed then.
pub struct Server {
    child: Child,
    bin: PathBuf,
    tcp: Option<SocketAddr>,
    unix: Option<PathBuf>,
    http: Option<SocketAddr>,
    api_key: Option<String>,
    output: Arc<Mutex<VecDeque<String>>>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("pid", &self.child.id())
            .field("tcp", &self.tcp)
            .field("unix", &self.unix)
            .field("http", &self.http)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// What to start: every listener on (TCP, Unix socket, WebSocket with a random key), the
    /// binary [`pyrum_core::find_rumor`] finds, 20 s to start.
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let server = pyrum::serve::Server::builder().unix(false).api_key("k").start().await?;
    /// # Ok(()) }
    /// ```
    pub fn builder() -> ServerBuilder {
        ServerBuilder::default()
    }

    /// Starts a server with every listener; see [`ServerBuilder::start`].
    ///
    /// ```no_run
    /// # async fn demo() -> pyrum::Result<()> {
    /// let server = pyrum::serve::Server::start().await?;
    /// println!("{:?} {:?} {:?}", server.tcp_addr(), server.unix_path(), server.ws_url());
    /// # Ok(()) }
    /// ```
    ///
    /// # Cancel safety
    ///
    /// As [`ServerBuilder::start`].
    pub async fn start() -> Result<Server> {
        ServerBuilder::default().start().await
    }

    /// The TCP listener's address, if it has one.
    pub fn tcp_addr(&self) -> Option<SocketAddr> {
        self.tcp
    }

    /// The Unix socket's path, if it has one.
    pub fn unix_path(&self) -> Option<&Path> {
        self.unix.as_deref()
    }

    /// `ws://127.0.0.1:<port>/ws`, if the WebSocket listener is on.
    pub fn ws_url(&self) -> Option<String> {
        self.http.map(|a| format!("ws://{a}/ws"))
    }

    /// The key the WebSocket endpoint requires.
    pub fn api_key(&self) -> Option<&str> {
        self.api_key.as_deref()
    }

    /// The process id, while it runs.
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The last lines the server wrote (its own log, text), oldest first.
    pub fn output(&self) -> Vec<String> {
        self.output
            .lock()
            .map(|o| o.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A new session over TCP.
    ///
    /// # Cancel safety
    ///
    /// As [`RumorBuilder::connect_tcp`].
    pub async fn connect_tcp(&self) -> Result<Rumor> {
        self.connect_tcp_with(Rumor::builder()).await
    }

    /// [`Server::connect_tcp`] with a client's settings.
    ///
    /// # Cancel safety
    ///
    /// As [`RumorBuilder::connect_tcp`].
    pub async fn connect_tcp_with(&self, builder: RumorBuilder) -> Result<Rumor> {
        let addr = self.tcp.ok_or_else(|| self.not_enabled("tcp"))?;
        builder.connect_tcp(&addr.to_string()).await
    }

    /// A new session over the Unix socket.
    ///
    /// # Cancel safety
    ///
    /// As [`RumorBuilder::connect_unix`].
    pub async fn connect_unix(&self) -> Result<Rumor> {
        self.connect_unix_with(Rumor::builder()).await
    }

    /// [`Server::connect_unix`] with a client's settings.
    ///
    /// # Cancel safety
    ///
    /// As [`RumorBuilder::connect_unix`].
    pub async fn connect_unix_with(&self, builder: RumorBuilder) -> Result<Rumor> {
        let path = self.unix.as_ref().ok_or_else(|| self.not_enabled("unix"))?;
        builder.connect_unix(path).await
    }

    /// A new session over the WebSocket, with the server's key.
    ///
    /// # Cancel safety
    ///
    /// As [`RumorBuilder::connect_ws`].
    pub async fn connect_ws(&self) -> Result<Rumor> {
        self.connect_ws_with(Rumor::builder()).await
    }

    /// [`Server::connect_ws`] with a client's settings.
    ///
    /// # Cancel safety
    ///
    /// As [`RumorBuilder::connect_ws`].
    pub async fn connect_ws_with(&self, builder: RumorBuilder) -> Result<Rumor> {
        let (url, key) = match (self.ws_url(), &self.api_key) {
            (Some(url), Some(key)) => (url, key),
            _ => return Err(self.not_enabled("websocket")),
        };
        builder.connect_ws(&url, key).await
    }

    /// Sends SIGKILL now and returns without waiting (for fault tests: every client of the
    /// server gets [`Error::Disconnected`]).
    ///
    /// ```no_run
    /// # async fn demo(mut server: pyrum::serve::Server, rumor: pyrum::Rumor) -> pyrum::Result<()> {
    /// server.kill()?;
    /// assert!(rumor.closed().await.is_disconnected());
    /// # Ok(()) }
    /// ```
    pub fn kill(&mut self) -> Result<()> {
        self.child
            .start_kill()
            .map_err(|e| io_error("killing rumor serve", e))
    }

    /// Kills the server (SIGKILL; Rumor's serve mode has no cleanup a client could wait for)
    /// and waits until it is gone; removes its Unix socket.
    ///
    /// # Cancel safety
    ///
    /// The kill is sent when first polled; dropping the future later only stops the wait (the
    /// drop of the [`Server`] reaps it).
    pub async fn stop(mut self) -> Result<()> {
        let _ = self.child.start_kill();
        self.child
            .wait()
            .await
            .map_err(|e| io_error("waiting for rumor serve to exit", e))?;
        Ok(())
    }

    fn not_enabled(&self, which: &str) -> Error {
        Error::InvalidInput {
            what: "transport",
            value: which.into(),
            reason: format!(
                "this server was started without its {which} listener; enable it on Server::builder()"
            ),
        }
    }

    fn gone(&self, what: &str) -> Error {
        Error::Disconnected {
            cause: format!(
                "{what}; `{} serve` wrote: {}",
                self.bin.display(),
                self.output().join(" | ")
            )
            .into(),
        }
    }

    fn timeout(&self, what: &str, after: Duration) -> Error {
        Error::Timeout {
            what: format!(
                "`{} serve` to {what} (it wrote: {})",
                self.bin.display(),
                self.output().join(" | ")
            ),
            after,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.start_kill();
        if let Some(path) = &self.unix {
            let _ = std::fs::remove_file(path);
        }
    }
}

/// How far the server's start went, as its log tells.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Started {
    No,
    Yes,
    /// "cannot start listener", with the line.
    Failed(String),
}

/// Reads a pipe of the server to its end: keeps the last lines, reports the start.
async fn drain(
    pipe: Box<dyn AsyncRead + Send + Unpin>,
    output: Arc<Mutex<VecDeque<String>>>,
    events: watch::Sender<Started>,
) {
    let mut lines = BufReader::new(pipe).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if line.contains("cannot start listener") {
            events.send_replace(Started::Failed(line.clone()));
        } else if line.contains("Started server") {
            events.send_if_modified(|s| {
                let first = *s == Started::No;
                if first {
                    *s = Started::Yes;
                }
                first
            });
        }
        if let Ok(mut kept) = output.lock() {
            if kept.len() == KEPT_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    }
}

fn io_error(context: impl Into<String>, source: std::io::Error) -> Error {
    Error::Io {
        context: context.into(),
        source: Arc::new(source),
    }
}

/// A loopback port that was free a moment ago.
fn free_port() -> Result<SocketAddr> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map_err(|e| io_error("finding a free port on 127.0.0.1", e))
}

/// A socket path of its own in the temporary folder.
fn unique_socket_path() -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "pyrum-serve-{}-{}.sock",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

/// 128 random-enough bits as hex (std's per-process random hash keys).
fn random_key() -> String {
    let word = || {
        let mut h = RandomState::new().build_hasher();
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or_default(),
        );
        h.finish()
    };
    format!("pyrum{:016x}{:016x}", word(), word())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_differ_and_are_header_safe() {
        let (a, b) = (random_key(), random_key());
        assert_ne!(a, b);
        assert!(a.chars().all(|c| c.is_ascii_alphanumeric()), "{a}");
    }

    #[tokio::test]
    async fn bad_settings_are_errors_before_anything_starts() {
        let none = Server::builder()
            .tcp(false)
            .unix(false)
            .websocket(false)
            .start()
            .await;
        assert!(matches!(none, Err(Error::InvalidInput { .. })), "{none:?}");
        let key = Server::builder().api_key("a b").start().await;
        assert!(matches!(key, Err(Error::InvalidInput { .. })), "{key:?}");
    }
}
