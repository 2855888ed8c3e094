//! The home-automation layer on the real fixtures (tests/fixtures/): device URLs,
//! UI classes and widgets, commands, vocabulary.

use overkiz::types::{Device, Setup};
use overkiz::{CommandName, DeviceUrl, Protocol, StateName, UiClass, UiWidget};
use overkiz_tests::{fixture, fixture_path, TAHOMA_3_ROLLER_SHUTTERS};
use serde_json::Value;

/// Every JSON fixture, as (relative path, value).
fn json_fixtures() -> Vec<(String, Value)> {
    let mut out = Vec::new();
    let mut dirs = vec![fixture_path("")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                let relative = path
                    .strip_prefix(fixture_path(""))
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                if let Ok(value) = serde_json::from_str(&fixture(&relative)) {
                    out.push((relative, value));
                }
            }
        }
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

/// The shared setups (`GET /setup` answers).
fn setups() -> Vec<(String, Setup)> {
    let mut out: Vec<(String, Setup)> = json_fixtures()
        .into_iter()
        .filter(|(name, _)| name.starts_with("setup/"))
        .map(|(name, value)| {
            let setup = serde_json::from_value(value).unwrap_or_else(|e| panic!("{name}: {e}"));
            (name, setup)
        })
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(out.len() >= 12, "the setups are there");
    out
}

/// Every string under the key `key`, anywhere in `value`.
fn strings_under(value: &Value, key: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key {
                    if let Value::String(s) = v {
                        out.push(s.clone());
                    }
                }
                strings_under(v, key, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|v| strings_under(v, key, out)),
        _ => {}
    }
}

