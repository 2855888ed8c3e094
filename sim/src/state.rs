//! The simulator's state ([`State`]): the setup and its devices' states, sessions,
//! bearer tokens, listeners, executions, action groups; the checks of an action
//! group's devices and commands; and the delivery of events to the listeners.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::action_groups::Scheduled;
use crate::answer::Answer;
use crate::errors::{no_such_command, no_such_controllable, setup_not_found};
use crate::executions::Execution;
use crate::listeners::Listener;
use crate::local_tokens::LocalToken;

/// Everything the simulator remembers, behind one lock ([`crate::shared::Shared::state`]).
pub(crate) struct State {
    pub(crate) setup: Value,
    /// `JSESSIONID` → (user, last use).
    pub(crate) sessions: HashMap<String, (String, Instant)>,
    /// Accepted bearer tokens (added, or local tokens activated).
    pub(crate) tokens: HashSet<String>,
    /// Local API tokens activated through the cloud (`/config/{gatewayId}/local/tokens`).
    pub(crate) local_tokens: Vec<LocalToken>,
    pub(crate) listeners: HashMap<String, Listener>,
    pub(crate) current: Vec<Execution>,
    pub(crate) history: Vec<Value>,
    /// Stored action groups, in creation order (`GET /actionGroups`).
    pub(crate) action_groups: Vec<Value>,
    /// Scheduled executions not run yet (`GET /exec/schedule`).
    pub(crate) schedules: Vec<Scheduled>,
    pub(crate) counter: u64,
    /// Failure types of the next executions to fail.
    pub(crate) failures: VecDeque<String>,
    /// Executions wait at `IN_PROGRESS` while set.
    pub(crate) hold: bool,
    /// Gateways down (`setup_changes`), each with the devices it took down.
    pub(crate) gateways_down: HashMap<String, Vec<String>>,
}

