//! Real payloads from real accounts (tests/fixtures/, see its README) decode into the
//! public types without losing anything, and read as expected.

use overkiz::types::{
    ActionGroup, Device, DeviceState, EventListener, ExecIdResponse, Execution, Place, Setup,
    SetupOption,
};
use overkiz::{Event, StateValue, TypedValue};
use overkiz_tests::{fixture, lossless_diff};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

/// Decodes a fixture into `T`, checks that encoding gives back every key and value,
/// and returns the typed value.
fn decode<T: DeserializeOwned + Serialize>(relative: &str) -> T {
    let text = fixture(relative);
    let typed: T = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{relative}: {e}"));
    let original: Value = serde_json::from_str(&text).unwrap();
    let diff = lossless_diff(&original, &serde_json::to_value(&typed).unwrap());
    assert!(diff.is_empty(), "{relative} loses data: {diff:#?}");
    typed
}

fn device<'a>(setup: &'a Setup, url: &str) -> &'a Device {
    setup
        .devices
        .iter()
        .flatten()
        .find(|d| d.device_url.as_deref() == Some(url))
        .unwrap_or_else(|| panic!("no {url}"))
}

fn state(setup: &Setup, url: &str, name: &str) -> StateValue {
    device(setup, url)
        .state(name)
        .unwrap_or_else(|| panic!("{url} has no {name}"))
        .typed_value()
}

fn counts(setup: &Setup) -> (usize, usize) {
    (
        setup.devices.as_ref().map_or(0, Vec::len),
        setup.gateways.as_ref().map_or(0, Vec::len),
    )
}

/// What no setup may have: a device whose typed fields fell back to JSON.
fn assert_devices_fully_typed(setup: &Setup) {
    for d in setup.devices.iter().flatten() {
        assert!(
            d.extra.is_empty(),
            "{:?} has untyped fields {:?}",
            d.device_url,
            d.extra.keys()
        );
        for s in d.states.iter().flatten() {
            assert!(
                s.extra.is_empty(),
                "{:?} state {:?} has untyped fields",
                d.device_url,
                s.name
            );
        }
    }
}

#[test]
fn setup_cozytouch_2() {
    let setup: Setup = decode("setup/setup_cozytouch_2.json");
    assert_eq!(counts(&setup), (15, 1));
    assert_devices_fully_typed(&setup);
    assert_eq!(
        state(
            &setup,
            "internal://1234-1234-5752/pod/0",
            "internal:LightingLedPodModeState"
        ),
        StateValue::Float(1.0)
    );
    let modes = state(
        &setup,
        "io://1234-1234-5752/8647155#1",
        "io:OperatingModeCapabilitiesState",
    );
    assert_eq!(modes.as_object().unwrap()["relaunch"], json!(1));
}

#[test]
fn setup_cozytouch_v2() {
    let setup: Setup = decode("setup/setup_cozytouch_v2.json");
    assert_eq!(counts(&setup), (5, 1));
    assert_eq!(
        state(
            &setup,
            "internal://1234-5678-5643/wifi/0",
            "internal:SignalStrengthState"
        )
        .as_i64(),
        Some(83)
    );
}

#[test]
fn setup_hi_kumo() {
    let setup: Setup = decode("setup/setup_hi_kumo.json");
    assert_eq!(counts(&setup), (3, 1));
    assert_devices_fully_typed(&setup);
    assert_eq!(
        state(
            &setup,
            "internal://1234-1234-6362/pod/0",
            "internal:LightingLedPodModeState"
        )
        .as_f64(),
        Some(1.0)
    );
}

#[test]
fn setup_hue_and_low_speed() {
    let setup: Setup = decode("setup/setup_hue_and_low_speed.json");
    assert_eq!(counts(&setup), (40, 1));
    let hue = "hue://1234-1234-4411/001788676dde/lights/10";
    assert_eq!(
        state(&setup, hue, "core:ColorHueState"),
        StateValue::Int(24)
    );
    assert_eq!(
        state(&setup, hue, "core:CieColorSpaceXState"),
        StateValue::Float(0.534)
    );
    assert!(setup.disconnection_configuration.is_some());
}

