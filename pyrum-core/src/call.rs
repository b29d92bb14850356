//! One call: the handle users hold, what it logged, and its entries as streams.

use std::future::{poll_fn, Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;

use futures_util::Stream;
use serde_json::Value;

use crate::conn::Conn;
use crate::entry::Entry;
use crate::error::Result;
use crate::transport::within;
use crate::types::output::read_field;
use crate::types::FromField;
pub use crate::types::Output;

/// A call in flight: await its setup, read its entries, step it, cancel it.
///
/// Awaiting a `Call` (or [`Call::setup`]) waits for Rumor's `__success` (Ok with the
/// [`Output`] logged so far) or `__error` (an [`Error::Command`](crate::Error::Command) with Rumor's message).
/// Long-running calls stay open after that until [`Call::cancel`]; a call made with
/// [`Command::cancel_on_drop`](crate::Command::cancel_on_drop) (the typed bindings set it for
/// long-running commands) is cancelled when its last handle is dropped.
///
/// # Drop and cancel
///
/// - Dropping the last handle of a `cancel_on_drop` call cancels it inside Rumor, at any point
///   of its life: if Rumor has not registered the call yet, the cancel waits for that (an
///   earlier cancel would find nothing to cancel), and it never waits for room in a queue.
/// - [`Call::cancel`] is idempotent and succeeds once Rumor freed the call, also when the call
///   ended by itself first.
/// - Every wait has a deadline: the connection's defaults ([`RumorBuilder`](crate::RumorBuilder)),
///   or the one passed to the method.
///
/// ```no_run
/// # async fn demo(rumor: pyrum_core::Rumor) -> pyrum_core::Result<()> {
/// use futures_util::StreamExt;
/// use pyrum_core::Command;
/// let alice = rumor.actor("alice")?;
/// let notify = alice.call(Command::new(["host", "notify"]).positional("all").cancel_on_drop(true)).await?;
/// notify.setup().await?;
/// let mut events = notify.entries();
/// if let Some(event) = events.next().await {
///     println!("{:?}", event?.fields);
/// }
/// notify.cancel().await?;
/// # Ok(()) }
/// ```
pub struct Call {
    pub(crate) conn: Arc<Conn>,
    pub(crate) n: u64,
    pub(crate) actor: Arc<str>,
    id: OnceLock<Box<str>>,
}

impl Call {
    /// A handle for call number `n` that the router already counts.
    pub(crate) fn adopt(conn: Arc<Conn>, n: u64, actor: Arc<str>) -> Call {
        Call { conn, n, actor, id: OnceLock::new() }
    }
}

impl Clone for Call {
    fn clone(&self) -> Self {
        self.conn.with_router(|r| r.add_handle(self.n));
        Call::adopt(self.conn.clone(), self.n, self.actor.clone())
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.conn.with_router(|r| r.drop_handle(self.n));
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call").field("id", &self.id()).field("call", &self.display()).finish()
    }
}

impl Call {
    /// The call id Rumor knows this call by.
    pub fn id(&self) -> &str {
        self.id.get_or_init(|| format!("{}{}", self.conn.prefix, self.n).into_boxed_str())
    }

    /// The call as sent, without quoting (`alice: host view`), shortened if long.
    pub fn display(&self) -> String {
        self.conn.with_router(|r| r.display(self.n))
    }

    /// The name of the actor this call runs on.
    pub fn actor_name(&self) -> &str {
        &self.actor
    }

    /// Waits for setup: Ok with everything logged before `__success`, or the command's error.
    /// The connection's setup limit applies ([`Error::Timeout`](crate::Error::Timeout)).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: dropping the future only stops waiting; the call goes on (see the type's
    /// docs for what dropping the last handle does).
    pub async fn setup(&self) -> Result<Output> {
        poll_fn(|cx| self.poll_setup(cx)).await
    }

    pub(crate) fn poll_setup(&self, cx: &Context<'_>) -> Poll<Result<Output>> {
        self.conn.with_router(|r| r.poll_setup(self.n, cx))
    }

    /// The latest value of `key` logged by this call so far (as far as its buffer reaches).
    pub fn latest(&self, key: &str) -> Option<Value> {
        self.conn.with_router(|r| r.latest(self.n, key))
    }

    /// Every entry of this call from its start (as far as the per-call buffer reaches), then new
    /// ones as they come, until the call is freed. A [`Stream`].
    pub fn entries(&self) -> Entries {
        Entries {
            cursor: self.conn.with_router(|r| r.first_seq(self.n)),
            call: self.clone(),
            key: None,
            ended: false,
        }
    }

    /// Every entry of this call that has `key`, in order: `call.stream("req_id")`.
    pub fn stream(&self, key: impl Into<String>) -> Entries {
        Entries { key: Some(key.into()), ..self.entries() }
    }

    /// Takes one step (Rumor's `next`): waits until the call offers a step and Rumor has run
    /// it, then returns what the step logged. `timeout` bounds the wait inside Rumor (default:
    /// the connection's step limit); the client gives up a few seconds after it.
    ///
    /// A step that ran but whose own work failed (an rpc chunk with a non-zero result code, for
    /// one) is still Ok, with what it logged and Rumor's message in [`Output::error`]. Errors are
    /// for steps that never ran (timeout, no remaining steps, call over).
    ///
    /// Steps of one call go to Rumor one at a time, in the order `step` was called; each is
    /// sent as `{ '_id' 'next' 'T'; 'echo' '<token>'"$?"; } &`, where the token carries the
    /// connection's secret, the call and the step's sequence number.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a step future dropped before its `next` was sent is never sent; one dropped
    /// after has its result thrown away (Rumor may have taken a step for it; that step's entries
    /// stay visible in [`Call::entries`]). Later steps still get their own results.
    pub async fn step(&self, timeout: Option<Duration>) -> Result<Output> {
        let limit = timeout.unwrap_or(self.conn.config.step_timeout);
        let seq = self.conn.with_router(|r| r.start_step(self.n, limit))?;
        let pending = StepWait { call: self, seq };
        let grace = limit + self.conn.config.step_grace;
        within(grace, || format!("step of `{}`", self.display()), pending).await
    }

    /// The former name of [`Call::step`].
    ///
    /// # Cancel safety
    ///
    /// As [`Call::step`].
    #[deprecated(note = "renamed to `step` (it is not `StreamExt::next`)")]
    pub async fn next(&self, timeout: Option<Duration>) -> Result<Output> {
        self.step(timeout).await
    }

    /// Stops the call (Rumor's `cancel`) and waits until Rumor has freed it. Ok if it already
    /// ended. A call Rumor has not registered yet is cancelled as soon as it is.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: the cancel is sent (or held until Rumor registered the call) when the
    /// method is first polled, whether or not the future is then awaited to the end.
    pub async fn cancel(&self) -> Result<()> {
        self.cancel_within(self.conn.config.cancel_timeout).await
    }

    /// [`Call::cancel`] with its own deadline for Rumor to free the call.
    ///
    /// # Cancel safety
    ///
    /// As [`Call::cancel`].
    pub async fn cancel_within(&self, limit: Duration) -> Result<()> {
        self.conn.with_router(|r| r.request_cancel(self.n));
        let wait = poll_fn(|cx| self.conn.with_router(|r| r.poll_cancel(self.n, cx)));
        within(limit, || format!("cancel of `{}` (Rumor did not free it)", self.display()), wait)
            .await
    }

    /// Waits until Rumor frees the call (`__freed`): its work is over. The connection's finish
    /// limit applies.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    pub async fn finished(&self) -> Result<()> {
        self.finished_within(self.conn.config.finish_timeout).await
    }

    /// [`Call::finished`] with its own deadline.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: it only waits.
    pub async fn finished_within(&self, limit: Duration) -> Result<()> {
        let wait = poll_fn(|cx| self.conn.with_router(|r| r.poll_finished(self.n, cx)));
        within(limit, || format!("end of `{}`", self.display()), wait).await
    }

    /// True once Rumor has freed the call (or the connection is gone, or it was given up).
    pub fn is_finished(&self) -> bool {
        self.conn.with_router(|r| r.is_finished(self.n))
    }

    /// Lets the call run on when its last handle is dropped (no cancel on drop), and marks it
    /// detached in [`Rumor::open_calls`](crate::Rumor::open_calls): it was left running on
    /// purpose, so a leak check (`#[pyrum::test]`'s teardown) does not report it.
    pub fn detach(&self) {
        self.conn.with_router(|r| r.detach(self.n));
    }
}

