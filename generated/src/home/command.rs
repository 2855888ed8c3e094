//! Sending commands: [`Command`] (a name and its parameters), [`Action`] (commands
//! for one device), an action group made of actions, and [`Client::run`], which
//! launches them in one of the [`ExecutionMode`]s.
//!
//! ```
//! use overkiz::{Action, Command};
//! let group = overkiz::action_group(
//!     "Half open",
//!     [Action::new("io://1234-1234-5752/960379", [Command::new("setClosure").arg(50)])],
//! );
//! assert_eq!(
//!     serde_json::to_value(&group).unwrap(),
//!     serde_json::json!({
//!         "label": "Half open",
//!         "actions": [{
//!             "deviceURL": "io://1234-1234-5752/960379",
//!             "commands": [{"name": "setClosure", "parameters": [50]}]
//!         }]
//!     })
//! );
//! ```
//!
//! [`Client::run`] takes anything that makes an action group (an [`Action`],
//! several, or a [`types::ActionGroup`]) and an [`ExecutionMode`];
//! [`Client::run_and_wait`] takes the same and follows the execution to its end.

use serde_json::Value;

use crate::home::execution_budget::launch;
use crate::transport::request::Request;
use crate::value::operation::OperationInfo;
use crate::{operations, types, Client, DeviceUrl, Error};

/// A command to send to a device: its name and parameters, as JSON values
/// (numbers stay numbers, texts stay texts).
///
/// ```
/// use overkiz::Command;
/// let command = Command::new("setClosureAndLinearSpeed").arg(50).arg("lowspeed");
/// assert_eq!(command.name(), "setClosureAndLinearSpeed");
/// assert_eq!(command.parameters(), [serde_json::json!(50), serde_json::json!("lowspeed")]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Command {
    name: String,
    parameters: Vec<Value>,
}

impl Command {
    /// A command without parameters (`open`, `close`, `stop`, `my`, ...).
    pub fn new(name: impl Into<String>) -> Command {
        Command {
            name: name.into(),
            parameters: Vec::new(),
        }
    }

    /// Adds a parameter (a number, text, boolean or any JSON value).
    pub fn arg(mut self, parameter: impl Into<Value>) -> Command {
        self.parameters.push(parameter.into());
        self
    }

    /// Adds parameters.
    pub fn args<I>(mut self, parameters: I) -> Command
    where
        I: IntoIterator,
        I::Item: Into<Value>,
    {
        self.parameters
            .extend(parameters.into_iter().map(Into::into));
        self
    }

    /// The command name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The parameters, in order.
    pub fn parameters(&self) -> &[Value] {
        &self.parameters
    }
}

impl From<&str> for Command {
    fn from(name: &str) -> Command {
        Command::new(name)
    }
}

impl From<crate::generated::vocabulary::CommandName> for Command {
    fn from(name: crate::generated::vocabulary::CommandName) -> Command {
        Command::new(name.as_str())
    }
}

impl From<Command> for types::Command {
    fn from(command: Command) -> types::Command {
        types::Command {
            name: Some(command.name),
            // The documentation's examples always send the list, empty or not.
            parameters: Some(command.parameters),
            ..types::Command::default()
        }
    }
}

/// Commands for one device, identified by its URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    device_url: String,
    commands: Vec<Command>,
}

impl Action {
    /// Commands for the device `device_url` (a `&str`, `String` or [`DeviceUrl`]).
    pub fn new<I>(device_url: impl Into<String>, commands: I) -> Action
    where
        I: IntoIterator,
        I::Item: Into<Command>,
    {
        Action {
            device_url: device_url.into(),
            commands: commands.into_iter().map(Into::into).collect(),
        }
    }

    /// Adds a command.
    pub fn command(mut self, command: impl Into<Command>) -> Action {
        self.commands.push(command.into());
        self
    }

    /// Appends the commands of `other` (an action for the same device).
    pub(crate) fn extend(&mut self, other: Action) {
        self.commands.extend(other.commands);
    }

    /// The device URL.
    pub fn device_url(&self) -> &str {
        &self.device_url
    }

    /// The commands, in order.
    pub fn commands(&self) -> &[Command] {
        &self.commands
    }
}

impl From<Action> for types::Action {
    fn from(action: Action) -> types::Action {
        types::Action {
            device_url: Some(action.device_url),
            commands: Some(action.commands.into_iter().map(Into::into).collect()),
            ..types::Action::default()
        }
    }
}

