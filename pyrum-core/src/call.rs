//! One call: its state as the reader task sees it, and the handle users hold.

use std::collections::VecDeque;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use tokio::sync::{oneshot, Notify};

use crate::client::Client;
use crate::entry::{Entry, Marker};
use crate::error::{Error, Result};
use crate::types::FromField;

/// What a call logged up to a point: the latest value of each key, and the entries.
#[derive(Debug, Clone, Default)]
pub struct Output {
    /// The latest value of each key, merged over the entries.
    pub fields: Map<String, Value>,
    /// The entries, in order (markers excluded).
    pub entries: Vec<Arc<Entry>>,
    /// For a step that ran but whose own work failed (e.g. an rpc chunk with a non-zero result
    /// code): Rumor's message. `None` for setup output and for steps that succeeded.
    pub error: Option<String>,
}

impl Output {
    /// Every value of `key`, in order.
    pub fn all(&self, key: &str) -> Vec<&Value> {
        self.entries
            .iter()
            .filter_map(|e| e.fields.get(key))
            .collect()
    }

    /// The fields, read into a type (a generated result struct, usually).
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        serde_json::from_value(Value::Object(self.fields.clone())).map_err(|e| {
            Error::Protocol(format!(
                "unexpected result fields ({e}): {}",
                Value::Object(self.fields.clone())
            ))
        })
    }

    /// A field every run logs, read into `T`; a missing or malformed one is
    /// [`Error::Protocol`] naming `call` and the key.
    pub fn required<T: FromField>(&self, call: &str, key: &str) -> Result<T> {
        match self.fields.get(key) {
            Some(v) => read_field(call, key, v),
            None => Err(Error::Protocol(format!(
                "`{call}` did not log `{key}` (logged: {})",
                self.fields.keys().cloned().collect::<Vec<_>>().join(", ")
            ))),
        }
    }

    /// A field some runs log (`null` counts as absent).
    pub fn optional<T: FromField>(&self, call: &str, key: &str) -> Result<Option<T>> {
        match self.fields.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => read_field(call, key, v).map(Some),
        }
    }

    /// Every value of a field logged in several entries, in order.
    pub fn repeated<T: FromField>(&self, call: &str, key: &str) -> Result<Vec<T>> {
        self.all(key)
            .into_iter()
            .map(|v| read_field(call, key, v))
            .collect()
    }

    /// The fields not in `known`: what a newer Rumor logs that the spec does not name.
    pub fn extra(&self, known: &[&str]) -> Map<String, Value> {
        self.fields
            .iter()
            .filter(|(k, _)| !known.contains(&k.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    /// Merges the entry's fields; keeps the entry itself only while fewer than `max` are kept.
    fn push_bounded(&mut self, entry: Arc<Entry>, max: usize) {
        for (k, v) in &entry.fields {
            self.fields.insert(k.clone(), v.clone());
        }
        if self.entries.len() < max {
            self.entries.push(entry);
        }
    }
}

fn step_ran_then_failed(message: &str) -> bool {
    message.contains("step failed: ") && !message.contains("step failed: step request stopped")
}

fn read_field<T: FromField>(call: &str, key: &str, value: &Value) -> Result<T> {
    T::from_field(value).map_err(|e| {
        Error::Protocol(format!(
            "`{call}` logged `{key}` in an unexpected form: {e}"
        ))
    })
}

#[derive(Debug, Clone)]
enum Phase {
    Pending,
    Ready,
    Failed(Error),
}

struct StepWaiter {
    tx: oneshot::Sender<Result<Output>>,
}

/// The router's view of one call; shared between the reader task and the handles.
pub(crate) struct CallState {
    pub(crate) id: String,
    pub(crate) display: String,
    /// `rumor_call{call_id, call}`: the life-cycle events of this call are logged inside it.
    pub(crate) span: tracing::Span,
    capacity: usize,
    inner: Mutex<Inner>,
    notify: Notify,
}

struct Inner {
    phase: Phase,
    setup: Output,
    step: Output,
    buffer: VecDeque<Arc<Entry>>,
    /// Sequence number of `buffer[0]`.
    base_seq: u64,
    step_waiters: VecDeque<StepWaiter>,
    /// Steps that ran (`__step` seen) whose `next` has not reported its status yet.
    ran_steps: VecDeque<Output>,
    /// Errors of `next` statements, in order, until their status arrives.
    step_failures: VecDeque<String>,
    cancel_waiters: Vec<oneshot::Sender<Result<()>>>,
    freed: bool,
    closed: Option<Error>,
}

impl CallState {
    pub(crate) fn new(id: String, display: String, capacity: usize) -> CallState {
        // (`display` would name tracing's own function inside the macro.)
        let shown: &str = &display;
        let span = tracing::debug_span!(target: "pyrum::call", "rumor_call", call_id = id.as_str(), call = shown);
        CallState {
            span,
            id,
            display,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                phase: Phase::Pending,
                setup: Output::default(),
                step: Output::default(),
                buffer: VecDeque::new(),
                base_seq: 0,
                step_waiters: VecDeque::new(),
                ran_steps: VecDeque::new(),
                step_failures: VecDeque::new(),
                cancel_waiters: Vec::new(),
                freed: false,
                closed: None,
            }),
            notify: Notify::new(),
        }
    }

    fn command_error(&self, message: String) -> Error {
        Error::Command {
            call: self.display.clone(),
            message,
        }
    }

    /// Handles one entry of this call. Returns true when the call is finished (freed).
    pub(crate) fn on_entry(&self, entry: Entry) -> bool {
        let _span = self.span.enter();
        match &entry.marker {
            Some(Marker::Success) => tracing::debug!(target: "pyrum::call", "setup succeeded"),
            Some(Marker::Error(m)) => tracing::debug!(target: "pyrum::call", "setup failed: {m}"),
            Some(Marker::Step) => tracing::trace!(target: "pyrum::call", "step ran"),
            Some(Marker::Freed) => tracing::debug!(target: "pyrum::call", "freed"),
            None => {
                tracing::trace!(target: "pyrum::call", fields = entry.fields.len(), "{}", entry.msg)
            }
        }
        let mut inner = self.inner.lock().unwrap();
        let freed = match &entry.marker {
            None => {
                let entry = Arc::new(entry);
                // Setup and step outputs keep at most `capacity` entries each (the fields still
                // take the latest values): a long-running call that is never stepped must not
                // collect its whole background output here.
                let capacity = self.capacity;
                if matches!(inner.phase, Phase::Pending) {
                    inner.setup.push_bounded(entry.clone(), capacity);
                } else {
                    inner.step.push_bounded(entry.clone(), capacity);
                }
                if inner.buffer.len() == self.capacity {
                    inner.buffer.pop_front();
                    inner.base_seq += 1;
                }
                inner.buffer.push_back(entry);
                false
            }
            Some(Marker::Success) => {
                if matches!(inner.phase, Phase::Pending) {
                    inner.phase = Phase::Ready;
                }
                inner.step = Output::default();
                false
            }
            Some(Marker::Error(message)) => {
                if matches!(inner.phase, Phase::Pending) {
                    inner.phase = Phase::Failed(self.command_error(message.clone()));
                }
                false
            }
            Some(Marker::Step) => {
                // The step ran; its `next` reports success or the step's error afterwards.
                let step = std::mem::take(&mut inner.step);
                inner.ran_steps.push_back(step);
                false
            }
            Some(Marker::Freed) => {
                self.finish(&mut inner, None);
                true
            }
        };
        drop(inner);
        self.notify.notify_waiters();
        freed
    }

    /// A session `failed` entry that names this call: of the call itself, or of a `next` or
    /// `cancel` sent for it. Returns true when the call is finished.
    pub(crate) fn on_failed(&self, control: Option<&str>, message: String) -> bool {
        let _span = self.span.enter();
        tracing::debug!(target: "pyrum::call", control, "failed: {message}");
        let mut inner = self.inner.lock().unwrap();
        let mut finished = false;
        match control {
            Some("next") => inner.step_failures.push_back(message),
            Some("cancel") => {
                for w in inner.cancel_waiters.drain(..) {
                    let _ = w.send(Err(Error::Command {
                        call: format!("{} (cancel)", self.display),
                        message: message.clone(),
                    }));
                }
            }
            _ => {
                // A call that failed before it ever got a marker (Rumor could not even build the
                // command) gets no __error and no __freed: this entry is all there is.
                if matches!(inner.phase, Phase::Pending) {
                    inner.phase = Phase::Failed(self.command_error(message));
                    self.finish(&mut inner, None);
                    finished = true;
                }
            }
        }
        drop(inner);
        self.notify.notify_waiters();
        finished
    }

    /// A `next` of this call finished with exit `status` (the echo that follows each `next`).
    pub(crate) fn on_step_done(&self, status: i64) {
        let _span = self.span.enter();
        tracing::trace!(target: "pyrum::call", status, "next ended");
        let mut inner = self.inner.lock().unwrap();
        let failure = if status == 0 {
            None
        } else {
            inner.step_failures.pop_front()
        };
        let result = match failure {
            None if status == 0 => Ok(inner.ran_steps.pop_front().unwrap_or_default()),
            // `step failed: X` (X other than `step request stopped`): the step ran and logged
            // `__step`, then its own work failed. Its output is kept, with the message.
            Some(message) if step_ran_then_failed(&message) => {
                let mut out = inner.ran_steps.pop_front().unwrap_or_default();
                out.error = Some(message);
                Ok(out)
            }
            Some(message) => Err(Error::Command {
                call: format!("{} (next)", self.display),
                message,
            }),
            None => Err(Error::Command {
                call: format!("{} (next)", self.display),
                message: format!("next ended with status {status}"),
            }),
        };
        if let Some(w) = inner.step_waiters.pop_front() {
            let _ = w.tx.send(result);
        }
    }

    /// The connection is gone: every waiter of this call gets `err`.
    pub(crate) fn on_disconnect(&self, err: &Error) {
        let mut inner = self.inner.lock().unwrap();
        self.finish(&mut inner, Some(err.clone()));
        drop(inner);
        self.notify.notify_waiters();
    }

    fn finish(&self, inner: &mut Inner, closed: Option<Error>) {
        if inner.freed {
            return;
        }
        inner.freed = true;
        if matches!(inner.phase, Phase::Pending) {
            inner.phase = Phase::Failed(closed.clone().unwrap_or_else(|| {
                self.command_error("the call ended before its setup finished".into())
            }));
        }
        while let Some(w) = inner.step_waiters.pop_front() {
            // A step that ran before the end still gives its output.
            let result = match inner.ran_steps.pop_front() {
                Some(out) if closed.is_none() => Ok(out),
                _ => Err(closed.clone().unwrap_or_else(|| {
                    self.command_error("the call ended: no remaining steps".into())
                })),
            };
            let _ = w.tx.send(result);
        }
        for w in inner.cancel_waiters.drain(..) {
            let _ = w.send(match &closed {
                Some(e) => Err(e.clone()),
                None => Ok(()),
            });
        }
        inner.closed = closed;
    }

    async fn wait_for<T>(&self, mut check: impl FnMut(&mut Inner) -> Option<T>) -> T {
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(v) = check(&mut self.inner.lock().unwrap()) {
                return v;
            }
            notified.await;
        }
    }
}

