//! The home-automation layer: what integrations (Home Assistant, openHAB,
//! dashboards) build on top of the generated types.
//!
//! - Devices: [`DeviceUrl`] parses `<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>]`
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
//! - Commands: [`Command`] (`Command::new("setClosure").arg(50)`), [`Action`] (commands
//!   for one device), [`action_group`], and
//!   [`Client::run`](crate::Client::run) in an [`ExecutionMode`] (normal, high
//!   priority, geolocated, internal); [`ActionQueue`](crate::ActionQueue) batches
//!   the actions sent within a short delay into one group.
//! - Vocabulary: [`Protocol`], [`UiClass`], [`UiWidget`], [`StateName`],
//!   [`CommandName`], each with an `Unknown(String)` fallback that keeps unseen
//!   names (generated from `spec/vocabulary.toml`).
//! - Diagnostics: [`crate::tools::diagnostics::anonymize`] makes a setup (or any answer)
//!   safe to post in a bug report.
//!
//! Close every roller shutter:
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use overkiz::{Action, Client, Command, Credentials, ExecutionMode, Server, UiClass};
//!
//! let client = Client::new(Server::somfy_europe(), Credentials::password("me@example.com", "secret"))?;
//! let setup = client.setup().await?;
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

pub use crate::home::command::{action_group, Action, Command, ExecutionMode};
pub use crate::value::device_url::{DeviceUrl, DeviceUrlErrorKind, InvalidDeviceUrl};
pub use crate::vocabulary::{CommandName, Protocol, StateName, UiClass, UiWidget};
