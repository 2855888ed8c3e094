//! Stored action groups (scenarios) and their scheduled executions.
//!
//! `GET`/`POST`/`PUT /actionGroups`, `GET`/`DELETE /actionGroups/{oid}` keep the
//! groups; `POST /exec/{actionGroupOID}` (in [`crate::executions`]) runs one like
//! `POST /exec/apply`; `POST /exec/schedule/{actionGroupOID}/{utcTimestamp}` runs one
//! when its time comes, listed by `GET /exec/schedule` until then.

use std::sync::{Arc, Weak};
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::answer::Answer;
use crate::errors::{malformed_action_group as malformed, no_such_action_group, no_such_path};
use crate::executions::{start_execution, Launch, DELAYED};
use crate::shared::Shared;
use crate::state::{now_ms, State};
use crate::Simulator;

/// An execution scheduled by `POST /exec/schedule/{actionGroupOID}/{utcTimestamp}`.
pub(crate) struct Scheduled {
    trigger_id: String,
    oid: String,
    label: String,
    /// When it runs, in ms since the epoch.
    utc_time: u64,
    owner: String,
}

/// An action group body: a JSON object with at least one action, each naming a
/// device and carrying a list of commands.
fn parse_group(body: &[u8]) -> Option<Map<String, Value>> {
    let Ok(Value::Object(group)) = serde_json::from_slice::<Value>(body) else {
        return None;
    };
    let actions = group.get("actions")?.as_array()?;
    let well_formed = !actions.is_empty()
        && actions
            .iter()
            .all(|a| a["deviceURL"].is_string() && a["commands"].is_array());
    well_formed.then_some(group)
}

impl State {
    /// The stored action group `oid`.
    pub(crate) fn action_group(&self, oid: &str) -> Option<&Value> {
        self.action_groups
            .iter()
            .find(|g| g["oid"].as_str() == Some(oid))
    }

    /// Stores `group` (a JSON object) as it is, with its `oid` (a new one when it has
    /// none) and `creationTime`/`lastUpdateTime` (now when missing), replacing a
    /// group with the same oid. `None` when `group` is not an object.
    pub(crate) fn store_action_group(&mut self, mut group: Value) -> Option<String> {
        let object = group.as_object_mut()?;
        let oid = match object.get("oid").and_then(Value::as_str) {
            Some(oid) if !oid.is_empty() => oid.to_owned(),
            _ => self.new_id(),
        };
        object.insert("oid".into(), Value::from(oid.clone()));
        let now = Value::from(now_ms());
        for key in ["creationTime", "lastUpdateTime"] {
            object.entry(key).or_insert_with(|| now.clone());
        }
        match self
            .action_groups
            .iter_mut()
            .find(|g| g["oid"].as_str() == Some(&oid))
        {
            Some(stored) => *stored = group,
            None => self.action_groups.push(group),
        }
        Some(oid)
    }

    /// `ActionGroupCreatedEvent` or `ActionGroupUpdatedEvent` for group `oid`.
    fn emit_group_event(&mut self, name: &str, oid: &str) {
        let Some(group) = self.action_group(oid) else {
            return;
        };
        let event = json!({
            "name": name,
            "actionGroupOID": oid,
            "actionGroupLabel": group["label"].as_str().unwrap_or_default(),
            "metadata": group.get("metadata").cloned().unwrap_or(Value::Null),
            "actions": group["actions"].clone(),
        });
        self.emit(event);
    }
}

/// `GET /actionGroups`: the stored groups, in creation order.
pub(crate) fn list(state: &State) -> Answer {
    Answer::json(200, &Value::Array(state.action_groups.clone()))
}

/// `GET /actionGroups/{oid}`.
pub(crate) fn one(state: &State, oid: &str) -> Answer {
    match state.action_group(oid) {
        Some(group) => Answer::json(200, group),
        None => no_such_action_group(oid),
    }
}

