//! The connection: the router behind a lock, the writer, and the reader task.
//!
//! Writing: with few calls in setup, a caller whose line finds the writer idle writes it itself (no
//! hop to another task); otherwise the line waits in the outbox, which the writer task drains in
//! batches.
//! Lines the router releases (a held cancel, a queued `next`) and cancels from `Drop` go to the
//! outbox without waiting for room, so they are never lost. A call's line takes one of
//! `send_queue` permits until it is written: when Rumor is not reading, calls wait for a permit,
//! first come first served (a semaphore, so a million waiting calls cost no scans). A queue that
//! stays full with nothing written for a whole setup limit ends the connection, so those waits
//! are bounded too.
//!
//! Reading: one task parses each line outside the lock, routes it, sends what the router
//! released, wakes the waiters, and publishes the rest as session events. A thread fails setups
//! whose deadline passed.

use std::collections::hash_map::RandomState;
use std::collections::VecDeque;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};
use std::task::{Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use futures_util::{FutureExt, StreamExt};
use tokio::sync::{broadcast, Notify, Semaphore};

use crate::entry::{Entry, Level, Logged, Shape};
use crate::error::{Error, Result};
use crate::router::{call_number, Routed, Router, StatementOut};
use crate::transport::{LineSink, Wire};

/// Settings of a connection; set them with [`RumorBuilder`](crate::RumorBuilder).
///
/// | setting | default | what it bounds |
/// |---|---|---|
/// | `max_line_length` | 16 MiB | one line from Rumor (a longer one ends the connection) |
/// | `call_buffer` | 4096 | entries kept per call for its streams |
/// | `send_queue` | 1024 | lines waiting for the writer before calls wait for room |
/// | `session_buffer` | 1024 | session events kept for slow subscribers |
/// | `setup_timeout` | 60 s | a call's setup (`__success` / `__error`) |
/// | `statement_timeout` | 60 s | a statement (`grab`, `calls`, `kill`, `include`, ...) |
/// | `step_timeout` | 60 s | a step: sent to Rumor as `next`'s limit; the client waits `step_grace` (5 s) longer |
/// | `cancel_timeout` | 30 s | Rumor freeing a cancelled call |
/// | `finish_timeout` | 120 s | [`Call::finished`](crate::Call::finished) |
/// | `connect_timeout` | 10 s | connecting, the WebSocket handshake, and the first answer of a new connection |
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Longest line accepted from Rumor, in bytes.
    pub max_line_length: usize,
    /// Entries kept per call for its streams.
    pub call_buffer: usize,
    /// Outgoing lines that may wait for the writer.
    pub send_queue: usize,
    /// Session events kept for slow subscribers.
    pub session_buffer: usize,
    /// Limit for a call's setup; `None` waits forever. A thread of the connection checks every
    /// eighth of the limit (between 5 ms and 1 s), so a setup fails at most that much after it.
    /// The same thread bounds the wait for room in the send queue: when the queue is full and
    /// Rumor has read none of it for a whole limit, the connection ends
    /// ([`Error::Disconnected`], "Rumor read none of its input"), and every wait with it.
    pub setup_timeout: Option<Duration>,
    /// Limit for a statement.
    pub statement_timeout: Duration,
    /// Limit Rumor applies to one `next` when the caller gives none.
    pub step_timeout: Duration,
    /// How much longer than the step limit the client waits for the step's answer.
    pub step_grace: Duration,
    /// Limit for Rumor to free a cancelled call.
    pub cancel_timeout: Duration,
    /// Limit for [`Call::finished`](crate::Call::finished).
    pub finish_timeout: Duration,
    /// Limit for connecting and for a new connection's first answer.
    pub connect_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_line_length: 16 << 20,
            call_buffer: 4096,
            send_queue: 1024,
            session_buffer: 1024,
            setup_timeout: Some(Duration::from_secs(60)),
            statement_timeout: Duration::from_secs(60),
            step_timeout: Duration::from_secs(60),
            step_grace: Duration::from_secs(5),
            cancel_timeout: Duration::from_secs(30),
            finish_timeout: Duration::from_secs(120),
            connect_timeout: Duration::from_secs(10),
        }
    }
}

/// Identifiers of one connection, for transport hooks (a recorder writes them down).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WireInfo {
    /// Every call id of the connection is this prefix and a number: `py<8 hex>c<N>n`.
    pub id_prefix: String,
    /// The transport's name (`rumor bare`, `tcp 127.0.0.1:3030`).
    pub transport: String,
}

