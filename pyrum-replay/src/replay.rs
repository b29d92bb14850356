//! Replaying a transcript: a [`Wire`] that plays Rumor's part of a recorded session.
//!
//! A transcript (see [`record`](mod@crate::record) for how to make one, and for its format) holds
//! every line a program sent and every line Rumor answered. [`Replay`] serves it back to the
//! same program, without Rumor:
//!
//! - each line the program sends is checked against the next recorded `send`, after both are
//!   normalised by the rules below; a line that matches nothing stops the replay with a
//!   [`Mismatch`] naming the transcript line, the expected and the actual line, and the column
//!   where they part;
//! - the recorded `recv` lines up to the next `send` are released once the program has sent the
//!   line before them (those before the first `send` at once), in order, as fast as the program
//!   reads them (the timings `t` are for people; replay does not wait);
//! - in released lines, every run-specific value the program sent differently this time (its
//!   call ids and statement tokens first of all, also a temp path or key it generated) is
//!   rewritten to this run's value, so Rumor's answers reach the calls that are waiting for them;
//! - the recorded end ends the connection: the program sees `Error::Disconnected` with the
//!   recorded cause; lines sent after it are not checked.
//!
//! A connection made with `Rumor::spawn` or `connect_*` first runs the statement `echo pyrum`
//! (the check that the other side is Rumor); a client on a replay is made with
//! `RumorBuilder::connect`, which does not. So when a transcript starts with that check and
//! the program's first line is something else, the replay skips the check and its answer.
//!
//! On a mismatch the connection ends: every pending call, stream and step gets
//! `Error::Disconnected` whose cause is the mismatch text, e.g.
//!
//! ```text
//! disconnected from Rumor: replay: transcript mismatch: the program's line 2 differs from line 8 of tests/transcripts/two_actors.jsonl
//!   expected: '_<id>' 'host:' 'lvl_trace' 'host' 'listen' '--ip=127.0.0.1' '--tcp=0' &
//!   actual:   '_<id>' 'host:' 'lvl_trace' 'host' 'listen' '--ip=127.0.0.1' '--tcp=9000' &
//!   first difference at column 69; the replay stopped there
//! ```
//!
//! and [`Replay::mismatch`] / [`Replay::finish`] return it as a [`Mismatch`] value.
//! [`Replay::finish`] also fails when the program stopped before sending every recorded line.
//!
//! # Normalisation rules
//!
//! Before a recorded and an actual line are compared, each run-specific value in them, found
//! left to right by the rules below, becomes a placeholder:
//!
//! | # | kind | matches | placeholder |
//! |---|---|---|---|
//! | 1 | call ids | `py<8 hex>c<N>n<M>`: the connection's prefix and the call's number (`'_py3f09a1c2c0n7'` becomes `'_<id>'`) | `<id>` |
//! | 2 | token nonces | `k` and 16 hex digits after `pyrum-step:` or `pyrum-stmt:`: the connection's secret in the tokens of steps and statements | `<nonce>` |
//! | 3 | statement numbers | the number after `pyrum-stmt:<nonce>:` | `<stmt>` |
//! | 4 | ENRs | `enr:` and 10 or more base64url characters | `<enr>` |
//! | 5 | enode keys | `enode://` and 128 hex digits (the `@host:port` after it is kept) | `<enode>` |
//! | 6 | peer ids | base58 words of 46 to 60 characters starting with `16Uiu2`, `12D3Koo` or `Qm` | `<peer>` |
//! | 7 | temp paths | a path starting with the system temp directory, `/tmp/` or `/var/folders/`, up to a quote, space, comma, bracket or backslash | `<tmp>` |
//! | 8 | timestamps | RFC 3339 date-times, `2020-10-20T12:00:00(.123)(Z or +01:00)` | `<time>` |
//! | 9 | multiaddr ports | the number after `/tcp/` or `/udp/` | `/tcp/<port>` |
//! | 10 | private keys, node ids | exactly 64 hex digits (32 bytes), with or without `0x`, as a whole word or flag value | `<hex32>` |
//!
//! A step line `{ '_<id>' 'next' '60s'; 'echo' 'pyrum-step:<nonce>:7:0:'"$?"; } &` keeps its
//! call number (7) and step number (0) literally: they follow from the program's own calls.
//!
//! The values behind the placeholders must correspond one to one over the whole replay: once
//! the recorded `16Uiu2…A` has been sent as `16Uiu2…B`, it must be `16Uiu2…B` everywhere, and
//! `16Uiu2…B` cannot stand for another recorded value (the mismatch then says which, in a
//! `note`). So a program that swaps two values fails even though each line looks alike.
//!
//! Everything else is compared literally: command words, flags and their values (`--tcp=0` and
//! `--tcp=9000` differ), actor names, payloads (SSZ hex is longer than 32 bytes). A program
//! that picks its own ports for flags must pick the same ones when replayed. Rule 10 also covers
//! roots and other 32-byte values: one that changes where it first appears is not noticed (one
//! that changes later is). Values the program took from Rumor's answers need no rule: the
//! replay serves the recorded answers, so the program sends them as recorded.
//!
//! # Concurrency
//!
//! Tasks that send at the same time (alice's listener and bob's request) may send in another
//! order than when recorded. A line may therefore match any of the next
//! [`DEFAULT_REORDER_WINDOW`] recorded lines the program still owes (the first that matches).
//! Its answers are released only once the lines recorded before it have been sent too, so the
//! answers still come in the recorded order. If the program then sends nothing for
//! [`DEFAULT_STALL_LIMIT`] (it waits for an answer that the replay cannot give before the
//! earlier line), the replay fails with a [`Mismatch`] rather than hang.
//! [`Replay::reorder_window`]`(1)` demands the recorded order exactly.
//!
//! # Replaying a transcript
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use pyrum_core::Command;
//! use pyrum_replay::Replay;
//! let replay = Replay::open("tests/transcripts/my_scenario.jsonl")?;
//! let rumor = replay.rumor();                    // or Rumor::builder()...connect(replay.wire())
//! let alice = rumor.actor("alice")?;
//! alice.call(Command::new(["host", "start"])).await?.setup().await?;
//! rumor.close().await?;
//! replay.finish()?;                              // every recorded line was sent
//! # Ok(()) }
//! ```
//!
//! Record the transcript with [`RecordExt::record_to`](crate::RecordExt::record_to) (or
//! `PYRUM_RECORD=tests/transcripts/my_scenario.jsonl` in a program that calls
//! [`record_from_env`](crate::record_from_env)) in a run against the real Rumor; run again with
//! the same command to re-record. The project's own transcripts (`tests/transcripts/`) are
//! re-recorded with `scripts/record-transcripts`. See also `docs/record-replay.md`.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::io;
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use futures_util::{Sink, Stream};
use serde_json::Value;

