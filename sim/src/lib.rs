//! `overkiz-sim`: an offline Overkiz End-User API server, for testing clients without
//! hardware or an account.
//!
//! The simulator serves the cloud API under `/enduser-mobile-web/enduserAPI`. It is
//! loaded with a setup (the JSON of `GET /setup`, e.g. a real one) and answers:
//!
//! - **statefully** where clients depend on state: the login form (`POST /login`,
//!   `JSESSIONID` cookie, sessions expiring after [`Config::session_ttl`] idle) and
//!   bearer tokens ([`Simulator::add_token`]), `POST /logout`, the setup and its
//!   devices and states, executions (`POST /exec/apply` and its variants progressing
//!   through `INITIALIZED → TRANSMITTED → IN_PROGRESS → COMPLETED` every
//!   [`Config::step`], with their events and the effect of known commands on the
//!   device states), action groups (`/actionGroups`: create, read, update, delete;
//!   seeded by the setup's `actionGroups` or [`Simulator::add_action_group`]), their
//!   executions (`POST /exec/{actionGroupOID}` and its variants) and scheduled
//!   executions (`POST /exec/schedule/{actionGroupOID}/{utcTimestamp}`, run when due,
//!   listed by `GET /exec/schedule`), the current executions, their cancellation,
//!   the execution history, and event listeners (register, fetch, unregister, expiry
//!   after [`Config::listener_ttl`] without a fetch);
//! - **from the documentation** for every other documented operation: its documented
//!   status and an example body built from its response schema in the embedded
//!   `spec/overkiz.json`.
//!
//! [`STATEFUL_OPERATIONS`] lists the first kind. Every request is first checked
//! against the documentation (required query parameters and body, the body's JSON
//! type), and [`Simulator::requests`] records what was called and answered.
//!
//! Faults are available on demand, for every call ([`Simulator::set_fault`]), the
//! next ones ([`Simulator::fail_next`]) or the next calls of one operation
//! ([`Simulator::fail_next_on`]): [`Fault::RateLimit`] (429),
//! [`Fault::Maintenance`] (503 maintenance page), [`Fault::DropConnection`],
//! [`Fault::Error`] (any real error answer of `tests/fixtures/errors/`, see
//! [`ErrorFixture`]), [`Fault::Answer`]; the documented rate limits
//! ([`RateLimits::Documented`]); and
//! [`Simulator::set_latency`] (slow answers), [`Simulator::expire_sessions`],
//! [`Simulator::expire_listeners`], [`Simulator::fail_next_executions`],
//! [`Simulator::hold_executions`], [`Fault::SessionExpired`]. The
//! [`control`] API does the same over HTTP.
//!
//! The same API is served under [`LOCAL_API_PREFIX`] ([`Simulator::local_url`]) with
//! bearer tokens only, like a gateway's local API (in plain HTTP).
//!
//! # Local API mode
//!
//! [`Simulator::start_local`] plays a gateway's Developer Mode API instead: TLS with a
//! certificate named `<pin>.local` signed by a CA generated at start
//! ([`Simulator::gateway_ca_pem`]), only the local API's operations
//! ([`local::LOCAL_OPERATIONS`]) under [`LOCAL_API_PREFIX`], bearer tokens only, and the
//! gateway's own error answers. See the [`local`] module.
//!
//! ```no_run
//! # async fn demo(setup: serde_json::Value) -> std::io::Result<()> {
//! use overkiz_sim::{Config, Simulator};
//! let sim = Simulator::start_local(setup, "1234-5678-9012", Config::default()).await?;
//! sim.add_token("my-token");
//! println!("{}", sim.url()); // https://127.0.0.1:PORT/enduser-mobile-web/1/enduserAPI
//! let ca_pem = sim.gateway_ca_pem().unwrap(); // for ClientBuilder::add_gateway_root_certificate
//! # let _ = ca_pem; Ok(()) }
//! ```
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let setup = serde_json::json!({"devices": [], "gateways": []});
//! let sim = overkiz_sim::Simulator::start(setup).await?;
//! println!("{}", sim.url()); // http://127.0.0.1:PORT/enduser-mobile-web/enduserAPI
//! # Ok(()) }
//! ```

mod action_groups;
mod builder;
pub mod control;
mod faults;
mod forms;
mod limits;
pub mod local;
pub mod sites;
pub mod spec;
mod state;
pub mod testing;
mod tls;

