//! The router: what the client knows of every call and statement, as a pure state machine.
//!
//! Entries go in ([`Router::route`]), and out come deliveries: results for the waiters (each
//! waiter polls its own `poll_*` method; the router keeps their wakers) and lines that are now
//! ready to send (a cancel held until Rumor registered its call, the next queued `next`). No I/O,
//! no tasks, no clock of its own: the connection feeds it lines and the time, and writes what it
//! asks to. Its unit tests drive it with text alone.
//!
//! # What makes a call's life trustworthy
//!
//! - **Registration.** Rumor stores a call in its table before the command runs, and every entry
//!   with the call's id comes from the running command, so the first such entry proves the call
//!   is registered. Until then `cancel` and `next` lines are *held*: sent too early, Rumor
//!   answers `nothing to cancel` / `call not available for stepping` and the call goes on.
//! - **Cancel** is idempotent (one line per request, however many waiters) and succeeds once
//!   Rumor frees the call. A `nothing to cancel` after `__freed` is success: Rumor writes
//!   `__freed` before it forgets the call.
//! - **Steps** carry a sequence number. `next` lines of one call go out one at a time, each
//!   followed in the same statement by an `echo` of a token with the connection's secret nonce,
//!   the call, the sequence number and the exit status. A dropped step future that was not sent
//!   yet is never sent; one already sent gets its result discarded. Session output cannot forge
//!   a token without the nonce, which is never shown.
//! - **Statements** (`grab`, `calls`, `kill`, ...) run in the foreground, in order. Each one's
//!   standard output is captured by `$(...)` into one `echo` of its token, so it cannot mix with
//!   anything else; its log entries are taken only when they are positively its own (a `failed`
//!   warning with its exact words, the `calls` listing of its actor, ...) and it is the oldest
//!   statement still running. Nothing else is ever handed to a statement.
//! - **Deadlines.** A call whose setup deadline passes fails with [`Error::Timeout`]; if Rumor
//!   never registered it (a builtin or OS program sent as a call gets no markers) it also leaves
//!   the table.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::entry::{Entry, Logged, Marker};
use crate::error::{Error, Result};
use crate::quote::push_quoted;
use crate::types::Output;

/// Prefix of the token echoed after each `next`: `pyrum-step:<nonce>:<call>:<seq>:<status>`.
pub(crate) const STEP_TOKEN: &str = "pyrum-step:";
/// Prefix of the token echoed by each statement: `pyrum-stmt:<nonce>:<n>:<stdout>\n<status>`.
pub(crate) const STMT_TOKEN: &str = "pyrum-stmt:";

/// A call's state bits.
mod flag {
    /// The typed layer asked for a cancel when the last handle goes.
    pub const CANCEL_ON_DROP: u8 = 1;
    /// An entry with the call's id arrived: Rumor has the call in its table.
    pub const REGISTERED: u8 = 2;
    /// `__success` arrived.
    pub const SETUP_OK: u8 = 4;
    /// The call is over: `__freed`, a failure before any marker, a timeout before registration,
    /// or the connection's end.
    pub const FINISHED: u8 = 8;
    /// Someone asked for a cancel (sent, or held until registration).
    pub const CANCEL_WANTED: u8 = 16;
    /// The cancel line went out.
    pub const CANCEL_SENT: u8 = 32;
    /// The connection ended before Rumor freed the call.
    pub const CUT: u8 = 64;
    /// [`Call::detach`](crate::Call::detach): runs on without handles, on purpose.
    pub const DETACHED: u8 = 128;
}

/// One call as the router sees it. Kept small (104 bytes): 100k of them may be in flight.
#[derive(Default)]
struct Rec {
    /// `alice: host view`, for errors (shortened); shared with the calls before it when they
    /// read the same (a loop of one command allocates none).
    display: Arc<str>,
    flags: u8,
    /// Live handles ([`Call`](crate::Call) clones, streams, futures). At 0 nobody can read the
    /// call's entries, so none are kept, and a finished call leaves the table.
    handles: u32,
    /// Sequence number of the first entry after setup (valid with `SETUP_OK` or a failure).
    setup_end: u64,
    /// The call's entries, the last `capacity` of them; `base` is the sequence number of the
    /// first one kept.
    log: VecDeque<Logged>,
    base: u64,
    /// The first setup, finish or cancel waiter (the others are in [`Rare`]): woken by
    /// markers and failures, not by entries.
    waker: Option<Waker>,
    rare: Option<Box<Rare>>,
}

/// What few calls need, boxed apart so that a plain call does not carry it.
#[derive(Default)]
struct Rare {
    /// Why setup failed (or the connection ended); set once.
    failure: Option<Error>,
    /// Why the last cancel failed, for the cancel waiters.
    cancel_error: Option<Error>,
    steps: Option<Steps>,
    /// More marker waiters than the first.
    wake_markers: Vec<Waker>,
    /// Stream readers: woken by entries and by the end.
    wake_entries: Vec<Waker>,
}

