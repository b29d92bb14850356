//! Transports: each is a stream of lines in both directions.
//!
//! A [`Wire`] is what the client runs on: a sink of outgoing lines, a stream of incoming
//! lines, and an optional way to explain why the connection ended (a subprocess' exit status
//! and stderr). The four built-in transports make one; tests and recorders can make their own
//! with [`Wire::new`].

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::future::BoxFuture;
use futures_util::{Sink, SinkExt, Stream, StreamExt, TryStreamExt};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, BufReader};
use tokio::process::Command;
use tokio_util::codec::{FramedRead, FramedWrite, LinesCodec, LinesCodecError};

use crate::error::{Error, Result};

/// Outgoing lines (without the trailing newline).
pub type LineSink = Pin<Box<dyn Sink<String, Error = io::Error> + Send>>;
/// Incoming lines (without the trailing newline).
pub type LineStream = Pin<Box<dyn Stream<Item = io::Result<String>> + Send>>;
type Describe = Box<dyn FnOnce() -> BoxFuture<'static, String> + Send>;

/// One connection to Rumor, as lines.
///
/// ```
/// use futures_util::{sink, stream, SinkExt, StreamExt};
/// use pyrum_core::Wire;
/// // A wire that drops what it is sent and answers nothing: enough for a unit test.
/// let sink = sink::drain().sink_map_err(|e| match e {});
/// let wire = Wire::new("test", sink, stream::empty());
/// ```
pub struct Wire {
    pub(crate) name: String,
    pub(crate) sink: LineSink,
    pub(crate) stream: LineStream,
    pub(crate) describe_close: Option<Describe>,
}

impl Wire {
    /// A wire from any line sink and stream; `name` appears in errors (`tcp 127.0.0.1:3030`).
    pub fn new(
        name: impl Into<String>,
        sink: impl Sink<String, Error = io::Error> + Send + 'static,
        stream: impl Stream<Item = io::Result<String>> + Send + 'static,
    ) -> Wire {
        Wire {
            name: name.into(),
            sink: Box::pin(sink),
            stream: Box::pin(stream),
            describe_close: None,
        }
    }

    /// Sets how to explain the end of the connection, for [`Error::Disconnected`].
    pub fn on_close<F>(mut self, describe: F) -> Wire
    where
        F: FnOnce() -> BoxFuture<'static, String> + Send + 'static,
    {
        self.describe_close = Some(Box::new(describe));
        self
    }

    /// A wire over any byte stream pair, framed as newline-terminated lines of at most
    /// `max_line` bytes (a longer incoming line is an error on the connection).
    pub fn from_io(
        name: impl Into<String>,
        read: impl AsyncRead + Send + 'static,
        write: impl AsyncWrite + Send + 'static,
        max_line: usize,
    ) -> Wire {
        let stream = FramedRead::new(read, LinesCodec::new_with_max_length(max_line))
            .map_err(move |e| codec_error(e, max_line));
        let sink =
            SinkExt::<String>::sink_map_err(FramedWrite::new(write, LinesCodec::new()), move |e| {
                codec_error(e, max_line)
            });
        Wire::new(name, sink, stream)
    }

    /// The transport's name, as used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }
}

fn codec_error(e: LinesCodecError, max_line: usize) -> io::Error {
    match e {
        LinesCodecError::MaxLineLengthExceeded => io::Error::new(
            io::ErrorKind::InvalidData,
            format!("Rumor sent a line longer than {max_line} bytes (raise max_line_length)"),
        ),
        LinesCodecError::Io(e) => e,
    }
}

/// What the subprocess transport remembers of stderr.
#[derive(Default)]
struct StderrTail {
    lines: VecDeque<String>,
    panic: Option<String>,
}

const STDERR_LINES: usize = 20;

/// Starts `rumor bare --level=trace` and talks to it over stdin/stdout.
///
/// The child is killed when the wire (and so the client) is dropped. stderr is drained; its
/// last lines, and the first `panic:` line, go into the disconnect cause.
pub(crate) fn spawn_bare(bin: &Path, max_line: usize) -> Result<Wire> {
    let mut child = Command::new(bin)
        .args(["bare", "--level=trace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::io(format!("starting {} bare", bin.display()), e))?;
    let stdin = child.stdin.take().expect("stdin is piped");
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");

    let tail = Arc::new(Mutex::new(StderrTail::default()));
    let stderr_task = {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut lines = BufReader::new(stderr).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::debug!(target: "pyrum::rumor_stderr", "{line}");
                let mut t = tail.lock().unwrap();
                if t.panic.is_none()
                    && (line.starts_with("panic: ") || line.starts_with("fatal error: "))
                {
                    t.panic = Some(line.clone());
                }
                if t.lines.len() == STDERR_LINES {
                    t.lines.pop_front();
                }
                t.lines.push_back(line);
            }
        })
    };

    // The child lives in this task; dropping `keep_alive` (with the wire) kills it.
    let (keep_alive, dropped) = tokio::sync::oneshot::channel::<()>();
    let (status_tx, status_rx) = tokio::sync::watch::channel(None);
    tokio::spawn(async move {
        let status = tokio::select! {
            s = child.wait() => s,
            _ = dropped => {
                let _ = child.start_kill();
                child.wait().await
            }
        };
        let _ = status_tx.send(Some(
            status
                .map(|s| s.to_string())
                .unwrap_or_else(|e| e.to_string()),
        ));
    });

    let mut wire = Wire::from_io(format!("{} bare", bin.display()), stdout, stdin, max_line);
    // The sink owns `keep_alive`: when the client drops the wire, the child is killed.
    let sink = std::mem::replace(
        &mut wire.sink,
        Box::pin(futures_util::sink::drain().sink_map_err(|e| match e {})),
    );
    wire.sink = Box::pin(KeepAlive {
        inner: sink,
        _guard: keep_alive,
    });
    Ok(wire.on_close(move || {
        Box::pin(async move {
            let mut status_rx = status_rx;
            let status = tokio::time::timeout(Duration::from_secs(2), async {
                loop {
                    if let Some(s) = status_rx.borrow().clone() {
                        return s;
                    }
                    if status_rx.changed().await.is_err() {
                        return "unknown status".to_string();
                    }
                }
            })
            .await
            .unwrap_or_else(|_| "still running (stdout closed)".to_string());
            let _ = tokio::time::timeout(Duration::from_millis(500), stderr_task).await;
            let t = tail.lock().unwrap();
            let mut cause = format!("rumor exited ({status})");
            if let Some(p) = &t.panic {
                cause.push_str("; ");
                cause.push_str(p);
            }
            if !t.lines.is_empty() {
                let last: Vec<&str> = t
                    .lines
                    .iter()
                    .rev()
                    .take(5)
                    .rev()
                    .map(String::as_str)
                    .collect();
                cause.push_str("; last stderr: ");
                cause.push_str(&last.join(" | "));
            }
            cause
        })
    }))
}

