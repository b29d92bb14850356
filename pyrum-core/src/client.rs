//! The client: one writer task, one reader task that routes entries to calls by call id.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use crate::actor::Actor;
use crate::call::{Call, CallState, DropGuard};
use crate::entry::Entry;
use crate::error::{Error, Result};
use crate::quote::{check_word, push_quoted};
use crate::transport::{self, Wire};

/// Settings of a connection; see [`RumorBuilder`].
#[derive(Debug, Clone)]
pub struct Config {
    /// Longest line accepted from Rumor, in bytes (default 16 MiB).
    pub max_line_length: usize,
    /// Entries kept per call for its streams (default 4096).
    pub call_buffer: usize,
    /// Limit for a call's setup (default 120 s; `None` waits forever).
    pub setup_timeout: Option<Duration>,
    /// Outgoing lines that may wait for the writer (default 1024).
    pub send_queue: usize,
    /// Session events kept for slow subscribers (default 1024).
    pub session_buffer: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            max_line_length: 16 << 20,
            call_buffer: 4096,
            setup_timeout: Some(Duration::from_secs(120)),
            send_queue: 1024,
            session_buffer: 1024,
        }
    }
}

/// Prefix of the echo that reports the end of a `next`: `pyrum-step:<call id>:<status>`.
const STEP_TOKEN: &str = "pyrum-step:";

pub(crate) struct Client {
    pub(crate) config: Config,
    name: String,
    out: mpsc::Sender<String>,
    calls: Mutex<HashMap<String, Arc<CallState>>>,
    closed: OnceLock<Error>,
    closed_notify: tokio::sync::Notify,
    id_prefix: String,
    next_id: AtomicU64,
    session: Mutex<Option<broadcast::Sender<Arc<Entry>>>>,
    statements: tokio::sync::Mutex<()>,
}

fn id_prefix() -> String {
    static CONN: AtomicU64 = AtomicU64::new(0);
    static PROCESS: OnceLock<u32> = OnceLock::new();
    let process = *PROCESS.get_or_init(|| {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u32(std::process::id());
        h.finish() as u32
    });
    format!("py{process:08x}c{}n", CONN.fetch_add(1, Ordering::Relaxed))
}

impl Client {
    pub(crate) fn disconnect_error(&self) -> Error {
        self.closed
            .get()
            .cloned()
            .unwrap_or_else(|| Error::disconnected("the client's tasks stopped"))
    }

    pub(crate) async fn send_line(&self, line: String) -> Result<()> {
        if let Some(e) = self.closed.get() {
            return Err(e.clone());
        }
        tracing::trace!(target: "pyrum::wire", "send {line}");
        self.out
            .send(line)
            .await
            .map_err(|_| self.disconnect_error())
    }

    /// Sends without waiting (from `Drop`): dropped if the queue is full or closed.
    pub(crate) fn send_detached(&self, line: String) {
        let _ = self.out.try_send(line);
    }

    pub(crate) fn control_line(&self, id: &str, word: &str, timeout: Option<Duration>) -> String {
        let mut line = String::new();
        push_quoted(&mut line, &format!("_{id}"));
        push_quoted(&mut line, word);
        if let Some(t) = timeout {
            push_quoted(&mut line, &crate::types::ToArg::to_arg(&t));
        }
        line.push_str(" &");
        line
    }

    /// `{ '_id' 'next' ['timeout']; 'echo' 'pyrum-step:<id>:'"$?"; } &`: the echo tells when this
    /// `next` is over and its exit status ([`STEP_TOKEN`] entries are routed to the call).
    pub(crate) fn next_line(&self, id: &str, timeout: Option<Duration>) -> String {
        let mut line = String::from("{");
        push_quoted(&mut line, &format!("_{id}"));
        push_quoted(&mut line, "next");
        if let Some(t) = timeout {
            push_quoted(&mut line, &crate::types::ToArg::to_arg(&t));
        }
        line.push(';');
        push_quoted(&mut line, "echo");
        push_quoted(&mut line, &format!("{STEP_TOKEN}{id}:"));
        line.push_str("\"$?\"; } &");
        line
    }

