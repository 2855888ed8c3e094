//! Resilience: bounded resends of reads and idempotent writes after transient
//! failures; calls that act resent only when nothing was processed; Retry-After
//! surfaced and never slept through; timeouts.

use std::time::{Duration, Instant};

use crate::support::*;
use overkiz::{
    Client, Credentials, Error, ErrorKind, HttpMethod, OperationInfo, RateLimit, RateLimitScope,
    ResponseKind, RetryPolicy, Server,
};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn unavailable(status: u16) -> ResponseTemplate {
    fixture_answer(status, "502-bad-gateway.html")
}

fn ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"ok": true}))
}

/// Mounts `failure` for the first `times` calls of `verb /path`, then success.
async fn failing_then_ok(
    server: &MockServer,
    verb: &str,
    route: &str,
    failure: ResponseTemplate,
    times: u64,
) {
    mount_first(server, verb, route, failure, times).await;
    mount(server, verb, route, ok()).await;
}

/// A new server whose `verb /path` fails with `failure` `times` times, then succeeds.
async fn server_failing_then_ok(
    verb: &str,
    route: &str,
    failure: ResponseTemplate,
    times: u64,
) -> MockServer {
    let server = MockServer::start().await;
    failing_then_ok(&server, verb, route, failure, times).await;
    server
}

#[tokio::test]
async fn get_is_retried_after_503_until_it_succeeds() {
    let server = server_failing_then_ok("GET", "/setup", unavailable(503), 2).await;
    client(&server, Credentials::none())
        .request(&GET_SETUP)
        .await
        .unwrap();
    assert_eq!(count(&server, "GET", "/setup").await, 3);
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(unavailable(502))
        .mount(&server)
        .await;
    let error = client(&server, Credentials::none())
        .request(&GET_SETUP)
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            Error::Unavailable {
                status: 502,
                maintenance: false,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(count(&server, "GET", "/setup").await, 3);

    let five = fast_retries().with_max_attempts(5);
    let error = client_with(&server, Credentials::none(), five)
        .request(&GET_SETUP)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(count(&server, "GET", "/setup").await, 3 + 5);
}

/// A 503 says nothing was processed: even a call that acts is sent again.
#[tokio::test]
async fn a_call_that_acts_is_resent_after_503() {
    let server = server_failing_then_ok("POST", "/exec/apply", unavailable(503), 1).await;
    client(&server, Credentials::none())
        .request(&POST_EXEC_APPLY)
        .json(&json!({"actions": []}))
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", "/exec/apply").await, 2);
}

/// 500, 502 and 504 may come after the server acted: a call that acts is sent once and
/// its error says the outcome is unknown, while a read is resent.
#[tokio::test]
async fn a_call_that_acts_is_not_resent_after_502_or_504() {
    for status in [500, 502, 504] {
        let server = MockServer::start().await;
        failing_then_ok(&server, "POST", "/exec/apply", unavailable(status), 1).await;
        let error = client(&server, Credentials::none())
            .request(&POST_EXEC_APPLY)
            .json(&json!({"actions": []}))
            .await
            .unwrap_err();
        assert_eq!(
            error.kind(),
            ErrorKind::OutcomeUnknown,
            "{status}: {error:?}"
        );
        assert!(matches!(error, Error::OutcomeUnknown { .. }), "{error:?}");
        assert!(!error.is_retryable(), "{status}");
        assert_eq!(error.status(), Some(status));
        assert!(
            error.to_string().contains("may have been carried out"),
            "{error}"
        );
        assert_eq!(count(&server, "POST", "/exec/apply").await, 1, "{status}");
    }
}

#[tokio::test]
async fn delete_is_idempotent_and_retried() {
    let server =
        server_failing_then_ok("DELETE", "/exec/current/setup/e-1", unavailable(503), 1).await;
    client(&server, Credentials::none())
        .request(&DELETE_EXEC)
        .path_args(["e-1"])
        .await
        .unwrap();
    assert_eq!(count(&server, "DELETE", "/exec/current/setup/e-1").await, 2);
}

#[tokio::test]
async fn disabled_retries_send_once() {
    let server = server_failing_then_ok("GET", "/setup", unavailable(503), 1).await;
    let client = client_with(&server, Credentials::none(), RetryPolicy::disabled());
    assert_eq!(
        client.request(&GET_SETUP).await.unwrap_err().kind(),
        ErrorKind::Unavailable
    );
    assert_eq!(count(&server, "GET", "/setup").await, 1);
    let zero = client_with(
        &server,
        Credentials::none(),
        RetryPolicy::default().with_max_attempts(0),
    );
    zero.request(&GET_SETUP).await.unwrap();
    assert_eq!(count(&server, "GET", "/setup").await, 2);
}

/// "Too many concurrent requests" says nothing was processed: resent for every kind of
/// call.
#[tokio::test]
async fn too_many_concurrent_requests_is_resent() {
    let server = server_failing_then_ok(
        "GET",
        "/setup",
        fixture_answer(400, "too-many-concurrent-requests.json"),
        1,
    )
    .await;
    client(&server, Credentials::none())
        .request(&GET_SETUP)
        .await
        .unwrap();
    assert_eq!(count(&server, "GET", "/setup").await, 2);

    failing_then_ok(
        &server,
        "POST",
        "/exec/apply",
        fixture_answer(400, "too-many-concurrent-requests.json"),
        1,
    )
    .await;
    client(&server, Credentials::none())
        .request(&POST_EXEC_APPLY)
        .json(&json!({}))
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", "/exec/apply").await, 2);

    // When it lasts, the error is a rate limit.
    Mock::given(method("POST"))
        .and(path("/exec/apply2"))
        .respond_with(fixture_answer(400, "too-many-concurrent-requests.json"))
        .mount(&server)
        .await;
    static APPLY2: OperationInfo = op(
        "apply2",
        HttpMethod::Post,
        "/exec/apply2",
        ResponseKind::Json,
    );
    let error = client(&server, Credentials::none())
        .request(&APPLY2)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyConcurrentRequests);
    assert!(matches!(error, Error::RateLimited { .. }));
    assert_eq!(count(&server, "POST", "/exec/apply2").await, 3);
}

