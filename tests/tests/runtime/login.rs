//! Sign-in reliability: a burst of calls makes one sign-in whatever its outcome, a
//! refused sign-in starts a cool-down during which nothing is sent, consecutive
//! failures (a login the server accepts but whose session it refuses at once
//! included) double it up to an hour, a caller that gives up never costs a second
//! sign-in, new credentials are never overwritten by an old sign-in, bans and
//! throttled logins are their own kinds, bearer tokens never travel with cookies, and
//! a non-JSON 401 still renews the session once.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::support::*;
use overkiz::{Client, Credentials, Error, ErrorKind, Server};
use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, Request as Received, ResponseTemplate};

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

/// A server whose `POST /login` answers `answer`, and a [`password_client`] of it.
async fn login_answering(answer: ResponseTemplate, cool_down: Duration) -> (MockServer, Client) {
    let server = MockServer::start().await;
    mount(&server, "POST", "/login", answer).await;
    let client = password_client(&server, cool_down);
    (server, client)
}

#[tokio::test]
async fn a_burst_of_calls_makes_one_login_attempt_whatever_its_outcome() {
    // Refused: one attempt, and every call gets its error.
    let (server, client) = login_answering(
        fixture_answer(401, "bad-credentials.json"),
        Duration::from_secs(60),
    )
    .await;
    for result in burst(&client, 20).await {
        let error = result.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadCredentials, "{error:?}");
        assert!(matches!(error, Error::LoginFailed { .. }), "{error:?}");
        assert!(!error.is_retryable());
    }
    assert_eq!(count(&server, "POST", "/login").await, 1);
    assert_eq!(count(&server, "GET", "/setup").await, 0);

    // Unavailable: one attempt sequence (its bounded resends of the form), shared.
    let (server, client) = login_answering(
        fixture_answer(503, "503-empty.html"),
        Duration::from_secs(60),
    )
    .await;
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
    let (server, client) = login_answering(
        fixture_answer(401, "bad-credentials.json"),
        Duration::from_millis(400),
    )
    .await;
    let first = client.login().await.unwrap_err();
    assert_eq!(first.kind(), ErrorKind::BadCredentials);
    assert_eq!(first.retry_after(), Some(Duration::from_millis(400)));

    // During the cool-down: the same typed error, the time left, nothing sent.
    for _ in 0..5 {
        let error = client.request(&GET_SETUP).await.unwrap_err();
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
    skip_time(Duration::from_millis(450)).await;
    client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(count(&server, "POST", "/login").await, 2);
}

#[tokio::test]
async fn the_default_cool_down_is_at_least_a_minute() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/login",
        fixture_answer(401, "unknown-user-account.json"),
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
        fixture_answer(401, "bad-credentials.json"),
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
    client.request(&GET_SETUP).await.unwrap();
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
        let (server, client) = login_answering(
            fixture_answer(status, fixture).insert_header("retry-after", "3600"),
            Duration::from_secs(60),
        )
        .await;
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
/// sets one. (Should the server still see both, the cookies are dropped and the call
/// resent once: a unit test of `generated/src/client.rs` plants the cookie that
/// only a race could put there.)
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
    client.request(&GET_SETUP).await.unwrap();
    client.request(&GET_SETUP).await.unwrap();
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
        client.request(&GET_SETUP).await.unwrap();
        client.request(&GET_SETUP).await.unwrap();
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
    let error = client.request(&GET_SETUP).await.unwrap_err();
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
    let error = client.request(&GET_SETUP).await.unwrap_err();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(TOKEN), "{shown}");
}