/// `POST /actionGroups`: stores the posted group under a new oid (an oid in the body
/// is ignored); 201 `{"actionGroupOID": ...}`.
pub(crate) fn create(state: &mut State, body: &[u8]) -> Answer {
    let Some(mut group) = parse_group(body) else {
        return malformed();
    };
    if let Err(answer) = state.check_devices(&group["actions"]) {
        return answer;
    }
    for key in ["oid", "creationTime", "lastUpdateTime"] {
        group.remove(key);
    }
    let Some(oid) = state.store_action_group(Value::Object(group)) else {
        return malformed();
    };
    state.emit_group_event("ActionGroupCreatedEvent", &oid);
    Answer::json(201, &json!({"actionGroupOID": oid}))
}

/// `PUT /actionGroups`: replaces the group named by the body's `oid`; 200, no body.
pub(crate) fn update(state: &mut State, body: &[u8]) -> Answer {
    let Some(mut group) = parse_group(body) else {
        return malformed();
    };
    let Some(oid) = group.get("oid").and_then(Value::as_str).map(str::to_owned) else {
        return malformed();
    };
    let Some(old) = state.action_group(&oid) else {
        return no_such_action_group(&oid);
    };
    let created = old["creationTime"].clone();
    if let Err(answer) = state.check_devices(&group["actions"]) {
        return answer;
    }
    group.insert("creationTime".into(), created);
    group.insert("lastUpdateTime".into(), Value::from(now_ms()));
    state.store_action_group(Value::Object(group));
    state.emit_group_event("ActionGroupUpdatedEvent", &oid);
    Answer::empty(200)
}

/// `DELETE /actionGroups/{oid}`: forgets the group and its scheduled executions; 204.
pub(crate) fn delete(state: &mut State, oid: &str) -> Answer {
    let Some(index) = state
        .action_groups
        .iter()
        .position(|g| g["oid"].as_str() == Some(oid))
    else {
        return no_such_action_group(oid);
    };
    state.action_groups.remove(index);
    state.schedules.retain(|s| s.oid != oid);
    state.emit(json!({"name": "ActionGroupDeletedEvent", "actionGroupOID": oid}));
    Answer::empty(204)
}

/// A scheduled execution as `GET /exec/schedule` lists it.
fn scheduled_json(scheduled: &Scheduled) -> Value {
    json!({
        "actionGroupOID": scheduled.oid,
        "executionType": DELAYED,
        "executionSubType": "MANUAL_CONTROL",
        "label": scheduled.label,
        "randomTimeRange": 0,
        "triggerId": scheduled.trigger_id,
        "utcTime": scheduled.utc_time,
    })
}

/// `GET /exec/schedule` and `GET /exec/delayedTriggerSchedule` (every scheduled
/// execution) and `GET /exec/schedule/{actionGroupOID}` (those of one group), soonest
/// first.
pub(crate) fn scheduled(state: &State, oid: Option<&str>) -> Answer {
    Answer::json(200, &Value::Array(scheduled_list(state, oid)))
}

/// `GET /exec/delayedTriggerSchedule/{triggerId}`: one scheduled execution; an
/// unknown (or already run) trigger gets `No such resource` (the real answer is not
/// captured).
pub(crate) fn scheduled_one(state: &State, trigger_id: &str) -> Answer {
    match state.schedules.iter().find(|s| s.trigger_id == trigger_id) {
        Some(scheduled) => Answer::json(200, &scheduled_json(scheduled)),
        None => no_such_path(),
    }
}

/// `DELETE /exec/delayedTriggerSchedule/{triggerId}`: the execution will not run
/// (`DelayedTriggerCancelledEvent`); 204.
pub(crate) fn cancel_scheduled(state: &mut State, trigger_id: &str) -> Answer {
    let Some(index) = state
        .schedules
        .iter()
        .position(|s| s.trigger_id == trigger_id)
    else {
        return no_such_path();
    };
    state.schedules.remove(index);
    state.emit(json!({"name": "DelayedTriggerCancelledEvent", "triggerId": trigger_id}));
    Answer::empty(204)
}

