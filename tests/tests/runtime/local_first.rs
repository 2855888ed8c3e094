//! The local-first client (`Client::local_first`): a gateway that goes away and comes
//! back (the simulator's `GatewayLink`, which refuses connections while unplugged)
//! is served from the cloud meanwhile and from the gateway again after, as both
//! servers' request logs show; an acting call that may have reached the gateway (a
//! raw TCP server that reads the request and closes) is never resent through the
//! cloud; the event stream reports each switch of source as a gap.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use overkiz::{
    Client, Credentials, Error, ErrorKind, Event, EventStream, EventStreamConfig, GapReason,
    LocalFirstConfig, RetryPolicy, Route, RouteWatch, Server,
};
use overkiz_sim::testing::{self, SHUTTER};
use overkiz_sim::{RequestRecord, Simulator};
use serde_json::json;
use tokio::io::AsyncReadExt;
use tokio::net::TcpListener;

const WAIT: Duration = Duration::from_secs(10);
const LOCAL_TOKEN: &str = "local-SECRET-token";

const DEVICES: &str = "GET /setup/devices";
const APPLY: &str = "POST /exec/apply";
const REGISTER: &str = "POST /events/register";
const UNREGISTER: &str = "POST /events/{listenerId}/unregister";
const ACTION_GROUPS: &str = "GET /actionGroups";
const API_VERSION: &str = "GET /apiVersion";

fn fast_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(5))
        .with_max_backoff(Duration::from_millis(10))
}

fn cloud_client(sim: &Simulator) -> Client {
    Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(fast_retries())
    .build()
    .unwrap()
}

fn local_client(url: &str) -> Client {
    Client::builder(
        Server::custom(url).unwrap(),
        Credentials::bearer(LOCAL_TOKEN),
    )
    .retry_policy(fast_retries())
    .build()
    .unwrap()
}

/// Probes 20 ms after the gateway stopped answering, then at most every 100 ms.
fn fast_probes() -> LocalFirstConfig {
    LocalFirstConfig::default()
        .with_probe_backoff(Duration::from_millis(20), Duration::from_millis(100))
}

fn fast_events() -> EventStreamConfig {
    EventStreamConfig::default()
        .with_fetch_interval(Duration::from_millis(10))
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(20))
}

/// How many calls of `operation` a log holds.
fn count(log: &[RequestRecord], operation: &str) -> usize {
    log.iter().filter(|r| r.is(operation)).count()
}

/// The cloud's log: the simulator's calls outside the local API.
fn cloud_log(sim: &Simulator) -> Vec<RequestRecord> {
    sim.requests().into_iter().filter(|r| !r.local).collect()
}

async fn wait_for_route(watch: &mut RouteWatch, route: Route) {
    let reached = tokio::time::timeout(WAIT, watch.wait_for(route))
        .await
        .unwrap_or_else(|_| panic!("the route did not become {route:?} within {WAIT:?}"));
    assert!(reached, "the route is gone");
}

