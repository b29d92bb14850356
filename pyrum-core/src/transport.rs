//! Transports: each is a stream of lines in both directions.
//!
//! A [`Wire`] is what the client runs on: a sink of outgoing lines, a stream of incoming
//! lines, and an optional way to explain why the connection ended (a subprocess' exit status
//! and stderr). The four built-in transports make one; tests, recorders and fault injectors can
//! make their own with [`Wire::new`] or wrap one with [`Wire::into_parts`].
//!
//! Incoming bytes that are not what Rumor writes do not end a connection: invalid UTF-8
//! becomes a lossy line (U+FFFD), a WebSocket message with several lines gives several lines,
//! and a binary WebSocket message becomes a notice line. Lines that are not JSON (those among
//! them) reach the client's session events. Only a line longer than `max_line_length` ends
//! the connection, since reading on would mean reading without bound.

use std::collections::VecDeque;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::BytesMut;
use futures_util::future::BoxFuture;
use futures_util::{Sink, SinkExt, Stream, StreamExt, TryStreamExt};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite};
use tokio::process::Command;
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite};

use crate::conn::Config;
use crate::error::{Error, Result};

/// Outgoing lines (without the trailing newline).
pub type LineSink = Pin<Box<dyn Sink<String, Error = io::Error> + Send>>;
/// Incoming lines (without the trailing newline).
pub type LineStream = Pin<Box<dyn Stream<Item = io::Result<String>> + Send>>;
/// Explains why a connection ended (exit status, stderr), once it has.
pub type Describe = Box<dyn FnOnce() -> BoxFuture<'static, String> + Send>;

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
    /// `max_line` bytes (see the module docs for what happens to longer or invalid lines).
    pub fn from_io(
        name: impl Into<String>,
        read: impl AsyncRead + Send + 'static,
        write: impl AsyncWrite + Send + 'static,
        max_line: usize,
    ) -> Wire {
        let stream = FramedRead::with_capacity(read, LossyLines::new(max_line), 64 << 10);
        let sink = FramedWrite::new(write, LossyLines::new(max_line));
        Wire::new(name, sink, stream)
    }

    /// The transport's name, as used in errors.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Takes the wire apart, to wrap its sink or stream: name, sink, stream, and how it
    /// explains its end.
    pub fn into_parts(self) -> (String, LineSink, LineStream, Option<Describe>) {
        (self.name, self.sink, self.stream, self.describe_close)
    }

    /// Puts a wire back together from [`into_parts`](Self::into_parts).
    pub fn from_parts(
        name: String,
        sink: LineSink,
        stream: LineStream,
        describe_close: Option<Describe>,
    ) -> Wire {
        Wire { name, sink, stream, describe_close }
    }
}

/// Newline-framed lines; decoding is lossy (invalid UTF-8 becomes U+FFFD) and bounded.
struct LossyLines {
    max: usize,
    /// Bytes of the current line already searched for a newline.
    searched: usize,
}

impl LossyLines {
    fn new(max: usize) -> LossyLines {
        LossyLines { max: max.max(1), searched: 0 }
    }
}

/// The error for a line over the limit: Rumor's entries are never that long unless something
/// is badly wrong, and reading on would mean reading without bound.
pub(crate) fn too_long(max: usize) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("Rumor sent a line longer than {max} bytes (raise max_line_length)"),
    )
}