/// Above this many calls in setup, a new call's line goes to the writer task instead of being
/// written by its caller. (Calls in setup, not open calls: long-running calls a program keeps
/// open, subscriptions say, must not turn its one-at-a-time calls into hops to the writer.)
const BUSY: usize = 4;

/// The outgoing side: lines waiting for the sink; `true` for a line that holds a permit.
struct Outbox {
    sink: LineSink,
    queue: VecDeque<(String, bool)>,
    /// When a call's line last went to the sink (or the connection started).
    written: Instant,
}

/// A place in the send queue, waited for: what a call future keeps while Rumor is not reading.
#[derive(Default)]
pub(crate) struct Room(Option<Box<tokio_util::sync::PollSemaphore>>);

pub(crate) struct Conn {
    pub(crate) name: String,
    pub(crate) config: Config,
    pub(crate) prefix: String,
    router: Mutex<Router>,
    outbox: Mutex<Outbox>,
    /// Permits for call lines in the outbox.
    permits: Arc<Semaphore>,
    /// Wakes the writer task.
    write: Arc<Notify>,
    /// Wakes the reader task: a write failed.
    wake_reader: Arc<Notify>,
    /// Why writing failed; the reader task ends the connection with it (and the transport's
    /// explanation, e.g. a child's exit status and stderr).
    write_failed: OnceLock<String>,
    session: Mutex<Option<broadcast::Sender<Arc<Entry>>>>,
    closed: OnceLock<Error>,
    closed_notify: Notify,
    /// Dropped with the connection: ends the reader task.
    _stop: tokio::sync::oneshot::Sender<()>,
}

fn random_u64() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    let mut h = RandomState::new().build_hasher();
    h.write_u64(N.fetch_add(1, Ordering::Relaxed));
    h.write_u32(std::process::id());
    h.write_u128(SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_nanos()));
    h.finish()
}

/// `py<8 hex>c<N>n`: random per process, numbered per connection.
pub(crate) fn new_prefix() -> String {
    static CONN: AtomicU64 = AtomicU64::new(0);
    static PROCESS: OnceLock<u32> = OnceLock::new();
    let process = *PROCESS.get_or_init(|| random_u64() as u32);
    format!("py{process:08x}c{}n", CONN.fetch_add(1, Ordering::Relaxed))
}

impl Conn {
    /// Starts the client's tasks on `wire`. Must run inside a tokio runtime.
    pub(crate) fn start(wire: Wire, config: Config, prefix: String) -> Arc<Conn> {
        let nonce = format!("k{:016x}", random_u64());
        let (session_tx, _) = broadcast::channel(config.session_buffer.max(1));
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let Wire { name, sink, stream, describe_close } = wire;
        let permits = Arc::new(Semaphore::new(config.send_queue.max(1)));
        let conn = Arc::new(Conn {
            name: name.clone(),
            permits,
            router: Mutex::new(Router::new(prefix.clone(), nonce, config.call_buffer)),
            prefix,
            config,
            outbox: Mutex::new(Outbox { sink, queue: VecDeque::new(), written: Instant::now() }),
            write: Arc::new(Notify::new()),
            wake_reader: Arc::new(Notify::new()),
            write_failed: OnceLock::new(),
            session: Mutex::new(Some(session_tx)),
            closed: OnceLock::new(),
            closed_notify: Notify::new(),
            _stop: stop_tx,
        });

        // The tasks hold weak references: dropping every handle ends them (and the wire).
        let weak = Arc::downgrade(&conn);
        let write = conn.write.clone();
        tokio::spawn(writer_task(weak.clone(), write));
        let wake_reader = conn.wake_reader.clone();
        if let Some(limit) = conn.config.setup_timeout {
            watch_deadlines(weak.clone(), limit);
        }
        tokio::spawn(reader_task(weak, stream, describe_close, wake_reader, stop_rx, name));
        conn
    }

