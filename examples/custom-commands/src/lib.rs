//! Typed bindings for a Rumor fork's own commands, generated at build time.
//!
//! `build.rs` runs `pyrum_codegen::Builder` on `fork.toml`, the spec of the fork's commands
//! (the format of pyrum's `commands.toml`), and this file includes the result. The bindings run
//! on pyrum-core like pyrum's own:
//!
//! ```no_run
//! # async fn demo(rumor: pyrum_core::Rumor) -> pyrum_core::Result<()> {
//! use pyrum_example_custom_commands::{Commands, Mode};
//! let alice = rumor.actor("alice")?;
//! let me = alice.host().view().await?.peer_id;
//! let score = alice.gossip().score(me).mode(Mode::Full).await?;
//! println!("score {} over {:?}", score.score, score.topics);
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

include!(concat!(env!("OUT_DIR"), "/fork.rs"));
