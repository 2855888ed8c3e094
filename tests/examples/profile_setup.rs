//! Decodes the largest setup fixture and the real event stream, for profilers and
//! for a drift-free comparison: `profile_setup [MODE] [iterations]`.
//!
//! - `typed`, `value`, `ignored`: the largest setup, as `Setup`, `serde_json::Value`
//!   or `IgnoredAny`;
//! - `events-typed`, `events-value` (and `events-newest-typed`, `events-newest-value`):
//!   1,000 events of the real cloud stream, of the previous wire form (the newest);
//! - `compare`: interleaves the decoders of each input round-robin and prints the
//!   median decode time of each and the ratio to `Value` (the decoded value is dropped
//!   inside the timed span, as a caller pays for it);
//!
//! Under `valgrind --tool=callgrind`, run a mode with 0 and with N iterations: the
//! difference divided by N is the instruction count of one decode, drop included;
//! under `valgrind --tool=dhat`, the same difference counts its allocations.
use std::time::Instant;

#[path = "../wire_form_conversion.rs"]
mod conversion;

/// 1,000 events: the given stream repeated, in order.
fn batch(events: &[serde_json::Value]) -> String {
    serde_json::to_string(&events.iter().cycle().take(1000).collect::<Vec<_>>()).unwrap()
}

type Decoder = (&'static str, fn(&str) -> usize);

fn setup_decoders() -> [Decoder; 3] {
    [
        ("typed Setup", |t| {
            let setup = serde_json::from_str::<overkiz::types::Setup>(t).unwrap();
            setup.devices.map_or(0, |d| d.len())
        }),
        ("serde_json::Value", |t| {
            let value = serde_json::from_str::<serde_json::Value>(t).unwrap();
            value["devices"].as_array().map_or(0, Vec::len)
        }),
        ("IgnoredAny", |t| {
            serde_json::from_str::<serde::de::IgnoredAny>(t).unwrap();
            1
        }),
    ]
}

fn event_decoders() -> [Decoder; 2] {
    [
        ("typed Vec<Event>", |t| {
            serde_json::from_str::<Vec<overkiz::Event>>(t)
                .unwrap()
                .len()
        }),
        ("serde_json::Value", |t| {
            serde_json::from_str::<serde_json::Value>(t)
                .unwrap()
                .as_array()
                .map_or(0, Vec::len)
        }),
    ]
}

/// Median decode time of each decoder, interleaved round-robin.
fn compare(title: &str, text: &str, decoders: &[Decoder], n: usize) {
    let mut times = vec![Vec::with_capacity(n); decoders.len()];
    for _ in 0..n {
        for (i, (_, decode)) in decoders.iter().enumerate() {
            let t = Instant::now();
            std::hint::black_box(decode(text));
            times[i].push(t.elapsed().as_secs_f64());
        }
    }
    let medians: Vec<f64> = times
        .iter_mut()
        .map(|t| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        })
        .collect();
    let value = decoders
        .iter()
        .position(|(name, _)| *name == "serde_json::Value")
        .map(|i| medians[i]);
    println!("{title}");
    for ((name, _), median) in decoders.iter().zip(&medians) {
        println!(
            "  {name:18} median {:8.1} µs  {:6.1} MiB/s  Value/this {:.2}x",
            median * 1e6,
            text.len() as f64 / median / 1048576.0,
            value.map_or(f64::NAN, |v| v / median),
        );
    }
}

fn main() {
    let setup = overkiz_tests::fixture("setup/setup_hue_and_low_speed.json");
    let mode = std::env::args().nth(1).unwrap_or_else(|| "compare".into());
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    let (previous, newest) = conversion::real_stream_in_both_forms();
    let (previous, newest) = (batch(&previous), batch(&newest));
    let inputs = [
        ("setup (largest fixture)", &setup, &setup_decoders()[..]),
        (
            "1000 events, previous form",
            &previous,
            &event_decoders()[..],
        ),
        ("1000 events, newest form", &newest, &event_decoders()[..]),
    ];
    if mode == "compare" {
        for (title, text, decoders) in inputs {
            compare(title, text, decoders, n);
        }
        return;
    }
    let (text, decode) = match mode.as_str() {
        "typed" => (&setup, setup_decoders()[0].1),
        "value" => (&setup, setup_decoders()[1].1),
        "ignored" => (&setup, setup_decoders()[2].1),
        "events-typed" => (&previous, event_decoders()[0].1),
        "events-value" => (&previous, event_decoders()[1].1),
        "events-newest-typed" => (&newest, event_decoders()[0].1),
        "events-newest-value" => (&newest, event_decoders()[1].1),
        other => panic!("unknown mode {other}"),
    };
    let mut count = 0;
    for _ in 0..n {
        count += decode(text);
    }
    println!("{count}");
}