impl Rec {
    fn has(&self, f: u8) -> bool {
        self.flags & f != 0
    }
    fn rare(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }
    fn failure(&self) -> Option<&Error> {
        self.rare.as_ref()?.failure.as_ref()
    }
    fn steps(&mut self) -> Option<&mut Steps> {
        self.rare.as_mut()?.steps.as_mut()
    }
    /// Registers a waiter for markers (setup, end, cancel); one waiter needs no allocation.
    fn wait_marker(&mut self, cx: &Context<'_>) {
        match &self.waker {
            Some(w) if !w.will_wake(cx.waker()) => register(&mut self.rare().wake_markers, cx),
            _ => self.waker = Some(cx.waker().clone()),
        }
    }
    /// Hands over the marker waiters (and with `entries`, the stream readers) to be woken.
    fn wake(&mut self, entries: bool, out: &mut Vec<Waker>) {
        out.extend(self.waker.take());
        if let Some(r) = self.rare.as_mut() {
            out.append(&mut r.wake_markers);
            if entries {
                out.append(&mut r.wake_entries);
            }
        }
    }
    fn seq(&self) -> u64 {
        self.base + self.log.len() as u64
    }
    /// What the call logged between two sequence numbers, as far as the log still holds it.
    fn output(&mut self, from: u64, to: u64) -> Output {
        let mut out = Output::default();
        let start = from.max(self.base);
        for seq in start..to.max(start) {
            let e = self.log[(seq - self.base) as usize].entry();
            for (k, v) in &e.fields {
                out.fields.insert(k.clone(), v.clone());
            }
            out.entries.push(e.clone());
        }
        out
    }
}

/// The steps of one call: `next` lines go out one at a time, in sequence order.
#[derive(Default)]
struct Steps {
    next_seq: u64,
    /// Waiting to be sent: (seq, Rumor-side timeout).
    queued: VecDeque<(u64, Duration)>,
    /// Sent, its token not back yet.
    inflight: Option<Inflight>,
    /// Where the current step's output starts in the call's log.
    start: u64,
    /// Finished, not yet taken.
    done: Vec<(u64, Result<Output>)>,
    wakers: Vec<(u64, Waker)>,
}

struct Inflight {
    seq: u64,
    /// Its future was dropped: the result is thrown away.
    abandoned: bool,
    /// `__step` arrived: the step ran; its output lies between these sequence numbers.
    ran: Option<(u64, u64)>,
    /// The `failed` warning of this `next`.
    failure: Option<String>,
}

/// What a statement printed and how it ended.
#[derive(Debug, Clone)]
pub(crate) struct StatementOut {
    /// Its standard output, exactly (captured by `$(...)`).
    pub stdout: String,
    /// Session entries that are positively its own.
    pub entries: Vec<Arc<Entry>>,
}

struct Stmt {
    n: u64,
    words: Vec<String>,
    entries: Vec<Arc<Entry>>,
    /// Its future was dropped (or timed out): the result is thrown away.
    abandoned: bool,
}

/// What routing one entry asks of the connection.
pub(crate) enum Routed {
    /// Taken by a call, a step, a statement, or known noise.
    Taken,
    /// Belongs to no call or statement: publish it as a session event.
    Session(Arc<Entry>),
    /// Rumor stopped reading this session's input: publish the entry, then close.
    Stop(Arc<Entry>, String),
}

/// The routing state of one connection.
#[derive(Default)]
pub(crate) struct Router {
    /// `py<8 hex>c<N>n`: every call id of this connection is the prefix and a number.
    prefix: String,
    /// The secret in step and statement tokens.
    nonce: String,
    capacity: usize,
    calls: HashMap<u64, Box<Rec>>,
    /// The display text of the latest call, shared by the next one if it reads the same.
    last_display: Arc<str>,
    /// Records not finished (what [`Router::pending`] counts).
    open: usize,
    next_call: u64,
    /// Setup deadlines in the order the calls started (the limit is the same for all, so this
    /// is also the order of the deadlines).
    deadlines: VecDeque<(Instant, u64)>,
    stmts: VecDeque<Stmt>,
    stmt_done: HashMap<u64, Result<StatementOut>>,
    stmt_wakers: HashMap<u64, Waker>,
    next_stmt: u64,
    closed: Option<Error>,
    /// Lines to send, in order.
    out: Vec<String>,
    /// Wakers to wake once the lock is released.
    wake: Vec<Waker>,
}

/// A life-cycle event of call `n`, at debug level on target `pyrum::call`.
fn trace_call(prefix: &str, n: u64, shown: &str, what: &str) {
    // (A variable named `display` would name tracing's own function inside the macro.)
    tracing::debug!(target: "pyrum::call", call_id = %format_args!("{prefix}{n}"), call = shown, "{what}");
}

fn register(list: &mut Vec<Waker>, cx: &Context<'_>) {
    if !list.iter().any(|w| w.will_wake(cx.waker())) {
        list.push(cx.waker().clone());
    }
}

/// The number in one of our call ids, `<prefix><n>`, only as we write it (digits, no sign, no
/// leading zero): `+5` and `05` are no call of ours, though `u64::from_str` reads them as 5.
pub(crate) fn call_number(prefix: &str, id: &str) -> Option<u64> {
    let n = id.strip_prefix(prefix)?;
    (n == "0" || !n.starts_with(['0', '+'])).then(|| n.parse().ok()).flatten()
}

impl Router {
    pub(crate) fn new(prefix: String, nonce: String, capacity: usize) -> Router {
        let capacity = capacity.max(1);
        Router { prefix, nonce, capacity, next_call: 1, next_stmt: 1, ..Router::default() }
    }

