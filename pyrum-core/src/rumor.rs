//! The user-facing connection ([`Rumor`]), its settings ([`RumorBuilder`]) and actors
//! ([`Actor`]), with the session statements (`grab`, `calls`, `kill`, `me`, `include`).

use std::future::poll_fn;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use serde_json::Value;
use tokio::sync::broadcast;

use crate::call::Call;
use crate::conn::{new_prefix, Config, Conn, Room, WireInfo};
use crate::entry::{Entry, Level};
use crate::error::{Error, Result};
use crate::quote::{check_word, push_quoted};
use crate::transport::{self, Wire};
use crate::types::Command;

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
    pub(crate) conn: Arc<Conn>,
}

impl std::fmt::Debug for Rumor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rumor").field("transport", &self.conn.name).finish()
    }
}

/// Session built-ins: they are statements, not calls (Rumor gives them no call id).
const BUILTINS: [&str; 8] =
    ["next", "cancel", "calls", "kill", "me", "grab", "clear_log_data", "include"];

impl Rumor {
    /// Starts `rumor bare --level=trace` from [`find_rumor`](crate::find_rumor) with default
    /// settings, and checks that it answers like Rumor.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills the child if it was started.
    pub async fn spawn() -> Result<Rumor> {
        RumorBuilder::default().spawn().await
    }

    /// Connects to `rumor serve --tcp ADDR`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection if it was made.
    pub async fn connect_tcp(addr: &str) -> Result<Rumor> {
        RumorBuilder::default().connect_tcp(addr).await
    }

    /// Connects to `rumor serve --ipc PATH`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection if it was made.
    #[cfg(unix)]
    pub async fn connect_unix(path: impl AsRef<Path>) -> Result<Rumor> {
        RumorBuilder::default().connect_unix(path).await
    }

