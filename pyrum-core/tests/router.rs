//! The client's routing against an in-process fake Rumor built on [`Wire::new`].
//!
//! The fake reads each line the client sends, checks its quoting word by word, and answers with
//! scripted JSON entries, the way Rumor v0.3.6 writes them (rumor-protocol.md §3).

use std::io;
use std::time::{Duration, Instant};

use futures_util::future::select_all;
use futures_util::{sink, stream};
use pyrum_core::{Call, Command, Error, Level, Rumor, RumorBuilder, Wire};
use serde_json::{json, Value};
use tokio::sync::mpsc;

/// Upper bound for every wait, so that a routing bug fails instead of hanging.
const LIMIT: Duration = Duration::from_secs(5);

async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(LIMIT, fut)
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within {LIMIT:?}"))
}

/// Asserts that `fut` is still pending after a short while.
async fn still_pending<T: std::fmt::Debug>(what: &str, fut: impl std::future::Future<Output = T>) {
    if let Ok(v) = tokio::time::timeout(Duration::from_millis(50), fut).await {
        panic!("{what} should still be waiting, got {v:?}");
    }
}

/// Splits a line the client sent into its words, checking the quoting rules of
/// rumor-protocol.md §2.2: every word single-quoted, `'` written as `'\''`, words separated by
/// one space, optionally ending in ` &`. Returns the words and whether the line ends in `&`.
fn unquote(line: &str) -> (Vec<String>, bool) {
    let (body, background) = match line.strip_suffix(" &") {
        Some(b) => (b, true),
        None => (line, false),
    };
    let mut words = Vec::new();
    let mut rest = body;
    loop {
        let Some(after_open) = rest.strip_prefix('\'') else {
            panic!("word not single-quoted at {rest:?} in line {line:?}");
        };
        let mut word = String::new();
        let mut r = after_open;
        loop {
            let Some(i) = r.find('\'') else {
                panic!("unterminated quote in line {line:?}");
            };
            word.push_str(&r[..i]);
            r = &r[i + 1..];
            match r.strip_prefix("\\''") {
                Some(more) => {
                    word.push('\'');
                    r = more;
                }
                None => break,
            }
        }
        words.push(word);
        if r.is_empty() {
            break;
        }
        rest = r
            .strip_prefix(' ')
            .unwrap_or_else(|| panic!("words must be separated by one space: {r:?} in {line:?}"));
    }
    (words, background)
}

/// One call line as the fake saw it.
#[derive(Debug)]
struct Sent {
    id: String,
    actor: String,
    words: Vec<String>,
}

/// The Rumor side of the wire.
struct Fake {
    from_client: mpsc::UnboundedReceiver<String>,
    to_client: Option<mpsc::UnboundedSender<io::Result<String>>>,
    /// The step tokens of the `next` lines seen, per call id, oldest first.
    tokens: std::collections::HashMap<String, std::collections::VecDeque<String>>,
}

impl Fake {
    /// A client on a fake wire, with the given settings.
    fn connect(builder: RumorBuilder) -> (Rumor, Fake) {
        let (out_tx, out_rx) = mpsc::unbounded_channel::<String>();
        let (in_tx, mut in_rx) = mpsc::unbounded_channel::<io::Result<String>>();
        let sink = sink::unfold(out_tx, |tx, line: String| async move {
            tx.send(line)
                .map_err(|_| io::Error::new(io::ErrorKind::BrokenPipe, "fake rumor gone"))?;
            Ok::<_, io::Error>(tx)
        });
        let stream = stream::poll_fn(move |cx| in_rx.poll_recv(cx));
        let rumor = builder.connect(Wire::new("fake", sink, stream));
        (rumor, Fake { from_client: out_rx, to_client: Some(in_tx), tokens: Default::default() })
    }

    /// The next line the client sent, raw.
    async fn line(&mut self) -> String {
        within("a line from the client", self.from_client.recv()).await.expect("client hung up")
    }

