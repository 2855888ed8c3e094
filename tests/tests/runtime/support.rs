//! The test kit of the runtime tests (`runtime/` and `runtime_tracing.rs`): one place
//! for what every test file needs, so a test states only its case.
//!
//! - **Operations and secrets:** test operations for raw calls (`GET_SETUP`, ...),
//!   the user, password, cookie and token values the tests look for in logs.
//! - **Clients:** [`client`] / [`client_with`] of a wiremock server with fast resends,
//!   [`flow_client`] signing in with a [`TestFlow`] and sending nothing; [`burst`]
//!   of calls at once.
//! - **Answers and mocks:** [`login_ok`], [`setup_ok`], [`not_authenticated`],
//!   [`fixture_answer`] (a captured error body), [`mount`] and [`mount_first`]
//!   (an answer for the first calls, then the mounts below it), [`answering`] (a
//!   server with one answer), `GET /setup` [`in_session`] or [`with_bearer`], the
//!   [`form`] body matcher.
//! - **What the server saw:** [`count`], [`only_request`], [`authorizations`].
//! - **Time and waiting:** [`skip_time`] (Tokio's clock, between calls),
//!   [`wait_for_requests`] (a deadline, never a bare sleep).
//! - **Logs:** [`capture_logs`], this thread's log lines in memory.
//!
//! Stateful flows (sessions, listeners, executions) run against the simulator
//! (`simulated.rs`); the tests here that use wiremock or a raw TCP server check what
//! only they can produce: exact requests, malformed or odd answers, status codes.

#![allow(dead_code)] // Each test binary uses a part of the kit.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use overkiz::{
    Client, Credentials, HttpMethod, Idempotency, OperationInfo, ResponseKind, RetryPolicy, Server,
};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Match, Mock, MockServer, ResponseTemplate};

/// An operation description for tests.
pub const fn op(
    name: &'static str,
    method: HttpMethod,
    path: &'static str,
    response: ResponseKind,
) -> OperationInfo {
    OperationInfo {
        name,
        method,
        path,
        summary: "test operation",
        deprecated_since: None,
        rate_limit: None,
        status: 200,
        response,
        content_type: "application/json",
        events: &[],
        // Like the generation rule: GET reads, PUT/DELETE write, the rest acts.
        idempotency: match method {
            HttpMethod::Get => Idempotency::SafeRead,
            HttpMethod::Put | HttpMethod::Delete => Idempotency::IdempotentWrite,
            HttpMethod::Post | HttpMethod::Patch => Idempotency::Acts,
        },
    }
}

/// Declares test operations: `NAME = "name" Method "/path" ResponseKind;`.
macro_rules! test_operations {
    ($($(#[$doc:meta])* $static:ident = $name:literal $method:ident $path:literal $kind:ident;)*) => {
        $($(#[$doc])* pub static $static: OperationInfo =
            op($name, HttpMethod::$method, $path, ResponseKind::$kind);)*
    };
}

test_operations! {
    GET_SETUP = "get_setup" Get "/setup" Json;
    GET_DEVICE = "get_setup_device" Get "/setup/devices/{deviceURL}" Json;
    GET_DEVICE_STATE = "get_setup_device_state" Get "/setup/devices/{deviceURL}/states/{stateName}" Json;
    POST_EXEC_APPLY = "post_exec_apply" Post "/exec/apply" Json;
    DELETE_EXEC = "delete_exec" Delete "/exec/current/setup/{execId}" Empty;
    GET_HISTORY_CSV = "get_history_export" Get "/history/executions/export" Text;
    PUT_UPLOAD = "put_upload" Put "/setup/gateways/{gatewayId}/upload" Empty;
    POST_LOGIN_FORM = "login" Post "/login" Json;
}

pub const USER: &str = "user@example.com";
pub const PASSWORD: &str = "pa55-SECRET-word";
pub const COOKIE: &str = "JSESSIONID-SECRET-0123";
pub const TOKEN: &str = "bearer-SECRET-token-abcdef";
pub const DEVICE_URL: &str = "io://1234-5678-9012/12345678#2";
pub const DEVICE_URL_ENCODED: &str = "io%3A%2F%2F1234-5678-9012%2F12345678%232";

/// Fast retries for tests: 3 attempts, a few milliseconds apart.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(50))
}

/// A client of `server` with fast retries.
pub fn client(server: &MockServer, credentials: Credentials) -> Client {
    client_with(server, credentials, fast_retries())
}

/// A client of `server` with the given retry policy.
pub fn client_with(server: &MockServer, credentials: Credentials, retry: RetryPolicy) -> Client {
    Client::builder(
        Server::custom(&server.uri()).expect("mock URL"),
        credentials,
    )
    .retry_policy(retry)
    .timeout(Duration::from_secs(10))
    .build()
    .expect("client builds")
}

/// A successful login setting the session cookie `JSESSIONID=<cookie>`.
pub fn login_ok(cookie: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header(
            "set-cookie",
            format!("JSESSIONID={cookie}; Path=/; HttpOnly").as_str(),
        )
        .set_body_json(json!({"success": true, "roles": [{"name": "ENDUSER"}]}))
}

/// An empty setup.
pub fn setup_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"gateways": [], "devices": []}))
}

