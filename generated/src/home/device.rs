//! What integrations ask of a device: its parsed URL, its states and attributes by
//! name, its UI class and widget (from the device or, on local gateways, from its
//! definition), the commands its definition supports; and the devices of a setup.

use crate::value::device_url::{DeviceUrl, DeviceUrlErrorKind, InvalidDeviceUrl};
use crate::transport::request::Request;
use crate::value::state::{StateValue, TypedValue};
use crate::types::{
    CommandDefinition, Device, DeviceAttribute, DeviceState, DeviceStateChangeItem,
    DeviceStateChangedEvent, Setup,
};
use crate::generated_vocabulary::{UiClass, UiWidget};
use crate::{operations, Client, Error};

impl Client {
    /// `GET /setup`: deprecated, the same as [`Client::get_setup`] (the generated
    /// method of the operation, with its options), the one name.
    #[deprecated(since = "0.1.0", note = "use Client::get_setup")]
    pub async fn setup(&self) -> Result<Setup, Error> {
        self.send_request(Request::new(&operations::GET_SETUP))
            .await?
            .json()
    }
}

impl Device {
    /// The device URL, parsed. Fails when the device has none or it is malformed.
    ///
    /// ```
    /// let device: overkiz::types::Device =
    ///     serde_json::from_str(r#"{"deviceURL": "rts://1234-1234-5752/16756006"}"#).unwrap();
    /// assert_eq!(device.url().unwrap().device_address(), "16756006");
    /// ```
    pub fn url(&self) -> Result<DeviceUrl, InvalidDeviceUrl> {
        match self.device_url.as_deref() {
            Some(text) => DeviceUrl::parse(text),
            None => Err(InvalidDeviceUrl::new("", DeviceUrlErrorKind::Missing)),
        }
    }

    /// True when the device reports the state `name`.
    pub fn has_state(&self, name: impl AsRef<str>) -> bool {
        self.state(name.as_ref()).is_some()
    }

    /// The first of `names` the device reports, in the order of `names`: for values
    /// that different models report under different names.
    ///
    /// ```
    /// let device: overkiz::types::Device = serde_json::from_str(
    ///     r#"{"states": [{"name": "core:DeploymentState", "type": 1, "value": 30}]}"#,
    /// ).unwrap();
    /// let position = device.first_state(["core:ClosureState", "core:DeploymentState"]);
    /// assert_eq!(position.unwrap().name.as_deref(), Some("core:DeploymentState"));
    /// ```
    pub fn first_state<I>(&self, names: I) -> Option<&DeviceState>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        names.into_iter().find_map(|n| self.state(n.as_ref()))
    }

    /// The value of the state `name`, read according to its type code.
    pub fn state_value(&self, name: impl AsRef<str>) -> Option<StateValue> {
        self.state(name.as_ref()).map(TypedValue::typed_value)
    }

    /// True when the device has the attribute `name`.
    pub fn has_attribute(&self, name: impl AsRef<str>) -> bool {
        self.attribute(name.as_ref()).is_some()
    }

    /// The first of `names` the device has as an attribute, in the order of `names`.
    pub fn first_attribute<I>(&self, names: I) -> Option<&DeviceAttribute>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        names.into_iter().find_map(|n| self.attribute(n.as_ref()))
    }

    /// The value of the attribute `name`, read according to its type code.
    pub fn attribute_value(&self, name: impl AsRef<str>) -> Option<StateValue> {
        self.attribute(name.as_ref()).map(TypedValue::typed_value)
    }

    /// The UI class as sent: the device's `uiClass`, or its definition's when the
    /// device lacks it (local API).
    pub fn ui_class_str(&self) -> Option<&str> {
        self.ui_class
            .as_deref()
            .or_else(|| self.definition.as_ref()?.ui_class.as_deref())
    }

    /// The UI class (`RollerShutter`, `Light`, ...): the device's, or its
    /// definition's when the device lacks it (local API). `None` when neither says.
    pub fn ui_class(&self) -> Option<UiClass> {
        self.ui_class_str().map(UiClass::from)
    }

    /// The widget as sent: the device's `widget`, or its definition's
    /// `widgetName` when the device lacks it (local API).
    pub fn widget_str(&self) -> Option<&str> {
        self.widget
            .as_deref()
            .or_else(|| self.definition.as_ref()?.widget_name.as_deref())
    }

    /// The widget (`PositionableRollerShutter`, ...): the device's, or its
    /// definition's when the device lacks it (local API).
    pub fn widget(&self) -> Option<UiWidget> {
        self.widget_str().map(UiWidget::from)
    }

    /// The commands of the device's definition, in its order.
    pub fn command_definitions(&self) -> &[CommandDefinition] {
        self.definition
            .as_ref()
            .and_then(|d| d.commands.as_deref())
            .unwrap_or_default()
    }

    /// The names of the commands the device's definition lists.
    pub fn command_names(&self) -> impl Iterator<Item = &str> + '_ {
        self.command_definitions()
            .iter()
            .filter_map(|c| c.command_name.as_deref())
    }

    /// The definition of command `name`, if the device supports it.
    pub fn command_definition(&self, name: impl AsRef<str>) -> Option<&CommandDefinition> {
        let name = name.as_ref();
        self.command_definitions()
            .iter()
            .find(|c| c.command_name.as_deref() == Some(name))
    }

    /// True when the device's definition lists command `name`.
    pub fn supports_command(&self, name: impl AsRef<str>) -> bool {
        self.command_definition(name).is_some()
    }

    /// The first of `names` the device supports, in the order of `names` (`["my",
    /// "stop"]`).
    pub fn first_command<I>(&self, names: I) -> Option<&str>
    where
        I: IntoIterator,
        I::Item: AsRef<str>,
    {
        names.into_iter().find_map(|n| {
            self.command_definition(n)
                .and_then(|c| c.command_name.as_deref())
        })
    }
}

