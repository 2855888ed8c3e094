//! The event stream (`Client::events`) against a local server: events in order across
//! fetches, re-registration when the listener expires (nothing fetched lost or
//! repeated, and the gap reported), fetch interval, errors yielded without ending the
//! stream, back-off, and the listener unregistered when the stream is dropped.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::support::*;
use futures::StreamExt;
use overkiz::{
    operations, Credentials, Error, ErrorKind, Event, EventStream, EventStreamConfig, GapReason,
    RetryPolicy,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// Answers with the given responses in turn, then with the last one forever, and
/// records when each request arrived.
#[derive(Clone)]
struct Sequence {
    answers: Arc<Mutex<VecDeque<ResponseTemplate>>>,
    last: ResponseTemplate,
    arrivals: Arc<Mutex<Vec<Instant>>>,
}

impl Sequence {
    fn new(answers: Vec<ResponseTemplate>, then: ResponseTemplate) -> Sequence {
        Sequence {
            answers: Arc::new(Mutex::new(answers.into())),
            last: then,
            arrivals: Arc::default(),
        }
    }

    fn arrivals(&self) -> Vec<Instant> {
        self.arrivals.lock().unwrap().clone()
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        self.arrivals.lock().unwrap().push(Instant::now());
        let next = self.answers.lock().unwrap().pop_front();
        next.unwrap_or_else(|| self.last.clone())
    }
}

fn json(value: &serde_json::Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(value)
}

fn no_events() -> ResponseTemplate {
    json(&serde_json::json!([]))
}

fn listener(id: &str) -> ResponseTemplate {
    json(&serde_json::json!({ "id": id }))
}

/// The real fetch answer of `tests/fixtures/event/cloud_events.json`, as JSON values.
fn fixture_events() -> Vec<serde_json::Value> {
    let path = format!(
        "{}/fixtures/event/cloud_events.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    serde_json::from_str(&text).expect("fixture is a JSON array")
}

fn decode(values: &[serde_json::Value]) -> Vec<Event> {
    values
        .iter()
        .map(|v| serde_json::from_value(v.clone()).expect("event decodes"))
        .collect()
}

/// Fast settings for tests.
fn fast() -> EventStreamConfig {
    EventStreamConfig::default()
        .with_fetch_interval(Duration::from_millis(10))
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(100))
}

async fn mount_register(server: &MockServer, answers: Vec<ResponseTemplate>) {
    let last = answers
        .last()
        .cloned()
        .unwrap_or_else(|| listener("l-last"));
    Mock::given(method("POST"))
        .and(path("/events/register"))
        .respond_with(Sequence::new(answers, last))
        .mount(server)
        .await;
}

async fn mount_fetch(server: &MockServer, id: &str, answers: Vec<ResponseTemplate>) -> Sequence {
    let sequence = Sequence::new(answers, no_events());
    Mock::given(method("POST"))
        .and(path(format!("/events/{id}/fetch")))
        .respond_with(sequence.clone())
        .mount(server)
        .await;
    sequence
}

async fn mount_unregister(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path_regex_unregister())
        .respond_with(ResponseTemplate::new(200))
        .mount(server)
        .await;
}

fn path_regex_unregister() -> wiremock::matchers::PathRegexMatcher {
    wiremock::matchers::path_regex(r"^/events/[^/]+/unregister$")
}

/// The next `n` items of `events`, each within 5 s.
async fn take(events: &mut EventStream, n: usize) -> Vec<Result<Event, overkiz::Error>> {
    let mut items = Vec::with_capacity(n);
    for i in 0..n {
        let item = tokio::time::timeout(Duration::from_secs(5), events.next())
            .await
            .unwrap_or_else(|_| panic!("item {i} did not arrive"))
            .expect("the stream never ends");
        items.push(item);
    }
    items
}

async fn take_events(events: &mut EventStream, n: usize) -> Vec<Event> {
    take(events, n)
        .await
        .into_iter()
        .map(|item| item.expect("an event, not an error"))
        .collect()
}

/// Asserts that nothing more comes out of the stream for a while.
async fn assert_quiet(events: &mut EventStream) {
    let extra = tokio::time::timeout(Duration::from_millis(150), events.next()).await;
    assert!(extra.is_err(), "unexpected item: {extra:?}");
}

