//! One crate, servers of two versions: events of the previous wire form (2026-03:
//! tagged `name`, dated `timestamp`, execution type `type`) and of the newest
//! (2026-08: tagged `type`, dated `eventTime`, `executionType`, ...) decode into
//! equal typed values, and each re-encodes in the form it was received.
//!
//! The conversion between the forms (`tests/wire_form_conversion.rs`, shared with
//! the decode benchmark) is written from the spec's data (`spec/overkiz.json`: each
//! event's tag, previous tag and aliases) and the curated renames of the undocumented
//! events (`spec/curated.toml`), independently of the generated decoders. Sources: the event examples of both pages, and the
//! real stream of `tests/fixtures/event/` (all of the previous form).

use overkiz::Event;
use serde_json::Value;

#[path = "../../wire_form_conversion.rs"]
mod conversion;

use conversion::{forms, read};

/// Decodes `json`: a typed variant, nothing in `extra`, encoding back to `json`.
fn typed(json: &Value, what: &str) -> Event {
    let text = serde_json::to_string(json).unwrap();
    let event: Event = serde_json::from_str(&text).unwrap();
    assert!(!matches!(event, Event::Unknown(_)), "{what}: Unknown");
    let extra = event.extra().unwrap();
    assert!(extra.is_empty(), "{what}: left in extra: {extra:?}");
    assert_eq!(
        &serde_json::to_value(&event).unwrap(),
        json,
        "{what}: not encoded in the form received"
    );
    event
}

/// Both forms of one event decode to equal values, each encoding as received.
fn check_both(newest: &Value, previous: &Value, what: &str) {
    let a = typed(newest, &format!("{what} (newest form)"));
    let b = typed(previous, &format!("{what} (previous form)"));
    assert_eq!(a, b, "{what}: the two forms decode differently");
    assert_eq!(a.name(), b.name());
    assert_eq!(a.tag_key(), "type", "{what}");
    assert_eq!(b.tag_key(), "name", "{what}");
}

fn page_examples(relative: &str) -> Vec<(String, Value)> {
    overkiz_codegen::parse::parse_with_examples(relative, &read(&format!("spec/{relative}")))
        .unwrap()
        .1
        .into_iter()
        .map(|ex| {
            let what = format!("{relative} line {} {}", ex.line, ex.name);
            (what, serde_json::from_str(&ex.json).unwrap())
        })
        .collect()
}

#[test]
fn newest_page_examples_decode_like_their_previous_form() {
    let forms = forms();
    let examples = page_examples("enduser-api.txt");
    assert!(examples.len() > 300);
    for (what, newest) in &examples {
        assert!(
            newest.get("name").is_none(),
            "{what}: not of the newest form"
        );
        check_both(newest, &forms.to_previous(newest), what);
    }
}

