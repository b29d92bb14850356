//! Criterion micro-benchmarks of pyrum-core's hot path, on a recorded real Rumor transcript
//! (`fixtures/transcript.jsonl`): parser + router against plain `serde_json` parsing of the
//! same lines, and the cost of quoting one argument.
//!
//! `cargo bench -p pyrum-bench --bench core` (figures per element are entries or arguments).

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use pyrum_bench::routing::{self, Prepared, Transcript};
use serde_json::Value;

fn parsing_and_routing(c: &mut Criterion) {
    let t = Transcript::recorded();
    let mut g = c.benchmark_group("transcript");
    g.throughput(Throughput::Elements(t.lines.len() as u64));
    g.bench_function("serde_json_value", |b| {
        b.iter(|| {
            for line in &t.lines {
                std::hint::black_box(serde_json::from_str::<Value>(line).unwrap());
            }
        })
    });
    g.bench_function("entry_parse", |b| {
        b.iter(|| {
            for line in &t.lines {
                std::hint::black_box(pyrum_core::Entry::parse(line).unwrap());
            }
        })
    });
    let rt = routing::runtime();
    g.bench_function("parse_and_route", |b| {
        b.iter_batched(
            || Prepared::new(&rt, &t),
            |p| p.run(&rt),
            BatchSize::PerIteration,
        )
    });
    g.finish();
}

fn quoting(c: &mut Criterion) {
    let words = routing::quoting_words();
    let mut g = c.benchmark_group("quoting");
    g.throughput(Throughput::Elements(words.len() as u64));
    let mut line = String::with_capacity(1024);
    g.bench_function("check_and_quote_per_word", |b| {
        b.iter(|| {
            line.clear();
            for w in &words {
                pyrum_core::quote::check_word("argument", w).unwrap();
                pyrum_core::quote::push_quoted(&mut line, std::hint::black_box(w));
            }
            std::hint::black_box(&line);
        })
    });
    g.finish();
}

criterion_group!(benches, parsing_and_routing, quoting);
criterion_main!(benches);
