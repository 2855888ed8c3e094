//! Changes of the setup while the simulator runs, with the events a server sends
//! for them: devices added (`DeviceCreatedEvent`), renamed (`DeviceUpdatedEvent`) or
//! removed (`DeviceRemovedEvent`), and a gateway going down and coming back (the
//! gateway-outage fault: `GatewayDownEvent`, its available devices unavailable with a
//! `DeviceUnavailableEvent` each, executions on them refused; then
//! `GatewayAliveEvent` and the same devices available again with
//! `DeviceAvailableEvent`). Also `GET /setup/gateways/{gatewayId}`, answered from the
//! state.

use serde_json::{json, Value};

use crate::answer::Answer;
use crate::errors::no_such_resource;
use crate::state::State;
use crate::Simulator;

/// The answer to an execution on a device of a gateway that is down. The wording a
/// real server uses is not captured: a 400 in the server's error shape.
fn gateway_not_alive(gateway: &str) -> Answer {
    Answer::error(
        400,
        "UNSPECIFIED_ERROR",
        &format!("Gateway #{gateway} is not alive"),
    )
}

/// The gateway id in a device URL (`<protocol>://<gatewayId>/<address>`).
fn gateway_of(device_url: &str) -> Option<&str> {
    device_url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .filter(|g| !g.is_empty())
}

impl State {
    fn gateway_mut(&mut self, gateway_id: &str) -> Option<&mut Value> {
        self.setup["gateways"]
            .as_array_mut()?
            .iter_mut()
            .find(|g| g["gatewayId"].as_str() == Some(gateway_id))
    }

    /// `GET /setup/gateways/{gatewayId}`.
    pub(crate) fn gateway_answer(&self, gateway_id: &str) -> Answer {
        let found = self.setup["gateways"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|g| g["gatewayId"].as_str() == Some(gateway_id));
        match found {
            Some(gateway) => Answer::json(200, gateway),
            None => no_such_resource(),
        }
    }

    /// Refuses `actions` naming a device of a gateway that is down.
    pub(crate) fn check_gateways_alive(&self, actions: &Value) -> Result<(), Answer> {
        for action in actions.as_array().into_iter().flatten() {
            let Some(gateway) = action["deviceURL"].as_str().and_then(gateway_of) else {
                continue;
            };
            let down = self.setup["gateways"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|g| g["gatewayId"].as_str() == Some(gateway) && g["alive"] == false);
            if down {
                return Err(gateway_not_alive(gateway));
            }
        }
        Ok(())
    }

    /// Adds `device` (its `deviceURL` must be new); false otherwise.
    pub(crate) fn add_device(&mut self, device: Value) -> bool {
        let Some(url) = device["deviceURL"].as_str().map(str::to_owned) else {
            return false;
        };
        if self.device(&url).is_some() {
            return false;
        }
        let Some(devices) = self.setup["devices"].as_array_mut() else {
            return false;
        };
        let event = json!({
            "name": "DeviceCreatedEvent", "deviceURL": url,
            "controllableName": device["controllableName"], "label": device["label"],
            "placeOID": device["placeOID"], "deviceAttributes": [],
        });
        devices.push(device);
        self.emit(event);
        true
    }

    pub(crate) fn remove_device(&mut self, device_url: &str) -> bool {
        let Some(devices) = self.setup["devices"].as_array_mut() else {
            return false;
        };
        let before = devices.len();
        devices.retain(|d| d["deviceURL"].as_str() != Some(device_url));
        if devices.len() == before {
            return false;
        }
        self.emit(json!({"name": "DeviceRemovedEvent", "deviceURL": device_url}));
        true
    }

    pub(crate) fn rename_device(&mut self, device_url: &str, label: &str) -> bool {
        let Some(device) = self.setup["devices"].as_array_mut().and_then(|devices| {
            devices
                .iter_mut()
                .find(|d| d["deviceURL"].as_str() == Some(device_url))
        }) else {
            return false;
        };
        device["label"] = Value::from(label);
        let place = device["placeOID"].clone();
        self.emit(json!({
            "name": "DeviceUpdatedEvent", "deviceURL": device_url, "label": label,
            "placeOID": place,
        }));
        true
    }

    /// Takes gateway `gateway_id` down (`alive` false) or brings it back; false when
    /// the setup has no such gateway or it is already so.
    pub(crate) fn set_gateway_alive(&mut self, gateway_id: &str, alive: bool) -> bool {
        let Some(gateway) = self.gateway_mut(gateway_id) else {
            return false;
        };
        if gateway["alive"].as_bool().unwrap_or(true) == alive {
            return false;
        }
        gateway["alive"] = Value::from(alive);
        let name = if alive {
            "GatewayAliveEvent"
        } else {
            "GatewayDownEvent"
        };
        self.emit(json!({"name": name, "gatewayId": gateway_id}));
        // The devices that were available go unavailable, and come back with it.
        let changed = if alive {
            self.gateways_down.remove(gateway_id).unwrap_or_default()
        } else {
            let urls: Vec<String> = self.setup["devices"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|d| d["available"] != false)
                .filter_map(|d| d["deviceURL"].as_str())
                .filter(|url| gateway_of(url) == Some(gateway_id))
                .map(str::to_owned)
                .collect();
            self.gateways_down
                .insert(gateway_id.to_owned(), urls.clone());
            urls
        };
        for device in self.setup["devices"].as_array_mut().into_iter().flatten() {
            if changed
                .iter()
                .any(|url| device["deviceURL"].as_str() == Some(url))
            {
                device["available"] = Value::from(alive);
            }
        }
        let name = if alive {
            "DeviceAvailableEvent"
        } else {
            "DeviceUnavailableEvent"
        };
        for url in changed {
            self.emit(json!({"name": name, "deviceURL": url}));
        }
        true
    }
}

