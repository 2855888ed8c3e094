//! Parse and generation time of the full documentation (`cargo bench -p overkiz-codegen`).

use std::path::Path;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn read(relative: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    std::fs::read_to_string(root.join(relative)).unwrap()
}

fn parse(c: &mut Criterion) {
    let doc = read("spec/enduser-api.txt");
    let mut group = c.benchmark_group("parse");
    group.throughput(Throughput::Bytes(doc.len() as u64));
    group.bench_function("full documentation", |b| {
        b.iter(|| overkiz_codegen::parse("enduser-api.txt", &doc).unwrap())
    });
    group.finish();
}

fn generate(c: &mut Criterion) {
    let doc = read("spec/enduser-api.txt");
    let curated = read("spec/curated.toml");
    let spec = overkiz_codegen::parse("enduser-api.txt", &doc).unwrap();
    let mut group = c.benchmark_group("generate");
    group.sample_size(20);
    group.bench_function("spec to formatted files", |b| {
        b.iter(|| overkiz_codegen::generate_from_spec(spec.clone(), &curated).unwrap())
    });
    group.bench_function("documentation to formatted files", |b| {
        b.iter(|| overkiz_codegen::generate("enduser-api.txt", &doc, &curated).unwrap())
    });
    group.finish();
}

criterion_group!(benches, parse, generate);
criterion_main!(benches);