    /// The next line, which must be a call: `'_id' 'actor:' 'lvl_trace' words... &`.
    async fn call(&mut self) -> Sent {
        let line = self.line().await;
        let (mut words, background) = unquote(&line);
        assert!(background, "calls run in the background: {line:?}");
        assert!(words.len() >= 4, "{line:?}");
        let rest = words.split_off(3);
        let id = words[0]
            .strip_prefix('_')
            .unwrap_or_else(|| panic!("first word is the call id: {line:?}"));
        let actor = words[1]
            .strip_suffix(':')
            .unwrap_or_else(|| panic!("second word is the actor: {line:?}"));
        assert_eq!(words[2], "lvl_trace", "{line:?}");
        Sent { id: id.to_string(), actor: actor.to_string(), words: rest }
    }

    /// The next line, which must be a control line: `'_id' 'cancel' &`, or a `next` in its
    /// group `{ '_id' 'next' 'T'; 'echo' 'pyrum-step:<nonce>:<n>:<seq>:'"$?"; } &`. Returns the
    /// control words (`_id`, `next`, ...) and keeps the step's token for [`Fake::step_done`].
    async fn control(&mut self) -> Vec<String> {
        let line = self.line().await;
        if let Some(group) = line.strip_prefix("{ ") {
            let (control, echo) = group
                .split_once("; 'echo' ")
                .unwrap_or_else(|| panic!("a next group ends with an echo: {line:?}"));
            let (words, background) = unquote(control);
            assert!(!background, "{line:?}");
            let id = words[0].strip_prefix('_').expect("call id first");
            let token = echo
                .strip_prefix('\'')
                .and_then(|e| e.strip_suffix("'\"$?\"; } &"))
                .unwrap_or_else(|| panic!("the echo of a next: {line:?}"));
            let number = id.rsplit('n').next().unwrap();
            assert!(
                token.starts_with("pyrum-step:k") && token.contains(&format!(":{number}:")),
                "{line:?}"
            );
            self.tokens.entry(id.to_string()).or_default().push_back(token.to_string());
            return words;
        }
        let (words, background) = unquote(&line);
        assert!(background, "{line:?}");
        words
    }

    /// The echo that ends the oldest open `next` of `sent` with exit `status`.
    fn step_done(&mut self, sent: &Sent, status: i32) {
        let token = self
            .tokens
            .get_mut(&sent.id)
            .and_then(|t| t.pop_front())
            .unwrap_or_else(|| panic!("no next of {} is open", sent.id));
        self.send(json!({"level": "info", "msg": "", "stdout": format!("{token}{status}\n")}));
    }

    fn send_raw(&self, line: &str) {
        self.to_client
            .as_ref()
            .expect("stream still open")
            .send(Ok(line.to_string()))
            .expect("client reader gone");
    }

    /// Sends one entry, with the `time` and `level` Rumor always adds (unless given).
    fn send(&self, entry: Value) {
        let mut obj = entry.as_object().expect("an object").clone();
        obj.entry("level").or_insert(json!("info"));
        obj.entry("msg").or_insert(json!(""));
        obj.insert("time".into(), json!("2020-10-20T00:00:00.000000000Z"));
        self.send_raw(&Value::Object(obj).to_string());
    }

    /// An entry of call `sent` with extra fields.
    fn log(&self, sent: &Sent, fields: Value) {
        let mut obj = fields.as_object().expect("an object").clone();
        obj.insert("call_id".into(), json!(sent.id));
        obj.insert("actor".into(), json!(sent.actor));
        self.send(Value::Object(obj));
    }

    fn success(&self, sent: &Sent) {
        self.log(sent, json!({"__success": "true", "level": "trace", "msg": "completed call"}));
    }

    fn error(&self, sent: &Sent, message: &str) {
        self.log(
            sent,
            json!({"__error": message, "level": "trace", "msg": "call failed with error"}),
        );
    }

    fn step(&self, sent: &Sent) {
        self.log(sent, json!({"__step": true, "level": "trace", "msg": "Step complete"}));
    }

    fn freed(&self, sent: &Sent) {
        self.log(sent, json!({"__freed": "true", "level": "trace", "msg": "freed call resources"}));
    }

    /// The session's `failed` warning for a statement whose words were `args`.
    fn failed(&self, args: Vec<String>, error: &str) {
        self.send(json!({"level": "warning", "msg": "failed", "args": args, "error": error}));
    }

    /// Ends Rumor's output (as if it exited).
    fn hang_up(&mut self) {
        self.to_client = None;
    }
}

fn fake() -> (Rumor, Fake) {
    Fake::connect(Rumor::builder())
}