/// Waits until the server received `count` requests to `method path`.
async fn wait_for_requests(server: &MockServer, verb: &str, route: &str, expected: usize) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(server, verb, route).await < expected {
        assert!(Instant::now() < deadline, "no {verb} {route} within 5 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn events_flow_in_order_across_fetches() {
    let server = MockServer::start().await;
    let values = fixture_events();
    assert_eq!(values.len(), 16);
    mount_register(&server, vec![listener("l1")]).await;
    let fetches = mount_fetch(
        &server,
        "l1",
        vec![
            json(&serde_json::json!(values[..5])),
            no_events(),
            json(&serde_json::json!(values[5..6])),
            json(&serde_json::json!(values[6..])),
        ],
    )
    .await;
    mount_unregister(&server).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());
    assert_eq!(events.listener_id(), None, "registers lazily");

    let received = take_events(&mut events, 16).await;
    assert_eq!(received, decode(&values));
    let names: Vec<&str> = received.iter().map(Event::name).collect();
    assert_eq!(
        names[7..9],
        ["ExecutionRegisteredEvent", "ExecutionStateChangedEvent"]
    );
    assert!(matches!(received[15], Event::ExecutionStateChanged(_)));
    assert_eq!(events.listener_id().as_deref(), Some("l1"));
    assert_quiet(&mut events).await;
    assert_eq!(count(&server, "POST", "/events/register").await, 1);
    assert!(fetches.arrivals().len() >= 4);
}

/// The listener expires mid-stream (with either error the server uses for it): the
/// stream reports the gap, registers a new one and goes on, without losing or
/// repeating the events it fetched.
#[tokio::test]
async fn expired_listener_is_registered_again_without_loss_or_duplicates() {
    for fixture in [
        "no-registered-event-listener.json",
        "invalid-event-listener-id.json",
    ] {
        let server = MockServer::start().await;
        let values = fixture_events();
        let expired = ResponseTemplate::new(400).set_body_bytes(error_fixture(fixture));
        mount_register(&server, vec![listener("l1"), listener("l2")]).await;
        let first = mount_fetch(
            &server,
            "l1",
            vec![
                json(&serde_json::json!(values[..4])),
                json(&serde_json::json!(values[4..9])),
                expired.clone(),
            ],
        )
        .await;
        let second = mount_fetch(
            &server,
            "l2",
            vec![no_events(), json(&serde_json::json!(values[9..]))],
        )
        .await;
        mount_unregister(&server).await;
        let client = client(&server, Credentials::bearer(TOKEN));
        let mut events = client.events_with(fast());

        let mut items = take(&mut events, 17).await;
        let gap = items
            .remove(9)
            .expect_err("the gap comes after the events fetched");
        assert!(
            matches!(
                gap,
                Error::EventsLost {
                    reason: GapReason::ListenerLost
                }
            ),
            "{fixture}: {gap:?}"
        );
        assert_eq!(gap.kind(), ErrorKind::EventsLost);
        let received: Vec<Event> = items.into_iter().map(|i| i.expect("an event")).collect();
        assert_eq!(received, decode(&values), "{fixture}");
        assert_quiet(&mut events).await;
        assert_eq!(events.listener_id().as_deref(), Some("l2"), "{fixture}");
        assert_eq!(
            count(&server, "POST", "/events/register").await,
            2,
            "{fixture}"
        );
        assert_eq!(
            first.arrivals().len(),
            3,
            "{fixture}: the dead listener is not fetched again"
        );
        assert!(second.arrivals().len() >= 2, "{fixture}");
        // The dead listener is not unregistered: only the live one, on drop.
        drop(events);
        wait_for_requests(&server, "POST", "/events/l2/unregister", 1).await;
        assert_eq!(count(&server, "POST", "/events/l1/unregister").await, 0);
    }
}

#[tokio::test]
async fn fetches_are_spaced_by_the_configured_interval() {
    let interval = Duration::from_millis(150);
    let server = MockServer::start().await;
    mount_register(&server, vec![listener("l1")]).await;
    let fetches = mount_fetch(&server, "l1", Vec::new()).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast().with_fetch_interval(interval));

    // Nothing to yield: the stream keeps fetching empty answers.
    let nothing = tokio::time::timeout(Duration::from_millis(800), events.next()).await;
    assert!(nothing.is_err(), "{nothing:?}");
    let arrivals = fetches.arrivals();
    assert!(
        (2..=6).contains(&arrivals.len()),
        "{} fetches in 800 ms",
        arrivals.len()
    );
    for pair in arrivals.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(gap >= interval, "two fetches {gap:?} apart");
    }
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

