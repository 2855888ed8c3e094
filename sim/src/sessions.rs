//! Who is calling: the login form (`POST /login` opens a session, a `JSESSIONID`
//! cookie), `POST /logout`, sessions expiring after
//! [`Config::session_ttl`](crate::Config::session_ttl) idle, and bearer tokens.

use std::collections::HashMap;
use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use crate::answer::{Answer, Call};
use crate::errors::{bad_credentials, not_authenticated};
use crate::shared::Shared;
use crate::state::State;

/// An authenticated caller.
pub(crate) struct Caller {
    /// `session:<JSESSIONID>` or `token:<token>`: what listeners and rate limits
    /// belong to.
    pub(crate) owner: String,
    /// The user signed in (`token` for a bearer token), as executions name it.
    pub(crate) user: String,
}

/// `POST /login`: the form `userId`/`userPassword` opens a session.
pub(crate) fn login(shared: &Shared, call: &Call) -> Answer {
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
        return bad_credentials();
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

/// `POST /logout`: ends the caller's session (a bearer token stays valid).
pub(crate) fn logout(shared: &Shared, state: &mut State, caller: &Caller) -> Answer {
    if let Some(id) = caller.owner.strip_prefix("session:") {
        state.sessions.remove(id);
        state.listeners.retain(|_, l| l.owner != caller.owner);
        shared.limits.forget(&caller.owner);
    }
    Answer::json(200, &json!({"logout": true}))
}

/// The caller of `call`: a known bearer token, or (cloud API only) a live session,
/// whose idle time starts again. Sessions idle for `ttl` end first, with their
/// listeners. `Err` is the server's `Not authenticated`.
pub(crate) fn authenticate(
    state: &mut State,
    call: &Call,
    ttl: Duration,
) -> Result<Caller, Answer> {
    let now = Instant::now();
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
    if let Some(token) = call.bearer.as_ref().filter(|t| state.tokens.contains(*t)) {
        return Ok(Caller {
            owner: format!("token:{token}"),
            user: "token".to_owned(),
        });
    }
    let session = call.cookie.as_ref().filter(|_| !call.local);
    match session.and_then(|id| Some((id, state.sessions.get_mut(id)?))) {
        Some((id, (user, last_use))) => {
            *last_use = now;
            Ok(Caller {
                owner: format!("session:{id}"),
                user: user.clone(),
            })
        }
        None => Err(not_authenticated()),
    }
}