impl Device {
    /// Applies the state changes of a `DeviceStateChangedEvent` (values as sent: the
    /// typed reads accept cloud strings and local JSON alike): a known state gets the
    /// new type and value, an unknown one is added. `time` (the event's timestamp)
    /// becomes the changed states' `lastUpdateTime` when given.
    pub fn apply_state_changes(&mut self, changes: &[DeviceStateChangeItem], time: Option<i64>) {
        let states = self.states.get_or_insert_with(Vec::new);
        for change in changes {
            let Some(name) = change.name.as_deref() else {
                continue;
            };
            let index = match states.iter().position(|s| s.name.as_deref() == Some(name)) {
                Some(index) => index,
                None => {
                    states.push(DeviceState {
                        name: Some(name.to_owned()),
                        ..DeviceState::default()
                    });
                    states.len() - 1
                }
            };
            let state = &mut states[index];
            state.r#type = change.r#type;
            state.value = change.value.clone();
            if time.is_some() {
                state.last_update_time = time;
            }
        }
    }
}

impl DeviceStateChangedEvent {
    /// The URL of the device whose states changed, parsed.
    pub fn url(&self) -> Result<DeviceUrl, InvalidDeviceUrl> {
        match self.device_url.as_deref() {
            Some(text) => DeviceUrl::parse(text),
            None => Err(InvalidDeviceUrl::new("", DeviceUrlErrorKind::Missing)),
        }
    }
}

impl Setup {
    /// Applies a `DeviceStateChangedEvent` to the device it names (see
    /// [`Device::apply_state_changes`]). False when the setup has no such device
    /// (read the setup again: it changed).
    pub fn apply_state_changes(&mut self, event: &DeviceStateChangedEvent) -> bool {
        let Some(url) = event.device_url.as_deref() else {
            return false;
        };
        let Some(device) = self
            .devices
            .iter_mut()
            .flatten()
            .find(|d| d.device_url.as_deref() == Some(url))
        else {
            return false;
        };
        device.apply_state_changes(
            event.device_states.as_deref().unwrap_or_default(),
            event.timestamp,
        );
        true
    }