use pyrum_core::{Error, Result, Wire};

use crate::io_error;
use crate::record::TRANSCRIPT_VERSION;

/// A transcript read from a file: its header and its events.
#[derive(Debug, Clone)]
pub struct Transcript {
    origin: String,
    header: serde_json::Map<String, Value>,
    events: Vec<Event>,
}

/// One event of a transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Its line number in the transcript file (the header is line 1).
    pub line: usize,
    /// Milliseconds since the recorded connection started.
    pub t: u64,
    /// What happened.
    pub kind: EventKind,
}

/// What a transcript event records.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum EventKind {
    /// A line the program sent.
    Send(String),
    /// A line Rumor sent.
    Recv(String),
    /// Rumor's side ended, with an error text if it ended with an error.
    End(Option<String>),
    /// The transport's explanation of the end (exit status, stderr).
    Closed(String),
}

fn invalid(origin: &str, line: usize, what: impl std::fmt::Display) -> Error {
    io_error(
        format!("reading transcript {origin}"),
        io::Error::new(io::ErrorKind::InvalidData, format!("line {line}: {what}")),
    )
}

impl Transcript {
    /// Reads a transcript file.
    pub fn load(path: impl AsRef<Path>) -> Result<Transcript> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| {
            io_error(
                format!("reading transcript {}", path.display()),
                io::Error::new(
                    e.kind(),
                    format!("{e} (record one with PYRUM_RECORD={})", path.display()),
                ),
            )
        })?;
        Transcript::parse(&text, path.display().to_string())
    }

    /// Parses transcript text; `origin` names it in errors and mismatches.
    pub fn parse(text: &str, origin: impl Into<String>) -> Result<Transcript> {
        let origin = origin.into();
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let header = match lines.next() {
            Some((_, l)) => serde_json::from_str::<Value>(l).ok(),
            None => None,
        };
        let header = match header {
            Some(Value::Object(h)) if h.contains_key("pyrum_transcript") => h,
            _ => {
                return Err(invalid(
                    &origin,
                    1,
                    "not a pyrum transcript (the first line must be a header like {\"pyrum_transcript\":1,...})",
                ))
            }
        };
        let version = header["pyrum_transcript"].as_u64();
        if version.is_none_or(|v| v > TRANSCRIPT_VERSION) {
            let what =
                format!("transcript version {version:?}; this pyrum reads {TRANSCRIPT_VERSION}");
            return Err(invalid(&origin, 1, what));
        }
        let mut events = Vec::new();
        for (n, l) in lines {
            if l.trim().is_empty() {
                continue;
            }
            let v: serde_json::Map<String, Value> =
                serde_json::from_str(l).map_err(|e| invalid(&origin, n, e))?;
            let t = v.get("t").and_then(Value::as_u64).unwrap_or(0);
            let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::to_string);
            let kind = if let Some(s) = text("send") {
                EventKind::Send(s)
            } else if let Some(s) = text("recv") {
                EventKind::Recv(s)
            } else if v.contains_key("end") {
                EventKind::End(text("error"))
            } else if let Some(s) = text("closed") {
                EventKind::Closed(s)
            } else {
                continue; // an event of a later version: ignored
            };
            events.push(Event { line: n, t, kind });
        }
        Ok(Transcript {
            origin,
            header,
            events,
        })
    }

    /// Where the transcript came from (its path), as shown in mismatches.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The header line (`pyrum_transcript`, `rumor`, `transport`, ...).
    pub fn header(&self) -> &serde_json::Map<String, Value> {
        &self.header
    }

    /// The events after the header, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }
}

