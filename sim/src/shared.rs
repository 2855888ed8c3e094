//! What the server's tasks share ([`Shared`]: the settings, the state, the faults,
//! the rate limiter) and the log of the calls received ([`RequestRecord`]).

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::AtomicU64;
use std::sync::{Mutex, MutexGuard};

use crate::faults::Faults;
use crate::state::State;
use crate::{limits, local, Config};

/// What the server's tasks share.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) state: Mutex<State>,
    pub(crate) faults: Faults,
    pub(crate) limits: limits::Limiter,
    pub(crate) requests: AtomicU64,
    /// The newest [`REQUEST_LOG_LIMIT`] calls.
    pub(crate) log: Mutex<VecDeque<RequestRecord>>,
    /// Set in local API mode ([`Simulator::start_local`](crate::Simulator::start_local)).
    pub(crate) gateway: Option<local::Gateway>,
    /// Bearer tokens of an account this server does not know (a site token of
    /// another region, [`sites`](crate::sites)): answered `403 No such user account`.
    pub(crate) foreign: Mutex<HashSet<String>>,
}

/// How many calls [`Simulator::requests`](crate::Simulator::requests) keeps: the oldest go first.
pub const REQUEST_LOG_LIMIT: usize = 10_000;

/// A call the simulator received (control calls excepted), as
/// [`Simulator::requests`](crate::Simulator::requests) lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path relative to the API base (the whole path when outside it), as sent.
    pub path: String,
    /// Sent to the local API (under [`LOCAL_API_PREFIX`](crate::LOCAL_API_PREFIX)),
    /// not the cloud's: in cloud mode, the calls a local-first client sends to the
    /// gateway (e.g. through a [`GatewayLink`](crate::GatewayLink)).
    pub local: bool,
    /// The documented operation it matched, `"METHOD /path/template"`.
    pub operation: Option<String>,
    /// The status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Answered with the documented example, not from the simulator's state (see
    /// [`STATEFUL_OPERATIONS`](crate::STATEFUL_OPERATIONS)).
    pub documented: bool,
    /// When the call's head arrived.
    pub received: std::time::Instant,
}

impl RequestRecord {
    /// Whether it was a call of `operation` (`"METHOD /path/template"`).
    pub fn is(&self, operation: &str) -> bool {
        self.operation.as_deref() == Some(operation)
    }
}

impl Shared {
    pub(crate) fn record(&self, record: RequestRecord) {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() == REQUEST_LOG_LIMIT {
            // A simulator serving for days keeps bounded memory.
            log.pop_front();
        }
        log.push_back(record);
    }

    pub(crate) fn foreign_tokens(&self) -> MutexGuard<'_, HashSet<String>> {
        self.foreign
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub(crate) fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