#[test]
fn previous_page_examples_decode_like_their_newest_form() {
    let forms = forms();
    let examples = page_examples("versions/2026-03.txt");
    let mut checked = 0;
    for (what, previous) in &examples {
        let name = previous["name"].as_str().unwrap();
        if forms.removed.iter().any(|r| r == name) {
            // Removed events only exist in the previous form: typed all the same.
            typed(previous, what);
            continue;
        }
        let (newest, previous) = forms.to_newest(previous);
        check_both(&newest, &previous, what);
        checked += 1;
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn real_stream_decodes_alike_in_both_forms() {
    let forms = forms();
    let events: Vec<Value> =
        serde_json::from_str(&read("tests/fixtures/event/cloud_events.json")).unwrap();
    assert_eq!(events.len(), 16);
    for (i, previous) in events.iter().enumerate() {
        let what = format!("cloud_events.json[{i}] {}", previous["name"]);
        let (newest, stripped) = forms.to_newest(previous);
        assert_eq!(
            &stripped, previous,
            "{what}: no field is of the previous form only"
        );
        check_both(&newest, previous, &what);
    }
}

/// In 2026-03, some events have a `type` of their own (an integer on `Place*`, a
/// string on `CalendarRule*`): `name` names them, and their `type` is data, typed.
#[test]
fn name_wins_over_a_type_of_the_event_s_own() {
    let place = serde_json::json!({"name": "PlaceCreatedEvent", "type": 3, "placeOID": "p"});
    let Event::PlaceCreated(created) = typed(&place, "place") else {
        panic!("PlaceCreated")
    };
    assert_eq!(created.r#type, Some(3));
    let newest = serde_json::json!({"type": "PlaceCreatedEvent", "placeType": 3, "placeOID": "p"});
    assert_eq!(typed(&newest, "place"), Event::PlaceCreated(created));

    let rule = serde_json::json!({"name": "CalendarRuleCreatedEvent", "type": "a rule type"});
    let Event::CalendarRuleCreated(created) = typed(&rule, "rule") else {
        panic!("CalendarRuleCreated")
    };
    assert_eq!(created.r#type.as_deref(), Some("a rule type"));
    // A `type` that names no event, without `name`: an unknown event, kept whole.
    let odd = serde_json::json!({"type": "a rule type", "eventTime": 1});
    let event: Event = serde_json::from_value(odd.clone()).unwrap();
    assert_eq!(event, Event::Unknown(odd.clone()));
    assert_eq!(event.name(), "a rule type");
}

#[test]
fn an_unlisted_event_of_the_newest_form_is_kept_whole() {
    let text =
        r#"{"eventTime": 1, "siteOID": "s", "nested": {"type": [1]}, "type": "SomeFutureEvent"}"#;
    let event: Event = serde_json::from_str(text).unwrap();
    let expected: Value = serde_json::from_str(text).unwrap();
    assert_eq!(event, Event::Unknown(expected.clone()));
    assert_eq!(event.name(), "SomeFutureEvent");
    assert_eq!(event.tag_key(), "type");
    assert_eq!(serde_json::to_value(&event).unwrap(), expected);
}

/// A field sent under both names is not lost: the second one is kept in `extra`.
#[test]
fn both_names_of_a_field_lose_nothing() {
    let text = r#"{"type": "GatewayAliveEvent", "eventTime": 1, "timestamp": 2, "gatewayId": "g"}"#;
    let event: Event = serde_json::from_str(text).unwrap();
    let Event::GatewayAlive(alive) = &event else {
        panic!("GatewayAlive")
    };
    assert_eq!(alive.timestamp, Some(1));
    assert_eq!(alive.extra.get("timestamp"), Some(&Value::from(2)));
}

/// The one-pass decoder holds scalars until the tag and types lists at once into a
/// guessed payload: whatever the key order (tag first or last, a list shared by
/// several events before the fields that tell them apart), the result is the same,
/// and nothing is lost: an unknown scalar or list, a `null`, a value of another
/// shape than documented all stay in `extra`.
#[test]
fn one_pass_decoding_is_lenient_in_any_key_order() {
    let action = serde_json::json!({"deviceURL": "io://1/2", "commands": [{"name": "open"}]});
    let bodies = [
        serde_json::json!({"actions": [action], "timestamp": 1, "execId": "e",
            "label": 5, "metadata": null, "odd": [1, {"a": 2}], "unknownScalar": "x",
            "name": "ExecutionRegisteredEvent"}),
        serde_json::json!({"actions": [action], "timestamp": 1, "actionGroupOID": "a",
            "odd": {"b": 1}, "name": "ActionGroupUpdatedEvent"}),
        serde_json::json!({"actions": [action], "eventTime": 1, "execId": "e",
            "type": "ExecutionRegisteredEvent"}),
        // Unlisted: kept whole, lists included.
        serde_json::json!({"actions": [action], "deviceStates": [{"name": "s"}], "name": "NoSuchEvent"}),
    ];
    for body in &bodies {
        let object = body.as_object().unwrap();
        // The same fields with the tag first, then last (server order), then sorted.
        let mut orders = Vec::new();
        for tag_first in [true, false] {
            let mut fields: Vec<(&String, &Value)> = object.iter().collect();
            fields.sort_by_key(|(k, _)| (*k == "name" || *k == "type") != tag_first);
            let inner: Vec<String> = fields
                .iter()
                .map(|(k, v)| format!("{}:{}", serde_json::to_string(k).unwrap(), v))
                .collect();
            orders.push(format!("{{{}}}", inner.join(",")));
        }
        orders.push(serde_json::to_string(body).unwrap());
        let decoded: Vec<Event> = orders
            .iter()
            .map(|text| serde_json::from_str(text).unwrap())
            .collect();
        for (event, text) in decoded.iter().zip(&orders) {
            assert_eq!(event, &decoded[0], "{text}");
            assert_eq!(
                &serde_json::to_value(event).unwrap(),
                body,
                "{text}: lost something"
            );
        }
    }
    let Event::ExecutionRegistered(registered) = serde_json::from_value(bodies[0].clone()).unwrap()
    else {
        panic!("ExecutionRegistered")
    };
    assert_eq!(registered.actions.as_ref().map(Vec::len), Some(1));
    assert_eq!(
        registered.extra["label"], 5,
        "a number where a string is documented"
    );
    assert_eq!(registered.extra["metadata"], Value::Null);
    assert_eq!(registered.extra["odd"], serde_json::json!([1, {"a": 2}]));
    assert_eq!(registered.extra["unknownScalar"], "x");
    let event: Event = serde_json::from_value(bodies[3].clone()).unwrap();
    assert_eq!(event, Event::Unknown(bodies[3].clone()));
}