/// Where a replayed program parted from its transcript.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Mismatch {
    /// The transcript (its path).
    pub transcript: String,
    /// The line of the transcript that was expected (0: the transcript had no more lines).
    pub line: usize,
    /// Which of the program's sent lines (1-based) differs.
    pub sent: usize,
    /// The recorded line, normalised; `None` if the transcript had no more lines to send.
    pub expected: Option<String>,
    /// The program's line, normalised; `None` if the program stopped before sending it.
    pub actual: Option<String>,
    /// More about why: two lines equal after normalisation whose values do not correspond, or
    /// a program that sent lines in another order and then waited.
    pub note: Option<String>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let t = &self.transcript;
        match (&self.expected, &self.actual) {
            (Some(e), Some(a)) => {
                write!(
                    f,
                    "transcript mismatch: the program's line {} differs from line {} of {t}\n  expected: {e}\n  actual:   {a}",
                    self.sent, self.line
                )?;
                if e != a {
                    let col = e
                        .chars()
                        .zip(a.chars())
                        .take_while(|(x, y)| x == y)
                        .count();
                    write!(f, "\n  first difference at column {}", col + 1)?;
                }
            }
            (None, Some(a)) => write!(
                f,
                "transcript mismatch: the program sent line {} after the last line of {t} (re-record it?)\n  expected: (nothing more)\n  actual:   {a}",
                self.sent
            )?,
            (Some(e), None) => {
                let n = self.sent.saturating_sub(1);
                let lines = if n == 1 { "line" } else { "lines" };
                write!(
                    f,
                    "transcript mismatch: the program stopped after {n} {lines}; line {} of {t} was never sent\n  expected: {e}\n  actual:   (nothing more)",
                    self.line
                )?
            }
            (None, None) => write!(f, "transcript mismatch in {t}")?,
        }
        if let Some(note) = &self.note {
            write!(f, "\n  note: {note}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Mismatch {}

/// How many recorded sends ahead a line may match by default (see [`Replay::reorder_window`]).
pub const DEFAULT_REORDER_WINDOW: usize = 16;

/// How long a program that sent lines out of their recorded order may then send nothing before
/// the replay calls it a mismatch, by default (see [`Replay::stall_limit`]).
pub const DEFAULT_STALL_LIMIT: Duration = Duration::from_secs(5);

/// A recorded session served back to the program, without Rumor; see the [module docs](self).
///
/// Cheap to clone; all clones share the replay's progress.
#[derive(Clone)]
pub struct Replay {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Replay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let st = self.shared.state.lock().unwrap();
        f.debug_struct("Replay")
            .field("transcript", &self.shared.origin)
            .field("sent", &st.sent)
            .field("mismatch", &st.mismatch)
            .finish()
    }
}

struct Shared {
    origin: String,
    state: Mutex<State>,
}

enum Released {
    Line(String),
    End(Option<String>),
}

struct State {
    events: Vec<Event>,
    /// The first event not yet released (a `send` there is the first the program owes).
    pos: usize,
    /// Sends matched ahead of `pos` (out of their recorded order), by event index.
    early: Vec<usize>,
    window: usize,
    stall_limit: Duration,
    ready: VecDeque<Released>,
    /// Recorded value -> this run's value, and back, for every normalised value seen.
    forward: HashMap<String, String>,
    backward: HashMap<String, String>,
    /// The values that differ, rewritten in released lines.
    rewrites: HashMap<String, String>,
    tmp_rewrites: Vec<(String, String)>,
    /// Lines the program has sent.
    sent: usize,
    mismatch: Option<Mismatch>,
    mismatch_delivered: bool,
    /// The recorded end was released: later sends are not checked.
    end_released: bool,
    /// The stream has ended.
    finished: bool,
    closed_cause: Option<String>,
    waker: Option<Waker>,
    /// The recorded hello check (`echo pyrum`), while the program may still skip it.
    hello: Option<usize>,
    /// The token of a skipped hello check: recorded lines with it are not released.
    skipped_token: Option<String>,
}

impl Replay {
    /// Reads the transcript at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Replay> {
        Ok(Replay::new(Transcript::load(path)?))
    }

    /// Serves `transcript`.
    pub fn new(transcript: Transcript) -> Replay {
        let hello = transcript
            .events
            .iter()
            .position(|e| matches!(e.kind, EventKind::Send(_)))
            .filter(|i| matches!(&transcript.events[*i].kind, EventKind::Send(l) if is_hello(l)));
        let mut state = State {
            events: transcript.events,
            pos: 0,
            early: Vec::new(),
            window: DEFAULT_REORDER_WINDOW,
            stall_limit: DEFAULT_STALL_LIMIT,
            ready: VecDeque::new(),
            forward: HashMap::new(),
            backward: HashMap::new(),
            rewrites: HashMap::new(),
            tmp_rewrites: Vec::new(),
            sent: 0,
            mismatch: None,
            mismatch_delivered: false,
            end_released: false,
            finished: false,
            closed_cause: None,
            waker: None,
            hello,
            skipped_token: None,
        };
        state.release();
        Replay {
            shared: Arc::new(Shared {
                origin: transcript.origin,
                state: Mutex::new(state),
            }),
        }
    }

    /// How many of the recorded lines the program still owes a sent line may match (default
    /// [`DEFAULT_REORDER_WINDOW`]); 1 demands the recorded order exactly. A line matched ahead
    /// of its turn gets its answers once the lines recorded before it have been sent.
    pub fn reorder_window(self, sends: usize) -> Replay {
        self.shared.state.lock().unwrap().window = sends.max(1);
        self
    }

    /// How long the program may send nothing while a line it sent out of order waits for the
    /// lines recorded before it (default [`DEFAULT_STALL_LIMIT`]); then the replay fails with
    /// a [`Mismatch`] instead of hanging.
    pub fn stall_limit(self, limit: Duration) -> Replay {
        self.shared.state.lock().unwrap().stall_limit = limit;
        self
    }

    /// The wire to run a client on (`Rumor::builder().connect(replay.wire())`). Make one per
    /// replay: all wires of a replay share its progress.
    pub fn wire(&self) -> Wire {
        let describe = self.shared.clone();
        Wire::new(
            "replay",
            ReplaySink {
                shared: self.shared.clone(),
            },
            ReplayStream {
                shared: self.shared.clone(),
                stall: None,
            },
        )
        .on_close(move || {
            let st = describe.state.lock().unwrap();
            let origin = &describe.origin;
            let cause = match (&st.mismatch, &st.closed_cause) {
                (Some(_), _) => "the replay stopped there".to_string(),
                (None, Some(c)) => format!("end of {origin} (recorded: {c})"),
                (None, None) => format!("end of {origin}"),
            };
            Box::pin(async move { cause })
        })
    }

    /// A client on this replay with default settings.
    pub fn rumor(&self) -> pyrum_core::Rumor {
        pyrum_core::RumorBuilder::default().connect(self.wire())
    }

    /// The mismatch that stopped the replay, if one did.
    pub fn mismatch(&self) -> Option<Mismatch> {
        self.shared.state.lock().unwrap().mismatch.clone()
    }

    /// How many lines the program has sent so far.
    pub fn sent(&self) -> usize {
        self.shared.state.lock().unwrap().sent
    }

    /// Ok when the program sent every recorded line and nothing differed; otherwise the
    /// mismatch, or the first recorded line the program never sent.
    pub fn finish(&self) -> std::result::Result<(), Mismatch> {
        let st = self.shared.state.lock().unwrap();
        if let Some(m) = &st.mismatch {
            return Err(m.clone());
        }
        match st.first_owed() {
            Some((line, expected)) => Err(Mismatch {
                transcript: self.shared.origin.clone(),
                line,
                sent: st.sent + 1,
                expected: Some(normalise(expected).0),
                actual: None,
                note: None,
            }),
            None => Ok(()),
        }
    }
}