    /// Runs `f` on the router, then queues the lines it released (still under its lock, so
    /// they leave in the order the router made them: statements rely on that) and wakes its
    /// waiters.
    pub(crate) fn with_router<T>(&self, f: impl FnOnce(&mut Router) -> T) -> T {
        let mut router = self.lock_router();
        let out = f(&mut router);
        let (lines, wakers) = router.take_output();
        if !lines.is_empty() {
            self.lock_outbox().queue.extend(lines.into_iter().map(|l| (l, false)));
            drop(router);
            self.write.notify_one();
        } else {
            drop(router);
        }
        for w in wakers {
            w.wake();
        }
        out
    }

    fn lock_router(&self) -> MutexGuard<'_, Router> {
        self.router.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_outbox(&self) -> MutexGuard<'_, Outbox> {
        self.outbox.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn disconnect_error(&self) -> Error {
        self.closed_reason().unwrap_or_else(|| Error::disconnected("the client's tasks stopped"))
    }

    pub(crate) fn closed_reason(&self) -> Option<Error> {
        self.closed.get().cloned()
    }

    /// Waits for a permit to queue one call line (Rumor is reading), keeping the wait's state in
    /// `room`. Ready(Ok) means the caller holds a permit, which its queued line carries.
    pub(crate) fn poll_room(&self, room: &mut Room, cx: &mut Context<'_>) -> Poll<Result<()>> {
        if let Some(e) = self.closed.get() {
            return Poll::Ready(Err(e.clone()));
        }
        if room.0.is_none() {
            if let Ok(permit) = self.permits.try_acquire() {
                permit.forget();
                return Poll::Ready(Ok(()));
            }
            room.0 = Some(Box::new(tokio_util::sync::PollSemaphore::new(self.permits.clone())));
        }
        let waiting = room.0.as_mut().expect("set above");
        match waiting.poll_acquire(cx) {
            Poll::Ready(Some(permit)) => {
                permit.forget();
                room.0 = None;
                Poll::Ready(Ok(()))
            }
            Poll::Ready(None) => Poll::Ready(Err(self.disconnect_error())),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Waits until a line may be queued, without keeping a place (statements and raw lines).
    pub(crate) async fn room(&self) -> Result<()> {
        let mut room = Room::default();
        std::future::poll_fn(|cx| self.poll_room(&mut room, cx)).await?;
        self.permits.add_permits(1);
        Ok(())
    }

    /// Queues one line and, with a context, writes it at once when the writer is idle (the
    /// caller then needs no other task); otherwise the writer task writes it. `permitted`: the
    /// line holds a permit from [`poll_room`](Self::poll_room), returned once it is written.
    pub(crate) fn push_line(&self, line: String, permitted: bool, cx: Option<&Context<'_>>) {
        let mut out = self.lock_outbox();
        out.queue.push_back((line, permitted));
        let Some(cx) = cx else {
            drop(out);
            self.write.notify_one();
            return;
        };
        match drain(&mut out, &self.permits, cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Pending => {
                drop(out);
                self.write.notify_one();
            }
            Poll::Ready(Err(e)) => {
                drop(out);
                self.write_failed(e);
            }
        }
    }

    /// Registers a call and queues its line, which carries the call's number: `line(n)`.
    pub(crate) fn open_call(
        &self,
        display: String,
        cancel_on_drop: bool,
        line: impl FnOnce(u64) -> String,
        cx: &Context<'_>,
    ) -> Result<u64> {
        let deadline = self.config.setup_timeout.map(|t| Instant::now() + t);
        let (n, in_setup) = self.lock_router().open_call(display, cancel_on_drop, deadline)?;
        let line = line(n);
        tracing::trace!(target: "pyrum::wire", "send {line}");
        // One call at a time, the caller writes its line itself; with many in flight, the
        // writer task sends them in batches (one write wakes Rumor for many lines).
        self.push_line(line, true, (in_setup <= BUSY).then_some(cx));
        Ok(n)
    }

    /// Runs a statement and waits for its answer (the connection's statement limit).
    pub(crate) async fn statement(&self, words: Vec<String>) -> Result<StatementOut> {
        let display = words.join(" ");
        self.room().await?;
        let n = self.with_router(|r| r.open_statement(words))?;
        // Dropped or timed out, the statement's answer (still to come) is thrown away; after the
        // answer, this finds nothing left to throw away.
        struct Abandon<'a>(&'a Conn, u64);
        impl Drop for Abandon<'_> {
            fn drop(&mut self) {
                let n = self.1;
                self.0.with_router(|r| r.abandon_statement(n));
            }
        }
        let _abandon = Abandon(self, n);
        let limit = self.config.statement_timeout;
        let poll = std::future::poll_fn(|cx| self.with_router(|r| r.poll_statement(n, cx)));
        tokio::time::timeout(limit, poll).await.unwrap_or_else(|_| {
            Err(Error::Timeout { what: format!("statement `{display}`"), after: limit })
        })
    }