    /// Registers and sends one call: `'_id' 'actor:' 'lvl_trace' words... &`.
    pub(crate) async fn start_call(
        self: &Arc<Self>,
        actor: &str,
        words: &[String],
        display: String,
        cancel_on_drop: bool,
    ) -> Result<Call> {
        for w in words {
            check_word("argument", w)?;
        }
        let id = format!(
            "{}{}",
            self.id_prefix,
            self.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let mut line = String::with_capacity(64 + words.iter().map(|w| w.len() + 3).sum::<usize>());
        push_quoted(&mut line, &format!("_{id}"));
        push_quoted(&mut line, &format!("{actor}:"));
        push_quoted(&mut line, "lvl_trace");
        for w in words {
            push_quoted(&mut line, w);
        }
        line.push_str(" &");

        let state = Arc::new(CallState::new(id.clone(), display, self.config.call_buffer));
        {
            let mut calls = self.calls.lock().unwrap();
            if let Some(e) = self.closed.get() {
                return Err(e.clone());
            }
            calls.insert(id.clone(), state.clone());
        }
        state
            .span
            .in_scope(|| tracing::debug!(target: "pyrum::call", "start"));
        if let Err(e) = self.send_line(line).await {
            self.calls.lock().unwrap().remove(&id);
            return Err(e);
        }
        Ok(Call {
            guard: Arc::new(DropGuard {
                state: state.clone(),
                client: self.clone(),
                cancel_on_drop,
            }),
            state,
            client: self.clone(),
            actor: actor.into(),
        })
    }

    fn route(&self, line: &str) {
        let entry = match Entry::parse(line) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(target: "pyrum::wire", "{e}");
                self.publish(Arc::new(Entry {
                    level: crate::entry::Level::Unknown,
                    msg: e.to_string(),
                    call_id: None,
                    actor: None,
                    marker: None,
                    fields: Default::default(),
                }));
                return;
            }
        };
        // The call table stays locked while a call's state changes, so that a freed call is
        // gone from it before its woken waiters can look (`finished()` then `pending_calls()`).
        if let Some(id) = &entry.call_id {
            let mut calls = self.calls.lock().unwrap();
            match calls.get(id).cloned() {
                Some(state) => {
                    if state.on_entry(entry) {
                        calls.remove(&state.id);
                    }
                }
                None => tracing::trace!(target: "pyrum::wire", "entry of unknown call {id}"),
            }
            return;
        }
        if let Some(done) = entry
            .str_field("stdout")
            .and_then(|t| t.trim_end().strip_prefix(STEP_TOKEN))
        {
            if let Some((id, status)) = done.rsplit_once(':') {
                if let (true, Ok(status)) = (id.starts_with(&self.id_prefix), status.parse::<i64>())
                {
                    let state = self.calls.lock().unwrap().get(id).cloned();
                    if let Some(state) = state {
                        state.on_step_done(status);
                    }
                    return;
                }
            }
        }
        if entry.msg == "failed" {
            if let Some((id, control, message)) = self.failed_call(&entry) {
                let mut calls = self.calls.lock().unwrap();
                if let Some(state) = calls.get(&id).cloned() {
                    if state.on_failed(control.as_deref(), message) {
                        calls.remove(&id);
                    }
                    return;
                }
            }
        }
        if entry.msg == "lookup!"
            || (entry.msg.starts_with("Started ") && entry.fields.contains_key("args"))
        {
            return;
        }
        if entry.msg == "failed to run input" {
            // Rumor's shell parser gave up (a syntax error, only possible through
            // `send_raw_line`, or a broken input stream): this session reads no more input. Bare
            // mode exits; a `rumor serve` session keeps the connection open but never answers
            // again (rumor-protocol §2.1), so end it here instead of letting calls hang.
            let why = entry
                .str_field("error")
                .unwrap_or("no error given")
                .to_string();
            self.publish(Arc::new(entry));
            self.close(Error::disconnected(format!(
                "{}: Rumor stopped reading input (failed to run input: {why})",
                self.name
            )));
            return;
        }
        self.publish(Arc::new(entry));
    }

    /// For a session `failed` warning of one of our calls: (call id, control word, message).
    fn failed_call(&self, entry: &Entry) -> Option<(String, Option<String>, String)> {
        let args = entry.fields.get("args")?.as_array()?;
        let first = args.first()?.as_str()?;
        let id = first.strip_prefix('_')?;
        if !id.starts_with(&self.id_prefix) {
            return None;
        }
        let control = args
            .get(1)
            .and_then(Value::as_str)
            .filter(|w| *w == "next" || *w == "cancel")
            .map(str::to_string);
        let message = entry
            .str_field("error")
            .unwrap_or("command failed")
            .to_string();
        Some((id.to_string(), control, message))
    }

    fn publish(&self, entry: Arc<Entry>) {
        if let Some(tx) = self.session.lock().unwrap().as_ref() {
            let _ = tx.send(entry);
        }
    }

    fn close(&self, err: Error) {
        let calls: Vec<_> = {
            let mut calls = self.calls.lock().unwrap();
            if self.closed.set(err.clone()).is_err() {
                return;
            }
            calls.drain().map(|(_, c)| c).collect()
        };
        tracing::debug!(target: "pyrum::wire", "{err}; failing {} pending calls", calls.len());
        for c in calls {
            c.on_disconnect(&err);
        }
        self.session.lock().unwrap().take();
        self.closed_notify.notify_waiters();
    }

    pub(crate) fn subscribe(&self) -> Option<broadcast::Receiver<Arc<Entry>>> {
        self.session
            .lock()
            .unwrap()
            .as_ref()
            .map(|tx| tx.subscribe())
    }
}