/// Other failures are yielded as `Err` items; the stream backs off, keeps its listener
/// and goes on.
#[tokio::test]
async fn errors_are_yielded_and_the_stream_goes_on_after_a_backoff() {
    let backoff = Duration::from_millis(300);
    let server = MockServer::start().await;
    let values = fixture_events();
    mount_register(&server, vec![listener("l1")]).await;
    let fetches = mount_fetch(
        &server,
        "l1",
        vec![
            json(&serde_json::json!(values[..1])),
            ResponseTemplate::new(503).set_body_bytes(error_fixture("503-maintenance.html")),
            ResponseTemplate::new(429).set_body_bytes(error_fixture("too-many-requests.json")),
            json(&serde_json::json!(values[1..2])),
        ],
    )
    .await;
    // The stream's own back-off, without the client's resends.
    let client = client_with(&server, Credentials::bearer(TOKEN), RetryPolicy::disabled());
    let config = fast()
        .with_initial_backoff(backoff)
        .with_max_backoff(Duration::from_secs(2));
    let mut events = client.events_with(config);

    let items = take(&mut events, 4).await;
    assert_eq!(items[0].as_ref().ok(), decode(&values[..1]).first());
    let first_error = items[1].as_ref().expect_err("maintenance");
    assert_eq!(first_error.kind(), ErrorKind::Maintenance);
    let second_error = items[2].as_ref().expect_err("throttled");
    assert_eq!(second_error.kind(), ErrorKind::TooManyRequests);
    assert_eq!(items[3].as_ref().ok(), decode(&values[1..2]).first());
    assert_eq!(count(&server, "POST", "/events/register").await, 1);

    // After each failure the next call waits for the back-off, doubled the second time.
    let arrivals = fetches.arrivals();
    assert!(
        arrivals[2] - arrivals[1] >= backoff,
        "{:?}",
        arrivals[2] - arrivals[1]
    );
    assert!(
        arrivals[3] - arrivals[2] >= backoff * 2,
        "{:?}",
        arrivals[3] - arrivals[2]
    );
}

/// A failed registration is an error item; the stream registers again later.
#[tokio::test]
async fn failed_registration_is_yielded_then_retried() {
    let server = MockServer::start().await;
    let values = fixture_events();
    mount_register(
        &server,
        vec![
            ResponseTemplate::new(503).set_body_bytes(error_fixture("503-empty.html")),
            listener("l1"),
        ],
    )
    .await;
    mount_fetch(&server, "l1", vec![json(&serde_json::json!(values[..2]))]).await;
    let client = client_with(&server, Credentials::bearer(TOKEN), RetryPolicy::disabled());
    let mut events = client.events_with(fast());

    let items = take(&mut events, 3).await;
    assert_eq!(
        items[0].as_ref().expect_err("503").kind(),
        ErrorKind::Unavailable
    );
    assert_eq!(
        items[1..]
            .iter()
            .map(|item| item.as_ref().expect("event").clone())
            .collect::<Vec<_>>(),
        decode(&values[..2])
    );
    assert_eq!(count(&server, "POST", "/events/register").await, 2);
}

/// A listener gone before its first fetch (another listener on the same session) is
/// reported, as an error and as a gap, instead of being replaced silently in a loop.
#[tokio::test]
async fn listener_gone_right_after_registration_is_reported() {
    let server = MockServer::start().await;
    let values = fixture_events();
    let gone = ResponseTemplate::new(400)
        .set_body_bytes(error_fixture("no-registered-event-listener.json"));
    mount_register(&server, vec![listener("l1"), listener("l2")]).await;
    mount_fetch(&server, "l1", vec![gone]).await;
    mount_fetch(&server, "l2", vec![json(&serde_json::json!(values[..1]))]).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());

    let items = take(&mut events, 3).await;
    let error = items[0].as_ref().expect_err("listener gone");
    assert_eq!(error.kind(), ErrorKind::NoRegisteredEventListener);
    assert_eq!(
        items[1].as_ref().expect_err("gap").kind(),
        ErrorKind::EventsLost
    );
    assert_eq!(items[2].as_ref().ok(), decode(&values[..1]).first());
    assert_eq!(count(&server, "POST", "/events/register").await, 2);
}

