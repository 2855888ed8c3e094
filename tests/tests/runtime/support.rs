//! Shared helpers of the `runtime_*` tests: test operations (the generated ones do not
//! exist here), clients pointed at a wiremock server on 127.0.0.1, fixture loading.

#![allow(dead_code)] // Each test crate uses a part of these helpers.

use std::time::Duration;

use overkiz::{
    Client, Credentials, HttpMethod, Idempotency, OperationInfo, ResponseKind, RetryPolicy, Server,
};
use wiremock::MockServer;

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

pub static GET_SETUP: OperationInfo =
    op("get_setup", HttpMethod::Get, "/setup", ResponseKind::Json);
pub static GET_DEVICE: OperationInfo = op(
    "get_setup_device",
    HttpMethod::Get,
    "/setup/devices/{deviceURL}",
    ResponseKind::Json,
);
pub static GET_DEVICE_STATE: OperationInfo = op(
    "get_setup_device_state",
    HttpMethod::Get,
    "/setup/devices/{deviceURL}/states/{stateName}",
    ResponseKind::Json,
);
pub static POST_EXEC_APPLY: OperationInfo = op(
    "post_exec_apply",
    HttpMethod::Post,
    "/exec/apply",
    ResponseKind::Json,
);
pub static DELETE_EXEC: OperationInfo = op(
    "delete_exec",
    HttpMethod::Delete,
    "/exec/current/setup/{execId}",
    ResponseKind::Empty,
);
pub static GET_HISTORY_CSV: OperationInfo = op(
    "get_history_export",
    HttpMethod::Get,
    "/history/executions/export",
    ResponseKind::Text,
);
pub static PUT_UPLOAD: OperationInfo = op(
    "put_upload",
    HttpMethod::Put,
    "/setup/gateways/{gatewayId}/upload",
    ResponseKind::Empty,
);
pub static POST_LOGIN_FORM: OperationInfo =
    op("login", HttpMethod::Post, "/login", ResponseKind::Json);

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