/// The server accepts the login, then refuses the session at once: a server that
/// drops sessions, or a `Secure` cookie the client will not send over `http://`.
/// Today's defect was a login per call (21 for 20 calls); now the refused session is
/// a failed sign-in under the cool-down.
#[tokio::test]
async fn a_session_refused_at_once_is_a_failed_sign_in_under_the_cool_down() {
    let secure_cookie = ResponseTemplate::new(200)
        .insert_header(
            "set-cookie",
            format!("JSESSIONID={COOKIE}; Path=/; Secure; HttpOnly").as_str(),
        )
        .set_body_json(json!({"success": true}));
    for (case, login) in [
        ("drops sessions", login_ok(COOKIE)),
        ("Secure cookie", secure_cookie),
    ] {
        let server = MockServer::start().await;
        mount(&server, "POST", "/login", login).await;
        mount(&server, "GET", "/setup", not_authenticated()).await;
        let client = password_client(&server, Duration::from_secs(60));
        for call in 0..20 {
            let error = client.request(&GET_SETUP).await.unwrap_err();
            assert!(
                matches!(error, Error::LoginFailed { .. }),
                "{case}: {error:?}"
            );
            assert_eq!(error.kind(), ErrorKind::NotAuthenticated, "{case}");
            assert!(
                !error.needs_new_credentials(),
                "{case}: not the password's fault"
            );
            let left = error.retry_after().expect("the time left");
            assert!(
                left <= Duration::from_secs(60) && left > Duration::from_secs(59),
                "{case}: {left:?}"
            );
            if call == 0 {
                assert_eq!(left, Duration::from_secs(60), "{case}");
            }
        }
        let logins = count(&server, "POST", "/login").await;
        assert!(logins <= 3, "{case}: {logins} logins for 20 calls");
        assert_eq!(logins, 1, "{case}");
        assert_eq!(count(&server, "GET", "/setup").await, 1, "{case}");

        // After the cool-down: one new login, refused again, and the next cool-down
        // is twice as long.
        skip_time(Duration::from_secs(61)).await;
        let error = client.request(&GET_SETUP).await.unwrap_err();
        assert_eq!(
            error.retry_after(),
            Some(Duration::from_secs(120)),
            "{case}"
        );
        assert_eq!(count(&server, "POST", "/login").await, 2, "{case}");
    }
}

/// A call that succeeds in a new session ends the failure streak: the next expiry
/// renews the session at once, as before.
#[tokio::test]
async fn a_session_that_served_a_call_is_renewed_and_resets_the_streak() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/login", login_ok(COOKIE)).await;
    mount_first(&server, "GET", "/setup", not_authenticated(), 1).await;
    mount(&server, "GET", "/setup", setup_ok()).await;
    let client = password_client(&server, Duration::from_secs(60));
    // The first session is refused at once: a failed sign-in.
    client.request(&GET_SETUP).await.unwrap_err();
    skip_time(Duration::from_secs(61)).await;
    // The second works: the streak ends.
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 2);
    // It expires after serving calls: renewed at once, no cool-down.
    mount_first(&server, "GET", "/setup", not_authenticated(), 1).await;
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 3);
}

/// Consecutive failed sign-ins double the cool-down, from 60 s up to an hour; during
/// it, calls fail at once with the time left and nothing is attempted.
#[tokio::test(start_paused = true)]
async fn consecutive_failures_double_the_cool_down_up_to_an_hour() {
    let flow = TestFlow::refusing(Duration::ZERO);
    let client = flow_client(flow.clone());
    let mut waits = Vec::new();
    for attempt in 1..=9 {
        let error = client.login().await.unwrap_err();
        assert!(matches!(error, Error::LoginFailed { .. }), "{error:?}");
        assert_eq!(flow.sign_ins(), attempt);
        let wait = error.retry_after().expect("a cool-down");
        waits.push(wait.as_secs());
        // Just before its end: the time left, nothing attempted.
        tokio::time::advance(wait - Duration::from_secs(1)).await;
        let error = client.login().await.unwrap_err();
        assert_eq!(error.retry_after(), Some(Duration::from_secs(1)));
        assert_eq!(flow.sign_ins(), attempt);
        tokio::time::advance(Duration::from_secs(1)).await;
    }
    assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
    // reset_login forgets the streak.
    client.reset_login();
    let error = client.login().await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
}

/// The cool-down runs from the end of the sign-in: a sign-in that took longer than
/// the cool-down does not allow another one at once.
#[tokio::test(start_paused = true)]
async fn the_cool_down_runs_from_the_end_of_the_sign_in() {
    let flow = TestFlow::refusing(Duration::from_secs(500));
    let client = flow_client(flow.clone());
    let error = client.login().await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
    let error = client.login().await.unwrap_err();
    assert_eq!(error.retry_after(), Some(Duration::from_secs(60)));
    assert_eq!(
        flow.sign_ins(),
        1,
        "no second sign-in right after a slow refusal"
    );
    tokio::time::advance(Duration::from_secs(60)).await;
    client.login().await.unwrap_err();
    assert_eq!(flow.sign_ins(), 2);
}

