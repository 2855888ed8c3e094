//! Sign-in reliability: a burst of calls makes one sign-in whatever its outcome, a
//! refused sign-in starts a cool-down during which nothing is sent, bans and
//! throttled logins are their own kinds, bearer tokens never travel with cookies, and
//! a non-JSON 401 still renews the session once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use overkiz::__private::Request;
use overkiz::{Client, Credentials, Error, ErrorKind, Server};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request as Received, ResponseTemplate};

fn login_ok(cookie: &str) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .insert_header(
            "set-cookie",
            format!("JSESSIONID={cookie}; Path=/; HttpOnly").as_str(),
        )
        .set_body_json(json!({"success": true}))
}

fn login_error(status: u16, fixture: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(error_fixture(fixture), "application/json")
}

fn setup_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"gateways": [], "devices": []}))
}

async fn mount(server: &MockServer, verb: &str, route: &str, answer: ResponseTemplate) {
    Mock::given(method(verb))
        .and(path(route))
        .respond_with(answer)
        .mount(server)
        .await;
}

/// A client that signs in with a password, with a cool-down of `cool_down`.
fn password_client(server: &MockServer, cool_down: Duration) -> Client {
    Client::builder(
        Server::custom(&server.uri()).expect("mock URL"),
        Credentials::password(USER, PASSWORD),
    )
    .retry_policy(fast_retries())
    .login_cool_down(cool_down)
    .login_retry_delay(cool_down)
    .build()
    .expect("client builds")
}

/// Runs `n` calls of `GET /setup` at once.
async fn burst(client: &Client, n: usize) -> Vec<Result<(), Error>> {
    let calls = (0..n).map(|_| {
        let client = client.clone();
        async move { client.execute(Request::new(&GET_SETUP)).await.map(drop) }
    });
    futures::future::join_all(calls).await
}

#[tokio::test]
async fn a_burst_of_calls_makes_one_login_attempt_whatever_its_outcome() {
    // Refused: one attempt, and every call gets its error.
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/login",
        login_error(401, "bad-credentials.json"),
    )
    .await;
    let client = password_client(&server, Duration::from_secs(60));
    for result in burst(&client, 20).await {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadCredentials, "{error:?}");
        assert!(matches!(error, Error::LoginFailed { .. }), "{error:?}");
        assert!(!error.is_retryable());
    }
    assert_eq!(count(&server, "POST", "/login").await, 1);
    assert_eq!(count(&server, "GET", "/setup").await, 0);

    // Unavailable: one attempt sequence (its bounded resends of the form), shared.
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/login",
        ResponseTemplate::new(503).set_body_raw(error_fixture("503-empty.html"), "text/html"),
    )
    .await;
    let client = password_client(&server, Duration::from_secs(60));
    for result in burst(&client, 20).await {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
        assert!(error.is_retryable(), "a later call may sign in");
    }
    assert_eq!(
        count(&server, "POST", "/login").await,
        3,
        "one sequence of 3 attempts"
    );

    // Success: one login, every call goes through.
    let server = MockServer::start().await;
    mount(&server, "POST", "/login", login_ok(COOKIE)).await;
    mount(&server, "GET", "/setup", setup_ok()).await;
    let client = password_client(&server, Duration::from_secs(60));
    for result in burst(&client, 20).await {
        result.unwrap();
    }
    assert_eq!(count(&server, "POST", "/login").await, 1);
    assert_eq!(count(&server, "GET", "/setup").await, 20);
}

#[tokio::test]
async fn a_refused_login_starts_a_cool_down_that_sends_nothing() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/login",
        login_error(401, "bad-credentials.json"),
    )
    .await;
    let client = password_client(&server, Duration::from_millis(400));
    let first = client.login().await.unwrap_err();
    assert_eq!(first.kind(), ErrorKind::BadCredentials);
    assert_eq!(first.retry_after(), Some(Duration::from_millis(400)));

    // During the cool-down: the same typed error, the time left, nothing sent.
    for _ in 0..5 {
        let error = client.execute(Request::new(&GET_SETUP)).await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadCredentials);
        let left = error.retry_after().expect("time left");
        assert!(
            left > Duration::ZERO && left <= Duration::from_millis(400),
            "{left:?}"
        );
        assert!(error.to_string().contains("no new attempt for"), "{error}");
    }
    assert_eq!(count(&server, "POST", "/login").await, 1);
    assert_eq!(count(&server, "GET", "/setup").await, 0);

    // After it: one new attempt.
    tokio::time::sleep(Duration::from_millis(450)).await;
    client.execute(Request::new(&GET_SETUP)).await.unwrap_err();
    assert_eq!(count(&server, "POST", "/login").await, 2);
}

#[tokio::test]
async fn the_default_cool_down_is_at_least_a_minute() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/login",
        login_error(401, "unknown-user-account.json"),
    )
    .await;
    let client = crate::support::client(&server, Credentials::password(USER, PASSWORD));
    let error = client.login().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnknownUser);
    assert!(error.retry_after().unwrap() >= Duration::from_secs(60));
    assert_eq!(overkiz::DEFAULT_LOGIN_COOL_DOWN, Duration::from_secs(60));
}

#[tokio::test]
async fn reset_login_and_new_credentials_lift_the_cool_down() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .and(wiremock::matchers::body_string_contains("right-password"))
        .respond_with(login_ok(COOKIE))
        .with_priority(1)
        .mount(&server)
        .await;
    mount(
        &server,
        "POST",
        "/login",
        login_error(401, "bad-credentials.json"),
    )
    .await;
    mount(&server, "GET", "/setup", setup_ok()).await;
    let client = password_client(&server, Duration::from_secs(600));
    client.login().await.unwrap_err();
    client.login().await.unwrap_err();
    assert_eq!(count(&server, "POST", "/login").await, 1);

    client.reset_login();
    client.login().await.unwrap_err();
    assert_eq!(
        count(&server, "POST", "/login").await,
        2,
        "reset_login allows one attempt"
    );

    client.set_credentials(Credentials::password(USER, "right-password"));
    client.execute(Request::new(&GET_SETUP)).await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 3);
}

