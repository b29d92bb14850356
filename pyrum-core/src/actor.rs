//! Actors, and the untyped call API that the generated bindings build on.

use std::sync::Arc;

use crate::call::Call;
use crate::client::Rumor;
use crate::error::Result;
use crate::types::ToArg;

/// One command line for an actor: path words, arguments and flags.
///
/// Positional arguments of Rumor commands are also flags of the same name, so the typed
/// bindings pass them as `--name=value`: that avoids the `help` word trap and values that
/// start with `-`. [`Command::positional`] exists for the few commands that read extra words.
///
/// ```
/// use pyrum_core::Command;
/// let cmd = Command::new(["host", "listen"]).flag("ip", "127.0.0.1").flag("tcp", 9000u16);
/// assert_eq!(cmd.words(), ["host", "listen", "--ip=127.0.0.1", "--tcp=9000"]);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Command {
    words: Vec<String>,
    cancel_on_drop: bool,
}

impl Command {
    /// A command from its path words (`["peer", "connect"]`).
    pub fn new<I, S>(path: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Command {
            words: path.into_iter().map(Into::into).collect(),
            cancel_on_drop: false,
        }
    }

    /// Sets `--name=value`, replacing an earlier value of the same flag.
    pub fn flag(mut self, name: &str, value: impl ToArg) -> Command {
        let word = format!("--{name}={}", value.to_arg());
        let prefix = format!("--{name}=");
        match self.words.iter().position(|w| w.starts_with(&prefix)) {
            Some(i) => self.words[i] = word,
            None => self.words.push(word),
        }
        self
    }

    /// Adds a bare positional word.
    pub fn positional(mut self, value: impl ToArg) -> Command {
        self.words.push(value.to_arg());
        self
    }

    /// Cancel the call when its last handle is dropped (for long-running commands).
    pub fn cancel_on_drop(mut self, yes: bool) -> Command {
        self.cancel_on_drop = yes;
        self
    }

    /// The words as Rumor will receive them (before quoting).
    pub fn words(&self) -> &[String] {
        &self.words
    }
}

/// An actor: a named libp2p host and its state inside Rumor.
///
/// The typed commands (`alice.host().start()`) come from the `pyrum-commands` crate; this type
/// offers the untyped [`Actor::call`] they are built on.
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
    pub async fn call(&self, command: Command) -> Result<Call> {
        let display = format!("{}: {}", self.name, command.words.join(" "));
        self.rumor
            .client
            .start_call(&self.name, &command.words, display, command.cancel_on_drop)
            .await
    }

    /// Stops the actor (`kill`): its host closes and all its calls end. A later call with the
    /// same name starts a fresh actor.
    pub async fn kill(&self) -> Result<()> {
        self.rumor
            .statement([format!("{}:", self.name), "kill".into()])
            .await?;
        Ok(())
    }

    /// The open calls of this actor, as Rumor reports them (`calls`): call id to details.
    pub async fn calls(&self) -> Result<serde_json::Map<String, serde_json::Value>> {
        let out = self
            .rumor
            .statement([format!("{}:", self.name), "calls".into()])
            .await?;
        Ok(out
            .iter()
            .find_map(|e| e.fields.get("calls").and_then(|c| c.as_object()).cloned())
            .unwrap_or_default())
    }

    /// Makes this actor the session's default (`me`): commands without an actor prefix, such as
    /// those of an included script, run on it.
    pub async fn make_default(&self) -> Result<()> {
        self.rumor
            .statement([format!("{}:", self.name), "me".into()])
            .await?;
        Ok(())
    }

    /// Runs a Rumor script file (`include`) in a sub-session with this actor as its default, and
    /// returns the session entries it produced. Paths are relative to Rumor's working directory
    /// (absolute paths are broken in Rumor v0.3.6).
    pub async fn include(&self, path: &str) -> Result<Vec<Arc<crate::Entry>>> {
        self.rumor
            .statement([
                format!("{}:", self.name),
                "include".into(),
                path.to_string(),
            ])
            .await
    }
}