#[tokio::test]
async fn dropping_the_stream_unregisters_its_listener() {
    let server = MockServer::start().await;
    let values = fixture_events();
    mount_register(&server, vec![listener("l1")]).await;
    mount_fetch(&server, "l1", vec![json(&serde_json::json!(values[..1]))]).await;
    mount_unregister(&server).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());
    take_events(&mut events, 1).await;
    drop(events);
    wait_for_requests(&server, "POST", "/events/l1/unregister", 1).await;

    // A stream that never registered sends nothing on drop.
    let unused = client.events();
    drop(unused);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let unregisters = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().ends_with("/unregister"))
        .count();
    assert_eq!(unregisters, 1);
}

#[tokio::test]
async fn unregister_now_then_drop_sends_nothing_more() {
    let server = MockServer::start().await;
    mount_register(&server, vec![listener("l1"), listener("l2")]).await;
    mount_unregister(&server).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());
    events
        .unregister()
        .await
        .expect("nothing to unregister yet");
    assert_eq!(count(&server, "POST", "/events/l1/unregister").await, 0);
    events.register().await.expect("registers");
    events.unregister().await.expect("unregisters");
    assert_eq!(count(&server, "POST", "/events/l1/unregister").await, 1);
    assert_eq!(events.listener_id(), None);
    events.register().await.expect("registers again");
    assert_eq!(events.listener_id().as_deref(), Some("l2"));
    events.unregister().await.expect("unregisters");
    drop(events);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let unregisters = server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .filter(|r| r.url.path().ends_with("/unregister"))
        .count();
    assert_eq!(unregisters, 2);
}

#[tokio::test]
async fn register_now_then_stream() {
    let server = MockServer::start().await;
    let values = fixture_events();
    mount_register(&server, vec![listener("l1")]).await;
    mount_fetch(&server, "l1", vec![json(&serde_json::json!(values[..3]))]).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());
    events.register().await.expect("registers");
    events
        .register()
        .await
        .expect("already registered: no call");
    assert_eq!(events.listener_id().as_deref(), Some("l1"));
    assert_eq!(count(&server, "POST", "/events/register").await, 1);
    assert_eq!(take_events(&mut events, 3).await, decode(&values[..3]));
    assert_eq!(count(&server, "POST", "/events/register").await, 1);
}

#[tokio::test]
async fn a_registration_answer_without_id_is_an_error() {
    let server = MockServer::start().await;
    mount_register(&server, vec![json(&serde_json::json!({}))]).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());
    let error = events.register().await.expect_err("no id");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(events.listener_id(), None);
}

#[tokio::test]
async fn stream_debug_output_hides_the_listener_id() {
    let server = MockServer::start().await;
    mount_register(&server, vec![listener("listener-SECRET-id")]).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());
    events.register().await.expect("registers");
    let debug = format!("{events:?}");
    assert!(debug.contains("registered: true"), "{debug}");
    assert!(!debug.contains("SECRET"), "{debug}");
}

/// The client signs in again (here because another call found the session expired):
/// the listener died with the old session, so the stream reports the gap and
/// registers a new one without fetching the dead one again.
#[tokio::test]
async fn a_session_renewal_is_reported_as_a_gap() {
    let server = MockServer::start().await;
    let values = fixture_events();
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "JSESSIONID=s; Path=/")
                .set_body_json(serde_json::json!({"success": true})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/setup"))
        .respond_with(Sequence::new(
            vec![ResponseTemplate::new(401)
                .set_body_bytes(error_fixture("401-not-authenticated.json"))],
            json(&serde_json::json!({"devices": []})),
        ))
        .mount(&server)
        .await;
    mount_register(&server, vec![listener("l1"), listener("l2")]).await;
    let first = mount_fetch(&server, "l1", vec![json(&serde_json::json!(values[..1]))]).await;
    mount_fetch(&server, "l2", vec![json(&serde_json::json!(values[1..2]))]).await;
    mount_unregister(&server).await;
    let client = client(&server, Credentials::password(USER, PASSWORD));
    let mut events = client.events_with(fast());
    assert_eq!(take_events(&mut events, 1).await, decode(&values[..1]));
    let fetched_before = first.arrivals().len();

    client
        .request(&GET_SETUP)
        .await
        .expect("renewed once");
    assert_eq!(count(&server, "POST", "/login").await, 2);

    let items = take(&mut events, 2).await;
    let gap = items[0].as_ref().expect_err("a gap");
    assert!(
        matches!(
            gap,
            Error::EventsLost {
                reason: GapReason::SessionRenewed
            }
        ),
        "{gap:?}"
    );
    assert_eq!(items[1].as_ref().ok(), decode(&values[1..2]).first());
    assert_eq!(
        first.arrivals().len(),
        fetched_before,
        "the dead listener is not fetched"
    );
    assert_eq!(events.listener_id().as_deref(), Some("l2"));
}

