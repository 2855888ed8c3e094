//! The lifecycle of executions: starting one (every way of launching goes through
//! [`start_execution`]), running it through its states with their events, finishing
//! it into the history; and the routes of `/exec/apply`, `/exec/{actionGroupOID}` and
//! `/exec/current`.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{json, Value};

use crate::answer::Answer;
use crate::effects::effect;
use crate::errors::{exec_queue_full, no_corresponding_exec_id, no_such_action_group};
use crate::shared::Shared;
use crate::spec;
use crate::state::{now_ms, State};

/// `executionType` of an execution launched by a call.
pub(crate) const IMMEDIATE: &str = "Immediate execution";
/// `executionType` of an execution launched by a schedule (`POST /exec/schedule/...`).
pub(crate) const DELAYED: &str = "Delayed execution";

/// Running executions a gateway accepts (the real servers' soft limit: "Execution
/// queue is full on gateway: #... (soft limit: 10)"), counted per gateway.
pub(crate) const EXEC_QUEUE_LIMIT: usize = 10;

/// What [`start_execution`] starts.
pub(crate) struct Launch {
    /// The action group: the posted one (`POST /exec/apply`) or a stored one.
    pub(crate) group: Value,
    /// The stored action group's oid; `None` for a posted one.
    pub(crate) oid: Option<String>,
    /// The user launching it.
    pub(crate) owner: String,
    /// [`IMMEDIATE`] or [`DELAYED`].
    pub(crate) execution_type: &'static str,
}

/// A running execution.
pub(crate) struct Execution {
    pub(crate) id: String,
    pub(crate) label: String,
    /// The action group's actions (`[{deviceURL, commands: [{name, parameters}]}]`).
    pub(crate) actions: Value,
    /// The action group, as `GET /exec/current` shows it.
    pub(crate) group: Value,
    /// The stored action group's oid, if it is one.
    pub(crate) oid: Option<String>,
    pub(crate) execution_type: &'static str,
    pub(crate) state: &'static str,
    /// The failure type it will end with, if it fails.
    failure: Option<String>,
    pub(crate) start_time: u64,
    pub(crate) owner: String,
}

