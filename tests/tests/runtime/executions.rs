//! Execution tracking against a local server: `execute_and_wait` registers before
//! launching and follows `ExecutionStateChangedEvent`s to `COMPLETED` or `FAILED`;
//! `wait_for_execution` times out with the last state seen, survives an expired
//! listener and stops on errors that waiting cannot cure.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::*;
use overkiz::types::ActionGroup;
use overkiz::{Action, Credentials, Error, ErrorKind, EventStreamConfig, ExecutionState};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const EXEC_ID: &str = "c6f83624-ac10-3e01-653e-2b025fee956d";
const OTHER_EXEC_ID: &str = "11111111-2222-3333-4444-555555555555";

/// Answers with the given responses in turn, then with `[]` forever.
struct Sequence(Mutex<VecDeque<ResponseTemplate>>);

impl Sequence {
    fn new(answers: Vec<ResponseTemplate>) -> Sequence {
        Sequence(Mutex::new(answers.into()))
    }
}

impl Respond for Sequence {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let next = self.0.lock().unwrap().pop_front();
        next.unwrap_or_else(|| events(&[]))
    }
}

fn events(values: &[Value]) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(values)
}

fn error(status: u16, fixture: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_bytes(error_fixture(fixture))
}

/// An `ExecutionStateChangedEvent` as the cloud sends it.
fn state_change(exec_id: &str, old: &str, new: &str) -> Value {
    json!({
        "timestamp": 1631130760744_i64,
        "setupOID": "741bc89f-a47b-4ad6-894d-a785c06956c2",
        "execId": exec_id,
        "newState": new,
        "ownerKey": "741bc89f-a47b-4ad6-894d-a785c06956c2",
        "type": 1,
        "subType": 1,
        "oldState": old,
        "timeToNextState": 0,
        "name": "ExecutionStateChangedEvent"
    })
}

fn failed(exec_id: &str) -> Value {
    let mut event = state_change(exec_id, "IN_PROGRESS", "FAILED");
    event["failureType"] = json!("NON_EXECUTING");
    event["failureTypeCode"] = json!(11);
    event["failedCommands"] = json!([{
        "deviceURL": DEVICE_URL,
        "rank": 0,
        "failureType": "NON_EXECUTING",
        "detailedStatus": {"type": "generic-error", "message": "blocked", "error": true}
    }]);
    event
}

fn device_state_changed() -> Value {
    json!({
        "timestamp": 1631130761531_i64,
        "deviceURL": DEVICE_URL,
        "deviceStates": [{"name": "core:ClosureState", "type": 1, "value": "43"}],
        "name": "DeviceStateChangedEvent"
    })
}

fn close_action_group() -> ActionGroup {
    overkiz::action_group("close", [Action::new(DEVICE_URL, ["close"])])
}

fn fast() -> EventStreamConfig {
    EventStreamConfig::default()
        .with_fetch_interval(Duration::from_millis(10))
        .with_initial_backoff(Duration::from_millis(20))
        .with_max_backoff(Duration::from_millis(100))
}

/// A server with a listener `l1` (then `l2`), `POST /exec/apply` answering `apply`,
/// `l1` fetches answering `fetches` then `[]`, and unregistration.
async fn server(apply: ResponseTemplate, fetches: Vec<ResponseTemplate>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/events/register"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(200).set_body_json(json!({"id": "l1"})),
            ResponseTemplate::new(200).set_body_json(json!({"id": "l2"})),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/exec/apply"))
        .respond_with(apply)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/events/l1/fetch"))
        .respond_with(Sequence::new(fetches))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/events/[^/]+/unregister$"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    server
}

fn launched() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"execId": EXEC_ID}))
}

/// Paths of the requests received, in order.
async fn request_paths(server: &MockServer) -> Vec<String> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect()
}

