//! What `#[pyrum::test]` costs per test, before the body runs and after it returns: Rumor
//! (`rumor bare`, with the hello check), hosts, listening, connections, the leak check and `exit`.
//! Runs each setup `RUNS` times (default 20) with an empty body through the attribute's runtime
//! (`pyrum::testing::Scenario`), one after another, and prints the median and the 90th
//! percentile of each phase. The baseline is what a test did by hand before: `Rumor::spawn` and
//! `close`.
//!
//! ```sh
//! RUMOR_BIN=$(scripts/install-rumor | tail -n 1) cargo run --release --example test_overhead -- 20
//! ```

use std::time::{Duration, Instant};

use pyrum::testing::Scenario;

fn stats(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "{:>7.1} ms {:>7.1} ms",
        at(0.5).as_secs_f64() * 1e3,
        at(0.9).as_secs_f64() * 1e3
    )
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let runs: usize = match std::env::args().nth(1) {
        Some(n) => n
            .parse()
            .map_err(|e| format!("RUNS must be a number: {e}"))?,
        None => 20,
    };
    let bin = pyrum::find_rumor()?;
    let dir = std::env::temp_dir().join(format!("pyrum-test-overhead-{}", std::process::id()));
    println!("{runs} runs each; median and 90th percentile\n");
    println!(
        "{:<32} {:>21} {:>21} {:>21}",
        "setup", "total", "before the body", "after the body"
    );

    let mut total = Vec::new();
    for _ in 0..runs {
        let start = Instant::now();
        let rumor = pyrum::Rumor::builder().rumor_bin(&bin).spawn().await?;
        rumor.close().await?;
        total.push(start.elapsed());
    }
    println!("{:<32} {}", "baseline: Rumor::spawn + close", stats(total));

    let cases: [(&str, &[&str], bool); 4] = [
        ("#[pyrum::test] (rumor only)", &[], false),
        ("1 actor", &["alice"], false),
        ("3 actors", &["alice", "bob", "carol"], false),
        ("3 actors, connected", &["alice", "bob", "carol"], true),
    ];
    for (label, actors, connected) in cases {
        let (mut total, mut before, mut after) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..runs {
            let start = Instant::now();
            let report = Scenario::new(format!("test_overhead::run{i}"))
                .actors(actors)
                .connected(connected)
                .rumor_bin(&bin)
                .transcript_dir(&dir)
                .run(|_session| async {})
                .await
                .map_err(|f| f.to_string())?;
            total.push(start.elapsed());
            before.push(report.setup);
            after.push(report.teardown);
        }
        println!(
            "{label:<32} {} {} {}",
            stats(total),
            stats(before),
            stats(after)
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    Ok(())
}