#[tokio::test]
async fn a_gateway_that_disappears_and_returns_is_served_from_the_cloud_meanwhile() {
    let sim = testing::simulator().start().await.unwrap();
    sim.add_token(LOCAL_TOKEN);
    let link = sim.gateway_link().await.unwrap();
    let client =
        Client::local_first_with(cloud_client(&sim), local_client(&link.url()), fast_probes());
    let mut watch = client.route_watch().unwrap();

    // Reachable: the local API's operations go to the gateway, the others to the cloud.
    client.get_setup_devices().await.unwrap();
    client.get_action_groups().await.unwrap();
    assert_eq!(client.route(), Some(Route::Local));
    assert_eq!(count(&link.requests(), DEVICES), 1);
    assert_eq!(count(&cloud_log(&sim), DEVICES), 0);
    assert_eq!(count(&cloud_log(&sim), ACTION_GROUPS), 1);
    assert_eq!(count(&link.requests(), ACTION_GROUPS), 0);

    // Unreachable: the read that finds it so and the calls after go to the cloud,
    // commands included (they never left: the connection was refused).
    link.unplug().await;
    client.get_setup_devices().await.unwrap();
    assert_eq!(client.route(), Some(Route::Cloud));
    let exec = client
        .post_exec_apply(&overkiz::action_group(
            "close",
            [overkiz::Action::new(SHUTTER, ["close"])],
        ))
        .await
        .unwrap();
    assert!(exec.exec_id.is_some());
    client.get_setup_devices().await.unwrap();
    assert_eq!(count(&cloud_log(&sim), DEVICES), 2);
    assert_eq!(count(&cloud_log(&sim), APPLY), 1);
    let local_before = link.requests();
    assert_eq!(count(&local_before, DEVICES), 1);
    assert_eq!(count(&local_before, APPLY), 0);

    // Back: a probe finds it, and the local operations go to it again.
    link.plug().await.unwrap();
    wait_for_route(&mut watch, Route::Local).await;
    client.get_setup_devices().await.unwrap();
    let local_after = link.requests();
    assert!(
        count(&local_after, API_VERSION) >= 1,
        "the probe: {local_after:?}"
    );
    assert_eq!(count(&local_after, DEVICES), 2);
    assert_eq!(count(&cloud_log(&sim), DEVICES), 2);
    // Everything the gateway got is an operation of its local API.
    for record in &local_after {
        let operation = record.operation.as_deref().unwrap_or_default();
        let (method, path) = operation.split_once(' ').unwrap();
        let op = overkiz::operations::ALL
            .iter()
            .find(|op| op.method.as_str() == method && op.path == path)
            .unwrap();
        assert!(overkiz::local_api::serves(op), "{operation}");
    }
}

/// A raw HTTP/1.1 server that reads each request whole, counts it and closes the
/// connection without answering: whatever it was, it may have acted.
async fn read_and_close_server() -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/enduser-mobile-web/1/enduserAPI",
        listener.local_addr().unwrap()
    );
    let requests = Arc::new(AtomicUsize::new(0));
    let counter = requests.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let counter = counter.clone();
            tokio::spawn(async move {
                let mut data = Vec::new();
                let mut buf = [0u8; 4096];
                let head_end = loop {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                    if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
                        break end + 4;
                    }
                };
                let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
                let length: usize = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse().ok())
                    .unwrap_or(0);
                while data.len() < head_end + length {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => data.extend_from_slice(&buf[..n]),
                    }
                }
                counter.fetch_add(1, Ordering::SeqCst);
                // Dropped: closed without an answer.
            });
        }
    });
    (url, requests)
}

#[tokio::test]
async fn an_acting_call_that_may_have_reached_the_gateway_is_not_resent_through_the_cloud() {
    let sim = testing::simulator().start().await.unwrap();
    let (url, gateway_requests) = read_and_close_server().await;
    let client = Client::local_first_with(cloud_client(&sim), local_client(&url), fast_probes());
    let mut watch = client.route_watch().unwrap();

    let error = client
        .post_exec_apply(&overkiz::action_group(
            "close",
            [overkiz::Action::new(SHUTTER, ["close"])],
        ))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error:?}");
    assert!(!error.is_retryable());
    // Sent once, to the gateway; not to the cloud.
    assert_eq!(gateway_requests.load(Ordering::SeqCst), 1);
    assert_eq!(sim.count_of(APPLY), 0);
    assert!(!format!("{error:?}").contains("SECRET"));
    // The gateway is deemed unreachable: the next calls go to the cloud.
    wait_for_route(&mut watch, Route::Cloud).await;
    client.get_setup_devices().await.unwrap();
    assert_eq!(count(&cloud_log(&sim), DEVICES), 1);

    // A safe read that may have reached the gateway moves to the cloud.
    let (url, gateway_requests) = read_and_close_server().await;
    let client = Client::local_first_with(cloud_client(&sim), local_client(&url), fast_probes());
    client.get_setup_devices().await.unwrap();
    assert!(gateway_requests.load(Ordering::SeqCst) >= 1);
    assert_eq!(count(&cloud_log(&sim), DEVICES), 2);
    assert_eq!(client.route(), Some(Route::Cloud));
}

