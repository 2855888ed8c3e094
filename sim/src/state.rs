//! The stateful part: sessions, the setup, executions, listeners (action groups and
//! scheduled executions: [`crate::action_groups`]).

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Weak};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::action_groups::{self, Scheduled};
use crate::{spec, Answer, Call, Shared};

/// `executionType` of an execution launched by a call.
pub(crate) const IMMEDIATE: &str = "Immediate execution";
/// `executionType` of an execution launched by a schedule (`POST /exec/schedule/...`).
pub(crate) const DELAYED: &str = "Delayed execution";

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
    label: String,
    /// The action group's actions (`[{deviceURL, commands: [{name, parameters}]}]`).
    actions: Value,
    /// The action group, as `GET /exec/current` shows it.
    group: Value,
    /// The stored action group's oid, if it is one.
    oid: Option<String>,
    execution_type: &'static str,
    state: &'static str,
    /// The failure type it will end with, if it fails.
    failure: Option<String>,
    start_time: u64,
    owner: String,
}

/// An event listener.
pub(crate) struct Listener {
    /// The session (or token) that registered it.
    owner: String,
    events: Vec<Value>,
    last_fetch: Instant,
}

pub(crate) struct State {
    pub(crate) setup: Value,
    /// `JSESSIONID` → (user, last use).
    pub(crate) sessions: HashMap<String, (String, Instant)>,
    pub(crate) tokens: HashSet<String>,
    pub(crate) listeners: HashMap<String, Listener>,
    pub(crate) current: Vec<Execution>,
    pub(crate) history: Vec<Value>,
    /// Stored action groups, in creation order (`GET /actionGroups`).
    pub(crate) action_groups: Vec<Value>,
    /// Scheduled executions not run yet (`GET /exec/schedule`).
    pub(crate) schedules: Vec<Scheduled>,
    counter: u64,
    /// Failure types of the next executions to fail.
    pub(crate) failures: std::collections::VecDeque<String>,
    /// Executions wait at `IN_PROGRESS` while set.
    pub(crate) hold: bool,
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

impl State {
    /// The state of a simulator of `setup`; the setup's `actionGroups`, if any, become
    /// the stored action groups (and leave the setup, which does not list them).
    pub(crate) fn new(mut setup: Value) -> State {
        let groups = setup
            .as_object_mut()
            .and_then(|setup| setup.remove("actionGroups"));
        let mut state = State {
            setup,
            sessions: HashMap::new(),
            tokens: HashSet::new(),
            listeners: HashMap::new(),
            current: Vec::new(),
            history: Vec::new(),
            action_groups: Vec::new(),
            schedules: Vec::new(),
            counter: 0,
            failures: Default::default(),
            hold: false,
        };
        for group in groups
            .and_then(|g| g.as_array().cloned())
            .into_iter()
            .flatten()
        {
            state.store_action_group(group);
        }
        state
    }

    /// A fresh id in the server's format (`8-4-4-4-12` hexadecimal digits).
    pub(crate) fn new_id(&mut self) -> String {
        self.counter += 1;
        let n = self.counter;
        let t = now_ms();
        format!(
            "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
            (t & 0xffff_ffff) as u32,
            (t >> 32) as u16 ^ 0x5e1,
            0x4000 | (n >> 48) as u16 & 0x0fff,
            0x8000 | (n >> 32) as u16 & 0x3fff,
            n & 0xffff_ffff_ffff
        )
    }

    pub(crate) fn setup_oid(&self) -> Value {
        self.setup
            .get("oid")
            .or_else(|| self.setup.get("id"))
            .cloned()
            .unwrap_or(Value::from("00000000-0000-0000-0000-000000000000"))
    }

    pub(crate) fn expire_sessions(&mut self) {
        let sessions: Vec<String> = self.sessions.drain().map(|(id, _)| id).collect();
        self.listeners.retain(|_, l| {
            !l.owner
                .strip_prefix("session:")
                .is_some_and(|s| sessions.iter().any(|id| id == s))
        });
    }

