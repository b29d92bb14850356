//! The typed layer's runtime: what every generated command shares.
//!
//! The generator (`pyrum-codegen`) emits, per command, a builder struct with typed setters, a
//! result struct that implements [`FromOutput`], and one [`CommandSpec`] impl (plus
//! [`Steppable`] for steppable commands and an `IntoFuture` impl that names [`CallFuture`]).
//! Sending, waiting for setup, the open handle ([`TypedCall`]), steps and cancel live here,
//! once.
//!
//! ```no_run
//! # async fn demo(alice: pyrum_core::Actor) -> pyrum_core::Result<()> {
//! use pyrum_core::typed::{Builder, CommandSpec, TypedCall, CallFuture};
//! use pyrum_core::{Command, Output, Result};
//!
//! /// `host view`, written by hand the way the generator writes it.
//! struct HostView(Builder);
//! impl CommandSpec for HostView {
//!     type Result = Output;
//!     type Output = Output;
//!     type Handle = TypedCall<Self>;
//!     const PATH: &'static str = "host view";
//!     const LONG_RUNNING: bool = false;
//!     fn builder(&self) -> &Builder { &self.0 }
//!     fn into_builder(self) -> Builder { self.0 }
//!     fn complete(_: TypedCall<Self>, setup: Output) -> Result<Output> { Ok(setup) }
//! }
//! impl std::future::IntoFuture for HostView {
//!     type Output = Result<Output>;
//!     type IntoFuture = CallFuture<Self>;
//!     fn into_future(self) -> CallFuture<Self> { CallFuture::new(self) }
//! }
//!
//! let view = HostView(Builder::new(alice, Command::new(["host", "view"]))).await?;
//! println!("{}", view.fields["peer_id"]);
//! # Ok(()) }
//! ```

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::call::{Call, Entries, Values};
use crate::conn::Room;
use crate::error::Result;
use crate::rumor::Actor;
use crate::types::{Command, FromField, Output};

/// A typed value read from what a call logged (a generated result or step struct).
pub trait FromOutput: Sized {
    /// Reads the typed fields; a missing or malformed required field is
    /// [`Error::Protocol`](crate::Error::Protocol).
    fn from_output(out: &Output) -> Result<Self>;
}

impl FromOutput for Output {
    fn from_output(out: &Output) -> Result<Self> {
        Ok(out.clone())
    }
}

impl FromOutput for () {
    fn from_output(_: &Output) -> Result<Self> {
        Ok(())
    }
}

/// The untyped part of every generated builder: the actor and the command line so far.
#[derive(Debug, Clone)]
pub struct Builder {
    actor: Actor,
    command: Command,
}

impl Builder {
    /// A builder for `command` on `actor`.
    pub fn new(actor: Actor, command: Command) -> Builder {
        Builder { actor, command }
    }

    /// Sets `--name=value`.
    pub fn flag(mut self, name: &str, value: impl crate::types::ToArg) -> Builder {
        self.command = self.command.flag(name, value);
        self
    }

    /// Appends positional words (sent after `--`, so none is read as a flag).
    pub fn positionals<I, T>(mut self, values: I) -> Builder
    where
        I: IntoIterator<Item = T>,
        T: crate::types::ToArg,
    {
        for v in values {
            self.command = self.command.positional(v);
        }
        self
    }

    /// The command line as it will be sent (before quoting).
    pub fn command(&self) -> &Command {
        &self.command
    }

    /// The actor the command runs on.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    fn into_parts(self) -> (Actor, Command) {
        (self.actor, self.command)
    }
}

/// One command of the spec, as the generated builder describes it to the runtime.
pub trait CommandSpec: Sized + Send + 'static {
    /// The typed result of the command's setup.
    type Result: FromOutput;
    /// What awaiting the builder returns: [`Self::Result`], or the open handle for
    /// long-running commands.
    type Output: Send + 'static;
    /// The open call, as `send()` returns it.
    type Handle: From<TypedCall<Self>> + Send + 'static;
    /// The command's path (`host listen`).
    const PATH: &'static str;
    /// Long-running: the call stays open after setup until cancelled (and is cancelled when
    /// its last handle is dropped).
    const LONG_RUNNING: bool;
    /// The builder's command so far.
    fn builder(&self) -> &Builder;
    /// The builder's command.
    fn into_builder(self) -> Builder;
    /// What awaiting returns, from the open handle and the setup output.
    fn complete(handle: TypedCall<Self>, setup: Output) -> Result<Self::Output>;

    /// The command line as it will be sent (before quoting).
    fn command(&self) -> &Command {
        self.builder().command()
    }
}

/// A command whose call offers steps (Rumor's `next`).
pub trait Steppable: CommandSpec {
    /// What one step logs, typed.
    type Step: FromOutput;
}

/// An open call of command `C`: its typed result, steps (for [`Steppable`] commands), cancel
/// and completion. Cheap to clone; dropping the last handle of a long-running call cancels it.
pub struct TypedCall<C> {
    call: Call,
    _command: PhantomData<fn() -> C>,
}

impl<C> Clone for TypedCall<C> {
    fn clone(&self) -> Self {
        TypedCall { call: self.call.clone(), _command: PhantomData }
    }
}

impl<C: CommandSpec> std::fmt::Debug for TypedCall<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TypedCall").field("command", &C::PATH).field("id", &self.call.id()).finish()
    }
}

impl<C> TypedCall<C> {
    /// Types an untyped call (the caller vouches it runs command `C`).
    pub fn new(call: Call) -> TypedCall<C> {
        TypedCall { call, _command: PhantomData }
    }