impl Simulator {
    /// Adds `device` (the JSON of a device of `GET /setup`, with a new `deviceURL`)
    /// and emits its `DeviceCreatedEvent`, as when a device is paired. False when it
    /// has no `deviceURL` or the setup has one already.
    pub fn add_device(&self, device: Value) -> bool {
        self.shared.state().add_device(device)
    }

    /// Removes device `device_url` and emits its `DeviceRemovedEvent`; false when the
    /// setup has no such device.
    pub fn remove_device(&self, device_url: &str) -> bool {
        self.shared.state().remove_device(device_url)
    }

    /// Renames device `device_url` and emits its `DeviceUpdatedEvent`; false when the
    /// setup has no such device.
    pub fn rename_device(&self, device_url: &str, label: &str) -> bool {
        self.shared.state().rename_device(device_url, label)
    }

    /// The gateway-outage fault: gateway `gateway_id` loses its connection to the
    /// server (`GatewayDownEvent`, `alive` false in the setup), its available devices
    /// become unavailable (a `DeviceUnavailableEvent` each), and executions on them
    /// are refused (400, `Gateway #<id> is not alive`; the real wording is not
    /// captured). False when the setup has no such gateway or it is down already.
    pub fn take_gateway_down(&self, gateway_id: &str) -> bool {
        self.shared.state().set_gateway_alive(gateway_id, false)
    }

    /// Brings gateway `gateway_id` back (`GatewayAliveEvent`), and the devices it took
    /// down with it (a `DeviceAvailableEvent` each). False when the setup has no such
    /// gateway or it is alive already.
    pub fn bring_gateway_back(&self, gateway_id: &str) -> bool {
        self.shared.state().set_gateway_alive(gateway_id, true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The names of the events delivered so far, and forgets them.
    fn events(state: &mut State) -> Vec<String> {
        let listener = state.listeners.values_mut().next().unwrap();
        std::mem::take(&mut listener.events)
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e["name"].as_str().unwrap(),
                    e["deviceURL"]
                        .as_str()
                        .or(e["gatewayId"].as_str())
                        .unwrap_or("")
                )
            })
            .collect()
    }

    fn state() -> State {
        let mut state = State::new(json!({
            "gateways": [{"gatewayId": "1111-2222-3333", "alive": true}],
            "devices": [
                {"deviceURL": "io://1111-2222-3333/1", "label": "A", "available": true},
                {"deviceURL": "io://1111-2222-3333/2", "label": "B", "available": false},
            ],
        }));
        crate::listeners::register(&mut state, "token:t".into());
        state
    }

    #[test]
    fn setup_changes_emit_their_events() {
        let mut state = state();
        let new = json!({"deviceURL": "io://1111-2222-3333/9", "label": "C"});
        assert!(state.add_device(new.clone()));
        assert!(!state.add_device(new), "a URL the setup has");
        assert!(state.rename_device("io://1111-2222-3333/9", "D"));
        assert!(state.remove_device("io://1111-2222-3333/1"));
        assert!(!state.remove_device("io://1111-2222-3333/1"));
        assert_eq!(
            events(&mut state),
            [
                "DeviceCreatedEvent io://1111-2222-3333/9",
                "DeviceUpdatedEvent io://1111-2222-3333/9",
                "DeviceRemovedEvent io://1111-2222-3333/1",
            ]
        );
        assert_eq!(state.device("io://1111-2222-3333/9").unwrap()["label"], "D");
    }

    #[test]
    fn a_gateway_outage_takes_down_and_brings_back_only_its_available_devices() {
        let mut state = state();
        let actions = json!([{"deviceURL": "io://1111-2222-3333/1", "commands": []}]);
        assert!(state.set_gateway_alive("1111-2222-3333", false));
        assert!(!state.set_gateway_alive("1111-2222-3333", false));
        assert_eq!(
            events(&mut state),
            [
                "GatewayDownEvent 1111-2222-3333",
                "DeviceUnavailableEvent io://1111-2222-3333/1",
            ]
        );
        assert_eq!(state.check_devices(&actions).unwrap_err().status, 400);
        assert_eq!(state.gateway_answer("1111-2222-3333").status, 200);
        assert!(state.set_gateway_alive("1111-2222-3333", true));
        assert_eq!(
            events(&mut state),
            [
                "GatewayAliveEvent 1111-2222-3333",
                "DeviceAvailableEvent io://1111-2222-3333/1",
            ]
        );
        assert!(state.check_devices(&actions).is_ok());
        assert_eq!(
            state.device("io://1111-2222-3333/2").unwrap()["available"],
            false
        );
        assert!(!state.set_gateway_alive("0000-0000-0000", false));
    }
}
