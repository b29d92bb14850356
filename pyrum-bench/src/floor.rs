//! The tokio floor: the least an async client on tokio can do, one call at a time. The caller
//! itself writes the raw pipe's line to `rumor bare --level=trace` through tokio's pipe and
//! reads stdout through tokio until the call's `__success`, with substring checks, nothing
//! parsed, no other task. Whatever an async SDK adds on top of tokio, it cannot beat this; the
//! gap between it and the raw pipe (blocking reads on one thread) is what tokio's readiness
//! model (`epoll_wait`, then a non-blocking `read`) and, in `block_on`, the hop from the
//! runtime's I/O driver to the main thread cost on this machine.

use std::path::Path;
use std::process::Stdio;
use std::time::{Duration, Instant};

use pyrum_bench::stats::Run;

use crate::raw::call_number;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

/// N calls of `host view` after `host start`, one at a time, each sent after the previous one's
/// `__success`. Latency: line written to `__success` read; the run ends when every call's
/// `__freed` is read.
pub async fn run(bin: &Path, n: usize) -> Run {
    let mut child = tokio::process::Command::new(bin)
        .args(["bare", "--level=trace"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("starting {} bare: {e}", bin.display()));
    let mut stdin = child.stdin.take().expect("piped");
    let mut out = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
    let mut line = String::new();
    let mut read = async |line: &mut String| {
        line.clear();
        let n = out.read_line(line).await.expect("reading rumor");
        assert!(n > 0, "rumor closed its stdout");
    };
    stdin
        .write_all(b"'_s' 'alice:' 'lvl_trace' 'host' 'start'\n")
        .await
        .expect("writing to rumor");
    loop {
        read(&mut line).await;
        assert!(!line.contains("\"__error\""), "host start failed: {line}");
        if line.contains("\"__freed\"") && line.contains("\"call_id\":\"s\"") {
            break;
        }
    }
    let mut latencies = Vec::with_capacity(n);
    let mut freed = 0usize;
    let cpu = pyrum_bench::cpu_time();
    let rumor_cpu = pyrum_bench::descendants_cpu_time();
    let start = Instant::now();
    for i in 0..n {
        let t = Instant::now();
        let words = format!("'_r{i}' 'alice:' 'lvl_trace' 'host' 'view' &\n");
        stdin
            .write_all(words.as_bytes())
            .await
            .expect("writing to rumor");
        loop {
            read(&mut line).await;
            if line.contains("\"__success\"") && call_number(&line) == Some(i) {
                latencies.push(t.elapsed());
                break;
            } else if line.contains("\"__freed\"") && call_number(&line).is_some() {
                freed += 1;
            } else if line.contains("\"__error\"") {
                panic!("a call failed: {line}");
            }
        }
    }
    while freed < n {
        read(&mut line).await;
        if line.contains("\"__freed\"") && call_number(&line).is_some() {
            freed += 1;
        }
    }
    let elapsed = start.elapsed();
    let cpu = pyrum_bench::cpu_time() - cpu;
    let rumor_cpu = pyrum_bench::descendants_cpu_time().saturating_sub(rumor_cpu);
    drop(stdin);
    let _ = tokio::time::timeout(Duration::from_secs(5), child.wait()).await;
    Run::from_latencies(latencies, elapsed, pyrum_bench::peak_rss_kib(), cpu)
        .with_rumor_cpu(rumor_cpu)
}