fn command_message(err: &Error) -> &str {
    match err {
        Error::Command { message, .. } => message,
        other => panic!("expected Error::Command, got {other:?}"),
    }
}

async fn call(rumor: &Rumor, actor: &str, cmd: Command) -> Call {
    rumor.actor(actor).unwrap().call(cmd).await.unwrap()
}

#[tokio::test]
async fn every_word_is_single_quoted() {
    let (rumor, mut fake) = fake();
    let nasty = "it's $HOME `id` $(touch x) \"q\" a b\nc;&|#*";
    let c = call(
        &rumor,
        "alice",
        Command::new(["peer", "connect"]).flag("addr", nasty).positional("o'clock"),
    )
    .await;
    let line = fake.line().await;
    let expected = format!(
        "'_{}' 'alice:' 'lvl_trace' 'peer' 'connect' '--addr=it'\\''s $HOME `id` $(touch x) \"q\" a b\nc;&|#*' '--' 'o'\\''clock' &",
        c.id()
    );
    assert_eq!(line, expected);
    let (words, background) = unquote(&line);
    assert!(background);
    assert_eq!(
        words,
        [
            format!("_{}", c.id()).as_str(),
            "alice:",
            "lvl_trace",
            "peer",
            "connect",
            &format!("--addr={nasty}"),
            "--",
            "o'clock"
        ]
    );

    // Control lines are quoted the same way.
    let stepping = tokio::spawn({
        let c = c.clone();
        async move { c.step(Some(Duration::from_millis(1500))).await }
    });
    // (The `next` waits until Rumor registered the call: any entry of it.)
    let sent = Sent { id: c.id().to_string(), actor: "alice".into(), words: Vec::new() };
    fake.log(&sent, json!({"msg": "started"}));
    let line = fake.line().await;
    let prefix = format!("{{ '_{id}' 'next' '1500ms'; 'echo' 'pyrum-step:k", id = c.id());
    assert!(line.starts_with(&prefix), "{line}");
    assert!(line.ends_with(":0:'\"$?\"; } &"), "{line}");
    stepping.abort();

    // Words that no quoting can carry are refused before anything is sent.
    let err = rumor
        .actor("alice")
        .unwrap()
        .call(Command::new(["echo"]).positional("a\0b"))
        .await
        .expect_err("NUL cannot be sent");
    assert!(matches!(err, Error::InvalidInput { .. }), "{err:?}");
    assert!(rumor.actor("bad name").is_err(), "actor names are checked too");
    still_pending("the fake's input", fake.from_client.recv()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn entries_are_routed_by_call_id() {
    let (rumor, mut fake) = fake();
    let a = call(&rumor, "alice", Command::new(["host", "view"])).await;
    let b = call(&rumor, "bob", Command::new(["host", "view"])).await;
    let c = call(&rumor, "carol", Command::new(["host", "view"])).await;
    let sa = fake.call().await;
    let sb = fake.call().await;
    let sc = fake.call().await;
    assert_eq!((sa.id.as_str(), sb.id.as_str()), (a.id(), b.id()));
    assert_eq!(sc.actor, "carol");
    assert_eq!(sa.words, ["host", "view"]);
    let ids = [a.id(), b.id(), c.id()];
    assert!(ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2], "{ids:?}");

    // Interleaved, out of order.
    fake.log(&sc, json!({"peer_id": "carol-id", "msg": "Peer ID"}));
    fake.log(&sa, json!({"peer_id": "alice-id"}));
    fake.log(&sb, json!({"peer_id": "bob-id"}));
    fake.log(&sa, json!({"addr": "/ip4/1.2.3.4/tcp/1"}));
    // An entry of a call this client does not know is ignored.
    fake.send(json!({"call_id": "someone_else", "actor": "x", "peer_id": "nobody"}));
    fake.success(&sb);
    still_pending("alice's setup", a.setup()).await;
    fake.success(&sc);
    fake.success(&sa);

    let out_a = within("a", a.setup()).await.unwrap();
    let out_b = within("b", b.setup()).await.unwrap();
    let out_c = within("c", c.setup()).await.unwrap();
    assert_eq!(out_a.fields["peer_id"], "alice-id");
    assert_eq!(out_a.fields["addr"], "/ip4/1.2.3.4/tcp/1");
    assert_eq!(out_a.entries.len(), 2);
    assert_eq!(out_b.fields["peer_id"], "bob-id");
    assert!(!out_b.fields.contains_key("addr"));
    assert_eq!(out_c.fields["peer_id"], "carol-id");
    assert_eq!(out_c.entries[0].msg, "Peer ID");
    assert_eq!(out_c.entries[0].actor.as_deref(), Some("carol"));

    // Freed calls leave the table; the others stay.
    fake.freed(&sa);
    fake.freed(&sb);
    within("a freed", a.finished()).await.unwrap();
    within("b freed", b.finished()).await.unwrap();
    assert!(!c.is_finished());
    assert_eq!(rumor.pending_calls(), 1, "a freed call leaves the table before it wakes anyone");
}

#[tokio::test]
async fn error_marker_is_command_error() {
    let (rumor, mut fake) = fake();
    let c = call(&rumor, "alice", Command::new(["peer", "connect"]).flag("addr", "garbage")).await;
    let s = fake.call().await;
    let msg = "invalid argument \"garbage\" for \"--addr\" flag: rlp: expected List";
    fake.error(&s, msg);
    let err = within("setup", c.setup()).await.unwrap_err();
    assert_eq!(command_message(&err), msg);
    let Error::Command { call: shown, .. } = &err else { unreachable!() };
    assert_eq!(shown, "alice: peer connect --addr=garbage");
    // The `failed` warning that follows does not change the error, and __freed ends the call.
    fake.failed(
        vec![format!("_{}", s.id), "alice:".into(), "peer".into()],
        &format!("exit status 1: command failed: {msg}"),
    );
    assert!(!c.is_finished());
    fake.freed(&s);
    within("finished", c.finished()).await.unwrap();
    assert_eq!(command_message(&c.setup().await.unwrap_err()), msg);
}

#[tokio::test]
async fn failed_warning_fails_the_call_it_names() {
    let (rumor, mut fake) = fake();
    let mut events = rumor.session_events().unwrap();
    let victim = call(&rumor, "alice", Command::new(["host", "nosuch"])).await;
    let bystander = call(&rumor, "alice", Command::new(["host", "view"])).await;
    let sv = fake.call().await;
    let sb = fake.call().await;

    // A `failed` warning of another client (other id prefix) is not ours: a session event.
    fake.failed(
        vec!["_other1".into(), "alice:".into(), "host".into()],
        "exit status 1: command failed: other",
    );
    // Rumor could not build the command: no marker, only the session warning with our words.
    let mut args = vec![format!("_{}", sv.id), "alice:".into(), "lvl_trace".into()];
    args.extend(sv.words.iter().cloned());
    fake.failed(args, "exit status 1: command failed: command was not recognized");

    let err = within("victim", victim.setup()).await.unwrap_err();
    assert!(command_message(&err).contains("command was not recognized"), "{err:?}");
    assert!(victim.is_finished(), "a call failed this way gets no __freed");
    within("victim finished", victim.finished()).await.unwrap();

    let other = within("event", events.recv()).await.unwrap();
    assert_eq!(other.msg, "failed");
    assert_eq!(other.fields["args"][0], "_other1");

    still_pending("bystander", bystander.setup()).await;
    fake.success(&sb);
    within("bystander", bystander.setup()).await.unwrap();
    assert_eq!(rumor.pending_calls(), 1);
}

#[tokio::test]
async fn step_completes_next_with_the_fields_logged_before_it() {
    let (rumor, mut fake) = fake();
    let c = call(&rumor, "alice", Command::new(["rpc", "status", "req", "raw"])).await;
    let s = fake.call().await;
    fake.log(&s, json!({"setup_field": 1}));
    fake.success(&s);
    within("setup", c.setup()).await.unwrap();

    for chunk in 0..2 {
        let mut stepping = tokio::spawn({
            let c = c.clone();
            async move { c.step(None).await }
        });
        assert_eq!(fake.control().await, [format!("_{}", s.id), "next".into(), "60s".into()]);
        fake.log(&s, json!({"chunk_index": chunk, "data": format!("d{chunk}")}));
        if chunk == 0 {
            fake.log(&s, json!({"only_first": true}));
        }
        still_pending("next before __step", &mut stepping).await;
        fake.step(&s);
        still_pending("next before its own end (the echo)", &mut stepping).await;
        fake.step_done(&s, 0);
        let out = within("step", stepping).await.unwrap().unwrap();
        assert_eq!(out.fields["chunk_index"], chunk);
        assert_eq!(out.fields["data"], format!("d{chunk}"));
        assert_eq!(out.fields.contains_key("only_first"), chunk == 0);
        assert!(!out.fields.contains_key("setup_field"));
    }

    // A failing `next` (Rumor's `failed` warning for the control line) fails only that step.
    let stepping = tokio::spawn({
        let c = c.clone();
        async move { c.step(None).await }
    });
    let words = fake.control().await;
    fake.failed(words, "exit status 1: no remaining steps");
    fake.step_done(&s, 1);
    let err = within("failed step", stepping).await.unwrap().unwrap_err();
    assert!(command_message(&err).contains("no remaining steps"));
    assert!(!c.is_finished());

    // A `next` still waiting when the call is freed ends with an error, not a hang.
    let stepping = tokio::spawn({
        let c = c.clone();
        async move { c.step(None).await }
    });
    fake.control().await;
    fake.freed(&s);
    let err = within("freed step", stepping).await.unwrap().unwrap_err();
    assert!(matches!(err, Error::Command { .. }), "{err:?}");
}

// Multi-threaded: the cancel waiter may wake on another worker while the reader still runs.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freed_completes_cancel() {
    let (rumor, mut fake) = fake();
    let c = call(&rumor, "alice", Command::new(["host", "notify"]).positional("all")).await;
    let s = fake.call().await;
    assert_eq!(s.words, ["host", "notify", "--", "all"]);
    fake.success(&s);
    within("setup", c.setup()).await.unwrap();

    // A cancel that Rumor refuses gets Rumor's message; the call stays open.
    let cancelling = tokio::spawn({
        let c = c.clone();
        async move { c.cancel().await }
    });
    let words = fake.control().await;
    assert_eq!(words, [format!("_{}", s.id), "cancel".into()]);
    fake.failed(words, "exit status 1: stop failed");
    let err = within("refused cancel", cancelling).await.unwrap().unwrap_err();
    assert!(command_message(&err).contains("stop failed"));
    assert!(!c.is_finished());

    let mut cancelling = tokio::spawn({
        let c = c.clone();
        async move { c.cancel().await }
    });
    assert_eq!(fake.control().await, [format!("_{}", s.id), "cancel".into()]);
    fake.log(&s, json!({"event": "listen_close"}));
    still_pending("cancel before __freed", &mut cancelling).await;
    assert!(!c.is_finished());
    fake.freed(&s);
    within("cancel", cancelling).await.unwrap().unwrap();
    assert!(c.is_finished());
    assert_eq!(rumor.pending_calls(), 0);
    // Cancelling a finished call is Ok and sends nothing.
    within("second cancel", c.cancel()).await.unwrap();
    still_pending("the fake's input", fake.from_client.recv()).await;
}