pub use builder::SimulatorBuilder;
pub use faults::{ErrorFixture, Fault, UnknownOperation};
pub use forms::EventForm;
pub use limits::RateLimits;
pub use state::STATEFUL_OPERATIONS;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::task::{JoinHandle, JoinSet};
use tokio_rustls::TlsAcceptor;

use faults::Faults;
use state::State;

/// The path prefix of the cloud API.
pub const API_PREFIX: &str = "/enduser-mobile-web/enduserAPI";

/// The path prefix of the local API (a gateway's): bearer tokens only, no login. In
/// plain HTTP next to the cloud API in cloud mode; alone and over TLS in local API
/// mode ([`Simulator::start_local`]).
pub const LOCAL_API_PREFIX: &str = "/enduser-mobile-web/1/enduserAPI";

/// The path prefix of the control API ([`control`]): faults and inspection over HTTP.
pub const CONTROL_PREFIX: &str = "/_sim";

/// Settings of a [`Simulator`].
#[derive(Debug, Clone)]
pub struct Config {
    /// A session dies after this long without a call (default 30 min).
    pub session_ttl: Duration,
    /// A listener dies after this long without a fetch (default 10 min).
    pub listener_ttl: Duration,
    /// Time between two states of an execution (default 500 ms).
    pub step: Duration,
    /// The only accepted `userId`/`userPassword`; `None` accepts any (the default).
    pub credentials: Option<(String, String)>,
    /// Whether the documented per-session rate limits are enforced (default: off).
    pub rate_limits: RateLimits,
    /// The token a caller from another machine must send to the [`control`] API
    /// (`Authorization: Bearer <token>`); without one (the default) the control API
    /// answers loopback callers only. Loopback callers never need it.
    pub control_token: Option<String>,
    /// The form events are written in (default: [`EventForm::Previous`], what live
    /// servers are known to send today).
    pub event_form: EventForm,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            session_ttl: Duration::from_secs(30 * 60),
            listener_ttl: Duration::from_secs(10 * 60),
            step: Duration::from_millis(500),
            credentials: None,
            rate_limits: RateLimits::Off,
            control_token: None,
            event_form: EventForm::Previous,
        }
    }
}

impl Config {
    /// Sets [`Config::session_ttl`].
    pub fn with_session_ttl(mut self, ttl: Duration) -> Config {
        self.session_ttl = ttl;
        self
    }
    /// Sets [`Config::listener_ttl`].
    pub fn with_listener_ttl(mut self, ttl: Duration) -> Config {
        self.listener_ttl = ttl;
        self
    }
    /// Sets [`Config::step`].
    pub fn with_step(mut self, step: Duration) -> Config {
        self.step = step;
        self
    }
    /// Sets [`Config::rate_limits`].
    pub fn with_rate_limits(mut self, rate_limits: RateLimits) -> Config {
        self.rate_limits = rate_limits;
        self
    }
    /// Sets [`Config::control_token`].
    pub fn with_control_token(mut self, token: impl Into<String>) -> Config {
        self.control_token = Some(token.into());
        self
    }
    /// Sets [`Config::event_form`].
    pub fn with_event_form(mut self, form: EventForm) -> Config {
        self.event_form = form;
        self
    }
    /// Accepts only these credentials at `POST /login`.
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Config {
        self.credentials = Some((user.into(), password.into()));
        self
    }
}

/// What the server's tasks share.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) state: Mutex<State>,
    faults: Faults,
    pub(crate) limits: limits::Limiter,
    requests: AtomicU64,
    /// The newest [`REQUEST_LOG_LIMIT`] calls.
    log: Mutex<std::collections::VecDeque<RequestRecord>>,
    /// Set in local API mode ([`Simulator::start_local`]).
    pub(crate) gateway: Option<local::Gateway>,
    /// Bearer tokens of an account this server does not know (a site token of
    /// another region, [`sites`]): answered `403 No such user account`.
    foreign: Mutex<std::collections::HashSet<String>>,
}

/// How many calls [`Simulator::requests`] keeps: the oldest go first.
pub const REQUEST_LOG_LIMIT: usize = 10_000;

