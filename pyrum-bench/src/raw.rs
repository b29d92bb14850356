//! The raw pipe: the least a client can do. Writes the same quoted lines the SDK writes
//! (`'_id' 'alice:' 'lvl_trace' 'host' 'view' &`) to `rumor bare --level=trace` and scans
//! stdout for the `__success` and `__freed` markers with substring checks, nothing parsed.
//! Its throughput is Rumor's own limit on this machine.

use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pyrum_bench::stats::Run;

struct Rumor {
    child: Child,
    out: BufReader<ChildStdout>,
    line: String,
}

impl Rumor {
    fn start(bin: &Path) -> Rumor {
        let mut child = Command::new(bin)
            .args(["bare", "--level=trace"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {} bare: {e}", bin.display()));
        let out = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
        Rumor {
            child,
            out,
            line: String::new(),
        }
    }

    /// Reads one line into `self.line`; panics at EOF.
    fn read(&mut self) -> &str {
        self.line.clear();
        let n = self.out.read_line(&mut self.line).expect("reading rumor");
        assert!(n > 0, "rumor closed its stdout");
        &self.line
    }

    /// Runs `host start` in the foreground and waits for its `__freed`.
    fn host_start(&mut self) {
        let stdin = self.child.stdin.as_mut().expect("piped");
        stdin
            .write_all(b"'_s' 'alice:' 'lvl_trace' 'host' 'start'\n")
            .expect("writing to rumor");
        stdin.flush().expect("flush");
        loop {
            let line = self.read();
            if line.contains("\"__error\"") {
                panic!("host start failed: {line}");
            }
            if line.contains("\"__freed\"") && line.contains("\"call_id\":\"s\"") {
                return;
            }
        }
    }

    fn stop(mut self) {
        drop(self.child.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn line(i: usize) -> String {
    format!("'_r{i}' 'alice:' 'lvl_trace' 'host' 'view' &\n")
}

/// The number in `"call_id":"r<N>"`, if the line has one.
pub(crate) fn call_number(line: &str) -> Option<usize> {
    let at = line.find("\"call_id\":\"r")? + "\"call_id\":\"r".len();
    let end = line[at..].find('"')?;
    line[at..at + end].parse().ok()
}

/// N calls: all written at once by a writer thread (`pipelined`), or one at a time (each sent
/// after the previous one's `__success`). Latency: line written to `__success` read; the run
/// ends when every call's `__freed` is read.
pub fn run(bin: &Path, n: usize, pipelined: bool) -> Run {
    let mut rumor = Rumor::start(bin);
    rumor.host_start();
    let base = Instant::now();
    let sent: Arc<Vec<AtomicU64>> = Arc::new((0..n).map(|_| AtomicU64::new(0)).collect());
    let mut latencies = Vec::with_capacity(n);
    let mut freed = 0usize;
    let cpu = pyrum_bench::cpu_time();
    let rumor_cpu = pyrum_bench::descendants_cpu_time();
    let start = Instant::now();
    if pipelined {
        let mut stdin = BufWriter::new(rumor.child.stdin.take().expect("piped"));
        let sent_w = sent.clone();
        let writer = std::thread::spawn(move || {
            for i in 0..n {
                sent_w[i].store(base.elapsed().as_nanos() as u64, Ordering::Relaxed);
                stdin
                    .write_all(line(i).as_bytes())
                    .expect("writing to rumor");
            }
            stdin.flush().expect("flush");
            stdin
        });
        while freed < n {
            let l = rumor.read();
            let now = base.elapsed().as_nanos() as u64;
            if l.contains("\"__success\"") {
                if let Some(i) = call_number(l) {
                    let t = sent[i].load(Ordering::Relaxed);
                    latencies.push(Duration::from_nanos(now.saturating_sub(t)));
                }
            } else if l.contains("\"__freed\"") && call_number(l).is_some() {
                freed += 1;
            } else if l.contains("\"__error\"") {
                panic!("a call failed: {l}");
            }
        }
        rumor.child.stdin = Some(writer.join().expect("writer").into_inner().expect("flush"));
    } else {
        for i in 0..n {
            let t = Instant::now();
            let stdin = rumor.child.stdin.as_mut().expect("piped");
            stdin.write_all(line(i).as_bytes()).expect("writing");
            stdin.flush().expect("flush");
            loop {
                let l = rumor.read();
                if l.contains("\"__success\"") && call_number(l) == Some(i) {
                    latencies.push(t.elapsed());
                    break;
                } else if l.contains("\"__freed\"") && call_number(l).is_some() {
                    freed += 1;
                } else if l.contains("\"__error\"") {
                    panic!("a call failed: {l}");
                }
            }
        }
        while freed < n {
            let l = rumor.read();
            if l.contains("\"__freed\"") && call_number(l).is_some() {
                freed += 1;
            }
        }
    }
    let elapsed = start.elapsed();
    let cpu = pyrum_bench::cpu_time() - cpu;
    let rumor_cpu = pyrum_bench::descendants_cpu_time().saturating_sub(rumor_cpu);
    assert_eq!(latencies.len(), n, "every call succeeded");
    rumor.stop();
    Run::from_latencies(latencies, elapsed, pyrum_bench::peak_rss_kib(), cpu)
        .with_rumor_cpu(rumor_cpu)
}

/// Records a real Rumor run as a transcript: two actors, connected, then rounds of `host view`
/// (both), `peer list` and `enr view`, all in flight at once. Returns the JSON lines.
pub fn record(bin: &Path, rounds: usize) -> Vec<String> {
    let mut rumor = Rumor::start(bin);
    let mut lines = Vec::new();
    let mut next_id = 0usize;
    // Foreground statements: each runs to its `__freed` before the next is read.
    let mut foreground = |rumor: &mut Rumor, lines: &mut Vec<String>, words: &str| {
        next_id += 1;
        let id = format!("c{next_id}");
        let stdin = rumor.child.stdin.as_mut().expect("piped");
        writeln!(stdin, "'_{id}' {words}").expect("writing");
        stdin.flush().expect("flush");
        let mut fields = serde_json::Map::new();
        loop {
            let l = rumor.read().trim_end().to_string();
            let v: serde_json::Value = serde_json::from_str(&l).expect("rumor writes JSON");
            lines.push(l);
            if v.get("call_id").and_then(|c| c.as_str()) != Some(id.as_str()) {
                continue;
            }
            if let Some(e) = v.get("__error") {
                panic!("recording: {words} failed: {e}");
            }
            if v.get("__freed").is_some() {
                return fields;
            }
            if let Some(o) = v.as_object() {
                fields.extend(o.clone());
            }
        }
    };
    for actor in ["alice", "bob"] {
        foreground(
            &mut rumor,
            &mut lines,
            &format!("'{actor}:' 'lvl_trace' 'host' 'start'"),
        );
        foreground(
            &mut rumor,
            &mut lines,
            &format!("'{actor}:' 'lvl_trace' 'host' 'listen' '--ip=127.0.0.1' '--tcp=0'"),
        );
        foreground(
            &mut rumor,
            &mut lines,
            &format!(
                "'{actor}:' 'lvl_trace' 'enr' 'make' '--ip=127.0.0.1' '--tcp=9000' '--udp=9000'"
            ),
        );
    }
    let bob = foreground(&mut rumor, &mut lines, "'bob:' 'lvl_trace' 'host' 'view'");
    let bob_addr = bob["addr"].as_str().expect("bob listens").to_string();
    foreground(
        &mut rumor,
        &mut lines,
        &format!("'alice:' 'lvl_trace' 'peer' 'connect' '{bob_addr}'"),
    );
    let bob_enr = bob["enr"].as_str().expect("bob has an ENR").to_string();
    let mut background = 0usize;
    {
        let stdin = rumor.child.stdin.as_mut().expect("piped");
        for _ in 0..rounds {
            for words in [
                "'alice:' 'lvl_trace' 'host' 'view'".to_string(),
                "'bob:' 'lvl_trace' 'host' 'view'".to_string(),
                "'alice:' 'lvl_trace' 'peer' 'list'".to_string(),
                format!("'alice:' 'lvl_trace' 'enr' 'view' '--enr={bob_enr}'"),
            ] {
                next_id += 1;
                background += 1;
                writeln!(stdin, "'_c{next_id}' {words} &").expect("writing");
            }
        }
        stdin.flush().expect("flush");
    }
    let mut freed = 0;
    while freed < background {
        let l = rumor.read().trim_end().to_string();
        if l.contains("\"__error\"") {
            panic!("recording: a call failed: {l}");
        }
        if l.contains("\"__freed\"") {
            freed += 1;
        }
        lines.push(l);
    }
    rumor.stop();
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_numbers() {
        assert_eq!(
            call_number(r#"{"__freed":"true","call_id":"r17","x":1}"#),
            Some(17)
        );
        assert_eq!(call_number(r#"{"call_id":"s"}"#), None);
        assert_eq!(call_number(r#"{"msg":"Started r1"}"#), None);
    }
}
