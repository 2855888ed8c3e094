//! Decoding speed of real payloads (`cargo bench -p overkiz-tests`): the typed
//! decode must beat `serde_json::Value` and stay within 2x of a bare syntax scan
//! (`IgnoredAny`). Each measure is the decode alone: every decoded value is dropped
//! right after the clock stops (so the allocator recycles memory as in real use),
//! for all three alike.

use std::time::{Duration, Instant};

use criterion::{criterion_group, criterion_main, Bencher, Criterion, Throughput};
use overkiz::types::Setup;
use overkiz::Event;
use serde::de::IgnoredAny;
use serde_json::Value;

/// Times `decode` alone: the value it returns is dropped after the clock stops.
fn decode_only<T>(b: &mut Bencher, decode: impl Fn() -> T) {
    b.iter_custom(|iters| {
        let mut total = Duration::ZERO;
        for _ in 0..iters {
            let start = Instant::now();
            let value = std::hint::black_box(decode());
            total += start.elapsed();
            drop(value);
        }
        total
    });
}

/// The largest setup fixture.
const SETUP: &str = "setup/setup_hue_and_low_speed.json";

fn setup(c: &mut Criterion) {
    let text = overkiz_tests::fixture(SETUP);
    let mut group = c.benchmark_group("setup (largest fixture)");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("typed Setup", |b| {
        decode_only(b, || serde_json::from_str::<Setup>(&text).unwrap())
    });
    group.bench_function("serde_json::Value", |b| {
        decode_only(b, || serde_json::from_str::<Value>(&text).unwrap())
    });
    group.bench_function("IgnoredAny", |b| {
        decode_only(b, || serde_json::from_str::<IgnoredAny>(&text).unwrap())
    });
    group.finish();
}

/// 1,000 events: the real cloud stream's events repeated, in order.
fn event_batch() -> String {
    let events: Vec<Value> =
        serde_json::from_str(&overkiz_tests::fixture("event/cloud_events.json")).unwrap();
    let batch: Vec<&Value> = events.iter().cycle().take(1000).collect();
    serde_json::to_string(&batch).unwrap()
}

fn events(c: &mut Criterion) {
    let text = event_batch();
    let mut group = c.benchmark_group("1000 mixed events");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("typed Vec<Event>", |b| {
        decode_only(b, || serde_json::from_str::<Vec<Event>>(&text).unwrap())
    });
    group.bench_function("serde_json::Value", |b| {
        decode_only(b, || serde_json::from_str::<Value>(&text).unwrap())
    });
    group.bench_function("IgnoredAny", |b| {
        decode_only(b, || serde_json::from_str::<IgnoredAny>(&text).unwrap())
    });
    group.finish();
}

criterion_group!(benches, setup, events);
criterion_main!(benches);
