//! The control API under [`CONTROL_PREFIX`](crate::CONTROL_PREFIX): the library's
//! fault and inspection methods over HTTP, for clients not written in Rust (or a
//! simulator started with the binary). Never subject to faults or to the API's
//! authentication.
//!
//! It answers loopback callers (`127.0.0.1`, `::1`) only, unless the simulator was
//! started with a [`Config::control_token`](crate::Config::control_token)
//! (`--control-token`): then a caller from elsewhere sends it as
//! `Authorization: Bearer <token>`. Others get 403. Counts (`next=N`) go up to
//! [`MAX_COUNT`]; more, or a count that is not a number, is refused with 400.
//!
//! | call | effect |
//! |---|---|
//! | `GET /_sim/faults` | the names of the faults: `rate-limit`, `maintenance`, `drop-connection`, `session-expired` and every [`ErrorFixture`] (`cloud/exec-queue-full`, `local/400-bus-error`, ...) |
//! | `POST /_sim/faults/{fault}?on=true\|false` | [`Simulator::set_fault`](crate::Simulator::set_fault) |
//! | `POST /_sim/faults/{fault}?next=N` | [`Simulator::fail_next`](crate::Simulator::fail_next) |
//! | `POST /_sim/faults/{fault}?next=N&operation=POST%20/exec/apply` | [`Simulator::fail_next_on`](crate::Simulator::fail_next_on) |
//! | `POST /_sim/latency?ms=N` | [`Simulator::set_latency`](crate::Simulator::set_latency) |
//! | `POST /_sim/sessions/expire` | [`Simulator::expire_sessions`](crate::Simulator::expire_sessions) |
//! | `POST /_sim/listeners/expire` | [`Simulator::expire_listeners`](crate::Simulator::expire_listeners) |
//! | `POST /_sim/tokens/{token}` | [`Simulator::add_token`](crate::Simulator::add_token) |
//! | `POST /_sim/devices/{deviceURL}/states` with `[{"name", "value"}]` | [`Simulator::set_device_state`](crate::Simulator::set_device_state) |
//! | `POST /_sim/devices` with a device's JSON | [`Simulator::add_device`](crate::Simulator::add_device) |
//! | `DELETE /_sim/devices/{deviceURL}` | [`Simulator::remove_device`](crate::Simulator::remove_device) |
//! | `POST /_sim/devices/{deviceURL}/label?label=...` | [`Simulator::rename_device`](crate::Simulator::rename_device) |
//! | `POST /_sim/gateways/{gatewayId}/down` | [`Simulator::take_gateway_down`](crate::Simulator::take_gateway_down) |
//! | `POST /_sim/gateways/{gatewayId}/alive` | [`Simulator::bring_gateway_back`](crate::Simulator::bring_gateway_back) |
//! | `GET /_sim/status` | sessions, listeners, running executions, history length, requests |

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

use serde_json::{json, Value};

use crate::answer::Answer;
use crate::faults::{operation_key, ErrorFixture, Fault};
use crate::shared::Shared;

/// The largest count the control API takes (`next=N`).
pub const MAX_COUNT: u64 = 10_000;

/// Whether a control call from `caller`, with `given` as its bearer token, is
/// answered: a loopback caller always, another one only with the configured `token`.
pub(crate) fn allowed(caller: IpAddr, token: Option<&str>, given: Option<&str>) -> bool {
    if caller.to_canonical().is_loopback() {
        return true;
    }
    match (token, given) {
        (Some(token), Some(given)) => same(token.as_bytes(), given.as_bytes()),
        _ => false,
    }
}

/// Equality that takes as long wherever the first difference is.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The answer to a caller [`allowed`] refuses.
pub(crate) fn refused() -> Answer {
    Answer::error(
        403,
        "RESOURCE_ACCESS_DENIED",
        "The control API answers loopback callers, or callers with the control token",
    )
}

fn bad(message: &str) -> Answer {
    Answer::error(400, "INVALID_API_CALL", message)
}

/// 204 when a setup change was made, else 400.
fn done(changed: bool) -> Answer {
    if changed {
        Answer::empty(204)
    } else {
        bad("no such device or gateway, or nothing to change")
    }
}

