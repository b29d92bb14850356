//! Record a pyrum session with Rumor as a transcript, and replay it without Rumor.
//!
//! - [`record`](mod@record): a transport hook ([`Recorder`], [`RecordExt::record_to`]) that
//!   writes every line of a connection to a JSON-lines transcript; recording from the
//!   environment (`PYRUM_RECORD`) happens only where a program opts in with
//!   [`record_from_env`].
//! - [`replay`](mod@replay): [`Replay`] serves a transcript back to the same program, without
//!   Rumor, and fails with a [`Mismatch`] where the program sends something else.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use pyrum_core::{Command, Rumor};
//! use pyrum_replay::{RecordExt, Replay};
//!
//! // Once, against the real Rumor:
//! let rumor = Rumor::builder().record_to("run.jsonl").spawn().await?;
//! rumor.actor("alice")?.call(Command::new(["host", "start"])).await?.setup().await?;
//! rumor.close().await?;
//!
//! // Then as often as needed, without Rumor:
//! let replay = Replay::open("run.jsonl")?;
//! let rumor = replay.rumor();
//! rumor.actor("alice")?.call(Command::new(["host", "start"])).await?.setup().await?;
//! rumor.close().await?;
//! replay.finish()?;
//! # Ok(()) }
//! ```
//!
//! The guide: `docs/record-replay.md` in the pyrum repository.
#![warn(missing_docs)]

pub mod record;
pub mod replay;

/// An [`Error::Io`](pyrum_core::Error::Io) with what was being done.
pub(crate) fn io_error(context: impl Into<String>, source: std::io::Error) -> pyrum_core::Error {
    pyrum_core::Error::Io {
        context: context.into(),
        source: std::sync::Arc::new(source),
    }
}

pub use record::{record, record_from_env, RecordExt, Recorder, RECORD_ENV, TRANSCRIPT_VERSION};
pub use replay::{Event, EventKind, Mismatch, Replay, Transcript};
