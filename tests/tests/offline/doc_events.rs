//! Every event example of the documentation (the newest page and the previous
//! version) decodes into its typed variant, with every field documented, and
//! encodes back to the same JSON.

use overkiz::Event;
use serde_json::Value;

fn examples(relative: &str) -> Vec<overkiz_codegen::parse::EventExample> {
    let path = format!("{}/../spec/{relative}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).expect("the documentation is in the tree");
    overkiz_codegen::parse::parse_with_examples(relative, &text)
        .expect("the documentation parses")
        .1
}

/// The newest page (events tagged `type`, dated `eventTime`) and the previous one
/// (tagged `name`, dated `timestamp`), with their number of event types.
const PAGES: [(&str, usize); 2] = [("enduser-api.txt", 139), ("versions/2026-03.txt", 138)];

#[test]
fn every_documented_event_example_decodes_typed_and_round_trips() {
    for (page, count) in PAGES {
        let examples = examples(page);
        assert!(
            examples.len() > 300,
            "{page}: only {} examples found",
            examples.len()
        );
        let mut names = std::collections::BTreeSet::new();
        for ex in &examples {
            let original: Value = serde_json::from_str(&ex.json).unwrap();
            let event: Event = serde_json::from_str(&ex.json).unwrap_or_else(|e| {
                panic!("{page} line {}: {} does not decode: {e}", ex.line, ex.name)
            });
            assert!(
                !matches!(event, Event::Unknown(_)),
                "{page} line {}: {} decoded as Unknown",
                ex.line,
                ex.name
            );
            assert_eq!(event.name(), ex.name, "{page} line {}", ex.line);
            let extra = event.extra().expect("typed");
            assert!(
                extra.is_empty(),
                "{page} line {}: {} has fields its type lacks: {extra:?}",
                ex.line,
                ex.name
            );
            let encoded = serde_json::to_value(&event).unwrap();
            assert_eq!(
                encoded, original,
                "{page} line {}: {} does not encode back to its example",
                ex.line, ex.name
            );
            names.insert(ex.name.clone());
        }
        assert_eq!(
            names.len(),
            count,
            "{page}: distinct event types in the examples"
        );
    }
}

#[test]
fn an_unlisted_event_is_kept_whole() {
    let text = r#"{"timestamp": 1, "name": "SomeFutureEvent", "nested": {"a": [1, 2.5, null]}, "flag": true}"#;
    let event: Event = serde_json::from_str(text).unwrap();
    let Event::Unknown(value) = &event else {
        panic!("expected Unknown, got {event:?}")
    };
    assert_eq!(event.name(), "SomeFutureEvent");
    assert_eq!(value, &serde_json::from_str::<Value>(text).unwrap());
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}

#[test]
fn an_event_without_name_is_kept_whole() {
    let text = r#"{"timestamp": 1, "setupOID": "x"}"#;
    let event: Event = serde_json::from_str(text).unwrap();
    assert!(matches!(event, Event::Unknown(_)));
    assert_eq!(event.name(), "");
}

#[test]
fn undocumented_fields_and_odd_values_of_a_documented_event_are_kept() {
    let text = r#"{"gatewayId": "1234-5678-9012", "timestamp": "not a number", "brandNew": [1], "name": "GatewaySynchronizationStartedEvent"}"#;
    let event: Event = serde_json::from_str(text).unwrap();
    let Event::GatewaySynchronizationStarted(payload) = &event else {
        panic!("typed variant expected, got {event:?}")
    };
    assert_eq!(payload.gateway_id.as_deref(), Some("1234-5678-9012"));
    assert_eq!(
        payload.timestamp, None,
        "a string is not the documented integer"
    );
    let extra = event.extra().unwrap();
    assert_eq!(extra.get("timestamp"), Some(&Value::from("not a number")));
    assert_eq!(extra.get("brandNew"), Some(&serde_json::json!([1])));
    assert_eq!(
        serde_json::to_value(&event).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}

#[test]
fn name_first_or_last_decodes_the_same() {
    let last =
        r#"{"gatewayId": "g", "timestamp": 5, "name": "GatewaySynchronizationStartedEvent"}"#;
    let first =
        r#"{"name": "GatewaySynchronizationStartedEvent", "gatewayId": "g", "timestamp": 5}"#;
    let a: Event = serde_json::from_str(last).unwrap();
    let b: Event = serde_json::from_str(first).unwrap();
    assert_eq!(a, b);
    // Also through serde_json::Value, not only from text.
    let c: Event = serde_json::from_value(serde_json::from_str(last).unwrap()).unwrap();
    assert_eq!(a, c);
}

#[test]
fn a_list_with_an_odd_element_keeps_every_event() {
    let text = r#"[1, {"gatewayId": "g", "name": "GatewaySynchronizationStartedEvent"}, "text"]"#;
    let events: Vec<Event> = serde_json::from_str(text).unwrap();
    assert_eq!(events.len(), 3);
    assert_eq!(events[0], Event::Unknown(serde_json::json!(1)));
    assert_eq!(events[1].name(), "GatewaySynchronizationStartedEvent");
    assert_eq!(events[2], Event::Unknown(serde_json::json!("text")));
    assert_eq!(
        serde_json::to_value(&events).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}
