//! pyrum: drive [Rumor](https://github.com/protolambda/rumor) v0.3.6, the Eth2 networking
//! shell, from Rust, with every command typed.
//!
//! ```no_run
//! use pyrum::prelude::*;
//!
//! # async fn demo() -> pyrum::Result<()> {
//! let rumor = Rumor::spawn().await?;               // finds Rumor, runs `rumor bare --level=trace`
//! let (alice, bob) = (rumor.actor("alice")?, rumor.actor("bob")?);
//! for actor in [&alice, &bob] {
//!     actor.host().start().await?;
//!     actor.host().listen().ip([127, 0, 0, 1]).tcp(0).await?;   // a u16: `.tcp("0")` does not compile
//! }
//! let bob_view = bob.host().view().await?;         // typed: `peer_id: PeerId`, `addr: Vec<Multiaddr>`
//! alice.peer().connect(bob_view.addr[0].clone()).await?;
//! let peers = alice.peer().list().await?;
//! # Ok(()) }
//! ```
//!
//! - [`Rumor`] connects (subprocess, TCP, Unix socket, WebSocket); [`Rumor::actor`] names an actor.
//! - [`Commands`](prelude::Commands) (from [`commands`], generated from `commands.toml`) puts
//!   Rumor's command tree on an actor: each command is a builder with typed setters; awaiting
//!   it returns a typed result, or, for long-running commands, the open call.
//! - [`rpc`] turns the steppable `rpc <method> req raw` / `listen` calls into one-call requests
//!   ([`rpc::RequestExt::response`]) and typed incoming requests
//!   ([`rpc::ListenExt::next_request`]) that answer with chunks, errors and close; [`ssz`]
//!   (feature `ssz`, default) has the typed Status, Ping, MetaData, Goodbye,
//!   BeaconBlocksByRange and BeaconBlocksByRoot payloads.
//! - [`gossip`] reads `gossip log` as typed messages and waits until a topic carries them;
//!   [`serve`] starts `rumor serve` and connects to it.
//! - The guide (`docs/guide.md`) says which of typed results, `stream_<key>()`, entries and
//!   typed steps to use when.
//! - Errors are one [`Error`] enum: Rumor's own message for a failed command, one shared
//!   `Disconnected` cause for every pending call when Rumor goes away.
#![warn(missing_docs)]

pub use pyrum_core::*;

/// The generated, typed command tree (one module per route, one builder per command).
pub use pyrum_commands as commands;

pub mod gossip;
pub mod rpc;
pub mod serve;
#[cfg(feature = "ssz")]
pub mod ssz;

/// Record a session with Rumor as a transcript; replay it without Rumor (feature `replay`,
/// default). The guide: `docs/record-replay.md`.
#[cfg(feature = "replay")]
#[doc(inline)]
pub use pyrum_replay as replay;

#[cfg(feature = "testing")]
pub mod testing;

/// A scenario test on a Rumor of its own (feature `testing`, default); the runtime is
/// [`testing`].
///
/// ```no_run
/// use pyrum::prelude::*;
///
/// #[pyrum::test(actors = ["alice", "bob", "carol"], connected, timeout = "30s")]
/// async fn bob_sees_both_neighbours(alice: Actor, bob: Actor, carol: Actor) -> pyrum::Result<()> {
///     let peers = bob.peer().list().await?;        // the line alice → bob → carol
///     let alice_id = alice.host().view().await?.peer_id;
///     let carol_id = carol.host().view().await?.peer_id;
///     let listed = peers.peers.as_array().cloned().unwrap_or_default();
///     assert!(listed.contains(&alice_id.as_str().into()) && listed.contains(&carol_id.as_str().into()));
///     Ok(())
/// }
///
/// #[pyrum::test]
/// async fn alone(rumor: Rumor) -> pyrum::Result<()> {
///     rumor.host().start().await?;                  // the default actor
///     Ok(())
/// }
/// # fn main() {}
/// ```
#[cfg(feature = "testing")]
pub use pyrum_macros::test;

/// What a scenario needs in scope: `use pyrum::prelude::*;`.
pub mod prelude {
    pub use crate::gossip::{GossipExt, GossipLogExt};
    pub use crate::rpc::{ListenExt, Payload, RequestCallExt, RequestExt};
    pub use pyrum_commands::Commands;
    pub use pyrum_core::typed::{CommandSpec as _, TypedCall};
    pub use pyrum_core::types::*;
    pub use pyrum_core::{Actor, Call, Command, Error, Result, Rumor};
}

/// The README's examples, compiled as doctests so they cannot drift from the API.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

/// The guide's examples (`docs/guide.md`), compiled as doctests.
#[doc = include_str!("../docs/guide.md")]
#[cfg(doctest)]
pub struct GuideDoctests;

/// The record/replay guide's examples, compiled as doctests.
#[doc = include_str!("../docs/record-replay.md")]
#[cfg(all(doctest, feature = "replay"))]
pub struct RecordReplayDoctests;
