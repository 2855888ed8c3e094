//! Signing in: session cookie login and reuse, the other login forms, bearer tokens,
//! token sources, lazy login, the one-time renewal of an expired session, and no
//! secret in any Debug output.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use overkiz::{Client, Credentials, Error, ErrorKind, Server};
use serde_json::json;
use wiremock::matchers::{body_string, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A token source giving `make(n)` for its `n`th call (1, 2, ...), and the number of
/// calls so far.
fn counting_source(
    make: impl Fn(usize) -> Credentials + Send + Sync + 'static,
) -> (Arc<AtomicUsize>, Credentials) {
    let calls = Arc::new(AtomicUsize::new(0));
    let counter = calls.clone();
    let credentials = Credentials::from_fn(move || {
        let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
        let credentials = make(n);
        async move { Ok(credentials) }
    });
    (calls, credentials)
}

/// The first login opens `old-session`, later ones `new-session` (answered after
/// `delay`); `old-session` serves one call, then expires; `new-session` works.
async fn mount_one_renewal(server: &MockServer, delay: Duration) {
    mount_first(server, "POST", "/login", login_ok("old-session"), 1).await;
    mount(
        server,
        "POST",
        "/login",
        login_ok("new-session").set_delay(delay),
    )
    .await;
    mount_session_that_expires_after_one_call(server, "old-session").await;
    in_session("new-session")
        .respond_with(setup_ok())
        .mount(server)
        .await;
}

/// `GET /setup` in session `cookie` answers once, then says "Not authenticated": a
/// session that worked, then expired (a session refused before its first call counts
/// as a failed sign-in instead, see `login.rs`).
async fn mount_session_that_expires_after_one_call(server: &MockServer, cookie: &str) {
    in_session(cookie)
        .respond_with(setup_ok())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(server)
        .await;
    in_session(cookie)
        .respond_with(not_authenticated())
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn password_login_sets_a_cookie_that_the_next_calls_reuse() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(body_string(format!(
            "userId=user%40example.com&userPassword={PASSWORD}"
        )))
        .respond_with(login_ok(COOKIE))
        .expect(1)
        .mount(&server)
        .await;
    in_session(COOKIE)
        .respond_with(setup_ok())
        .expect(3)
        .mount(&server)
        .await;

    let client = client(&server, Credentials::password(USER, PASSWORD));
    // Nothing is sent before the first call.
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
    let first: serde_json::Value = client.request(&GET_SETUP).await.unwrap().json().unwrap();
    assert_eq!(first["devices"], json!([]));
    client.request(&GET_SETUP).await.unwrap();
    // Clones share the session.
    client.clone().request(&GET_SETUP).await.unwrap();

    assert_eq!(count(&server, "POST", "/login").await, 1);
    for request in server.received_requests().await.unwrap_or_default() {
        // Credentials travel in the body only, never in the URL, and no bearer is sent.
        assert_eq!(request.url.query(), None);
        assert!(!request.headers.contains_key("authorization"));
    }
}

#[tokio::test]
async fn the_other_login_forms() {
    let cases = [
        (Credentials::sso_token(USER, "sso-SECRET"), "userId=user%40example.com&ssoToken=sso-SECRET"),
        (Credentials::access_token("oauth-SECRET"), "accessToken=oauth-SECRET"),
        (Credentials::jwt("jwt-SECRET"), "jwt=jwt-SECRET"),
        (
            Credentials::password(USER, "pw")
                .with_application_id("app")
                .with_api_key("key-SECRET")
                .with_setup_oid("setup-1"),
            "userId=user%40example.com&userPassword=pw&applicationId=app&apiKey=key-SECRET&setupOID=setup-1",
        ),
    ];
    for (credentials, form) in cases {
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/login"))
            .and(body_string(form))
            .respond_with(login_ok(COOKIE))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/setup"))
            .respond_with(setup_ok())
            .expect(1)
            .mount(&server)
            .await;
        client(&server, credentials)
            .request(&GET_SETUP)
            .await
            .unwrap_or_else(|e| panic!("{form}: {e}"));
    }
}

#[tokio::test]
async fn bearer_token_is_sent_on_every_call_without_login_or_cookies() {
    let server = MockServer::start().await;
    with_bearer(TOKEN)
        // A gateway setting a cookie must not make the client send it back: the server
        // refuses requests with both a session and a bearer token.
        .respond_with(setup_ok().insert_header("set-cookie", "JSESSIONID=unwanted; Path=/"))
        .expect(2)
        .mount(&server)
        .await;

    let client = client(&server, Credentials::bearer(TOKEN));
    client.request(&GET_SETUP).await.unwrap();
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 0);
    for request in server.received_requests().await.unwrap_or_default() {
        assert!(!request.headers.contains_key("cookie"), "{request:?}");
    }
}