#[tokio::test]
async fn a_ban_and_a_throttled_login_are_distinct_and_never_retried() {
    for (fixture, status, kind) in [
        (
            "too-many-attempts-banned.json",
            401,
            ErrorKind::TooManyAttemptsBanned,
        ),
        ("too-many-requests.json", 429, ErrorKind::TooManyRequests),
    ] {
        let server = MockServer::start().await;
        mount(
            &server,
            "POST",
            "/login",
            login_error(status, fixture).insert_header("retry-after", "3600"),
        )
        .await;
        let client = password_client(&server, Duration::from_secs(60));
        let error = client.login().await.unwrap_err();
        assert_eq!(error.kind(), kind, "{fixture}");
        assert!(!error.is_retryable(), "{fixture}");
        // The server's longer wait wins over the cool-down.
        assert_eq!(
            error.retry_after(),
            Some(Duration::from_secs(3600)),
            "{fixture}"
        );
        burst(&client, 5).await;
        assert_eq!(count(&server, "POST", "/login").await, 1, "{fixture}");
    }
}

/// A token source's bearer token never travels with a cookie, even when the server
/// sets one; should the server still see both, the cookies are dropped and the call
/// resent once.
#[tokio::test]
async fn a_bearer_from_a_token_source_never_travels_with_cookies() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/setup"))
        .respond_with(setup_ok().insert_header("set-cookie", "JSESSIONID=sticky-cookie; Path=/"))
        .mount(&server)
        .await;
    let credentials = Credentials::from_fn(|| async { Ok(Credentials::bearer(TOKEN)) });
    let client = crate::support::client(&server, credentials);
    client.execute(Request::new(&GET_SETUP)).await.unwrap();
    client.execute(Request::new(&GET_SETUP)).await.unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 2);
    for request in &requests {
        assert!(request.headers.get("cookie").is_none(), "{request:?}");
        assert_eq!(
            request.headers.get("authorization").unwrap(),
            &format!("Bearer {TOKEN}")
        );
    }
}

#[tokio::test]
async fn a_session_and_bearer_conflict_drops_the_cookies_and_resends_once() {
    let server = MockServer::start().await;
    let calls = Arc::new(AtomicUsize::new(0));
    let seen = calls.clone();
    Mock::given(method("GET"))
        .and(path("/setup"))
        .respond_with(move |_: &Received| {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                login_error(400, "session-and-bearer.json")
            } else {
                setup_ok()
            }
        })
        .mount(&server)
        .await;
    let credentials = Credentials::from_fn(|| async { Ok(Credentials::bearer(TOKEN)) });
    let client = crate::support::client(&server, credentials);
    client.execute(Request::new(&GET_SETUP)).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A 401 whose body is an HTML page or empty still means "not authenticated": the
/// session is renewed once and the call resent once.
#[tokio::test]
async fn a_non_json_401_renews_the_session_once() {
    for body in [&b"<html><body>401 Unauthorized</body></html>"[..], b""] {
        let server = MockServer::start().await;
        mount(&server, "POST", "/login", login_ok(COOKIE)).await;
        let calls = Arc::new(AtomicUsize::new(0));
        let seen = calls.clone();
        let page = body.to_vec();
        Mock::given(method("GET"))
            .and(path("/setup"))
            .and(header("cookie", format!("JSESSIONID={COOKIE}").as_str()))
            .respond_with(move |_: &Received| {
                if seen.fetch_add(1, Ordering::SeqCst) == 1 {
                    ResponseTemplate::new(401).set_body_raw(page.clone(), "text/html")
                } else {
                    setup_ok()
                }
            })
            .mount(&server)
            .await;
        let client = crate::support::client(&server, Credentials::password(USER, PASSWORD));
        client.execute(Request::new(&GET_SETUP)).await.unwrap();
        client.execute(Request::new(&GET_SETUP)).await.unwrap();
        assert_eq!(count(&server, "POST", "/login").await, 2);
        assert_eq!(count(&server, "GET", "/setup").await, 3);
    }
}

/// What a server echoes of the user or of a secret never reaches `Display` or `Debug`.
#[tokio::test]
async fn echoed_secrets_are_masked_in_every_error() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/login", login_ok(COOKIE)).await;
    let echo = format!("Invalid session {COOKIE} for {USER} (password {PASSWORD})");
    mount(
        &server,
        "GET",
        "/setup",
        ResponseTemplate::new(400)
            .set_body_json(json!({"errorCode": "INVALID_FIELD_VALUE", "error": echo})),
    )
    .await;
    let client = crate::support::client(&server, Credentials::password(USER, PASSWORD));
    let error = client.execute(Request::new(&GET_SETUP)).await.unwrap_err();
    let shown = format!("{error} {error:?} {:?}", error.api_error());
    for secret in [COOKIE, USER, PASSWORD] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("Invalid session"), "{shown}");

    // A bearer token echoed by the local API.
    let server = MockServer::start().await;
    mount(
        &server,
        "GET",
        "/setup",
        ResponseTemplate::new(401).set_body_json(
            json!({"errorCode": "RESOURCE_ACCESS_DENIED", "error": format!("Unknown bearer {TOKEN}!")}),
        ),
    )
    .await;
    let client = crate::support::client(&server, Credentials::bearer(TOKEN));
    let error = client.execute(Request::new(&GET_SETUP)).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
}
