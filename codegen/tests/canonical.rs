//! Noise-free diffs: a page that only reorders what has no order (events an
//! operation generates, keys of JSON examples, allowed-values rows) regenerates
//! byte for byte, and new example values (timestamps, identifiers) change nothing
//! in `generated/`. Each mutation is made to the real documentation.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use overkiz_codegen::output::GeneratedFile;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn seed_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| std::fs::read_to_string(root().join("spec/enduser-api.txt")).unwrap())
}

fn curated() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| std::fs::read_to_string(root().join("spec/curated.toml")).unwrap())
}

fn generate(text: &str) -> Vec<GeneratedFile> {
    overkiz_codegen::generate("enduser-api.txt", text, curated())
        .unwrap_or_else(|e| panic!("{e}"))
        .files
}

fn baseline() -> &'static [GeneratedFile] {
    static FILES: OnceLock<Vec<GeneratedFile>> = OnceLock::new();
    FILES.get_or_init(|| generate(seed_text()))
}

/// Asserts the files (all of them, or only `generated/`) are the seed's.
fn assert_same(text: &str, only_generated: bool) {
    assert_ne!(text, seed_text(), "the mutation changed the page");
    let files = generate(text);
    let keep = |f: &&GeneratedFile| !only_generated || f.path.starts_with("generated/");
    let a: Vec<_> = baseline().iter().filter(keep).collect();
    let b: Vec<_> = files.iter().filter(keep).collect();
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x.path, y.path);
        assert!(x.contents == y.contents, "{} changed", x.path);
    }
}

fn lines() -> Vec<&'static str> {
    seed_text().lines().collect()
}

/// The event blocks under the first operation generating at least three events:
/// (start, end) line ranges, in page order.
fn event_blocks(lines: &[&str]) -> Vec<(usize, usize)> {
    let mut i = 0;
    loop {
        let at = (i..lines.len())
            .find(|&j| lines[j] == "Generated events on method call")
            .unwrap();
        let starts: Vec<usize> = (at + 2..lines.len())
            .take_while(|&j| {
                !overkiz_codegen::parse::is_operation_heading(lines[j]) && !lines[j].is_empty()
            })
            .filter(|&j| {
                lines[j + 1].starts_with("Description")
                    && lines[j].chars().all(|c| c.is_ascii_alphanumeric())
            })
            .collect();
        if starts.len() >= 3 {
            let end = (starts[starts.len() - 1] + 1..lines.len())
                .find(|&j| {
                    lines[j].is_empty() || overkiz_codegen::parse::is_operation_heading(lines[j])
                })
                .unwrap();
            let mut blocks: Vec<(usize, usize)> = starts.windows(2).map(|w| (w[0], w[1])).collect();
            blocks.push((starts[starts.len() - 1], end));
            return blocks;
        }
        i = at + 1;
    }
}

#[test]
fn reordered_events_regenerate_byte_identically() {
    let lines = lines();
    let blocks = event_blocks(&lines);
    let (first, last) = (blocks[0], blocks[blocks.len() - 1]);
    // Reverse the blocks.
    let mut out: Vec<&str> = lines[..first.0].to_vec();
    for &(a, b) in blocks.iter().rev() {
        out.extend_from_slice(&lines[a..b]);
    }
    out.extend_from_slice(&lines[last.1..]);
    assert_same(&out.join("\n"), false);
}

#[test]
fn reordered_json_keys_regenerate_byte_identically() {
    // Swap two keys in the first request example (POST /actionGroups), in a
    // nested object, and in an event example.
    let text = seed_text()
        .replacen(
            "  \"label\" : \"a managed action group label\",\n  \"metadata\" : \"some metadata\",\n",
            "  \"metadata\" : \"some metadata\",\n  \"label\" : \"a managed action group label\",\n",
            1,
        )
        .replacen(
            "      \"type\" : 1,\n      \"name\" : \"a command name\",\n",
            "      \"name\" : \"a command name\",\n      \"type\" : 1,\n",
            1,
        )
        .replacen(
            "  \"timestamp\" : 2,\n  \"owningPartner\" : \"an owning partner\",\n",
            "  \"owningPartner\" : \"an owning partner\",\n  \"timestamp\" : 2,\n",
            1,
        );
    assert_eq!(
        text.len(),
        seed_text().len(),
        "every replacement found its text"
    );
    assert_same(&text, false);
}

#[test]
fn reordered_allowed_values_regenerate_byte_identically() {
    let text = seed_text().replacen(
        "Albania AL Albania\nAlgeria DZ Algeria\n",
        "Algeria DZ Algeria\nAlbania AL Albania\n",
        1,
    );
    assert_same(&text, false);
}

#[test]
fn new_example_values_change_nothing_in_generated() {
    // Timestamps (numbers) and identifiers (string examples that are data) differ
    // between renders of the page.
    let mut text = seed_text().to_owned();
    let mut changed = 0;
    for (from, to) in [
        (": 1774337683", ": 1769990000"),
        ("0101-1234-5678", "0202-9876-5432"),
        (
            "28953-04992-55692-50731-21112-52062-29652-14707",
            "11111-22222-33333-44444-55555-66666-77777-88888",
        ),
        ("\"06:50\"", "\"07:15\""),
    ] {
        changed += text.matches(from).count();
        text = text.replace(from, to);
    }
    assert!(changed >= 4, "the seed has these examples ({changed})");
    assert_same(&text, true);
}
