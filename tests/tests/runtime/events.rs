//! The event stream against answers the simulator does not give: a registration
//! answer without an id, and a `Retry-After` too large for any clock; and the default
//! fetch interval. (The stream's flows, listeners lost and renewed, outages and
//! drops, run against the simulator in `simulated.rs`.)

use std::time::Duration;

use crate::support::*;
use futures::StreamExt;
use overkiz::{operations, Credentials, ErrorKind, EventStreamConfig, RetryPolicy};
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

fn listener(id: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "id": id }))
}

#[test]
fn the_default_interval_is_the_documented_rate_limit() {
    let limit = operations::POST_EVENTS_BY_LISTENER_ID_FETCH
        .rate_limit
        .expect("the fetch has a documented rate limit");
    assert_eq!(limit.min_interval(), Duration::from_secs(1));
    assert_eq!(
        EventStreamConfig::default().fetch_interval(),
        limit.min_interval()
    );
}

#[tokio::test]
async fn a_registration_answer_without_id_is_an_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/events/register",
        ResponseTemplate::new(200).set_body_json(json!({})),
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events();
    let error = events.register().await.expect_err("no id");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(events.listener_id(), None);
}

/// `Retry-After: 18446744073709551615` on a fetch must not overflow the back-off: the
/// error is yielded, the wait capped, and the stream goes on.
#[tokio::test]
async fn a_huge_retry_after_is_capped() {
    let server = MockServer::start().await;
    mount(&server, "POST", "/events/register", listener("l1")).await;
    let throttled = fixture_answer(429, "too-many-requests.json")
        .insert_header("retry-after", "18446744073709551615");
    mount_first(&server, "POST", "/events/l1/fetch", throttled, 1).await;
    let event =
        json!([{"name": "GatewayAliveEvent", "gatewayId": "1234-5678-9012", "timestamp": 1}]);
    mount(
        &server,
        "POST",
        "/events/l1/fetch",
        ResponseTemplate::new(200).set_body_json(event),
    )
    .await;
    let client = client_with(&server, Credentials::bearer(TOKEN), RetryPolicy::disabled());
    let config = EventStreamConfig::default()
        .with_fetch_interval(Duration::from_millis(10))
        .with_max_wait(Duration::from_millis(50));
    let mut events = client.events_with(config);
    let within = Duration::from_secs(5);
    let error = tokio::time::timeout(within, events.next())
        .await
        .expect("an item")
        .expect("endless")
        .expect_err("throttled");
    assert_eq!(error.kind(), ErrorKind::TooManyRequests);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(24 * 3600)));
    let event = tokio::time::timeout(within, events.next())
        .await
        .expect("the capped wait is short")
        .expect("endless")
        .expect("an event");
    assert_eq!(event.name(), "GatewayAliveEvent");
}
