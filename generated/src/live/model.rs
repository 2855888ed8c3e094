//! What a [`Home`](crate::Home) knows of a setup, as values: its devices
//! ([`LiveDevice`], with each one's [`Freshness`]), places ([`LivePlace`]), gateways
//! ([`LiveGateway`]), running executions ([`LiveExecution`]), and a consistent copy of
//! all of them ([`HomeSnapshot`]).

use std::collections::BTreeMap;
use std::time::SystemTime;

use crate::follow::execution::ExecutionState;
use crate::value::device_url::DeviceUrl;
use crate::value::state::StateValue;

/// How a value of the model was last confirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Confirmation {
    /// By an event of the event stream.
    Event,
    /// By a read of the server's state (the first read, or a re-read after a gap).
    Read,
}

/// How fresh a device's state is: how it was last confirmed and when (the client's
/// clock at the moment the event or the read's answer was applied).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Freshness {
    /// What confirmed it.
    pub confirmed_by: Confirmation,
    /// When.
    pub at: SystemTime,
}

impl Freshness {
    /// Confirmed now by `confirmed_by`.
    pub fn now(confirmed_by: Confirmation) -> Freshness {
        Freshness {
            confirmed_by,
            at: SystemTime::now(),
        }
    }

    /// How long ago it was confirmed (zero when the clock went back).
    pub fn age(&self) -> std::time::Duration {
        SystemTime::now()
            .duration_since(self.at)
            .unwrap_or_default()
    }
}

/// The states a device's row in a table shows first, in this order of preference
/// ([`LiveDevice::main_states`]).
const MAIN_STATES: &[&str] = &[
    "core:OpenClosedState",
    "core:ClosureState",
    "core:OnOffState",
    "core:LightIntensityState",
    "core:TargetTemperatureState",
    "core:TemperatureState",
    "core:ContactState",
    "core:OccupancyState",
    "core:SmokeState",
    "core:LuminanceState",
    "core:RelativeHumidityState",
    "core:ElectricEnergyConsumptionState",
    "core:StatusState",
];

/// A device as the model knows it.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveDevice {
    /// Its device URL (`io://1234-5678-9012/12345678#1`).
    pub url: String,
    /// Its label (`""` when the server sent none).
    pub label: String,
    /// Its UI class (`RollerShutter`, `Light`, ...), as sent.
    pub ui_class: Option<String>,
    /// Its widget, as sent.
    pub widget: Option<String>,
    /// Its controllable name (`io:RollerShutterGenericIOComponent`).
    pub controllable_name: Option<String>,
    /// The place it is in.
    pub place_oid: Option<String>,
    /// Whether the server says the device is reachable (its own availability:
    /// `DeviceUnavailableEvent`, `DeviceAvailableEvent`, the `available` of a read).
    /// A device of a gateway that is down is not reachable either:
    /// [`HomeSnapshot::is_reachable`].
    pub available: bool,
    /// Its states by name, typed ([`StateValue`]: the same for cloud strings and
    /// local typed JSON).
    pub states: BTreeMap<String, StateValue>,
    /// How fresh its states are.
    pub freshness: Freshness,
}

impl LiveDevice {
    /// The value of state `name`, if the device has it.
    pub fn state(&self, name: &str) -> Option<&StateValue> {
        self.states.get(name)
    }

    /// The id of its gateway, read from its URL (`None` for a malformed URL).
    pub fn gateway_id(&self) -> Option<String> {
        DeviceUrl::parse(&self.url)
            .ok()
            .map(|url| url.gateway_id().to_owned())
    }

    /// Up to `max` of its states a table shows first: the common ones
    /// (`core:OpenClosedState`, `core:ClosureState`, `core:OnOffState`, temperatures,
    /// sensors) in that order, then the others by name.
    pub fn main_states(&self, max: usize) -> Vec<(&str, &StateValue)> {
        let known = MAIN_STATES
            .iter()
            .filter_map(|name| self.states.get_key_value(*name));
        let others = self
            .states
            .iter()
            .filter(|(name, _)| !MAIN_STATES.contains(&name.as_str()));
        known
            .chain(others)
            .take(max)
            .map(|(name, value)| (name.as_str(), value))
            .collect()
    }

    /// Whether `other` describes the same device with the same label, class, place,
    /// availability and states (freshness aside).
    pub fn same_as(&self, other: &LiveDevice) -> bool {
        self.url == other.url
            && self.label == other.label
            && self.ui_class == other.ui_class
            && self.widget == other.widget
            && self.controllable_name == other.controllable_name
            && self.place_oid == other.place_oid
            && self.available == other.available
            && self.states == other.states
    }
}

/// A place (a room, a floor, the house) as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LivePlace {
    /// Its oid.
    pub oid: String,
    /// Its label.
    pub label: String,
    /// The place it is in (`None` for the root place).
    pub parent_oid: Option<String>,
    /// Its type code, as sent.
    pub place_type: Option<i64>,
}

/// A gateway as the model knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveGateway {
    /// Its id (`1234-5678-9012`).
    pub id: String,
    /// Whether it is connected to the server (false after `GatewayDownEvent`, until
    /// `GatewayAliveEvent`).
    pub alive: bool,
    /// Its firmware version, if known.
    pub firmware_version: Option<String>,
}

/// An execution the model saw start and not end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveExecution {
    /// Its id.
    pub id: String,
    /// Its label, if known.
    pub label: Option<String>,
    /// Its last known state.
    pub state: ExecutionState,
    /// The devices it acts on, if known.
    pub devices: Vec<String>,
}

/// The whole model at one moment: what [`Home::snapshot`](crate::Home::snapshot)
/// returns, and what a subscriber that lagged is given.
#[derive(Debug, Clone, PartialEq)]
pub struct HomeSnapshot {
    /// The number of the last [`Change`](crate::live::Change) applied before it (0:
    /// none since the start).
    pub seq: u64,
    /// The devices, by URL.
    pub devices: BTreeMap<String, LiveDevice>,
    /// The places, by oid.
    pub places: BTreeMap<String, LivePlace>,
    /// The gateways, by id.
    pub gateways: BTreeMap<String, LiveGateway>,
    /// The running executions, by id.
    pub executions: BTreeMap<String, LiveExecution>,
}

impl HomeSnapshot {
    /// The device `url`, if the model has it.
    pub fn device(&self, url: &str) -> Option<&LiveDevice> {
        self.devices.get(url)
    }

    /// Whether device `url` is reachable: known, available, and its gateway (when the
    /// model knows it) alive.
    pub fn is_reachable(&self, url: &str) -> bool {
        let Some(device) = self.devices.get(url) else {
            return false;
        };
        let gateway_alive = device
            .gateway_id()
            .and_then(|id| self.gateways.get(&id))
            .is_none_or(|g| g.alive);
        device.available && gateway_alive
    }
}