#[test]
fn every_device_url_of_every_fixture_parses_and_formats_back() {
    let mut count = 0;
    for (name, value) in json_fixtures() {
        let mut urls = Vec::new();
        strings_under(&value, "deviceURL", &mut urls);
        for text in urls {
            let url = DeviceUrl::parse(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(url.to_string(), text, "{name}");
            assert!(url.protocol().is_known(), "{name}: {text}");
            assert!(text.starts_with(url.base_device_url()));
            assert_eq!(
                DeviceUrl::from_parts(
                    url.protocol_str(),
                    url.gateway_id(),
                    url.device_address(),
                    url.subsystem_id()
                )
                .unwrap(),
                url
            );
            count += 1;
        }
    }
    assert!(count > 180, "{count} device URLs");
}

#[test]
fn every_device_of_every_setup_has_a_url_a_known_class_and_widget_and_commands() {
    let mut devices = 0;
    let mut sub_devices = 0;
    let mut with_commands = 0;
    for (name, setup) in setups() {
        let gateways: Vec<&str> = setup
            .gateways
            .iter()
            .flatten()
            .filter_map(|g| g.gateway_id.as_deref())
            .collect();
        for device in setup.devices() {
            let what = format!("{name}: {:?}", device.device_url);
            let url = device.url().unwrap_or_else(|e| panic!("{what}: {e}"));
            assert_eq!(url.as_str(), device.device_url.as_deref().unwrap());
            assert!(
                gateways.contains(&url.gateway_id()),
                "{what}: gateway listed"
            );
            if let Some(id) = device.subsystem_id {
                // Local gateways send `subsystemId: 0` for URLs without `#`.
                assert_eq!(url.subsystem_id().map_or(0, i64::from), id, "{what}");
            }
            sub_devices += usize::from(url.is_sub_device());

            let class = device
                .ui_class()
                .unwrap_or_else(|| panic!("{what}: no UI class"));
            assert!(class.is_known(), "{what}: {class}");
            let widget = device
                .widget()
                .unwrap_or_else(|| panic!("{what}: no widget"));
            assert!(widget.is_known(), "{what}: {widget}");

            let commands: Vec<&str> = device.command_names().collect();
            with_commands += usize::from(!commands.is_empty());
            for command in &commands {
                assert!(device.supports_command(command), "{what}: {command}");
            }
            assert!(!device.supports_command("noSuchCommand"));
            if let Some(first) = commands.first() {
                assert_eq!(device.first_command(["noSuchCommand", first]), Some(*first));
            }
            for state in device.states.iter().flatten() {
                let state_name = state.name.as_deref().unwrap();
                assert!(device.has_state(state_name));
                assert_eq!(device.first_state(["x:Nothing", state_name]), Some(state));
            }
            devices += 1;
        }
    }
    assert!(devices > 150, "{devices} devices");
    assert!(sub_devices > 10, "{sub_devices} sub-devices");
    // Sensors may have no command at all (16 of the fixtures' devices).
    assert!(
        with_commands >= devices - 16,
        "{with_commands} of {devices} have commands"
    );
}

#[test]
fn local_setups_take_class_and_widget_from_the_definition() {
    for (name, setup) in setups().into_iter().filter(|(n, _)| n.contains("local")) {
        let device = setup.devices().next().unwrap();
        assert!(
            device.ui_class.is_none() && device.widget.is_none(),
            "{name}"
        );
        assert!(
            device.ui_class().is_some() && device.widget().is_some(),
            "{name}"
        );
    }
}

/// The UI class filter finds exactly the roller shutters the fixture has (a list read
/// off it by hand), each with `close`, and each is found again by its URL.
#[test]
fn roller_shutters_of_a_real_setup() {
    let (_, setup) = setups()
        .into_iter()
        .find(|(n, _)| n.ends_with("setup_tahoma_3.json"))
        .unwrap();
    let shutters: Vec<&Device> = setup.devices_of_class(UiClass::RollerShutter).collect();
    let mut urls: Vec<&str> = shutters
        .iter()
        .map(|d| d.device_url.as_deref().unwrap())
        .collect();
    urls.sort_unstable();
    assert_eq!(urls, TAHOMA_3_ROLLER_SHUTTERS);
    for shutter in shutters {
        assert!(shutter.supports_command(CommandName::Close));
        let url = shutter.device_url.as_deref().unwrap();
        assert_eq!(setup.device(url).unwrap().device_url.as_deref(), Some(url));
    }
}

#[test]
fn every_vocabulary_value_of_the_fixtures_is_known() {
    for (name, value) in json_fixtures() {
        let mut found = Vec::new();
        strings_under(&value, "uiClass", &mut found);
        for v in found.drain(..) {
            assert!(UiClass::from(v.as_str()).is_known(), "{name}: UI class {v}");
        }
        strings_under(&value, "widget", &mut found);
        strings_under(&value, "widgetName", &mut found);
        for v in found.drain(..) {
            assert!(UiWidget::from(v.as_str()).is_known(), "{name}: widget {v}");
        }
    }
}

#[test]
fn vocabulary_is_lossless_and_serialized_as_the_wire_name() {
    let known: UiClass = serde_json::from_str("\"RollerShutter\"").unwrap();
    assert_eq!(known, UiClass::RollerShutter);
    assert_eq!(serde_json::to_string(&known).unwrap(), "\"RollerShutter\"");
    let unseen: UiWidget = serde_json::from_str("\"FluxCapacitor\"").unwrap();
    assert_eq!(unseen, UiWidget::Unknown("FluxCapacitor".into()));
    assert_eq!(serde_json::to_string(&unseen).unwrap(), "\"FluxCapacitor\"");
    assert_eq!(Protocol::from("io"), Protocol::Io);
    assert_eq!(Protocol::from("IO"), Protocol::Unknown("IO".into()));
    assert_eq!(StateName::CoreClosureState.as_str(), "core:ClosureState");
    assert_eq!(CommandName::from("setClosure"), CommandName::SetClosure);
    for class in UiClass::KNOWN {
        assert_eq!(UiClass::from(class.as_str()), class);
    }
    for widget in UiWidget::KNOWN {
        assert_eq!(UiWidget::from(widget.to_string()), widget);
    }
    for protocol in Protocol::KNOWN {
        assert_eq!(protocol.as_str().parse::<Protocol>().unwrap(), protocol);
    }
    // Every known name is found again (the lookup searches the sorted names).
    for state in StateName::KNOWN {
        assert_eq!(StateName::from(state.as_str()), state);
    }
    for command in CommandName::KNOWN {
        assert_eq!(CommandName::from(command.as_str()), command);
    }
}

/// Every identifier of a fixture that anonymizing must remove: gateway ids (from
/// gateways, device URLs and setup ids), object ids, e-mail addresses, location
/// texts, owners.
fn identifiers(value: &Value) -> Vec<String> {
    let mut out = Vec::new();
    for key in [
        "gatewayId",
        "oid",
        "placeOID",
        "setupOID",
        "execId",
        "owner",
        "userId",
    ] {
        strings_under(value, key, &mut out);
    }
    let mut urls = Vec::new();
    strings_under(value, "deviceURL", &mut urls);
    for url in &urls {
        let url = DeviceUrl::parse(url).unwrap();
        out.push(url.gateway_id().to_owned());
        // Addresses long enough to identify hardware (radio addresses, bridge ids).
        out.extend(
            url.device_address()
                .split('/')
                .filter(|p| p.len() >= 6 && p.bytes().any(|b| b.is_ascii_digit()))
                .map(str::to_owned),
        );
    }
    let mut ids = Vec::new();
    strings_under(value, "id", &mut ids);
    out.extend(
        ids.iter()
            .map(|id| id.trim_start_matches("SETUP-").to_owned()),
    );
    let mut metadata = Vec::new();
    strings_under(value, "metadata", &mut metadata);
    out.extend(metadata.into_iter().filter(|m| m.len() == 36));
    for key in [
        "addressLine1",
        "addressLine2",
        "city",
        "postalCode",
        "twilightCity",
    ] {
        strings_under(value, key, &mut out);
    }
    // E-mail addresses, wherever they are.
    let text = value.to_string();
    for word in text.split(|c: char| c == '"' || c.is_whitespace()) {
        if let Some(at) = word.find('@') {
            if word[at..].contains('.') && at > 0 {
                out.push(word.to_owned());
            }
        }
    }
    out.retain(|s| s.len() >= 3 && s.chars().any(|c| c.is_ascii_alphanumeric()));
    out.sort();
    out.dedup();
    out
}

#[test]
fn anonymized_fixtures_keep_no_identifier_and_stay_usable() {
    let mut checked = 0;
    for (name, value) in json_fixtures() {
        let originals = identifiers(&value);
        let shared = overkiz::diagnostics::anonymize(&value);
        let text = shared.to_string();
        for original in &originals {
            assert!(
                !text.contains(original.as_str()),
                "{name}: {original} survived"
            );
        }
        checked += originals.len();
        // Device URLs still parse, and still name a listed gateway.
        let mut urls = Vec::new();
        strings_under(&shared, "deviceURL", &mut urls);
        let mut gateways = Vec::new();
        strings_under(&shared, "gatewayId", &mut gateways);
        for url in &urls {
            let url = DeviceUrl::parse(url).unwrap_or_else(|e| panic!("{name}: {e}"));
            if !gateways.is_empty() {
                assert!(
                    gateways.iter().any(|g| g == url.gateway_id()),
                    "{name}: {url}"
                );
            }
        }
        // Sub-systems of one device still share their base URL, and only they do.
        let mut original_urls = Vec::new();
        strings_under(&value, "deviceURL", &mut original_urls);
        let bases = |list: &[String]| -> Vec<String> {
            list.iter()
                .map(|u| DeviceUrl::parse(u).unwrap().base_device_url().to_owned())
                .collect()
        };
        let (before, after) = (bases(&original_urls), bases(&urls));
        for i in 0..before.len() {
            for j in 0..before.len() {
                assert_eq!(before[i] == before[j], after[i] == after[j], "{name}");
            }
        }
        // Same seed, same dump.
        assert_eq!(overkiz::diagnostics::anonymize(&value), shared, "{name}");
        if name.starts_with("setup/") {
            let before: Setup = serde_json::from_value(value.clone()).unwrap();
            let after: Setup =
                serde_json::from_value(shared).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(before.devices().count(), after.devices().count());
            // Relations survive: a device's place is still a place of the setup.
            let mut places_before = Vec::new();
            strings_under(
                &serde_json::to_value(&before.root_place).unwrap(),
                "oid",
                &mut places_before,
            );
            let mut places_after = Vec::new();
            strings_under(
                &serde_json::to_value(&after.root_place).unwrap(),
                "oid",
                &mut places_after,
            );
            for (b, a) in before.devices().zip(after.devices()) {
                assert_eq!(b.ui_class(), a.ui_class());
                assert_eq!(b.label, a.label, "labels are kept by default");
                if let Some(place) = &b.place_oid {
                    let found_before = places_before.contains(place);
                    let found_after = places_after.contains(a.place_oid.as_ref().unwrap());
                    assert_eq!(found_before, found_after, "{name}: place of {:?}", b.label);
                    assert_ne!(Some(place), a.place_oid.as_ref());
                }
            }
            // The typed convenience agrees with the JSON one.
            let typed = overkiz::diagnostics::anonymize_setup(&before).unwrap();
            assert_eq!(typed.devices().count(), before.devices().count());
        }
    }
    assert!(checked > 250, "{checked} identifiers checked");
}

#[test]
fn anonymized_labels_are_consistent() {
    let (_, setup) = setups()
        .into_iter()
        .find(|(n, _)| n.ends_with("setup_tahoma_3.json"))
        .unwrap();
    let anonymizer = overkiz::diagnostics::Anonymizer::new(7).labels(true);
    let shared = anonymizer.anonymize_setup(&setup).unwrap();
    for (b, a) in setup.devices().zip(shared.devices()) {
        assert_ne!(b.label, a.label);
        if let (Some(label), Some(name)) = (&a.label, a.state("core:NameState")) {
            // The device's name state said the same as its label: it still does.
            if b.state("core:NameState").and_then(|s| s.value.clone())
                == b.label.clone().map(Value::from)
            {
                assert_eq!(
                    name.value.as_ref().and_then(Value::as_str),
                    Some(label.as_str())
                );
            }
        }
    }
}
