//! Decodes the largest setup fixture, for profilers and for a drift-free comparison:
//! `profile_setup [typed|value|ignored|events-typed|events-value|compare] [iterations]`
//! (the `events-*` modes decode 1,000 events of the real cloud stream). `compare` interleaves
//! the three decoders round-robin and prints the median decode time of each (the
//! decoded value is dropped after the clock stops).
use std::time::Instant;

fn main() {
    let text = overkiz_tests::fixture("setup/setup_hue_and_low_speed.json");
    let mode = std::env::args().nth(1).unwrap_or_else(|| "compare".into());
    let n: usize = std::env::args()
        .nth(2)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1000);
    if mode == "compare" {
        let mut times: [Vec<f64>; 3] = Default::default();
        for _ in 0..n {
            let t = Instant::now();
            let typed = serde_json::from_str::<overkiz::types::Setup>(&text).unwrap();
            times[0].push(t.elapsed().as_secs_f64());
            drop(typed);
            let t = Instant::now();
            let value = serde_json::from_str::<serde_json::Value>(&text).unwrap();
            times[1].push(t.elapsed().as_secs_f64());
            drop(value);
            let t = Instant::now();
            serde_json::from_str::<serde::de::IgnoredAny>(&text).unwrap();
            times[2].push(t.elapsed().as_secs_f64());
        }
        for (name, mut t) in ["typed Setup", "serde_json::Value", "IgnoredAny"]
            .into_iter()
            .zip(times)
        {
            t.sort_by(f64::total_cmp);
            let median = t[t.len() / 2];
            println!(
                "{name:18} median {:7.1} µs  {:6.1} MiB/s",
                median * 1e6,
                text.len() as f64 / median / 1048576.0
            );
        }
        return;
    }
    let events = {
        let all: Vec<serde_json::Value> =
            serde_json::from_str(&overkiz_tests::fixture("event/cloud_events.json")).unwrap();
        serde_json::to_string(&all.iter().cycle().take(1000).collect::<Vec<_>>()).unwrap()
    };
    let mut count = 0;
    for _ in 0..n {
        count += match mode.as_str() {
            "events-typed" => serde_json::from_str::<Vec<overkiz::Event>>(&events)
                .unwrap()
                .len(),
            "events-value" => serde_json::from_str::<serde_json::Value>(&events)
                .unwrap()
                .as_array()
                .map_or(0, Vec::len),
            "typed" => serde_json::from_str::<overkiz::types::Setup>(&text)
                .unwrap()
                .devices
                .map_or(0, |d| d.len()),
            "value" => serde_json::from_str::<serde_json::Value>(&text).unwrap()["devices"]
                .as_array()
                .map_or(0, Vec::len),
            _ => {
                serde_json::from_str::<serde::de::IgnoredAny>(&text).unwrap();
                1
            }
        };
    }
    println!("{count}");
}