impl From<Action> for types::ActionGroup {
    fn from(action: Action) -> types::ActionGroup {
        action_group_of(None, [action])
    }
}

impl From<Vec<Action>> for types::ActionGroup {
    fn from(actions: Vec<Action>) -> types::ActionGroup {
        action_group_of(None, actions)
    }
}

impl<const N: usize> From<[Action; N]> for types::ActionGroup {
    fn from(actions: [Action; N]) -> types::ActionGroup {
        action_group_of(None, actions)
    }
}

/// An action group with a label (shown in the execution history) made of `actions`
/// (the commands of several actions for one device are merged into one action, in
/// order: gateways take one action per device).
pub fn action_group(
    label: impl Into<String>,
    actions: impl IntoIterator<Item = Action>,
) -> types::ActionGroup {
    action_group_of(Some(label.into()), actions)
}

/// The group of `actions`, one action per device: gateways accept at most one
/// action per device in a group, so the commands of actions for the same device are
/// merged, in order, into the first one (as pyoverkiz's action queue does).
pub(crate) fn action_group_of(
    label: Option<String>,
    actions: impl IntoIterator<Item = Action>,
) -> types::ActionGroup {
    let mut merged: Vec<Action> = Vec::new();
    for action in actions {
        match merged
            .iter_mut()
            .find(|a| a.device_url == action.device_url)
        {
            Some(existing) => existing.commands.extend(action.commands),
            None => merged.push(action),
        }
    }
    types::ActionGroup {
        label,
        actions: Some(merged.into_iter().map(Into::into).collect()),
        ..types::ActionGroup::default()
    }
}

impl DeviceUrl {
    /// An action running `commands` on this device.
    pub fn action<I>(&self, commands: I) -> Action
    where
        I: IntoIterator,
        I::Item: Into<Command>,
    {
        Action::new(self, commands)
    }
}

/// How the server runs an action group: the four `POST /exec/apply…` operations.
///
/// Only cloud servers know the modes: a local gateway's API has `POST /exec/apply`
/// alone (its OpenAPI description, `tests/fixtures/local-api/openapi.yaml`), and
/// [`Client::run`] refuses another mode there without sending anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecutionMode {
    /// `POST /exec/apply`: a normal execution.
    #[default]
    Normal,
    /// `POST /exec/apply/highPriority`: may bypass restrictions such as a blocked
    /// device.
    HighPriority,
    /// `POST /exec/apply/geolocated`: flagged as triggered by geolocation.
    Geolocated,
    /// `POST /exec/apply/internal`: kept out of the setup's execution history (for
    /// automatic refreshes).
    Internal,
}

impl ExecutionMode {
    /// The documented operation that runs an action group in this mode.
    pub fn operation(self) -> &'static OperationInfo {
        match self {
            ExecutionMode::Normal => &operations::POST_EXEC_APPLY,
            ExecutionMode::HighPriority => &operations::POST_EXEC_APPLY_HIGH_PRIORITY,
            ExecutionMode::Geolocated => &operations::POST_EXEC_APPLY_GEOLOCATED,
            ExecutionMode::Internal => &operations::POST_EXEC_APPLY_INTERNAL,
        }
    }

    /// The mode's name as pyoverkiz writes it (`highPriority`, `geolocated`,
    /// `internal`); `None` for [`ExecutionMode::Normal`].
    pub fn as_str(self) -> Option<&'static str> {
        match self {
            ExecutionMode::Normal => None,
            ExecutionMode::HighPriority => Some("highPriority"),
            ExecutionMode::Geolocated => Some("geolocated"),
            ExecutionMode::Internal => Some("internal"),
        }
    }
}

