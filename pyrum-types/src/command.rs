//! One command line: path words, flags and positional words, before quoting.

use crate::error::Result;
use crate::quote::check_word;
use crate::ToArg;

/// One command line for an actor: path words, flags and positional words.
///
/// Positional arguments of Rumor commands are also flags of the same name, so the typed
/// bindings pass them as `--name=value`, which avoids the `help` word trap and values that
/// start with `-`. Words that stay positional (the event names of `host notify`, say) are sent
/// after a `--`, so Rumor's flag parser takes `--help` or `-x` among them as data.
///
/// ```
/// use pyrum_types::Command;
/// let cmd = Command::new(["host", "listen"]).flag("ip", "127.0.0.1").flag("tcp", 9000u16);
/// assert_eq!(cmd.words(), ["host", "listen", "--ip=127.0.0.1", "--tcp=9000"]);
/// let notify = Command::new(["host", "notify"]).positional("--help");
/// assert_eq!(notify.words(), ["host", "notify", "--", "--help"]);
/// let mixed = Command::new(["host", "notify"]).positional("a").flag("x", "1").flag("x", "2");
/// assert_eq!(mixed.words(), ["host", "notify", "--x=2", "--", "a"]);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct Command {
    /// Path words known at compile time (what the typed bindings give): not copied per call.
    path: &'static [&'static str],
    /// Path words given at run time, then flags, then the positional words.
    words: Vec<String>,
    /// How many of `words` (at the end) are positional.
    positionals: u32,
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
            ..Command::default()
        }
    }

    /// A command from path words known at compile time, kept without a copy (the typed
    /// bindings build every call this way).
    ///
    /// ```
    /// use pyrum_types::Command;
    /// assert_eq!(Command::path(&["host", "view"]).words(), ["host", "view"]);
    /// ```
    pub fn path(path: &'static [&'static str]) -> Command {
        Command {
            path,
            ..Command::default()
        }
    }

    /// Sets `--name=value`, replacing an earlier value of the same flag.
    pub fn flag(mut self, name: &str, value: impl ToArg) -> Command {
        let word = format!("--{name}={}", value.to_arg());
        let prefix = &word[..name.len() + 3];
        let flags = self.words.len() - self.positionals as usize;
        match self.words[..flags]
            .iter()
            .position(|w| w.starts_with(prefix))
        {
            Some(i) => self.words[i] = word,
            None => self.words.insert(flags, word),
        }
        self
    }

    /// Adds a positional word; positional words go after `--`, in order.
    pub fn positional(mut self, value: impl ToArg) -> Command {
        self.words.push(value.to_arg());
        self.positionals += 1;
        self
    }

    /// Cancel the call when its last handle is dropped (for long-running commands).
    pub fn cancel_on_drop(mut self, yes: bool) -> Command {
        self.cancel_on_drop = yes;
        self
    }

    /// Whether the call is cancelled when its last handle is dropped.
    pub fn cancels_on_drop(&self) -> bool {
        self.cancel_on_drop
    }

    /// The words as Rumor will receive them (before quoting).
    pub fn words(&self) -> Vec<String> {
        self.each_word().map(str::to_string).collect()
    }

    /// The words, as [`words`](Self::words) gives them, without copying.
    pub fn each_word(&self) -> impl Iterator<Item = &str> {
        let (flags, positionals) = self
            .words
            .split_at(self.words.len() - self.positionals as usize);
        let sep = (!positionals.is_empty()).then_some("--");
        self.path
            .iter()
            .copied()
            .chain(flags.iter().map(String::as_str))
            .chain(sep)
            .chain(positionals.iter().map(String::as_str))
    }

    /// Rejects words no quoting can carry (see [`check_word`]); calls run this before sending.
    pub fn check(&self) -> Result<()> {
        self.each_word().try_for_each(|w| check_word("argument", w))
    }
}
