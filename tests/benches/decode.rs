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

/// The same setup as plain `serde_derive` structs (strict, unknown fields dropped):
/// the floor a derive-based client would reach, for comparison only.
#[allow(dead_code, non_snake_case)]
mod derive_baseline {
    use serde::Deserialize;
    use serde_json::Value;

    #[derive(Deserialize)]
    pub struct Setup {
        creationTime: Option<i64>,
        devices: Option<Vec<Device>>,
        disconnectionConfiguration: Option<Value>,
        features: Option<Value>,
        gateways: Option<Value>,
        id: Option<String>,
        lastUpdateTime: Option<i64>,
        location: Option<Value>,
        oid: Option<String>,
        resellerDelegationType: Option<String>,
        rootPlace: Option<Value>,
        zones: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Device {
        attributes: Option<Vec<State>>,
        available: Option<bool>,
        controllableName: Option<String>,
        creationTime: Option<i64>,
        definition: Option<Definition>,
        deviceURL: Option<String>,
        enabled: Option<bool>,
        label: Option<String>,
        lastUpdateTime: Option<i64>,
        metadata: Option<String>,
        oid: Option<String>,
        placeOID: Option<String>,
        shortcut: Option<bool>,
        states: Option<Vec<State>>,
        r#type: Option<i64>,
        uiClass: Option<String>,
        widget: Option<String>,
    }
    #[derive(Deserialize)]
    struct State {
        name: Option<String>,
        r#type: Option<i64>,
        value: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Definition {
        uiClass: Option<String>,
        r#type: Option<String>,
        states: Option<Vec<StateDefinition>>,
        uiProfiles: Option<Vec<String>>,
        commands: Option<Vec<CommandDefinition>>,
        qualifiedName: Option<String>,
        dataProperties: Option<Vec<DataProperty>>,
        widgetName: Option<String>,
    }
    #[derive(Deserialize)]
    struct CommandDefinition {
        commandName: Option<String>,
        nparams: Option<i64>,
    }
    #[derive(Deserialize)]
    struct StateDefinition {
        r#type: Option<String>,
        eventBased: Option<bool>,
        values: Option<Vec<String>>,
        qualifiedName: Option<String>,
    }
    #[derive(Deserialize)]
    struct DataProperty {
        value: Option<String>,
        qualifiedName: Option<String>,
    }
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
    group.bench_function("plain serde_derive baseline (lossy)", |b| {
        decode_only(b, || {
            serde_json::from_str::<derive_baseline::Setup>(&text).unwrap()
        })
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