    /// Writing failed: the reader task ends the connection, with the transport's explanation.
    fn write_failed(&self, e: std::io::Error) {
        let _ = self.write_failed.set(format!("{}: write failed: {e}", self.name));
        self.wake_reader.notify_one();
    }

    pub(crate) fn subscribe(&self) -> Option<broadcast::Receiver<Arc<Entry>>> {
        self.session.lock().unwrap_or_else(|e| e.into_inner()).as_ref().map(|tx| tx.subscribe())
    }

    fn publish(&self, entry: Arc<Entry>) {
        if let Some(tx) = self.session.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            let _ = tx.send(entry);
        }
    }

    pub(crate) fn pending(&self) -> usize {
        self.lock_router().pending()
    }

    /// Ends the connection: every pending call, step, stream and statement gets `err`.
    pub(crate) fn close(&self, err: Error) {
        if self.closed.set(err.clone()).is_err() {
            return;
        }
        tracing::debug!(target: "pyrum::wire", "{err}");
        self.with_router(|r| r.close(err));
        self.permits.close();
        self.session.lock().unwrap_or_else(|e| e.into_inner()).take();
        self.closed_notify.notify_waiters();
    }

    pub(crate) async fn closed(&self) -> Error {
        loop {
            let notified = self.closed_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(e) = self.closed.get() {
                return e.clone();
            }
            notified.await;
        }
    }
}

/// Moves queued lines into the sink and flushes it; returns the permits of the lines moved.
fn drain(out: &mut Outbox, permits: &Semaphore, cx: &Context<'_>) -> Poll<std::io::Result<()>> {
    let mut cx = Context::from_waker(cx.waker());
    let mut freed = 0;
    let result = (|| {
        while !out.queue.is_empty() {
            match out.sink.as_mut().poll_ready(&mut cx) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
            let (line, permitted) = out.queue.pop_front().expect("not empty");
            freed += usize::from(permitted);
            if let Err(e) = out.sink.as_mut().start_send(line) {
                return Poll::Ready(Err(e));
            }
        }
        out.sink.as_mut().poll_flush(&mut cx)
    })();
    if freed > 0 {
        permits.add_permits(freed);
        out.written = Instant::now();
    }
    result
}

/// Drains the outbox when woken. A sink keeps one waker per direction, and a caller that
/// wrote directly may have left its own there: so every notification makes the writer poll
/// again (registering itself), also while it is already waiting for the sink.
async fn writer_task(conn: Weak<Conn>, write: Arc<Notify>) {
    loop {
        write.notified().await;
        let failed = loop {
            let drained = std::future::poll_fn(|cx| {
                let Some(conn) = conn.upgrade() else {
                    return Poll::Ready(None);
                };
                let mut out = conn.lock_outbox();
                drain(&mut out, &conn.permits, cx).map(|r| Some(r.err().map(|e| (conn.clone(), e))))
            });
            tokio::select! {
                done = drained => break done,
                _ = write.notified() => {}
            }
        };
        match failed {
            None => return,
            Some(Some((conn, e))) => {
                conn.write_failed(e);
                return;
            }
            Some(None) => {}
        }
    }
}

/// Fails setups whose deadline passed, from a thread that looks every eighth of the limit (a
/// failure comes at most that late). Not a tokio timer: while one is armed, every park of the
/// runtime arms a kernel timer too, which cost about 5 µs per call here (BENCHMARKS.md).
fn watch_deadlines(conn: Weak<Conn>, limit: Duration) {
    let tick = (limit / 8).clamp(Duration::from_millis(5), Duration::from_secs(1));
    let watch = move || loop {
        std::thread::sleep(tick);
        match conn.upgrade() {
            Some(conn) if conn.closed.get().is_none() => {
                conn.with_router(|r| r.sweep(Instant::now(), Some(limit)));
                // The send queue is full and Rumor read none of it for a whole setup limit:
                // the connection is stuck, and ending it ends the waits for room too.
                let full = conn.permits.available_permits() == 0;
                if full && conn.lock_outbox().written.elapsed() > limit {
                    let why =
                        format!("Rumor read none of its input for {limit:?}, send queue full");
                    conn.close(Error::disconnected(format!("{}: {why}", conn.name)));
                }
            }
            _ => return,
        }
    };
    if let Err(e) = std::thread::Builder::new().name("pyrum-deadlines".into()).spawn(watch) {
        tracing::warn!(target: "pyrum::wire", "no thread for setup deadlines ({e}): they are not enforced");
    }
}

