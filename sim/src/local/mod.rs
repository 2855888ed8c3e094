//! The local API mode ([`Simulator::start_local`]): a gateway's Developer Mode API.
//!
//! A real gateway (`https://gateway-<pin>.local:8443`) serves a subset of the End-User
//! API, [`LOCAL_OPERATIONS`] (the operations of its own OpenAPI description,
//! `tests/fixtures/local-api/openapi.yaml`), under [`LOCAL_API_PREFIX`](crate::LOCAL_API_PREFIX). In this mode
//! the simulator does the same:
//!
//! - **TLS** with a certificate named `<pin>.local` only (no IP address, no other
//!   name), signed by a CA generated at start: trust it with
//!   [`Simulator::gateway_ca_pem`] (e.g. `overkiz::ClientBuilder::add_gateway_root_certificate`)
//!   and connect by address with `overkiz::Server::local_at(pin, "127.0.0.1:PORT")`.
//! - **Bearer tokens only** (`Authorization: Bearer`), added with
//!   [`Simulator::add_token`] or `POST /_sim/tokens/{token}`; no `/login`, cookies are
//!   ignored. `GET /apiVersion` needs no token.
//! - **The gateway's error answers** (the wording of `tests/fixtures/errors/local/`):
//!
//! | case | answer |
//! |---|---|
//! | no `Authorization: Bearer` | 401 `RESOURCE_ACCESS_DENIED` `Missing authorization token.` |
//! | unknown token | 401 `RESOURCE_ACCESS_DENIED` `Not authenticated.` |
//! | any operation outside [`LOCAL_OPERATIONS`], any other path (the cloud API's included) | 400 `UNSPECIFIED_ERROR` `Unknown object.` |
//! | unknown device | 400 `NO_SUCH_DEVICE` `No such device : "<deviceURL>"` |
//! | unknown state of a known device | 400 `UNSPECIFIED_ERROR` `Unknown object.` |
//! | `POST /exec/apply` without actions, a `deviceURL` or command names | 400 `MISSING_PARAMETERS` `Malformed "Malformed action group". (missing parameter)` |
//! | fetch with a listener id that is not a UUID | 400 `MISSING_PARAMETERS` `Malformed "Malformed fetch id.". (missing parameter)` |
//! | fetch or unregister of an unknown (or expired) listener | 400 `UNSPECIFIED_ERROR` `"No registered event listener."` |
//! | `GET /exec/current/{executionId}` of an execution not running | `UNSPECIFIED_ERROR` `"No corresponding execId <id>"` (status 200: the fixture's 204 cannot carry a body) |
//!
//! Everything else behaves as in cloud mode (executions, events, listeners, faults,
//! the [`control`](crate::control) API), except: `GET /setup` carries only `gateways`
//! and `devices` (as local setups do), `GET /setup/devices/controllables/{name}`
//! lists the URLs of the devices of that controllable, and the cancellations answer
//! 200 `{}` (the local OpenAPI's object).
//!
//! Not simulated: state values typed in events (the simulator's events carry strings,
//! like the cloud's), the refusal of a second action on a busy device
//! (`DUPLICATE_FIELD_OR_VALUE`), the gateway's own execution limits.

use std::sync::Arc;

use serde_json::{json, Value};

pub(crate) mod errors;

use crate::answer::{Answer, Call};
use crate::errors::{malformed_action_group, no_corresponding_exec_id};
use crate::shared::Shared;
use crate::{routes, Simulator};
use errors::{
    localize, malformed_fetch_id, missing_token, no_such_device, not_authenticated, unknown_object,
};

/// The operations a gateway's local API serves: method and path template, as its
/// OpenAPI description (`tests/fixtures/local-api/openapi.yaml`) names them. Paths
/// are relative to [`LOCAL_API_PREFIX`](crate::LOCAL_API_PREFIX).
pub const LOCAL_OPERATIONS: &[(&str, &str)] = &[
    ("GET", "/apiVersion"),
    ("POST", "/events/register"),
    ("POST", "/events/{listenerId}/fetch"),
    ("POST", "/events/{listenerId}/unregister"),
    ("GET", "/setup"),
    ("GET", "/setup/gateways"),
    ("GET", "/setup/devices"),
    ("GET", "/setup/devices/{deviceURL}"),
    ("GET", "/setup/devices/{deviceURL}/states"),
    ("GET", "/setup/devices/{deviceURL}/states/{name}"),
    ("GET", "/setup/devices/controllables/{controllableName}"),
    ("POST", "/exec/apply"),
    ("GET", "/exec/current/{executionId}"),
    ("GET", "/exec/current"),
    ("DELETE", "/exec/current/setup"),
    ("DELETE", "/exec/current/setup/{executionId}"),
];

/// The protocol version answered by `GET /apiVersion` when the setup's first gateway
/// names none (`connectivity.protocolVersion`).
pub const DEFAULT_PROTOCOL_VERSION: &str = "2022.1.3-1";

/// What the local API mode knows besides the shared state.
#[derive(Debug)]
pub(crate) struct Gateway {
    pin: String,
}