/// A connection to one Rumor session: cheap to clone, `Send + Sync`.
///
/// Dropping the last clone (and every [`Actor`] and [`Call`]) closes the connection; a
/// subprocess started by [`Rumor::spawn`] is then killed.
///
/// ```no_run
/// # async fn demo() -> pyrum_core::Result<()> {
/// use pyrum_core::{Command, Rumor};
/// let rumor = Rumor::spawn().await?;             // `rumor bare --level=trace`
/// let alice = rumor.actor("alice")?;
/// alice.call(Command::new(["host", "start"])).await?.setup().await?;
/// let view = alice.call(Command::new(["host", "view"])).await?.setup().await?;
/// println!("alice is {}", view.fields["peer_id"]);
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Rumor {
    pub(crate) client: Arc<Client>,
}

impl std::fmt::Debug for Rumor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rumor")
            .field("transport", &self.client.name)
            .finish()
    }
}

impl Rumor {
    /// Starts `rumor bare --level=trace` from [`find_rumor`](crate::find_rumor) with default
    /// settings.
    pub async fn spawn() -> Result<Rumor> {
        RumorBuilder::default().spawn().await
    }

    /// Connects to `rumor serve --tcp ADDR`.
    pub async fn connect_tcp(addr: &str) -> Result<Rumor> {
        RumorBuilder::default().connect_tcp(addr).await
    }

    /// Connects to `rumor serve --ipc PATH`.
    #[cfg(unix)]
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Rumor> {
        RumorBuilder::default().connect_unix(path).await
    }

    /// Connects to `rumor serve --http HOST:PORT --api-key KEY` at `ws://HOST:PORT/ws`.
    pub async fn connect_ws(url: &str, api_key: &str) -> Result<Rumor> {
        RumorBuilder::default().connect_ws(url, api_key).await
    }

    /// Settings for a connection.
    pub fn builder() -> RumorBuilder {
        RumorBuilder::default()
    }

    /// An actor (a libp2p host and its state), created by Rumor on first use.
    ///
    /// Names are ASCII letters, digits, `-`, `_` and `.`.
    pub fn actor(&self, name: &str) -> Result<Actor> {
        crate::quote::check_actor_name(name)?;
        Ok(Actor {
            rumor: self.clone(),
            name: name.into(),
        })
    }

    /// Rumor's default actor of the session (`DEFAULT_ACTOR_ID`), which commands use when no
    /// actor is named.
    pub fn default_actor(&self) -> Actor {
        Actor {
            rumor: self.clone(),
            name: "DEFAULT_ACTOR_ID".into(),
        }
    }

    /// Entries that belong to no call of this client: session output (`echo`, `grab`,
    /// `tool enr-value`), warnings of statements, lines that could not be parsed.
    /// A slow receiver loses old entries (`RecvError::Lagged`), never the connection.
    pub fn session_events(&self) -> Result<broadcast::Receiver<Arc<Entry>>> {
        self.client
            .subscribe()
            .ok_or_else(|| self.client.disconnect_error())
    }

