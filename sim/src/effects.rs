//! The effect of known commands on device states (`setClosure` sets
//! `core:ClosureState`, ...): what a completed execution changes.

use serde_json::Value;

/// A number parameter, sent as a number or a string.
fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

/// `x` as JSON: an integer when it is one.
fn json_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// The state changes of a command with a known effect (only the states a device has
/// change).
pub(crate) fn effect(command: &str, parameters: &[Value]) -> Vec<(&'static str, Value)> {
    let closure = |c: f64| {
        vec![
            ("core:ClosureState", json_number(c)),
            ("core:TargetClosureState", json_number(c)),
            (
                "core:OpenClosedState",
                Value::from(if c >= 100.0 { "closed" } else { "open" }),
            ),
        ]
    };
    let deployment = |d: f64| vec![("core:DeploymentState", json_number(d))];
    let first = || number(parameters.first());
    match command {
        "open" => closure(0.0),
        "close" => closure(100.0),
        "setClosure" => first().map(closure).unwrap_or_default(),
        "deploy" => deployment(100.0),
        "undeploy" => deployment(0.0),
        "setDeployment" => first().map(deployment).unwrap_or_default(),
        "on" => vec![("core:OnOffState", Value::from("on"))],
        "off" => vec![("core:OnOffState", Value::from("off"))],
        "setIntensity" => first()
            .map(|i| {
                vec![
                    ("core:LightIntensityState", json_number(i)),
                    (
                        "core:OnOffState",
                        Value::from(if i > 0.0 { "on" } else { "off" }),
                    ),
                ]
            })
            .unwrap_or_default(),
        "setTargetTemperature" => first()
            .map(|t| vec![("core:TargetTemperatureState", json_number(t))])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_commands_change_their_states() {
        assert_eq!(
            effect("setClosure", &[json!(30)]),
            [
                ("core:ClosureState", json!(30)),
                ("core:TargetClosureState", json!(30)),
                ("core:OpenClosedState", json!("open")),
            ]
        );
        assert_eq!(
            effect("close", &[])[2],
            ("core:OpenClosedState", json!("closed"))
        );
        assert_eq!(
            effect("setDeployment", &[json!("40")]),
            [("core:DeploymentState", json!(40))]
        );
        assert_eq!(
            effect("setIntensity", &[json!(0)]),
            [
                ("core:LightIntensityState", json!(0)),
                ("core:OnOffState", json!("off"))
            ]
        );
        assert_eq!(
            effect("setTargetTemperature", &[json!(19.5)]),
            [("core:TargetTemperatureState", json!(19.5))]
        );
        // Unknown commands and unusable parameters change nothing.
        assert!(effect("my", &[]).is_empty());
        assert!(effect("setClosure", &[json!("half")]).is_empty());
        assert!(effect("setClosure", &[]).is_empty());
    }
}