impl Decoder for LossyLines {
    type Item = String;
    type Error = io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> io::Result<Option<String>> {
        let limit = buf.len().min(self.max + 1);
        match memchr::memchr(b'\n', &buf[self.searched..limit]) {
            Some(i) => {
                let end = self.searched + i;
                let line = buf.split_to(end + 1);
                self.searched = 0;
                Ok(Some(text(&line[..end])))
            }
            None if buf.len() > self.max => Err(too_long(self.max)),
            None => {
                self.searched = buf.len();
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> io::Result<Option<String>> {
        if let Some(line) = self.decode(buf)? {
            return Ok(Some(line));
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let rest = buf.split();
        self.searched = 0;
        Ok(Some(text(&rest)))
    }
}

/// The bytes as text: valid UTF-8 as it is (the fast check), anything else with U+FFFD.
fn text(bytes: &[u8]) -> String {
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => String::from_utf8_lossy(bytes).into_owned(),
    }
}

impl Encoder<String> for LossyLines {
    type Error = io::Error;
    fn encode(&mut self, line: String, dst: &mut BytesMut) -> io::Result<()> {
        dst.reserve(line.len() + 1);
        dst.extend_from_slice(line.as_bytes());
        dst.extend_from_slice(b"\n");
        Ok(())
    }
}

/// The last bytes a child wrote to stderr (at most [`StderrTail::KEEP`]), and its first
/// `panic:` line.
#[derive(Clone, Default)]
pub(crate) struct StderrTail(Arc<Mutex<TailInner>>);

#[derive(Default)]
struct TailInner {
    bytes: VecDeque<u8>,
    /// The line being written, for panic detection (bounded).
    line: Vec<u8>,
    panic: Option<String>,
}

impl StderrTail {
    /// Bytes of stderr kept.
    const KEEP: usize = 64 << 10;

    fn push(&self, chunk: &[u8]) {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        for &b in chunk {
            if b == b'\n' {
                if t.panic.is_none() {
                    let line = String::from_utf8_lossy(&t.line).into_owned();
                    if line.starts_with("panic: ") || line.starts_with("fatal error: ") {
                        t.panic = Some(line);
                    }
                }
                t.line.clear();
            } else if t.line.len() < 512 {
                t.line.push(b);
            }
        }
        t.bytes.extend(&chunk[chunk.len().saturating_sub(Self::KEEP)..]);
        let excess = t.bytes.len().saturating_sub(Self::KEEP);
        t.bytes.drain(..excess);
    }

    /// `; <panic line>; last stderr: a | b | c` (the last five lines), or nothing.
    pub(crate) fn describe(&self) -> String {
        let mut t = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let mut out = String::new();
        if let Some(p) = &t.panic {
            out.push_str("; ");
            out.push_str(p);
        }
        let text = String::from_utf8_lossy(t.bytes.make_contiguous());
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        if !lines.is_empty() {
            out.push_str("; last stderr: ");
            let last = lines[lines.len().saturating_sub(5)..].join(" | ");
            out.push_str(&crate::quote::shorten_to(&last, 2000));
        }
        out
    }
}

/// Starts `rumor bare --level=trace` and talks to it over stdin/stdout.
///
/// The child is killed when the wire (and so the client) is dropped. stderr is drained; its
/// last 64 KiB, and the first `panic:` line, go into the disconnect cause.
pub(crate) fn spawn_bare(bin: &Path, max_line: usize) -> Result<(Wire, StderrTail)> {
    let mut child = Command::new(bin)
        .args(["bare", "--level=trace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| Error::io(format!("starting {} bare", bin.display()), e))?;
    let (Some(stdin), Some(stdout), Some(mut stderr)) =
        (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(Error::io(
            format!("starting {} bare", bin.display()),
            io::Error::other("the child's pipes are missing"),
        ));
    };

    let tail = StderrTail::default();
    let stderr_task = {
        let tail = tail.clone();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 8192];
            while let Ok(n) = stderr.read(&mut buf).await {
                if n == 0 {
                    break;
                }
                tracing::debug!(target: "pyrum::rumor_stderr", "{}", String::from_utf8_lossy(&buf[..n]));
                tail.push(&buf[..n]);
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
        let _ =
            status_tx.send(Some(status.map(|s| s.to_string()).unwrap_or_else(|e| e.to_string())));
    });

    let name = format!(
        "{} bare",
        bin.file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| bin.display().to_string())
    );
    let mut wire = Wire::from_io(name, stdout, stdin, max_line);
    // The sink owns `keep_alive` (inside this closure): dropping the wire kills the child.
    wire.sink = Box::pin(wire.sink.sink_map_err(move |e| {
        let _child = &keep_alive;
        e
    }));
    let describe_tail = tail.clone();
    let wire = wire.on_close(move || {
        Box::pin(async move {
            let mut status_rx = status_rx;
            let exited = status_rx.wait_for(Option::is_some);
            let status = match tokio::time::timeout(Duration::from_secs(2), exited).await {
                Ok(Ok(status)) => status.clone().unwrap_or_default(),
                Ok(Err(_)) => "unknown status".to_string(),
                Err(_) => "still running (stdout closed)".to_string(),
            };
            let _ = tokio::time::timeout(Duration::from_millis(500), stderr_task).await;
            format!("rumor exited ({status}){}", describe_tail.describe())
        })
    });
    Ok((wire, tail))
}

/// `fut`, or [`Error::Timeout`] naming `what` once `limit` has passed.
pub(crate) async fn within<T>(
    limit: Duration,
    what: impl FnOnce() -> String,
    fut: impl std::future::Future<Output = Result<T>>,
) -> Result<T> {
    tokio::time::timeout(limit, fut)
        .await
        .unwrap_or_else(|_| Err(Error::Timeout { what: what(), after: limit }))
}

/// Connects to `rumor serve --tcp ADDR`.
pub(crate) async fn connect_tcp(addr: &str, config: &Config) -> Result<Wire> {
    let connect = async {
        tokio::net::TcpStream::connect(addr).await.map_err(|e| {
            Error::io(format!("connecting to {addr} (is `rumor serve --tcp {addr}` running?)"), e)
        })
    };
    let stream =
        within(config.connect_timeout, || format!("connecting to {addr}"), connect).await?;
    let _ = stream.set_nodelay(true);
    let (r, w) = stream.into_split();
    Ok(Wire::from_io(format!("tcp {addr}"), r, w, config.max_line_length))
}

/// Connects to `rumor serve --ipc PATH`.
#[cfg(unix)]
pub(crate) async fn connect_unix(path: &Path, config: &Config) -> Result<Wire> {
    let p = path.display();
    let connect = async {
        tokio::net::UnixStream::connect(path).await.map_err(|e| {
            Error::io(
                format!("connecting to unix socket {p} (is `rumor serve --ipc {p}` running?)"),
                e,
            )
        })
    };
    let what = || format!("connecting to unix socket {}", path.display());
    let stream = within(config.connect_timeout, what, connect).await?;
    let (r, w) = stream.into_split();
    Ok(Wire::from_io(format!("unix {}", path.display()), r, w, config.max_line_length))
}

/// Connects to `rumor serve --http HOST:PORT --api-key KEY` at `url` (`ws://HOST:PORT/ws`).
pub(crate) async fn connect_ws(url: &str, api_key: &str, config: &Config) -> Result<Wire> {
    use tokio_tungstenite::tungstenite::client::IntoClientRequest;
    use tokio_tungstenite::tungstenite::{self, Message};

    let mut request = url.into_client_request().map_err(|e| Error::InvalidInput {
        what: "websocket url",
        value: url.to_string(),
        reason: format!("not a websocket URL ({e}); expected ws://HOST:PORT/ws"),
    })?;
    if !api_key.is_empty() {
        let value = api_key.parse().map_err(|_| Error::InvalidInput {
            what: "api key",
            value: "(hidden)".into(),
            reason: "an API key must be visible ASCII to go in the X-Api-Key header".into(),
        })?;
        request.headers_mut().insert("X-Api-Key", value);
    }
    let connect = async {
        tokio_tungstenite::connect_async(request).await.map_err(|e| match e {
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
        })
    };
    let what = || format!("the WebSocket handshake with {url} (does the server speak WebSocket?)");
    let (ws, _) = within(config.connect_timeout, what, connect).await?;
    let (sink, stream) = ws.split();
    let sink = sink
        .with(|line: String| async move { Ok::<_, tungstenite::Error>(Message::Text(line.into())) })
        .sink_map_err(|e| io::Error::other(e.to_string()));
    let max_line = config.max_line_length;
    let stream = stream
        .map_err(|e| io::Error::other(e.to_string()))
        .try_take_while(|msg| std::future::ready(Ok(!matches!(msg, Message::Close(_)))))
        .map_ok(move |msg| {
            // Rumor writes one entry per message, but a message may hold several lines.
            let lines: Vec<io::Result<String>> = match msg {
                Message::Text(t) => t
                    .as_str()
                    .split('\n')
                    .filter(|l| !l.is_empty())
                    .map(|l| {
                        if l.len() > max_line {
                            Err(too_long(max_line))
                        } else {
                            Ok(l.to_string())
                        }
                    })
                    .collect(),
                Message::Binary(b) => vec![Ok(format!(
                    "the server sent a binary WebSocket message of {} bytes; Rumor sends text, so it was ignored",
                    b.len()
                ))],
                _ => Vec::new(),
            };
            futures_util::stream::iter(lines)
        })
        .try_flatten();
    Ok(Wire::new(format!("websocket {url}"), sink, stream))
}