/// A call the simulator received (control calls excepted), as
/// [`Simulator::requests`] lists them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestRecord {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path relative to the API base (the whole path when outside it), as sent.
    pub path: String,
    /// The documented operation it matched, `"METHOD /path/template"`.
    pub operation: Option<String>,
    /// The status answered; `None` when the connection was dropped.
    pub status: Option<u16>,
    /// Answered with the documented example, not from the simulator's state (see
    /// [`STATEFUL_OPERATIONS`]).
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
    fn record(&self, record: RequestRecord) {
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        if log.len() == REQUEST_LOG_LIMIT {
            // A simulator serving for days keeps bounded memory.
            log.pop_front();
        }
        log.push_back(record);
    }

    pub(crate) fn foreign_tokens(&self) -> MutexGuard<'_, std::collections::HashSet<String>> {
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

/// A running simulator; stopped when dropped (or by [`Simulator::stop`]).
pub struct Simulator {
    addr: SocketAddr,
    url: String,
    shared: Arc<Shared>,
    server: JoinHandle<()>,
    /// The generated CA's certificate (PEM), in local API mode.
    ca_pem: Option<String>,
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
    async fn bind_as(
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
        let server = tokio::spawn(serve(listener, shared.clone(), acceptor));
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
    /// [`REQUEST_LOG_LIMIT`]), in order, with the status answered.
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
    /// the newest [`REQUEST_LOG_LIMIT`]).
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

/// Accepts connections until aborted; aborting drops (and so aborts) the connections.
/// With `tls`, every connection starts with a TLS handshake (local API mode).
async fn serve(listener: TcpListener, shared: Arc<Shared>, tls: Option<TlsAcceptor>) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, caller) = match listener.accept().await {
            Ok((stream, peer)) => (stream, peer.ip()),
            Err(_) => {
                // Out of file descriptors, ...: do not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Forget the connections that ended.
        while connections.try_join_next().is_some() {}
        let shared = shared.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                handle(shared, caller, request)
            });
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                None => {
                    let _ = http
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                }
                // A failed handshake (untrusted certificate, ...) just ends the
                // connection, as on a gateway.
                Some(tls) => {
                    if let Ok(stream) = tls.accept(stream).await {
                        let _ = http
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    }
                }
            }
        });
    }
}

/// An answer under construction.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    pub(crate) cookie: Option<String>,
}

impl Answer {
    pub(crate) fn json(status: u16, body: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(body).unwrap_or_default(),
            cookie: None,
        }
    }

    pub(crate) fn empty(status: u16) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: Vec::new(),
            cookie: None,
        }
    }

    pub(crate) fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer::json(
            status,
            &serde_json::json!({"errorCode": code, "error": message}),
        )
    }

    fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.body)));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(cookie) = self.cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(hyper::header::SET_COOKIE, cookie);
        }
        response
    }
}

