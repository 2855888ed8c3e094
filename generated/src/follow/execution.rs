//! Following an execution to its end through the event stream:
//! [`EventStream::wait_for_execution`], [`Client::execute_and_wait`].

use std::fmt;
use std::time::Duration;

use futures::StreamExt;

use crate::types::{
    ActionGroup, ExecutionStateChangedEvent, ExecutionStateChangedEventFailedCommand,
};
use crate::{operations, Client, Error, ErrorKind, Event, EventStream};

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
fn state_change<'a>(event: &'a Event, exec_id: &str) -> Option<&'a ExecutionStateChangedEvent> {
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

impl EventStream {
    /// Reads this stream until `exec_id` reaches a final state, for at most `timeout`
    /// (which includes registering the listener if the stream has none yet).
    ///
    /// Launching commands (`POST /exec/apply`, `POST /exec/{actionGroupOID}`, ...)
    /// only returns an `execId`; the outcome arrives later as
    /// `ExecutionStateChangedEvent`s, e.g. `INITIALIZED → NOT_TRANSMITTED →
    /// TRANSMITTED → IN_PROGRESS → COMPLETED` (see [`ExecutionState`] for the final
    /// states).
    ///
    /// The listener must exist before the execution starts, or its events may be
    /// missed: [`EventStream::execute_and_wait`] registers first, then launches. For
    /// other launch operations, do the same by hand:
    ///
    /// ```no_run
    /// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
    /// use std::time::Duration;
    /// let mut events = client.events();
    /// events.register().await?;
    /// let launched = client.post_exec_by_action_group_oid("an-action-group-oid").await?;
    /// let exec_id = launched.exec_id.unwrap_or_default();
    /// let outcome = events.wait_for_execution(&exec_id, Duration::from_secs(60)).await?;
    /// println!("{} ({:?})", outcome.state, outcome.failure_type);
    /// # Ok(()) }
    /// ```
    ///
    /// The events read meanwhile are consumed: the stream goes on after the final
    /// event. Use [`ExecutionOutcome::from_event`] in your own loop to keep them all.
    ///
    /// Never reports a finished execution as timed out: when the stream loses events
    /// ([`ErrorKind::EventsLost`]: expired listener, renewed session, ...) it registers
    /// again and looks the execution up ([`Client::look_up_execution`]), and it looks
    /// it up once more before reporting a timeout.
    ///
    /// Errors: retryable failures are waited out (the stream backs off); any other
    /// failure is returned at once as [`Error::Execution`], carrying the `execId`.
    /// When time runs out, [`Error::ExecutionTimeout`] carries the last state seen;
    /// the execution may still be running.
    ///
    /// Any `timeout` is accepted: one too long for the clock (`Duration::MAX`) means
    /// no time limit.
    pub async fn wait_for_execution(
        &mut self,
        exec_id: &str,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        let wrap = |error: Error| Error::Execution {
            exec_id: exec_id.to_owned(),
            source: Box::new(error),
        };
        let deadline = crate::value::deadline::from_now(timeout);
        let mut last_state = None;
        loop {
            let item = match tokio::time::timeout_at(deadline, self.next()).await {
                Ok(Some(item)) => item,
                // The stream never ends; should it, the wait ends like a timeout.
                Ok(None) | Err(_) => break,
            };
            match item {
                Ok(event) => {
                    if let Some(outcome) = ExecutionOutcome::from_event(&event, exec_id) {
                        return Ok(outcome);
                    }
                    if let Some(change) = state_change(&event, exec_id) {
                        tracing::debug!(
                            state = change.new_state.as_deref(),
                            "execution state changed"
                        );
                        last_state.clone_from(&change.new_state);
                    }
                }
                Err(gap) if gap.kind() == ErrorKind::EventsLost => {
                    // The final event may be among the lost ones: listen again first
                    // (so nothing after the look-up is missed), then look it up.
                    tracing::debug!(%gap, "events lost while waiting for an execution");
                    let looked_up = async {
                        self.register().await?;
                        self.client().look_up_execution(exec_id).await
                    };
                    match tokio::time::timeout_at(deadline, looked_up).await {
                        Ok(Ok(Some(outcome))) => return Ok(outcome),
                        Ok(Ok(None)) => {}
                        Ok(Err(error)) if error.is_retryable() => {
                            tracing::debug!(kind = ?error.kind(), "cannot look the execution up yet");
                        }
                        Ok(Err(error)) => return Err(wrap(error)),
                        Err(_) => break,
                    }
                }
                Err(error)
                    if error.is_retryable()
                        || matches!(
                            error.kind(),
                            ErrorKind::InvalidEventListener | ErrorKind::NoRegisteredEventListener
                        ) =>
                {
                    tracing::debug!(kind = ?error.kind(), "event stream failure while waiting for an execution");
                }
                Err(error) => return Err(wrap(error)),
            }
        }
        // Out of time: an execution whose final event was missed must not be reported
        // as timed out.
        match self.client().look_up_execution(exec_id).await {
            Ok(Some(outcome)) => Ok(outcome),
            Ok(None) => Err(Error::ExecutionTimeout {
                exec_id: exec_id.to_owned(),
                timeout,
                last_state,
            }),
            Err(error) => {
                tracing::debug!(kind = ?error.kind(), "cannot look the execution up after the timeout");
                Err(Error::ExecutionTimeout {
                    exec_id: exec_id.to_owned(),
                    timeout,
                    last_state,
                })
            }
        }
    }
}