/// A call the client made and Rumor has not freed yet: see [`Rumor::open_calls`](crate::Rumor::open_calls).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OpenCall {
    pub(crate) n: u64,
    /// The call id Rumor knows it by.
    pub id: String,
    /// The call as sent, without quoting (`alice: host notify all`), shortened if long.
    pub call: String,
    /// [`Call::detach`] was called on it.
    pub detached: bool,
    /// A cancel was asked for (by [`Call::cancel`], or by dropping the last handle of a
    /// `cancel_on_drop` call) and Rumor has not freed the call yet.
    pub cancelling: bool,
}

impl OpenCall {
    /// The name of the actor the call runs on.
    pub fn actor(&self) -> &str {
        self.call.split(':').next().unwrap_or_default()
    }
}

/// Waits for one step's result; dropping it gives the step up.
struct StepWait<'a> {
    call: &'a Call,
    seq: u64,
}

impl Future for StepWait<'_> {
    type Output = Result<Output>;
    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<Output>> {
        let (n, seq) = (self.call.n, self.seq);
        let r = self.call.conn.with_router(|r| r.poll_step(n, seq, cx));
        if r.is_ready() {
            // Done: nothing to give up any more.
            self.get_mut().seq = u64::MAX;
        }
        r
    }
}

impl Drop for StepWait<'_> {
    fn drop(&mut self) {
        if self.seq != u64::MAX {
            let (n, seq) = (self.call.n, self.seq);
            self.call.conn.with_router(|r| r.abandon_step(n, seq));
        }
    }
}

