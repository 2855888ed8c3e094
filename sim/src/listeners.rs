//! Event listeners: `POST /events/register`, `/events/{listenerId}/fetch` (the events
//! written in the configured [`EventForm`]) and `/events/{listenerId}/unregister`,
//! and their expiry after [`Config::listener_ttl`](crate::Config::listener_ttl)
//! without a fetch.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::time::Instant;

use crate::answer::Answer;
use crate::errors::invalid_listener;
use crate::state::State;
use crate::{forms, EventForm};

/// An event listener.
pub(crate) struct Listener {
    /// The session (`session:<id>`) or token (`token:<token>`) that registered it.
    pub(crate) owner: String,
    /// Events not fetched yet.
    pub(crate) events: Vec<Value>,
    last_fetch: Instant,
}

impl State {
    /// Forgets the listeners not fetched for `ttl`.
    pub(crate) fn purge_listeners(&mut self, ttl: Duration) {
        let now = Instant::now();
        self.listeners
            .retain(|_, l| now.duration_since(l.last_fetch) < ttl);
    }
}

/// `POST /events/register`: a new listener, replacing `owner`'s other listeners.
pub(crate) fn register(state: &mut State, owner: String) -> Answer {
    let id = state.new_id();
    state.listeners.retain(|_, l| l.owner != owner);
    let listener = Listener {
        owner,
        events: Vec::new(),
        last_fetch: Instant::now(),
    };
    state.listeners.insert(id.clone(), listener);
    Answer::json(200, &json!({"id": id}))
}

/// `POST /events/{listenerId}/fetch`: the events since the last fetch, in `form`.
pub(crate) fn fetch(state: &mut State, id: &str, owner: &str, form: EventForm) -> Answer {
    let events = match state.listeners.get_mut(id) {
        Some(listener) if listener.owner == owner => {
            listener.last_fetch = Instant::now();
            std::mem::take(&mut listener.events)
        }
        _ => return invalid_listener(id),
    };
    // The setup's site, or the setup itself (a setup of the previous form, as every
    // real one captured, names no site).
    let site = state
        .setup
        .get("siteOID")
        .cloned()
        .unwrap_or_else(|| state.setup_oid());
    let events = events
        .into_iter()
        .map(|event| forms::write(event, form, &site))
        .collect();
    Answer::json(200, &Value::Array(events))
}

/// `POST /events/{listenerId}/unregister`.
pub(crate) fn unregister(state: &mut State, id: &str, owner: &str) -> Answer {
    match state.listeners.get(id) {
        Some(listener) if listener.owner == owner => {
            state.listeners.remove(id);
            Answer::empty(200)
        }
        _ => invalid_listener(id),
    }
}