#[tokio::test]
async fn malformed_lines_do_not_break_the_connection() {
    let (rumor, mut fake) = fake();
    let mut events = rumor.session_events().unwrap();
    let c = call(&rumor, "alice", Command::new(["host", "view"])).await;
    let s = fake.call().await;
    fake.send_raw("this is not json {");
    fake.send_raw("[1, 2]");
    fake.send_raw("");
    fake.log(&s, json!({"peer_id": "p"}));
    fake.success(&s);
    let out = within("setup", c.setup()).await.unwrap();
    assert_eq!(out.fields["peer_id"], "p");
    assert!(rumor.disconnect_reason().is_none());

    for _ in 0..3 {
        let e = within("protocol event", events.recv()).await.unwrap();
        assert_eq!(e.level, Level::Unknown);
        assert!(e.msg.contains("protocol error"), "{}", e.msg);
    }
}

#[tokio::test]
async fn end_of_stream_fails_everything_pending_at_once() {
    let (rumor, mut fake) = fake();
    let mut events = rumor.session_events().unwrap();
    let mut pending = Vec::new();
    for _ in 0..50 {
        pending.push(call(&rumor, "alice", Command::new(["sleep"]).flag("time", "30s")).await);
    }
    let long = call(&rumor, "alice", Command::new(["host", "notify"]).positional("all")).await;
    let mut sleeps = Vec::new();
    for _ in 0..50 {
        sleeps.push(fake.call().await);
    }
    let sl = fake.call().await;
    fake.log(&sl, json!({"event": "listen_open"}));
    fake.success(&sl);
    within("long setup", long.setup()).await.unwrap();

    let mut tasks = Vec::new();
    for c in pending {
        tasks.push(tokio::spawn(async move { (c.setup().await.map(|_| ()), Instant::now()) }));
    }
    tasks.push(tokio::spawn({
        let mut entries = long.entries();
        async move {
            let result = loop {
                match entries.next().await {
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => break Err(e),
                    None => break Ok(()),
                }
            };
            (result, Instant::now())
        }
    }));
    tasks.push(tokio::spawn({
        let long = long.clone();
        async move { (long.step(None).await.map(|_| ()), Instant::now()) }
    }));
    tasks.push(tokio::spawn({
        let long = long.clone();
        async move { (long.finished().await, Instant::now()) }
    }));
    fake.control().await; // the `next`
    still_pending("every waiter before the hang-up", select_all(tasks.iter_mut())).await;

    let hung_up = Instant::now();
    fake.hang_up();
    let mut slowest = Duration::ZERO;
    for t in tasks {
        let (result, at) = within("pending", t).await.unwrap();
        match result {
            Err(Error::Disconnected { cause }) => {
                assert!(cause.contains("fake"), "{cause}")
            }
            other => panic!("expected Disconnected, got {other:?}"),
        }
        slowest = slowest.max(at - hung_up);
    }
    assert!(slowest < Duration::from_millis(500), "{slowest:?}");
    assert_eq!(rumor.pending_calls(), 0);
    assert!(matches!(within("closed", rumor.closed()).await, Error::Disconnected { .. }));
    assert!(matches!(
        within("events", events.recv()).await,
        Err(tokio::sync::broadcast::error::RecvError::Closed)
    ));
    // After the end, new calls and a late `cancel` fail the same way at once.
    let err = rumor.actor("alice").unwrap().call(Command::new(["host", "view"])).await.unwrap_err();
    assert!(err.is_disconnected(), "{err:?}");
    assert!(within("cancel", long.cancel()).await.unwrap_err().is_disconnected());
}