/// A wrong password under a running event stream: the stream retries when each
/// cool-down ends, and the cool-downs grow (today's defect: a login a minute,
/// forever).
#[tokio::test(start_paused = true)]
async fn a_wrong_password_under_an_event_stream_backs_off_by_the_growing_cool_down() {
    use futures::StreamExt;
    let flow = TestFlow::refusing(Duration::ZERO);
    let client = flow_client(flow.clone());
    let mut events = client.events();
    for _ in 0..9 {
        let error = events.next().await.expect("endless").unwrap_err();
        assert_eq!(error.kind(), ErrorKind::BadCredentials, "{error:?}");
        assert!(error.needs_new_credentials());
    }
    let started = flow.started();
    let gaps: Vec<u64> = started
        .windows(2)
        .map(|w| (w[1] - w[0]).as_secs())
        .collect();
    assert_eq!(gaps, [60, 120, 240, 480, 960, 1920, 3600, 3600]);
}

/// Refusals only new credentials fix are visible as such; the client still tries
/// again by itself when the cool-down ends (vendors answer "Bad credentials" during
/// maintenance).
#[tokio::test]
async fn refusals_that_need_new_credentials_are_visible_and_still_retried() {
    for (fixture, status, needs_new) in [
        ("bad-credentials.json", 401, true),
        ("unknown-user-account.json", 401, true),
        ("too-many-requests.json", 429, false),
        ("503-empty.html", 503, false),
    ] {
        let (server, client) =
            login_answering(fixture_answer(status, fixture), Duration::from_secs(60)).await;
        let error = client.login().await.unwrap_err();
        assert_eq!(
            error.needs_new_credentials(),
            needs_new,
            "{fixture}: {error:?}"
        );
        let logins = count(&server, "POST", "/login").await;
        skip_time(error.retry_after().expect("a cool-down") + Duration::from_secs(1)).await;
        let error = client.login().await.unwrap_err();
        assert_eq!(error.needs_new_credentials(), needs_new, "{fixture}");
        assert!(
            count(&server, "POST", "/login").await > logins,
            "{fixture}: tried again"
        );
    }
}