/// The cloud's 401 for a session it does not know.
pub fn not_authenticated() -> ResponseTemplate {
    fixture_answer(401, "401-not-authenticated.json")
}

/// `status` with the captured error body `file` of `tests/fixtures/errors/cloud/`
/// (JSON, or an HTML page).
pub fn fixture_answer(status: u16, file: &str) -> ResponseTemplate {
    let content_type = if file.ends_with(".html") {
        "text/html"
    } else {
        "application/json"
    };
    ResponseTemplate::new(status).set_body_raw(error_fixture(file), content_type)
}

/// A new server answering every `verb` request with `answer`.
pub async fn answering(verb: &str, answer: ResponseTemplate) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method(verb))
        .respond_with(answer)
        .mount(&server)
        .await;
    server
}

/// Answers `verb route` with `answer`.
pub async fn mount(server: &MockServer, verb: &str, route: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// Answers the first `times` calls of `verb route` with `answer`; later calls get
/// what the other mounts say.
pub async fn mount_first(
    server: &MockServer,
    verb: &str,
    route: &str,
    answer: ResponseTemplate,
    times: u64,
) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(answer)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
}

/// `GET /setup` in the session `cookie` (`Cookie: JSESSIONID=<cookie>`).
pub fn in_session(cookie: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/setup"))
        .and(header("cookie", format!("JSESSIONID={cookie}").as_str()))
}

/// `GET /setup` with the bearer `token` (`Authorization: Bearer <token>`).
pub fn with_bearer(token: &str) -> wiremock::MockBuilder {
    Mock::given(method("GET"))
        .and(path("/setup"))
        .and(header("authorization", format!("Bearer {token}").as_str()))
}

/// Matches a form body with exactly these fields, in any order.
pub struct FormIs(Vec<(String, String)>);