    /// Calls not finished yet (open in Rumor, as far as the client knows).
    pub(crate) fn pending(&self) -> usize {
        self.open
    }

    /// The full call id of call number `n`.
    pub(crate) fn call_id(&self, n: u64) -> String {
        format!("{}{n}", self.prefix)
    }

    /// Lines that became ready to send, in order, and wakers to wake (after releasing the lock).
    pub(crate) fn take_output(&mut self) -> (Vec<String>, Vec<Waker>) {
        (std::mem::take(&mut self.out), std::mem::take(&mut self.wake))
    }

    // ---- calls ------------------------------------------------------------------------------

    /// Registers a new call with one handle, before its line (which carries its id) is sent.
    /// Returns its number, and about how many calls are in setup (the setup-deadline queue, so
    /// 0 without a setup limit).
    pub(crate) fn open_call(
        &mut self,
        mut display: String,
        cancel_on_drop: bool,
        deadline: Option<Instant>,
    ) -> Result<(u64, usize)> {
        if let Some(e) = &self.closed {
            return Err(e.clone());
        }
        let n = self.next_call;
        self.next_call += 1;
        if display.len() > 120 {
            display = crate::quote::shorten_to(&display, 120);
        }
        if *self.last_display != *display {
            self.last_display = display.into();
        }
        let flags = if cancel_on_drop { flag::CANCEL_ON_DROP } else { 0 };
        let display = self.last_display.clone();
        let rec = Rec { display, flags, handles: 1, ..Rec::default() };
        self.calls.insert(n, Box::new(rec));
        self.open += 1;
        if let Some(d) = deadline {
            // Calls that are past their setup leave the front, so the queue holds about the
            // calls in setup, not every call of the last minute.
            while let Some(&(_, m)) = self.deadlines.front() {
                match self.calls.get(&m) {
                    Some(r) if !r.has(flag::SETUP_OK) && !r.has(flag::FINISHED) => break,
                    _ => {
                        self.deadlines.pop_front();
                    }
                }
            }
            self.deadlines.push_back((d, n));
        }
        Ok((n, self.deadlines.len()))
    }

    /// The call's display text (`alice: host view`).
    pub(crate) fn display(&self, n: u64) -> String {
        self.calls.get(&n).map(|r| r.display.to_string()).unwrap_or_else(|| self.call_id(n))
    }

    /// A new handle of call `id`, if it is ours and not finished: its number and actor.
    pub(crate) fn adopt_open(&mut self, id: &str) -> Option<(u64, String)> {
        let n = call_number(&self.prefix, id)?;
        let rec = self.calls.get_mut(&n).filter(|r| !r.has(flag::FINISHED))?;
        rec.handles += 1;
        let actor = rec.display.split(':').next().unwrap_or_default().to_string();
        Some((n, actor))
    }

    pub(crate) fn add_handle(&mut self, n: u64) {
        if let Some(rec) = self.calls.get_mut(&n) {
            rec.handles += 1;
        }
    }

    /// One handle went. The last one: a finished call leaves the table; an open one stops
    /// keeping entries, and is cancelled if it was made with `cancel_on_drop`.
    pub(crate) fn drop_handle(&mut self, n: u64) {
        let Some(rec) = self.calls.get_mut(&n) else {
            return;
        };
        rec.handles = rec.handles.saturating_sub(1);
        if rec.handles > 0 {
            return;
        }
        if rec.has(flag::FINISHED) {
            self.calls.remove(&n);
            return;
        }
        rec.base = rec.seq();
        rec.log = VecDeque::new();
        if let Some(rare) = rec.rare.as_mut() {
            rare.steps = None;
        }
        if rec.has(flag::CANCEL_ON_DROP) {
            self.request_cancel(n);
        }
    }

    /// The call runs on when its last handle goes (no cancel on drop), and is marked detached.
    pub(crate) fn detach(&mut self, n: u64) {
        if let Some(rec) = self.calls.get_mut(&n) {
            rec.flags = (rec.flags & !flag::CANCEL_ON_DROP) | flag::DETACHED;
        }
    }

    /// Every call not finished, in the order they were made.
    pub(crate) fn open_calls(&self) -> Vec<crate::call::OpenCall> {
        let mut open: Vec<_> = self
            .calls
            .iter()
            .filter(|(_, r)| !r.has(flag::FINISHED))
            .map(|(n, r)| crate::call::OpenCall {
                n: *n,
                id: self.call_id(*n),
                call: r.display.to_string(),
                detached: r.has(flag::DETACHED),
                cancelling: r.has(flag::CANCEL_WANTED),
            })
            .collect();
        open.sort_by_key(|c| c.n);
        open
    }

    pub(crate) fn is_finished(&self, n: u64) -> bool {
        self.calls.get(&n).is_none_or(|r| r.has(flag::FINISHED))
    }

    /// Setup: Ok with what the call logged before `__success`, or why it failed.
    pub(crate) fn poll_setup(&mut self, n: u64, cx: &Context<'_>) -> Poll<Result<Output>> {
        let Some(rec) = self.calls.get_mut(&n) else {
            return Poll::Ready(Err(self.gone(n)));
        };
        if rec.has(flag::SETUP_OK) {
            return Poll::Ready(Ok(rec.output(0, rec.setup_end)));
        }
        if let Some(e) = rec.failure() {
            return Poll::Ready(Err(e.clone()));
        }
        if rec.has(flag::FINISHED) {
            return Poll::Ready(Err(Error::command(
                &*rec.display,
                "the call ended before its setup finished",
            )));
        }
        rec.wait_marker(cx);
        Poll::Pending
    }

