//! The changelog on the real documentation: the seed against itself is empty, and
//! each kind of change, made alone to the page, gives exactly its line.

use std::path::Path;
use std::sync::OnceLock;

use overkiz_codegen::changelog::diff;
use overkiz_codegen::{parse, Spec};

fn seed_text() -> &'static str {
    static TEXT: OnceLock<String> = OnceLock::new();
    TEXT.get_or_init(|| {
        std::fs::read_to_string(
            // The March 2026 page, kept in the version history: the tests do not move
            // when spec/enduser-api.txt becomes a newer page.
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/versions/2026-03.txt"),
        )
        .unwrap()
    })
}

fn seed() -> &'static Spec {
    static SPEC: OnceLock<Spec> = OnceLock::new();
    SPEC.get_or_init(|| parse("enduser-api.txt", seed_text()).unwrap())
}

/// The changelog lines from the seed to `text`, as `Breaking …` / `Additive …`.
fn changes(text: &str) -> Vec<String> {
    let new = parse("mutated.txt", text).unwrap_or_else(|e| panic!("{e}"));
    diff(seed(), &new)
        .changes
        .iter()
        .map(|c| format!("{:?} {}", c.impact, c.text))
        .collect()
}

/// `text` with the first `from` replaced, which must be there.
fn replace1(from: &str, to: &str) -> String {
    assert!(seed_text().contains(from), "the seed has {from:?}");
    seed_text().replacen(from, to, 1)
}

#[test]
fn seed_against_itself_is_empty() {
    let again = parse("enduser-api.txt", seed_text()).unwrap();
    let log = diff(seed(), &again);
    assert!(log.is_empty(), "{}", log.to_markdown());
    assert_eq!(
        log.to_markdown(),
        "## API changes\n\nNo change to the API surface.\n"
    );
}

#[test]
fn operation_added() {
    let new_op = "GET Test /test/new application/json\nA new operation\nAccess scope : Public\n\n\
                  HTTP Status Code\nCode Message Meaning\n200\nOK\nThe request has succeeded\n";
    let text = replace1(
        "PUT Action group /actionGroups application/json\n",
        &format!("{new_op}PUT Action group /actionGroups application/json\n"),
    );
    assert_eq!(
        changes(&text),
        ["Additive added `GET /test/new`: A new operation"]
    );
}

#[test]
fn operation_removed() {
    // An operation without events or allowed values: only the operation goes.
    let lines: Vec<&str> = seed_text().lines().collect();
    let op = seed()
        .operations
        .iter()
        .find(|o| o.events.is_empty() && o.allowed_values.is_empty() && o.params.is_empty())
        .unwrap();
    let start = lines
        .iter()
        .position(|l| {
            l.starts_with(&format!("{} ", op.method)) && l.contains(&format!(" {} ", op.path))
        })
        .unwrap();
    let end = (start + 1..lines.len())
        .find(|&i| overkiz_codegen::parse::is_operation_heading(lines[i]))
        .unwrap();
    let mut kept = lines.clone();
    kept.drain(start..end);
    assert_eq!(
        changes(&kept.join("\n")),
        [format!("Breaking removed `{} {}`", op.method, op.path)]
    );
}

#[test]
fn operation_deprecated() {
    let text = replace1(
        "PUT Action group /actionGroups",
        "PUT Action group [DEPRECATED] since version 2026.1 /actionGroups",
    );
    assert_eq!(
        changes(&text),
        ["Additive deprecated `PUT /actionGroups` (since version 2026.1)"]
    );
}

#[test]
fn parameters_added_removed_required_optional() {
    let param = "Request Parameter preventLockLevelReset\nfalse\n(Optional)\nDo not reset command lock levels\n";
    assert_eq!(
        changes(&replace1(param, "")),
        ["Breaking `PUT /actionGroups`: removed query parameter `preventLockLevelReset`"]
    );
    assert_eq!(
        changes(&replace1(param, &param.replace("(Optional)\n", ""))),
        ["Breaking `PUT /actionGroups`: query parameter `preventLockLevelReset` made required"]
    );
    assert_eq!(
        changes(&replace1(
            param,
            &format!("{param}Request Parameter dryRun\ntrue\n(Optional)\nOnly check\n")
        )),
        ["Breaking `PUT /actionGroups`: added optional query parameter `dryRun`"]
    );
    let required = "Request Parameter response_type\n\"string value\"\n";
    assert_eq!(
        changes(&replace1(required, &format!("{required}(Optional)\n"))),
        [format!(
            "Breaking `{}`: query parameter `response_type` made optional",
            op_of("response_type")
        )]
    );
}

/// `METHOD /path` of the first operation with this query parameter.
fn op_of(param: &str) -> String {
    let op = seed()
        .operations
        .iter()
        .find(|o| o.params.iter().any(|p| p.name == param))
        .unwrap();
    format!("{} {}", op.method, op.path)
}

