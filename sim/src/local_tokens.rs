//! Local API tokens managed through the cloud (`/config/{gatewayId}/local/tokens`):
//! generated, activated (then accepted as bearer tokens, by the local API too),
//! listed by gateway and scope, and deleted (no longer accepted).

use serde_json::{json, Value};

use crate::answer::Answer;
use crate::errors::{missing_parameter, no_such_local_token};
use crate::state::{now_ms, State};

/// An activated local token.
pub(crate) struct LocalToken {
    uuid: String,
    /// The secret itself: never listed.
    token: String,
    label: String,
    scope: String,
    gateway_id: String,
    creation_time: u64,
}

/// `GET /config/{gatewayId}/local/tokens/generate`: a new token, to be activated.
pub(crate) fn generate(state: &mut State) -> Answer {
    let token = state.new_id().replace('-', "");
    Answer::json(200, &json!({"token": token}))
}

/// `POST /config/{gatewayId}/local/tokens` with `{label, scope, token}`: the token is
/// accepted as a bearer token from now on, and listed.
pub(crate) fn activate(state: &mut State, gateway_id: &str, body: &[u8]) -> Answer {
    let body = serde_json::from_slice::<Value>(body).unwrap_or_default();
    let Some(token) = body["token"].as_str().filter(|t| !t.is_empty()) else {
        return missing_parameter("Missing token");
    };
    let text = |key: &str| body[key].as_str().unwrap_or_default().to_owned();
    state.tokens.insert(token.to_owned());
    let local_token = LocalToken {
        uuid: state.new_id(),
        token: token.to_owned(),
        label: text("label"),
        scope: text("scope"),
        gateway_id: gateway_id.to_owned(),
        creation_time: now_ms(),
    };
    state.local_tokens.push(local_token);
    let request_id = state.new_id();
    Answer::json(200, &json!({"requestId": request_id}))
}

/// `GET /config/{gatewayId}/local/tokens/{scope}`: the gateway's active tokens of
/// that scope, without their secret.
pub(crate) fn list(state: &State, gateway_id: &str, scope: &str) -> Answer {
    let listed: Vec<Value> = state
        .local_tokens
        .iter()
        .filter(|t| t.gateway_id == gateway_id && t.scope == scope)
        .map(|t| {
            json!({
                "uuid": t.uuid, "label": t.label, "scope": t.scope,
                "gatewayId": t.gateway_id, "gatewayCreationTime": t.creation_time,
            })
        })
        .collect();
    Answer::json(200, &Value::Array(listed))
}

/// `DELETE /config/{gatewayId}/local/tokens/{uuid}`: the token is no longer accepted;
/// `status` (the documented one) when done, `Not such token` when there is none.
pub(crate) fn delete(state: &mut State, gateway_id: &str, uuid: &str, status: u16) -> Answer {
    let Some(index) = state
        .local_tokens
        .iter()
        .position(|t| t.gateway_id == gateway_id && t.uuid == uuid)
    else {
        return no_such_local_token(uuid);
    };
    let deleted = state.local_tokens.remove(index);
    state.tokens.remove(&deleted.token);
    Answer::empty(status)
}