    fn gone(&self, n: u64) -> Error {
        self.closed.clone().unwrap_or_else(|| {
            Error::command(self.call_id(n), "the call is no longer known to the client")
        })
    }

    /// Waits for the end of the call (`__freed`).
    pub(crate) fn poll_finished(&mut self, n: u64, cx: &Context<'_>) -> Poll<Result<()>> {
        self.poll_end(n, false, cx)
    }

    /// The end of the call (Ok, or the connection's end if that ended it); with `cancel`, a
    /// failed cancel ends the wait too.
    fn poll_end(&mut self, n: u64, cancel: bool, cx: &Context<'_>) -> Poll<Result<()>> {
        let closed = self.closed.clone();
        let Some(rec) = self.calls.get_mut(&n) else {
            return Poll::Ready(closed.map_or(Ok(()), Err));
        };
        if rec.has(flag::FINISHED) {
            return Poll::Ready(match closed {
                Some(e) if rec.has(flag::CUT) => Err(e),
                _ => Ok(()),
            });
        }
        // Every cancel waiter gets the refusal (a new cancel clears it); other waiters wait on.
        if let Some(e) = rec.rare.as_ref().filter(|_| cancel).and_then(|r| r.cancel_error.clone()) {
            return Poll::Ready(Err(e));
        }
        rec.wait_marker(cx);
        Poll::Pending
    }

    /// Asks Rumor to stop the call: sends `cancel` now if Rumor registered the call, else holds
    /// it until then. Idempotent.
    pub(crate) fn request_cancel(&mut self, n: u64) {
        let Some(rec) = self.calls.get_mut(&n) else {
            return;
        };
        if rec.has(flag::FINISHED) || rec.has(flag::CANCEL_SENT) {
            return;
        }
        let held = if rec.has(flag::REGISTERED) {
            "cancel sent"
        } else {
            "cancel held until Rumor registers the call"
        };
        trace_call(&self.prefix, n, &rec.display, held);
        rec.flags |= flag::CANCEL_WANTED;
        if let Some(rare) = rec.rare.as_mut() {
            rare.cancel_error = None;
        }
        if rec.has(flag::REGISTERED) {
            rec.flags |= flag::CANCEL_SENT;
            let line = self.control_line(n, "cancel");
            self.out.push(line);
        }
    }

    /// After [`request_cancel`](Self::request_cancel): Ok once Rumor freed the call.
    pub(crate) fn poll_cancel(&mut self, n: u64, cx: &Context<'_>) -> Poll<Result<()>> {
        self.poll_end(n, true, cx)
    }

    fn control_line(&self, n: u64, word: &str) -> String {
        let mut line = String::with_capacity(self.prefix.len() + 32);
        push_quoted(&mut line, &format!("_{}{n}", self.prefix));
        push_quoted(&mut line, word);
        line.push_str(" &");
        line
    }

    /// `{ '_id' 'next' 'T'; 'echo' 'pyrum-step:<nonce>:<n>:<seq>:'"$?"; } &`
    fn step_line(&self, n: u64, seq: u64, timeout: Duration) -> String {
        let mut line = String::from("{");
        push_quoted(&mut line, &format!("_{}{n}", self.prefix));
        push_quoted(&mut line, "next");
        push_quoted(&mut line, &crate::types::ToArg::to_arg(&timeout));
        line.push(';');
        push_quoted(&mut line, "echo");
        push_quoted(&mut line, &format!("{STEP_TOKEN}{}:{n}:{seq}:", self.nonce));
        line.push_str("\"$?\"; } &");
        line
    }

    /// Queues one `next` of call `n` (Rumor waits at most `timeout` for the step); returns its
    /// sequence number for [`poll_step`](Self::poll_step).
    pub(crate) fn start_step(&mut self, n: u64, timeout: Duration) -> Result<u64> {
        if let Some(e) = &self.closed {
            return Err(e.clone());
        }
        let Some(rec) = self.calls.get_mut(&n) else {
            return Err(self.gone(n));
        };
        if rec.has(flag::FINISHED) {
            return Err(rec.failure().cloned().unwrap_or_else(|| {
                Error::command(
                    format!("{} (next)", rec.display),
                    "the call has ended: no remaining steps",
                )
            }));
        }
        let setup_end = rec.setup_end;
        let steps =
            rec.rare().steps.get_or_insert_with(|| Steps { start: setup_end, ..Steps::default() });
        let seq = steps.next_seq;
        steps.next_seq += 1;
        steps.queued.push_back((seq, timeout));
        self.send_queued_step(n);
        Ok(seq)
    }

    /// Sends the next queued `next` of call `n` if none is in flight and Rumor registered it.
    fn send_queued_step(&mut self, n: u64) {
        let Some(rec) = self.calls.get_mut(&n) else {
            return;
        };
        if !rec.has(flag::REGISTERED) {
            return;
        }
        let Some(steps) = rec.steps() else {
            return;
        };
        if steps.inflight.is_some() {
            return;
        }
        let Some((seq, timeout)) = steps.queued.pop_front() else {
            return;
        };
        steps.inflight = Some(Inflight { seq, abandoned: false, ran: None, failure: None });
        let line = self.step_line(n, seq, timeout);
        self.out.push(line);
    }

