//! The model a [`Home`](crate::Home) keeps ([`Model`]), and how it changes: built
//! from a setup read, moved by each event, merged with the answers of re-reads. Each
//! step returns the [`Update`]s it made, nothing when nothing changed.

use std::collections::BTreeMap;

use crate::follow::execution::ExecutionState;
use crate::live::change::Update;
use crate::live::model::{
    Confirmation, Freshness, HomeSnapshot, LiveDevice, LiveExecution, LiveGateway, LivePlace,
};
use crate::types::{Device, Execution, Gateway, Place, Setup};
use crate::value::state::StateValue;
use crate::Event;

/// The model: devices, places, gateways and running executions, and the number of
/// the last change applied.
#[derive(Debug, Clone, Default)]
pub(crate) struct Model {
    pub(crate) seq: u64,
    pub(crate) devices: BTreeMap<String, LiveDevice>,
    pub(crate) places: BTreeMap<String, LivePlace>,
    pub(crate) gateways: BTreeMap<String, LiveGateway>,
    pub(crate) executions: BTreeMap<String, LiveExecution>,
}

/// A device of a read, as the model keeps it; `None` without a device URL.
pub(crate) fn live_device(device: &Device, confirmed_by: Confirmation) -> Option<LiveDevice> {
    let url = device.device_url.clone().filter(|u| !u.is_empty())?;
    let states = device
        .states
        .iter()
        .flatten()
        .filter_map(|state| {
            let name = state.name.clone()?;
            Some((
                name,
                StateValue::from_json(state.r#type, state.value.as_ref()),
            ))
        })
        .collect();
    Some(LiveDevice {
        url,
        label: device.label.clone().unwrap_or_default(),
        ui_class: device.ui_class_str().map(str::to_owned),
        widget: device.widget_str().map(str::to_owned),
        controllable_name: device.controllable_name.clone(),
        place_oid: device.place_oid.clone(),
        available: device.available.unwrap_or(true),
        states,
        freshness: Freshness::now(confirmed_by),
    })
}

/// A gateway of a read; `None` without an id.
pub(crate) fn live_gateway(gateway: &Gateway) -> Option<LiveGateway> {
    Some(LiveGateway {
        id: gateway.gateway_id.clone().filter(|id| !id.is_empty())?,
        alive: gateway.alive.unwrap_or(true),
        firmware_version: gateway.firmware_version.clone(),
    })
}

/// The places of a tree, flattened (parents first).
pub(crate) fn live_places(root: &Place) -> BTreeMap<String, LivePlace> {
    fn walk(place: &Place, parent: Option<&str>, out: &mut BTreeMap<String, LivePlace>) {
        let Some(oid) = place.oid.clone() else {
            return;
        };
        for sub in place.sub_places.iter().flatten() {
            walk(sub, Some(&oid), out);
        }
        out.insert(
            oid.clone(),
            LivePlace {
                oid,
                label: place.label.clone().unwrap_or_default(),
                parent_oid: parent.map(str::to_owned),
                place_type: place.r#type,
            },
        );
    }
    let mut out = BTreeMap::new();
    walk(root, None, &mut out);
    out
}

/// The running executions of a `GET /exec/current` answer (final ones left out).
pub(crate) fn live_executions(current: &[Execution]) -> BTreeMap<String, LiveExecution> {
    current
        .iter()
        .filter_map(|execution| {
            let id = execution.id.clone()?;
            let state = ExecutionState::from(execution.state.as_deref().unwrap_or_default());
            if state.is_final() {
                return None;
            }
            let group = execution.action_group.as_ref();
            let devices = group
                .and_then(|g| g.actions.as_ref())
                .into_iter()
                .flatten()
                .filter_map(|a| a.device_url.clone())
                .collect();
            let label = group.and_then(|g| g.label.clone());
            Some((
                id.clone(),
                LiveExecution {
                    id,
                    label,
                    state,
                    devices,
                },
            ))
        })
        .collect()
}

impl Model {
    /// The model of a setup read.
    pub(crate) fn from_setup(setup: &Setup) -> Model {
        Model {
            devices: setup
                .devices
                .iter()
                .flatten()
                .filter_map(|d| live_device(d, Confirmation::Read))
                .map(|d| (d.url.clone(), d))
                .collect(),
            gateways: setup
                .gateways
                .iter()
                .flatten()
                .filter_map(live_gateway)
                .map(|g| (g.id.clone(), g))
                .collect(),
            places: setup
                .root_place
                .as_ref()
                .map(live_places)
                .unwrap_or_default(),
            ..Model::default()
        }
    }

    /// A copy of the whole model.
    pub(crate) fn snapshot(&self) -> HomeSnapshot {
        HomeSnapshot {
            seq: self.seq,
            devices: self.devices.clone(),
            places: self.places.clone(),
            gateways: self.gateways.clone(),
            executions: self.executions.clone(),
        }
    }

    /// A copy with only device `url` (and every place and gateway).
    pub(crate) fn device_snapshot(&self, url: &str) -> HomeSnapshot {
        let mut snapshot = self.snapshot();
        snapshot.devices.retain(|u, _| u == url);
        snapshot
            .executions
            .retain(|_, e| e.devices.iter().any(|d| d == url));
        snapshot
    }

    /// Applies one event; the updates it made.
    pub(crate) fn apply_event(&mut self, event: &Event) -> Vec<Update> {
        let mut updates = Vec::new();
        match event {
            Event::DeviceStateChanged(e) => {
                let Some(device) = e
                    .device_url
                    .as_deref()
                    .and_then(|u| self.devices.get_mut(u))
                else {
                    return updates;
                };
                device.freshness = Freshness::now(Confirmation::Event);
                for item in e.device_states.iter().flatten() {
                    let Some(name) = item.name.clone() else {
                        continue;
                    };
                    let new = StateValue::from_json(item.r#type, item.value.as_ref());
                    set_state(device, name, new, &mut updates);
                }
            }
            Event::DeviceCreated(e) => {
                let Some(url) = e.device_url.clone() else {
                    return updates;
                };
                let device = LiveDevice {
                    url: url.clone(),
                    label: e.label.clone().unwrap_or_default(),
                    ui_class: None,
                    widget: None,
                    controllable_name: e.controllable_name.clone(),
                    place_oid: e.place_oid.clone(),
                    available: true,
                    states: BTreeMap::new(),
                    freshness: Freshness::now(Confirmation::Event),
                };
                updates.extend(self.merge_device(device));
            }
            Event::DeviceUpdated(e) => {
                let Some(device) = e
                    .device_url
                    .as_deref()
                    .and_then(|u| self.devices.get_mut(u))
                else {
                    return updates;
                };
                let mut changed = false;
                if let Some(label) = &e.label {
                    changed |= replace(&mut device.label, label.clone());
                }
                if let Some(place) = &e.place_oid {
                    changed |= replace(&mut device.place_oid, Some(place.clone()));
                }
                if let Some(name) = &e.controllable_name {
                    changed |= replace(&mut device.controllable_name, Some(name.clone()));
                }
                device.freshness = Freshness::now(Confirmation::Event);
                if changed {
                    updates.push(Update::DeviceUpdated(device.clone()));
                }
            }
            Event::DeviceRemoved(e) => {
                if let Some(url) = &e.device_url {
                    updates.extend(self.remove_device(url));
                }
            }
            Event::DeviceAvailable(e) => {
                if let Some(url) = &e.device_url {
                    updates.extend(self.set_available(url, true));
                }
            }
            Event::DeviceUnavailable(e) => {
                if let Some(url) = &e.device_url {
                    updates.extend(self.set_available(url, false));
                }
            }
            Event::GatewayAlive(e) => {
                if let Some(id) = &e.gateway_id {
                    updates.extend(self.set_gateway_alive(id, true));
                }
            }
            Event::GatewayDown(e) => {
                if let Some(id) = &e.gateway_id {
                    updates.extend(self.set_gateway_alive(id, false));
                }
            }
            Event::PlaceCreated(e) => {
                if let Some(oid) = &e.place_oid {
                    let place = LivePlace {
                        oid: oid.clone(),
                        label: e.label.clone().unwrap_or_default(),
                        parent_oid: e.parent_place_oid.clone(),
                        place_type: e.r#type,
                    };
                    updates.extend(self.merge_place(place));
                }
            }
            Event::PlaceUpdated(e) => {
                if let Some(oid) = &e.place_oid {
                    let old = self.places.get(oid);
                    let place = LivePlace {
                        oid: oid.clone(),
                        label: e
                            .label
                            .clone()
                            .or_else(|| old.map(|p| p.label.clone()))
                            .unwrap_or_default(),
                        parent_oid: e
                            .parent_place_oid
                            .clone()
                            .or_else(|| old.and_then(|p| p.parent_oid.clone())),
                        place_type: e.r#type.or_else(|| old.and_then(|p| p.place_type)),
                    };
                    updates.extend(self.merge_place(place));
                }
            }
            Event::PlaceDeleted(e) => {
                if let Some(oid) = &e.place_oid {
                    if self.places.remove(oid).is_some() {
                        updates.push(Update::PlaceRemoved { oid: oid.clone() });
                    }
                }
            }
            Event::ExecutionRegistered(e) => {
                if let Some(id) = &e.exec_id {
                    let devices = e
                        .actions
                        .iter()
                        .flatten()
                        .filter_map(|a| a.device_url.clone())
                        .collect();
                    let execution = LiveExecution {
                        id: id.clone(),
                        label: e.label.clone(),
                        state: ExecutionState::Initialized,
                        devices,
                    };
                    self.executions.insert(id.clone(), execution);
                    updates.push(Update::Execution {
                        id: id.clone(),
                        state: ExecutionState::Initialized,
                    });
                }
            }
            Event::ExecutionStateChanged(e) => {
                if let (Some(id), Some(state)) = (&e.exec_id, &e.new_state) {
                    let state = ExecutionState::from(state.as_str());
                    if state.is_final() {
                        self.executions.remove(id);
                    } else {
                        let entry =
                            self.executions
                                .entry(id.clone())
                                .or_insert_with(|| LiveExecution {
                                    id: id.clone(),
                                    label: None,
                                    state: state.clone(),
                                    devices: Vec::new(),
                                });
                        entry.state = state.clone();
                    }
                    updates.push(Update::Execution {
                        id: id.clone(),
                        state,
                    });
                }
            }
            _ => {}
        }
        updates
    }

    /// Adds or merges a device (a read of it, or a created one); the updates.
    pub(crate) fn merge_device(&mut self, device: LiveDevice) -> Vec<Update> {
        let mut updates = Vec::new();
        let Some(old) = self.devices.get_mut(&device.url) else {
            updates.push(Update::DeviceAdded(device.clone()));
            self.devices.insert(device.url.clone(), device);
            return updates;
        };
        let described = old.label != device.label
            || old.ui_class != device.ui_class
            || old.widget != device.widget
            || old.controllable_name != device.controllable_name
            || old.place_oid != device.place_oid;
        if described {
            old.label = device.label.clone();
            old.ui_class = device.ui_class.clone();
            old.widget = device.widget.clone();
            old.controllable_name = device.controllable_name.clone();
            old.place_oid = device.place_oid.clone();
        }
        if old.available != device.available {
            old.available = device.available;
            updates.push(Update::Availability {
                device: device.url.clone(),
                available: device.available,
            });
        }
        for (name, value) in device.states {
            set_state(old, name, value, &mut updates);
        }
        old.freshness = device.freshness;
        if described {
            updates.insert(0, Update::DeviceUpdated(old.clone()));
        }
        updates
    }

    /// Removes a device; the update, if it was known.
    pub(crate) fn remove_device(&mut self, url: &str) -> Vec<Update> {
        match self.devices.remove(url) {
            Some(_) => vec![Update::DeviceRemoved {
                device: url.to_owned(),
            }],
            None => Vec::new(),
        }
    }

    /// Merges a whole device list: adds, merges, and removes the devices it lacks.
    pub(crate) fn merge_device_list(&mut self, devices: Vec<LiveDevice>) -> Vec<Update> {
        let mut updates = Vec::new();
        let gone: Vec<String> = self
            .devices
            .keys()
            .filter(|url| !devices.iter().any(|d| &d.url == *url))
            .cloned()
            .collect();
        for url in gone {
            updates.extend(self.remove_device(&url));
        }
        for device in devices {
            updates.extend(self.merge_device(device));
        }
        updates
    }

    /// Merges a gateway read.
    pub(crate) fn merge_gateway(&mut self, gateway: LiveGateway) -> Vec<Update> {
        let alive = gateway.alive;
        let id = gateway.id.clone();
        let mut updates = Vec::new();
        match self.gateways.get_mut(&id) {
            Some(old) => {
                if old.alive != alive {
                    updates.push(Update::Gateway {
                        gateway: id.clone(),
                        alive,
                    });
                }
                *old = gateway;
            }
            None => {
                self.gateways.insert(id.clone(), gateway);
                updates.push(Update::Gateway { gateway: id, alive });
            }
        }
        updates
    }

    /// Merges a whole place list (from a setup read).
    pub(crate) fn merge_places(&mut self, places: BTreeMap<String, LivePlace>) -> Vec<Update> {
        let mut updates = Vec::new();
        let gone: Vec<String> = self
            .places
            .keys()
            .filter(|oid| !places.contains_key(*oid))
            .cloned()
            .collect();
        for oid in gone {
            self.places.remove(&oid);
            updates.push(Update::PlaceRemoved { oid });
        }
        for (_, place) in places {
            updates.extend(self.merge_place(place));
        }
        updates
    }

    fn merge_place(&mut self, place: LivePlace) -> Vec<Update> {
        if self.places.get(&place.oid) == Some(&place) {
            return Vec::new();
        }
        self.places.insert(place.oid.clone(), place.clone());
        vec![Update::PlaceChanged(place)]
    }

    /// Merges the running executions of a `GET /exec/current`: the ones it lacks ended.
    pub(crate) fn merge_executions(
        &mut self,
        current: BTreeMap<String, LiveExecution>,
    ) -> Vec<Update> {
        let mut updates = Vec::new();
        for id in self.executions.keys() {
            if !current.contains_key(id) {
                // It ended while events were lost; how is not known.
                updates.push(Update::ExecutionEnded { id: id.clone() });
            }
        }
        for (id, execution) in &current {
            if self.executions.get(id).map(|e| &e.state) != Some(&execution.state) {
                updates.push(Update::Execution {
                    id: id.clone(),
                    state: execution.state.clone(),
                });
            }
        }
        self.executions = current;
        updates
    }

    fn set_available(&mut self, url: &str, available: bool) -> Vec<Update> {
        match self.devices.get_mut(url) {
            Some(device) if device.available != available => {
                device.available = available;
                device.freshness = Freshness::now(Confirmation::Event);
                vec![Update::Availability {
                    device: url.to_owned(),
                    available,
                }]
            }
            _ => Vec::new(),
        }
    }

    /// A gateway going down or coming back (its devices' own availability comes with
    /// their `DeviceUnavailableEvent`/`DeviceAvailableEvent`s, or a re-read).
    fn set_gateway_alive(&mut self, id: &str, alive: bool) -> Vec<Update> {
        let gateway = self
            .gateways
            .entry(id.to_owned())
            .or_insert_with(|| LiveGateway {
                id: id.to_owned(),
                alive: !alive,
                firmware_version: None,
            });
        if gateway.alive == alive {
            return Vec::new();
        }
        gateway.alive = alive;
        vec![Update::Gateway {
            gateway: id.to_owned(),
            alive,
        }]
    }
}

/// Sets a state, recording an update when its value changed.
fn set_state(device: &mut LiveDevice, name: String, new: StateValue, updates: &mut Vec<Update>) {
    let old = device.states.get(&name);
    if old == Some(&new) {
        return;
    }
    let old = device.states.insert(name.clone(), new.clone());
    updates.push(Update::State {
        device: device.url.clone(),
        name,
        old,
        new,
    });
}

/// Replaces `slot` with `value`; whether it changed.
fn replace<T: PartialEq>(slot: &mut T, value: T) -> bool {
    if *slot == value {
        return false;
    }
    *slot = value;
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    const URL: &str = "io://1234-5678-9012/1";

    fn setup() -> Setup {
        serde_json::from_value(serde_json::json!({
            "gateways": [{"gatewayId": "1234-5678-9012", "alive": true}],
            "devices": [{
                "deviceURL": URL, "label": "Shutter", "uiClass": "RollerShutter",
                "states": [{"name": "core:ClosureState", "type": 1, "value": 100}]
            }],
            "rootPlace": {"oid": "house", "label": "House", "subPlaces": [{"oid": "kitchen", "label": "Kitchen"}]}
        }))
        .unwrap()
    }

    fn event(json: serde_json::Value) -> Event {
        serde_json::from_value(json).unwrap()
    }

    fn closure(value: &str) -> Event {
        event(serde_json::json!({
            "name": "DeviceStateChangedEvent", "deviceURL": URL,
            "deviceStates": [{"name": "core:ClosureState", "type": 1, "value": value}]
        }))
    }

    #[test]
    fn a_setup_read_gives_devices_gateways_and_places() {
        let model = Model::from_setup(&setup());
        assert_eq!(model.devices[URL].label, "Shutter");
        assert_eq!(
            model.devices[URL].state("core:ClosureState"),
            Some(&StateValue::Int(100))
        );
        assert_eq!(
            model.devices[URL].freshness.confirmed_by,
            Confirmation::Read
        );
        assert!(model.gateways["1234-5678-9012"].alive);
        assert_eq!(model.places["kitchen"].parent_oid.as_deref(), Some("house"));
        assert_eq!(model.places["house"].parent_oid, None);
    }

    #[test]
    fn every_change_of_value_is_an_update_and_a_repeat_is_none() {
        let mut model = Model::from_setup(&setup());
        // Cloud events carry strings; the value reads as the integer it is.
        let updates = model.apply_event(&closure("40"));
        assert_eq!(
            updates,
            vec![Update::State {
                device: URL.into(),
                name: "core:ClosureState".into(),
                old: Some(StateValue::Int(100)),
                new: StateValue::Int(40),
            }]
        );
        assert_eq!(
            model.devices[URL].freshness.confirmed_by,
            Confirmation::Event
        );
        assert!(model.apply_event(&closure("40")).is_empty());
        assert_eq!(model.apply_event(&closure("0")).len(), 1);
    }

    #[test]
    fn events_of_unknown_devices_and_odd_events_change_nothing() {
        let mut model = Model::from_setup(&setup());
        let other = event(serde_json::json!({
            "name": "DeviceStateChangedEvent", "deviceURL": "io://1234-5678-9012/2",
            "deviceStates": [{"name": "core:ClosureState", "type": 1, "value": "1"}]
        }));
        assert!(model.apply_event(&other).is_empty());
        let nameless = event(serde_json::json!({"name": "DeviceRemovedEvent"}));
        assert!(model.apply_event(&nameless).is_empty());
        let unknown = event(serde_json::json!({"name": "SomethingNewEvent", "x": 1}));
        assert!(model.apply_event(&unknown).is_empty());
        assert_eq!(model.devices.len(), 1);
    }

    #[test]
    fn a_device_list_adds_merges_and_removes() {
        let mut model = Model::from_setup(&setup());
        let mut renamed = model.devices[URL].clone();
        renamed.label = "Kitchen shutter".into();
        let mut added = renamed.clone();
        added.url = "io://1234-5678-9012/2".into();
        let updates = model.merge_device_list(vec![added.clone()]);
        assert_eq!(
            updates,
            vec![
                Update::DeviceRemoved { device: URL.into() },
                Update::DeviceAdded(added)
            ]
        );
        let updates = model.merge_device_list(vec![renamed.clone()]);
        assert_eq!(updates.len(), 2, "{updates:?}");
        let again = model.merge_device(renamed);
        assert!(again.is_empty(), "{again:?}");
    }

    #[test]
    fn gateways_and_executions_follow_their_events() {
        let mut model = Model::from_setup(&setup());
        let down =
            event(serde_json::json!({"name": "GatewayDownEvent", "gatewayId": "1234-5678-9012"}));
        assert_eq!(
            model.apply_event(&down),
            vec![Update::Gateway {
                gateway: "1234-5678-9012".into(),
                alive: false
            }]
        );
        assert!(model.apply_event(&down).is_empty());
        assert!(!model.snapshot().is_reachable(URL));
        let registered = event(serde_json::json!({
            "name": "ExecutionRegisteredEvent", "execId": "e1",
            "actions": [{"deviceURL": URL, "commands": [{"name": "open"}]}]
        }));
        model.apply_event(&registered);
        assert_eq!(model.executions["e1"].devices, vec![URL.to_owned()]);
        let done = event(serde_json::json!({
            "name": "ExecutionStateChangedEvent", "execId": "e1",
            "oldState": "IN_PROGRESS", "newState": "COMPLETED"
        }));
        model.apply_event(&done);
        assert!(model.executions.is_empty());
        // A re-read that finds an execution gone reports it ended.
        model.apply_event(&registered);
        assert_eq!(
            model.merge_executions(BTreeMap::new()),
            vec![Update::ExecutionEnded { id: "e1".into() }]
        );
    }
}