/// A sink that also holds a guard, dropped with the sink.
struct KeepAlive<G> {
    inner: LineSink,
    _guard: G,
}

impl<G: Unpin> Sink<String> for KeepAlive<G> {
    type Error = io::Error;
    fn poll_ready(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        self.inner.as_mut().poll_ready(cx)
    }
    fn start_send(mut self: Pin<&mut Self>, item: String) -> io::Result<()> {
        self.inner.as_mut().start_send(item)
    }
    fn poll_flush(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        self.inner.as_mut().poll_flush(cx)
    }
    fn poll_close(
        mut self: Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<io::Result<()>> {
        self.inner.as_mut().poll_close(cx)
    }
}

/// Connects to `rumor serve --tcp ADDR`.
pub(crate) async fn connect_tcp(addr: &str, max_line: usize) -> Result<Wire> {
    let stream = tokio::net::TcpStream::connect(addr).await.map_err(|e| {
        Error::io(
            format!("connecting to {addr} (is `rumor serve --tcp {addr}` running?)"),
            e,
        )
    })?;
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    Ok(Wire::from_io(format!("tcp {addr}"), r, w, max_line))
}

/// Connects to `rumor serve --ipc PATH`.
#[cfg(unix)]
pub(crate) async fn connect_unix(path: &Path, max_line: usize) -> Result<Wire> {
    let stream = tokio::net::UnixStream::connect(path).await.map_err(|e| {
        Error::io(
            format!(
                "connecting to unix socket {} (is `rumor serve --ipc {}` running?)",
                path.display(),
                path.display()
            ),
            e,
        )
    })?;
    let (r, w) = stream.into_split();
    Ok(Wire::from_io(
        format!("unix {}", path.display()),
        r,
        w,
        max_line,
    ))
}

/// Connects to `rumor serve --http HOST:PORT --api-key KEY` at `url` (`ws://HOST:PORT/ws`).
pub(crate) async fn connect_ws(url: &str, api_key: &str, max_line: usize) -> Result<Wire> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::{self, Message};

    let mut request = url.into_client_request().map_err(|e| Error::InvalidName {
        what: "websocket url",
        value: url.to_string(),
        reason: format!("not a websocket URL ({e}); expected ws://HOST:PORT/ws"),
    })?;
    if !api_key.is_empty() {
        let value = api_key.parse().map_err(|_| Error::InvalidName {
            what: "api key",
            value: "(hidden)".into(),
            reason: "an API key must be visible ASCII to go in the X-Api-Key header".into(),
        })?;
        request.headers_mut().insert("X-Api-Key", value);
    }
    let (ws, _) = tokio_tungstenite::connect_async(request).await.map_err(|e| match e {
        tungstenite::Error::Http(resp) if resp.status() == 403 => Error::Auth {
            url: url.to_string(),
            hint: "the server's --api-key differs from the one given; pass the key `rumor serve --api-key` was started with".into(),
        },
        tungstenite::Error::Io(io) => Error::io(
            format!("connecting to {url} (is `rumor serve --http HOST:PORT` running? the path is /ws)"),
            io,
        ),
        other => Error::io(
            format!("connecting to {url}"),
            io::Error::other(other.to_string()),
        ),
    })?;
    let (sink, stream) = ws.split();
    let sink = sink
        .with(|line: String| async move { Ok::<_, tungstenite::Error>(Message::Text(line.into())) })
        .sink_map_err(|e| io::Error::other(e.to_string()));
    let stream = stream.filter_map(move |msg| async move {
        match msg {
            Ok(Message::Text(t)) => {
                let t = t.as_str().trim_end_matches('\n');
                if t.len() > max_line {
                    Some(Err(io::Error::new(
                        io::ErrorKind::InvalidData,
                        format!("Rumor sent a line longer than {max_line} bytes (raise max_line_length)"),
                    )))
                } else {
                    Some(Ok(t.to_string()))
                }
            }
            Ok(Message::Close(_)) => None,
            Ok(_) => None,
            Err(e) => Some(Err(io::Error::other(e.to_string()))),
        }
    });
    Ok(Wire::new(format!("websocket {url}"), sink, stream))
}