#[tokio::test]
async fn an_invalid_bearer_token_is_not_renewed() {
    let server = MockServer::start().await;
    mount(&server, "GET", "/setup", not_authenticated()).await;
    let error = client(&server, Credentials::bearer(TOKEN))
        .request(&GET_SETUP)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotAuthenticated);
    assert_eq!(count(&server, "GET", "/setup").await, 1);
    assert_eq!(count(&server, "POST", "/login").await, 0);
}

#[tokio::test]
async fn expired_session_logs_in_again_once_and_succeeds() {
    let server = MockServer::start().await;
    mount_one_renewal(&server, Duration::ZERO).await;

    let client = client(&server, Credentials::password(USER, PASSWORD));
    client.request(&GET_SETUP).await.unwrap();
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 2);
    assert_eq!(count(&server, "GET", "/setup").await, 3);

    // The new session is kept.
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 2);
}

#[tokio::test]
async fn a_second_not_authenticated_is_returned_not_looped() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/login", login_ok(COOKIE)).await;
    mount_session_that_expires_after_one_call(&server, COOKIE).await;

    let client = client(&server, Credentials::password(USER, PASSWORD));
    client.request(&GET_SETUP).await.unwrap();
    // Expired: one new login, whose session is refused at once too. That is a
    // failed sign-in: the error says so, and the next call sends nothing.
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert!(matches!(error, Error::LoginFailed { .. }), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::NotAuthenticated);
    assert_eq!(error.status(), Some(401));
    assert_eq!(count(&server, "POST", "/login").await, 2);
    assert_eq!(count(&server, "GET", "/setup").await, 3);
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert!(error.retry_after().is_some(), "{error:?}");
    assert_eq!(count(&server, "POST", "/login").await, 2);
    assert_eq!(count(&server, "GET", "/setup").await, 3);
}

#[tokio::test]
async fn expired_session_is_renewed_for_non_idempotent_calls_too() {
    // "Not authenticated" means the call was not executed, so resending a POST is safe.
    let server = MockServer::start().await;
    mount(&server, "POST", "/login", login_ok(COOKIE)).await;
    mount_first(&server, "POST", "/exec/apply", not_authenticated(), 1).await;
    let launched = ResponseTemplate::new(200).set_body_json(json!({"execId": "e-1"}));
    mount(&server, "POST", "/exec/apply", launched).await;
    mount(&server, "GET", "/setup", setup_ok()).await;
    let client = client(&server, Credentials::password(USER, PASSWORD));
    // The session works first (a session refused at once is a failed sign-in).
    client.request(&GET_SETUP).await.unwrap();
    let answer: serde_json::Value = client
        .request(&POST_EXEC_APPLY)
        .json(&json!({"actions": []}))
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(answer["execId"], "e-1");
    assert_eq!(count(&server, "POST", "/login").await, 2);
    assert_eq!(count(&server, "POST", "/exec/apply").await, 2);
}

#[tokio::test]
async fn concurrent_first_calls_share_one_login() {
    let server = MockServer::start().await;
    let slow_login = login_ok(COOKIE).set_delay(Duration::from_millis(100));
    mount(&server, "POST", "/login", slow_login).await;
    mount(&server, "GET", "/setup", setup_ok()).await;

    let client = client(&server, Credentials::password(USER, PASSWORD));
    for call in burst(&client, 5).await {
        call.expect("call");
    }
    assert_eq!(count(&server, "POST", "/login").await, 1);
    assert_eq!(count(&server, "GET", "/setup").await, 5);
}

#[tokio::test]
async fn concurrent_expired_calls_renew_the_session_once() {
    let server = MockServer::start().await;
    mount_one_renewal(&server, Duration::from_millis(100)).await;

    let client = client(&server, Credentials::password(USER, PASSWORD));
    client.request(&GET_SETUP).await.unwrap();
    for call in burst(&client, 4).await {
        call.expect("call");
    }
    assert_eq!(count(&server, "POST", "/login").await, 2);
}

#[tokio::test]
async fn explicit_login_checks_credentials_up_front() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/login", login_ok(COOKIE)).await;
    mount(&server, "GET", "/setup", setup_ok()).await;
    let client = client(&server, Credentials::password(USER, PASSWORD));
    client.login().await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 1);
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 1);

    // Nothing to do for a bearer token.
    let bearer = crate::support::client(&server, Credentials::bearer(TOKEN));
    bearer.login().await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 1);
}