fn scheduled_list(state: &State, oid: Option<&str>) -> Vec<Value> {
    let mut selected: Vec<&Scheduled> = state
        .schedules
        .iter()
        .filter(|s| oid.is_none_or(|oid| s.oid == oid))
        .collect();
    selected.sort_by_key(|s| s.utc_time);
    selected.into_iter().map(scheduled_json).collect()
}

/// `POST /exec/schedule/{actionGroupOID}/{utcTimestamp}` (milliseconds since the
/// epoch): records the execution (`DelayedTriggerSetEvent`) and runs the group at that
/// time (at once when it is past); 200 `{"triggerId": ...}`.
pub(crate) fn schedule(
    shared: &Arc<Shared>,
    state: &mut State,
    oid: &str,
    timestamp: &str,
    owner: String,
) -> Answer {
    let Some(group) = state.action_group(oid) else {
        return no_such_action_group(oid);
    };
    let label = group["label"].as_str().unwrap_or_default().to_owned();
    let Ok(utc_time) = timestamp.parse::<u64>() else {
        return Answer::error(
            400,
            "INVALID_PARAMETER",
            &format!("Bad parameters. (\"utcTimestamp\" : {timestamp})"),
        );
    };
    let trigger_id = state.new_id();
    state.schedules.push(Scheduled {
        trigger_id: trigger_id.clone(),
        oid: oid.to_owned(),
        label,
        utc_time,
        owner,
    });
    state.emit(json!({"name": "DelayedTriggerSetEvent", "triggerId": trigger_id}));
    let delay = Duration::from_millis(utc_time.saturating_sub(now_ms()));
    tokio::spawn(run_when_due(
        Arc::downgrade(shared),
        trigger_id.clone(),
        delay,
    ));
    Answer::json(200, &json!({"triggerId": trigger_id}))
}

/// Runs scheduled execution `trigger_id` after `delay`, unless its group was deleted
/// in the meantime (`GroupTriggeredEvent` once launched). When it cannot start (a
/// device left the setup, the queue is full), nothing runs and nothing is recorded.
async fn run_when_due(shared: Weak<Shared>, trigger_id: String, delay: Duration) {
    tokio::time::sleep(delay).await;
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let mut state = shared.state();
    let Some(index) = state
        .schedules
        .iter()
        .position(|s| s.trigger_id == trigger_id)
    else {
        return;
    };
    let scheduled = state.schedules.remove(index);
    let Some(group) = state.action_group(&scheduled.oid).cloned() else {
        return;
    };
    let launch = Launch {
        group,
        oid: Some(scheduled.oid.clone()),
        owner: scheduled.owner,
        execution_type: DELAYED,
    };
    if let Ok(exec_id) = start_execution(&shared, &mut state, launch) {
        state.emit(json!({
            "name": "GroupTriggeredEvent", "actionGroupOID": scheduled.oid,
            "execId": exec_id, "triggerId": trigger_id,
        }));
    }
}

impl Simulator {
    /// Stores an action group, as `GET /actionGroups` lists them (e.g. an item of
    /// `tests/fixtures/action_groups/*.json`), and returns its oid: the group's own
    /// `oid`, or a new one when it has none. A group with the same oid is replaced.
    /// Its devices are not checked (running it checks them, like the server). `None`
    /// when `group` is not a JSON object.
    pub fn add_action_group(&self, group: Value) -> Option<String> {
        self.shared.state().store_action_group(group)
    }

    /// The stored action groups, as `GET /actionGroups` answers them.
    pub fn action_groups(&self) -> Vec<Value> {
        self.shared.state().action_groups.clone()
    }

    /// The scheduled executions not run yet, as `GET /exec/schedule` answers them.
    pub fn scheduled_executions(&self) -> Vec<Value> {
        scheduled_list(&self.shared.state(), None)
    }
}
