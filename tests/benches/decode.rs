//! Decoding speed of real payloads (`cargo bench -p overkiz-tests`): the typed
//! decode against `serde_json::Value` (the targets: at least 1.5x on the
//! largest setup, 2x on the event stream in both wire forms) and a bare syntax scan
//! (`IgnoredAny`). Each measure is the decode and the drop of what it decoded, as a
//! caller pays both. After the groups, the ratios `Value / typed` are printed from
//! the same samples.
//!
//! The machine's load moves these times; `examples/profile_setup.rs` under
//! `valgrind --tool=callgrind` gives instruction counts that do not move.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use criterion::{Bencher, Criterion, Throughput};
use overkiz::types::Setup;
use overkiz::Event;
use serde::de::IgnoredAny;
use serde_json::Value;

#[path = "../wire_form_conversion.rs"]
mod conversion;

thread_local! {
    /// Total time and iterations of every measure, by `group/name`, for the ratios.
    static TOTALS: RefCell<BTreeMap<String, (Duration, u64)>> = RefCell::default();
}

/// Times `decode` and the drop of what it returns, and adds them to [`TOTALS`].
fn decode_and_drop<T>(b: &mut Bencher, id: String, decode: impl Fn() -> T) {
    b.iter_custom(|iters| {
        let start = Instant::now();
        for _ in 0..iters {
            drop(std::hint::black_box(decode()));
        }
        let total = start.elapsed();
        TOTALS.with(|t| {
            let mut t = t.borrow_mut();
            let entry = t.entry(id.clone()).or_default();
            entry.0 += total;
            entry.1 += iters;
        });
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
    let group_name = "setup (largest fixture)";
    let mut group = c.benchmark_group(group_name);
    group.throughput(Throughput::Bytes(text.len() as u64));
    let id = |name: &str| format!("{group_name}/{name}");
    group.bench_function("typed Setup", |b| {
        decode_and_drop(b, id("typed"), || {
            serde_json::from_str::<Setup>(&text).unwrap()
        })
    });
    group.bench_function("serde_json::Value", |b| {
        decode_and_drop(b, id("Value"), || {
            serde_json::from_str::<Value>(&text).unwrap()
        })
    });
    group.bench_function("IgnoredAny", |b| {
        decode_and_drop(b, id("IgnoredAny"), || {
            serde_json::from_str::<IgnoredAny>(&text).unwrap()
        })
    });
    group.bench_function("plain serde_derive baseline (lossy)", |b| {
        decode_and_drop(b, id("derive"), || {
            serde_json::from_str::<derive_baseline::Setup>(&text).unwrap()
        })
    });
    group.finish();
}

/// 1,000 events: the given stream repeated, in order.
fn batch(events: &[Value]) -> String {
    serde_json::to_string(&events.iter().cycle().take(1000).collect::<Vec<_>>()).unwrap()
}

/// The real cloud stream (of the previous wire form) and the same events in the
/// newest form, 1,000 events each.
fn events(c: &mut Criterion) {
    let (previous, newest) = conversion::real_stream_in_both_forms();
    for (group_name, text) in [
        ("1000 events, previous form", batch(&previous)),
        ("1000 events, newest form", batch(&newest)),
    ] {
        let mut group = c.benchmark_group(group_name);
        group.throughput(Throughput::Bytes(text.len() as u64));
        let id = |name: &str| format!("{group_name}/{name}");
        group.bench_function("typed Vec<Event>", |b| {
            decode_and_drop(b, id("typed"), || {
                serde_json::from_str::<Vec<Event>>(&text).unwrap()
            })
        });
        group.bench_function("serde_json::Value", |b| {
            decode_and_drop(b, id("Value"), || {
                serde_json::from_str::<Value>(&text).unwrap()
            })
        });
        group.bench_function("IgnoredAny", |b| {
            decode_and_drop(b, id("IgnoredAny"), || {
                serde_json::from_str::<IgnoredAny>(&text).unwrap()
            })
        });
        group.finish();
    }
}

/// Prints `Value / typed` per group: mean time per decode over every sample taken
/// (warm-up included), for the groups that ran.
fn print_ratios() {
    TOTALS.with(|t| {
        let t = t.borrow();
        let mean = |id: &str| {
            t.get(id)
                .filter(|(_, n)| *n > 0)
                .map(|(d, n)| d.as_secs_f64() / *n as f64)
        };
        let groups: std::collections::BTreeSet<&str> = t
            .keys()
            .filter_map(|k| k.split_once('/'))
            .map(|(g, _)| g)
            .collect();
        for group in groups {
            let typed = mean(&format!("{group}/typed"));
            let value = mean(&format!("{group}/Value"));
            if let (Some(typed), Some(value)) = (typed, value) {
                println!(
                    "{group}: typed {:.1} µs, Value {:.1} µs, Value / typed = {:.2}x",
                    typed * 1e6,
                    value * 1e6,
                    value / typed
                );
            }
        }
    });
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    setup(&mut c);
    events(&mut c);
    c.final_summary();
    print_ratios();
}
