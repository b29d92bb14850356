//! pyrum-commands: typed bindings for every command of the Rumor release that `commands.toml`
//! describes ([`RUMOR_VERSION`]).
//!
//! Generated at build time from `commands.toml` by `pyrum-codegen` (see `build.rs`). The [`Commands`] trait puts the command tree on an actor:
//!
//! ```no_run
//! # async fn demo(rumor: pyrum_core::Rumor) -> pyrum_core::Result<()> {
//! use pyrum_commands::Commands;
//! let alice = rumor.actor("alice")?;
//! alice.host().start().await?;
//! let listening = alice.host().listen().ip([127, 0, 0, 1]).tcp(9000).await?;
//! let view = alice.host().view().await?;
//! println!("{} listens on {:?}", view.peer_id, view.addr);
//! # Ok(()) }
//! ```
//!
//! Each leaf command is a builder: required positionals are parameters of the method that makes
//! it, optional ones and flags are typed setters. Awaiting the builder sends the command and
//! returns its typed result (for long-running commands: the open call handle); `.send()` gives
//! the handle of any command, with `cancel`, `finished`, typed background streams, and `step`
//! for steppable commands.
#![allow(clippy::all)]
#![warn(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/commands.rs"));
