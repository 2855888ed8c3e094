//! Time of `overkiz::diagnostics::anonymize` on the largest setup fixture
//! (`cargo bench -p overkiz-tests --bench anonymize`); `examples/anonymize.rs` prints
//! it for every setup fixture.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use serde_json::Value;

/// The largest setup fixture.
const SETUP: &str = "setup/setup_hue_and_low_speed.json";

fn anonymize(c: &mut Criterion) {
    let text = overkiz_tests::fixture(SETUP);
    let value: Value = serde_json::from_str(&text).expect("the fixture is JSON");
    let mut group = c.benchmark_group("anonymize (largest fixture)");
    group.throughput(Throughput::Bytes(text.len() as u64));
    group.bench_function("diagnostics::anonymize", |b| {
        b.iter(|| overkiz::diagnostics::anonymize(std::hint::black_box(&value)))
    });
    group.finish();
}

criterion_group!(benches, anonymize);
criterion_main!(benches);