#[test]
fn request_fields_added_removed_retyped() {
    // The first example of the page is the request body of `POST /actionGroups`.
    let text = replace1(
        "  \"shortcut\" : true,\n",
        "  \"shortcut\" : 1,\n  \"priority\" : 1,\n",
    );
    assert_eq!(
        changes(&text),
        [
            "Breaking `POST /actionGroups` request field `shortcut`: type changed from boolean to integer",
            "Breaking `POST /actionGroups` request field `priority`: added (integer)",
        ]
    );
    let text = replace1("  \"metadata\" : \"some metadata\",\n", "");
    assert_eq!(
        changes(&text),
        ["Breaking `POST /actionGroups` request field `metadata`: removed"]
    );
}

#[test]
fn response_fields_added_removed_retyped() {
    let from = "{\n  \"actionGroupOID\" : \"string value\"\n}";
    let text = replace1(from, "{\n  \"actionGroupOID\" : 1,\n  \"revision\" : 2\n}");
    assert_eq!(
        changes(&text),
        [
            "Breaking `POST /actionGroups` response field `actionGroupOID`: type changed from string to integer",
            "Additive `POST /actionGroups` response field `revision`: added (integer)",
        ]
    );
}

#[test]
fn events_added_removed_and_their_fields() {
    // Remove one occurrence of an event under an operation: the event type stays.
    let block = "GatewaySynchronizationStartedEvent\nDescription A data synchronization sequence between the gateway and the server has started\nJSON\n";
    let lines: Vec<&str> = seed_text().lines().collect();
    let start = lines
        .iter()
        .position(|l| *l == "GatewaySynchronizationStartedEvent")
        .unwrap();
    assert!(seed_text().contains(block));
    let end = (start + 1..lines.len())
        .find(|&i| {
            lines[i].ends_with("Event") && !lines[i].contains(' ')
                || overkiz_codegen::parse::is_operation_heading(lines[i])
        })
        .unwrap();
    let mut kept = lines.clone();
    kept.drain(start..end);
    assert_eq!(
        changes(&kept.join("\n")),
        ["Breaking `POST /actionGroups` no longer generates `GatewaySynchronizationStartedEvent`"]
    );

    // A new event type generated by an operation.
    let new_event = "SomethingHappenedEvent\nDescription Something happened\nJSON\n{\n  \"timestamp\" : 2,\n  \"name\" : \"SomethingHappenedEvent\"\n}\n";
    let text = replace1(
        "Generated events on method call\n\nGatewaySynchronizationStartedEvent\n",
        &format!(
            "Generated events on method call\n\n{new_event}GatewaySynchronizationStartedEvent\n"
        ),
    );
    assert_eq!(
        changes(&text),
        [
            "Additive `POST /actionGroups` now generates `SomethingHappenedEvent`",
            "Additive added event `SomethingHappenedEvent`",
        ]
    );

    // A new field in an event.
    let text = replace1(
        "  \"name\" : \"GatewaySynchronizationStartedEvent\"\n",
        "  \"reason\" : \"a reason\",\n  \"name\" : \"GatewaySynchronizationStartedEvent\"\n",
    );
    assert_eq!(
        changes(&text),
        ["Additive event `GatewaySynchronizationStartedEvent` field `reason`: added (string)"]
    );
}

#[test]
fn allowed_values_added_and_removed() {
    // Every table of that title loses the row.
    let text = seed_text().replace("Albania AL Albania\n", "");
    assert_eq!(
        changes(&text),
        ["Breaking `Supported countries names/codes`: removed `Albania` (code `AL`)"]
    );
    let text = replace1(
        "Albania AL Albania\n",
        "Albania AL Albania\nAtlantis AX Atlantis\n",
    );
    assert_eq!(
        changes(&text),
        ["Additive `Supported countries names/codes`: added `Atlantis` (code `AX`)"]
    );
    // The same code under another name: a rename (the August 2026 mirror's
    // `Taïwan` → `Ta\u{fffd}wan`).
    let text = seed_text().replace("Albania AL Albania\n", "Albanie AL Albania\n");
    assert_eq!(
        changes(&text),
        ["Breaking `Supported countries names/codes`: renamed `Albania` to `Albanie` (code `AL`)"]
    );
}

#[test]
fn rate_limits_changed() {
    let from =
        "Per-session rate-limit : 1 calls per 1d period for this particular operation (bulk-load)";
    let op = op_with_rate(from);
    assert_eq!(
        changes(&replace1(from, &from.replace("1 calls", "2 calls"))),
        [format!(
            "Additive `{op}`: rate limit changed from 1 calls per 1d (bulk-load) to 2 calls per 1d (bulk-load)"
        )]
    );
    assert_eq!(
        changes(&replace1(from, &from.replace("per 1d", "per 2d"))),
        [format!(
            "Breaking `{op}`: rate limit changed from 1 calls per 1d (bulk-load) to 1 calls per 2d (bulk-load)"
        )]
    );
}

/// `METHOD /path` of the operation whose rate-limit line is `line`.
fn op_with_rate(line: &str) -> String {
    let lines: Vec<&str> = seed_text().lines().collect();
    let at = lines.iter().position(|l| *l == line).unwrap();
    let heading = lines[..at]
        .iter()
        .rev()
        .find(|l| overkiz_codegen::parse::is_operation_heading(l))
        .unwrap();
    let words: Vec<&str> = heading.split(' ').collect();
    format!("{} {}", words[0], words[words.len() - 2])
}