#[tokio::test]
async fn a_slow_stream_lags_alone() {
    let (rumor, mut fake) = Fake::connect(Rumor::builder().call_buffer(4));
    let busy = call(&rumor, "alice", Command::new(["gossip", "log"])).await;
    let sb = fake.call().await;
    fake.success(&sb);
    within("busy setup", busy.setup()).await.unwrap();
    let mut slow = busy.entries();
    let mut keyed = busy.stream("n");

    for n in 0..10 {
        fake.log(&sb, json!({"n": n}));
    }
    // Another call and the connection are unaffected.
    let other = call(&rumor, "bob", Command::new(["host", "view"])).await;
    let so = fake.call().await;
    fake.log(&so, json!({"peer_id": "bob-id"}));
    fake.success(&so);
    let out = within("other", other.setup()).await.unwrap();
    assert_eq!(out.fields["peer_id"], "bob-id");

    match within("lagged", slow.next()).await {
        Some(Err(Error::Lagged { missed, capacity })) => {
            assert_eq!((missed, capacity), (6, 4));
        }
        other => panic!("expected Lagged, got {other:?}"),
    }
    for n in 6..10 {
        let e = within("kept", slow.next()).await.unwrap().unwrap();
        assert_eq!(e.fields["n"], n);
    }
    // Each stream has its own cursor: the keyed stream lags on its own too, then goes on.
    assert!(matches!(
        within("keyed lagged", keyed.next()).await,
        Some(Err(Error::Lagged { missed: 6, .. }))
    ));
    let v: i64 = within("keyed", keyed.next_value()).await.unwrap().unwrap();
    assert_eq!(v, 6);

    // A stream that keeps up sees everything after that, then the end.
    fake.log(&sb, json!({"n": 10}));
    let e = within("new", slow.next()).await.unwrap().unwrap();
    assert_eq!(e.fields["n"], 10);
    assert_eq!(busy.latest("n"), Some(json!(10)));
    fake.freed(&sb);
    assert!(within("end", slow.next()).await.is_none());
    assert!(rumor.disconnect_reason().is_none());
}