    /// The result of step `seq` of call `n`.
    pub(crate) fn poll_step(&mut self, n: u64, seq: u64, cx: &Context<'_>) -> Poll<Result<Output>> {
        let closed = self.closed.clone();
        let Some(rec) = self.calls.get_mut(&n) else {
            return Poll::Ready(Err(self.gone(n)));
        };
        let display = rec.display.clone();
        let Some(steps) = rec.steps() else {
            return Poll::Ready(Err(closed.unwrap_or_else(|| {
                Error::command(format!("{display} (next)"), "the call's steps were dropped")
            })));
        };
        if let Some(i) = steps.done.iter().position(|(s, _)| *s == seq) {
            steps.wakers.retain(|(s, _)| *s != seq);
            return Poll::Ready(steps.done.swap_remove(i).1);
        }
        if let Some(e) = closed {
            return Poll::Ready(Err(e));
        }
        match steps.wakers.iter_mut().find(|(s, _)| *s == seq) {
            Some((_, w)) => w.clone_from(cx.waker()),
            None => steps.wakers.push((seq, cx.waker().clone())),
        }
        Poll::Pending
    }

    /// A step future was dropped: its `next` is not sent if it was still queued, and its result
    /// is thrown away if it was.
    pub(crate) fn abandon_step(&mut self, n: u64, seq: u64) {
        let Some(steps) = self.calls.get_mut(&n).and_then(|r| r.steps()) else {
            return;
        };
        steps.queued.retain(|(s, _)| *s != seq);
        steps.done.retain(|(s, _)| *s != seq);
        steps.wakers.retain(|(s, _)| *s != seq);
        if let Some(inflight) = steps.inflight.as_mut().filter(|i| i.seq == seq) {
            inflight.abandoned = true;
        }
    }

    /// The next entry for a stream at `cursor` (optionally only entries with `key`).
    pub(crate) fn poll_entry(
        &mut self,
        n: u64,
        cursor: &mut u64,
        key: Option<&str>,
        ended: &mut bool,
        cx: &Context<'_>,
    ) -> Poll<Option<Result<Arc<Entry>>>> {
        let capacity = self.capacity;
        let closed = self.closed.clone();
        let Some(rec) = self.calls.get_mut(&n) else {
            return Poll::Ready(None);
        };
        loop {
            if *cursor < rec.base {
                let missed = rec.base - *cursor;
                *cursor = rec.base;
                return Poll::Ready(Some(Err(Error::Lagged { missed, capacity })));
            }
            let Some(e) = rec.log.get_mut((*cursor - rec.base) as usize).map(Logged::entry) else {
                break;
            };
            *cursor += 1;
            if key.is_none_or(|k| e.fields.contains_key(k)) {
                return Poll::Ready(Some(Ok(e.clone())));
            }
        }
        if rec.has(flag::FINISHED) {
            if let (false, Some(e)) = (*ended, closed) {
                *ended = true;
                return Poll::Ready(Some(Err(e)));
            }
            return Poll::Ready(None);
        }
        register(&mut rec.rare().wake_entries, cx);
        Poll::Pending
    }

    /// The sequence number of the call's oldest kept entry (a new stream starts there).
    pub(crate) fn first_seq(&self, n: u64) -> u64 {
        self.calls.get(&n).map_or(0, |r| r.base)
    }

    /// The latest value of `key` the call logged (as far as its log reaches).
    pub(crate) fn latest(&mut self, n: u64, key: &str) -> Option<Value> {
        let rec = self.calls.get_mut(&n)?;
        rec.log.iter_mut().rev().find_map(|e| e.entry().fields.get(key).cloned())
    }

    // ---- statements -------------------------------------------------------------------------

    /// Registers a statement, queues its line
    /// `'echo' 'pyrum-stmt:<nonce>:<n>:'"$(words; 'printf' '\n%s' "$?")"` and returns its
    /// number. Statements leave in the order they are numbered.
    pub(crate) fn open_statement(&mut self, words: Vec<String>) -> Result<u64> {
        if let Some(e) = &self.closed {
            return Err(e.clone());
        }
        let n = self.next_stmt;
        self.next_stmt += 1;
        let mut inner = String::new();
        for w in &words {
            push_quoted(&mut inner, w);
        }
        let mut line = String::new();
        push_quoted(&mut line, "echo");
        push_quoted(&mut line, &format!("{STMT_TOKEN}{}:{n}:", self.nonce));
        line.push_str("\"$(");
        line.push_str(&inner);
        line.push_str("; 'printf' '\\n%s' \"$?\")\"");
        self.stmts.push_back(Stmt { n, words, entries: Vec::new(), abandoned: false });
        self.out.push(line);
        Ok(n)
    }

    pub(crate) fn poll_statement(
        &mut self,
        n: u64,
        cx: &Context<'_>,
    ) -> Poll<Result<StatementOut>> {
        if let Some(r) = self.stmt_done.remove(&n) {
            self.stmt_wakers.remove(&n);
            return Poll::Ready(r);
        }
        if let Some(e) = &self.closed {
            return Poll::Ready(Err(e.clone()));
        }
        self.stmt_wakers.insert(n, cx.waker().clone());
        Poll::Pending
    }

