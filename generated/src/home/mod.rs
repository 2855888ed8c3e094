//! The home-automation layer: what integrations (Home Assistant, openHAB,
//! dashboards) build on top of the generated types.
//!
//! - Devices: [`DeviceUrl`](crate::DeviceUrl) parses `<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>]`
//!   ([`Device::url`](crate::types::Device::url)); states and attributes by name
//!   ([`has_state`](crate::types::Device::has_state),
//!   [`first_state`](crate::types::Device::first_state),
//!   [`state_value`](crate::types::Device::state_value), the same for attributes);
//!   [`ui_class`](crate::types::Device::ui_class) and
//!   [`widget`](crate::types::Device::widget), taken from the device's definition when
//!   the device lacks them (local API);
//!   [`supports_command`](crate::types::Device::supports_command) and
//!   [`first_command`](crate::types::Device::first_command) from the definition;
//!   [`Setup::devices_of_class`](crate::types::Setup::devices_of_class).
//! - Commands: [`Command`](crate::Command) (`Command::new("setClosure").arg(50)`),
//!   [`Action`](crate::Action) (commands for one device),
//!   [`action_group`](crate::action_group), and [`Client::run`](crate::Client::run)
//!   in an [`ExecutionMode`](crate::ExecutionMode) (normal, high priority,
//!   geolocated, internal); [`ActionQueue`](crate::ActionQueue) batches the actions
//!   sent within a short delay into one group.
//! - Executions within the server's limits: a launch waits for a slot on a gateway
//!   running its 10 executions (every app's) instead of being refused;
//!   [`Client::execution_budget`](crate::Client::execution_budget) reports the
//!   figures ([`ExecutionBudget`](crate::ExecutionBudget)).
//! - Vocabulary: [`Protocol`](crate::Protocol), [`UiClass`](crate::UiClass),
//!   [`UiWidget`](crate::UiWidget), [`StateName`](crate::StateName),
//!   [`CommandName`](crate::CommandName), each with an `Unknown(String)` fallback that
//!   keeps unseen names (generated from `spec/vocabulary.toml`).
//! - Diagnostics: `crate::diagnostics::anonymize` (feature `diagnostics`) makes a setup (or any answer)
//!   safe to post in a bug report.
//!
//! # Names
//!
//! Each name has one path, the crate root (`overkiz::Command`, `overkiz::UiClass`);
//! this module is the guide to them (its former re-exports are deprecated aliases).
//! `overkiz::Command` and `overkiz::Action` are the builders; the wire types they
//! become have the same names in [`crate::types`] and are reached only as
//! `types::Command` and `types::Action` (what an answer holds, what
//! [`action_group`](crate::action_group) builds): build with the builders, read with
//! the types.
//!
//! Close every roller shutter:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use overkiz::{Action, Client, Command, Credentials, ExecutionMode, Server, UiClass};
//!
//! let client = Client::new(Server::somfy_europe(), Credentials::password("me@example.com", "secret"))?;
//! let setup = client.get_setup().await?;
//! let mut actions = Vec::new();
//! for device in setup.devices_of_class(UiClass::RollerShutter) {
//!     if device.supports_command("close") {
//!         actions.push(Action::new(device.url()?, [Command::new("close")]));
//!     }
//! }
//! let exec_id = client.run(actions, ExecutionMode::Normal).await?;
//! println!("closing, execution {exec_id}");
//! # Ok(()) }
//! ```

pub(crate) mod action_queue;
pub(crate) mod command;
pub(crate) mod device;
pub(crate) mod execution_budget;

// The names of this layer have one path, the crate root; these are their former
// paths here, kept for one release.

/// Deprecated: [`crate::Action`].
#[deprecated(since = "0.1.0", note = "use overkiz::Action")]
pub type Action = crate::Action;

/// Deprecated: [`crate::Command`].
#[deprecated(since = "0.1.0", note = "use overkiz::Command")]
pub type Command = crate::Command;

/// Deprecated: [`crate::ExecutionMode`].
#[deprecated(since = "0.1.0", note = "use overkiz::ExecutionMode")]
pub type ExecutionMode = crate::ExecutionMode;

/// Deprecated: [`crate::DeviceUrl`].
#[deprecated(since = "0.1.0", note = "use overkiz::DeviceUrl")]
pub type DeviceUrl = crate::DeviceUrl;

/// Deprecated: [`crate::DeviceUrlErrorKind`].
#[deprecated(since = "0.1.0", note = "use overkiz::DeviceUrlErrorKind")]
pub type DeviceUrlErrorKind = crate::DeviceUrlErrorKind;

/// Deprecated: [`crate::InvalidDeviceUrl`].
#[deprecated(since = "0.1.0", note = "use overkiz::InvalidDeviceUrl")]
pub type InvalidDeviceUrl = crate::InvalidDeviceUrl;

/// Deprecated: [`crate::CommandName`].
#[deprecated(since = "0.1.0", note = "use overkiz::CommandName")]
pub type CommandName = crate::CommandName;

/// Deprecated: [`crate::Protocol`].
#[deprecated(since = "0.1.0", note = "use overkiz::Protocol")]
pub type Protocol = crate::Protocol;

/// Deprecated: [`crate::StateName`].
#[deprecated(since = "0.1.0", note = "use overkiz::StateName")]
pub type StateName = crate::StateName;

/// Deprecated: [`crate::UiClass`].
#[deprecated(since = "0.1.0", note = "use overkiz::UiClass")]
pub type UiClass = crate::UiClass;

/// Deprecated: [`crate::UiWidget`].
#[deprecated(since = "0.1.0", note = "use overkiz::UiWidget")]
pub type UiWidget = crate::UiWidget;

/// Deprecated: [`crate::action_group`].
#[deprecated(since = "0.1.0", note = "use overkiz::action_group")]
pub fn action_group(
    label: impl Into<String>,
    actions: impl IntoIterator<Item = crate::Action>,
) -> crate::types::ActionGroup {
    crate::action_group(label, actions)
}