/// A request as the handlers see it.
pub(crate) struct Call {
    /// Called through the local API prefix: bearer tokens only.
    pub(crate) local: bool,
    pub(crate) method: String,
    /// Path relative to the API base.
    pub(crate) path: String,
    /// The documented operation `path` matches, with its path parameters.
    pub(crate) route: Option<(&'static spec::Operation, Vec<String>)>,
    /// The URL's query string.
    pub(crate) query: String,
    pub(crate) cookie: Option<String>,
    pub(crate) bearer: Option<String>,
    pub(crate) body: Bytes,
}

/// Request bodies are read up to this size (16 MiB); a larger one is refused unread.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

fn too_large() -> Answer {
    Answer::error(
        413,
        "INVALID_API_CALL",
        "Request body too large or incomplete",
    )
}

/// The answer of `fault`; `Err` closes the connection without one.
fn fault_answer(fault: Fault) -> Result<Answer, DropConnection> {
    Ok(match fault {
        Fault::Maintenance => ErrorFixture::MAINTENANCE.into(),
        Fault::RateLimit => ErrorFixture::TOO_MANY_REQUESTS.into(),
        Fault::DropConnection => return Err(DropConnection),
        // Handled before (the call is then answered normally, without a session).
        Fault::SessionExpired => Answer::error(401, "RESOURCE_ACCESS_DENIED", "Not authenticated"),
        Fault::Error(fixture) => fixture.into(),
        Fault::Answer {
            status,
            content_type,
            body,
            headers: _,
        } => Answer {
            status,
            content_type,
            body: body.into_bytes(),
            cookie: None,
        },
    })
}

impl From<ErrorFixture> for Answer {
    fn from(fixture: ErrorFixture) -> Answer {
        Answer {
            status: fixture.status,
            content_type: fixture.content_type,
            body: fixture.body.as_bytes().to_vec(),
            cookie: None,
        }
    }
}

/// Makes hyper close the connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

async fn handle(
    shared: Arc<Shared>,
    caller: std::net::IpAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    if let Some(path) = request.uri().path().strip_prefix(CONTROL_PREFIX) {
        let given = request
            .headers()
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(|token| token.trim().to_owned());
        if !control::allowed(
            caller,
            shared.config.control_token.as_deref(),
            given.as_deref(),
        ) {
            // Refused before the body is read.
            return Ok(control::refused().into_response());
        }
        let (method, path) = (request.method().as_str().to_owned(), path.to_owned());
        let query = request.uri().query().unwrap_or_default().to_owned();
        let Ok(body) = Limited::new(request.into_body(), MAX_REQUEST_BYTES)
            .collect()
            .await
            .map(|b| b.to_bytes())
        else {
            return Ok(too_large().into_response());
        };
        return Ok(control::answer(&shared, &method, &path, &query, &body).into_response());
    }
    let received = std::time::Instant::now();
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = request.into_parts();
    let uri_path = parts.uri.path().to_owned();
    let (local, path) = match uri_path.strip_prefix(API_PREFIX) {
        // A gateway serves no cloud API.
        Some(path) if shared.gateway.is_none() => (false, Some(path)),
        _ => (true, uri_path.strip_prefix(LOCAL_API_PREFIX)),
    };
    let route = path.and_then(|path| spec::route(parts.method.as_str(), path));
    let operation = route
        .as_ref()
        .map(|(op, _)| format!("{} {}", op.method, op.path));
    let mut record = RequestRecord {
        method: parts.method.as_str().to_owned(),
        path: path.unwrap_or(&uri_path).to_owned(),
        operation: operation.clone(),
        status: None,
        documented: false,
        received,
    };
    let fault = shared.faults.take(operation.as_deref());
    let extra_headers = match &fault {
        Some(Fault::Answer { headers, .. }) => headers.clone(),
        _ => Vec::new(),
    };
    let body = match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => collected.to_bytes(),
        // Read the whole request first, so that a dropped connection happens after
        // the request left, as the fault promises.
        Err(_) if fault == Some(Fault::DropConnection) => {
            shared.record(record);
            return Err(DropConnection);
        }
        // Too large, or cut short: nothing is done with it.
        Err(_) => {
            let answer = too_large();
            record.status = Some(answer.status);
            shared.record(record);
            return Ok(answer.into_response());
        }
    };
    let answer = match fault {
        Some(Fault::SessionExpired) => {
            // The sessions end just before the call is handled.
            shared.state().expire_sessions();
            None
        }
        Some(fault) => Some(fault_answer(fault)),
        None => None,
    };
    let answer = match (answer, path) {
        (Some(answer), _) => answer,
        (None, None) if shared.gateway.is_some() => Ok(local::outside_the_api()),
        (None, None) => Ok(Answer::error(404, "INVALID_API_CALL", "No such resource")),
        (None, Some(path)) => {
            let header = |name: hyper::header::HeaderName| {
                parts
                    .headers
                    .get_all(name)
                    .iter()
                    .filter_map(|v| v.to_str().ok())
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            let cookie = header(hyper::header::COOKIE)
                .split(';')
                .filter_map(|pair| pair.trim().strip_prefix("JSESSIONID="))
                .map(str::to_owned)
                .next();
            let bearer = header(hyper::header::AUTHORIZATION)
                .strip_prefix("Bearer ")
                .map(|token| token.trim().to_owned());
            let call = Call {
                local,
                method: parts.method.as_str().to_owned(),
                path: path.to_owned(),
                route,
                query: parts.uri.query().unwrap_or_default().to_owned(),
                cookie,
                bearer,
                body,
            };
            let mut documented = false;
            let foreign = call
                .bearer
                .as_ref()
                .is_some_and(|token| shared.foreign_tokens().contains(token));
            let answer = if foreign {
                // What a region answers a site token of another region.
                Answer::error(403, "RESOURCE_ACCESS_DENIED", "No such user account")
            } else if shared.gateway.is_some() {
                local::answer(&shared, call, &mut documented)
            } else {
                state::answer(&shared, call, &mut documented)
            };
            record.documented = documented;
            Ok(answer)
        }
    };
    record.status = answer.as_ref().ok().map(|answer| answer.status);
    shared.record(record);
    answer.map(|answer| {
        let mut response = answer.into_response();
        for (name, value) in extra_headers {
            if let (Ok(name), Ok(value)) = (
                hyper::header::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(&value),
            ) {
                response.headers_mut().append(name, value);
            }
        }
        response
    })
}
