//! The one error type of pyrum.

use std::sync::Arc;
use std::time::Duration;

/// Everything that can go wrong between a call and its result.
///
/// `Disconnected` is shared: when Rumor exits or the connection drops, every pending call,
/// stream and step waiter receives the same root cause at once.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Rumor ran the command and it failed; `message` is Rumor's own text.
    #[error("{call}: {message}")]
    Command {
        /// The call as sent, without quoting: `alice: peer connect garbage`.
        call: String,
        /// Rumor's error text (from `__error`, or the session's `failed` warning).
        message: String,
    },
    /// The connection to Rumor is gone; every pending call gets this at once.
    #[error("disconnected from Rumor: {cause}")]
    Disconnected {
        /// Why: exit status and the last lines of stderr, or the transport error.
        cause: Arc<str>,
    },
    /// A wait took longer than its limit.
    #[error("{what} timed out after {after:?}")]
    Timeout {
        /// What was awaited.
        what: String,
        /// The limit.
        after: Duration,
    },
    /// Rumor sent something the client cannot read (not JSON, too long, missing fields).
    #[error("protocol error: {0}")]
    Protocol(String),
    /// Input rejected before anything was sent: an actor name, argument, URL, API key or value
    /// that cannot reach Rumor safely or intact.
    #[error("invalid {what} {value:?}: {reason}")]
    InvalidInput {
        /// What kind of input: `actor name`, `argument`, `multiaddr`, `websocket url`, ...
        what: &'static str,
        /// The offending value (shortened if long).
        value: String,
        /// Why it is rejected and what to do.
        reason: String,
    },
    /// The WebSocket server refused the API key.
    #[error("{url}: authentication refused: {hint}")]
    Auth {
        /// The server URL.
        url: String,
        /// What to change.
        hint: String,
    },
    /// The Rumor binary could not be found.
    #[error("Rumor binary not found: {hint}")]
    RumorNotFound {
        /// Where it was looked for and the command that installs it.
        hint: String,
    },
    /// A stream fell behind Rumor and lost entries; only that stream is affected.
    #[error("stream lagged behind and lost {missed} entries (buffer {capacity}); read faster or raise the call buffer")]
    Lagged {
        /// How many entries this stream lost.
        missed: u64,
        /// The per-call buffer size that was exceeded.
        capacity: usize,
    },
    /// An I/O error while connecting or talking to Rumor.
    #[error("{context}: {source}")]
    Io {
        /// What was being done: `connecting to 127.0.0.1:3030`.
        context: String,
        /// The underlying error.
        #[source]
        source: Arc<std::io::Error>,
    },
}

impl Error {
    /// An [`Error::Command`]: `call` failed with Rumor's `message`.
    pub fn command(call: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Command {
            call: call.into(),
            message: message.into(),
        }
    }

    /// An [`Error::Io`] with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source: Arc::new(source),
        }
    }

    /// An [`Error::Disconnected`] with its cause.
    pub fn disconnected(cause: impl Into<Arc<str>>) -> Self {
        Error::Disconnected {
            cause: cause.into(),
        }
    }

    /// True for [`Error::Disconnected`]: the client must reconnect (or restart Rumor).
    pub fn is_disconnected(&self) -> bool {
        matches!(self, Error::Disconnected { .. })
    }
}

/// `Result` with pyrum's [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;
