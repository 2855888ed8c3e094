//! The execution history: the entry of a finished execution, as
//! `GET /history/executions` lists it, and the history's routes.

use serde_json::{json, Value};

use crate::answer::Answer;
use crate::errors::no_such_resource;
use crate::executions::{commands_of, Execution};
use crate::spec;
use crate::state::{now_ms, State};

/// The history entry of `execution`, ended now in `state` (with `failure_type` when
/// it failed).
pub(crate) fn entry(execution: &Execution, state: &str, failure_type: Option<&str>) -> Value {
    let end = now_ms();
    let mut commands = Vec::new();
    for (rank, (device_url, command, parameters)) in
        commands_of(&execution.actions).into_iter().enumerate()
    {
        commands.push(json!({
            "deviceURL": device_url,
            "command": command,
            "parameters": parameters.iter().map(|p| match p {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            }).collect::<Vec<_>>(),
            "rank": rank,
            "dynamic": false,
            "delay": 0,
            "state": state,
            "failureType": failure_type.unwrap_or("NO_FAILURE"),
        }));
    }
    let mut entry = spec::example_of("GET", "/history/executions/{execId}")
        .map(|e| e["execution"].clone())
        .unwrap_or(json!({}));
    for (key, value) in [
        ("id", Value::from(execution.id.clone())),
        ("label", Value::from(execution.label.clone())),
        ("state", Value::from(state)),
        ("owner", Value::from(execution.owner.clone())),
        ("eventTime", Value::from(execution.start_time)),
        ("effectiveStartTime", Value::from(execution.start_time)),
        ("endTime", Value::from(end)),
        (
            "duration",
            Value::from(end.saturating_sub(execution.start_time)),
        ),
        ("executionType", Value::from(execution.execution_type)),
        ("executionSubType", Value::from("MANUAL_CONTROL")),
        (
            "type",
            Value::from(format!("{} - MANUAL_CONTROL", execution.execution_type)),
        ),
        (
            "actionGroupOID",
            execution.oid.clone().map_or(Value::Null, Value::from),
        ),
        (
            "actionGroupMetadata",
            execution
                .group
                .get("metadata")
                .cloned()
                .unwrap_or(Value::Null),
        ),
        (
            "failureType",
            Value::from(failure_type.unwrap_or("NO_FAILURE")),
        ),
        ("commands", Value::Array(commands)),
    ] {
        match (value, entry.as_object_mut()) {
            (Value::Null, Some(entry)) => {
                entry.remove(key);
            }
            (value, _) => entry[key] = value,
        }
    }
    entry
}

/// `GET /history/executions`.
pub(crate) fn list(state: &State) -> Answer {
    Answer::json(200, &Value::Array(state.history.clone()))
}

/// `GET /history/executions/{execId}`.
pub(crate) fn one(state: &State, exec_id: &str) -> Answer {
    match state
        .history
        .iter()
        .find(|e| e["id"].as_str() == Some(exec_id))
    {
        Some(entry) => Answer::json(200, &json!({"execution": entry})),
        None => no_such_resource(),
    }
}
