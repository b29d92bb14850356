//! pyrum-bench: the pieces of the benchmarks that the binary (`src/main.rs`) and the criterion
//! micro-benchmarks (`benches/core.rs`) share. See BENCHMARKS.md at the repository root.
//!
//! - [`stats`]: latency percentiles and throughput of one run.
//! - [`routing`]: parser + router throughput on a recorded real transcript, through a fake
//!   [`pyrum_core::Wire`], against plain `serde_json` parsing of the same lines.
//! - [`peak_rss_kib`], [`cpu_time`], [`descendants_cpu_time`]: the peak resident set (VmHWM)
//!   and CPU time of this process, and the CPU time of the Rumor processes it started.
#![warn(missing_docs)]

pub mod routing;
pub mod stats;

/// This process' peak resident set size in KiB (`VmHWM` of `/proc/self/status`), or 0 where
/// the kernel does not report it.
pub fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// CPU time (user + system, all threads) this process has used so far.
pub fn cpu_time() -> std::time::Duration {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } != 0 {
        return std::time::Duration::ZERO;
    }
    let tv = |t: libc::timeval| {
        std::time::Duration::from_secs(t.tv_sec as u64)
            + std::time::Duration::from_micros(t.tv_usec as u64)
    };
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

/// CPU time (user + system) of this process' running descendants, e.g. the Rumor processes it
/// started, read from `/proc` (clock-tick resolution, usually 10 ms).
pub fn descendants_cpu_time() -> std::time::Duration {
    fn children(pid: &str) -> Vec<String> {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            return Vec::new();
        };
        tasks
            .flatten()
            .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
            .flat_map(|c| c.split_whitespace().map(str::to_string).collect::<Vec<_>>())
            .collect()
    }
    fn ticks(pid: &str) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
        let rest = stat.rsplit_once(") ").map_or("", |(_, r)| r);
        let f: Vec<&str> = rest.split_whitespace().collect();
        let get = |i: usize| f.get(i).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        get(11) + get(12)
    }
    let mut total = 0u64;
    let mut todo = children("self");
    while let Some(pid) = todo.pop() {
        total += ticks(&pid);
        todo.extend(children(&pid));
    }
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as u64;
    std::time::Duration::from_millis(total * 1000 / hz)
}

/// The recorded transcript of a real Rumor v0.3.6 run (`pyrum-bench record` writes it).
pub const TRANSCRIPT: &str = include_str!("../fixtures/transcript.jsonl");