impl Gateway {
    pub(crate) fn new(pin: &str) -> Gateway {
        Gateway {
            pin: pin.to_owned(),
        }
    }
}

impl Simulator {
    /// Starts a simulator of `setup` in local API mode on an ephemeral port of
    /// 127.0.0.1: the Developer Mode API of the gateway `pin` (`1234-5678-9012`), over
    /// TLS with a certificate named `<pin>.local` signed by a CA generated now
    /// ([`Simulator::gateway_ca_pem`]). See the [`local`](crate::local) module.
    ///
    /// Fails when `pin` is not made of letters, digits and inner dashes.
    pub async fn start_local(
        setup: Value,
        pin: &str,
        config: crate::Config,
    ) -> std::io::Result<Simulator> {
        Simulator::bind_local(
            std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
            setup,
            pin,
            config,
        )
        .await
    }

    /// Starts a simulator of `setup` in local API mode listening on `addr` (see
    /// [`Simulator::start_local`]).
    pub async fn bind_local(
        addr: std::net::SocketAddr,
        setup: Value,
        pin: &str,
        config: crate::Config,
    ) -> std::io::Result<Simulator> {
        Simulator::bind_as(addr, setup, config, Some(pin)).await
    }

    /// In local API mode, the PEM certificate of the CA that signed the gateway
    /// certificate (generated at start, different each time); `None` in cloud mode.
    pub fn gateway_ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// In local API mode, the gateway PIN its certificate names (`<pin>.local`);
    /// `None` in cloud mode.
    pub fn gateway_pin(&self) -> Option<&str> {
        self.shared.gateway.as_ref().map(|g| g.pin.as_str())
    }
}

/// The answer to a path outside [`LOCAL_API_PREFIX`](crate::LOCAL_API_PREFIX) (the cloud API's included).
pub(crate) fn outside_the_api() -> Answer {
    unknown_object()
}

/// `/a/{x}/b` → `/a/{}/b`: templates compared whatever their placeholders' names.
fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// True when the documented operation `method path` (the spec's template) is one of
/// [`LOCAL_OPERATIONS`].
pub(crate) fn is_local_operation(method: &str, path: &str) -> bool {
    let path = shape(path);
    LOCAL_OPERATIONS
        .iter()
        .any(|(m, p)| *m == method && shape(p) == path)
}

/// True for an id in the servers' UUID format (`8-4-4-4-12` hexadecimal digits).
fn is_uuid(id: &str) -> bool {
    let groups: Vec<&str> = id.split('-').collect();
    groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// True when `actions` is a non-empty list of actions each naming a device and
/// carrying named commands (what the gateway requires of an action group).
fn well_formed(actions: &Value) -> bool {
    actions.as_array().is_some_and(|actions| {
        !actions.is_empty()
            && actions.iter().all(|action| {
                action["deviceURL"].as_str().is_some_and(|u| !u.is_empty())
                    && action["commands"].as_array().is_some_and(|commands| {
                        !commands.is_empty()
                            && commands.iter().all(|c| c["name"].as_str().is_some())
                    })
            })
    })
}

fn devices(setup: &Value) -> &[Value] {
    setup["devices"].as_array().map_or(&[], Vec::as_slice)
}

fn device<'a>(setup: &'a Value, device_url: &str) -> Option<&'a Value> {
    devices(setup)
        .iter()
        .find(|d| d["deviceURL"].as_str() == Some(device_url))
}

/// Answers a call in local API mode; `call.local` is false for a path outside
/// [`LOCAL_API_PREFIX`](crate::LOCAL_API_PREFIX). `documented` is set when the
/// answer is the documented example.
pub(crate) fn answer(shared: &Arc<Shared>, call: Call, documented: &mut bool) -> Answer {
    if !call.local {
        return outside_the_api();
    }
    let route = call
        .route
        .clone()
        .filter(|(op, _)| is_local_operation(&op.method, &op.path));
    if let Some((op, _)) = &route {
        if op.method == "GET" && op.path == "/apiVersion" {
            // The only call without a token.
            let state = shared.state();
            let version = state.setup["gateways"][0]["connectivity"]["protocolVersion"]
                .as_str()
                .unwrap_or(DEFAULT_PROTOCOL_VERSION);
            return Answer::json(200, &json!({"protocolVersion": version}));
        }
    }
    match &call.bearer {
        None => return missing_token(),
        Some(token) if !shared.state().tokens.contains(token) => return not_authenticated(),
        Some(_) => {}
    }
    let Some((op, params)) = route else {
        return unknown_object();
    };
    let param = |i: usize| params.get(i).map(String::as_str).unwrap_or_default();
    {
        let state = shared.state();
        let setup = &state.setup;
        match (op.method.as_str(), shape(&op.path).as_str()) {
            ("GET", "/setup") => {
                return Answer::json(
                    200,
                    &json!({"gateways": setup["gateways"], "devices": setup["devices"]}),
                )
            }
            ("GET", "/setup/devices/controllables/{}") => {
                let urls: Vec<&Value> = devices(setup)
                    .iter()
                    .filter(|d| d["controllableName"].as_str() == Some(param(0)))
                    .map(|d| &d["deviceURL"])
                    .collect();
                return Answer::json(200, &json!(urls));
            }
            ("GET", "/setup/devices/{}/states/{}") => {
                let Some(device) = device(setup, param(0)) else {
                    return no_such_device(param(0));
                };
                let found = device["states"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|s| s["name"].as_str() == Some(param(1)));
                return match found {
                    Some(found) => Answer::json(200, found),
                    None => unknown_object(),
                };
            }
            ("GET", "/setup/devices/{}") | ("GET", "/setup/devices/{}/states")
                if device(setup, param(0)).is_none() =>
            {
                return no_such_device(param(0));
            }
            ("POST", "/exec/apply") => {
                let body = serde_json::from_slice::<Value>(&call.body).unwrap_or_default();
                if !well_formed(&body["actions"]) {
                    return malformed_action_group();
                }
                let unknown = devices_of(&body["actions"]).find(|url| device(setup, url).is_none());
                if let Some(url) = unknown {
                    return no_such_device(url);
                }
            }
            ("POST", "/events/{}/fetch") if !is_uuid(param(0)) => return malformed_fetch_id(),
            ("GET", "/exec/current/{}") if !state.current.iter().any(|e| e.id == param(0)) => {
                return no_corresponding_exec_id(param(0));
            }
            _ => {}
        }
    }
    let cancel = op.method == "DELETE";
    let answer = routes::answer(shared, call, documented);
    if cancel && answer.status == 204 {
        // The local OpenAPI documents 200 with an object.
        return Answer::json(200, &json!({}));
    }
    localize(answer)
}