#[test]
fn setup_local() {
    let setup: Setup = decode("setup/setup_local.json");
    assert_eq!(counts(&setup), (3, 1));
    assert_devices_fully_typed(&setup);
    let awning = device(&setup, "io://1234-1234-1234/5928357");
    assert_eq!(awning.oid, None, "local devices have no oid");
    assert_eq!(awning.synced, Some(true));
    assert_eq!(awning.subsystem_id, Some(0));
    assert_eq!(
        awning.state("core:MovingState").unwrap().as_bool(),
        Some(false)
    );
    assert_eq!(
        awning.state("core:RSSILevelState").unwrap().as_i64(),
        Some(88)
    );
    let settings = awning
        .state("core:ManufacturerSettingsState")
        .unwrap()
        .typed_value();
    assert_eq!(settings.as_object().unwrap()["currentPosition"], json!(0));
    assert_eq!(
        awning.attribute("core:Manufacturer").unwrap().as_str(),
        Some("Somfy")
    );
    assert_eq!(
        setup.location, None,
        "local setups only have gateways and devices"
    );
}

#[test]
fn setup_local_tahoma() {
    let setup: Setup = decode("setup/setup_local_tahoma.json");
    assert_eq!(counts(&setup), (8, 1));
    assert_devices_fully_typed(&setup);
    assert_eq!(
        state(
            &setup,
            "io://1234-5678-3293/5770898",
            "core:Memorized1PositionState"
        )
        .as_i64(),
        Some(80)
    );
    let definition = device(&setup, "io://1234-5678-3293/5770898")
        .definition
        .as_ref()
        .unwrap();
    let command = &definition.commands.as_ref().unwrap()[1];
    assert_eq!(command.command_name.as_deref(), Some("setDeployment"));
    assert_eq!(
        command.params_sig.as_deref(),
        Some("p1"),
        "paramsSig is typed through the curated file"
    );
}

#[test]
fn setup_nexity() {
    let setup: Setup = decode("setup/setup_nexity.json");
    assert_eq!(counts(&setup), (18, 1));
    assert_devices_fully_typed(&setup);
    assert_eq!(
        state(
            &setup,
            "io://1234-1234-2813/10893297",
            "core:PriorityLockTimerState"
        )
        .as_i64(),
        Some(0)
    );
    assert_eq!(
        state(&setup, "io://1234-1234-2813/13587394", "core:MovingState").as_bool(),
        Some(false)
    );
}

#[test]
fn setup_tahoma_1() {
    let setup: Setup = decode("setup/setup_tahoma_1.json");
    assert_eq!(counts(&setup), (1, 1));
    assert_devices_fully_typed(&setup);
    let location = setup.location.as_ref().unwrap();
    assert_eq!(location.country_code.as_deref(), Some("FR"));
    // The fixture's coordinates are masked as "**": kept as sent, beside the number field.
    assert_eq!(location.latitude, None);
    assert_eq!(location.extra.get("latitude"), Some(&json!("**")));
}

#[test]
fn setup_tahoma_3() {
    let setup: Setup = decode("setup/setup_tahoma_3.json");
    assert_eq!(counts(&setup), (39, 1));
    assert_devices_fully_typed(&setup);
    assert_eq!(
        state(
            &setup,
            "internal://1234-1234-6233/alarm/0",
            "internal:AlarmDelayState"
        )
        .as_i64(),
        Some(30)
    );
}

#[test]
fn setup_tahoma_be() {
    let setup: Setup = decode("setup/setup_tahoma_be.json");
    assert_eq!(counts(&setup), (15, 1));
    assert_eq!(
        state(
            &setup,
            "internal://1234-1234-4892/pod/0",
            "internal:LightingLedPodModeState"
        )
        .as_f64(),
        Some(0.05)
    );
}

#[test]
fn setup_tahoma_pro() {
    let setup: Setup = decode("setup/setup_tahoma_pro.json");
    assert_eq!(counts(&setup), (12, 1));
    assert_devices_fully_typed(&setup);
    assert_eq!(
        state(&setup, "io://1234-1234-3293/3541212", "core:MovingState").as_bool(),
        Some(false)
    );
}

#[test]
fn setup_tahoma_siren_io() {
    let setup: Setup = decode("setup/setup_tahoma_siren_io.json");
    assert_eq!(counts(&setup), (11, 1));
    assert_eq!(
        state(
            &setup,
            "internal://1234-1234-7462/alarm/0",
            "internal:AlarmDelayState"
        )
        .as_i64(),
        Some(0)
    );
}