async fn reader_task(
    conn: Weak<Conn>,
    mut stream: crate::transport::LineStream,
    describe_close: Option<crate::transport::Describe>,
    wake: Arc<Notify>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
    name: String,
) {
    let cause = loop {
        tokio::select! {
            biased;
            _ = &mut stop => return,
            line = stream.next() => match line {
                Some(Ok(line)) => {
                    // Take every line that is already there, and route them in one go.
                    let mut batch = vec![line];
                    let mut end = None;
                    while batch.len() < 256 && end.is_none() {
                        match stream.next().now_or_never() {
                            Some(Some(Ok(line))) => batch.push(line),
                            Some(Some(Err(e))) => end = Some(format!("{name}: {e}")),
                            Some(None) => end = Some(format!("{name}: connection closed")),
                            None => break,
                        }
                    }
                    let Some(conn) = conn.upgrade() else { return };
                    if conn.route_lines(batch) {
                        return;
                    }
                    match end {
                        Some(cause) => break cause,
                        None => continue,
                    }
                }
                Some(Err(e)) => break format!("{name}: {e}"),
                None => break format!("{name}: connection closed"),
            },
            _ = wake.notified() => {}
        }
        let Some(conn) = conn.upgrade() else { return };
        if let Some(why) = conn.write_failed.get() {
            break why.clone();
        }
    };
    let cause = match describe_close {
        Some(describe) => format!("{cause}; {}", describe().await),
        None => cause,
    };
    if let Some(conn) = conn.upgrade() {
        conn.close(Error::disconnected(cause));
    }
}

impl Conn {
    /// Parses lines (outside the lock) and routes them (under one lock); true when the
    /// connection ended because of one of them.
    fn route_lines(&self, lines: Vec<String>) -> bool {
        // The lines of our calls in Rumor's usual form are routed unparsed (their entries are
        // parsed when read); the others are parsed here, outside the lock.
        let entries: Vec<std::result::Result<Result<Entry>, _>> = lines
            .into_iter()
            .filter_map(|line| {
                let (id, marker) = match Entry::shape(&line) {
                    Some(Shape::StartedNote) => return None,
                    Some(Shape::Marker { call_id, marker }) => (call_id, Some(marker)),
                    Some(Shape::Plain { call_id }) => (call_id, None),
                    _ => ("", None),
                };
                Some(match call_number(&self.prefix, id) {
                    Some(n) => Err((n, marker, line)),
                    None => Ok(Entry::parse(&line)),
                })
            })
            .collect();
        let routed: Vec<Routed> = self.with_router(|r| {
            entries
                .into_iter()
                .map(|e| match e {
                    Err((n, marker, line)) => {
                        r.on_call_logged(n, marker, Logged::Line(line.into_boxed_str()));
                        Routed::Taken
                    }
                    Ok(Ok(entry)) => r.route(entry),
                    Ok(Err(e)) => {
                        tracing::warn!(target: "pyrum::wire", "{e}");
                        Routed::Session(Arc::new(Entry::local(
                            Level::Unknown,
                            e.to_string(),
                            Default::default(),
                        )))
                    }
                })
                .filter(|r| !matches!(r, Routed::Taken))
                .collect()
        });
        for r in routed {
            match r {
                Routed::Taken => {}
                Routed::Session(e) => self.publish(e),
                Routed::Stop(e, why) => {
                    // Rumor's shell parser gave up (a syntax error, only possible through
                    // `send_raw_line`, or a broken input stream): this session reads no more
                    // input. Bare mode exits; a `rumor serve` session keeps the connection open
                    // but never answers again, so end it here instead of letting calls hang.
                    self.publish(e);
                    self.close(Error::disconnected(format!(
                        "{}: Rumor stopped reading input (failed to run input: {why})",
                        self.name
                    )));
                    return true;
                }
            }
        }
        false
    }
}
