//! Helpers shared by the integration tests of the `overkiz` crate (in `tests/tests/`):
//! fixtures, facts read off them, and a lossless comparison of JSON values.

use std::path::PathBuf;

use serde_json::Value;

/// The roller shutters of `fixtures/setup/setup_tahoma_3.json` (UI class
/// `RollerShutter`, each with a `close` command), sorted: read off the fixture by
/// hand, so tests of the filters that find them do not compute their expectation
/// with those filters.
pub const TAHOMA_3_ROLLER_SHUTTERS: [&str; 10] = [
    "io://1234-1234-6233/12184029",
    "io://1234-1234-6233/13064380",
    "io://1234-1234-6233/13136078",
    "io://1234-1234-6233/13911608",
    "io://1234-1234-6233/180461",
    "io://1234-1234-6233/2487349",
    "io://1234-1234-6233/7019474",
    "io://1234-1234-6233/8170693",
    "io://1234-1234-6233/8939545",
    "io://1234-1234-6233/9749383",
];

/// Path of a fixture file under `tests/fixtures/`.
pub fn fixture_path(relative: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(relative)
}

/// Contents of a fixture file.
pub fn fixture(relative: &str) -> String {
    std::fs::read_to_string(fixture_path(relative))
        .unwrap_or_else(|e| panic!("fixture {relative}: {e}"))
}

/// Differences between what the server sent and what we encode back, ignoring what
/// may legitimately differ: a `null` may be omitted, and `1` and `1.0` are the same
/// number. Returns one line per difference, with its JSON path.
pub fn lossless_diff(original: &Value, encoded: &Value) -> Vec<String> {
    let mut out = Vec::new();
    diff_at("$", original, encoded, &mut out);
    out
}

fn diff_at(path: &str, a: &Value, b: &Value, out: &mut Vec<String>) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    Some(vb) => diff_at(&format!("{path}.{k}"), va, vb, out),
                    None if va.is_null() => {}
                    None => out.push(format!("{path}.{k}: lost")),
                }
            }
            for k in y.keys().filter(|k| !x.contains_key(*k)) {
                out.push(format!("{path}.{k}: added"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                out.push(format!("{path}: {} items became {}", x.len(), y.len()));
                return;
            }
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                diff_at(&format!("{path}[{i}]"), va, vb, out);
            }
        }
        (Value::Number(x), Value::Number(y)) => {
            if x != y && x.as_f64() != y.as_f64() {
                out.push(format!("{path}: {x} became {y}"));
            }
        }
        (x, y) if x == y => {}
        (x, y) => out.push(format!("{path}: {x} became {y}")),
    }
}
