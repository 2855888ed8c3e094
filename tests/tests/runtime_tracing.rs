//! Observability without leaks: one debug span per request with method, path template,
//! status and latency; no password, token, cookie, device URL or query in the logs.
//!
//! This binary holds a single test: the subscriber is scoped to its thread, and a
//! concurrent test hitting the same call sites without it could hide events from it.

#[path = "runtime/support.rs"]
mod runtime_support;

use std::io::Write;
use std::sync::{Arc, Mutex};

use overkiz::Credentials;
use runtime_support::*;
use serde_json::json;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::fmt::MakeWriter;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A log writer into memory.
#[derive(Clone, Default)]
struct Buffer(Arc<Mutex<Vec<u8>>>);

impl Write for Buffer {
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

impl<'a> MakeWriter<'a> for Buffer {
    type Writer = Buffer;
    fn make_writer(&'a self) -> Buffer {
        self.clone()
    }
}

impl Buffer {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).into_owned()
    }
}

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
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "set-cookie",
                    format!("JSESSIONID={COOKIE}-old; Path=/").as_str(),
                )
                .set_body_json(json!({"success": true})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header(
                    "set-cookie",
                    format!("JSESSIONID={COOKIE}; Path=/").as_str(),
                )
                .set_body_json(json!({"success": true})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header(
            "cookie",
            format!("JSESSIONID={COOKIE}-old").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header(
            "cookie",
            format!("JSESSIONID={COOKIE}-old").as_str(),
        ))
        .respond_with(ResponseTemplate::new(401).set_body_raw(
            error_fixture("401-not-authenticated.json"),
            "application/json",
        ))
        .mount(&server)
        .await;
    // One transient failure to log a retry.
    Mock::given(method("GET"))
        .and(header("cookie", format!("JSESSIONID={COOKIE}").as_str()))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("cookie", format!("JSESSIONID={COOKIE}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"token": TOKEN})))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(header("authorization", format!("Bearer {TOKEN}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;

    let logs = Buffer::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(logs.clone())
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_span_events(FmtSpan::NEW | FmtSpan::CLOSE)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let session = client(&server, Credentials::password(USER, PASSWORD));
    session
        .request(&GET_DEVICE)
        .path_arg(DEVICE_URL)
        .await
        .unwrap();
    session
        .request(&GET_DEVICE)
        .path_arg(DEVICE_URL)
        .query("withStates", "true").await.unwrap();
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
