//! The real documentation: counts against an independent count of the page, and the
//! checked-in spec must be what the parser produces today.

use std::path::{Path, PathBuf};

use overkiz_codegen::{output, render_spec, Summary};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn doc() -> String {
    std::fs::read_to_string(root().join("spec/enduser-api.txt")).unwrap()
}

fn curated() -> String {
    std::fs::read_to_string(root().join("spec/curated.toml")).unwrap()
}

fn generate(name: &str, text: &str) -> Result<overkiz_codegen::Generated, overkiz_codegen::Error> {
    overkiz_codegen::generate(name, text, &curated())
}

#[test]
fn counts_match_the_independent_count_of_the_page() {
    // The page alone: the curated operations come on top (see below). The
    // independent count is of the 2026-03 page (`codegen/tests/versions.rs` counts
    // the operations and events of every version).
    let march = std::fs::read_to_string(root().join("spec/versions/2026-03.txt")).unwrap();
    let spec = overkiz_codegen::parse("enduser-api.txt", &march).unwrap();
    let s = Summary::of(&spec);
    assert_eq!(s.operations, 495);
    assert_eq!(s.distinct_method_paths, 495);
    assert_eq!(s.deprecated, 73);
    assert_eq!(s.path_params, 558);
    assert_eq!(s.query_params, 52);
    assert_eq!(s.optional_params, 40);
    assert_eq!(s.params_with_default, 15);
    assert_eq!(s.request_bodies, 118);
    assert_eq!(s.optional_request_bodies, 24);
    assert_eq!(s.response_bodies, 293);
    assert_eq!(s.status_codes.get(&200), Some(&422));
    assert_eq!(s.status_codes.get(&201), Some(&32));
    assert_eq!(s.status_codes.get(&204), Some(&41));
    assert_eq!(s.status_codes.len(), 3);
    assert_eq!(s.rate_limited, 46);
    assert_eq!(s.with_events, 194);
    assert_eq!(s.event_types, 138);
    assert_eq!(s.allowed_value_blocks, 14);
    assert_eq!(s.allowed_type_blocks, 4);
    assert_eq!(
        s.content_types,
        ["application/json", "text/csv", "text/html"]
    );
    insta::assert_snapshot!(s.to_string());
}

#[test]
fn curated_operations_come_on_top_in_their_own_group() {
    let spec = generate("enduser-api.txt", &doc()).unwrap().spec;
    assert_eq!(spec.operations.len(), 504 + 5);
    let curated: Vec<String> = spec
        .operations
        .iter()
        .filter(|op| op.group == "Local API")
        .map(|op| format!("{} {}", op.method, op.path))
        .collect();
    assert_eq!(
        curated,
        [
            "GET /apiVersion",
            "GET /config/{gatewayId}/local/tokens/generate",
            "POST /config/{gatewayId}/local/tokens",
            "GET /config/{gatewayId}/local/tokens/{scope}",
            "DELETE /config/{gatewayId}/local/tokens/{uuid}",
        ]
    );
    // One the documentation gains fails the generation.
    let gained = format!(
        "{}\nGET API version /apiVersion application/json\nGet the api version\n\n\n\nAccess scope : Public\n\nHTTP Status Code\nCode Message Meaning\n200\nOK\nThe request has succeeded",
        doc().trim_end()
    );
    let error = generate("enduser-api.txt", &gained)
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("GET /apiVersion is documented now"),
        "{error}"
    );
}

#[test]
fn checked_in_tree_is_up_to_date() {
    // As `cargo xtask codegen` does: compared with the previous version.
    let doc = doc();
    let previous = overkiz_codegen::compat::read_previous_version(&root(), &doc);
    let previous = previous
        .as_ref()
        .map(|(version, text)| overkiz_codegen::PreviousVersion { version, text });
    let generated =
        overkiz_codegen::generate_with_previous("enduser-api.txt", &doc, previous, &curated())
            .unwrap();
    let report = output::sync(&root(), &generated.files, true).unwrap();
    assert!(
        report.is_clean(),
        "generated files are stale, run `cargo xtask codegen` and commit: {:?} changed, {:?} removed",
        report.changed,
        report.removed
    );
}

#[test]
fn generation_is_deterministic() {
    let text = doc();
    let a = generate("enduser-api.txt", &text).unwrap().files;
    let b = generate("enduser-api.txt", &text).unwrap().files;
    assert_eq!(a, b);
}

#[test]
fn a_doc_change_changes_the_spec_and_only_locally() {
    let text = doc();
    let before = render_spec(&generate("enduser-api.txt", &text).unwrap().spec);
    let edited = text.replacen(
        "Retrieve a user-defined action group by OID",
        "Fetch one action group by OID",
        1,
    );
    let after = render_spec(&generate("enduser-api.txt", &edited).unwrap().spec);
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(before.lines().count(), after.lines().count());
    assert_eq!(
        changed.len(),
        2,
        "summary and description lines: {changed:?}"
    );
}

#[test]
fn example_numbers_do_not_reach_the_spec() {
    // The page's example timestamps change with every render; the spec must not.
    let text = doc();
    let before = render_spec(&generate("enduser-api.txt", &text).unwrap().spec);
    let rerendered = text
        .replace("1774337683190", "1790000000000")
        .replace(": 2,", ": 7,");
    let after = render_spec(&generate("enduser-api.txt", &rerendered).unwrap().spec);
    assert!(before == after, "example numbers leaked into the spec");
}