impl State {
    /// The first recorded line the program has not sent: (transcript line, text).
    fn first_owed(&self) -> Option<(usize, &str)> {
        if self.end_released {
            return None;
        }
        self.events[self.pos..]
            .iter()
            .enumerate()
            .find_map(|(k, e)| match &e.kind {
                EventKind::Send(l)
                    if !self.early.contains(&(self.pos + k))
                        && self.hello != Some(self.pos + k) =>
                {
                    Some((e.line, l.as_str()))
                }
                _ => None,
            })
    }

    /// Releases the recorded lines up to the next `send` the program owes.
    fn release(&mut self) {
        while let Some(event) = self.events.get(self.pos) {
            match &event.kind {
                EventKind::Send(_) if !self.end_released => {
                    match self.early.iter().position(|i| *i == self.pos) {
                        Some(k) => {
                            self.early.swap_remove(k);
                        }
                        None => break,
                    }
                }
                EventKind::Recv(l)
                    if self
                        .skipped_token
                        .as_ref()
                        .is_some_and(|t| l.contains(t.as_str())) => {}
                EventKind::Recv(l) if !self.end_released => {
                    let line = self.rewrite(l);
                    self.ready.push_back(Released::Line(line));
                }
                EventKind::End(e) if !self.end_released => {
                    self.end_released = true;
                    self.ready.push_back(Released::End(e.clone()));
                }
                EventKind::Closed(c) => self.closed_cause = Some(c.clone()),
                _ => {}
            }
            self.pos += 1;
        }
        self.wake();
    }

    fn wake(&mut self) {
        if let Some(w) = self.waker.take() {
            w.wake();
        }
    }

    /// Checks that the values of a recorded and an actual line correspond one to one, as the
    /// values of earlier lines did.
    fn consistent(&self, expected: &[Token], actual: &[Token]) -> std::result::Result<(), String> {
        let mut local: Vec<(&str, &str)> = Vec::new();
        for (e, a) in expected.iter().zip(actual) {
            let (e, a, kind) = (e.text.as_str(), a.text.as_str(), e.kind.name());
            let forward = self
                .forward
                .get(e)
                .map(String::as_str)
                .or_else(|| local.iter().find(|(x, _)| *x == e).map(|(_, y)| *y));
            if let Some(before) = forward.filter(|before| *before != a) {
                return Err(format!(
                    "<{kind}> is {a} here, but the recorded {e} was sent as {before} earlier in this run"
                ));
            }
            let backward = self
                .backward
                .get(a)
                .map(String::as_str)
                .or_else(|| local.iter().find(|(_, y)| *y == a).map(|(x, _)| *x));
            if let Some(before) = backward.filter(|before| *before != e) {
                return Err(format!(
                    "<{kind}> is {a} here, where the recording has {e}; but {a} stood for the recorded {before} earlier"
                ));
            }
            local.push((e, a));
        }
        Ok(())
    }

    fn learn(&mut self, expected: Vec<Token>, actual: Vec<Token>) {
        for (e, a) in expected.into_iter().zip(actual) {
            if self.forward.contains_key(&e.text) {
                continue;
            }
            self.backward.insert(a.text.clone(), e.text.clone());
            self.forward.insert(e.text.clone(), a.text.clone());
            if e.text != a.text {
                if e.kind == Kind::Tmp {
                    self.tmp_rewrites.push((e.text, a.text));
                    self.tmp_rewrites
                        .sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
                } else {
                    self.rewrites.insert(e.text, a.text);
                }
            }
        }
    }

    /// A recorded line with every value this run sent differently replaced by this run's.
    fn rewrite(&self, line: &str) -> String {
        if self.rewrites.is_empty() && self.tmp_rewrites.is_empty() {
            return line.to_string();
        }
        let mut out = String::with_capacity(line.len() + 16);
        let mut copied = 0;
        let mut i = 0;
        while i < line.len() {
            let Some((kind, _, len)) = match_at(line, i) else {
                i += 1;
                continue;
            };
            let text = &line[i..i + len];
            let replacement = if kind == Kind::Tmp {
                self.tmp_rewrites.iter().find_map(|(from, to)| {
                    let rest = text.strip_prefix(from.as_str())?;
                    (rest.is_empty() || rest.starts_with('/')).then(|| format!("{to}{rest}"))
                })
            } else {
                self.rewrites.get(text).cloned()
            };
            if let Some(r) = replacement {
                out.push_str(&line[copied..i]);
                out.push_str(&r);
                copied = i + len;
            }
            i += len;
        }
        out.push_str(&line[copied..]);
        out
    }

    fn on_send(&mut self, origin: &str, line: &str) {
        if self.mismatch.is_some() || self.end_released {
            return;
        }
        self.sent += 1;
        if let Some(h) = self.hello.take() {
            if h == self.pos && !is_hello(line) {
                // The program's client did not run the hello check (`RumorBuilder::connect`):
                // skip the recorded one and its answer.
                if let EventKind::Send(l) = &self.events[h].kind {
                    self.skipped_token = stmt_token(l);
                }
                self.pos += 1;
                self.release();
            }
        }
        let (actual, actual_tokens) = normalise(line);
        let mut first: Option<(usize, String, Option<String>)> = None;
        let mut candidates = 0;
        for idx in self.pos..self.events.len() {
            let expected_line = match &self.events[idx].kind {
                EventKind::Send(l) if !self.early.contains(&idx) => l,
                EventKind::End(_) => break,
                _ => continue,
            };
            candidates += 1;
            let (expected, expected_tokens) = normalise(expected_line);
            let verdict = if expected == actual {
                self.consistent(&expected_tokens, &actual_tokens)
            } else {
                Err(String::new())
            };
            match verdict {
                Ok(()) => {
                    self.learn(expected_tokens, actual_tokens);
                    if idx == self.pos {
                        self.pos += 1;
                        self.release();
                    } else {
                        self.early.push(idx);
                    }
                    return;
                }
                Err(note) => {
                    if first.is_none() {
                        let note = (!note.is_empty()).then_some(note);
                        first = Some((self.events[idx].line, expected, note));
                    }
                }
            }
            if candidates >= self.window {
                break;
            }
        }
        let (transcript_line, expected, note) = match first {
            Some((l, e, n)) => (l, Some(e), n),
            None => (0, None, None),
        };
        self.fail(Mismatch {
            transcript: origin.to_string(),
            line: transcript_line,
            sent: self.sent,
            expected,
            actual: Some(actual),
            note,
        });
    }