/// Callers that give up while the sign-in runs do not cancel it and do not start
/// another: 4 impatient callers and one patient one make one sign-in (today's
/// defect: 5, and a dropped sign-in can burn a one-time code).
#[tokio::test(start_paused = true)]
async fn callers_that_give_up_never_cost_a_second_sign_in() {
    let flow = TestFlow::new(Duration::from_millis(500), |n| {
        // A one-time code: a second exchange would be refused.
        if n == 1 {
            Ok(overkiz::Grant::bearer(TOKEN))
        } else {
            Err(Error::sign_in_service(
                "Test",
                "code",
                ErrorKind::BadCredentials,
                Some(400),
                "invalid_grant",
            ))
        }
    });
    let client = flow_client(flow.clone());
    for _ in 0..4 {
        let impatient = tokio::time::timeout(Duration::from_millis(50), client.login()).await;
        assert!(impatient.is_err(), "timed out");
    }
    client
        .login()
        .await
        .expect("the patient caller gets the sign-in's result");
    assert_eq!(flow.sign_ins(), 1);
    assert_eq!(
        client.tokens().and_then(|g| g.access_token().cloned()),
        Some(overkiz::Secret::new(TOKEN))
    );

    // Even when every caller gave up, the sign-in completes and the next call uses it.
    let flow = TestFlow::new(Duration::from_millis(500), |_| {
        Ok(overkiz::Grant::bearer(TOKEN))
    });
    let client = flow_client(flow.clone());
    assert!(
        tokio::time::timeout(Duration::from_millis(50), client.login())
            .await
            .is_err()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(client.tokens().is_some(), "installed without a waiter");
    assert_eq!(flow.sign_ins(), 1);
}

/// `set_credentials` during a sign-in: the old sign-in installs nothing (no session,
/// no grant told to the application), and the call waiting for it signs in with the
/// new credentials.
#[tokio::test]
async fn new_credentials_are_never_overwritten_by_an_old_sign_in() {
    // The new credentials: another flow, or a static bearer token (no sign-in).
    for flow_b in [true, false] {
        let server = MockServer::start().await;
        with_bearer("token-B")
            .respond_with(setup_ok())
            .mount(&server)
            .await;
        let entered = Arc::new(tokio::sync::Notify::new());
        let release = Arc::new(tokio::sync::Semaphore::new(0));
        let old = Arc::new(GatedFlow {
            token: "token-A",
            entered: entered.clone(),
            release: release.clone(),
        });
        let new = if flow_b {
            Credentials::sign_in_flow(Arc::new(GatedFlow {
                token: "token-B",
                entered: Arc::new(tokio::sync::Notify::new()),
                release: Arc::new(tokio::sync::Semaphore::new(1)),
            }))
        } else {
            Credentials::bearer("token-B")
        };
        let told = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
        let seen = told.clone();
        let client = Client::builder(
            Server::custom(&server.uri()).expect("mock URL"),
            Credentials::sign_in_flow(old),
        )
        .retry_policy(fast_retries())
        .on_tokens_changed(move |grant| {
            let token = grant.access_token().map(|t| t.expose().to_owned());
            seen.lock().unwrap().push(token.unwrap_or_default());
        })
        .build()
        .unwrap();
        let call = tokio::spawn({
            let client = client.clone();
            async move { client.request(&GET_SETUP).await.map(drop) }
        });
        entered.notified().await;
        client.set_credentials(new);
        release.add_permits(1);
        call.await
            .unwrap()
            .expect("signed in with the new credentials");
        client.request(&GET_SETUP).await.unwrap();
        let requests = server.received_requests().await.unwrap();
        assert_eq!(requests.len(), 2, "flow: {flow_b}");
        for request in &requests {
            assert_eq!(
                request.headers.get("authorization").unwrap(),
                "Bearer token-B",
                "flow: {flow_b}"
            );
            assert!(request.headers.get("cookie").is_none());
        }
        let expected: &[&str] = if flow_b { &["token-B"] } else { &[] };
        assert_eq!(*told.lock().unwrap(), expected);
        assert_eq!(client.tokens().is_some(), flow_b);
    }
}

/// A flow that signs in with `token` once `release` gives a permit, saying when it
/// started.
struct GatedFlow {
    token: &'static str,
    entered: Arc<tokio::sync::Notify>,
    release: Arc<tokio::sync::Semaphore>,
}

impl overkiz::SignInFlow for GatedFlow {
    fn name(&self) -> &'static str {
        "Gated"
    }

    fn sign_in<'a>(
        &'a self,
        _ctx: &'a overkiz::SignInContext,
    ) -> futures::future::BoxFuture<'a, Result<overkiz::Grant, Error>> {
        Box::pin(async move {
            self.entered.notify_one();
            self.release.acquire().await.expect("open").forget();
            Ok(overkiz::Grant::bearer(self.token))
        })
    }
}

/// A flow may hand tokens over before its sign-in ends (a one-time code exchanged,
/// then a step that fails): the application is told, whatever happens next.
#[tokio::test]
async fn a_flow_can_hand_tokens_over_before_its_sign_in_ends() {
    struct Exchanging;
    impl overkiz::SignInFlow for Exchanging {
        fn name(&self) -> &'static str {
            "Exchanging"
        }

        fn sign_in<'a>(
            &'a self,
            ctx: &'a overkiz::SignInContext,
        ) -> futures::future::BoxFuture<'a, Result<overkiz::Grant, Error>> {
            Box::pin(async move {
                ctx.tokens_changed(
                    &overkiz::Grant::bearer("early").with_refresh_token("early-refresh"),
                );
                Err(Error::sign_in_service(
                    "Exchanging",
                    "gateway",
                    ErrorKind::Unavailable,
                    Some(503),
                    "down",
                ))
            })
        }
    }
    let told = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = told.clone();
    let client = Client::builder(
        Server::custom("http://127.0.0.1:9/api").unwrap(),
        Credentials::sign_in_flow(Arc::new(Exchanging)),
    )
    .on_tokens_changed(move |grant| {
        let token = grant.refresh_token().map(|t| t.expose().to_owned());
        seen.lock().unwrap().push(token.unwrap_or_default());
    })
    .build()
    .unwrap();
    let error = client.login().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable);
    assert_eq!(*told.lock().unwrap(), ["early-refresh"]);
}
