//! Observability without leaks: one debug span per request with method, path template,
//! status and latency; no password, token, cookie, device URL or query in the logs.
//!
//! This binary holds a single test: the subscriber is scoped to its thread, and a
//! concurrent test hitting the same call sites without it could hide events from it.

#[path = "runtime/support.rs"]
mod runtime_support;

use overkiz::Credentials;
use runtime_support::*;
use serde_json::json;
use wiremock::matchers::{header, method};
use wiremock::{Mock, MockServer, ResponseTemplate};

fn assert_no_secrets(text: &str) {
    for secret in [
        PASSWORD,
        COOKIE,
        TOKEN,
        "userPassword",
        "JSESSIONID",
        DEVICE_URL,
        DEVICE_URL_ENCODED,
        "withStates",
        USER,
    ] {
        assert!(!text.contains(secret), "{secret:?} leaked into:\n{text}");
    }
}

#[tokio::test]
async fn logs_show_templates_status_and_latency_but_no_secret() {
    let server = MockServer::start().await;
    // The first session serves a call, then expires; the second works.
    let old = format!("{COOKIE}-old");
    mount_first(&server, "POST", "/login", login_ok(&old), 1).await;
    mount(&server, "POST", "/login", login_ok(COOKIE)).await;
    let in_old =
        || Mock::given(method("GET")).and(header("cookie", format!("JSESSIONID={old}").as_str()));
    let in_new = || {
        Mock::given(method("GET")).and(header("cookie", format!("JSESSIONID={COOKIE}").as_str()))
    };
    let ok = || ResponseTemplate::new(200).set_body_json(json!({}));
    in_old()
        .respond_with(ok())
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    in_old()
        .respond_with(not_authenticated())
        .mount(&server)
        .await;
    // One transient failure to log a retry.
    in_new()
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    in_new()
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": TOKEN})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ok())
        .mount(&server)
        .await;

    let (logs, _guard) = capture_logs(tracing::Level::TRACE);

    let session = client(&server, Credentials::password(USER, PASSWORD));
    session
        .request(&GET_DEVICE)
        .path_arg(DEVICE_URL)
        .await
        .unwrap();
    session
        .request(&GET_DEVICE)
        .path_arg(DEVICE_URL)
        .query("withStates", "true")
        .await
        .unwrap();
    let bearer = client(&server, Credentials::bearer(TOKEN));
    bearer
        .request(&GET_DEVICE)
        .path_arg(DEVICE_URL)
        .await
        .unwrap();
    // A failed login must not log its form either.
    let refused = client_with(
        &MockServer::start().await,
        Credentials::password(USER, PASSWORD),
        overkiz::RetryPolicy::disabled(),
    );
    refused.request(&GET_SETUP).await.unwrap_err();

    let text = logs.text();
    assert_no_secrets(&text);
    // What is logged: one span per request with method, template, status, latency.
    assert!(text.contains("overkiz_request"), "{text}");
    assert!(text.contains("/setup/devices/{deviceURL}"), "{text}");
    assert!(
        text.contains("path=\"/login\"") || text.contains("path=/login"),
        "{text}"
    );
    assert!(
        text.contains("method=\"GET\"") || text.contains("method=GET"),
        "{text}"
    );
    assert!(text.contains("status=200"), "{text}");
    assert!(text.contains("status=401"), "{text}");
    assert!(text.contains("status=503"), "{text}");
    assert!(text.contains("latency_ms="), "{text}");
    assert!(text.contains("resending"), "{text}");
    assert!(text.contains("signing in again"), "{text}");
    // Everything is at debug level or below: nothing for an info-level subscriber.
    assert!(
        !text.contains(" INFO ") && !text.contains(" WARN ") && !text.contains(" ERROR "),
        "{text}"
    );
}