#[test]
fn cloud_events() {
    let events: Vec<Event> = decode("event/cloud_events.json");
    assert_eq!(events.len(), 16);
    assert!(
        events.iter().all(|e| !matches!(e, Event::Unknown(_))),
        "every event of the stream is typed"
    );
    let registered = events.iter().find_map(|e| match e {
        Event::ExecutionRegistered(r) => Some(r),
        _ => None,
    });
    let registered =
        registered.expect("ExecutionRegisteredEvent is typed through the curated file");
    assert_eq!(
        registered.exec_id.as_deref(),
        Some("c6f83624-ac10-3e01-653e-2b025fee956d")
    );
    let action = &registered.actions.as_ref().unwrap()[0];
    assert_eq!(
        action.device_url.as_deref(),
        Some("io://9876-1234-8767/11212197")
    );
    let param = &action.commands.as_ref().unwrap()[0]
        .parameters
        .as_ref()
        .unwrap()[0];
    assert_eq!(param.as_i64(), Some(43), "the string \"43\" with type 1");

    let completed = events.iter().filter_map(|e| match e {
        Event::ExecutionStateChanged(c) if c.new_state.as_deref() == Some("COMPLETED") => Some(c),
        _ => None,
    });
    assert_eq!(completed.count(), 1);

    // Cloud state values are strings; the type code reads them.
    let mut typed = 0;
    for e in &events {
        if let Event::DeviceStateChanged(changed) = e {
            for s in changed.device_states.iter().flatten() {
                assert!(
                    s.raw_value().is_none_or(|v| v.is_string()),
                    "cloud sends strings"
                );
                if s.type_code() == Some(1) {
                    assert!(s.as_i64().is_some(), "{:?} reads as an integer", s.name);
                    typed += 1;
                }
            }
        }
    }
    assert!(typed > 0);
    for e in &events {
        assert!(
            e.extra().unwrap().is_empty(),
            "{} has untyped fields {:?}",
            e.name(),
            e.extra()
        );
    }
}

#[test]
fn action_group_cozytouch() {
    let groups: Vec<ActionGroup> = decode("action_groups/action-group-cozytouch.json");
    assert_eq!(groups.len(), 9);
    assert_eq!(groups[0].label.as_deref(), Some("Label 1"));
    assert!(groups
        .iter()
        .all(|g| g.actions.as_ref().is_some_and(|a| !a.is_empty())));
}

#[test]
fn action_group_tahoma_switch() {
    let groups: Vec<ActionGroup> = decode("action_groups/action-group-tahoma-switch.json");
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0].label.as_deref(), Some("I'm arriving"));
}

#[test]
fn exec_current_single() {
    let execution: Execution = decode("exec/current-single.json");
    assert_eq!(execution.state.as_deref(), Some("TRANSMITTED"));
    assert_eq!(
        execution.id.as_deref(),
        Some("699dd967-0a19-0481-7a62-99b990a2feb8")
    );
    let group = execution.action_group.as_ref().unwrap();
    assert_eq!(group.label.as_deref(), Some("Execution via Home Assistant"));
    assert_eq!(
        group.actions.as_ref().unwrap()[0].device_url.as_deref(),
        Some("rts://1234-5678-1234/12345678")
    );
}

#[test]
fn endpoint_device_states() {
    let states: Vec<DeviceState> = decode("endpoints/device-states.json");
    assert_eq!(states.len(), 3);
    assert_eq!(states[1].as_i64(), Some(0));
    assert_eq!(states[2].as_str(), Some("open"));
}

#[test]
fn endpoint_events_register() {
    let listener: EventListener = decode("endpoints/events-register.json");
    assert_eq!(
        listener.id.as_deref(),
        Some("a70f6d96-0a19-0483-72d9-ac5f6bd7da26")
    );
}

#[test]
fn endpoint_exec_apply() {
    let answer: ExecIdResponse = decode("endpoints/exec-apply.json");
    assert_eq!(
        answer.exec_id.as_deref(),
        Some("ee7a5676-c68f-43a3-956d-6f5efc745954")
    );
}

#[test]
fn endpoint_exec_current_empty_list() {
    let executions: Vec<Execution> = decode("endpoints/exec-current-empty-list.json");
    assert!(executions.is_empty());
}

