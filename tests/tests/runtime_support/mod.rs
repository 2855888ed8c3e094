//! Shared helpers of the `runtime_*` tests: test operations (the generated ones do not
//! exist here), clients pointed at a wiremock server on 127.0.0.1, fixture loading.

#![allow(dead_code)] // Each test crate uses a part of these helpers.

use std::time::Duration;

use overkiz::{Client, Credentials, HttpMethod, Idempotency, OperationInfo, ResponseKind, RetryPolicy, Server};
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
