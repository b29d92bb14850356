//! Unit tests of the pure router: lines of text in, results and lines out. No tasks, no I/O:
//! waiters are polled with a no-op waker.

use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use super::*;
use crate::entry::Entry;

const PREFIX: &str = "pyT0c0n";
const NONCE: &str = "k0123456789abcdef";

impl Router {
    /// The lines to send (the wakers are dropped: the tests poll with no-op wakers).
    fn take_lines(&mut self) -> Vec<String> {
        self.take_output().0
    }
}

fn router() -> Router {
    Router::new(PREFIX.into(), NONCE.into(), 16)
}

fn cx() -> Context<'static> {
    Context::from_waker(Waker::noop())
}

fn entry(json: &str) -> Entry {
    Entry::parse(json).expect("a JSON entry")
}

/// Routes an entry of call `n` with extra JSON fields (`"k":v,...`).
fn log(r: &mut Router, n: u64, fields: &str) -> bool {
    let comma = if fields.is_empty() { "" } else { "," };
    let line = format!(
        r#"{{"call_id":"{PREFIX}{n}","actor":"a","level":"info","msg":""{comma}{fields}}}"#
    );
    matches!(r.route(entry(&line)), Routed::Taken)
}

fn stdout(r: &mut Router, text: &str) -> Routed {
    r.route(entry(&serde_json::json!({"level": "info", "msg": "", "stdout": text}).to_string()))
}

fn open(r: &mut Router, cancel_on_drop: bool) -> u64 {
    r.open_call("a: host notify".into(), cancel_on_drop, None).unwrap().0
}