/// A call in flight: await its setup, read its entries, step it, cancel it.
///
/// Awaiting a `Call` (or [`Call::setup`]) waits for Rumor's `__success` (Ok with the
/// [`Output`] logged so far) or `__error` (an [`Error::Command`] with Rumor's message).
/// Long-running calls stay open after that until [`Call::cancel`]; a call created with
/// `cancel_on_drop` (the typed bindings set it for long-running commands) is cancelled when the
/// last handle is dropped.
///
/// ```no_run
/// # async fn demo(rumor: pyrum_core::Rumor) -> pyrum_core::Result<()> {
/// use pyrum_core::Command;
/// let alice = rumor.actor("alice")?;
/// let notify = alice.call(Command::new(["host", "notify", "all"]).cancel_on_drop(true)).await?;
/// notify.setup().await?;
/// let mut events = notify.entries();
/// if let Some(event) = events.next().await {
///     println!("{:?}", event?.fields);
/// }
/// notify.cancel().await?;
/// # Ok(()) }
/// ```
pub struct Call {
    pub(crate) state: Arc<CallState>,
    pub(crate) client: Arc<Client>,
    pub(crate) guard: Arc<DropGuard>,
    pub(crate) actor: Arc<str>,
}

impl Clone for Call {
    fn clone(&self) -> Self {
        Call {
            state: self.state.clone(),
            client: self.client.clone(),
            guard: self.guard.clone(),
            actor: self.actor.clone(),
        }
    }
}

