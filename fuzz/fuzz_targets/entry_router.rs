//! Fuzzes what Rumor sends: the input is the byte stream of a connection. It goes through the
//! line codec (`Wire::from_io`, with a small `max_line_length`), the entry parser and the
//! router, while three calls wait on it (a plain one, a long-running one read as a stream and
//! stepped, one being cancelled). `@0`, `@1` and `@2` in the input are replaced by those calls'
//! ids, so that the fuzzer can reach them. Nothing may panic, and once the input ends
//! everything must end: a hang is a panic here (and a libFuzzer timeout).
#![no_main]

use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use pyrum_core::{Command, Entry, Error, Rumor, Wire};
use tokio::io::AsyncWriteExt;

/// The line limit of the fuzzed connection: small, so that the fuzzer reaches it.
const MAX_LINE: usize = 4096;

fn substitute(data: &[u8], ids: &[String]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 64);
    let mut i = 0;
    while i < data.len() {
        if data[i] == b'@' && i + 1 < data.len() && (b'0'..=b'2').contains(&data[i + 1]) {
            out.extend_from_slice(ids[(data[i + 1] - b'0') as usize].as_bytes());
            i += 2;
        } else {
            out.push(data[i]);
            i += 1;
        }
    }
    out
}

async fn run(data: &[u8]) {
    let (client_side, mut rumor_side) = tokio::io::duplex(1 << 16);
    let (read, write) = tokio::io::split(client_side);
    let rumor = Rumor::builder()
        .max_line_length(MAX_LINE)
        .call_buffer(4)
        .connect(Wire::from_io("fuzz", read, write, MAX_LINE));
    let actor = rumor.actor("a").unwrap();
    let mut calls = Vec::new();
    for cmd in [
        Command::new(["host", "view"]),
        Command::new(["gossip", "log"]),
        Command::new(["sleep"]).flag("time", "1s"),
    ] {
        match actor.call(cmd).await {
            Ok(c) => calls.push(c),
            Err(e) => panic!("calls can be made before any input: {e}"),
        }
    }
    let ids: Vec<String> = calls.iter().map(|c| c.id().to_string()).collect();
    let mut waiters = Vec::new();
    let c = calls[0].clone();
    waiters.push(tokio::spawn(async move {
        let _ = c.setup().await;
    }));
    let mut entries = calls[1].entries();
    waiters.push(tokio::spawn(async move {
        while let Some(item) = entries.next().await {
            if let Err(e) = item {
                assert!(
                    matches!(e, Error::Lagged { .. } | Error::Disconnected { .. }),
                    "{e:?}"
                );
            }
        }
    }));
    let c = calls[1].clone();
    waiters.push(tokio::spawn(async move {
        let _ = c.next(None).await;
    }));
    let c = calls[2].clone();
    waiters.push(tokio::spawn(async move {
        let _ = c.cancel().await;
    }));
    // Fed from its own task: once the client stops reading (a line over the limit), the write
    // may never finish, and that must not hold up the checks. What the client writes (its call
    // lines) stays unread in the duplex buffer.
    let input = substitute(data, &ids);
    tokio::spawn(async move {
        let _ = rumor_side.write_all(&input).await;
        let _ = rumor_side.shutdown().await;
    });
    let end = async {
        let reason = rumor.closed().await;
        assert!(reason.is_disconnected(), "{reason:?}");
        for w in waiters {
            w.await.expect("a waiter panicked");
        }
    };
    tokio::time::timeout(Duration::from_secs(5), end)
        .await
        .expect("everything ends once the input ends");
    assert_eq!(rumor.pending_calls(), 0);
    assert!(calls.iter().all(|c| c.is_finished()));
}

fuzz_target!(|data: &[u8]| {
    // The parser alone, line by line.
    for line in data.split(|b| *b == b'\n') {
        if let Ok(text) = std::str::from_utf8(line) {
            let _ = Entry::parse(text);
        }
    }
    // The whole connection.
    tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap()
        .block_on(run(data));
});