impl Client {
    /// Launches `actions` (an [`Action`], a `Vec` or array of them, or a
    /// [`types::ActionGroup`]) in `mode` and returns the execution id.
    ///
    /// Like every call that acts, the launch is never resent once it may have
    /// reached the server. It stays within the gateway's execution budget
    /// ([`Client::execution_budget`]): on a gateway already running its 10
    /// executions it waits for a slot (dropping the future meanwhile sends nothing),
    /// and a launch the server refuses for lack of room (`EXEC_QUEUE_FULL`, "Too
    /// many executions", so nothing ran) is sent again when a slot frees; after
    /// [`crate::ClientBuilder::execution_slot_wait`] it fails with
    /// [`Error::NoExecutionSlot`]. On a local gateway only [`ExecutionMode::Normal`] exists;
    /// another mode fails with [`Error::InvalidRequest`] before sending anything. Follow the outcome with [`Client::follow`]
    /// (or launch with [`Client::run_and_wait`]).
    ///
    /// ```no_run
    /// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
    /// use overkiz::{Action, Command, ExecutionMode};
    /// let action = Action::new("io://1234-1234-5752/960379", [Command::new("setClosure").arg(50)]);
    /// let exec_id = client.run(action, ExecutionMode::HighPriority).await?;
    /// # Ok(()) }
    /// ```
    pub async fn run(
        &self,
        actions: impl Into<types::ActionGroup>,
        mode: ExecutionMode,
    ) -> Result<String, Error> {
        if mode != ExecutionMode::Normal && self.server().is_local() {
            return Err(Error::InvalidRequest {
                operation: mode.operation(),
                message: format!(
                    "local gateways only run ExecutionMode::Normal, not {mode:?} (their API has no {})",
                    mode.operation().path
                ),
            });
        }
        let group = actions.into();
        let answer = launch(self, mode.operation(), &group, || apply(self, mode, &group)).await?;
        answer
            .exec_id
            .filter(|id| !id.is_empty())
            .ok_or_else(|| Error::Decode {
                operation: mode.operation(),
                message: "the answer carries no execId".into(),
                excerpt: String::new(),
            })
    }
}

/// The one place that sends an action group: `POST /exec/apply[/<mode>]`.
pub(crate) async fn apply(
    client: &Client,
    mode: ExecutionMode,
    group: &types::ActionGroup,
) -> Result<types::ExecIdResponse, Error> {
    let request = Request::new(mode.operation()).json(group)?;
    client.send_request(request).await?.json()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parameters_keep_their_json_types() {
        let command: types::Command = Command::new("setRGB")
            .args([255, 0, 10])
            .arg(true)
            .arg(12.5)
            .arg(json!({"a": 1}))
            .into();
        assert_eq!(
            serde_json::to_value(&command).unwrap(),
            json!({"name": "setRGB", "parameters": [255, 0, 10, true, 12.5, {"a": 1}]})
        );
    }

    #[test]
    fn groups_from_actions() {
        let url = DeviceUrl::parse("rts://1234-1234-5752/16756006").unwrap();
        let group: types::ActionGroup = vec![
            url.action(["close"]),
            Action::new("io://gw/1", Vec::<Command>::new()).command("open"),
        ]
        .into();
        assert_eq!(
            serde_json::to_value(&group).unwrap(),
            json!({"actions": [
                {"deviceURL": "rts://1234-1234-5752/16756006", "commands": [{"name": "close", "parameters": []}]},
                {"deviceURL": "io://gw/1", "commands": [{"name": "open", "parameters": []}]}
            ]})
        );
    }

    #[test]
    fn actions_for_one_device_are_merged_in_order() {
        let group = action_group(
            "merge",
            [
                Action::new("io://gw/1", ["close"]),
                Action::new("io://gw/2", ["open"]),
                Action::new("io://gw/1", [Command::new("setClosure").arg(50)]),
            ],
        );
        assert_eq!(
            serde_json::to_value(&group).unwrap(),
            json!({"label": "merge", "actions": [
                {"deviceURL": "io://gw/1", "commands": [
                    {"name": "close", "parameters": []},
                    {"name": "setClosure", "parameters": [50]}
                ]},
                {"deviceURL": "io://gw/2", "commands": [{"name": "open", "parameters": []}]}
            ]})
        );
    }

    #[tokio::test]
    async fn local_gateways_refuse_other_modes_before_sending() {
        let server = crate::Server::local("1234-5678-9012").unwrap();
        let client = Client::new(server, crate::Credentials::bearer("a-local-token")).unwrap();
        let error = client
            .run(
                Action::new("io://1234-5678-9012/1", ["close"]),
                ExecutionMode::Internal,
            )
            .await
            .unwrap_err();
        assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
        assert!(error.to_string().contains("/exec/apply/internal"));
    }

    #[test]
    fn modes_map_onto_the_documented_operations() {
        for (mode, path) in [
            (ExecutionMode::Normal, "/exec/apply"),
            (ExecutionMode::HighPriority, "/exec/apply/highPriority"),
            (ExecutionMode::Geolocated, "/exec/apply/geolocated"),
            (ExecutionMode::Internal, "/exec/apply/internal"),
        ] {
            assert_eq!(mode.operation().path, path);
            assert_eq!(mode.operation().method.as_str(), "POST");
        }
        assert_eq!(ExecutionMode::default(), ExecutionMode::Normal);
    }
}