    fn devices(&self) -> &[Value] {
        self.setup["devices"].as_array().map_or(&[], Vec::as_slice)
    }

    fn device(&self, device_url: &str) -> Option<&Value> {
        self.devices()
            .iter()
            .find(|d| d["deviceURL"].as_str() == Some(device_url))
    }

    /// The server's error for `actions` naming a device it does not know: a device of
    /// a gateway outside the setup makes the action group's setup unknown
    /// (`tests/fixtures/errors/cloud/action-group-setup-not-found.json`); an unknown
    /// device of a known gateway is `No such controllable`; a command the device's
    /// definition does not list is `No such command`
    /// (`tests/fixtures/errors/cloud/no-such-command.json`).
    pub(crate) fn check_devices(&self, actions: &Value) -> Result<(), Answer> {
        let gateways: Vec<&str> = self.setup["gateways"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|g| g["gatewayId"].as_str())
            .collect();
        for action in actions.as_array().into_iter().flatten() {
            let url = action["deviceURL"].as_str().unwrap_or_default();
            if let Some(device) = self.device(url) {
                check_commands(device, &action["commands"])?;
                continue;
            }
            // `<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>]`
            let gateway = url
                .split_once("://")
                .and_then(|(_, rest)| rest.split('/').next())
                .filter(|g| !g.is_empty());
            return Err(match gateway {
                Some(gateway) if !gateways.is_empty() && !gateways.contains(&gateway) => {
                    action_groups::setup_not_found(gateway)
                }
                _ => no_such_controllable(url),
            });
        }
        Ok(())
    }

    pub(crate) fn device_state(&self, device_url: &str, name: &str) -> Option<Value> {
        self.device(device_url)?["states"]
            .as_array()?
            .iter()
            .find(|s| s["name"].as_str() == Some(name))
            .map(|s| s["value"].clone())
    }

    /// Sets the states the device has among `changes`; returns the changed ones as
    /// an event's `deviceStates`.
    fn set_states(&mut self, device_url: &str, changes: &[(&str, Value)]) -> Vec<Value> {
        let mut changed = Vec::new();
        let Some(device) = self.setup["devices"].as_array_mut().and_then(|devices| {
            devices
                .iter_mut()
                .find(|d| d["deviceURL"].as_str() == Some(device_url))
        }) else {
            return changed;
        };
        let Some(states) = device["states"].as_array_mut() else {
            return changed;
        };
        for (name, value) in changes {
            if let Some(state) = states.iter_mut().find(|s| s["name"].as_str() == Some(name)) {
                state["value"] = value.clone();
                let text = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                changed.push(json!({"name": name, "type": state["type"].clone(), "value": text}));
            }
        }
        changed
    }

    /// Sets states of a device and emits their `DeviceStateChangedEvent`; false when
    /// none of them exists.
    pub(crate) fn report_states(&mut self, device_url: &str, changes: &[(&str, Value)]) -> bool {
        let changed = self.set_states(device_url, changes);
        if changed.is_empty() {
            return false;
        }
        self.emit(json!({
            "name": "DeviceStateChangedEvent", "deviceURL": device_url, "deviceStates": changed,
        }));
        true
    }

    /// Delivers `event` to every listener.
    pub(crate) fn emit(&mut self, mut event: Value) {
        event["timestamp"] = Value::from(now_ms());
        event["setupOID"] = self.setup_oid();
        for listener in self.listeners.values_mut() {
            listener.events.push(event.clone());
        }
    }

    /// Forgets the listeners not fetched for `ttl`.
    fn purge_listeners(&mut self, ttl: Duration) {
        let now = Instant::now();
        self.listeners
            .retain(|_, l| now.duration_since(l.last_fetch) < ttl);
    }

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

