//! What an execution is and how it ended: its [`ExecutionState`]s, its
//! [`ExecutionOutcome`], and [`Client::look_up_execution`] (its outcome without
//! events). Following one is `follower.rs`'s job.

use std::fmt;

use crate::types::{ExecutionStateChangedEvent, ExecutionStateChangedEventFailedCommand};
use crate::{Client, Error, ErrorKind, Event};

/// The state of an execution, as `ExecutionStateChangedEvent` announces it.
///
/// The final states are `COMPLETED` and `FAILED` (a cancelled execution ends
/// `FAILED`, with a failure type saying so); every other state is intermediate,
/// including `NOT_TRANSMITTED` (real streams go on to `TRANSMITTED` after it) and
/// states this version does not know.
///
/// ```
/// use overkiz::ExecutionState;
/// assert_eq!(ExecutionState::from("COMPLETED"), ExecutionState::Completed);
/// assert!(ExecutionState::Failed.is_final());
/// assert!(!ExecutionState::from("NOT_TRANSMITTED").is_final());
/// assert_eq!(ExecutionState::from("SOMETHING_NEW").as_str(), "SOMETHING_NEW");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExecutionState {
    /// `INITIALIZED`: created by the server.
    Initialized,
    /// `NOT_TRANSMITTED`: not yet sent to the gateway (not final: it is transmitted
    /// next).
    NotTransmitted,
    /// `TRANSMITTED`: sent to the gateway.
    Transmitted,
    /// `QUEUED_GATEWAY_SIDE`: waiting in the gateway's queue (known from pyoverkiz).
    QueuedGatewaySide,
    /// `QUEUED_SERVER_SIDE`: waiting in the server's queue (known from pyoverkiz).
    QueuedServerSide,
    /// `IN_PROGRESS`: running.
    InProgress,
    /// `COMPLETED`: final, every command succeeded.
    Completed,
    /// `FAILED`: final, at least one command failed (or the execution was cancelled).
    Failed,
    /// A state this version does not know, as sent; not final.
    Other(String),
}

impl ExecutionState {
    /// The state as sent by the server.
    pub fn as_str(&self) -> &str {
        match self {
            ExecutionState::Initialized => "INITIALIZED",
            ExecutionState::NotTransmitted => "NOT_TRANSMITTED",
            ExecutionState::Transmitted => "TRANSMITTED",
            ExecutionState::QueuedGatewaySide => "QUEUED_GATEWAY_SIDE",
            ExecutionState::QueuedServerSide => "QUEUED_SERVER_SIDE",
            ExecutionState::InProgress => "IN_PROGRESS",
            ExecutionState::Completed => "COMPLETED",
            ExecutionState::Failed => "FAILED",
            ExecutionState::Other(state) => state,
        }
    }

    /// True for the states that end an execution: `COMPLETED` and `FAILED`.
    pub fn is_final(&self) -> bool {
        matches!(self, ExecutionState::Completed | ExecutionState::Failed)
    }
}

impl From<&str> for ExecutionState {
    fn from(state: &str) -> ExecutionState {
        match state {
            "INITIALIZED" => ExecutionState::Initialized,
            "NOT_TRANSMITTED" => ExecutionState::NotTransmitted,
            "TRANSMITTED" => ExecutionState::Transmitted,
            "QUEUED_GATEWAY_SIDE" => ExecutionState::QueuedGatewaySide,
            "QUEUED_SERVER_SIDE" => ExecutionState::QueuedServerSide,
            "IN_PROGRESS" => ExecutionState::InProgress,
            "COMPLETED" => ExecutionState::Completed,
            "FAILED" => ExecutionState::Failed,
            other => ExecutionState::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ExecutionState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How an execution ended: its final `ExecutionStateChangedEvent`, or its entry in
/// the execution history when the event stream lost events meanwhile.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct ExecutionOutcome {
    /// The execution.
    pub exec_id: String,
    /// The final state: [`ExecutionState::Completed`] or [`ExecutionState::Failed`].
    pub state: ExecutionState,
    /// Why it failed (`failureType`, e.g. `NON_EXECUTING`), if it did.
    pub failure_type: Option<String>,
    /// The commands that failed, with their device and reason (empty on success, and
    /// when the outcome was read from the history).
    pub failed_commands: Vec<ExecutionStateChangedEventFailedCommand>,
    /// The whole final event (timestamp, related devices, failure type code, ...);
    /// `None` when the outcome was read from the execution history.
    pub event: Option<ExecutionStateChangedEvent>,
}

impl ExecutionOutcome {
    /// The outcome `event` announces for `exec_id`, if it is that execution's
    /// `ExecutionStateChangedEvent` with a final state; for callers reading the event
    /// stream themselves.
    pub fn from_event(event: &Event, exec_id: &str) -> Option<ExecutionOutcome> {
        let change = state_change(event, exec_id)?;
        let state = ExecutionState::from(change.new_state.as_deref()?);
        state.is_final().then(|| ExecutionOutcome {
            exec_id: exec_id.to_owned(),
            state,
            failure_type: change.failure_type.clone(),
            failed_commands: change.failed_commands.clone().unwrap_or_default(),
            event: Some(change.clone()),
        })
    }

    /// True when the execution completed.
    pub fn is_success(&self) -> bool {
        self.state == ExecutionState::Completed
    }
}

/// `event` if it is a state change of `exec_id`.
pub(crate) fn state_change<'a>(
    event: &'a Event,
    exec_id: &str,
) -> Option<&'a ExecutionStateChangedEvent> {
    match event {
        Event::ExecutionStateChanged(change) if change.exec_id.as_deref() == Some(exec_id) => {
            Some(change)
        }
        _ => None,
    }
}