/// Cancels a still-open call when the last handle goes, if asked to.
pub(crate) struct DropGuard {
    pub(crate) state: Arc<CallState>,
    pub(crate) client: Arc<Client>,
    pub(crate) cancel_on_drop: bool,
}

impl Drop for DropGuard {
    fn drop(&mut self) {
        if self.cancel_on_drop && !self.state.inner.lock().unwrap().freed {
            self.client
                .send_detached(self.client.control_line(&self.state.id, "cancel", None));
        }
    }
}

impl std::fmt::Debug for Call {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Call")
            .field("id", &self.state.id)
            .field("call", &self.state.display)
            .finish()
    }
}

impl Call {
    /// The call id Rumor knows this call by.
    pub fn id(&self) -> &str {
        &self.state.id
    }

    /// The actor this call runs on (for follow-up commands, e.g. answering a request).
    ///
    /// ```no_run
    /// # async fn demo(call: pyrum_core::Call) -> pyrum_core::Result<()> {
    /// let alice = call.actor();
    /// alice.call(pyrum_core::Command::new(["host", "view"])).await?.setup().await?;
    /// # Ok(()) }
    /// ```
    pub fn actor(&self) -> crate::Actor {
        crate::Actor {
            rumor: crate::Rumor {
                client: self.client.clone(),
            },
            name: self.actor.clone(),
        }
    }

