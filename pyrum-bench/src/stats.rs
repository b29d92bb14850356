//! Summaries of one measured run.

use std::time::Duration;

use serde_json::{json, Value};

/// What one run of N calls measured.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Calls completed.
    pub calls: u64,
    /// Wall time from the first call issued to the last one completed.
    pub elapsed: Duration,
    /// Median latency (issue to result), in microseconds.
    pub p50_us: f64,
    /// 99th percentile latency, in microseconds.
    pub p99_us: f64,
    /// Peak RSS of the client process, KiB.
    pub rss_kib: u64,
    /// CPU time the client process used during the run (user + system, all its threads).
    pub cpu: Duration,
    /// CPU time the Rumor process(es) used during the run (10 ms resolution).
    pub rumor_cpu: Duration,
}

impl Run {
    /// Summarises latencies (any order) measured over `elapsed`.
    pub fn from_latencies(
        mut latencies: Vec<Duration>,
        elapsed: Duration,
        rss_kib: u64,
        cpu: Duration,
    ) -> Run {
        latencies.sort_unstable();
        Run {
            calls: latencies.len() as u64,
            elapsed,
            p50_us: percentile(&latencies, 0.50),
            p99_us: percentile(&latencies, 0.99),
            rss_kib,
            cpu,
            rumor_cpu: Duration::ZERO,
        }
    }

    /// Sets the Rumor processes' CPU time.
    pub fn with_rumor_cpu(mut self, rumor_cpu: Duration) -> Run {
        self.rumor_cpu = rumor_cpu;
        self
    }

    /// Rumor's CPU time per call, in microseconds.
    pub fn rumor_cpu_us_per_call(&self) -> f64 {
        self.rumor_cpu.as_secs_f64() * 1e6 / (self.calls.max(1) as f64)
    }

    /// Client CPU time per call, in microseconds.
    pub fn cpu_us_per_call(&self) -> f64 {
        self.cpu.as_secs_f64() * 1e6 / (self.calls.max(1) as f64)
    }

    /// Calls per second.
    pub fn rate(&self) -> f64 {
        self.calls as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// As the one JSON line a child process prints.
    pub fn to_json(&self) -> Value {
        json!({
            "calls": self.calls,
            "secs": self.elapsed.as_secs_f64(),
            "p50_us": self.p50_us,
            "p99_us": self.p99_us,
            "rss_kib": self.rss_kib,
            "cpu_s": self.cpu.as_secs_f64(),
            "rumor_cpu_s": self.rumor_cpu.as_secs_f64(),
        })
    }

    /// Reads what [`Run::to_json`] (or the Python script) printed.
    pub fn from_json(v: &Value) -> Option<Run> {
        Some(Run {
            calls: v.get("calls")?.as_u64()?,
            elapsed: Duration::from_secs_f64(v.get("secs")?.as_f64()?),
            p50_us: v.get("p50_us")?.as_f64()?,
            p99_us: v.get("p99_us")?.as_f64()?,
            rss_kib: v.get("rss_kib")?.as_u64()?,
            cpu: Duration::from_secs_f64(v.get("cpu_s").and_then(Value::as_f64).unwrap_or(0.0)),
            rumor_cpu: Duration::from_secs_f64(
                v.get("rumor_cpu_s").and_then(Value::as_f64).unwrap_or(0.0),
            ),
        })
    }
}

/// The `q` quantile (0..=1) of sorted durations, in microseconds (nearest rank).
pub fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1].as_secs_f64() * 1e6
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let d: Vec<Duration> = (1..=100).map(Duration::from_micros).collect();
        assert_eq!(percentile(&d, 0.5), 50.0);
        assert_eq!(percentile(&d, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.5), 0.0);
        let run = Run::from_latencies(d, Duration::from_secs(2), 7, Duration::from_millis(5));
        assert_eq!(run.rate(), 50.0);
        assert_eq!(run.cpu_us_per_call(), 50.0);
        let back = Run::from_json(&run.to_json()).unwrap();
        assert_eq!((back.calls, back.rss_kib, back.p99_us), (100, 7, 99.0));
        assert_eq!(back.cpu, Duration::from_millis(5));
    }
}