impl Client {
    /// Looks an execution up without its events: `None` while it runs
    /// (`GET /exec/current/{execId}` knows it) or when no final state is recorded
    /// yet; its outcome once the execution history (`GET /history/executions/{execId}`)
    /// has it.
    pub async fn look_up_execution(
        &self,
        exec_id: &str,
    ) -> Result<Option<ExecutionOutcome>, Error> {
        match self.get_exec_current_by_exec_id(exec_id).await {
            Ok(current) if current.id.is_some() || current.state.is_some() => {
                let state = current.state.as_deref().map(ExecutionState::from);
                if !state.is_some_and(|s| s.is_final()) {
                    return Ok(None);
                }
            }
            // `{}`, or an error saying there is no such running execution.
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::NoSuchResource
                        | ErrorKind::NoSuchExecution
                        | ErrorKind::UnknownObject
                        | ErrorKind::BadRequest
                ) => {}
            Err(error) => return Err(error),
        }
        let history = match self.get_history_executions_by_exec_id(exec_id).await {
            Ok(history) => history,
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::NoSuchResource | ErrorKind::UnknownObject
                ) =>
            {
                return Ok(None)
            }
            Err(error) => return Err(error),
        };
        let Some(entry) = history.execution else {
            return Ok(None);
        };
        let state = ExecutionState::from(entry.state.as_deref().unwrap_or_default());
        Ok(state.is_final().then(|| ExecutionOutcome {
            exec_id: exec_id.to_owned(),
            state,
            failure_type: entry.failure_type.clone(),
            failed_commands: Vec::new(),
            event: None,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: serde_json::Value) -> Event {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn states_round_trip() {
        for state in [
            "INITIALIZED",
            "NOT_TRANSMITTED",
            "TRANSMITTED",
            "QUEUED_GATEWAY_SIDE",
            "QUEUED_SERVER_SIDE",
            "IN_PROGRESS",
            "COMPLETED",
            "FAILED",
            "NEW",
        ] {
            assert_eq!(ExecutionState::from(state).as_str(), state);
            assert_eq!(
                ExecutionState::from(state).is_final(),
                state == "COMPLETED" || state == "FAILED"
            );
        }
    }

    #[test]
    fn outcomes_come_from_final_state_changes_of_the_execution_only() {
        let failed = event(serde_json::json!({
            "name": "ExecutionStateChangedEvent", "execId": "e1", "oldState": "IN_PROGRESS",
            "newState": "FAILED", "failureType": "NON_EXECUTING",
            "failedCommands": [{"deviceURL": "io://1234-5678-9012/1", "rank": 0, "failureType": "NON_EXECUTING"}]
        }));
        let outcome = ExecutionOutcome::from_event(&failed, "e1").unwrap();
        assert_eq!(outcome.state, ExecutionState::Failed);
        assert!(!outcome.is_success());
        assert_eq!(outcome.failure_type.as_deref(), Some("NON_EXECUTING"));
        assert_eq!(outcome.failed_commands.len(), 1);
        assert_eq!(ExecutionOutcome::from_event(&failed, "e2"), None);
        let running = event(
            serde_json::json!({"name": "ExecutionStateChangedEvent", "execId": "e1", "newState": "IN_PROGRESS"}),
        );
        assert_eq!(ExecutionOutcome::from_event(&running, "e1"), None);
        let other =
            event(serde_json::json!({"name": "GatewaySynchronizationEndedEvent", "execId": "e1"}));
        assert_eq!(ExecutionOutcome::from_event(&other, "e1"), None);
    }

    /// Servers of 2026-03 tag events with `name` and give the execution type as
    /// `type`; servers of 2026-08 tag them with `type` and call it `executionType`.
    /// Both give the same outcome.
    #[test]
    fn outcomes_come_from_either_wire_form() {
        let previous = event(serde_json::json!({
            "name": "ExecutionStateChangedEvent", "execId": "e1", "type": 1, "timestamp": 5,
            "newState": "COMPLETED", "oldState": "IN_PROGRESS"
        }));
        let newest = event(serde_json::json!({
            "type": "ExecutionStateChangedEvent", "execId": "e1", "executionType": 1, "eventTime": 5,
            "newState": "COMPLETED", "oldState": "IN_PROGRESS"
        }));
        assert!(
            matches!(previous, Event::ExecutionStateChanged(_)),
            "{previous:?}"
        );
        assert_eq!(previous, newest);
        assert_eq!(previous.extra().map(|e| e.len()), Some(0));
        let outcome = ExecutionOutcome::from_event(&newest, "e1").unwrap();
        assert!(outcome.is_success());
        assert_eq!(Some(outcome), ExecutionOutcome::from_event(&previous, "e1"));
    }
}