    /// A statement future was dropped: its result (still to come) is thrown away.
    pub(crate) fn abandon_statement(&mut self, n: u64) {
        self.stmt_done.remove(&n);
        self.stmt_wakers.remove(&n);
        if let Some(s) = self.stmts.iter_mut().find(|s| s.n == n) {
            s.abandoned = true;
        }
    }

    // ---- input ------------------------------------------------------------------------------

    /// Routes one entry from Rumor.
    pub(crate) fn route(&mut self, entry: Entry) -> Routed {
        if let Some(id) = entry.call_id.as_deref() {
            if let Some(n) = call_number(&self.prefix, id) {
                let marker = entry.marker.clone();
                self.on_call_logged(n, marker, Logged::Entry(Arc::new(entry)));
                return Routed::Taken;
            }
            // Another client's call, or one an included script made (it carries `parent`).
            if entry.fields.contains_key("parent") && self.front_is_include() {
                self.stmts[0].entries.push(Arc::new(entry));
            }
            return Routed::Taken;
        }
        if let Some(text) = entry.str_field("stdout") {
            if let Some(rest) = text.strip_prefix(STEP_TOKEN) {
                if let Some(rest) = self.strip_nonce(rest) {
                    let rest = rest.trim_end().to_string();
                    self.on_step_token(&rest);
                    return Routed::Taken;
                }
            } else if let Some(rest) = text.strip_prefix(STMT_TOKEN) {
                if let Some(rest) = self.strip_nonce(rest) {
                    let rest = rest.to_string();
                    self.on_statement_token(&rest);
                    return Routed::Taken;
                }
            }
        }
        if entry.msg == "failed" {
            if let Some(n) = self.failed_call(&entry) {
                self.on_call_failed(n, &entry);
                return Routed::Taken;
            }
        }
        if entry.msg == "lookup!"
            || (entry.msg.starts_with("Started ") && entry.fields.contains_key("args"))
        {
            return Routed::Taken;
        }
        if self.stmts.front().is_some_and(|s| statement_owns(&s.words, &entry)) {
            self.stmts[0].entries.push(Arc::new(entry));
            return Routed::Taken;
        }
        if entry.msg == "failed to run input" {
            let why = entry.str_field("error").unwrap_or("no error given").to_string();
            return Routed::Stop(Arc::new(entry), why);
        }
        Routed::Session(Arc::new(entry))
    }