/// Starts an execution: every way of launching one (`POST /exec/apply` and its
/// variants, `POST /exec/{actionGroupOID}` and its variants, a scheduled execution
/// coming due) goes through here. Checks the devices and the gateway's queue, emits
/// `ExecutionRegisteredEvent` and runs the execution through its states
/// ([`progress`]). Returns the `execId`, or the server's error answer.
pub(crate) fn start_execution(
    shared: &Arc<Shared>,
    state: &mut State,
    launch: Launch,
) -> Result<String, Answer> {
    let actions = launch.group["actions"].clone();
    state.check_devices(&actions)?;
    if let Some(gateway) = full_gateway(state, &actions) {
        return Err(exec_queue_full(&gateway, EXEC_QUEUE_LIMIT));
    }
    let id = state.new_id();
    let label = launch.group["label"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    state.emit(json!({
        "name": "ExecutionRegisteredEvent", "execId": id, "label": label,
        "metadata": "", "type": 1, "subType": 1, "actions": actions,
        "source": "mobile:simulator", "owner": launch.owner,
    }));
    let failure = state.failures.pop_front();
    state.current.push(Execution {
        id: id.clone(),
        label,
        actions,
        group: launch.group,
        oid: launch.oid,
        execution_type: launch.execution_type,
        state: "INITIALIZED",
        start_time: now_ms(),
        owner: launch.owner,
        failure,
    });
    tokio::spawn(progress(
        Arc::downgrade(shared),
        id.clone(),
        shared.config.step,
    ));
    Ok(id)
}

/// The gateway id of a device URL (`<protocol>://<gatewayId>/<address>`).
fn gateway_of(device_url: &str) -> Option<&str> {
    device_url
        .split_once("://")
        .and_then(|(_, rest)| rest.split('/').next())
        .filter(|g| !g.is_empty())
}

/// The gateways `actions` run on, each once, in order of appearance.
fn gateways_of(actions: &Value) -> Vec<String> {
    let mut gateways: Vec<String> = Vec::new();
    for action in actions.as_array().into_iter().flatten() {
        if let Some(gateway) = action["deviceURL"].as_str().and_then(gateway_of) {
            if !gateways.iter().any(|g| g == gateway) {
                gateways.push(gateway.to_owned());
            }
        }
    }
    gateways
}

/// The first gateway of `actions` that already runs [`EXEC_QUEUE_LIMIT`]
/// executions: each gateway has its own queue, whatever runs on the others.
fn full_gateway(state: &State, actions: &Value) -> Option<String> {
    gateways_of(actions).into_iter().find(|gateway| {
        let running = state
            .current
            .iter()
            .filter(|e| gateways_of(&e.actions).contains(gateway))
            .count();
        running >= EXEC_QUEUE_LIMIT
    })
}

/// Runs execution `id` through its states, one every `step`.
async fn progress(shared: Weak<Shared>, id: String, step: Duration) {
    for (next, command_state) in [("TRANSMITTED", None), ("IN_PROGRESS", Some("IN_PROGRESS"))] {
        tokio::time::sleep(step).await;
        let Some(shared) = shared.upgrade() else {
            return;
        };
        let mut state = shared.state();
        let Some(execution) = state.current.iter_mut().find(|e| e.id == id) else {
            return; // cancelled
        };
        let old = std::mem::replace(&mut execution.state, next);
        let actions = execution.actions.clone();
        let oid = state.setup_oid();
        state.emit(json!({
            "name": "ExecutionStateChangedEvent", "execId": id, "oldState": old, "newState": next,
            "ownerKey": oid, "type": 1, "subType": 1, "timeToNextState": step.as_millis() as u64,
        }));
        if let Some(command_state) = command_state {
            for (rank, (device_url, _, _)) in commands_of(&actions).into_iter().enumerate() {
                state.emit(json!({
                    "name": "CommandExecutionStateChangedEvent", "execId": id,
                    "deviceURL": device_url, "newState": command_state, "rank": rank,
                }));
            }
        }
    }
    tokio::time::sleep(step).await;
    // Held executions stay at IN_PROGRESS until released.
    while shared.upgrade().is_some_and(|shared| shared.state().hold) {
        tokio::time::sleep(step).await;
    }
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let mut state = shared.state();
    let Some(execution) = state.current.iter().find(|e| e.id == id) else {
        return;
    };
    let actions = execution.actions.clone();
    let failure = execution.failure.clone();
    for (rank, (device_url, command, parameters)) in commands_of(&actions).into_iter().enumerate() {
        let mut event = json!({
            "name": "CommandExecutionStateChangedEvent", "execId": id,
            "deviceURL": device_url, "newState": "COMPLETED", "rank": rank,
        });
        match &failure {
            None => {
                state.report_states(&device_url, &effect(&command, &parameters));
            }
            Some(failure) => {
                event["newState"] = Value::from("FAILED");
                event["failureType"] = Value::from(failure.as_str());
            }
        }
        state.emit(event);
    }
    match &failure {
        None => state.finish(&id, "COMPLETED", None),
        Some(failure) => state.finish(&id, "FAILED", Some(failure)),
    }
}

impl State {
    /// Ends execution `id` in `state`, recording it in the history.
    pub(crate) fn finish(&mut self, id: &str, state: &'static str, failure_type: Option<&str>) {
        let Some(index) = self.current.iter().position(|e| e.id == id) else {
            return;
        };
        let execution = self.current.remove(index);
        let mut event = json!({
            "name": "ExecutionStateChangedEvent",
            "execId": id,
            "oldState": execution.state,
            "newState": state,
            "ownerKey": self.setup_oid(),
            "type": 1,
            "subType": 1,
            "timeToNextState": -1,
        });
        if let Some(failure) = failure_type {
            event["failureType"] = Value::from(failure);
            let failed: Vec<Value> = commands_of(&execution.actions)
                .into_iter()
                .enumerate()
                .map(|(rank, (device_url, _, _))| {
                    json!({"deviceURL": device_url, "rank": rank, "failureType": failure})
                })
                .collect();
            event["failedCommands"] = Value::Array(failed);
        }
        self.emit(event);
        let entry = crate::history::entry(&execution, state, failure_type);
        self.history.insert(0, entry);
    }

    /// An execution as `GET /exec/current` shows it.
    fn execution_json(&self, execution: &Execution) -> Value {
        let mut value = spec::example_of("GET", "/exec/current/{execId}").unwrap_or(json!({}));
        value["id"] = Value::from(execution.id.clone());
        value["state"] = Value::from(execution.state);
        value["owner"] = Value::from(execution.owner.clone());
        value["startTime"] = Value::from(execution.start_time);
        value["executionType"] = Value::from(execution.execution_type);
        value["executionSubType"] = Value::from("MANUAL_CONTROL");
        // As in `tests/fixtures/exec/current-single.json`.
        value["description"] = Value::from(format!("Execution : {}", execution.label));
        value["actionGroup"] = execution.group.clone();
        value
    }
}

/// `(deviceURL, command name, parameters)` of every command of `actions`.
pub(crate) fn commands_of(actions: &Value) -> Vec<(String, String, Vec<Value>)> {
    let mut commands = Vec::new();
    for action in actions.as_array().into_iter().flatten() {
        let device_url = action["deviceURL"].as_str().unwrap_or_default();
        for command in action["commands"].as_array().into_iter().flatten() {
            let parameters = command["parameters"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|p| p.get("value").cloned().unwrap_or_else(|| p.clone()))
                .collect();
            commands.push((
                device_url.to_owned(),
                command["name"].as_str().unwrap_or_default().to_owned(),
                parameters,
            ));
        }
    }
    commands
}

/// `POST /exec/apply` and its variants: runs the posted action group.
pub(crate) fn apply(shared: &Arc<Shared>, state: &mut State, body: &[u8], user: String) -> Answer {
    let Ok(group) = serde_json::from_slice::<Value>(body) else {
        return Answer::error(400, "UNSPECIFIED_ERROR", "Invalid JSON body");
    };
    launched(start_execution(
        shared,
        state,
        Launch {
            group,
            oid: None,
            owner: user,
            execution_type: IMMEDIATE,
        },
    ))
}

/// `POST /exec/{actionGroupOID}` and its variants: runs the stored action group `oid`.
pub(crate) fn run_stored(
    shared: &Arc<Shared>,
    state: &mut State,
    oid: &str,
    user: String,
) -> Answer {
    let Some(group) = state.action_group(oid).cloned() else {
        return no_such_action_group(oid);
    };
    launched(start_execution(
        shared,
        state,
        Launch {
            group,
            oid: Some(oid.to_owned()),
            owner: user,
            execution_type: IMMEDIATE,
        },
    ))
}

/// `{"execId": ...}`, or the reason the execution did not start.
fn launched(started: Result<String, Answer>) -> Answer {
    match started {
        Ok(id) => Answer::json(200, &json!({"execId": id})),
        Err(answer) => answer,
    }
}

/// `GET /exec/current`.
pub(crate) fn current(state: &State) -> Answer {
    let all: Vec<Value> = state
        .current
        .iter()
        .map(|e| state.execution_json(e))
        .collect();
    Answer::json(200, &Value::Array(all))
}

/// `GET /exec/current/{execId}`: `{}` when it is not running.
pub(crate) fn current_one(state: &State, exec_id: &str) -> Answer {
    match state.current.iter().find(|e| e.id == exec_id) {
        Some(execution) => Answer::json(200, &state.execution_json(execution)),
        None => Answer::json(200, &json!({})),
    }
}

/// `DELETE /exec/current/{execId}` and `DELETE /exec/current/setup/{execId}`: the
/// execution fails with `CMDCANCELLED`; `status` is the documented one.
pub(crate) fn cancel(state: &mut State, exec_id: &str, status: u16) -> Answer {
    if state.current.iter().any(|e| e.id == exec_id) {
        state.finish(exec_id, "FAILED", Some("CMDCANCELLED"));
        Answer::empty(status)
    } else {
        no_corresponding_exec_id(exec_id)
    }
}

/// `DELETE /exec/current` and `DELETE /exec/current/setup`: every running execution
/// fails with `CMDCANCELLED`.
pub(crate) fn cancel_all(state: &mut State, status: u16) -> Answer {
    let ids: Vec<String> = state.current.iter().map(|e| e.id.clone()).collect();
    for id in ids {
        state.finish(&id, "FAILED", Some("CMDCANCELLED"));
    }
    Answer::empty(status)
}