#[test]
fn cancel_is_held_until_rumor_registered_the_call() {
    let mut r = router();
    let n = open(&mut r, true);
    r.request_cancel(n);
    r.request_cancel(n);
    assert!(r.take_lines().is_empty(), "sent before Rumor has the call");
    assert!(r.poll_cancel(n, &cx()).is_pending());
    log(&mut r, n, r#""__success":"true""#);
    assert_eq!(r.take_lines(), [format!("'_{PREFIX}{n}' 'cancel' &")]);
    // Idempotent: no second line.
    r.request_cancel(n);
    assert!(r.take_lines().is_empty());
    log(&mut r, n, r#""__freed":"true""#);
    assert!(matches!(r.poll_cancel(n, &cx()), Poll::Ready(Ok(()))));
    assert_eq!(r.pending(), 0);
}

#[test]
fn nothing_to_cancel_after_freed_is_success_and_other_failures_reach_the_waiter() {
    let mut r = router();
    let n = open(&mut r, false);
    log(&mut r, n, r#""__success":"true""#);
    r.request_cancel(n);
    assert_eq!(r.take_lines().len(), 1);
    let failed = |msg: &str| {
        serde_json::json!({"level": "warning", "msg": "failed", "args": [format!("_{PREFIX}{n}"), "cancel"], "error": msg})
            .to_string()
    };
    r.route(entry(&failed("exit status 1: stop hook failed")));
    // A `finished()` waiter woken by the refusal, polled first, neither ends nor takes it: every
    // cancel waiter gets it.
    assert!(r.poll_finished(n, &cx()).is_pending());
    for _ in 0..2 {
        match r.poll_cancel(n, &cx()) {
            Poll::Ready(Err(Error::Command { message, .. })) => {
                assert!(message.contains("stop hook"))
            }
            other => panic!("{other:?}"),
        }
    }
    // A retry sends again; Rumor then frees the call before saying "nothing to cancel".
    r.request_cancel(n);
    assert_eq!(r.take_lines().len(), 1);
    log(&mut r, n, r#""__freed":"true""#);
    r.route(entry(&failed("exit status 1: nothing to cancel")));
    assert!(matches!(r.poll_cancel(n, &cx()), Poll::Ready(Ok(()))));
}

#[test]
fn dropping_the_last_handle_cancels_a_cancel_on_drop_call() {
    let mut r = router();
    let n = open(&mut r, true);
    let plain = open(&mut r, false);
    log(&mut r, n, r#""__success":"true""#);
    log(&mut r, plain, r#""__success":"true""#);
    r.add_handle(n);
    r.drop_handle(n);
    assert!(r.take_lines().is_empty(), "one handle is left");
    r.drop_handle(n);
    r.drop_handle(plain);
    assert_eq!(r.take_lines(), [format!("'_{PREFIX}{n}' 'cancel' &")]);
    // The finished call without handles leaves the table.
    log(&mut r, plain, r#""__freed":"true""#);
    log(&mut r, n, r#""__freed":"true""#);
    assert_eq!(r.pending(), 0);
    assert!(r.calls.is_empty());
}

/// `(seq, status)` of the step token in a `next` line.
fn step_token(line: &str) -> String {
    let start = line.find("'pyrum-step:").expect("a step token") + 1;
    let end = line[start..].find('\'').unwrap() + start;
    line[start..end].to_string()
}

#[test]
fn steps_go_out_one_at_a_time_in_order_with_their_own_results() {
    let mut r = router();
    let n = open(&mut r, true);
    let s0 = r.start_step(n, Duration::from_secs(5)).unwrap();
    let s1 = r.start_step(n, Duration::from_secs(5)).unwrap();
    assert!(r.take_lines().is_empty(), "held until Rumor registered the call");
    log(&mut r, n, r#""__success":"true""#);
    let lines = r.take_lines();
    assert_eq!(lines.len(), 1, "one next at a time: {lines:?}");
    assert!(lines[0].starts_with(&format!("{{ '_{PREFIX}{n}' 'next' '5s'; 'echo' ")));
    let token0 = step_token(&lines[0]);
    assert_eq!(token0, format!("pyrum-step:{NONCE}:{n}:{s0}:"));

    log(&mut r, n, r#""req_id":7"#);
    log(&mut r, n, r#""__step":true"#);
    assert!(r.poll_step(n, s0, &cx()).is_pending(), "a step ends with its token");
    stdout(&mut r, &format!("{token0}0\n"));
    match r.poll_step(n, s0, &cx()) {
        Poll::Ready(Ok(out)) => assert_eq!(out.fields["req_id"], 7),
        other => panic!("{other:?}"),
    }
    // The token released the next step.
    let lines = r.take_lines();
    assert_eq!(step_token(&lines[0]), format!("pyrum-step:{NONCE}:{n}:{s1}:"));
    assert!(r.poll_step(n, s1, &cx()).is_pending());
}

#[test]
fn a_dropped_step_is_never_sent_or_its_result_is_thrown_away() {
    let mut r = router();
    let n = open(&mut r, true);
    log(&mut r, n, r#""__success":"true""#);
    let s0 = r.start_step(n, Duration::from_secs(5)).unwrap();
    let s1 = r.start_step(n, Duration::from_secs(5)).unwrap();
    let s2 = r.start_step(n, Duration::from_secs(5)).unwrap();
    let token0 = step_token(&r.take_lines()[0]);
    // s1 is still queued: dropped, it is never sent. s0 is in Rumor: its result is discarded.
    r.abandon_step(n, s1);
    r.abandon_step(n, s0);
    log(&mut r, n, r#""req_id":1"#);
    log(&mut r, n, r#""__step":true"#);
    stdout(&mut r, &format!("{token0}0\n"));
    let lines = r.take_lines();
    assert_eq!(lines.len(), 1);
    assert_eq!(step_token(&lines[0]), format!("pyrum-step:{NONCE}:{n}:{s2}:"));
    log(&mut r, n, r#""req_id":2"#);
    log(&mut r, n, r#""__step":true"#);
    stdout(&mut r, &format!("{}0\n", step_token(&lines[0])));
    match r.poll_step(n, s2, &cx()) {
        Poll::Ready(Ok(out)) => {
            assert_eq!(out.fields["req_id"], 2, "not the dropped step's request")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn tokens_without_the_secret_are_session_output() {
    let mut r = router();
    let n = open(&mut r, true);
    log(&mut r, n, r#""__success":"true""#);
    let s = r.start_step(n, Duration::from_secs(5)).unwrap();
    r.take_lines();
    for forged in [
        format!("pyrum-step:{PREFIX}{n}:0"),
        format!("pyrum-step:k0000000000000000:{n}:{s}:0"),
        format!("pyrum-step::{n}:{s}:0"),
        "pyrum-stmt:k0000000000000000:1:x\n0".to_string(),
    ] {
        assert!(matches!(stdout(&mut r, &forged), Routed::Session(_)), "{forged}");
    }
    assert!(r.poll_step(n, s, &cx()).is_pending());
}

#[test]
fn a_step_that_ran_then_failed_keeps_its_output() {
    let mut r = router();
    let n = open(&mut r, true);
    log(&mut r, n, r#""__success":"true""#);
    let s = r.start_step(n, Duration::from_secs(5)).unwrap();
    let token = step_token(&r.take_lines()[0]);
    log(&mut r, n, r#""result_code":2"#);
    log(&mut r, n, r#""__step":true"#);
    r.route(entry(
        &serde_json::json!({"level": "warning", "msg": "failed", "args": [format!("_{PREFIX}{n}"), "next", "5s"], "error": "exit status 1: step failed: got 2 reqresp result code"})
            .to_string(),
    ));
    stdout(&mut r, &format!("{token}1\n"));
    match r.poll_step(n, s, &cx()) {
        Poll::Ready(Ok(out)) => {
            assert_eq!(out.fields["result_code"], 2);
            assert!(out.error.unwrap().contains("result code"));
        }
        other => panic!("{other:?}"),
    }
}

/// The token of statement `k` with captured `stdout` and `status`.
fn stmt_token(k: u64, stdout: &str, status: i32) -> String {
    format!("pyrum-stmt:{NONCE}:{k}:{stdout}\n{status}")
}

#[test]
fn statements_take_only_what_is_theirs_in_order() {
    let mut r = router();
    let k1 = r.open_statement(vec!["alice:".into(), "calls".into()]).unwrap();
    let k2 = r.open_statement(vec!["grab".into(), "x".into()]).unwrap();
    let lines = r.take_lines();
    assert_eq!(
        lines[0],
        format!(
            "'echo' 'pyrum-stmt:{NONCE}:{k1}:'\"$('alice:' 'calls'; 'printf' '\\n%s' \"$?\")\""
        )
    );
    // Session output of others, then the listing of alice's calls, then bob's (not ours).
    assert!(matches!(stdout(&mut r, "noise"), Routed::Session(_)));
    let listing = |actor: &str| {
        entry(&serde_json::json!({"level": "info", "msg": "list of running calls of actor", "actor": actor, "calls": {}}).to_string())
    };
    assert!(matches!(r.route(listing("bob")), Routed::Session(_)));
    assert!(matches!(r.route(listing("alice")), Routed::Taken));
    stdout(&mut r, &stmt_token(k1, "", 0));
    match r.poll_statement(k1, &cx()) {
        Poll::Ready(Ok(out)) => {
            assert_eq!(out.entries.len(), 1);
            assert_eq!(out.entries[0].actor.as_deref(), Some("alice"));
        }
        other => panic!("{other:?}"),
    }
    // The second: its failure with its exact words, its status.
    r.route(entry(
        &serde_json::json!({"level": "warning", "msg": "failed", "args": ["grab", "x"], "error": "exit status 1: unknown variable"}).to_string(),
    ));
    stdout(&mut r, &stmt_token(k2, "", 1));
    match r.poll_statement(k2, &cx()) {
        Poll::Ready(Err(Error::Command { message, .. })) => {
            assert!(message.contains("unknown variable"))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_dropped_statement_takes_its_output_with_it() {
    let mut r = router();
    let k1 = r.open_statement(vec!["echo".into(), "a".into()]).unwrap();
    let k2 = r.open_statement(vec!["echo".into(), "b".into()]).unwrap();
    r.abandon_statement(k1);
    stdout(&mut r, &stmt_token(k1, "a\n", 0));
    assert!(r.poll_statement(k2, &cx()).is_pending());
    stdout(&mut r, &stmt_token(k2, "b\n", 0));
    match r.poll_statement(k2, &cx()) {
        Poll::Ready(Ok(out)) => assert_eq!(out.stdout, "b\n"),
        other => panic!("{other:?}"),
    }
    assert!(r.stmt_done.is_empty());
}

#[test]
fn setup_deadline_fails_the_setup_and_forgets_a_call_rumor_never_registered() {
    let mut r = router();
    let t0 = Instant::now();
    let limit = Some(Duration::from_secs(1));
    let (never, in_setup) = r.open_call("a: true".into(), false, Some(t0)).unwrap();
    assert_eq!(in_setup, 1);
    let (slow, in_setup) = r.open_call("a: sleep".into(), false, Some(t0)).unwrap();
    assert_eq!(in_setup, 2);
    log(&mut r, slow, r#""msg":"sleeping""#);
    r.sweep(t0 - Duration::from_millis(1), limit);
    assert!(r.poll_setup(never, &cx()).is_pending(), "not due yet");
    r.sweep(t0, limit);
    assert!(matches!(r.poll_setup(never, &cx()), Poll::Ready(Err(Error::Timeout { .. }))));
    assert!(matches!(r.poll_setup(slow, &cx()), Poll::Ready(Err(Error::Timeout { .. }))));
    assert!(r.is_finished(never));
    assert!(!r.is_finished(slow), "registered: it may still run in Rumor");
    assert_eq!(r.pending(), 1);
}

#[test]
fn calls_past_their_setup_do_not_count_as_in_setup() {
    let mut r = router();
    let at = Some(Instant::now() + Duration::from_secs(60));
    // A subscription that stays open after its setup: open, but no longer in setup.
    let (sub, _) = r.open_call("a: host notify".into(), true, at).unwrap();
    log(&mut r, sub, r#""__success":"true""#);
    let (_, in_setup) = r.open_call("a: host view".into(), false, at).unwrap();
    assert_eq!((in_setup, r.pending()), (1, 2));
    let (_, in_setup) = r.open_call("a: host view".into(), false, at).unwrap();
    assert_eq!(in_setup, 2);
}

#[test]
fn a_call_that_failed_before_any_marker_ends() {
    let mut r = router();
    let n = open(&mut r, false);
    r.route(entry(
        &serde_json::json!({"level": "warning", "msg": "failed", "args": [format!("_{PREFIX}{n}"), "a:", "lvl_trace", "nope"], "error": "exit status 127: not found"}).to_string(),
    ));
    assert!(matches!(r.poll_setup(n, &cx()), Poll::Ready(Err(Error::Command { .. }))));
    assert!(r.is_finished(n));
    assert_eq!(r.pending(), 0);
}

#[test]
fn close_fails_everything_at_once() {
    let mut r = router();
    let a = open(&mut r, true);
    let b = open(&mut r, true);
    log(&mut r, b, r#""__success":"true""#);
    let s = r.start_step(b, Duration::from_secs(5)).unwrap();
    let k = r.open_statement(vec!["echo".into()]).unwrap();
    r.close(Error::disconnected("gone"));
    assert!(matches!(r.poll_setup(a, &cx()), Poll::Ready(Err(Error::Disconnected { .. }))));
    assert!(matches!(r.poll_step(b, s, &cx()), Poll::Ready(Err(Error::Disconnected { .. }))));
    assert!(matches!(r.poll_finished(b, &cx()), Poll::Ready(Err(Error::Disconnected { .. }))));
    assert!(matches!(r.poll_statement(k, &cx()), Poll::Ready(Err(Error::Disconnected { .. }))));
    assert!(r.open_call("x".into(), false, None).is_err());
    assert_eq!(r.pending(), 0);
}

#[test]
fn streams_read_every_entry_and_lag_alone() {
    let mut r = Router::new(PREFIX.into(), NONCE.into(), 2);
    let n = open(&mut r, true);
    let (mut cursor, mut ended) = (r.first_seq(n), false);
    for i in 0..3 {
        log(&mut r, n, &format!(r#""i":{i}"#));
    }
    match r.poll_entry(n, &mut cursor, None, &mut ended, &cx()) {
        Poll::Ready(Some(Err(Error::Lagged { missed: 1, .. }))) => {}
        other => panic!("{other:?}"),
    }
    for want in [1, 2] {
        match r.poll_entry(n, &mut cursor, None, &mut ended, &cx()) {
            Poll::Ready(Some(Ok(e))) => assert_eq!(e.fields["i"], want),
            other => panic!("{other:?}"),
        }
    }
    assert!(r.poll_entry(n, &mut cursor, None, &mut ended, &cx()).is_pending());
    log(&mut r, n, r#""__freed":"true""#);
    assert!(matches!(r.poll_entry(n, &mut cursor, None, &mut ended, &cx()), Poll::Ready(None)));
}

/// A counting waker: how often it was woken, and which one it is (`will_wake` compares the data
/// pointer).
struct Count(std::sync::atomic::AtomicUsize);

impl std::task::Wake for Count {
    fn wake(self: Arc<Self>) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}

#[test]
fn a_plain_call_stays_small_and_every_waiter_is_woken_once() {
    // 100k calls in flight each hold one record: the rare parts live behind one pointer.
    assert!(std::mem::size_of::<Rec>() <= 104, "Rec is {} bytes", std::mem::size_of::<Rec>());
    let mut r = router();
    let n = open(&mut r, false);
    let (a, b) = (Arc::new(Count(0.into())), Arc::new(Count(0.into())));
    let (wa, wb) = (Waker::from(a.clone()), Waker::from(b.clone()));
    // The same waiter twice is kept once, without the rare parts; a second waiter joins it.
    for w in [&wa, &wa] {
        assert!(r.poll_finished(n, &Context::from_waker(w)).is_pending());
    }
    assert!(r.calls[&n].rare.is_none(), "one waiter allocates no rare parts");
    for w in [&wb, &wb, &wa] {
        assert!(r.poll_finished(n, &Context::from_waker(w)).is_pending());
    }
    log(&mut r, n, r#""__freed":"true""#);
    r.take_output().1.into_iter().for_each(Waker::wake);
    let woken = |c: &Arc<Count>| c.0.load(std::sync::atomic::Ordering::SeqCst);
    assert_eq!((woken(&a), woken(&b)), (1, 1));
    assert!(r.poll_finished(n, &cx()).is_ready());
}

#[test]
fn only_our_own_spelling_of_a_call_number_names_the_call() {
    let mut r = router();
    let n = open(&mut r, false);
    let m = open(&mut r, false);
    assert_eq!(call_number(PREFIX, &format!("{PREFIX}{m}")), Some(m));
    assert_eq!(call_number(PREFIX, &format!("{PREFIX}0")), Some(0));
    for id in [
        format!("{PREFIX}0{m}"),
        format!("{PREFIX}+{m}"),
        format!("{PREFIX}-{m}"),
        format!("{PREFIX}{m} "),
        format!("{PREFIX}00"),
        format!("{PREFIX}0{n}"),
        PREFIX.to_string(),
        format!("x{PREFIX}{m}"),
    ] {
        assert_eq!(call_number(PREFIX, &id), None, "{id}");
        // Another client's call (dropped), not ours: our calls are still in setup.
        let line = format!(
            r#"{{"__success":"true","call_id":"{id}","actor":"a","level":"trace","msg":"x"}}"#
        );
        r.route(entry(&line));
        assert!(r.poll_setup(n, &cx()).is_pending(), "{id} reached call {n}");
        assert!(r.poll_setup(m, &cx()).is_pending(), "{id} reached call {m}");
    }
    assert!(log(&mut r, m, r#""__success":"true""#));
    assert!(r.poll_setup(m, &cx()).is_ready());
}
