//! [`Simulator`]: starting a simulator, and what a test does with a running one
//! (faults, state changes, inspection).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::faults::{self, Faults};
use crate::shared::{RequestRecord, Shared};
use crate::state::State;
use crate::{forms, limits, local, server, spec, tls, Config, Fault, UnknownOperation};
use crate::{API_PREFIX, LOCAL_API_PREFIX};

/// A running simulator; stopped when dropped (or by [`Simulator::stop`]).
pub struct Simulator {
    addr: SocketAddr,
    url: String,
    pub(crate) shared: Arc<Shared>,
    server: JoinHandle<()>,
    /// The generated CA's certificate (PEM), in local API mode.
    pub(crate) ca_pem: Option<String>,
}

impl Simulator {
    /// Starts a simulator of `setup` on an ephemeral port of 127.0.0.1 with the default
    /// [`Config`].
    pub async fn start(setup: Value) -> std::io::Result<Simulator> {
        Simulator::start_with(setup, Config::default()).await
    }

    /// Starts a simulator of `setup` on an ephemeral port of 127.0.0.1.
    pub async fn start_with(setup: Value, config: Config) -> std::io::Result<Simulator> {
        Simulator::bind(SocketAddr::from(([127, 0, 0, 1], 0)), setup, config).await
    }

    /// Starts a simulator of `setup` listening on `addr`.
    pub async fn bind(
        addr: SocketAddr,
        setup: Value,
        config: Config,
    ) -> std::io::Result<Simulator> {
        Simulator::bind_as(addr, setup, config, None).await
    }