    fn strip_nonce<'a>(&self, rest: &'a str) -> Option<&'a str> {
        rest.strip_prefix(self.nonce.as_str())?.strip_prefix(':')
    }

    fn front_is_include(&self) -> bool {
        self.stmts.front().is_some_and(|s| s.words.iter().any(|w| w == "include"))
    }

    /// An entry of call `n`: a marker (then `logged` is dropped), or one for its log.
    pub(crate) fn on_call_logged(&mut self, n: u64, marker: Option<Marker>, logged: Logged) {
        let capacity = self.capacity;
        let Some(rec) = self.calls.get_mut(&n) else {
            return;
        };
        if rec.has(flag::FINISHED) {
            return;
        }
        let first = !rec.has(flag::REGISTERED);
        rec.flags |= flag::REGISTERED;
        match marker {
            None => {
                if rec.handles > 0 {
                    if rec.log.len() == capacity {
                        rec.log.pop_front();
                        rec.base += 1;
                    }
                    // Most calls log one entry: room for one, not four, at first.
                    rec.log.reserve_exact(usize::from(rec.log.capacity() == 0));
                    rec.log.push_back(logged);
                    if let Some(r) = rec.rare.as_mut() {
                        self.wake.append(&mut r.wake_entries);
                    }
                }
            }
            Some(Marker::Success) => {
                trace_call(&self.prefix, n, &rec.display, "setup succeeded");
                if rec.failure().is_none() && !rec.has(flag::SETUP_OK) {
                    rec.flags |= flag::SETUP_OK;
                    rec.setup_end = rec.seq();
                    if let Some(steps) = rec.rare.as_mut().and_then(|r| r.steps.as_mut()) {
                        steps.start = rec.setup_end;
                    }
                }
                rec.wake(false, &mut self.wake);
            }
            Some(Marker::Error(ref message)) => {
                trace_call(&self.prefix, n, &rec.display, &format!("setup failed: {message}"));
                if rec.failure().is_none() && !rec.has(flag::SETUP_OK) {
                    rec.setup_end = rec.seq();
                    rec.rare().failure = Some(Error::command(&*rec.display, message.clone()));
                }
                rec.wake(false, &mut self.wake);
            }
            Some(Marker::Step) => {
                let end = rec.seq();
                if let Some(steps) = rec.steps() {
                    if let Some(inflight) = steps.inflight.as_mut() {
                        inflight.ran = Some((steps.start, end));
                    }
                    steps.start = end;
                }
            }
            Some(Marker::Freed) => {
                trace_call(&self.prefix, n, &rec.display, "freed");
                self.finish(n, None);
                return;
            }
        }
        if first {
            // Rumor has the call now: what was held can go.
            if rec.has(flag::CANCEL_WANTED) && !rec.has(flag::CANCEL_SENT) {
                rec.flags |= flag::CANCEL_SENT;
                let line = self.control_line(n, "cancel");
                self.out.push(line);
            }
            self.send_queued_step(n);
        }
    }

    /// For a session `failed` warning whose words start with one of our call ids: that call.
    fn failed_call(&self, entry: &Entry) -> Option<u64> {
        let args = entry.fields.get("args")?.as_array()?;
        let id = args.first()?.as_str()?.strip_prefix('_')?;
        let n = call_number(&self.prefix, id)?;
        self.calls.contains_key(&n).then_some(n)
    }

    fn on_call_failed(&mut self, n: u64, entry: &Entry) {
        let message = entry.str_field("error").unwrap_or("command failed").to_string();
        let control =
            entry.fields.get("args").and_then(|a| a.get(1)).and_then(Value::as_str).unwrap_or("");
        let Some(rec) = self.calls.get_mut(&n) else {
            return;
        };
        match control {
            "next" => {
                if let Some(inflight) = rec.steps().and_then(|s| s.inflight.as_mut()) {
                    inflight.failure = Some(message);
                }
            }
            "cancel" => {
                rec.flags &= !flag::CANCEL_SENT;
                if message.contains("nothing to cancel") {
                    // Rumor frees a call (and writes `__freed`) before it forgets it: this call
                    // is over, or about to be.
                    return;
                }
                rec.flags &= !flag::CANCEL_WANTED;
                let error = Error::command(format!("{} (cancel)", rec.display), message);
                rec.rare().cancel_error = Some(error);
                rec.wake(false, &mut self.wake);
            }
            _ => {
                // The call itself: after its `__error` this repeats it; without markers (Rumor
                // could not build the command, or it ran as a program that failed) it is all
                // there is, and the call is over.
                if !rec.has(flag::REGISTERED) {
                    rec.rare().failure = Some(Error::command(&*rec.display, message));
                    self.finish(n, None);
                }
            }
        }
    }

    /// `<n>:<seq>:<status>` of a step token.
    fn on_step_token(&mut self, rest: &str) {
        let mut parts = rest.splitn(3, ':');
        let (Some(n), Some(seq), Some(status)) = (
            parts.next().and_then(|p| p.parse::<u64>().ok()),
            parts.next().and_then(|p| p.parse::<u64>().ok()),
            parts.next().and_then(|p| p.parse::<i64>().ok()),
        ) else {
            return;
        };
        let Some(rec) = self.calls.get_mut(&n) else {
            return;
        };
        let display = rec.display.clone();
        let Some(steps) = rec.steps() else {
            return;
        };
        let Some(inflight) = steps.inflight.take_if(|i| i.seq == seq) else {
            return;
        };
        let ran = inflight.ran;
        trace_call(&self.prefix, n, &display, &format!("step {seq} ended with status {status}"));
        let result = match (status, inflight.failure) {
            (0, _) => Ok(ran),
            // `step failed: X` where X is not the wait's own timeout: the step ran (and logged
            // `__step`), then its work failed. Its output is kept, with the message.
            (_, Some(m)) if ran.is_some() && step_ran_then_failed(&m) => Err((ran, m)),
            (_, Some(m)) => Err((None, m)),
            (s, None) => Err((None, format!("next ended with status {s}"))),
        };
        if !inflight.abandoned {
            let result = match result {
                Ok(range) => Ok(range.map_or_else(Output::default, |(a, b)| rec.output(a, b))),
                Err((Some((a, b)), message)) => {
                    let mut out = rec.output(a, b);
                    out.error = Some(message);
                    Ok(out)
                }
                Err((None, message)) => Err(Error::command(format!("{display} (next)"), message)),
            };
            let steps = rec.steps().expect("steps exist");
            steps.done.push((seq, result));
            if let Some(i) = steps.wakers.iter().position(|(s, _)| *s == seq) {
                self.wake.push(steps.wakers.swap_remove(i).1);
            }
        }
        self.send_queued_step(n);
    }

    /// `<n>:<stdout>\n<status>` of a statement token.
    fn on_statement_token(&mut self, rest: &str) {
        let Some((n, captured)) = rest.split_once(':') else {
            return;
        };
        let Ok(n) = n.parse::<u64>() else {
            return;
        };
        // Statements end in order; one that ends out of order means Rumor skipped the ones
        // before it (it never does while it reads input), so they fail rather than hang.
        while let Some(front) = self.stmts.front() {
            if front.n >= n {
                break;
            }
            let s = self.stmts.pop_front().expect("front exists");
            self.finish_statement(
                s.n,
                s.abandoned,
                Err(Error::Protocol(format!(
                    "statement `{}` got no answer before a later one",
                    s.words.join(" ")
                ))),
            );
        }
        if self.stmts.front().is_none_or(|s| s.n != n) {
            return;
        }
        let s = self.stmts.pop_front().expect("front exists");
        let (stdout, status) = match captured.rsplit_once('\n') {
            Some((out, status)) => (out, status.trim().parse().unwrap_or(-1)),
            None => ("", captured.trim().parse().unwrap_or(-1)),
        };
        let out = StatementOut { stdout: stdout.to_string(), entries: s.entries };
        let result = if status == 0 {
            Ok(out)
        } else {
            let message = out
                .entries
                .iter()
                .find(|e| e.msg == "failed")
                .and_then(|e| e.str_field("error"))
                .map(str::to_string)
                .unwrap_or_else(|| format!("exit status {status}"));
            Err(Error::command(s.words.join(" "), message))
        };
        self.finish_statement(n, s.abandoned, result);
    }

    fn finish_statement(&mut self, n: u64, abandoned: bool, result: Result<StatementOut>) {
        if abandoned {
            return;
        }
        self.stmt_done.insert(n, result);
        if let Some(w) = self.stmt_wakers.remove(&n) {
            self.wake.push(w);
        }
    }

    /// The call is over: freed by Rumor (`closed` None), or the connection ended (then a step
    /// still in flight after `__freed` fails too: its token will never come).
    fn finish(&mut self, n: u64, closed: Option<&Error>) {
        let Some(rec) = self.calls.get_mut(&n) else {
            return;
        };
        if rec.has(flag::FINISHED) {
            if let (Some(e), Some(steps)) = (closed, rec.steps()) {
                if let Some(inflight) = steps.inflight.take() {
                    steps.done.push((inflight.seq, Err(e.clone())));
                    self.wake.extend(steps.wakers.drain(..).map(|(_, w)| w));
                }
            }
            return;
        }
        rec.flags |= flag::FINISHED;
        self.open -= 1;
        if let Some(e) = closed {
            rec.flags |= flag::CUT;
            if !rec.has(flag::SETUP_OK) && rec.failure().is_none() {
                rec.rare().failure = Some(e.clone());
            }
        }
        let display = &rec.display;
        if let Some(steps) = rec.rare.as_mut().and_then(|r| r.steps.as_mut()) {
            let end = |seq| {
                (
                    seq,
                    Err(closed.cloned().unwrap_or_else(|| {
                        Error::command(
                            format!("{display} (next)"),
                            "the call ended: no remaining steps",
                        )
                    })),
                )
            };
            for (seq, _) in steps.queued.drain(..) {
                steps.done.push(end(seq));
            }
            // A `next` in flight gets its own answer from Rumor (a step that already ran has its
            // token on the way), unless the connection is gone, or the step never ran: the call
            // is over, so it never will.
            if let Some(inflight) = steps.inflight.take_if(|i| closed.is_some() || i.ran.is_none())
            {
                if !inflight.abandoned {
                    steps.done.push(end(inflight.seq));
                }
            }
            self.wake.extend(steps.wakers.drain(..).map(|(_, w)| w));
        }
        rec.wake(true, &mut self.wake);
        if rec.handles == 0 {
            self.calls.remove(&n);
        }
    }

    /// Fails setups whose deadline passed; a call Rumor never registered leaves the table.
    pub(crate) fn sweep(&mut self, now: Instant, limit: Option<Duration>) {
        while let Some(&(at, n)) = self.deadlines.front() {
            if at > now {
                return;
            }
            self.deadlines.pop_front();
            let Some(rec) = self.calls.get_mut(&n) else {
                continue;
            };
            if rec.has(flag::SETUP_OK) || rec.has(flag::FINISHED) || rec.failure().is_some() {
                continue;
            }
            trace_call(&self.prefix, n, &rec.display, "setup timed out");
            rec.rare().failure = Some(Error::Timeout {
                what: format!("setup of `{}`", rec.display),
                after: limit.unwrap_or_default(),
            });
            rec.wake(false, &mut self.wake);
            if !rec.has(flag::REGISTERED) {
                // No marker will ever come (or so late that nobody waits): forget the call.
                self.finish(n, None);
            }
        }
    }

    /// The connection ended: every call, step and statement gets `err`.
    pub(crate) fn close(&mut self, err: Error) {
        if self.closed.is_some() {
            return;
        }
        self.closed = Some(err.clone());
        let ids: Vec<u64> = self.calls.keys().copied().collect();
        for n in ids {
            self.finish(n, Some(&err));
        }
        for s in std::mem::take(&mut self.stmts) {
            self.finish_statement(s.n, s.abandoned, Err(err.clone()));
        }
        self.deadlines.clear();
    }
}

