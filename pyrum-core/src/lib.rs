//! pyrum-core: the runtime of pyrum, the typed Rust client for
//! [Rumor](https://github.com/protolambda/rumor) v0.3.6.
//!
//! Data path: a typed builder (from `pyrum-commands`) makes a [`Command`]; [`Actor::call`] quotes
//! every word and sends one line with a fresh call id; the reader task parses each JSON line
//! into an [`Entry`] and routes it by `call_id` to its [`Call`]; the call's markers
//! (`__success`, `__error`, `__step`, `__freed`) drive setup, steps and completion; the typed
//! layer reads the [`Output`] into a result struct.
//!
//! Transports: [`Rumor::spawn`] (`rumor bare --level=trace` as a child process),
//! [`Rumor::connect_tcp`], [`Rumor::connect_unix`], [`Rumor::connect_ws`] (`rumor serve`), or any
//! [`Wire`] through [`RumorBuilder::connect`].
//!
//! Record and replay: `PYRUM_RECORD=run.jsonl` (or [`RumorBuilder::record_to`]) writes a
//! transcript of a connection ([`record`]); [`Replay`] serves it back without Rumor and fails
//! with a [`Mismatch`] where the program sends something else ([`replay`]).
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
//! Errors: when Rumor exits or the connection drops, every pending call, stream and step
//! waiter gets the same [`Error::Disconnected`] at once. A stream that reads slower than Rumor
//! writes loses only its own oldest entries ([`Error::Lagged`]); the reader never waits for it.
#![warn(missing_docs)]

mod actor;
mod call;
mod client;
pub mod entry;
mod error;
mod find;
pub mod quote;
pub mod record;
pub mod replay;
pub mod transport;
pub mod types;

pub use actor::{Actor, Command};
pub use call::{Call, Entries, Output, Values};
pub use client::{Config, Rumor, RumorBuilder};
pub use entry::{Entry, Level, Marker};
pub use error::{Error, Result};
pub use find::{cached_rumor_path, find_rumor, INSTALL_COMMAND, RUMOR_VERSION};
pub use replay::{Mismatch, Replay, Transcript};
pub use transport::Wire;