/// Answers a control call; `path` is relative to the control prefix.
pub(crate) fn answer(
    shared: &Shared,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> Answer {
    let query: HashMap<String, String> = form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let number = |name: &str| query.get(name).and_then(|v| v.parse::<u64>().ok());
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    let segments: Vec<&str> = segments.iter().map(String::as_str).collect();
    match (method, segments.as_slice()) {
        ("GET", ["faults"]) => {
            let mut names = vec![
                "rate-limit",
                "maintenance",
                "drop-connection",
                "session-expired",
            ];
            names.extend(ErrorFixture::ALL.iter().map(|f| f.name));
            Answer::json(200, &json!(names))
        }
        ("POST", ["faults", name @ ..]) => {
            let Some(fault) = Fault::named(&name.join("/")) else {
                return bad("unknown fault (GET /_sim/faults lists them)");
            };
            let operation = match query.get("operation").map(|op| operation_key(op)) {
                None => None,
                Some(Ok(op)) => Some(op),
                Some(Err(unknown)) => return bad(&unknown.to_string()),
            };
            if let Some(next) = query.get("next") {
                let times = match next.parse::<u64>() {
                    Ok(times) if times <= MAX_COUNT => times,
                    _ => return bad(&format!("next=N takes a count from 0 to {MAX_COUNT}")),
                };
                shared.faults.push_next(fault, times as usize, operation);
            } else if operation.is_some() {
                return bad("operation= goes with next=N");
            } else {
                shared
                    .faults
                    .set(fault, query.get("on").is_none_or(|on| on != "false"));
            }
            Answer::empty(204)
        }
        ("POST", ["latency"]) => {
            shared
                .faults
                .set_latency(Duration::from_millis(number("ms").unwrap_or(0)));
            Answer::empty(204)
        }
        ("POST", ["sessions", "expire"]) => {
            shared.state().expire_sessions();
            Answer::empty(204)
        }
        ("POST", ["listeners", "expire"]) => {
            shared.state().listeners.clear();
            Answer::empty(204)
        }
        ("POST", ["tokens", token]) => {
            shared.state().tokens.insert((*token).to_owned());
            Answer::empty(204)
        }
        ("POST", ["devices", device_url, "states"]) => {
            let Ok(Value::Array(states)) = serde_json::from_slice::<Value>(body) else {
                return bad("expected [{\"name\": ..., \"value\": ...}]");
            };
            let changes: Vec<(&str, Value)> = states
                .iter()
                .filter_map(|s| Some((s["name"].as_str()?, s["value"].clone())))
                .collect();
            if shared.state().report_states(device_url, &changes) {
                Answer::empty(204)
            } else {
                bad("no such device or state")
            }
        }
        ("POST", ["devices"]) => {
            let added = serde_json::from_slice::<Value>(body)
                .is_ok_and(|device| shared.state().add_device(device));
            if added {
                Answer::empty(204)
            } else {
                bad("expected a device's JSON with a new deviceURL")
            }
        }
        ("DELETE", ["devices", device_url]) => done(shared.state().remove_device(device_url)),
        ("POST", ["devices", device_url, "label"]) => match query.get("label") {
            Some(label) => done(shared.state().rename_device(device_url, label)),
            None => bad("label= is required"),
        },
        ("POST", ["gateways", gateway, "down"]) => {
            done(shared.state().set_gateway_alive(gateway, false))
        }
        ("POST", ["gateways", gateway, "alive"]) => {
            done(shared.state().set_gateway_alive(gateway, true))
        }
        ("GET", ["status"]) => {
            let state = shared.state();
            Answer::json(
                200,
                &json!({
                    "sessions": state.sessions.len(),
                    "listeners": state.listeners.len(),
                    "currentExecutions": state.current.iter().map(|e| e.id.clone()).collect::<Vec<_>>(),
                    "history": state.history.len(),
                    "requests": shared.requests.load(std::sync::atomic::Ordering::SeqCst),
                }),
            )
        }
        _ => Answer::error(404, "INVALID_API_CALL", "No such resource"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_callers_or_the_token_holder_are_answered() {
        let loopback: [IpAddr; 3] = [
            [127, 0, 0, 1].into(),
            std::net::Ipv6Addr::LOCALHOST.into(),
            "::ffff:127.0.0.1".parse().unwrap(),
        ];
        let remote: [IpAddr; 3] = [
            [192, 168, 1, 20].into(),
            [0, 0, 0, 0].into(),
            "2001:db8::1".parse().unwrap(),
        ];
        for caller in loopback {
            assert!(allowed(caller, None, None), "{caller}");
            assert!(allowed(caller, Some("t0ken"), None), "{caller}");
        }
        for caller in remote {
            assert!(!allowed(caller, None, None), "{caller}");
            assert!(!allowed(caller, None, Some("t0ken")), "{caller}");
            assert!(!allowed(caller, Some("t0ken"), None), "{caller}");
            assert!(!allowed(caller, Some("t0ken"), Some("t0ke")), "{caller}");
            assert!(!allowed(caller, Some("t0ken"), Some("t0keN")), "{caller}");
            assert!(allowed(caller, Some("t0ken"), Some("t0ken")), "{caller}");
        }
        assert_eq!(refused().status, 403);
    }
}
