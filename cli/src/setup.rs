//! The setup as tables and text: `setup` (gateways), `devices` (one line each) and
//! `device` (one device's states and commands).

use overkiz::Client;
use serde_json::Value;

use crate::escape::{escape, field, Form};
use crate::table::print_table;
use crate::BoxError;

pub(crate) async fn setup(client: &Client, anonymize: bool, json: bool) -> Result<(), BoxError> {
    let mut setup = client.get_setup().await?;
    if anonymize {
        setup = overkiz::diagnostics::anonymize_setup(&setup)?;
    }
    if json {
        println!(
            "{}",
            escape(&serde_json::to_string_pretty(&setup)?, Form::Json)
        );
        return Ok(());
    }
    for gateway in setup.gateways.iter().flatten() {
        let status = gateway
            .connectivity
            .as_ref()
            .and_then(|c| c.status.as_deref())
            .unwrap_or("?");
        println!(
            "gateway {}  type {}  status {}  firmware {}",
            field(gateway.gateway_id.as_deref().unwrap_or("?")),
            field(&gateway.r#type.map_or("?".into(), |t| t.to_string())),
            field(status),
            field(gateway.firmware_version.as_deref().unwrap_or("?")),
        );
    }
    let count = setup.devices.as_ref().map_or(0, Vec::len);
    println!("{count} devices (`overkiz devices` lists them)");
    Ok(())
}

/// States shown in the device table when a device has them.
const MAIN_STATES: &[&str] = &[
    "core:ClosureState",
    "core:OpenClosedState",
    "core:OnOffState",
    "core:SlateOrientationState",
    "core:TemperatureState",
    "core:TargetTemperatureState",
    "core:LightIntensityState",
    "core:ContactState",
    "core:OccupancyState",
    "core:LuminanceState",
];

fn display_value(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "-".into(),
    }
}

pub(crate) async fn devices(client: &Client) -> Result<(), BoxError> {
    let setup = client.get_setup().await?;
    let mut rows = vec![[
        "LABEL".to_owned(),
        "UI CLASS".into(),
        "WIDGET".into(),
        "STATES".into(),
        "URL".into(),
    ]];
    for device in setup.devices() {
        let states: Vec<String> = MAIN_STATES
            .iter()
            .filter_map(|name| {
                let state = device.state(name)?;
                let short = name.split_once(':').map_or(*name, |(_, n)| n);
                Some(format!("{short}={}", display_value(state.value.as_ref())))
            })
            .take(3)
            .collect();
        rows.push([
            device.label.clone().unwrap_or_default(),
            device.ui_class_str().unwrap_or("-").to_owned(),
            device.widget_str().unwrap_or("-").to_owned(),
            if states.is_empty() {
                "-".into()
            } else {
                states.join(" ")
            },
            device.device_url.clone().unwrap_or_default(),
        ]);
    }
    print_table(&rows);
    Ok(())
}

pub(crate) async fn device(client: &Client, url: &str) -> Result<(), BoxError> {
    let device = client.get_setup_devices_by_device_url(url).await?;
    println!(
        "label:      {}",
        field(device.label.as_deref().unwrap_or("-"))
    );
    println!(
        "url:        {}",
        field(device.device_url.as_deref().unwrap_or(url))
    );
    println!(
        "ui class:   {}",
        field(device.ui_class_str().unwrap_or("-"))
    );
    println!("widget:     {}", field(device.widget_str().unwrap_or("-")));
    println!(
        "controllable: {}",
        field(device.controllable_name.as_deref().unwrap_or("-"))
    );
    println!("states:");
    for state in device.states.iter().flatten() {
        println!(
            "  {} = {}",
            field(state.name.as_deref().unwrap_or("?")),
            field(&display_value(state.value.as_ref()))
        );
    }
    println!("commands:");
    for command in device.command_definitions() {
        println!(
            "  {} ({} parameters)",
            field(command.command_name.as_deref().unwrap_or("?")),
            command.nparams.unwrap_or(0)
        );
    }
    Ok(())
}