    /// Connects to `rumor serve --http HOST:PORT --api-key KEY` at `ws://HOST:PORT/ws`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection if it was made.
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
        Ok(Actor { rumor: self.clone(), name: name.into() })
    }

    /// Rumor's default actor of the session (`DEFAULT_ACTOR_ID`), which commands use when no
    /// actor is named.
    pub fn default_actor(&self) -> Actor {
        Actor { rumor: self.clone(), name: "DEFAULT_ACTOR_ID".into() }
    }

    /// Entries that belong to no call or statement of this client: output of calls of other
    /// clients' statements, warnings, lines that could not be parsed (level
    /// [`Level::Unknown`]). A slow receiver loses old entries (`RecvError::Lagged`), never the
    /// connection.
    pub fn session_events(&self) -> Result<broadcast::Receiver<Arc<Entry>>> {
        self.conn.subscribe().ok_or_else(|| self.conn.disconnect_error())
    }

    /// Runs one statement in Rumor's foreground (a built-in such as `kill`, `me`, `grab`,
    /// `clear_log_data`, `include`, or a shell command) and returns its output.
    ///
    /// What a statement gets is only its own: its standard output, captured exactly with
    /// `$(...)` (returned as one entry with a `stdout` field, the trailing newline removed), and
    /// the session entries that are positively its own (a `failed` warning with its exact
    /// words, the listing of `calls`, the notes of `me` and `kill`, what an `include` logged).
    /// Other session output, even if it arrives meanwhile, goes to
    /// [`session_events`](Self::session_events). A non-zero exit status is
    /// [`Error::Command`] with Rumor's message.
    ///
    /// The words run in a subshell: shell state they set (`cd`, `export`) does not last, and
    /// the connection's statement limit applies. Rumor runs statements one at a time and reads
    /// no other input meanwhile, so a long statement delays every call.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a dropped statement still runs in Rumor (it was sent); its output is thrown
    /// away and never reaches another statement.
    pub async fn statement<I, S>(&self, words: I) -> Result<Vec<Arc<Entry>>>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let words: Vec<String> = words.into_iter().map(|w| w.as_ref().to_string()).collect();
        for w in &words {
            check_word("argument", w)?;
        }
        let out = self.conn.statement(words).await?;
        let mut entries = out.entries;
        let stdout = out.stdout.strip_suffix('\n').unwrap_or(&out.stdout);
        if !stdout.trim().is_empty() {
            let mut fields = serde_json::Map::new();
            fields.insert("stdout".into(), Value::String(stdout.to_string()));
            entries.push(Arc::new(Entry::local(Level::Info, "", fields)));
        }
        Ok(entries)
    }

    /// Reads a value Rumor stored from a call's log (`grab <name>`; names are
    /// `<callid>_<field>`, e.g. the `peer_id` of call `c1` is `c1_peer_id`).
    ///
    /// # Cancel safety
    ///
    /// As [`Rumor::statement`].
    pub async fn grab(&self, name: &str) -> Result<Value> {
        let out = self.conn.statement(vec!["grab".into(), name.into()]).await?;
        let printed = out.stdout.trim();
        serde_json::from_str(printed).map_err(|e| {
            Error::Protocol(format!("`grab {name}` printed {printed:?}, which is not JSON ({e})"))
        })
    }

    /// Drops the log data Rumor stores for `grab` and `$variables`, except that of open calls
    /// (`clear_log_data`).
    ///
    /// # Cancel safety
    ///
    /// As [`Rumor::statement`].
    pub async fn clear_log_data(&self) -> Result<()> {
        self.conn.statement(vec!["clear_log_data".into()]).await?;
        Ok(())
    }

    /// Sends one line exactly as given. **Nothing is quoted**: Rumor's input is a shell, and
    /// this line can run any program on Rumor's machine. Only for trusted text.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the line is queued at once, or not at all.
    pub async fn send_raw_line(&self, line: &str) -> Result<()> {
        check_word("raw line", line)?;
        self.conn.room().await?;
        self.conn.push_line(line.to_string(), false, None);
        Ok(())
    }

    /// Ends the session cleanly (`exit`): Rumor stops every open call, and a subprocess exits.
    /// Pending calls then get [`Error::Disconnected`].
    ///
    /// # Cancel safety
    ///
    /// The `exit` is sent on the first poll; dropping the future only stops waiting.
    pub async fn close(&self) -> Result<()> {
        self.send_raw_line("exit").await?;
        let limit = self.conn.config.cancel_timeout;
        let what = || "Rumor ending the session after `exit`".to_string();
        transport::within(limit, what, async { Ok(self.conn.closed().await) }).await.map(drop)
    }

    /// Waits until the connection is gone, and returns why.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    pub async fn closed(&self) -> Error {
        self.conn.closed().await
    }

    /// Why the connection ended, if it has.
    pub fn disconnect_reason(&self) -> Option<Error> {
        self.conn.closed_reason()
    }

    /// How many calls are open in Rumor, as far as this client knows (sent and not freed).
    pub fn pending_calls(&self) -> usize {
        self.conn.pending()
    }

    /// The calls this client made that Rumor has not freed yet, oldest first: what
    /// [`pending_calls`](Self::pending_calls) counts.
    pub fn open_calls(&self) -> Vec<crate::OpenCall> {
        self.conn.with_router(|r| r.open_calls())
    }

    /// A new handle of a call this client made that Rumor has not freed yet (an id from
    /// [`open_calls`](Self::open_calls)): to wait for it or cancel it after its other handles
    /// are gone. `None` for another id.
    pub fn open_call(&self, id: &str) -> Option<Call> {
        let (n, actor) = self.conn.with_router(|r| r.adopt_open(id))?;
        Some(Call::adopt(self.conn.clone(), n, actor.into()))
    }

    /// The settings this connection runs with.
    pub fn config(&self) -> &Config {
        &self.conn.config
    }

    /// Checks the connection answers like Rumor: a statement must come back within the
    /// connect limit, and the first line that is not a JSON entry fails it.
    async fn hello(&self, stderr: Option<&transport::StderrTail>) -> Result<()> {
        let limit = self.conn.config.connect_timeout;
        let mut events = self.session_events()?;
        let probe = self.conn.statement(vec!["echo".into(), "pyrum".into()]);
        tokio::pin!(probe);
        let deadline = tokio::time::sleep(limit);
        tokio::pin!(deadline);
        let tail = || stderr.map(|t| t.describe()).unwrap_or_default();
        let name = &self.conn.name;
        loop {
            tokio::select! {
                r = &mut probe => return match r {
                    Ok(out) if out.stdout.trim() == "pyrum" => Ok(()),
                    Ok(out) => Err(Error::Protocol(format!(
                        "{name} is not Rumor: it answered {:?} to `echo pyrum`{}", out.stdout, tail()
                    ))),
                    Err(Error::Disconnected { cause }) => Err(Error::disconnected(format!(
                        "{name} ended before answering (is it Rumor?): {cause}"
                    ))),
                    Err(e) => Err(e),
                },
                ev = events.recv() => {
                    if let Ok(e) = ev {
                        if e.level == Level::Unknown {
                            return Err(Error::Protocol(format!(
                                "{name} is not Rumor: it wrote a line that is not a JSON entry ({}){}",
                                e.msg, tail()
                            )));
                        }
                    }
                }
                _ = &mut deadline => return Err(Error::Timeout {
                    what: format!("{name} answering like Rumor (is it Rumor?{})", tail()),
                    after: limit,
                }),
            }
        }
    }
}