#[tokio::test]
async fn other_errors_are_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(fixture_answer(400, "exec-queue-full.json"))
        .mount(&server)
        .await;
    let error = client(&server, Credentials::none())
        .request(&GET_SETUP)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ExecutionQueueFull);
    assert_eq!(count(&server, "GET", "/setup").await, 1);
}

/// A long `Retry-After` (on a 429, or on a 503 for maintenance) is surfaced, not
/// slept through, and stops the resends.
#[tokio::test]
async fn a_long_retry_after_is_surfaced_and_not_slept_through() {
    for (status, fixture, seconds, kind) in [
        (
            429,
            "too-many-requests.json",
            120,
            ErrorKind::TooManyRequests,
        ),
        (503, "503-maintenance.html", 3600, ErrorKind::Maintenance),
    ] {
        let answer =
            fixture_answer(status, fixture).insert_header("retry-after", &*seconds.to_string());
        let server = answering("GET", answer).await;
        let started = Instant::now();
        let error = client(&server, Credentials::none())
            .request(&GET_SETUP)
            .await
            .unwrap_err();
        assert!(started.elapsed() < Duration::from_secs(5), "{fixture}");
        assert_eq!(error.kind(), kind, "{fixture}");
        assert_eq!(error.retry_after(), Some(Duration::from_secs(seconds)));
        assert_eq!(count(&server, "GET", "/setup").await, 1, "{fixture}");
        if status == 429 {
            assert!(
                matches!(
                    error,
                    Error::RateLimited {
                        retry_after: Some(_),
                        ..
                    }
                ),
                "{error:?}"
            );
            assert!(error.to_string().contains("retry after 120 s"), "{error}");
        }
    }
}

/// A short `Retry-After` (1 s, within the policy's longest back-off of 2 s) on a 503
/// is waited out before the one resend: far longer than the policy's own back-off
/// (a few milliseconds) would wait.
#[tokio::test]
async fn a_short_retry_after_is_honoured() {
    let server = server_failing_then_ok(
        "GET",
        "/setup",
        unavailable(503).insert_header("retry-after", "1"),
        1,
    )
    .await;
    let policy = fast_retries().with_max_backoff(Duration::from_secs(2));
    let started = Instant::now();
    client_with(&server, Credentials::none(), policy)
        .request(&GET_SETUP)
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_secs(1) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    assert_eq!(count(&server, "GET", "/setup").await, 2);
}

#[tokio::test]
async fn connection_failures_are_transport_errors() {
    // A port nobody listens on: bind one, then free it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Server::custom(&format!("http://127.0.0.1:{port}")).unwrap();
    let client = Client::builder(server, Credentials::password(USER, PASSWORD))
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(error.is_retryable());
    // The failing call was the lazy login; its error names it and carries no URL.
    assert_eq!(error.operation().map(|op| op.path), Some("/login"));
    assert!(!error.to_string().contains("127.0.0.1"), "{error}");
}

#[tokio::test]
async fn slow_answers_time_out() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ok().set_delay(Duration::from_secs(3)))
        .mount(&server)
        .await;
    let client = Client::builder(Server::custom(&server.uri()).unwrap(), Credentials::none())
        .retry_policy(fast_retries())
        .timeout(Duration::from_millis(200))
        .connect_timeout(Duration::from_millis(200))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Timeout);
    assert!(
        matches!(error, Error::Timeout { connect: false, .. }),
        "{error:?}"
    );
    // A read timeout is not retried: the server may be working on the call.
    assert_eq!(count(&server, "GET", "/setup").await, 1);
    assert!(started.elapsed() < Duration::from_secs(2));
}

#[test]
fn documented_rate_limits_are_easy_to_read() {
    static EXEC: OperationInfo = OperationInfo {
        rate_limit: Some(RateLimit {
            calls: 1,
            period_seconds: 1728,
            scope: RateLimitScope::Category,
            category: "exec",
        }),
        ..op(
            "post_exec_apply",
            HttpMethod::Post,
            "/exec/apply",
            ResponseKind::Json,
        )
    };
    let limit = Client::rate_limit(&EXEC).expect("a limit");
    assert_eq!(limit.category, "exec");
    assert_eq!(limit.min_interval(), Duration::from_secs(1728));
    assert_eq!(Client::rate_limit(&GET_SETUP), None);
}