    /// The program sent lines ahead of their turn and then nothing for the stall limit.
    fn stalled(&mut self, origin: &str) {
        let mut early: Vec<usize> = self
            .early
            .iter()
            .map(|i| self.events[i.to_owned()].line)
            .collect();
        early.sort_unstable();
        let Some((line, expected)) = self.first_owed().map(|(l, e)| (l, normalise(e).0)) else {
            return;
        };
        self.fail(Mismatch {
            transcript: origin.to_string(),
            line,
            sent: self.sent + 1,
            expected: Some(expected),
            actual: None,
            note: Some(format!(
                "the program sent the lines recorded at {early:?} ahead of this one, then nothing for {:?}: it sends in another order than recorded",
                self.stall_limit
            )),
        });
    }

    fn fail(&mut self, m: Mismatch) {
        tracing::debug!(target: "pyrum::replay", "{m}");
        self.mismatch = Some(m);
        self.wake();
    }
}

struct ReplaySink {
    shared: Arc<Shared>,
}

impl Sink<String> for ReplaySink {
    type Error = io::Error;
    fn poll_ready(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn start_send(self: Pin<&mut Self>, line: String) -> io::Result<()> {
        // A mismatch is reported on the incoming side (one error, one cause); the line is
        // taken either way.
        let shared = &self.shared;
        shared.state.lock().unwrap().on_send(&shared.origin, &line);
        Ok(())
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_close(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

struct ReplayStream {
    shared: Arc<Shared>,
    /// While lines sent out of order wait: (lines sent when armed, the deadline).
    stall: Option<(usize, Pin<Box<tokio::time::Sleep>>)>,
}

impl Stream for ReplayStream {
    type Item = io::Result<String>;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        let mut st = this.shared.state.lock().unwrap();
        if st.finished {
            return Poll::Ready(None);
        }
        if let Some(item) = st.ready.pop_front() {
            return Poll::Ready(match item {
                Released::Line(l) => Some(Ok(l)),
                Released::End(None) => {
                    st.finished = true;
                    None
                }
                Released::End(Some(e)) => {
                    st.finished = true;
                    Some(Err(io::Error::other(format!("(recorded) {e}"))))
                }
            });
        }
        if st.mismatch.is_none() && !st.early.is_empty() {
            let sent = st.sent;
            if this.stall.as_ref().is_none_or(|(at, _)| *at != sent) {
                let deadline = tokio::time::sleep(st.stall_limit);
                this.stall = Some((sent, Box::pin(deadline)));
            }
            if let Some((_, deadline)) = this.stall.as_mut() {
                if deadline.as_mut().poll(cx).is_ready() {
                    st.stalled(&this.shared.origin);
                }
            }
        } else {
            this.stall = None;
        }
        if let Some(m) = &st.mismatch {
            if !st.mismatch_delivered {
                let text = m.to_string();
                st.mismatch_delivered = true;
                st.finished = true;
                return Poll::Ready(Some(Err(io::Error::other(text))));
            }
        }
        st.waker = Some(cx.waker().clone());
        Poll::Pending
    }
}

// ---- normalisation ------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Id,
    Nonce,
    Stmt,
    Enr,
    Enode,
    Peer,
    Tmp,
    Time,
    Port,
    Hex32,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Id => "id",
            Kind::Nonce => "nonce",
            Kind::Stmt => "stmt",
            Kind::Enr => "enr",
            Kind::Enode => "enode",
            Kind::Peer => "peer",
            Kind::Tmp => "tmp",
            Kind::Time => "time",
            Kind::Port => "port",
            Kind::Hex32 => "hex32",
        }
    }
}

/// One run-specific value found in a line: its kind and its full text.
#[derive(Debug)]
struct Token {
    kind: Kind,
    text: String,
}

/// The line with placeholders, and the values they replace, in order.
fn normalise(line: &str) -> (String, Vec<Token>) {
    let mut out = String::with_capacity(line.len());
    let mut tokens = Vec::new();
    let (mut i, mut copied) = (0, 0);
    while i < line.len() {
        let Some((kind, keep, len)) = match_at(line, i) else {
            i += 1;
            continue;
        };
        out.push_str(&line[copied..i + keep]);
        out.push('<');
        out.push_str(kind.name());
        out.push('>');
        tokens.push(Token {
            kind,
            text: line[i..i + len].to_string(),
        });
        i += len;
        copied = i;
    }
    out.push_str(&line[copied..]);
    (out, tokens)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}

fn prev_is_word(b: &[u8], i: usize) -> bool {
    i > 0 && is_word(b[i - 1])
}

fn run(b: &[u8], from: usize, ok: impl Fn(u8) -> bool) -> usize {
    b[from.min(b.len())..]
        .iter()
        .take_while(|c| ok(**c))
        .count()
}

/// Temp directories of the usual systems (Linux, macOS), besides this system's own.
const FIXED_TEMP_ROOTS: [&str; 2] = ["/tmp/", "/var/folders/"];

fn temp_roots() -> &'static [String] {
    static ROOTS: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    ROOTS.get_or_init(|| {
        let mut roots: Vec<String> = FIXED_TEMP_ROOTS.iter().map(|r| r.to_string()).collect();
        let sys = std::env::temp_dir().to_string_lossy().into_owned();
        let sys = if sys.ends_with('/') {
            sys
        } else {
            format!("{sys}/")
        };
        if sys.len() > 1 && !roots.contains(&sys) {
            roots.push(sys);
        }
        roots
    })
}

const BASE58: &[u8] = b"123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";

