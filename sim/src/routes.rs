//! The cloud API's routes: authentication and the documentation's checks of every
//! call, then the handler of each operation answered from the state
//! ([`STATEFUL_OPERATIONS`]); every other documented operation answers its
//! documented example.

use std::sync::Arc;

use crate::answer::{Answer, Call};
use crate::errors::session_and_bearer;
use crate::errors::{missing_parameter, no_such_controllable, no_such_path, no_such_resource};
use crate::shared::Shared;
use crate::state::State;
use crate::{action_groups, executions, history, listeners, local_tokens, sessions, spec};

/// The operations answered from the simulator's state (`"METHOD /path/template"`),
/// sorted; every other documented operation answers its documented example.
pub const STATEFUL_OPERATIONS: &[&str] = &[
    "DELETE /actionGroups/{oid}",
    "DELETE /config/{gatewayId}/local/tokens/{uuid}",
    "DELETE /exec/current",
    "DELETE /exec/current/setup",
    "DELETE /exec/current/setup/{execId}",
    "DELETE /exec/current/{execId}",
    "DELETE /exec/delayedTriggerSchedule/{triggerId}",
    "GET /actionGroups",
    "GET /actionGroups/{oid}",
    "GET /config/{gatewayId}/local/tokens/generate",
    "GET /config/{gatewayId}/local/tokens/{scope}",
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
    "GET /setup/gateways/{gatewayId}",
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
        return sessions::login(shared, &call);
    }
    // An undocumented path is `No such resource` whether or not the call is
    // authenticated: whether the real server checks authentication first is not
    // known.
    let Some((op, params)) = call.route.clone() else {
        return no_such_path();
    };
    // The cloud refuses a session cookie and a bearer token together; the local API
    // ignores cookies.
    if !call.local && call.cookie.is_some() && call.bearer.is_some() {
        return session_and_bearer();
    }
    let mut state = shared.state();
    let caller = match sessions::authenticate(&mut state, &call, config.session_ttl) {
        Ok(caller) => caller,
        Err(refused) => return refused,
    };
    state.purge_listeners(config.listener_ttl);
    if let Some(refused) = shared.limits.check(config.rate_limits, op, &caller.owner) {
        return refused;
    }
    if let Some(problem) = spec::invalid_request(op, &call.query, &call.body) {
        // The cloud's wording for these is not captured: the gateway's is used.
        return missing_parameter(&problem);
    }
    let param = |i: usize| params.get(i).map(String::as_str).unwrap_or_default();
    let state = &mut *state;
    match (call.method.as_str(), op.path.as_str()) {
        ("POST", "/logout") => sessions::logout(shared, state, &caller),
        ("GET", "/setup") => Answer::json(200, &state.setup),
        ("GET", "/setup/devices") => Answer::json(200, &state.setup["devices"]),
        ("GET", "/setup/gateways") => Answer::json(200, &state.setup["gateways"]),
        ("GET", "/setup/gateways/{gatewayId}") => state.gateway_answer(param(0)),
        ("GET", "/setup/devices/{deviceURL}") => device(state, param(0), DevicePart::Whole),
        ("GET", "/setup/devices/{deviceURL}/states") => device(state, param(0), DevicePart::States),
        ("GET", "/setup/devices/{deviceURL}/states/{name}") => {
            device(state, param(0), DevicePart::State(param(1)))
        }
        ("POST", "/events/register") => listeners::register(state, caller.owner),
        ("POST", "/events/{listenerId}/fetch") => {
            listeners::fetch(state, param(0), &caller.owner, config.event_form)
        }
        ("POST", "/events/{listenerId}/unregister") => {
            listeners::unregister(state, param(0), &caller.owner)
        }
        ("POST", "/exec/apply")
        | ("POST", "/exec/apply/highPriority")
        | ("POST", "/exec/apply/geolocated")
        | ("POST", "/exec/apply/internal") => {
            executions::apply(shared, state, &call.body, caller.user)
        }
        ("POST", "/exec/{actionGroupOID}")
        | ("POST", "/exec/{actionGroupOID}/geolocated")
        | ("POST", "/exec/{actionGroupOID}/internal") => {
            executions::run_stored(shared, state, param(0), caller.user)
        }
        ("GET", "/actionGroups") => action_groups::list(state),
        ("GET", "/actionGroups/{oid}") => action_groups::one(state, param(0)),
        ("POST", "/actionGroups") => action_groups::create(state, &call.body),
        ("PUT", "/actionGroups") => action_groups::update(state, &call.body),
        ("DELETE", "/actionGroups/{oid}") => action_groups::delete(state, param(0)),
        ("POST", "/exec/schedule/{actionGroupOID}/{utcTimestamp}") => {
            action_groups::schedule(shared, state, param(0), param(1), caller.user)
        }
        ("GET", "/exec/schedule") => action_groups::scheduled(state, None),
        ("GET", "/exec/schedule/{actionGroupOID}") => {
            action_groups::scheduled(state, Some(param(0)))
        }
        ("GET", "/exec/delayedTriggerSchedule") => action_groups::scheduled(state, None),
        ("GET", "/exec/delayedTriggerSchedule/{triggerId}") => {
            action_groups::scheduled_one(state, param(0))
        }
        ("DELETE", "/exec/delayedTriggerSchedule/{triggerId}") => {
            action_groups::cancel_scheduled(state, param(0))
        }
        ("GET", "/exec/current") => executions::current(state),
        ("GET", "/exec/current/{execId}") => executions::current_one(state, param(0)),
        ("DELETE", "/exec/current/setup/{execId}") | ("DELETE", "/exec/current/{execId}") => {
            executions::cancel(state, param(0), op.status)
        }
        ("DELETE", "/exec/current/setup") | ("DELETE", "/exec/current") => {
            executions::cancel_all(state, op.status)
        }
        ("GET", "/history/executions") => history::list(state),
        ("GET", "/history/executions/{execId}") => history::one(state, param(0)),
        ("GET", "/config/{gatewayId}/local/tokens/generate") => local_tokens::generate(state),
        ("POST", "/config/{gatewayId}/local/tokens") => {
            local_tokens::activate(state, param(0), &call.body)
        }
        ("GET", "/config/{gatewayId}/local/tokens/{scope}") => {
            local_tokens::list(state, param(0), param(1))
        }
        ("DELETE", "/config/{gatewayId}/local/tokens/{uuid}") => {
            local_tokens::delete(state, param(0), param(1), op.status)
        }
        _ => {
            *documented = true;
            documented_answer(op)
        }
    }
}

/// What of a device `GET /setup/devices/{deviceURL}...` reads.
enum DevicePart<'a> {
    /// The device (`/setup/devices/{deviceURL}`).
    Whole,
    /// Its states (`.../states`).
    States,
    /// One state (`.../states/{name}`).
    State(&'a str),
}

/// `GET /setup/devices/{deviceURL}`, its `/states` or one of them.
fn device(state: &State, device_url: &str, part: DevicePart) -> Answer {
    let device = state.device(device_url);
    let found = match (device, part) {
        (None, DevicePart::State(_)) => None,
        (None, _) => return no_such_controllable(device_url),
        (Some(device), DevicePart::Whole) => Some(device),
        (Some(device), DevicePart::States) => Some(&device["states"]),
        (Some(device), DevicePart::State(name)) => device["states"]
            .as_array()
            .and_then(|states| states.iter().find(|s| s["name"].as_str() == Some(name))),
    };
    match found {
        Some(found) => Answer::json(200, found),
        None => no_such_resource(),
    }
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