    /// Runs one session statement in the foreground (a built-in such as `kill`, `me`, `grab`,
    /// `clear_log_data`, `include`) and returns the session entries it produced.
    ///
    /// Statements run one at a time: each is followed by an `echo` of a private token, and
    /// everything the session logs until the token comes back belongs to it. A `failed`
    /// warning among them becomes [`Error::Command`].
    pub async fn statement<I, S>(&self, words: I) -> Result<Vec<Arc<Entry>>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let words: Vec<String> = words.into_iter().map(|w| w.as_ref().to_string()).collect();
        for w in &words {
            check_word("argument", w)?;
        }
        let client = &self.client;
        let _one_at_a_time = client.statements.lock().await;
        let mut events = self.session_events()?;
        let token = format!(
            "{}sync{}",
            client.id_prefix,
            client.next_id.fetch_add(1, Ordering::Relaxed)
        );
        let mut line = String::new();
        for w in &words {
            push_quoted(&mut line, w);
        }
        let mut echo = String::new();
        push_quoted(&mut echo, "echo");
        push_quoted(&mut echo, &token);
        client.send_line(line).await?;
        client.send_line(echo).await?;
        let mut out = Vec::new();
        loop {
            let entry = match events.recv().await {
                Ok(e) => e,
                Err(broadcast::error::RecvError::Lagged(n)) => {
                    return Err(Error::Lagged {
                        missed: n,
                        capacity: client.config.session_buffer,
                    })
                }
                Err(broadcast::error::RecvError::Closed) => return Err(client.disconnect_error()),
            };
            if entry.str_field("stdout").map(str::trim_end) == Some(token.as_str()) {
                break;
            }
            out.push(entry);
        }
        let display = words.join(" ");
        for e in &out {
            let args_match = e
                .fields
                .get("args")
                .and_then(Value::as_array)
                .is_some_and(|a| {
                    a.iter()
                        .map(|v| v.as_str().unwrap_or(""))
                        .eq(words.iter().map(String::as_str))
                });
            if e.msg == "failed" && args_match {
                return Err(Error::Command {
                    call: display,
                    message: e.str_field("error").unwrap_or("failed").to_string(),
                });
            }
        }
        Ok(out)
    }

    /// Reads a value Rumor stored from a call's log (`grab <name>`; names are
    /// `<callid>_<field>`, e.g. the `peer_id` of call `c1` is `c1_peer_id`).
    pub async fn grab(&self, name: &str) -> Result<Value> {
        let out = self.statement(["grab", name]).await?;
        let text: String = out.iter().filter_map(|e| e.str_field("stdout")).collect();
        serde_json::from_str(text.trim()).map_err(|e| {
            Error::Protocol(format!(
                "`grab {name}` printed {text:?}, which is not JSON ({e})"
            ))
        })
    }

    /// Drops the log data Rumor stores for `grab` and `$variables`, except that of open calls
    /// (`clear_log_data`).
    pub async fn clear_log_data(&self) -> Result<()> {
        self.statement(["clear_log_data"]).await?;
        Ok(())
    }

    /// Sends one line exactly as given. **Nothing is quoted**: Rumor's input is a shell, and
    /// this line can run any program on Rumor's machine. Only for trusted text.
    pub async fn send_raw_line(&self, line: &str) -> Result<()> {
        check_word("raw line", line)?;
        self.client.send_line(line.to_string()).await
    }

    /// Ends the session cleanly (`exit`): Rumor stops every open call, and a subprocess exits.
    /// Pending calls then get [`Error::Disconnected`].
    pub async fn close(&self) -> Result<()> {
        self.client.send_line("exit".into()).await?;
        self.closed().await;
        Ok(())
    }

    /// Waits until the connection is gone, and returns why.
    pub async fn closed(&self) -> Error {
        loop {
            let notified = self.client.closed_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(e) = self.client.closed.get() {
                return e.clone();
            }
            notified.await;
        }
    }

    /// Why the connection ended, if it has.
    pub fn disconnect_reason(&self) -> Option<Error> {
        self.client.closed.get().cloned()
    }

    /// How many calls are waiting for entries (open in Rumor, as far as this client knows).
    pub fn pending_calls(&self) -> usize {
        self.client.calls.lock().unwrap().len()
    }
}

/// Settings for a connection, then one of the four ways to connect.
///
/// ```no_run
/// # async fn demo() -> pyrum_core::Result<()> {
/// use std::time::Duration;
/// let rumor = pyrum_core::Rumor::builder()
///     .call_buffer(16_384)
///     .setup_timeout(Some(Duration::from_secs(30)))
///     .connect_tcp("127.0.0.1:3030")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone, Default)]
pub struct RumorBuilder {
    config: Config,
    rumor_bin: Option<PathBuf>,
    record: Option<PathBuf>,
}

impl RumorBuilder {
    /// Longest line accepted from Rumor, in bytes.
    pub fn max_line_length(mut self, bytes: usize) -> Self {
        self.config.max_line_length = bytes;
        self
    }
    /// Entries kept per call for its streams; a slower stream gets [`Error::Lagged`].
    pub fn call_buffer(mut self, entries: usize) -> Self {
        self.config.call_buffer = entries;
        self
    }
    /// Limit for each call's setup; `None` waits forever.
    pub fn setup_timeout(mut self, limit: Option<Duration>) -> Self {
        self.config.setup_timeout = limit;
        self
    }
    /// Session events kept for slow subscribers.
    pub fn session_buffer(mut self, entries: usize) -> Self {
        self.config.session_buffer = entries;
        self
    }
    /// The Rumor binary for [`spawn`](Self::spawn) (default: [`find_rumor`](crate::find_rumor)).
    pub fn rumor_bin(mut self, path: impl Into<PathBuf>) -> Self {
        self.rumor_bin = Some(path.into());
        self
    }