impl IntoFuture for Call {
    type Output = Result<Output>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Output>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.setup().await })
    }
}

/// A stream of one call's entries (or of the entries with one key), each stream with its own
/// cursor. Implements [`Stream`], so `StreamExt` combinators (`take`, `timeout`, `filter`)
/// work on it.
///
/// The call keeps its last `call_buffer` entries; a stream that falls further behind gets one
/// [`Error::Lagged`](crate::Error::Lagged) with the number it lost, then goes on from the oldest kept entry. Other
/// streams and calls are not affected. When the connection ends, the stream yields its
/// [`Error::Disconnected`](crate::Error::Disconnected) once, then ends.
pub struct Entries {
    call: Call,
    cursor: u64,
    key: Option<String>,
    ended: bool,
}

impl std::fmt::Debug for Entries {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Entries").field("call", &self.call.id()).field("key", &self.key).finish()
    }
}

impl Stream for Entries {
    type Item = Result<Arc<Entry>>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        let Entries { call, cursor, key, ended } = this;
        call.conn.with_router(|r| r.poll_entry(call.n, cursor, key.as_deref(), ended, cx))
    }
}

impl Entries {
    /// The next entry; `None` once the call is freed and everything was read. The same as
    /// `StreamExt::next`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: an entry is only taken when the future completes.
    pub async fn next(&mut self) -> Option<Result<Arc<Entry>>> {
        poll_fn(|cx| Pin::new(&mut *self).poll_next(cx)).await
    }

    /// The next value of the stream's key, read into `T`; `None` at the end, or for a stream
    /// made with [`Call::entries`] (it has no key).
    ///
    /// # Cancel safety
    ///
    /// Cancel safe, as [`Entries::next`].
    pub async fn next_value<T: FromField>(&mut self) -> Option<Result<T>> {
        poll_fn(|cx| self.poll_value(cx)).await
    }

    fn poll_value<T: FromField>(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        let Some(key) = self.key.clone() else {
            return Poll::Ready(None);
        };
        let polled = Pin::new(&mut *self).poll_next(cx);
        let read = |e: Arc<Entry>| {
            read_field(self.call.actor_name(), &key, e.fields.get(&key).unwrap_or(&Value::Null))
        };
        polled.map(|item| item.map(|r| r.and_then(read)))
    }

    /// This stream as typed values of its key.
    pub fn values<T: FromField>(self) -> Values<T> {
        Values { entries: self, _type: std::marker::PhantomData }
    }
}

/// The values of one key of a call, typed: what the generated `stream_<key>()` methods return.
/// Implements [`Stream`].
pub struct Values<T> {
    entries: Entries,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T> std::fmt::Debug for Values<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.entries.fmt(f)
    }
}

impl<T: FromField> Stream for Values<T> {
    type Item = Result<T>;
    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<T>>> {
        self.get_mut().entries.poll_value(cx)
    }
}

impl<T: FromField> Values<T> {
    /// The next value; `None` once the call is freed and everything was read. The same as
    /// `StreamExt::next`.
    ///
    /// # Cancel safety
    ///
    /// Cancel safe: a value is only taken when the future completes.
    pub async fn next(&mut self) -> Option<Result<T>> {
        self.entries.next_value().await
    }
}