async fn wait_for_unregister(server: &MockServer, id: &str) {
    let route = format!("/events/{id}/unregister");
    let deadline = Instant::now() + Duration::from_secs(5);
    while count(server, "POST", &route).await == 0 {
        assert!(Instant::now() < deadline, "listener {id} not unregistered");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The client-level helpers unregister their listener before returning.
async fn assert_unregistered_on_return(server: &MockServer) {
    assert_eq!(count(server, "POST", "/events/l1/unregister").await, 1);
}

#[tokio::test]
async fn execute_and_wait_follows_the_execution_to_completed() {
    let server = server(
        launched(),
        vec![
            events(&[
                state_change(EXEC_ID, "INITIALIZED", "NOT_TRANSMITTED"),
                state_change(OTHER_EXEC_ID, "IN_PROGRESS", "COMPLETED"),
            ]),
            events(&[state_change(EXEC_ID, "NOT_TRANSMITTED", "TRANSMITTED")]),
            events(&[]),
            events(&[
                state_change(EXEC_ID, "TRANSMITTED", "IN_PROGRESS"),
                device_state_changed(),
            ]),
            events(&[
                state_change(EXEC_ID, "IN_PROGRESS", "COMPLETED"),
                device_state_changed(),
            ]),
        ],
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut stream = client.events_with(fast());
    let outcome = stream
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .expect("completes");

    assert_eq!(outcome.exec_id, EXEC_ID);
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert!(outcome.is_success());
    assert_eq!(outcome.failure_type, None);
    assert!(outcome.failed_commands.is_empty());
    assert_eq!(
        outcome.event.as_ref().unwrap().old_state.as_deref(),
        Some("IN_PROGRESS")
    );

    // The listener exists before the launch, which is sent once.
    let paths = request_paths(&server).await;
    assert_eq!(
        paths[..3],
        ["/events/register", "/exec/apply", "/events/l1/fetch"]
    );
    assert_eq!(count(&server, "POST", "/exec/apply").await, 1);
    assert_eq!(count(&server, "POST", "/events/l1/fetch").await, 5);
    let requests = server.received_requests().await.unwrap_or_default();
    let apply = requests
        .iter()
        .find(|r| r.url.path() == "/exec/apply")
        .expect("launched");
    let body: Value = serde_json::from_slice(&apply.body).expect("JSON body");
    assert_eq!(body["actions"][0]["deviceURL"], DEVICE_URL);
    assert_eq!(body["actions"][0]["commands"][0]["name"], "close");

    // The stream goes on after the final event: what followed it is still there.
    let next = futures::StreamExt::next(&mut stream).await;
    assert_eq!(
        next.expect("endless").expect("event").name(),
        "DeviceStateChangedEvent"
    );
}

#[tokio::test]
async fn execute_and_wait_reports_a_failed_execution() {
    let server = server(
        launched(),
        vec![
            events(&[state_change(EXEC_ID, "TRANSMITTED", "IN_PROGRESS")]),
            events(&[failed(EXEC_ID)]),
        ],
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let outcome = client
        .events_with(fast())
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .expect("a failed execution is an outcome, not an error");

    assert_eq!(outcome.state, ExecutionState::Failed);
    assert!(!outcome.is_success());
    assert_eq!(outcome.failure_type.as_deref(), Some("NON_EXECUTING"));
    assert_eq!(outcome.event.as_ref().unwrap().failure_type_code, Some(11));
    assert_eq!(outcome.failed_commands.len(), 1);
    let command = &outcome.failed_commands[0];
    assert_eq!(command.device_url.as_deref(), Some(DEVICE_URL));
    assert_eq!(command.failure_type.as_deref(), Some("NON_EXECUTING"));
    let status = command.detailed_status.as_ref().expect("detailed status");
    assert_eq!(status.message.as_deref(), Some("blocked"));
    wait_for_unregister(&server, "l1").await;
}

/// The client-level helper uses the default settings and its own listener, which it
/// unregisters when done.
#[tokio::test]
async fn client_execute_and_wait_unregisters_its_listener() {
    let server = server(
        launched(),
        vec![events(&[
            state_change(EXEC_ID, "INITIALIZED", "IN_PROGRESS"),
            state_change(EXEC_ID, "IN_PROGRESS", "COMPLETED"),
        ])],
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let started = Instant::now();
    let outcome = client
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .expect("completes");
    assert!(outcome.is_success());
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "the first fetch is not delayed"
    );
    assert_unregistered_on_return(&server).await;
}

#[tokio::test]
async fn waiting_times_out_with_the_last_state_seen() {
    let server = server(
        launched(),
        vec![events(&[
            state_change(EXEC_ID, "NOT_TRANSMITTED", "TRANSMITTED"),
            state_change(OTHER_EXEC_ID, "IN_PROGRESS", "COMPLETED"),
            state_change(EXEC_ID, "TRANSMITTED", "IN_PROGRESS"),
        ])],
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let timeout = Duration::from_millis(300);
    let started = Instant::now();
    let error = client
        .wait_for_execution(EXEC_ID, timeout)
        .await
        .expect_err("never completes");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= timeout && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    assert_eq!(error.kind(), ErrorKind::ExecutionTimeout);
    assert!(
        !error.is_retryable(),
        "relaunching would run the commands twice"
    );
    assert_eq!(error.operation(), None);
    match &error {
        Error::ExecutionTimeout {
            exec_id,
            timeout: allowed,
            last_state,
        } => {
            assert_eq!(exec_id, EXEC_ID);
            assert_eq!(*allowed, timeout);
            assert_eq!(last_state.as_deref(), Some("IN_PROGRESS"));
        }
        other => panic!("timeout expected, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the execution did not finish within 0.3 s (last state seen: IN_PROGRESS)"
    );
    assert_unregistered_on_return(&server).await;
}

#[tokio::test]
async fn waiting_survives_an_expired_listener_and_retryable_errors() {
    let server = server(
        launched(),
        vec![
            events(&[state_change(EXEC_ID, "TRANSMITTED", "IN_PROGRESS")]),
            error(503, "503-empty.html"),
            error(400, "invalid-event-listener-id.json"),
        ],
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/events/l2/fetch"))
        .respond_with(Sequence::new(vec![events(&[state_change(
            EXEC_ID,
            "IN_PROGRESS",
            "COMPLETED",
        )])]))
        .mount(&server)
        .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut stream = client.events_with(fast());
    stream.register().await.expect("registers");
    let outcome = stream
        .wait_for_execution(EXEC_ID, Duration::from_secs(5))
        .await
        .expect("completes");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert_eq!(count(&server, "POST", "/events/register").await, 2);
    assert_eq!(stream.listener_id().as_deref(), Some("l2"));
}

#[tokio::test]
async fn errors_waiting_cannot_cure_end_the_wait_at_once() {
    let server = server(
        launched(),
        vec![error(403, "access-denied-to-gateway.json")],
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let started = Instant::now();
    let error = client
        .wait_for_execution(EXEC_ID, Duration::from_secs(10))
        .await
        .expect_err("access denied");
    assert_eq!(error.kind(), ErrorKind::AccessDeniedToGateway);
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_unregistered_on_return(&server).await;
}

#[tokio::test]
async fn a_refused_launch_is_returned_and_not_retried() {
    let server = server(error(400, "exec-queue-full.json"), Vec::new()).await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let error = client
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .expect_err("queue full");
    assert_eq!(error.kind(), ErrorKind::ExecutionQueueFull);
    assert_eq!(count(&server, "POST", "/exec/apply").await, 1);
    assert_eq!(count(&server, "POST", "/events/l1/fetch").await, 0);
    assert_unregistered_on_return(&server).await;
}

#[tokio::test]
async fn a_launch_answer_without_exec_id_is_an_error() {
    let server = server(
        ResponseTemplate::new(200).set_body_json(json!({})),
        Vec::new(),
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let error = client
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .expect_err("no execId");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.operation().map(|op| op.path), Some("/exec/apply"));
}

/// Mounts `GET /exec/current/{EXEC_ID}` and `GET /history/executions/{EXEC_ID}`.
async fn mount_look_up(server: &MockServer, current: ResponseTemplate, history: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(format!("/exec/current/{EXEC_ID}")))
        .respond_with(current)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/history/executions/{EXEC_ID}")))
        .respond_with(history)
        .mount(server)
        .await;
}

fn history(state: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "execution": {"id": EXEC_ID, "state": state, "failureType": "NO_FAILURE", "type": "IMMEDIATE"}
    }))
}

/// The listener is lost while the execution ends: its final event is gone, but the
/// wait registers again, finds the execution in the history, and never times out.
#[tokio::test]
async fn an_execution_that_ended_during_a_gap_is_found_in_the_history() {
    let server = server(
        launched(),
        vec![
            events(&[state_change(EXEC_ID, "TRANSMITTED", "IN_PROGRESS")]),
            error(400, "invalid-event-listener-id.json"),
        ],
    )
    .await;
    mount_look_up(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({})),
        history("COMPLETED"),
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let mut stream = client.events_with(fast());
    let outcome = stream
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .expect("found in the history");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert_eq!(outcome.event, None, "read from the history");
    assert_eq!(
        stream.listener_id().as_deref(),
        Some("l2"),
        "listening again"
    );
    let paths = request_paths(&server).await;
    let register_again = paths.iter().rposition(|p| p == "/events/register").unwrap();
    let look_up = paths
        .iter()
        .position(|p| p.starts_with("/exec/current/"))
        .unwrap();
    assert!(
        register_again < look_up,
        "registers before looking up: {paths:?}"
    );
}

/// Out of time with no final event: the execution is looked up before a timeout is
/// reported.
#[tokio::test]
async fn a_timeout_is_reported_only_after_looking_the_execution_up() {
    let server = server(launched(), vec![]).await;
    mount_look_up(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({})),
        history("FAILED"),
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let outcome = client
        .events_with(fast())
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_millis(200))
        .await
        .expect("found in the history");
    assert_eq!(outcome.state, ExecutionState::Failed);
    assert_eq!(outcome.failure_type.as_deref(), Some("NO_FAILURE"));

    // Still running when time runs out: a timeout, with the execution's id.
    let server = server_running().await;
    let client = crate::support::client(&server, Credentials::bearer(TOKEN));
    let error = client
        .events_with(fast())
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_millis(200))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ExecutionTimeout);
    assert_eq!(error.exec_id(), Some(EXEC_ID));
}

async fn server_running() -> MockServer {
    let server = server(launched(), vec![]).await;
    mount_look_up(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": EXEC_ID, "state": "IN_PROGRESS"})),
        history("IN_PROGRESS"),
    )
    .await;
    server
}

/// The session expires between registering and launching: the launch renews it (and
/// the listener dies with the old session). The wait notices, registers again, looks
/// the execution up, and follows it on the new listener.
#[tokio::test]
async fn a_session_expiring_before_the_launch_does_not_strand_the_wait() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("set-cookie", "JSESSIONID=s1; Path=/")
                .set_body_json(json!({"success": true})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/events/register"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(200).set_body_json(json!({"id": "l1"})),
            ResponseTemplate::new(200).set_body_json(json!({"id": "l2"})),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/exec/apply"))
        .respond_with(Sequence::new(vec![
            ResponseTemplate::new(401).set_body_raw(
                r#"{"errorCode":"RESOURCE_ACCESS_DENIED","error":"Not authenticated"}"#,
                "application/json",
            ),
            launched(),
        ]))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/events/l2/fetch"))
        .respond_with(Sequence::new(vec![events(&[state_change(
            EXEC_ID,
            "IN_PROGRESS",
            "COMPLETED",
        )])]))
        .mount(&server)
        .await;
    mount_look_up(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": EXEC_ID, "state": "IN_PROGRESS"})),
        history("IN_PROGRESS"),
    )
    .await;
    let client = client(&server, Credentials::password(USER, PASSWORD));
    let outcome = client
        .events_with(fast())
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .expect("completes");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert!(outcome.event.is_some());
    assert_eq!(count(&server, "POST", "/login").await, 2);
    assert_eq!(
        count(&server, "POST", "/exec/apply").await,
        2,
        "refused, then sent"
    );
    assert_eq!(
        count(&server, "POST", "/events/l1/fetch").await,
        0,
        "the dead listener"
    );
}

/// A failure that waiting cannot cure carries the execution's id.
#[tokio::test]
async fn errors_while_following_carry_the_exec_id() {
    let server = server(
        launched(),
        vec![error(403, "access-denied-to-gateway.json")],
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let error = client
        .events_with(fast())
        .run_and_wait(close_action_group(), overkiz::ExecutionMode::Normal, Duration::from_secs(5))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AccessDeniedToGateway);
    assert_eq!(error.exec_id(), Some(EXEC_ID));
    assert!(matches!(error, Error::Execution { .. }), "{error:?}");
    assert!(!error.is_retryable(), "retrying would launch again");
}
