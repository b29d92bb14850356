//! pyrum-core: the runtime of pyrum, the typed Rust client for
//! [Rumor](https://github.com/protolambda/rumor), the Eth2 networking shell.
//!
//! Data path, in one direction: a typed builder (from `pyrum-commands`) holds a [`Command`];
//! awaiting it ([`typed::CallFuture`]) quotes every word and queues one line with a fresh call
//! id ([`Actor::call`] does the same untyped); the reader task parses each JSON line into an
//! [`Entry`] and the router routes it by `call_id`; the call's markers (`__success`, `__error`,
//! `__step`, `__freed`) drive setup, steps and completion; the typed layer reads the
//! [`Output`] into a result struct.
//!
//! | module | job |
//! |---|---|
//! | `transport` | [`Wire`]s: `rumor bare` as a child, TCP, Unix socket, WebSocket |
//! | `conn` (private) | the writer, the reader task, deadlines |
//! | `router` (private) | pure routing state: calls, steps, cancels, statements |
//! | [`mod@entry`] | one JSON line from Rumor |
//! | `call` | [`Call`], its [`Output`] and streams ([`Entries`], [`Values`]) |
//! | `rumor` | [`Rumor`], [`RumorBuilder`], [`Actor`], session statements |
//! | [`typed`] | what every generated command shares ([`typed::CommandSpec`], [`typed::TypedCall`]) |
//! | [`types`] | the `pyrum-types` crate: values that go to Rumor and come back ([`types::ToArg`], [`types::FromField`]), and [`Error`] |
//! | [`quote`] | the quoting that keeps every word data |
//!
//! ```no_run
//! # async fn demo() -> pyrum_core::Result<()> {
//! use pyrum_core::{Command, Rumor};
//! let rumor = Rumor::spawn().await?;
//! let alice = rumor.actor("alice")?;
//! alice.call(Command::new(["host", "start"])).await?.setup().await?;
//! # Ok(()) }
//! ```
//!
//! Errors: when Rumor exits or the connection drops, every pending call, stream, step and
//! statement gets the same [`Error::Disconnected`] at once. Every wait has a deadline
//! ([`Config`]). A stream that reads slower than Rumor writes loses only its own oldest
//! entries ([`Error::Lagged`]); the reader never waits for it.
#![warn(missing_docs)]

mod call;
mod command;
mod conn;
mod find;
mod router;
mod rumor;
pub mod transport;
pub mod typed;

pub use call::{Call, Entries, OpenCall, Output, Values};
pub use command::Command;
pub use conn::{Config, WireInfo};
pub use entry::{Entry, Level, Marker};
/// The values that go to Rumor and come back, and their traits (the `pyrum-types` crate).
pub use pyrum_types as types;
pub use pyrum_types::{entry, quote};
pub use pyrum_types::{Error, Result};

/// The error type, where the modules of this crate name it.
mod error {
    pub use pyrum_types::{Error, Result};
}
pub use find::{cache_dir, cached_rumor_path, find_rumor, INSTALL_COMMAND};
pub use rumor::{Actor, Rumor, RumorBuilder, WireHook};
pub use transport::Wire;