impl EventStream {
    /// Registers this stream's listener if needed, launches `action_group`
    /// (`POST /exec/apply`) and waits for its outcome (see
    /// [`EventStream::wait_for_execution`]). `timeout` bounds the wait once the
    /// execution is launched; registering and launching are bounded by the client's
    /// request timeout. The launch is never resent once it may have reached the
    /// server.
    ///
    /// A failed execution is an `Ok` outcome with [`ExecutionOutcome::is_success`]
    /// false; `Err` means the commands could not be launched or followed (then
    /// [`Error::exec_id`] gives the execution, if it was launched).
    pub async fn execute_and_wait(
        &mut self,
        action_group: &ActionGroup,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        self.register().await?;
        let launched = self.client().post_exec_apply(action_group).await?;
        let Some(exec_id) = launched.exec_id.filter(|id| !id.is_empty()) else {
            return Err(Error::Decode {
                operation: &operations::POST_EXEC_APPLY,
                message: "the answer carries no execId".into(),
                excerpt: String::new(),
            });
        };
        tracing::debug!("execution launched; waiting for its outcome");
        // A session renewed by the launch killed the listener: the stream notices it
        // (a gap), registers again and looks the execution up.
        self.wait_for_execution(&exec_id, timeout).await
    }
}

impl Client {
    /// Waits until execution `exec_id` reaches a final state, for at most `timeout`,
    /// through a new event listener (see [`EventStream::wait_for_execution`]).
    ///
    /// The listener is registered when this is called; an execution that ended before
    /// is found in the history when the wait looks it up (at the latest when time
    /// runs out). To follow an execution you launch, use [`Client::execute_and_wait`]
    /// or register an [`EventStream`] first. A listener registered here also
    /// invalidates any other listener of the session; it is unregistered before this
    /// returns.
    pub async fn wait_for_execution(
        &self,
        exec_id: &str,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        let mut events = self.events();
        let result = events.wait_for_execution(exec_id, timeout).await;
        unregister(&mut events).await;
        result
    }

    /// Registers an event listener, launches `action_group` (`POST /exec/apply`) and
    /// waits for its outcome, for at most `timeout` once launched; see
    /// [`EventStream::execute_and_wait`]. The new listener invalidates any other
    /// listener of the session (with a stream already open, use its method instead);
    /// it is unregistered before this returns.
    pub async fn execute_and_wait(
        &self,
        action_group: &ActionGroup,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        let mut events = self.events();
        let result = events.execute_and_wait(action_group, timeout).await;
        unregister(&mut events).await;
        result
    }
}

/// Unregisters the listener of a stream used for one call before returning, so that a
/// next call's listener cannot be hit by a late unregistration.
async fn unregister(events: &mut EventStream) {
    if let Err(error) = events.unregister().await {
        tracing::debug!(kind = ?error.kind(), "cannot unregister the event listener");
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
        assert!(matches!(previous, Event::ExecutionStateChanged(_)), "{previous:?}");
        assert_eq!(previous, newest);
        assert_eq!(previous.extra().map(|e| e.len()), Some(0));
        let outcome = ExecutionOutcome::from_event(&newest, "e1").unwrap();
        assert!(outcome.is_success());
        assert_eq!(Some(outcome), ExecutionOutcome::from_event(&previous, "e1"));
    }
}
