//! Time of `overkiz::diagnostics::anonymize` on every setup fixture:
//! `cargo run --release -p overkiz-tests --example anonymize [rounds]`.

use std::time::Instant;

fn main() {
    let rounds: u32 = std::env::args()
        .nth(1)
        .and_then(|r| r.parse().ok())
        .unwrap_or(20);
    let dir = overkiz_tests::fixture_path("setup");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("the fixtures are there")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    for path in files {
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let Ok(value) = serde_json::from_str::<serde_json::Value>(&text) else {
            continue;
        };
        let started = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(overkiz::diagnostics::anonymize(&value));
        }
        let each = started.elapsed() / rounds;
        println!(
            "{:>32}  {:>7} bytes  {:>8.2} ms",
            path.file_name().unwrap_or_default().to_string_lossy(),
            text.len(),
            each.as_secs_f64() * 1e3
        );
    }
}