/// A transport hook: gets each new connection's wire and may wrap it (a recorder does).
pub type WireHook = Arc<dyn Fn(Wire, &WireInfo) -> Wire + Send + Sync>;

/// Settings for a connection, then one of the four ways to connect.
///
/// Every wait of the client has a deadline; the defaults are in [`Config`].
///
/// ```no_run
/// # async fn demo() -> pyrum_core::Result<()> {
/// use std::time::Duration;
/// let rumor = pyrum_core::Rumor::builder()
///     .call_buffer(16_384)
///     .setup_timeout(Some(Duration::from_secs(30)))
///     .statement_timeout(Duration::from_secs(10))
///     .connect_tcp("127.0.0.1:3030")
///     .await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct RumorBuilder {
    config: Config,
    rumor_bin: Option<PathBuf>,
    hook: Option<WireHook>,
}

impl std::fmt::Debug for RumorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RumorBuilder")
            .field("config", &self.config)
            .field("rumor_bin", &self.rumor_bin)
            .field("hook", &self.hook.is_some())
            .finish()
    }
}

macro_rules! setters {
    ($($(#[$doc:meta])* $name:ident: $t:ty;)*) => {$(
        $(#[$doc])*
        pub fn $name(mut self, value: $t) -> Self {
            self.config.$name = value;
            self
        }
    )*};
}

impl RumorBuilder {
    setters! {
        /// Longest line accepted from Rumor, in bytes (a longer one ends the connection).
        max_line_length: usize;
        /// Entries kept per call for its streams; a slower stream gets [`Error::Lagged`].
        call_buffer: usize;
        /// Lines that may wait for the writer before calls wait for room.
        send_queue: usize;
        /// Session events kept for slow subscribers.
        session_buffer: usize;
        /// Limit for each call's setup; `None` waits forever. Checked every eighth of the limit
        /// (between 5 ms and 1 s): a setup fails at most that much after its limit. A send queue
        /// that stays full with nothing written for a whole limit (Rumor reads no input) ends
        /// the connection, which bounds the calls waiting for room in it.
        setup_timeout: Option<Duration>;
        /// Limit for each statement (`grab`, `calls`, `kill`, `include`, ...).
        statement_timeout: Duration;
        /// Limit Rumor applies to a `next` when the caller gives none.
        step_timeout: Duration;
        /// Limit for Rumor to free a cancelled call.
        cancel_timeout: Duration;
        /// Limit for [`Call::finished`].
        finish_timeout: Duration;
        /// Limit for connecting (TCP, Unix, the WebSocket handshake) and for the first answer.
        connect_timeout: Duration;
    }

    /// All settings at once.
    pub fn config(mut self, config: Config) -> Self {
        self.config = config;
        self
    }

    /// The Rumor binary for [`spawn`](Self::spawn) (default: [`find_rumor`](crate::find_rumor)).
    pub fn rumor_bin(mut self, path: impl Into<PathBuf>) -> Self {
        self.rumor_bin = Some(path.into());
        self
    }

    /// Wraps each wire this builder connects (a recorder, a fault injector).
    pub fn wire_hook(
        mut self,
        hook: impl Fn(Wire, &WireInfo) -> Wire + Send + Sync + 'static,
    ) -> Self {
        self.hook = Some(Arc::new(hook));
        self
    }

    /// Starts `rumor bare --level=trace` as a child process and checks that it answers like
    /// Rumor within the connect limit (else the error carries the child's stderr).
    ///
    /// # Cancel safety
    ///
    /// Dropping the future kills the child if it was started.
    pub async fn spawn(self) -> Result<Rumor> {
        let bin = match &self.rumor_bin {
            Some(b) => b.clone(),
            None => crate::find_rumor()?,
        };
        let (wire, stderr) = transport::spawn_bare(&bin, self.config.max_line_length)?;
        let rumor = self.connect(wire);
        rumor.hello(Some(&stderr)).await?;
        Ok(rumor)
    }

    /// Connects to `rumor serve --tcp ADDR`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection if it was made.
    pub async fn connect_tcp(self, addr: &str) -> Result<Rumor> {
        let wire = transport::connect_tcp(addr, &self.config).await?;
        self.connect_checked(wire).await
    }

    /// Connects to `rumor serve --ipc PATH`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection if it was made.
    #[cfg(unix)]
    pub async fn connect_unix(self, path: impl AsRef<Path>) -> Result<Rumor> {
        let wire = transport::connect_unix(path.as_ref(), &self.config).await?;
        self.connect_checked(wire).await
    }

    /// Connects to `rumor serve --http HOST:PORT --api-key KEY`; `url` is `ws://HOST:PORT/ws`.
    ///
    /// # Cancel safety
    ///
    /// Dropping the future closes the connection if it was made.
    pub async fn connect_ws(self, url: &str, api_key: &str) -> Result<Rumor> {
        let wire = transport::connect_ws(url, api_key, &self.config).await?;
        self.connect_checked(wire).await
    }

    async fn connect_checked(self, wire: Wire) -> Result<Rumor> {
        let rumor = self.connect(wire);
        rumor.hello(None).await?;
        Ok(rumor)
    }

    /// Runs the client on any [`Wire`] (a custom transport, a fake Rumor in tests), without
    /// the check that it answers like Rumor. Must be called inside a tokio runtime.
    pub fn connect(self, wire: Wire) -> Rumor {
        let prefix = new_prefix();
        let wire = match &self.hook {
            Some(hook) => {
                let info =
                    WireInfo { id_prefix: prefix.clone(), transport: wire.name().to_string() };
                hook(wire, &info)
            }
            None => wire,
        };
        Rumor { conn: Conn::start(wire, self.config, prefix) }
    }
}

/// An actor: a named libp2p host and its state inside Rumor.
///
/// The typed commands (`alice.host().start()`) come from the `pyrum-commands` crate; this type
/// offers the untyped [`Actor::call`] they are built on, and the actor's session statements.
///
/// ```no_run
/// # async fn demo(rumor: pyrum_core::Rumor) -> pyrum_core::Result<()> {
/// let alice = rumor.actor("alice")?;
/// let out = alice.call(pyrum_core::Command::new(["host", "start"])).await?.setup().await?;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Actor {
    pub(crate) rumor: Rumor,
    pub(crate) name: Arc<str>,
}

impl Actor {
    /// The actor's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The connection this actor lives on.
    pub fn rumor(&self) -> &Rumor {
        &self.rumor
    }

    /// Sends a command as a new call and returns its handle once the line is on its way.
    /// Every word is quoted; await the handle (or [`Call::setup`]) for the result.
    ///
    /// Session built-ins (`calls`, `kill`, `grab`, ...) are not calls: use their methods
    /// ([`Actor::calls`], [`Actor::kill`], [`Rumor::grab`], ...) or [`Rumor::statement`].
    ///
    /// # Cancel safety
    ///
    /// Dropped while waiting for room in the send queue, nothing was sent. Once the line is
    /// queued the future completes at once.
    pub async fn call(&self, command: Command) -> Result<Call> {
        command.check()?;
        if let Some(first) = command.each_word().next().filter(|w| BUILTINS.contains(w)) {
            return Err(Error::InvalidInput {
                what: "command",
                value: first.to_string(),
                reason: format!(
                    "`{first}` is a session built-in, not a call: use the Actor/Rumor method of \
                     that name, or Rumor::statement"
                ),
            });
        }
        let mut room = Room::default();
        poll_fn(|cx| match self.poll_room(&mut room, cx) {
            Poll::Ready(Ok(())) => Poll::Ready(self.open(&command, cx)),
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        })
        .await
    }

    pub(crate) fn poll_room(&self, room: &mut Room, cx: &mut Context<'_>) -> Poll<Result<()>> {
        self.rumor.conn.poll_room(room, cx)
    }

    /// Registers and queues the call: `'_id' 'actor:' 'lvl_trace' words... &`.
    pub(crate) fn open(&self, command: &Command, cx: &Context<'_>) -> Result<Call> {
        let conn = &self.rumor.conn;
        let mut display = String::with_capacity(64);
        display.push_str(&self.name);
        display.push(':');
        for w in command.each_word() {
            display.push(' ');
            display.push_str(w);
            if display.len() > 120 {
                break;
            }
        }
        let line = |n: u64| {
            let mut line = String::with_capacity(96);
            line.push_str("'_");
            line.push_str(&conn.prefix);
            line.push_str(itoa::Buffer::new().format(n));
            // Actor names are checked: letters, digits, `-`, `_`, `.` need no escaping.
            line.push_str("' '");
            line.push_str(&self.name);
            line.push_str(":' 'lvl_trace'");
            for w in command.each_word() {
                push_quoted(&mut line, w);
            }
            line.push_str(" &");
            line
        };
        let n = conn.open_call(display, command.cancels_on_drop(), line, cx)?;
        Ok(Call::adopt(conn.clone(), n, self.name.clone()))
    }

    /// Stops the actor (`kill`): its host closes and all its calls end. A later call with the
    /// same name starts a fresh actor.
    ///
    /// # Cancel safety
    ///
    /// As [`Rumor::statement`].
    pub async fn kill(&self) -> Result<()> {
        self.statement("kill").await?;
        Ok(())
    }

    /// The open calls of this actor, as Rumor reports them (`calls`): call id to details
    /// (`{"actor": ..., "args": [...]}`).
    ///
    /// # Cancel safety
    ///
    /// As [`Rumor::statement`].
    pub async fn calls(&self) -> Result<serde_json::Map<String, Value>> {
        let out = self.statement("calls").await?;
        out.entries
            .iter()
            .find_map(|e| e.fields.get("calls"))
            .map(|c| match c {
                Value::Object(m) => Ok(m.clone()),
                Value::Null => Ok(serde_json::Map::new()),
                other => Err(Error::Protocol(format!("`calls` listed {other}"))),
            })
            .unwrap_or_else(|| {
                Err(Error::Protocol(format!("`{}: calls` logged no listing", self.name)))
            })
    }

    /// Makes this actor the session's default (`me`): commands without an actor prefix, such as
    /// those of an included script, run on it.
    ///
    /// # Cancel safety
    ///
    /// As [`Rumor::statement`].
    pub async fn make_default(&self) -> Result<()> {
        self.statement("me").await?;
        Ok(())
    }

    /// Runs a Rumor script file (`include`) in a sub-session with this actor as its default, and
    /// returns the entries it logged (those carry a `parent` field). Paths are relative to
    /// Rumor's working directory (absolute paths are broken in Rumor v0.3.6).
    ///
    /// # Cancel safety
    ///
    /// As [`Rumor::statement`].
    pub async fn include(&self, path: &str) -> Result<Vec<Arc<Entry>>> {
        check_word("path", path)?;
        self.rumor.statement([format!("{}:", self.name), "include".into(), path.to_string()]).await
    }

    async fn statement(&self, word: &str) -> Result<crate::router::StatementOut> {
        self.rumor.conn.statement(vec![format!("{}:", self.name), word.into()]).await
    }
}

impl Call {
    /// The actor this call runs on (for follow-up commands, e.g. answering a request).
    ///
    /// ```no_run
    /// # async fn demo(call: pyrum_core::Call) -> pyrum_core::Result<()> {
    /// let alice = call.actor();
    /// alice.call(pyrum_core::Command::new(["host", "view"])).await?.setup().await?;
    /// # Ok(()) }
    /// ```
    pub fn actor(&self) -> Actor {
        Actor { rumor: Rumor { conn: self.conn.clone() }, name: self.actor.clone() }
    }
}
