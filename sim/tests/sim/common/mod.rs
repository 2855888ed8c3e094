//! What the simulator's client tests share (`client.rs`, `local.rs`): how long they
//! wait, the next item of an event stream, and an action group on the fixture's
//! roller shutter. (The simulator itself starts with `overkiz_sim::testing`.)

use std::time::Duration;

use futures::StreamExt;
use overkiz::types::{Action, ActionGroup, Command};
use overkiz::{Client, Error, Event, EventStream};
use overkiz_sim::testing::SHUTTER;
use serde_json::Value;

/// How long a test waits for something the simulator does.
pub const WAIT: Duration = Duration::from_secs(5);

/// The next item of `events`: fails the test when the stream ends or stays silent
/// for [`WAIT`].
pub async fn next_event(events: &mut EventStream) -> Result<Event, Error> {
    tokio::time::timeout(WAIT, events.next())
        .await
        .expect("an event or a gap within the wait")
        .expect("the stream goes on")
}

/// An action group running `command` with `parameters` on the shutter.
pub fn action_group(command: &str, parameters: Vec<Value>) -> ActionGroup {
    ActionGroup {
        label: Some(command.into()),
        actions: Some(vec![Action {
            device_url: Some(SHUTTER.into()),
            commands: Some(vec![Command {
                name: Some(command.into()),
                parameters: Some(parameters),
                ..Command::default()
            }]),
            ..Action::default()
        }]),
        ..ActionGroup::default()
    }
}

/// `POST /exec/apply` of `command` (without parameters) on the shutter: the
/// execution's id.
pub async fn apply(client: &Client, command: &str) -> Result<String, Error> {
    let launched = client
        .post_exec_apply(&action_group(command, vec![]))
        .await?;
    Ok(launched.exec_id.expect("an execution id"))
}