/// Milliseconds since the epoch, as the servers date things.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl State {
    /// The state of a simulator of `setup`; the setup's `actionGroups`, if any, become
    /// the stored action groups (and leave the setup, which does not list them).
    pub(crate) fn new(mut setup: Value) -> State {
        let groups = setup
            .as_object_mut()
            .and_then(|setup| setup.remove("actionGroups"));
        let mut state = State {
            setup,
            sessions: HashMap::new(),
            tokens: HashSet::new(),
            local_tokens: Vec::new(),
            listeners: HashMap::new(),
            current: Vec::new(),
            history: Vec::new(),
            action_groups: Vec::new(),
            schedules: Vec::new(),
            counter: 0,
            failures: Default::default(),
            hold: false,
            gateways_down: HashMap::new(),
        };
        for group in groups
            .and_then(|g| g.as_array().cloned())
            .into_iter()
            .flatten()
        {
            state.store_action_group(group);
        }
        state
    }

    /// A fresh id in the server's format (`8-4-4-4-12` hexadecimal digits).
    pub(crate) fn new_id(&mut self) -> String {
        self.counter += 1;
        let n = self.counter;
        let t = now_ms();
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (t & 0xffff_ffff) as u32,
            (t >> 32) as u16 ^ 0x5e1,
            0x4000 | (n >> 48) as u16 & 0x0fff,
            0x8000 | (n >> 32) as u16 & 0x3fff,
            n & 0xffff_ffff_ffff
        )
    }

    pub(crate) fn setup_oid(&self) -> Value {
        self.setup
            .get("oid")
            .or_else(|| self.setup.get("id"))
            .cloned()
            .unwrap_or(Value::from("00000000-0000-0000-0000-000000000000"))
    }

    pub(crate) fn expire_sessions(&mut self) {
        let sessions: Vec<String> = self.sessions.drain().map(|(id, _)| id).collect();
        self.listeners.retain(|_, l| {
            !l.owner
                .strip_prefix("session:")
                .is_some_and(|s| sessions.iter().any(|id| id == s))
        });
    }

    fn devices(&self) -> &[Value] {
        self.setup["devices"].as_array().map_or(&[], Vec::as_slice)
    }

    pub(crate) fn device(&self, device_url: &str) -> Option<&Value> {
        self.devices()
            .iter()
            .find(|d| d["deviceURL"].as_str() == Some(device_url))
    }

    /// The server's error for `actions` naming a device it does not know: a device of
    /// a gateway outside the setup makes the action group's setup unknown
    /// (`tests/fixtures/errors/cloud/action-group-setup-not-found.json`); an unknown
    /// device of a known gateway is `No such controllable`; a command the device's
    /// definition does not list is `No such command`
    /// (`tests/fixtures/errors/cloud/no-such-command.json`); a device of a gateway
    /// that is down is refused (`setup_changes`).
    pub(crate) fn check_devices(&self, actions: &Value) -> Result<(), Answer> {
        self.check_gateways_alive(actions)?;
        let gateways: Vec<&str> = self.setup["gateways"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["gatewayId"].as_str())
            .collect();
        for action in actions.as_array().into_iter().flatten() {
            let url = action["deviceURL"].as_str().unwrap_or_default();
            if let Some(device) = self.device(url) {
                check_commands(device, &action["commands"])?;
                continue;
            }
            // `<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>]`
            let gateway = url
                .split_once("://")
                .and_then(|(_, rest)| rest.split('/').next())
                .filter(|g| !g.is_empty());
            return Err(match gateway {
                Some(gateway) if !gateways.is_empty() && !gateways.contains(&gateway) => {
                    setup_not_found(gateway)
                }
                _ => no_such_controllable(url),
            });
        }
        Ok(())
    }

    pub(crate) fn device_state(&self, device_url: &str, name: &str) -> Option<Value> {
        self.device(device_url)?["states"]
            .as_array()?
            .iter()
            .find(|s| s["name"].as_str() == Some(name))
            .map(|s| s["value"].clone())
    }

    /// Sets the states the device has among `changes`; returns the changed ones as
    /// an event's `deviceStates`.
    fn set_states(&mut self, device_url: &str, changes: &[(&str, Value)]) -> Vec<Value> {
        let mut changed = Vec::new();
        let Some(device) = self.setup["devices"].as_array_mut().and_then(|devices| {
            devices
                .iter_mut()
                .find(|d| d["deviceURL"].as_str() == Some(device_url))
        }) else {
            return changed;
        };
        let Some(states) = device["states"].as_array_mut() else {
            return changed;
        };
        for (name, value) in changes {
            if let Some(state) = states.iter_mut().find(|s| s["name"].as_str() == Some(name)) {
                state["value"] = value.clone();
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                changed.push(json!({"name": name, "type": state["type"].clone(), "value": text}));
            }
        }
        changed
    }

    /// Sets states of a device and emits their `DeviceStateChangedEvent`; false when
    /// none of them exists.
    pub(crate) fn report_states(&mut self, device_url: &str, changes: &[(&str, Value)]) -> bool {
        let changed = self.set_states(device_url, changes);
        if changed.is_empty() {
            return false;
        }
        self.emit(json!({
            "name": "DeviceStateChangedEvent", "deviceURL": device_url, "deviceStates": changed,
        }));
        true
    }

    /// Delivers `event` to every listener.
    pub(crate) fn emit(&mut self, mut event: Value) {
        event["timestamp"] = Value::from(now_ms());
        event["setupOID"] = self.setup_oid();
        for listener in self.listeners.values_mut() {
            listener.events.push(event.clone());
        }
    }
}

/// Refuses the first of `commands` that `device`'s definition does not list, as the
/// server does: 400 `UNSUPPORTED_OPERATION` `No such command : <name>`. A device
/// whose definition has no `commands` list at all (a hand-written setup) takes any.
fn check_commands(device: &Value, commands: &Value) -> Result<(), Answer> {
    let Some(known) = device["definition"]["commands"].as_array() else {
        return Ok(());
    };
    for command in commands.as_array().into_iter().flatten() {
        let name = command["name"].as_str().unwrap_or_default();
        if !known
            .iter()
            .any(|c| c["commandName"].as_str() == Some(name))
        {
            return Err(no_such_command(name));
        }
    }
    Ok(())
}