    /// The untyped call: every entry, any key.
    pub fn call(&self) -> &Call {
        &self.call
    }

    /// Stops the call (Rumor's `cancel`) and waits until Rumor freed it.
    ///
    /// # Cancel safety
    ///
    /// As [`Call::cancel`]: the cancel is on its way once the future was polled.
    pub async fn cancel(&self) -> Result<()> {
        self.call.cancel().await
    }

    /// Waits until Rumor frees the call.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    pub async fn finished(&self) -> Result<()> {
        self.call.finished().await
    }

    /// True once Rumor freed the call.
    pub fn is_finished(&self) -> bool {
        self.call.is_finished()
    }

    /// Every entry of the call, from its start: a `Stream`.
    pub fn entries(&self) -> Entries {
        self.call.entries()
    }

    /// Every value of `key` the call logs, typed: a `Stream`.
    pub fn values<T: FromField>(&self, key: &str) -> Values<T> {
        self.call.stream(key).values()
    }
}

impl<C: CommandSpec> TypedCall<C> {
    /// Waits for setup and returns its typed result (or Rumor's error).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    pub async fn result(&self) -> Result<C::Result> {
        C::Result::from_output(&self.call.setup().await?)
    }
}

impl<C: Steppable> TypedCall<C> {
    /// Takes one step (Rumor's `next`) and returns what it logged, typed. `timeout` bounds the
    /// wait inside Rumor (default: the connection's step limit). See [`Call::step`].
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`Call::step`]: a dropped step is not sent, or its result is discarded;
    /// later steps get their own results.
    pub async fn step(&self, timeout: Option<Duration>) -> Result<C::Step> {
        C::Step::from_output(&self.call.step(timeout).await?)
    }

    /// The former name of [`TypedCall::step`].
    ///
    /// # Cancel safety
    ///
    /// As [`TypedCall::step`].
    #[deprecated(note = "renamed to `step` (it is not `StreamExt::next`)")]
    pub async fn next(&self, timeout: Option<Duration>) -> Result<C::Step> {
        self.step(timeout).await
    }
}

impl<C> From<TypedCall<C>> for Call {
    fn from(t: TypedCall<C>) -> Call {
        t.call
    }
}

enum State<C> {
    Start(C),
    Ready(Actor, Command, Room),
    Sent(Call),
    Done,
}

/// Sends a command and registers its call: the one place where a typed call starts.
fn poll_send<C: CommandSpec>(state: &mut State<C>, cx: &mut Context<'_>) -> Poll<Result<Call>> {
    loop {
        match std::mem::replace(state, State::Done) {
            State::Start(spec) => {
                let (actor, command) = spec.into_builder().into_parts();
                if let Err(e) = command.check() {
                    return Poll::Ready(Err(e));
                }
                *state = State::Ready(actor, command, Room::default());
            }
            State::Ready(actor, command, mut room) => {
                if let Poll::Ready(r) = actor.poll_room(&mut room, cx) {
                    return Poll::Ready(r.and_then(|()| actor.open(&command, cx)));
                }
                *state = State::Ready(actor, command, room);
                return Poll::Pending;
            }
            State::Sent(call) => return Poll::Ready(Ok(call)),
            State::Done => panic!("a pyrum call future was polled after it completed"),
        }
    }
}

/// What awaiting a generated builder runs: sends the command, waits for its setup, and
/// returns [`CommandSpec::Output`].
///
/// # Cancel safety
///
/// Dropped before the line was queued, nothing reaches Rumor. Dropped later, the call's handle
/// goes with it: a long-running command is cancelled inside Rumor (as soon as Rumor registered
/// it), others end on their own.
#[must_use = "futures do nothing unless awaited"]
pub struct CallFuture<C: CommandSpec> {
    state: State<C>,
}

impl<C: CommandSpec> CallFuture<C> {
    /// The future for a builder.
    pub fn new(spec: C) -> CallFuture<C> {
        CallFuture { state: State::Start(spec) }
    }
}

impl<C: CommandSpec> Unpin for CallFuture<C> {}

impl<C: CommandSpec> Future for CallFuture<C> {
    type Output = Result<C::Output>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        if !matches!(this.state, State::Sent(_)) {
            match poll_send(&mut this.state, cx) {
                Poll::Ready(Ok(call)) => this.state = State::Sent(call),
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending => return Poll::Pending,
            }
        }
        let State::Sent(call) = &this.state else { unreachable!("sent above") };
        let setup = match call.poll_setup(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        let State::Sent(call) = std::mem::replace(&mut this.state, State::Done) else {
            unreachable!("sent above")
        };
        Poll::Ready(setup.and_then(|out| C::complete(TypedCall::new(call), out)))
    }
}

/// What a generated builder's `send()` returns: sends the command and returns its open handle
/// without waiting for setup.
///
/// # Cancel safety
///
/// Dropped before the line was queued, nothing reaches Rumor; the future completes as soon as
/// it is, so there is no later point to drop it at.
#[must_use = "futures do nothing unless awaited"]
pub struct SendFuture<C: CommandSpec> {
    state: State<C>,
}

impl<C: CommandSpec> SendFuture<C> {
    /// The future for a builder.
    pub fn new(spec: C) -> SendFuture<C> {
        SendFuture { state: State::Start(spec) }
    }
}

impl<C: CommandSpec> Unpin for SendFuture<C> {}

impl<C: CommandSpec> Future for SendFuture<C> {
    type Output = Result<C::Handle>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        poll_send(&mut self.get_mut().state, cx)
            .map(|r| r.map(|call| C::Handle::from(TypedCall::new(call))))
    }
}