#[tokio::test]
async fn bad_credentials_fail_the_call_at_login() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/login",
        fixture_answer(401, "bad-credentials.json"),
    )
    .await;
    let client = client(&server, Credentials::password(USER, PASSWORD));
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadCredentials);
    assert_eq!(error.operation().map(|op| op.path), Some("/login"));
    assert_eq!(count(&server, "GET", "/setup").await, 0);
    // Not retried: the login is tried again on the next call only.
    assert_eq!(count(&server, "POST", "/login").await, 1);
    assert!(!error.to_string().contains(PASSWORD));
    assert!(!format!("{error:?}").contains(PASSWORD));
}

#[tokio::test]
async fn a_refused_login_without_error_status_is_an_error() {
    let server = MockServer::start().await;
    let refused = ResponseTemplate::new(200).set_body_json(json!({"success": false}));
    mount(&server, "POST", "/login", refused).await;
    let error = client(&server, Credentials::password(USER, PASSWORD))
        .request(&GET_SETUP)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AuthenticationFailed);
}

#[tokio::test]
async fn token_source_login_form_is_posted_lazily_and_renewed() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .and(body_string("jwt=vendor-jwt-1"))
        .respond_with(login_ok("old-session"))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .and(body_string("jwt=vendor-jwt-2"))
        .respond_with(login_ok("new-session"))
        .mount(&server)
        .await;
    mount_session_that_expires_after_one_call(&server, "old-session").await;
    in_session("new-session")
        .respond_with(setup_ok())
        .mount(&server)
        .await;

    let (calls, credentials) = counting_source(|n| Credentials::jwt(format!("vendor-jwt-{n}")));
    let client = client(&server, credentials);
    assert_eq!(calls.load(Ordering::SeqCst), 0, "sign-in is lazy");
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(count(&server, "POST", "/login").await, 2);
}

#[tokio::test]
async fn token_source_bearer_is_refreshed_when_rejected() {
    let server = MockServer::start().await;
    with_bearer("token-1")
        .respond_with(setup_ok())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    with_bearer("token-1")
        .respond_with(not_authenticated())
        .with_priority(2)
        .mount(&server)
        .await;
    with_bearer("token-2")
        .respond_with(setup_ok())
        .mount(&server)
        .await;
    let (calls, credentials) = counting_source(|n| Credentials::bearer(format!("token-{n}")));
    let client = client(&server, credentials);
    for _ in 0..3 {
        client.request(&GET_SETUP).await.unwrap();
    }
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(count(&server, "POST", "/login").await, 0);
}

#[tokio::test]
async fn a_failing_token_source_is_reported() {
    let server = MockServer::start().await;
    let credentials = Credentials::from_fn(|| async { Err("vendor sign-in refused".into()) });
    let error = client(&server, credentials)
        .request(&GET_SETUP)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TokenSource);
    assert!(
        error.to_string().contains("vendor sign-in refused"),
        "{error}"
    );
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn debug_output_of_clients_builders_errors_and_requests_hides_secrets() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/login",
        fixture_answer(401, "bad-credentials.json"),
    )
    .await;

    let credentials = [
        Credentials::password(USER, PASSWORD),
        Credentials::sso_token(USER, TOKEN),
        Credentials::access_token(TOKEN),
        Credentials::jwt(TOKEN),
        Credentials::bearer(TOKEN),
        Credentials::password(USER, "pw").with_api_key(TOKEN),
        Credentials::from_fn(|| async { Ok(Credentials::bearer(TOKEN)) }),
    ];
    for creds in credentials {
        let builder = Client::builder(Server::custom(&server.uri()).unwrap(), creds.clone());
        let client = builder.build().unwrap();
        let builder = Client::builder(Server::somfy_europe(), creds.clone());
        let error = client.request(&GET_SETUP).await.err();
        let text = format!(
            "{creds:?}\n{creds:#?}\n{builder:?}\n{client:?}\n{client:#?}\n{error:?}\n{:?}",
            error.as_ref().map(|e| e.to_string())
        );
        for secret in [PASSWORD, TOKEN, COOKIE] {
            assert!(!text.contains(secret), "{secret:?} leaked into:\n{text}");
        }
    }

    let client = Client::new(Server::somfy_europe(), Credentials::none()).unwrap();
    let form = client
        .request(&POST_LOGIN_FORM)
        .form([("userPassword", PASSWORD)]);
    assert!(!format!("{form:?}").contains(PASSWORD));
    let query = client
        .request(&POST_LOGIN_FORM)
        .query(String::from("userPassword"), PASSWORD);
    assert!(!format!("{query:?}").contains(PASSWORD));
    assert!(!format!("{:?}", overkiz::Secret::new(PASSWORD)).contains(PASSWORD));
}