/// `Retry-After: 18446744073709551615` on a fetch must not overflow the back-off: the
/// error is yielded, the wait capped, and the stream goes on.
#[tokio::test]
async fn a_huge_retry_after_is_capped() {
    let server = MockServer::start().await;
    let values = fixture_events();
    mount_register(&server, vec![listener("l1")]).await;
    mount_fetch(
        &server,
        "l1",
        vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after", "18446744073709551615")
                .set_body_bytes(error_fixture("too-many-requests.json")),
            json(&serde_json::json!(values[..1])),
        ],
    )
    .await;
    let client = client_with(&server, Credentials::bearer(TOKEN), RetryPolicy::disabled());
    let mut events = client.events_with(fast().with_max_wait(Duration::from_millis(50)));
    let items = take(&mut events, 2).await;
    let error = items[0].as_ref().expect_err("throttled");
    assert_eq!(error.kind(), ErrorKind::TooManyRequests);
    assert_eq!(error.retry_after(), Some(Duration::from_secs(24 * 3600)));
    assert_eq!(items[1].as_ref().ok(), decode(&values[..1]).first());
}

/// The local API words "no registered event listener" its own way (quoted, generic
/// code): the stream registers again exactly as on the cloud.
#[tokio::test]
async fn a_local_gateway_listener_loss_registers_again() {
    let server = MockServer::start().await;
    let values = fixture_events();
    let body = std::fs::read(format!(
        "{}/fixtures/errors/local/400-no-registered-event-listener.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    mount_register(&server, vec![listener("l1"), listener("l2")]).await;
    mount_fetch(
        &server,
        "l1",
        vec![
            json(&serde_json::json!(values[..1])),
            ResponseTemplate::new(400).set_body_raw(body, "application/json"),
        ],
    )
    .await;
    mount_fetch(&server, "l2", vec![json(&serde_json::json!(values[1..2]))]).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut events = client.events_with(fast());
    let items = take(&mut events, 3).await;
    assert_eq!(items[0].as_ref().ok(), decode(&values[..1]).first());
    assert_eq!(
        items[1].as_ref().expect_err("gap").kind(),
        ErrorKind::EventsLost
    );
    assert_eq!(items[2].as_ref().ok(), decode(&values[1..2]).first());
    assert_eq!(count(&server, "POST", "/events/register").await, 2);
}

/// A stream dropped after another one registered leaves the newer listener alone
/// (one listener per session: unregistering the old id could end the new one).
#[tokio::test]
async fn dropping_an_old_stream_leaves_a_newer_listener_alone() {
    let server = MockServer::start().await;
    mount_register(&server, vec![listener("l1"), listener("l2")]).await;
    mount_unregister(&server).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut old = client.events_with(fast());
    old.register().await.unwrap();
    let mut new = client.events_with(fast());
    new.register().await.unwrap();
    drop(old);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(count(&server, "POST", "/events/l1/unregister").await, 0);
    drop(new);
    wait_for_requests(&server, "POST", "/events/l2/unregister", 1).await;
}

/// A stream whose session is gone unregisters nothing on drop, and never signs in
/// just to unregister.
#[tokio::test]
async fn dropping_a_stream_of_an_expired_session_sends_nothing() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "JSESSIONID=s; Path=/")
                .set_body_json(serde_json::json!({"success": true})),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/setup"))
        .respond_with(Sequence::new(
            vec![ResponseTemplate::new(401)
                .set_body_bytes(error_fixture("401-not-authenticated.json"))],
            json(&serde_json::json!({"devices": []})),
        ))
        .mount(&server)
        .await;
    mount_register(&server, vec![listener("l1")]).await;
    mount_unregister(&server).await;
    let client = client(&server, Credentials::password(USER, PASSWORD));
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    client
        .request(&GET_SETUP)
        .await
        .unwrap();
    assert_eq!(count(&server, "POST", "/login").await, 2);
    drop(events);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(count(&server, "POST", "/events/l1/unregister").await, 0);
    assert_eq!(count(&server, "POST", "/login").await, 2);
}
