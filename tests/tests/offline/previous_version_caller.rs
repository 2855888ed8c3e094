//! A caller written against the crate generated from the 2026-03 page compiles
//! against the checked-in crate (generated from the newest page), with the same
//! meaning: renamed wire fields keep their Rust names, renamed classes keep their
//! type names, and what the newest page removed stays (deprecated). Compiled by
//! every `cargo test`; `codegen/tests/compat.rs` compares the whole surface.

// The events and operations the newest page removed are deprecated on purpose.
#![allow(deprecated)]

use overkiz::types::{
    CalendarRuleCreatedEvent, Device, ExecutionStateChangedEvent, LocationTariffSettingsTariff,
    PlaceCreatedEvent, PlaceSettings, Setup, SonosTopologyChangedEvent,
};
use overkiz::{Client, Event};

/// Written against 2026-03: the fields as that crate named them. (Payloads are
/// boxed since the crate measured decoding: a pattern names the payload type
/// through the box, the field names are those of 2026-03.)
fn describe(event: &Event) -> String {
    match event {
        Event::ExecutionStateChanged(e) => {
            let ExecutionStateChangedEvent {
                exec_id,
                r#type,
                timestamp,
                ..
            } = &**e;
            format!("exec {exec_id:?} type {type:?} at {timestamp:?}", type = r#type)
        }
        Event::PlaceCreated(e) => {
            let PlaceCreatedEvent {
                place_oid, r#type, ..
            } = &**e;
            format!("place {place_oid:?} type {type:?}", type = r#type)
        }
        Event::CalendarRuleCreated(e) => {
            let CalendarRuleCreatedEvent { r#type, .. } = &**e;
            format!("rule type {type:?}", type = r#type)
        }
        Event::SonosTopologyChanged(e) => {
            let SonosTopologyChangedEvent { timestamp, .. } = &**e;
            format!("sonos at {timestamp:?}")
        }
        other => other.name().to_owned(),
    }
}

/// Calls of 2026-03, including the two the newest page removed. Only compiled.
#[allow(dead_code)]
async fn calls(client: &Client) -> Result<(), overkiz::Error> {
    let setup: Setup = client.get_setup().await?;
    let _devices: Vec<&Device> = setup.devices().collect();
    let _ = client
        .get_config_by_gateway_id_upnpcontrol_sonos_check_action_groups("1234-5678-9012")
        .await?;
    client
        .post_config_by_gateway_id_upnpcontrol_sonos_topology_by_device_url(
            "1234-5678-9012",
            "upnp://1234-5678-9012/1",
        )
        .await?;
    let _place = PlaceSettings {
        label: Some("kitchen".into()),
        ..Default::default()
    };
    let _tariff = LocationTariffSettingsTariff {
        name: Some("tariff0".into()),
        start_time: Some("00:01".into()),
        ..Default::default()
    };
    Ok(())
}

/// Runtime calls of the previous version that this one deprecates (for
/// `run_and_wait`, which takes what `Client::run` takes). Only compiled.
#[allow(dead_code)]
async fn runtime_calls(
    client: &Client,
    group: &overkiz::types::ActionGroup,
) -> Result<(), overkiz::Error> {
    let timeout = std::time::Duration::from_secs(60);
    let _outcome = client.execute_and_wait(group, timeout).await?;
    let mut events = client.events();
    let _outcome = events.execute_and_wait(group, timeout).await?;
    Ok(())
}

#[test]
fn a_caller_of_the_previous_crate_reads_both_forms_alike() {
    let previous = serde_json::json!({
        "name": "ExecutionStateChangedEvent", "execId": "e", "type": 1, "timestamp": 7
    });
    let newest = serde_json::json!({
        "type": "ExecutionStateChangedEvent", "execId": "e", "executionType": 1, "eventTime": 7
    });
    let a: Event = serde_json::from_value(previous).unwrap();
    let b: Event = serde_json::from_value(newest).unwrap();
    assert_eq!(describe(&a), "exec Some(\"e\") type Some(1) at Some(7)");
    assert_eq!(describe(&a), describe(&b));
    let sonos: Event = serde_json::from_value(serde_json::json!({
        "name": "SonosTopologyChangedEvent", "timestamp": 3
    }))
    .unwrap();
    assert_eq!(describe(&sonos), "sonos at Some(3)");
}