#[tokio::test]
async fn a_broken_line_in_a_calls_usual_form_is_reported_not_logged() {
    let (rumor, mut fake) = fake();
    let mut events = rumor.session_events().unwrap();
    let c = call(&rumor, "alice", Command::new(["host", "view"])).await;
    let s = fake.call().await;
    let mut entries = c.entries();
    // Rumor's usual prefix for the call's own lines, then a break: it must not reach the call.
    fake.send_raw(&format!(r#"{{"actor":"alice","call_id":"{}","level":"info","msg":"#, s.id));
    // A marker key after the prefix: read in full, so the error reaches the call.
    fake.send_raw(&format!(r#"{{"actor":"alice","call_id":"{}","__error":"boom"}}"#, s.id));
    let broken = within("protocol event", events.recv()).await.unwrap();
    assert_eq!(broken.level, Level::Unknown);
    assert!(broken.msg.contains("protocol error"), "{}", broken.msg);
    let err = within("setup", c.setup()).await.unwrap_err();
    assert!(err.to_string().contains("boom"), "{err}");
    fake.log(&s, json!({"peer_id": "p"}));
    let logged = within("entry", entries.next()).await.unwrap().unwrap();
    assert_eq!(logged.str_field("peer_id"), Some("p"), "only the well-formed line is logged");
    assert_eq!(c.latest("peer_id"), Some(json!("p")));
}

#[tokio::test]
async fn session_events_get_entries_without_call_id() {
    let (rumor, mut fake) = fake();
    let mut events = rumor.session_events().unwrap();
    let c = call(&rumor, "alice", Command::new(["host", "view"])).await;
    let s = fake.call().await;
    // Noise the client drops: variable lookups and the admin `Started` entries.
    fake.send(json!({"level": "trace", "msg": "lookup!", "envlookup": "HOME"}));
    fake.send(
        json!({"level": "trace", "msg": format!("Started {}", s.id), "args": ["host", "view"]}),
    );
    fake.send(json!({"stdout": "hello"}));
    fake.log(&s, json!({"peer_id": "p"}));
    fake.send(json!({"level": "error", "msg": "non-zero exit", "code": 1}));
    fake.success(&s);
    within("setup", c.setup()).await.unwrap();

    let first = within("stdout", events.recv()).await.unwrap();
    assert_eq!(first.str_field("stdout"), Some("hello"));
    assert_eq!(first.level, Level::Info);
    assert!(first.call_id.is_none());
    let second = within("non-zero exit", events.recv()).await.unwrap();
    assert_eq!(second.msg, "non-zero exit");
    assert_eq!(second.level, Level::Error);
    assert!(events.try_recv().is_err(), "call entries are not session events");
}

#[tokio::test]
async fn a_step_that_ran_and_failed_keeps_its_output_and_message() {
    // Rumor runs a step, logs `__step`, then reports the step's own error as a `failed`
    // warning of that `next` (e.g. a chunk with result code 2), then the `next` ends with
    // status 1. That step is Ok with its output and the message; a second `next` already
    // waiting is not affected.
    let (rumor, mut fake) = fake();
    let c = call(&rumor, "bob", Command::new(["rpc", "ping", "req", "raw"])).await;
    let s = fake.call().await;
    fake.success(&s);
    within("setup", c.setup()).await.unwrap();

    let first = tokio::spawn({
        let c = c.clone();
        async move { c.step(None).await }
    });
    fake.control().await;
    let mut second = tokio::spawn({
        let c = c.clone();
        async move { c.step(None).await }
    });
    // The second `next` waits until the first one ended: steps of a call go one at a time.
    still_pending("the second next", fake.from_client.recv()).await;
    fake.log(&s, json!({"chunk_index": 0, "result_code": 2}));
    fake.step(&s);
    fake.failed(
        vec![format!("_{}", s.id), "next".into(), "60s".into()],
        "exit status 1: step failed: got 2 reqresp result code",
    );
    fake.step_done(&s, 1);
    fake.control().await;
    let out = within("first step", first).await.unwrap().unwrap();
    assert_eq!(out.fields["result_code"], 2);
    assert_eq!(out.error.as_deref(), Some("exit status 1: step failed: got 2 reqresp result code"));
    still_pending("the second next (the first step's error is not its)", &mut second).await;
    // A step that never ran (the wait timed out) fails its own `next`.
    fake.failed(
        vec![format!("_{}", s.id), "next".into()],
        "exit status 1: step failed: step request stopped",
    );
    fake.step_done(&s, 1);
    let err = within("second step", second).await.unwrap().unwrap_err();
    assert!(command_message(&err).contains("step request stopped"), "{err:?}");
}

#[tokio::test]
async fn open_calls_list_what_rumor_has_not_freed_and_detached_calls_run_on() {
    let (rumor, mut fake) = fake();
    let notify = Command::new(["host", "notify"]).positional("all").cancel_on_drop(true);
    let kept = call(&rumor, "alice", notify.clone()).await;
    let k = fake.call().await;
    let detached = call(&rumor, "bob", notify.clone()).await;
    let d = fake.call().await;
    let dropped = call(&rumor, "bob", notify).await;
    let x = fake.call().await;
    for s in [&k, &d, &x] {
        fake.success(s);
    }
    within("setups", dropped.setup()).await.unwrap();

    let open = rumor.open_calls();
    let ids: Vec<&str> = open.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, [k.id.as_str(), d.id.as_str(), x.id.as_str()], "oldest first");
    assert_eq!(open[0].call, "alice: host notify -- all");
    assert_eq!((open[0].actor(), open[1].actor()), ("alice", "bob"));
    assert!(open.iter().all(|c| !c.detached && !c.cancelling), "{open:?}");

    // Detached: dropping its last handle sends no cancel. The other one is cancelled on drop.
    detached.detach();
    drop(detached);
    drop(dropped);
    assert_eq!(fake.control().await, [format!("_{}", x.id), "cancel".into()]);
    let open = rumor.open_calls();
    assert_eq!(open.len(), 3, "nothing was freed yet: {open:?}");
    assert!(open[1].detached && !open[1].cancelling, "{open:?}");
    assert!(!open[2].detached && open[2].cancelling, "{open:?}");

    fake.freed(&x);
    fake.freed(&k);
    within("kept is freed", kept.finished()).await.unwrap();
    let open = rumor.open_calls();
    assert_eq!(open.len(), 1, "{open:?}");
    assert_eq!(open[0].id, d.id);
    still_pending("the fake's input", fake.from_client.recv()).await;
}

/// A Rumor that reads none of its input: once the send queue is full and a whole setup limit
/// passed without a line written, the connection ends, so a call waiting for room in the queue
/// ends too (with the cause) instead of waiting for ever.
#[tokio::test]
async fn a_rumor_that_reads_nothing_ends_the_waits_for_room() {
    // The first line goes into the sink, which then never takes another.
    let sink = sink::unfold((), |(), _line: String| async {
        std::future::pending::<()>().await;
        Ok::<_, io::Error>(())
    });
    let limit = Duration::from_millis(300);
    let rumor = RumorBuilder::default()
        .send_queue(1)
        .setup_timeout(Some(limit))
        .connect(Wire::new("stuck", sink, stream::pending()));
    let alice = rumor.actor("alice").unwrap();
    let first = within("the first call", alice.call(Command::new(["host", "view"]))).await.unwrap();
    let second =
        within("the second call", alice.call(Command::new(["host", "view"]))).await.unwrap();
    let started = Instant::now();
    let third = tokio::spawn({
        let alice = alice.clone();
        async move { alice.call(Command::new(["host", "view"])).await.map(drop) }
    });
    still_pending("a call with no room in the queue", alice.call(Command::new(["host", "view"])))
        .await;
    let err = within("the call waiting for room", third).await.unwrap().unwrap_err();
    assert!(err.is_disconnected(), "{err:?}");
    assert!(err.to_string().contains("Rumor read none of its input"), "{err}");
    assert!(started.elapsed() >= limit - Duration::from_millis(100), "{:?}", started.elapsed());
    // The calls already queued end with it (or with their own setup limit before it).
    for call in [first, second] {
        let err = within("a queued call's setup", call.setup()).await.unwrap_err();
        assert!(err.is_disconnected() || matches!(err, Error::Timeout { .. }), "{err:?}");
    }
    assert!(rumor.disconnect_reason().is_some());
}