    /// Waits for setup: Ok with everything logged before `__success`, or the command's error.
    pub async fn setup(&self) -> Result<Output> {
        let timeout = self.client.config.setup_timeout;
        let wait = self.state.wait_for(|inner| match &inner.phase {
            Phase::Pending => None,
            Phase::Ready => Some(Ok(inner.setup.clone())),
            Phase::Failed(e) => Some(Err(e.clone())),
        });
        match timeout {
            Some(t) => tokio::time::timeout(t, wait)
                .await
                .map_err(|_| Error::Timeout {
                    what: format!("setup of `{}`", self.state.display),
                    after: t,
                })?,
            None => wait.await,
        }
    }

    /// The latest value of `key` logged by this call so far (setup and later entries).
    pub fn latest(&self, key: &str) -> Option<Value> {
        let inner = self.state.inner.lock().unwrap();
        inner
            .buffer
            .iter()
            .rev()
            .find_map(|e| e.fields.get(key).cloned())
            .or_else(|| inner.setup.fields.get(key).cloned())
    }

    /// Every entry of this call from its start (as far as the per-call buffer reaches), then new
    /// ones as they come, until the call is freed.
    pub fn entries(&self) -> Entries {
        Entries {
            state: self.state.clone(),
            cursor: self.state.inner.lock().unwrap().base_seq,
            key: None,
            ended: false,
            _guard: self.guard.clone(),
        }
    }

    /// Every value of one key, in order: `call.stream("req_id")`.
    pub fn stream(&self, key: impl Into<String>) -> Entries {
        Entries {
            key: Some(key.into()),
            ..self.entries()
        }
    }