/// The next item of the stream that is not a failure of the unreachable source or
/// a gap other than `SourceChanged`, within [`WAIT`] each: the switch's gap.
async fn expect_switch(events: &mut EventStream) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let item = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("a gap within the deadline")
            .expect("the stream never ends");
        match item {
            Err(Error::EventsLost {
                reason: GapReason::SourceChanged,
            }) => return,
            // The failed fetch that found the gateway gone (or its lost answer).
            Err(Error::EventsLost {
                reason: GapReason::FetchFailed,
            }) => {}
            Err(error) if error.kind() != ErrorKind::EventsLost => {}
            other => panic!("a SourceChanged gap expected, got {other:?}"),
        }
    }
}

/// Waits for the event of a closure state `value` reported by the shutter.
async fn expect_closure(events: &mut EventStream, value: i64) {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let item = tokio::time::timeout_at(deadline, events.next())
            .await
            .expect("the event within the deadline")
            .expect("the stream never ends");
        if let Ok(Event::DeviceStateChanged(change)) = item {
            let found = change
                .device_states
                .iter()
                .flatten()
                .filter(|s| s.name.as_deref() == Some("core:ClosureState"))
                .filter_map(|s| s.value.as_ref())
                .any(|v| v.to_string().trim_matches('"') == value.to_string());
            if found {
                return;
            }
        } else if let Err(error) = item {
            panic!("no failure expected: {error:?}");
        }
    }
}

#[tokio::test]
async fn the_event_stream_reports_a_switch_of_source_as_a_gap() {
    let sim = testing::simulator().start().await.unwrap();
    sim.add_token(LOCAL_TOKEN);
    let link = sim.gateway_link().await.unwrap();
    let client =
        Client::local_first_with(cloud_client(&sim), local_client(&link.url()), fast_probes());
    let mut watch = client.route_watch().unwrap();
    let mut events = client.events_with(fast_events());
    events.register().await.unwrap();
    assert_eq!(count(&link.requests(), REGISTER), 1);
    assert_eq!(count(&cloud_log(&sim), REGISTER), 0);
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(10)));
    expect_closure(&mut events, 10).await;

    // The gateway goes: the stream reports the switch, then gets the cloud's events.
    link.unplug().await;
    expect_switch(&mut events).await;
    assert_eq!(client.route(), Some(Route::Cloud));
    // Registered on the new source before the device moves (what happens between
    // the two listeners is the gap's to cover).
    events.register().await.unwrap();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(20)));
    expect_closure(&mut events, 20).await;
    assert_eq!(count(&cloud_log(&sim), REGISTER), 1);

    // It comes back: another switch, and the gateway's events again.
    link.plug().await.unwrap();
    wait_for_route(&mut watch, Route::Local).await;
    expect_switch(&mut events).await;
    events.register().await.unwrap();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(30)));
    expect_closure(&mut events, 30).await;
    assert_eq!(count(&link.requests(), REGISTER), 2);
    assert_eq!(count(&cloud_log(&sim), REGISTER), 1);
    // The listener left on the cloud is unregistered (in the background).
    testing::wait_until("the cloud's listener unregistered", WAIT, || {
        count(&cloud_log(&sim), UNREGISTER) == 1
    })
    .await
    .unwrap();
}

/// The internet is down: the local API's operations still work, and only the
/// others fail.
#[tokio::test]
async fn the_gateway_serves_its_operations_while_the_cloud_is_unreachable() {
    let sim = testing::simulator().start().await.unwrap();
    sim.add_token(LOCAL_TOKEN);
    let link = sim.gateway_link().await.unwrap();
    let cloud = Client::builder(
        Server::custom("http://127.0.0.1:1/enduser-mobile-web/enduserAPI").unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(RetryPolicy::disabled())
    .build()
    .unwrap();
    let client = Client::local_first_with(cloud, local_client(&link.url()), fast_probes());
    client.get_setup_devices().await.unwrap();
    client
        .post_exec_apply(&overkiz::action_group(
            "open",
            [overkiz::Action::new(SHUTTER, ["open"])],
        ))
        .await
        .unwrap();
    let error = client.get_action_groups().await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    assert_eq!(client.route(), Some(Route::Local));
    assert_eq!(count(&link.requests(), DEVICES), 1);
    assert_eq!(count(&link.requests(), APPLY), 1);
    assert!(cloud_log(&sim).is_empty());
}