impl Match for FormIs {
    fn matches(&self, request: &wiremock::Request) -> bool {
        let mut got: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

/// A form body of exactly these fields.
pub fn form(fields: &[(&str, &str)]) -> FormIs {
    FormIs(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// The one request the server received.
pub async fn only_request(server: &MockServer) -> wiremock::Request {
    let mut requests = server.received_requests().await.unwrap_or_default();
    assert_eq!(requests.len(), 1, "{requests:?}");
    requests.remove(0)
}

/// The `Authorization` header of each request the server received, in order (empty
/// when there was none).
pub async fn authorizations(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            r.headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Runs `n` calls of `GET /setup` on `client` at once.
pub async fn burst(client: &Client, n: usize) -> Vec<Result<(), overkiz::Error>> {
    let calls = (0..n).map(|_| {
        let client = client.clone();
        async move { client.request(&GET_SETUP).await.map(drop) }
    });
    futures::future::join_all(calls).await
}

/// Waits until the server received `expected` requests to `verb route`, for 5 s at
/// most.
pub async fn wait_for_requests(server: &MockServer, verb: &str, route: &str, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(server, verb, route).await < expected {
        assert!(Instant::now() < deadline, "no {verb} {route} within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Log lines written into memory.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// What was logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

/// Captures the logs of this thread up to `level` (with span openings and closings)
/// until the guard drops. `#[tokio::test]` runs every task of the test on its thread.
pub fn capture_logs(level: tracing::Level) -> (Logs, tracing::subscriber::DefaultGuard) {
    use tracing_subscriber::fmt::format::FmtSpan;
    let logs = Logs::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(level)
        .with_ansi(false)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .finish();
    (logs, tracing::subscriber::set_default(subscriber))
}

/// The number of requests the mock server received for `method path`.
pub async fn count(server: &MockServer, method: &str, path: &str) -> usize {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.method.as_str() == method && r.url.path() == path)
        .count()
}

/// A fixture of `tests/fixtures/errors/cloud/`.
pub fn error_fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/errors/cloud/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"))
}

/// Moves Tokio's clock forward by `by` at once instead of waiting (expiries,
/// cool-downs), then lets it run on. Only between calls, with nothing in flight, and
/// in a current-thread runtime (`#[tokio::test]`): a paused clock would otherwise
/// jump over the HTTP timeouts of the requests in flight.
pub async fn skip_time(by: Duration) {
    tokio::time::pause();
    tokio::time::advance(by).await;
    tokio::time::resume();
}

/// A sign-in flow without network, for the sign-in rules: each sign-in is recorded
/// (with the instant it started), takes `delay` on Tokio's clock (so tests pause it),
/// and gives what `answer` returns for its number (1, 2, ...).
pub struct TestFlow {
    delay: Duration,
    started: std::sync::Mutex<Vec<tokio::time::Instant>>,
    answer: Box<dyn Fn(usize) -> Result<overkiz::Grant, overkiz::Error> + Send + Sync>,
}

impl TestFlow {
    pub fn new(
        delay: Duration,
        answer: impl Fn(usize) -> Result<overkiz::Grant, overkiz::Error> + Send + Sync + 'static,
    ) -> std::sync::Arc<TestFlow> {
        std::sync::Arc::new(TestFlow {
            delay,
            started: std::sync::Mutex::new(Vec::new()),
            answer: Box::new(answer),
        })
    }

    /// A flow whose every sign-in is refused as bad credentials.
    pub fn refusing(delay: Duration) -> std::sync::Arc<TestFlow> {
        TestFlow::new(delay, |_| {
            Err(overkiz::Error::sign_in_service(
                "Test",
                "token",
                overkiz::ErrorKind::BadCredentials,
                Some(401),
                "Bad credentials",
            ))
        })
    }

    /// How many sign-ins started.
    pub fn sign_ins(&self) -> usize {
        self.started.lock().unwrap().len()
    }

    /// When each sign-in started.
    pub fn started(&self) -> Vec<tokio::time::Instant> {
        self.started.lock().unwrap().clone()
    }
}

impl overkiz::SignInFlow for TestFlow {
    fn name(&self) -> &'static str {
        "Test"
    }

    fn sign_in<'a>(
        &'a self,
        _ctx: &'a overkiz::SignInContext,
    ) -> futures::future::BoxFuture<'a, Result<overkiz::Grant, overkiz::Error>> {
        Box::pin(async move {
            let n = {
                let mut started = self.started.lock().unwrap();
                started.push(tokio::time::Instant::now());
                started.len()
            };
            tokio::time::sleep(self.delay).await;
            (self.answer)(n)
        })
    }
}

/// A client of a server nobody listens on, signing in with `flow` (tests of the
/// sign-in rules that send no call).
pub fn flow_client(flow: std::sync::Arc<TestFlow>) -> Client {
    Client::new(
        Server::custom("http://127.0.0.1:9/api").expect("URL"),
        Credentials::sign_in_flow(flow),
    )
    .expect("client builds")
}