    /// The devices of the setup (none when the answer has no `devices`).
    pub fn devices(&self) -> impl Iterator<Item = &Device> + '_ {
        self.devices.iter().flatten()
    }

    /// The device with this URL.
    pub fn device(&self, device_url: impl AsRef<str>) -> Option<&Device> {
        let url = device_url.as_ref();
        self.devices()
            .find(|d| d.device_url.as_deref() == Some(url))
    }

    /// The devices of one UI class (`UiClass::RollerShutter`), in setup order.
    pub fn devices_of_class(&self, class: UiClass) -> impl Iterator<Item = &Device> + '_ {
        self.devices()
            .filter(move |d| d.ui_class_str() == Some(class.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn local_device() -> Device {
        serde_json::from_value(json!({
            "deviceURL": "io://1234-5678-5643/109286#2",
            "states": [
                {"name": "core:ClosureState", "type": 1, "value": 40},
                {"name": "core:OpenClosedState", "type": 3, "value": "open"}
            ],
            "attributes": [{"name": "core:Manufacturer", "type": 3, "value": "Somfy"}],
            "definition": {
                "uiClass": "RollerShutter",
                "widgetName": "PositionableRollerShutter",
                "commands": [
                    {"commandName": "close", "nparams": 0},
                    {"commandName": "setClosure", "nparams": 1}
                ]
            }
        }))
        .unwrap()
    }

    #[test]
    fn ui_class_and_widget_fall_back_to_the_definition() {
        let mut device = local_device();
        assert_eq!(device.ui_class(), Some(UiClass::RollerShutter));
        assert_eq!(device.widget(), Some(UiWidget::PositionableRollerShutter));
        device.ui_class = Some("Awning".into());
        device.widget = Some("SomethingNew".into());
        assert_eq!(device.ui_class(), Some(UiClass::Awning));
        assert_eq!(
            device.widget(),
            Some(UiWidget::Unknown("SomethingNew".into()))
        );
        device.definition = None;
        device.ui_class = None;
        assert_eq!(device.ui_class(), None);
    }

    #[test]
    fn states_attributes_and_commands_by_name() {
        let device = local_device();
        assert!(device.has_state("core:ClosureState"));
        assert!(!device.has_state("core:DeploymentState"));
        assert_eq!(
            device
                .first_state(["core:DeploymentState", "core:ClosureState"])
                .and_then(|s| s.as_i64()),
            Some(40)
        );
        assert_eq!(device.first_state(Vec::<String>::new()), None);
        assert_eq!(
            device.state_value("core:OpenClosedState"),
            Some(StateValue::String("open".into()))
        );
        assert!(device.has_attribute("core:Manufacturer"));
        assert_eq!(
            device
                .attribute_value("core:Manufacturer")
                .unwrap()
                .as_str(),
            Some("Somfy")
        );
        assert!(device.first_attribute(["core:Model"]).is_none());
        assert!(device.supports_command("setClosure"));
        assert!(!device.supports_command("setDeployment"));
        assert_eq!(device.first_command(["my", "close"]), Some("close"));
        assert_eq!(
            device.command_names().collect::<Vec<_>>(),
            ["close", "setClosure"]
        );
        assert_eq!(
            device.command_definition("setClosure").unwrap().nparams,
            Some(1)
        );
        assert!(device.url().unwrap().is_sub_device());
    }

    #[test]
    fn state_changes_update_and_add_states() {
        let mut setup = Setup {
            devices: Some(vec![local_device()]),
            ..Setup::default()
        };
        let event: DeviceStateChangedEvent = serde_json::from_value(json!({
            "deviceURL": "io://1234-5678-5643/109286#2",
            "timestamp": 1700000000000i64,
            "deviceStates": [
                {"name": "core:ClosureState", "type": 1, "value": "100"},
                {"name": "core:MovingState", "type": 6, "value": "false"}
            ]
        }))
        .unwrap();
        assert_eq!(event.url().unwrap().subsystem_id(), Some(2));
        assert!(setup.apply_state_changes(&event));
        let device = setup.device("io://1234-5678-5643/109286#2").unwrap();
        assert_eq!(
            device.state("core:ClosureState").and_then(|s| s.as_i64()),
            Some(100)
        );
        assert_eq!(
            device.state("core:ClosureState").unwrap().last_update_time,
            Some(1700000000000)
        );
        assert_eq!(
            device.state_value("core:MovingState"),
            Some(StateValue::Bool(false))
        );
        assert_eq!(device.states.as_ref().unwrap().len(), 3);
        let mut other = event.clone();
        other.device_url = Some("io://1234-5678-5643/1".into());
        assert!(!setup.apply_state_changes(&other));
    }

    /// The event of either version's wire form (dated `timestamp` up to 2026-03,
    /// `eventTime` since 2026-08) updates the states and their time alike.
    #[test]
    fn state_changes_of_both_wire_forms_apply_alike() {
        let mut applied = Vec::new();
        for date in ["timestamp", "eventTime"] {
            let mut setup = Setup {
                devices: Some(vec![local_device()]),
                ..Setup::default()
            };
            let event: DeviceStateChangedEvent = serde_json::from_value(json!({
                "deviceURL": "io://1234-5678-5643/109286#2",
                date: 1700000000000i64,
                "deviceStates": [{"name": "core:ClosureState", "type": 1, "value": "40"}]
            }))
            .unwrap();
            assert!(event.extra.is_empty(), "{date}: {:?}", event.extra);
            assert!(setup.apply_state_changes(&event));
            let device = setup.device("io://1234-5678-5643/109286#2").unwrap();
            let state = device.state("core:ClosureState").unwrap();
            assert_eq!(state.last_update_time, Some(1700000000000), "{date}");
            applied.push((state.as_i64(), state.last_update_time));
        }
        assert_eq!(applied[0], applied[1]);
    }

    #[test]
    fn a_device_without_url_says_so() {
        let device = Device::default();
        assert_eq!(
            device.url().unwrap_err().kind(),
            DeviceUrlErrorKind::Missing
        );
        assert!(device.command_definitions().is_empty());
    }
}