fn step_ran_then_failed(message: &str) -> bool {
    message.contains("step failed: ") && !message.contains("step failed: step request stopped")
}

/// True when a session entry is the output of the statement `words` (which Rumor is running
/// now): a `failed` warning with exactly its words, the listing of `calls`, the notes of `me`
/// and `kill`, what an `include` logged.
fn statement_owns(words: &[String], e: &Entry) -> bool {
    if e.msg == "failed" {
        return e.fields.get("args").and_then(Value::as_array).is_some_and(|a| {
            a.iter().map(Value::as_str).eq(words.iter().map(|w| Some(w.as_str())))
        });
    }
    let (actor, rest) = match words.split_first() {
        Some((first, rest)) if first.ends_with(':') => (Some(&first[..first.len() - 1]), rest),
        _ => (None, words),
    };
    let rest: Vec<&str> = rest.iter().map(String::as_str).collect();
    match rest.as_slice() {
        ["calls"] => {
            e.msg == "list of running calls of actor"
                && actor.is_none_or(|a| e.actor.as_deref() == Some(a))
        }
        ["me"] => actor.is_none_or(|a| e.msg == format!("Changed default actor to {a}")),
        ["kill"] => actor.is_none_or(|a| e.msg == format!("Killing rumor p2p actor {a}")),
        ["include", ..] => {
            e.fields.contains_key("parent")
                || e.fields.contains_key("include")
                || e.msg.starts_with("Bad 'include' usage")
        }
        _ => false,
    }
}

#[cfg(test)]
#[path = "router_tests.rs"]
mod tests;