    /// Ends execution `id` in `state`, recording it in the history.
    fn finish(&mut self, id: &str, state: &'static str, failure_type: Option<&str>) {
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
            ("id", Value::from(id)),
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
        self.history.insert(0, entry);
    }
}

/// Refuses the first of `commands` that `device`'s definition does not list, as the
/// server does: 400 `UNSUPPORTED_OPERATION` `No such command : <name>`. A device
/// whose definition has no `commands` list at all (a hand-written setup) takes any.
fn check_commands(device: &Value, commands: &Value) -> Result<(), Answer> {
    let Some(known) = device["definition"]["commands"].as_array() else {
        return Ok(());
    };
    for command in commands.as_array().into_iter().flatten() {
        let name = command["name"].as_str().unwrap_or_default();
        if !known
            .iter()
            .any(|c| c["commandName"].as_str() == Some(name))
        {
            return Err(no_such_command(name));
        }
    }
    Ok(())
}

/// `tests/fixtures/errors/cloud/no-such-command.json`.
pub(crate) fn no_such_command(name: &str) -> Answer {
    Answer::error(
        400,
        "UNSUPPORTED_OPERATION",
        &format!("No such command : {name}"),
    )
}

/// `(deviceURL, command name, parameters)` of every command of `actions`.
fn commands_of(actions: &Value) -> Vec<(String, String, Vec<Value>)> {
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

fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn json_number(x: f64) -> Value {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        Value::from(x as i64)
    } else {
        Value::from(x)
    }
}

/// The state changes of a command with a known effect (only the states a device has
/// change).
fn effect(command: &str, parameters: &[Value]) -> Vec<(&'static str, Value)> {
    let closure = |c: f64| {
        vec![
            ("core:ClosureState", json_number(c)),
            ("core:TargetClosureState", json_number(c)),
            (
                "core:OpenClosedState",
                Value::from(if c >= 100.0 { "closed" } else { "open" }),
            ),
        ]
    };
    let deployment = |d: f64| vec![("core:DeploymentState", json_number(d))];
    let first = || number(parameters.first());
    match command {
        "open" => closure(0.0),
        "close" => closure(100.0),
        "setClosure" => first().map(closure).unwrap_or_default(),
        "deploy" => deployment(100.0),
        "undeploy" => deployment(0.0),
        "setDeployment" => first().map(deployment).unwrap_or_default(),
        "on" => vec![("core:OnOffState", Value::from("on"))],
        "off" => vec![("core:OnOffState", Value::from("off"))],
        "setIntensity" => first()
            .map(|i| {
                vec![
                    ("core:LightIntensityState", json_number(i)),
                    (
                        "core:OnOffState",
                        Value::from(if i > 0.0 { "on" } else { "off" }),
                    ),
                ]
            })
            .unwrap_or_default(),
        "setTargetTemperature" => first()
            .map(|t| vec![("core:TargetTemperatureState", json_number(t))])
            .unwrap_or_default(),
        _ => Vec::new(),
    }
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
    if state.current.len() >= EXEC_QUEUE_LIMIT {
        let gateway = state.setup["gateways"][0]["gatewayId"]
            .as_str()
            .unwrap_or("0000-0000-0000")
            .to_owned();
        return Err(Answer::error(
            400,
            "EXEC_QUEUE_FULL",
            &format!(
                "Execution queue is full on gateway: #{gateway} (soft limit: {EXEC_QUEUE_LIMIT})"
            ),
        ));
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

fn not_authenticated() -> Answer {
    Answer::error(401, "RESOURCE_ACCESS_DENIED", "Not authenticated")
}

fn no_such_resource() -> Answer {
    Answer::error(400, "INVALID_API_CALL", "No such resource")
}

fn invalid_listener(id: &str) -> Answer {
    Answer::error(
        400,
        "UNSPECIFIED_ERROR",
        &format!("Invalid event listener id : {id}"),
    )
}

/// Running executions a gateway accepts (the real servers' soft limit).
const EXEC_QUEUE_LIMIT: usize = 10;

/// Answers a call.
/// The operations answered from the simulator's state (`"METHOD /path/template"`),
/// sorted; every other documented operation answers its documented example.
pub const STATEFUL_OPERATIONS: &[&str] = &[
    "DELETE /actionGroups/{oid}",
    "DELETE /exec/current",
    "DELETE /exec/current/setup",
    "DELETE /exec/current/setup/{execId}",
    "DELETE /exec/current/{execId}",
    "DELETE /exec/delayedTriggerSchedule/{triggerId}",
    "GET /actionGroups",
    "GET /actionGroups/{oid}",
    "GET /config/{gatewayId}/local/tokens/generate",
    "GET /exec/current",
    "GET /exec/current/{execId}",
    "GET /exec/delayedTriggerSchedule",
    "GET /exec/delayedTriggerSchedule/{triggerId}",
    "GET /exec/schedule",
    "GET /exec/schedule/{actionGroupOID}",
    "GET /history/executions",
    "GET /history/executions/{execId}",
    "GET /setup",
    "GET /setup/devices",
    "GET /setup/devices/{deviceURL}",
    "GET /setup/devices/{deviceURL}/states",
    "GET /setup/devices/{deviceURL}/states/{name}",
    "GET /setup/gateways",
    "POST /actionGroups",
    "POST /config/{gatewayId}/local/tokens",
    "POST /events/register",
    "POST /events/{listenerId}/fetch",
    "POST /events/{listenerId}/unregister",
    "POST /exec/apply",
    "POST /exec/apply/geolocated",
    "POST /exec/apply/highPriority",
    "POST /exec/apply/internal",
    "POST /exec/schedule/{actionGroupOID}/{utcTimestamp}",
    "POST /exec/{actionGroupOID}",
    "POST /exec/{actionGroupOID}/geolocated",
    "POST /exec/{actionGroupOID}/internal",
    "POST /login",
    "POST /logout",
    "PUT /actionGroups",
];

/// Answers a call; `documented` is set when the answer is the documented example
/// rather than one from the state.
pub(crate) fn answer(shared: &Arc<Shared>, call: Call, documented: &mut bool) -> Answer {
    let config = &shared.config;
    if !call.local && call.method == "POST" && call.path.trim_end_matches('/') == "/login" {
        return login(shared, &call);
    }
    // An undocumented path is `No such resource` whether or not the call is
    // authenticated: whether the real server checks authentication first is not
    // known.
    let Some((op, params)) = call.route.clone() else {
        return Answer::error(404, "INVALID_API_CALL", "No such resource");
    };
    // The cloud refuses a session cookie and a bearer token together
    // (`tests/fixtures/errors/cloud/session-and-bearer.json`); the local API ignores
    // cookies.
    if !call.local && call.cookie.is_some() && call.bearer.is_some() {
        return Answer::error(
            400,
            "UNSPECIFIED_ERROR",
            "Cannot use JSESSIONID and bearer token in same request",
        );
    }
    let mut state = shared.state();
    // Authentication: a live session cookie or a known bearer token.
    let now = Instant::now();
    let ttl = config.session_ttl;
    state
        .sessions
        .retain(|_, (_, last)| now.duration_since(*last) < ttl);
    let sessions: Vec<String> = state.sessions.keys().cloned().collect();
    state
        .listeners
        .retain(|_, l| match l.owner.strip_prefix("session:") {
            Some(session) => sessions.iter().any(|s| s == session),
            None => true,
        });
    let owner = match (&call.cookie, &call.bearer) {
        (_, Some(token)) if state.tokens.contains(token) => format!("token:{token}"),
        (Some(id), _) if !call.local && state.sessions.contains_key(id) => {
            if let Some(session) = state.sessions.get_mut(id) {
                session.1 = now;
            }
            format!("session:{id}")
        }
        _ => return not_authenticated(),
    };
    let user = state
        .sessions
        .get(owner.trim_start_matches("session:"))
        .map_or_else(|| "token".to_owned(), |(user, _)| user.clone());
    state.purge_listeners(config.listener_ttl);
    if let Some(refused) = shared.limits.check(config.rate_limits, op, &owner) {
        return refused;
    }
    if let Some(problem) = spec::invalid_request(op, &call.query, &call.body) {
        // The cloud's wording for these is not captured: the gateway's is used.
        return Answer::error(
            400,
            "MISSING_PARAMETERS",
            &format!("Malformed \"{problem}\". (missing parameter)"),
        );
    }

    let param = |i: usize| params.get(i).map(String::as_str).unwrap_or_default();
    match (call.method.as_str(), op.path.as_str()) {
        ("POST", "/logout") => {
            if let Some(id) = owner.strip_prefix("session:") {
                state.sessions.remove(id);
                state.listeners.retain(|_, l| l.owner != owner);
                shared.limits.forget(&owner);
            }
            Answer::json(200, &json!({"logout": true}))
        }
        ("GET", "/setup") => Answer::json(200, &state.setup),
        ("GET", "/setup/devices") => Answer::json(200, &state.setup["devices"]),
        ("GET", "/setup/gateways") => Answer::json(200, &state.setup["gateways"]),
        ("GET", "/setup/devices/{deviceURL}") => match state.device(param(0)) {
            Some(device) => Answer::json(200, device),
            None => no_such_controllable(param(0)),
        },
        ("GET", "/setup/devices/{deviceURL}/states") => match state.device(param(0)) {
            Some(device) => Answer::json(200, &device["states"]),
            None => no_such_controllable(param(0)),
        },
        ("GET", "/setup/devices/{deviceURL}/states/{name}") => {
            let found = state.device(param(0)).and_then(|device| {
                device["states"]
                    .as_array()?
                    .iter()
                    .find(|s| s["name"].as_str() == Some(param(1)))
                    .cloned()
            });
            match found {
                Some(found) => Answer::json(200, &found),
                None => no_such_resource(),
            }
        }
        ("POST", "/events/register") => {
            let id = state.new_id();
            // A new listener replaces the session's other listeners.
            state.listeners.retain(|_, l| l.owner != owner);
            state.listeners.insert(
                id.clone(),
                Listener {
                    owner,
                    events: Vec::new(),
                    last_fetch: Instant::now(),
                },
            );
            Answer::json(200, &json!({"id": id}))
        }
        ("POST", "/events/{listenerId}/fetch") => {
            let events = match state.listeners.get_mut(param(0)) {
                Some(listener) if listener.owner == owner => {
                    listener.last_fetch = Instant::now();
                    std::mem::take(&mut listener.events)
                }
                _ => return invalid_listener(param(0)),
            };
            // The setup's site, or the setup itself (a setup of the previous form, as
            // every real one captured, names no site).
            let site = state
                .setup
                .get("siteOID")
                .cloned()
                .unwrap_or_else(|| state.setup_oid());
            let events = events
                .into_iter()
                .map(|event| crate::forms::write(event, config.event_form, &site))
                .collect();
            Answer::json(200, &Value::Array(events))
        }
        ("POST", "/events/{listenerId}/unregister") => match state.listeners.get(param(0)) {
            Some(listener) if listener.owner == owner => {
                state.listeners.remove(param(0));
                Answer::empty(200)
            }
            _ => invalid_listener(param(0)),
        },
        ("POST", "/exec/apply")
        | ("POST", "/exec/apply/highPriority")
        | ("POST", "/exec/apply/geolocated")
        | ("POST", "/exec/apply/internal") => {
            let Ok(group) = serde_json::from_slice::<Value>(&call.body) else {
                return Answer::error(400, "UNSPECIFIED_ERROR", "Invalid JSON body");
            };
            let launch = Launch {
                group,
                oid: None,
                owner: user,
                execution_type: IMMEDIATE,
            };
            match start_execution(shared, &mut state, launch) {
                Ok(id) => Answer::json(200, &json!({"execId": id})),
                Err(answer) => answer,
            }
        }
        ("POST", "/exec/{actionGroupOID}")
        | ("POST", "/exec/{actionGroupOID}/geolocated")
        | ("POST", "/exec/{actionGroupOID}/internal") => {
            let Some(group) = state.action_group(param(0)).cloned() else {
                return action_groups::no_such_action_group(param(0));
            };
            let launch = Launch {
                group,
                oid: Some(param(0).to_owned()),
                owner: user,
                execution_type: IMMEDIATE,
            };
            match start_execution(shared, &mut state, launch) {
                Ok(id) => Answer::json(200, &json!({"execId": id})),
                Err(answer) => answer,
            }
        }
        ("GET", "/actionGroups") => Answer::json(200, &Value::Array(state.action_groups.clone())),
        ("GET", "/actionGroups/{oid}") => match state.action_group(param(0)) {
            Some(group) => Answer::json(200, group),
            None => action_groups::no_such_action_group(param(0)),
        },
        ("POST", "/actionGroups") => action_groups::create(&mut state, &call.body),
        ("PUT", "/actionGroups") => action_groups::update(&mut state, &call.body),
        ("DELETE", "/actionGroups/{oid}") => action_groups::delete(&mut state, param(0)),
        ("POST", "/exec/schedule/{actionGroupOID}/{utcTimestamp}") => {
            action_groups::schedule(shared, &mut state, param(0), param(1), user)
        }
        ("GET", "/exec/schedule") => action_groups::scheduled(&state, None),
        ("GET", "/exec/schedule/{actionGroupOID}") => {
            action_groups::scheduled(&state, Some(param(0)))
        }
        ("GET", "/exec/delayedTriggerSchedule") => action_groups::scheduled(&state, None),
        ("GET", "/exec/delayedTriggerSchedule/{triggerId}") => {
            action_groups::scheduled_one(&state, param(0))
        }
        ("DELETE", "/exec/delayedTriggerSchedule/{triggerId}") => {
            action_groups::cancel_scheduled(&mut state, param(0))
        }
        ("GET", "/exec/current") => {
            let all: Vec<Value> = state
                .current
                .iter()
                .map(|e| state.execution_json(e))
                .collect();
            Answer::json(200, &Value::Array(all))
        }
        ("GET", "/exec/current/{execId}") => {
            match state.current.iter().find(|e| e.id == param(0)) {
                Some(execution) => Answer::json(200, &state.execution_json(execution)),
                None => Answer::json(200, &json!({})),
            }
        }
        ("DELETE", "/exec/current/setup/{execId}") | ("DELETE", "/exec/current/{execId}") => {
            if state.current.iter().any(|e| e.id == param(0)) {
                state.finish(param(0), "FAILED", Some("CMDCANCELLED"));
                Answer::empty(op.status)
            } else {
                no_corresponding_exec_id(param(0))
            }
        }
        ("DELETE", "/exec/current/setup") | ("DELETE", "/exec/current") => {
            let ids: Vec<String> = state.current.iter().map(|e| e.id.clone()).collect();
            for id in ids {
                state.finish(&id, "FAILED", Some("CMDCANCELLED"));
            }
            Answer::empty(op.status)
        }
        ("GET", "/history/executions") => Answer::json(200, &Value::Array(state.history.clone())),
        ("GET", "/history/executions/{execId}") => {
            match state
                .history
                .iter()
                .find(|e| e["id"].as_str() == Some(param(0)))
            {
                Some(entry) => Answer::json(200, &json!({"execution": entry})),
                None => no_such_resource(),
            }
        }
        ("GET", "/config/{gatewayId}/local/tokens/generate") => {
            let token = state.new_id().replace('-', "");
            Answer::json(200, &json!({"token": token}))
        }
        ("POST", "/config/{gatewayId}/local/tokens") => {
            // Activating a token: the simulator accepts it as a bearer token from now.
            let body = serde_json::from_slice::<Value>(&call.body).unwrap_or_default();
            let Some(token) = body["token"].as_str().filter(|t| !t.is_empty()) else {
                return Answer::error(400, "MISSING_PARAMETERS", "Missing token");
            };
            state.tokens.insert(token.to_owned());
            let request_id = state.new_id();
            Answer::json(200, &json!({"requestId": request_id}))
        }
        _ => {
            *documented = true;
            documented_answer(op)
        }
    }
}

/// Cancelling an execution that is not running. A gateway answers status 204 with
/// this body (`tests/fixtures/errors/local/204-no-corresponding-execId.json`); a 204
/// cannot carry a body in HTTP (hyper drops it), so the simulator keeps a success
/// status with the body: 200. What the cloud answers is not known.
fn no_corresponding_exec_id(exec_id: &str) -> Answer {
    Answer::json(
        200,
        &json!({
            "error": format!("\"No corresponding execId {exec_id}\""),
            "errorCode": "UNSPECIFIED_ERROR",
        }),
    )
}

pub(crate) fn no_such_controllable(device_url: &str) -> Answer {
    Answer::error(
        400,
        "NO_SUCH_RESSOURCE",
        &format!("No such controllable : {device_url}"),
    )
}

/// The documented answer of an operation without state.
fn documented_answer(op: &spec::Operation) -> Answer {
    match (&op.example, op.content_type.as_str()) {
        (_, "text/csv") => Answer {
            status: op.status,
            content_type: "text/csv",
            body: b"id;label;state\n".to_vec(),
            cookie: None,
        },
        (_, "text/html") => Answer {
            status: op.status,
            content_type: "text/html",
            body: b"<html><body></body></html>".to_vec(),
            cookie: None,
        },
        (Some(example), _) if op.status != 204 => Answer::json(op.status, example),
        _ => Answer::empty(op.status),
    }
}

/// `POST /login`: the form `userId`/`userPassword` opens a session.
fn login(shared: &Shared, call: &Call) -> Answer {
    let form: HashMap<String, String> = form_urlencoded::parse(&call.body).into_owned().collect();
    let user = form.get("userId").cloned().unwrap_or_default();
    let password = form.get("userPassword").cloned().unwrap_or_default();
    let accepted = match &shared.config.credentials {
        Some((expected_user, expected_password)) => {
            *expected_user == user && *expected_password == password
        }
        None => true,
    };
    if !accepted {
        return Answer::error(401, "AUTHENTICATION_ERROR", "Bad credentials");
    }
    let mut state = shared.state();
    let id = state.new_id().replace('-', "").to_uppercase();
    state.sessions.insert(id.clone(), (user, Instant::now()));
    let mut answer = Answer::json(
        200,
        &json!({"success": true, "roles": [{"name": "ENDUSER"}]}),
    );
    answer.cookie = Some(format!("JSESSIONID={id}; Path=/; HttpOnly"));
    answer
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_such_command_is_the_servers_answer() {
        let fixture = crate::ErrorFixture::named("cloud/no-such-command").unwrap();
        let answer = no_such_command("fakeCommand");
        assert_eq!(answer.status, fixture.status);
        let body: Value = serde_json::from_slice(&answer.body).unwrap();
        assert_eq!(body, serde_json::from_str::<Value>(fixture.body).unwrap());
    }

    #[test]
    fn known_commands_change_their_states() {
        assert_eq!(
            effect("setClosure", &[json!(30)]),
            [
                ("core:ClosureState", json!(30)),
                ("core:TargetClosureState", json!(30)),
                ("core:OpenClosedState", json!("open")),
            ]
        );
        assert_eq!(
            effect("close", &[])[2],
            ("core:OpenClosedState", json!("closed"))
        );
        assert_eq!(
            effect("setDeployment", &[json!("40")]),
            [("core:DeploymentState", json!(40))]
        );
        assert_eq!(
            effect("setIntensity", &[json!(0)]),
            [
                ("core:LightIntensityState", json!(0)),
                ("core:OnOffState", json!("off"))
            ]
        );
        assert_eq!(
            effect("setTargetTemperature", &[json!(19.5)]),
            [("core:TargetTemperatureState", json!(19.5))]
        );
        // Unknown commands and unusable parameters change nothing.
        assert!(effect("my", &[]).is_empty());
        assert!(effect("setClosure", &[json!("half")]).is_empty());
        assert!(effect("setClosure", &[]).is_empty());
    }
}