#[test]
fn endpoint_exec_current_empty_object() {
    let execution: Execution = decode("endpoints/exec-current-empty-object.json");
    assert_eq!(execution, Execution::default());
}

#[test]
fn endpoint_exec_schedule() {
    let answer: overkiz::types::TriggerIdResponse = decode("endpoints/exec-schedule.json");
    assert_eq!(
        answer.trigger_id.as_deref(),
        Some("abc12345-def6-7890-abcd-ef1234567890")
    );
}

#[test]
fn endpoint_setup_options_developer_mode() {
    let option: SetupOption = decode("endpoints/setup-options-developerMode.json");
    assert_eq!(
        option.option_id.as_deref(),
        Some("developerMode-1234-5678-1234")
    );
    assert_eq!(
        option.parameters.as_ref().unwrap()[0].value.as_deref(),
        Some("1234-5678-1234")
    );
}

#[test]
fn endpoint_setup_options_empty() {
    let option: SetupOption = decode("endpoints/setup-options-empty.json");
    assert_eq!(option, SetupOption::default());
}

#[test]
fn endpoint_setup_places() {
    let root: Place = decode("endpoints/setup-places.json");
    assert_eq!(root.label.as_deref(), Some("My House"));
    let sub = root.sub_places.as_ref().unwrap();
    assert!(!sub.is_empty());
}

// ----- Variety beyond the fixtures: what other accounts send -----------------------

#[test]
fn a_local_device_without_controllable_name_or_definition_decodes() {
    let text = r#"{"gateways": [{"gatewayId": "1234-5678-9012", "alive": true}],
                   "devices": [{"deviceURL": "io://1234-5678-9012/1", "available": true, "states": []},
                               {"deviceURL": "io://1234-5678-9012/2", "label": "Blind", "controllableName": "io:X"}]}"#;
    let setup: Setup = serde_json::from_str(text).unwrap();
    let first = &setup.devices.as_ref().unwrap()[0];
    assert_eq!(first.controllable_name, None);
    assert_eq!(first.definition, None);
    assert_eq!(
        setup.devices.as_ref().unwrap()[1].label.as_deref(),
        Some("Blind")
    );
}

#[test]
fn an_integer_coded_state_carrying_a_decimal_keeps_it() {
    let text = r#"{"name": "core:TemperatureState", "type": 1, "value": 24.2}"#;
    let state: DeviceState = serde_json::from_str(text).unwrap();
    assert_eq!(state.typed_value(), StateValue::Float(24.2));
    assert_eq!(state.as_f64(), Some(24.2));
    assert_eq!(state.as_i64(), None);
    assert_eq!(
        serde_json::to_value(&state).unwrap(),
        serde_json::from_str::<Value>(text).unwrap()
    );
}

#[test]
fn one_odd_device_never_costs_the_whole_setup() {
    // The second device has values of the wrong shape everywhere.
    let text = r#"{"devices": [
        {"deviceURL": "io://1/1", "label": "Fine", "states": [{"name": "core:ClosureState", "type": 1, "value": 20}]},
        {"deviceURL": "io://1/2", "label": 42, "available": "yes", "states": "none", "definition": [1, 2],
         "attributes": [{"name": 7, "type": "x"}], "brandNewField": {"nested": true}},
        {"deviceURL": "io://1/3", "label": "Also fine"}
    ]}"#;
    let setup: Setup = serde_json::from_str(text).unwrap();
    let devices = setup.devices.as_ref().unwrap();
    assert_eq!(devices.len(), 3);
    assert_eq!(
        devices[0].state("core:ClosureState").unwrap().as_i64(),
        Some(20)
    );
    assert_eq!(devices[2].label.as_deref(), Some("Also fine"));
    let odd = &devices[1];
    assert_eq!(odd.device_url.as_deref(), Some("io://1/2"));
    assert_eq!(odd.label, None);
    assert_eq!(odd.extra["label"], json!(42));
    assert_eq!(odd.extra["states"], json!("none"));
    assert_eq!(odd.extra["brandNewField"], json!({"nested": true}));
    let original: Value = serde_json::from_str(text).unwrap();
    assert_eq!(
        lossless_diff(&original, &serde_json::to_value(&setup).unwrap()),
        Vec::<String>::new()
    );
}