    /// Starts a simulator on `addr`: the cloud API in plain HTTP, or with `pin` the
    /// local API mode of the gateway `pin` over TLS.
    pub(crate) async fn bind_as(
        addr: SocketAddr,
        setup: Value,
        config: Config,
        pin: Option<&str>,
    ) -> std::io::Result<Simulator> {
        // Parse the spec before answering anything.
        spec::operations();
        forms::table();
        check_setup(&setup)?;
        let tls = pin.map(tls::gateway_tls).transpose()?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            config,
            state: Mutex::new(State::new(setup)),
            faults: Faults::default(),
            limits: limits::Limiter::default(),
            requests: AtomicU64::new(0),
            log: Mutex::new(std::collections::VecDeque::new()),
            gateway: pin.map(local::Gateway::new),
            foreign: Mutex::default(),
        });
        let url = match pin {
            Some(_) => format!("https://{addr}{LOCAL_API_PREFIX}"),
            None => format!("http://{addr}{API_PREFIX}"),
        };
        let (acceptor, ca_pem) = match tls {
            Some(tls) => (Some(tls.acceptor), Some(tls.ca_pem)),
            None => (None, None),
        };
        let server = tokio::spawn(server::serve(listener, shared.clone(), acceptor));
        Ok(Simulator {
            addr,
            url,
            shared,
            server,
            ca_pem,
        })
    }

    /// The base URL of the API: for `overkiz::Server::custom` (cloud mode,
    /// `http://.../enduser-mobile-web/enduserAPI`), or the gateway's
    /// `https://.../enduser-mobile-web/1/enduserAPI` in local API mode (reach it with
    /// `overkiz::Server::local_at(pin, &sim.addr().to_string())`).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The base URL of the local API: in cloud mode the plain-HTTP flavour (bearer
    /// tokens only, no login: `overkiz::Server::custom(sim.local_url())` with
    /// `overkiz::Credentials::bearer`); in local API mode the same as
    /// [`Simulator::url`] (`https://`).
    pub fn local_url(&self) -> String {
        let scheme = if self.ca_pem.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}{LOCAL_API_PREFIX}", self.addr)
    }

    /// The address the simulator listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops answering: closes the listening socket and every connection.
    pub async fn stop(self) {
        let mut this = self;
        this.server.abort();
        let _ = (&mut this.server).await;
    }

    /// Answers every call with 429 and the `too-many-requests.json` body while `on`.
    pub fn set_rate_limited(&self, on: bool) {
        self.set_fault(Fault::RateLimit, on);
    }

    /// Answers every call with 503 and the maintenance page while `on`.
    pub fn set_maintenance(&self, on: bool) {
        self.set_fault(Fault::Maintenance, on);
    }

    /// Answers every call with `fault` while `on`.
    pub fn set_fault(&self, fault: Fault, on: bool) {
        self.shared.faults.set(fault, on);
    }

    /// Answers the next `times` calls with `fault` (after any fault queued before),
    /// then normally again.
    pub fn fail_next(&self, fault: Fault, times: usize) {
        self.shared.faults.push_next(fault, times, None);
    }

    /// Answers the next `times` calls of `operation` (`"METHOD /path/template"` as
    /// documented, e.g. `"POST /events/{listenerId}/fetch"`) with `fault`; calls of
    /// other operations are answered normally.
    pub fn fail_next_on(
        &self,
        operation: &str,
        fault: Fault,
        times: usize,
    ) -> Result<(), UnknownOperation> {
        let operation = faults::operation_key(operation)?;
        self.shared.faults.push_next(fault, times, Some(operation));
        Ok(())
    }

    /// Delays every answer by `latency` (zero: no delay).
    pub fn set_latency(&self, latency: Duration) {
        self.shared.faults.set_latency(latency);
    }

    /// Ends every session now (their listeners die with them); bearer tokens stay.
    pub fn expire_sessions(&self) {
        self.shared.state().expire_sessions();
    }

    /// Forgets every event listener now: the next fetch gets the server's
    /// `Invalid event listener id` error.
    pub fn expire_listeners(&self) {
        self.shared.state().listeners.clear();
    }

    /// Accepts `token` as `Authorization: Bearer <token>`.
    pub fn add_token(&self, token: impl Into<String>) {
        self.shared.state().tokens.insert(token.into());
    }

    /// The setup as `GET /setup` would answer it now.
    pub fn setup(&self) -> Value {
        self.shared.state().setup.clone()
    }

    /// The value of state `name` of device `device_url`, if it has one.
    pub fn device_state(&self, device_url: &str, name: &str) -> Option<Value> {
        self.shared.state().device_state(device_url, name)
    }

    /// Makes the next `times` executions fail (`FAILED`, with `failure_type`, e.g.
    /// `NONEXEC_OTHER` or `CMDNOTACCEPTED`, on every command) instead of completing;
    /// their commands change no state.
    pub fn fail_next_executions(&self, times: usize, failure_type: &str) {
        let mut state = self.shared.state();
        state
            .failures
            .extend(std::iter::repeat_n(failure_type.to_owned(), times));
    }

    /// Changes state `name` of device `device_url` as if the device reported it (a
    /// remote control, a sensor), with a `DeviceStateChangedEvent`. Returns false
    /// when the device has no such state.
    pub fn set_device_state(&self, device_url: &str, name: &str, value: Value) -> bool {
        self.shared
            .state()
            .report_states(device_url, &[(name, value)])
    }

    /// Live sessions (login sessions, not bearer tokens).
    pub fn session_count(&self) -> usize {
        self.shared.state().sessions.len()
    }

    /// Registered event listeners.
    pub fn listener_count(&self) -> usize {
        self.shared.state().listeners.len()
    }

    /// Ids of the running executions.
    pub fn current_executions(&self) -> Vec<String> {
        self.shared
            .state()
            .current
            .iter()
            .map(|e| e.id.clone())
            .collect()
    }

    /// Finished executions, as `GET /history/executions` lists them.
    pub fn history(&self) -> Vec<Value> {
        self.shared.state().history.clone()
    }

    /// Requests received so far.
    pub fn request_count(&self) -> u64 {
        self.shared.requests.load(Ordering::SeqCst)
    }

    /// The calls received so far (control calls excepted; the newest
    /// [`REQUEST_LOG_LIMIT`](crate::REQUEST_LOG_LIMIT)), in order, with the status answered.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .cloned()
            .collect()
    }

    /// How many calls of `operation` (`"METHOD /path/template"`) were received (among
    /// the newest [`REQUEST_LOG_LIMIT`](crate::REQUEST_LOG_LIMIT)).
    pub fn count_of(&self, operation: &str) -> usize {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|r| r.is(operation))
            .count()
    }

    /// While `on`, executions stop at `IN_PROGRESS` and finish only once released
    /// (`hold_executions(false)`) or cancelled: a device that takes its time.
    pub fn hold_executions(&self, on: bool) {
        self.shared.state().hold = on;
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("url", &self.url)
            .field("gateway_pin", &self.gateway_pin())
            .finish_non_exhaustive()
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Refuses a setup the simulator cannot serve: not a JSON object, or whose
/// `devices`, `gateways` or `actionGroups` is not an array of objects. (A device
/// without a `deviceURL`, or with odd states, is served as it is.)
fn check_setup(setup: &Value) -> std::io::Result<()> {
    let invalid = |what: String| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!("not a setup (the JSON of GET /setup): {what}"),
        )
    };
    let Some(object) = setup.as_object() else {
        return Err(invalid("expected a JSON object".into()));
    };
    for key in ["devices", "gateways", "actionGroups"] {
        match object.get(key) {
            None | Some(Value::Null) => {}
            Some(Value::Array(items)) => {
                if let Some(i) = items.iter().position(|item| !item.is_object()) {
                    return Err(invalid(format!("{key}[{i}] is not an object")));
                }
            }
            Some(_) => return Err(invalid(format!("{key} is not an array"))),
        }
    }
    Ok(())
}