/// The `deviceURL`s of a well-formed action group's actions.
fn devices_of(actions: &Value) -> impl Iterator<Item = &str> {
    actions
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|action| action["deviceURL"].as_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec;

    /// The `(method, path)` pairs of the local OpenAPI file: paths are the lines
    /// `  /...:` under `paths:`, methods the lines `    get:` etc. below them.
    fn openapi_operations() -> Vec<(String, String)> {
        let text = include_str!("../../../tests/fixtures/local-api/openapi.yaml");
        let mut operations = Vec::new();
        let mut in_paths = false;
        let mut path = None;
        for line in text.lines() {
            if !line.starts_with(' ') && !line.trim().is_empty() {
                in_paths = line.trim_end() == "paths:";
                path = None;
                continue;
            }
            if !in_paths {
                continue;
            }
            if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
                path = Some(format!("/{p}"));
            } else if let Some(method) = line
                .strip_prefix("    ")
                .filter(|l| !l.starts_with(' '))
                .and_then(|l| l.trim_end().strip_suffix(':'))
            {
                if ["get", "post", "put", "delete", "patch"].contains(&method) {
                    let path = path.clone().expect("a method under a path");
                    operations.push((method.to_ascii_uppercase(), path));
                }
            }
        }
        operations.sort();
        operations
    }

    #[test]
    fn the_local_operations_are_the_local_openapis() {
        let mut ours: Vec<(String, String)> = LOCAL_OPERATIONS
            .iter()
            .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
            .collect();
        ours.sort();
        let theirs = openapi_operations();
        assert_eq!(theirs.len(), 16, "{theirs:?}");
        assert_eq!(ours, theirs);
    }

    #[test]
    fn every_local_operation_is_documented_and_routed_to_itself() {
        for (method, path) in LOCAL_OPERATIONS {
            let concrete = path.replace('{', "x").replace('}', "");
            let (op, _) = spec::route(method, &concrete)
                .unwrap_or_else(|| panic!("{method} {path} is not in the spec"));
            assert_eq!(shape(&op.path), shape(path), "{method} {path}");
            assert!(is_local_operation(&op.method, &op.path));
        }
        let cloud_only = [
            ("GET", "/actionGroups"),
            ("POST", "/login"),
            ("DELETE", "/exec/current/{execId}"),
            ("GET", "/history/executions/{execId}"),
        ];
        for (method, path) in cloud_only {
            assert!(!is_local_operation(method, path), "{method} {path}");
        }
    }

    #[test]
    fn uuids() {
        assert!(is_uuid("c6f83624-ac10-3e01-653e-2b025fee956d"));
        assert!(!is_uuid("no-such-listener"));
        assert!(!is_uuid("c6f83624-ac10-3e01-653e-2b025fee956"));
        assert!(!is_uuid("g6f83624-ac10-3e01-653e-2b025fee956d"));
    }

    #[test]
    fn action_groups_must_name_devices_and_commands() {
        assert!(well_formed(
            &json!([{"deviceURL": "io://1/2", "commands": [{"name": "open"}]}])
        ));
        assert!(!well_formed(&json!([])));
        assert!(!well_formed(&Value::Null));
        assert!(!well_formed(&json!([{"commands": [{"name": "open"}]}])));
        assert!(!well_formed(
            &json!([{"deviceURL": "io://1/2", "commands": []}])
        ));
        assert!(!well_formed(
            &json!([{"deviceURL": "io://1/2", "commands": [{"parameters": []}]}])
        ));
    }
}