    /// Records the connection to a transcript at `path` (see [`record`](crate::record); the
    /// environment variable `PYRUM_RECORD` does the same for every connection).
    pub fn record_to(mut self, path: impl Into<PathBuf>) -> Self {
        self.record = Some(path.into());
        self
    }

    /// Starts `rumor bare --level=trace` as a child process.
    pub async fn spawn(self) -> Result<Rumor> {
        let bin = match &self.rumor_bin {
            Some(b) => b.clone(),
            None => crate::find_rumor()?,
        };
        let wire = transport::spawn_bare(&bin, self.config.max_line_length)?;
        Ok(self.connect(wire))
    }
    /// Connects to `rumor serve --tcp ADDR`.
    pub async fn connect_tcp(self, addr: &str) -> Result<Rumor> {
        let wire = transport::connect_tcp(addr, self.config.max_line_length).await?;
        Ok(self.connect(wire))
    }
    /// Connects to `rumor serve --ipc PATH`.
    #[cfg(unix)]
    pub async fn connect_unix(self, path: impl AsRef<Path>) -> Result<Rumor> {
        let wire = transport::connect_unix(path.as_ref(), self.config.max_line_length).await?;
        Ok(self.connect(wire))
    }
    /// Connects to `rumor serve --http HOST:PORT --api-key KEY`; `url` is `ws://HOST:PORT/ws`.
    pub async fn connect_ws(self, url: &str, api_key: &str) -> Result<Rumor> {
        let wire = transport::connect_ws(url, api_key, self.config.max_line_length).await?;
        Ok(self.connect(wire))
    }

    /// Runs the client on any [`Wire`] (a custom transport, a fake Rumor in tests).
    /// Must be called inside a tokio runtime.
    pub fn connect(self, wire: Wire) -> Rumor {
        let id_prefix = id_prefix();
        let wire = crate::record::for_connection(wire, self.record.as_deref(), &id_prefix);
        let (out_tx, mut out_rx) = mpsc::channel::<String>(self.config.send_queue.max(1));
        let (session_tx, _) = broadcast::channel(self.config.session_buffer.max(1));
        let client = Arc::new(Client {
            name: wire.name.clone(),
            config: self.config,
            out: out_tx,
            calls: Mutex::new(HashMap::new()),
            closed: OnceLock::new(),
            closed_notify: tokio::sync::Notify::new(),
            id_prefix,
            next_id: AtomicU64::new(1),
            session: Mutex::new(Some(session_tx)),
            statements: tokio::sync::Mutex::new(()),
        });
        let Wire {
            name,
            mut sink,
            mut stream,
            describe_close,
        } = wire;

        // The tasks hold only a weak reference: dropping every handle ends them.
        let weak = Arc::downgrade(&client);
        let (write_failed_tx, mut write_failed_rx) = mpsc::channel::<String>(1);
        tokio::spawn(async move {
            while let Some(line) = out_rx.recv().await {
                let mut batch = vec![line];
                while let Ok(more) = out_rx.try_recv() {
                    batch.push(more);
                    if batch.len() >= 256 {
                        break;
                    }
                }
                for line in batch {
                    if let Err(e) = sink.feed(line).await {
                        let _ = write_failed_tx.send(e.to_string()).await;
                        return;
                    }
                }
                if let Err(e) = sink.flush().await {
                    let _ = write_failed_tx.send(e.to_string()).await;
                    return;
                }
            }
            let _ = sink.close().await;
        });
        tokio::spawn(async move {
            let cause = loop {
                tokio::select! {
                    line = stream.next() => match line {
                        Some(Ok(line)) => {
                            let Some(client) = weak.upgrade() else { return };
                            client.route(&line);
                            if client.closed.get().is_some() {
                                // Closed by what the line said: nothing more to route.
                                return;
                            }
                        }
                        Some(Err(e)) => break format!("{name}: {e}"),
                        None => break format!("{name}: connection closed"),
                    },
                    Some(e) = write_failed_rx.recv() => break format!("{name}: write failed: {e}"),
                }
            };
            let cause = match describe_close {
                Some(describe) => format!("{cause}; {}", describe().await),
                None => cause,
            };
            if let Some(client) = weak.upgrade() {
                client.close(Error::disconnected(cause));
            }
        });
        Rumor { client }
    }
}