/// The run-specific value starting at byte `i`: (kind, bytes kept literally, length).
fn match_at(s: &str, i: usize) -> Option<(Kind, usize, usize)> {
    let b = s.as_bytes();
    let c = b[i];
    if !c.is_ascii() {
        return None;
    }
    let rest = &s[i..];
    // 1. call id py<8 hex>c<N>n<M>
    if rest.starts_with("py") && !prev_is_word(b, i) {
        let hex = run(b, i + 2, |c| {
            c.is_ascii_hexdigit() && !c.is_ascii_uppercase()
        });
        let at = i + 10;
        if hex >= 8 && b.get(at) == Some(&b'c') {
            let conn = run(b, at + 1, |c| c.is_ascii_digit());
            let n = at + 1 + conn;
            if conn > 0 && b.get(n) == Some(&b'n') {
                let num = run(b, n + 1, |c| c.is_ascii_digit());
                if num > 0 {
                    return Some((Kind::Id, 0, n + 1 + num - i));
                }
            }
        }
    }
    // 2. token nonce: `pyrum-step:` or `pyrum-stmt:`, then k<16 hex>:
    if c == b'k' && nonce_len(b, i) && after_token_prefix(s, i) {
        return Some((Kind::Nonce, 0, NONCE_LEN));
    }
    // 3. statement number: `pyrum-stmt:<nonce>:` then digits and `:`
    if c.is_ascii_digit()
        && i > NONCE_LEN + 1
        && b[i - 1] == b':'
        && nonce_len(b, i - 1 - NONCE_LEN)
        && s[..i - 1 - NONCE_LEN].ends_with(STMT_PREFIX)
    {
        let n = run(b, i, |c| c.is_ascii_digit());
        if b.get(i + n) == Some(&b':') {
            return Some((Kind::Stmt, 0, n));
        }
    }
    // 2. ENR
    if rest.starts_with("enr:") && !prev_is_word(b, i) {
        let n = run(b, i + 4, |c| {
            c.is_ascii_alphanumeric() || c == b'-' || c == b'_'
        });
        if n >= 10 {
            return Some((Kind::Enr, 0, 4 + n));
        }
    }
    // 3. enode key
    if rest.starts_with("enode://") && run(b, i + 8, |c| c.is_ascii_hexdigit()) >= 128 {
        return Some((Kind::Enode, 0, 8 + 128));
    }
    // 4. peer id
    if (rest.starts_with("16Uiu2") || rest.starts_with("12D3Koo") || rest.starts_with("Qm"))
        && !prev_is_word(b, i)
    {
        let n = run(b, i, |c| BASE58.contains(&c));
        if (46..=60).contains(&n) && !b.get(i + n).is_some_and(|c| is_word(*c)) {
            return Some((Kind::Peer, 0, n));
        }
    }
    // 5. temp path
    if c == b'/' && !(i > 0 && (is_word(b[i - 1]) || b[i - 1] == b'/' || b[i - 1] == b'.')) {
        if let Some(root) = temp_roots().iter().find(|r| rest.starts_with(r.as_str())) {
            let n = run(b, i, |c| {
                !c.is_ascii_whitespace() && !b"'\",[](){}\\".contains(&c)
            });
            if n > root.len() {
                return Some((Kind::Tmp, 0, n));
            }
        }
    }
    // 6. timestamp
    if c.is_ascii_digit() && !prev_is_word(b, i) {
        if let Some(n) = timestamp_len(b, i) {
            return Some((Kind::Time, 0, n));
        }
    }
    // 7. multiaddr port
    if rest.starts_with("/tcp/") || rest.starts_with("/udp/") {
        let n = run(b, i + 5, |c| c.is_ascii_digit());
        if (1..=5).contains(&n) && !b.get(i + 5 + n).is_some_and(|c| is_word(*c)) {
            return Some((Kind::Port, 5, 5 + n));
        }
    }
    // 8. 32 bytes of hex, with or without 0x
    if c.is_ascii_hexdigit() && !prev_is_word(b, i) {
        let skip = if rest.starts_with("0x") || rest.starts_with("0X") {
            2
        } else {
            0
        };
        let n = run(b, i + skip, |c| c.is_ascii_hexdigit());
        if n == 64 && !b.get(i + skip + n).is_some_and(|c| is_word(*c)) {
            return Some((Kind::Hex32, 0, skip + 64));
        }
    }
    None
}

/// The hello check of a new connection: the statement `echo pyrum`.
fn is_hello(line: &str) -> bool {
    line.starts_with("'echo' 'pyrum-stmt:") && line.contains("'\"$('echo' 'pyrum'; 'printf'")
}

/// `pyrum-stmt:<nonce>:<n>:` of a statement line.
fn stmt_token(line: &str) -> Option<String> {
    let at = line.find(STMT_PREFIX)?;
    let rest = &line[at..];
    let start = STMT_PREFIX.len() + NONCE_LEN + 1;
    let digits = rest
        .get(start..)?
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    (digits > 0).then(|| rest[..start + digits + 1].to_string())
}

/// Length of a token nonce: `k` and 16 hex digits.
const NONCE_LEN: usize = 17;
const STEP_PREFIX: &str = "pyrum-step:";
const STMT_PREFIX: &str = "pyrum-stmt:";

/// A nonce (`k` and 16 lowercase hex digits, then `:`) starts at byte `i`.
fn nonce_len(b: &[u8], i: usize) -> bool {
    b.get(i) == Some(&b'k')
        && run(b, i + 1, |c| {
            c.is_ascii_hexdigit() && !c.is_ascii_uppercase()
        }) == 16
        && b.get(i + NONCE_LEN) == Some(&b':')
}

fn after_token_prefix(s: &str, i: usize) -> bool {
    let before = &s[..i];
    before.ends_with(STEP_PREFIX) || before.ends_with(STMT_PREFIX)
}