    /// Takes one step (`next`): waits until the call offers a step and Rumor has run it, then
    /// returns what the step logged. `timeout` bounds the wait inside Rumor.
    ///
    /// A step that ran but whose own work failed (an rpc chunk with a non-zero result code, for
    /// one) is still Ok, with what it logged and Rumor's message in [`Output::error`]. Errors are
    /// for steps that never ran (timeout, no remaining steps, call over).
    ///
    /// Each `next` is sent as `{ '_id' 'next'; 'echo' 'pyrum-step:<id>:'"$?"; } &`, so the client
    /// learns when that `next` is over and with which status.
    pub async fn next(&self, timeout: Option<Duration>) -> Result<Output> {
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = self.state.inner.lock().unwrap();
            if let Some(e) = &inner.closed {
                return Err(e.clone());
            }
            if inner.freed {
                return Err(self
                    .state
                    .command_error("the call has ended: no remaining steps".into()));
            }
            inner.step_waiters.push_back(StepWaiter { tx });
        }
        self.client
            .send_line(self.client.next_line(&self.state.id, timeout))
            .await?;
        rx.await
            .unwrap_or_else(|_| Err(self.client.disconnect_error()))
    }

    /// Stops the call (`cancel`) and waits until Rumor has freed it. Ok if it already ended.
    pub async fn cancel(&self) -> Result<()> {
        let (tx, rx) = oneshot::channel();
        {
            let mut inner = self.state.inner.lock().unwrap();
            if inner.freed {
                return match &inner.closed {
                    Some(e) => Err(e.clone()),
                    None => Ok(()),
                };
            }
            inner.cancel_waiters.push(tx);
        }
        self.client
            .send_line(self.client.control_line(&self.state.id, "cancel", None))
            .await?;
        rx.await
            .unwrap_or_else(|_| Err(self.client.disconnect_error()))
    }

    /// Waits until Rumor frees the call (`__freed`): its work is over.
    pub async fn finished(&self) -> Result<()> {
        self.state
            .wait_for(|inner| {
                inner.freed.then(|| match &inner.closed {
                    Some(e) => Err(e.clone()),
                    None => Ok(()),
                })
            })
            .await
    }

    /// True once Rumor has freed the call (or the connection is gone).
    pub fn is_finished(&self) -> bool {
        self.state.inner.lock().unwrap().freed
    }
}

impl IntoFuture for Call {
    type Output = Result<Output>;
    type IntoFuture = Pin<Box<dyn Future<Output = Result<Output>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(async move { self.setup().await })
    }
}

/// A stream of one call's entries (or of one key's values), each stream with its own cursor.
///
/// The call keeps its last `call_buffer` entries; a stream that falls further behind gets one
/// [`Error::Lagged`] with the number it lost, then goes on from the oldest kept entry. Other
/// streams and calls are not affected.
pub struct Entries {
    state: Arc<CallState>,
    cursor: u64,
    key: Option<String>,
    ended: bool,
    _guard: Arc<DropGuard>,
}

impl Entries {
    /// The next entry; `None` once the call is freed and everything was read.
    pub async fn next(&mut self) -> Option<Result<Arc<Entry>>> {
        let capacity = self.state.capacity;
        let key = self.key.clone();
        let cursor = &mut self.cursor;
        let ended = &mut self.ended;
        self.state
            .wait_for(|inner| loop {
                if *cursor < inner.base_seq {
                    let missed = inner.base_seq - *cursor;
                    *cursor = inner.base_seq;
                    return Some(Some(Err(Error::Lagged { missed, capacity })));
                }
                let idx = (*cursor - inner.base_seq) as usize;
                if let Some(e) = inner.buffer.get(idx) {
                    *cursor += 1;
                    match &key {
                        Some(k) if !e.fields.contains_key(k) => continue,
                        _ => return Some(Some(Ok(e.clone()))),
                    }
                }
                if inner.freed {
                    if let (false, Some(e)) = (*ended, &inner.closed) {
                        *ended = true;
                        return Some(Some(Err(e.clone())));
                    }
                    return Some(None);
                }
                return None;
            })
            .await
    }

    /// The next value of the stream's key, read into `T`; `None` at the end, or for a stream
    /// made with [`Call::entries`] (it has no key).
    pub async fn next_value<T: FromField>(&mut self) -> Option<Result<T>> {
        let key = self.key.clone()?;
        let entry = match self.next().await? {
            Ok(e) => e,
            Err(e) => return Some(Err(e)),
        };
        let value = entry.fields.get(&key).cloned().unwrap_or(Value::Null);
        Some(read_field(&self.state.display, &key, &value))
    }

    /// This stream as typed values of its key.
    pub fn values<T: FromField>(self) -> Values<T> {
        Values {
            entries: self,
            _type: std::marker::PhantomData,
        }
    }
}

/// The values of one key of a call, typed: what the generated `stream_<key>()` methods return.
pub struct Values<T> {
    entries: Entries,
    _type: std::marker::PhantomData<fn() -> T>,
}

impl<T: FromField> Values<T> {
    /// The next value; `None` once the call is freed and everything was read.
    pub async fn next(&mut self) -> Option<Result<T>> {
        self.entries.next_value().await
    }
}