/// `YYYY-MM-DDTHH:MM:SS` with optional fraction and zone.
fn timestamp_len(b: &[u8], i: usize) -> Option<usize> {
    let pattern = b"dddd-dd-ddTdd:dd:dd";
    for (k, p) in pattern.iter().enumerate() {
        let c = *b.get(i + k)?;
        let ok = if *p == b'd' {
            c.is_ascii_digit()
        } else {
            c == *p
        };
        if !ok {
            return None;
        }
    }
    let mut n = pattern.len();
    if b.get(i + n) == Some(&b'.') {
        let f = run(b, i + n + 1, |c| c.is_ascii_digit());
        if f > 0 {
            n += 1 + f;
        }
    }
    match b.get(i + n) {
        Some(b'Z') => n += 1,
        Some(b'+') | Some(b'-') => {
            let z = &b[i + n + 1..];
            if z.len() >= 5
                && z[0].is_ascii_digit()
                && z[1].is_ascii_digit()
                && z[2] == b':'
                && z[3].is_ascii_digit()
                && z[4].is_ascii_digit()
            {
                n += 6;
            }
        }
        _ => {}
    }
    Some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(line: &str) -> String {
        normalise(line).0
    }

    #[test]
    fn rules_replace_run_specific_values() {
        assert_eq!(
            norm("'_py0123abcdc12n7' 'alice:' 'lvl_trace' 'host' 'view' &"),
            "'_<id>' 'alice:' 'lvl_trace' 'host' 'view' &"
        );
        assert_eq!(
            norm(r#"'echo' 'pyrum-stmt:k0123456789abcdef:12:'"$('calls'; 'printf' '\n%s' "$?")""#),
            r#"'echo' 'pyrum-stmt:<nonce>:<stmt>:'"$('calls'; 'printf' '\n%s' "$?")""#
        );
        assert_eq!(
            norm(
                r#"{ '_py0123abcdc1n7' 'next' '1m0s'; 'echo' 'pyrum-step:k0123456789abcdef:7:0:'"$?"; } &"#
            ),
            r#"{ '_<id>' 'next' '1m0s'; 'echo' 'pyrum-step:<nonce>:7:0:'"$?"; } &"#
        );
        assert_eq!(
            norm(r#"{"stdout":"pyrum-stmt:k0123456789abcdef:3:pyrum\n0"}"#),
            r#"{"stdout":"pyrum-stmt:<nonce>:<stmt>:pyrum\n0"}"#
        );
        for not_a_token in [
            "'k0123456789abcdef:'",
            "pyrum-step:k0123456789abcde:1:",
            "pyrum-stmt:k0123456789ABCDEF:1:",
        ] {
            assert_eq!(norm(not_a_token), not_a_token);
        }
        assert_eq!(
            norm("'peer' 'connect' '/ip4/127.0.0.1/tcp/39791/p2p/16Uiu2HAm49JJkag5z9zesXZjcYgKLSRouAFnpEPPw6YA61g1Ttho'"),
            "'peer' 'connect' '/ip4/127.0.0.1/tcp/<port>/p2p/<peer>'"
        );
        for key in [
            "57d4ce2ac77445acb97af08b2334c4b18bf0dc48ce668fde1edd3fa8079fcac8",
            "0x57d4ce2ac77445acb97af08b2334c4b18bf0dc48ce668fde1edd3fa8079fcac8",
        ] {
            assert_eq!(norm(&format!("'--priv={key}'")), "'--priv=<hex32>'");
        }
        let longer = "0x57d4ce2ac77445acb97af08b2334c4b18bf0dc48ce668fde1edd3fa8079fcac800";
        assert_eq!(norm(longer), longer, "only exactly 32 bytes");
        assert_eq!(
            norm("'enr:-IO4QNip1da3_cv5s3cX9gnYwdybHvG1Fylr4' '--at=2020-10-20T12:00:00.5Z'"),
            "'<enr>' '--at=<time>'"
        );
        let [linux, macos] = FIXED_TEMP_ROOTS;
        assert_eq!(
            norm(&format!("'--path={linux}pyrum-x1/db' '{macos}ab/T/x'")),
            "'--path=<tmp>' '<tmp>'"
        );
        assert_eq!(
            norm("'--tcp=9000' '/ip4/1.2.3.4/udp/0'"),
            "'--tcp=9000' '/ip4/1.2.3.4/udp/<port>'"
        );
    }

    const T: &str = r#"{"pyrum_transcript":1,"rumor":"v0.3.6","pyrum":"0.1.0","transport":"test"}
{"t":0,"recv":"hello"}
{"t":1,"send":"'_pyaaaaaaaac0n1' 'alice:' 'lvl_trace' 'host' 'start' &"}
{"t":2,"recv":"{\"call_id\":\"pyaaaaaaaac0n1\",\"x\":\"pyaaaaaaaac0n12\"}"}
{"t":3,"send":"exit"}
{"t":4,"end":true}
{"t":5,"closed":"rumor exited (exit status: 0)"}
"#;

    fn replay(text: &str) -> Replay {
        Replay::new(Transcript::parse(text, "t.jsonl").unwrap())
    }

    fn next_line(st: &mut State) -> Option<String> {
        match st.ready.pop_front() {
            Some(Released::Line(l)) => Some(l),
            _ => None,
        }
    }

    #[test]
    fn transcripts_parse() {
        let t = Transcript::parse(T, "t.jsonl").unwrap();
        assert_eq!(t.events().len(), 6);
        assert_eq!(t.events()[1].line, 3);
        assert_eq!(t.events()[4].kind, EventKind::End(None));
        let err = Transcript::parse("{}\n", "x").unwrap_err().to_string();
        assert!(err.contains("not a pyrum transcript"), "{err}");
        let err = Transcript::parse("{\"pyrum_transcript\":9}\n", "x")
            .unwrap_err()
            .to_string();
        assert!(err.contains("version"), "{err}");
    }

    #[test]
    fn sends_release_rewritten_lines_and_mismatches_stop() {
        let replay = replay(T);
        let mut st = replay.shared.state.lock().unwrap();
        assert_eq!(next_line(&mut st).as_deref(), Some("hello"));
        st.on_send(
            "t.jsonl",
            "'_pyccccccccc9n1' 'alice:' 'lvl_trace' 'host' 'start' &",
        );
        assert_eq!(
            next_line(&mut st).as_deref(),
            Some(r#"{"call_id":"pyccccccccc9n1","x":"pyaaaaaaaac0n12"}"#),
            "call 1 is rewritten, call 12 (never sent) is not"
        );
        st.on_send("t.jsonl", "quit");
        let m = st.mismatch.clone().expect("a mismatch");
        assert_eq!((m.line, m.sent), (5, 2));
        assert_eq!(m.expected.as_deref(), Some("exit"));
        assert_eq!(m.actual.as_deref(), Some("quit"));
        let text = m.to_string();
        assert!(
            text.contains("line 5 of t.jsonl") && text.contains("column 1"),
            "{text}"
        );
    }

    #[test]
    fn finish_names_the_first_unsent_line() {
        let m = replay(T).finish().unwrap_err();
        assert_eq!(m.line, 3);
        assert!(m.to_string().contains("stopped after 0 lines"), "{m}");
        assert_eq!(
            m.expected.as_deref(),
            Some("'_<id>' 'alice:' 'lvl_trace' 'host' 'start' &")
        );
    }

    const PEER_A: &str = "16Uiu2HAm49JJkag5z9zesXZjcYgKLSRouAFnpEPPw6YA61g1Ttho";
    const PEER_B: &str = "16Uiu2HAm9jTVTnbEp1mXDvcd6eUGAtV9ARPUgkxDVysZtBzQUgnN";

    fn sends(lines: &[&str]) -> String {
        let mut t = String::from("{\"pyrum_transcript\":1}\n");
        for (k, l) in lines.iter().enumerate() {
            t.push_str(&format!(
                "{{\"t\":0,\"send\":{}}}\n{{\"t\":0,\"recv\":\"after {k}\"}}\n",
                serde_json::Value::String(l.to_string())
            ));
        }
        t
    }

    fn json(s: &str) -> String {
        serde_json::Value::String(s.to_string()).to_string()
    }

    fn statement(nonce: &str, n: u64, words: &str) -> String {
        format!(r#"'echo' 'pyrum-stmt:{nonce}:{n}:'"$({words}; 'printf' '\n%s' "$?")""#)
    }

    fn stdout(nonce: &str, n: u64, out: &str) -> String {
        format!(r#"{{"level":"info","msg":"","stdout":"pyrum-stmt:{nonce}:{n}:{out}\n0"}}"#)
    }

    #[test]
    fn a_recorded_hello_check_is_skipped_when_the_program_runs_none() {
        let (rec, now) = ("k00000000000000aa", "k0123456789abcdef");
        let mut t = String::from("{\"pyrum_transcript\":1}\n");
        for (kind, line) in [
            ("send", statement(rec, 1, "'echo' 'pyrum'")),
            ("recv", stdout(rec, 1, "pyrum")),
            ("recv", "session output".to_string()),
            ("send", statement(rec, 2, "'calls'")),
            ("recv", stdout(rec, 2, "")),
        ] {
            t.push_str(&format!("{{\"t\":0,\"{kind}\":{}}}\n", json(&line)));
        }
        let replay = replay(&t);
        assert!(replay.finish().is_err(), "the `calls` is owed");
        let mut st = replay.shared.state.lock().unwrap();
        assert!(st.ready.is_empty());
        // The program's first statement is number 1 of its own connection.
        st.on_send("t", &statement(now, 1, "'calls'"));
        assert!(st.mismatch.is_none(), "{:?}", st.mismatch);
        assert_eq!(next_line(&mut st).as_deref(), Some("session output"));
        assert_eq!(
            next_line(&mut st),
            Some(stdout(now, 1, "")),
            "the answer carries this run's nonce and number; the hello's answer is dropped"
        );
        drop(st);
        replay.finish().unwrap();

        // A program that does run the check replays it as recorded.
        let replay = super::Replay::new(Transcript::parse(&t, "t").unwrap());
        let mut st = replay.shared.state.lock().unwrap();
        st.on_send("t", &statement(now, 1, "'echo' 'pyrum'"));
        assert_eq!(next_line(&mut st), Some(stdout(now, 1, "pyrum")));
        st.on_send("t", &statement(now, 2, "'calls'"));
        assert!(st.mismatch.is_none(), "{:?}", st.mismatch);
    }

    #[test]
    fn values_must_correspond_one_to_one() {
        let t = sends(&[&format!("a {PEER_A}"), &format!("b {PEER_A}")]);
        let replay = replay(&t);
        let mut st = replay.shared.state.lock().unwrap();
        st.on_send("t", &format!("a {PEER_B}"));
        assert!(st.mismatch.is_none(), "another peer id, consistently: fine");
        st.on_send("t", &format!("b {PEER_A}"));
        let m = st.mismatch.clone().expect("PEER_A stood for itself before");
        assert_eq!(m.expected, m.actual, "equal after normalisation");
        let text = m.to_string();
        assert!(text.contains("note: <peer> is 16Uiu2HAm49"), "{text}");
    }

    #[test]
    fn concurrent_sends_may_come_in_another_order() {
        let replay = replay(&sends(&["one", "two", "three"]));
        let mut st = replay.shared.state.lock().unwrap();
        st.ready.clear();
        st.on_send("t", "two");
        assert!(st.mismatch.is_none());
        assert!(
            st.ready.is_empty(),
            "answers wait for the line recorded before"
        );
        st.on_send("t", "one");
        assert_eq!(next_line(&mut st).as_deref(), Some("after 0"));
        assert_eq!(next_line(&mut st).as_deref(), Some("after 1"));
        assert!(st.ready.is_empty());
        st.on_send("t", "three");
        assert_eq!(next_line(&mut st).as_deref(), Some("after 2"));
        drop(st);
        replay.finish().unwrap();
    }

    #[test]
    fn strict_replays_demand_the_recorded_order() {
        let replay = replay(&sends(&["one", "two"])).reorder_window(1);
        let mut st = replay.shared.state.lock().unwrap();
        st.on_send("t", "two");
        assert_eq!(
            st.mismatch.as_ref().unwrap().expected.as_deref(),
            Some("one")
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_program_that_waits_after_reordering_fails_instead_of_hanging() {
        let replay = replay(&sends(&["one", "two"]));
        let rumor = replay.rumor();
        rumor.send_raw_line("two").await.unwrap();
        // The answer to `two` is recorded after `one`, which never comes: the replay says so.
        let err = rumor.closed().await;
        let text = err.to_string();
        assert!(
            text.contains("line 2 of t.jsonl was never sent")
                && text.contains("recorded at [4] ahead of this one"),
            "{text}"
        );
    }
}
