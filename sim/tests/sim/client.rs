//! The real `overkiz` client against the simulator.

use std::time::Duration;

use futures::StreamExt;
use overkiz::types::{Action, ActionGroup, Command};
use overkiz::{
    Client, Credentials, ErrorKind, Event, EventStream, EventStreamConfig, RetryPolicy, Server,
    TypedValue,
};
use overkiz_sim::testing::{self, GATEWAY, SHUTTER};
use overkiz_sim::{Config, EventForm, Fault, Simulator};
use serde_json::Value;

use crate::common::{action_group, apply, next_event, WAIT};

/// Milliseconds since the epoch, as schedules take them.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
}

/// Waits for the execution `exec_id` (a launch's answer) to end: whether it
/// succeeded.
async fn succeeds(events: &mut EventStream, exec_id: Option<String>) -> bool {
    let exec_id = exec_id.expect("an execution id");
    let outcome = events.wait_for_execution(&exec_id, WAIT).await.unwrap();
    outcome.is_success()
}

/// The control API of a simulator (plain HTTP, from the loopback).
struct Control {
    http: reqwest::Client,
    base: String,
}

impl Control {
    fn of(sim: &Simulator) -> Control {
        let base = format!("http://{}{}", sim.addr(), overkiz_sim::CONTROL_PREFIX);
        Control {
            http: reqwest::Client::new(),
            base,
        }
    }

    /// `POST` of `path` (below `/_sim`) with `body`: the status.
    async fn post(&self, path: &str, body: &str) -> u16 {
        let url = format!("{}{path}", self.base);
        let sent = self.http.post(url).body(body.to_owned()).send().await;
        sent.unwrap().status().as_u16()
    }

    /// `GET` of `path` (below `/_sim`): the JSON answered.
    async fn get(&self, path: &str) -> Value {
        let answer = self.http.get(format!("{}{path}", self.base)).send().await;
        serde_json::from_slice(&answer.unwrap().bytes().await.unwrap()).unwrap()
    }
}

/// Schedules group `oid` at `utc_ms` (ms since the epoch); the trigger id.
async fn schedule(client: &Client, oid: &str, utc_ms: i64) -> String {
    client
        .post_exec_schedule_by_action_group_oid_by_utc_timestamp(oid, utc_ms)
        .await
        .unwrap()
        .trigger_id
        .unwrap()
}

fn setup() -> Value {
    testing::tahoma_3()
}

async fn simulator() -> Simulator {
    testing::simulator().start().await.unwrap()
}

/// A simulator with settings changed by `change`.
async fn simulator_with(change: impl FnOnce(Config) -> Config) -> Simulator {
    testing::simulator()
        .configure(change)
        .start()
        .await
        .unwrap()
}

/// A simulator writing events in `form`.
async fn simulator_in(form: EventForm) -> Simulator {
    testing::simulator().event_form(form).start().await.unwrap()
}

use overkiz_sim::each_form;

/// The field naming events of `form` (`spec/README.md`, "Wire aliases").
fn tag_of(form: EventForm) -> &'static str {
    match form {
        EventForm::Previous => "name",
        EventForm::Newest => "type",
    }
}

fn client(sim: &Simulator) -> Client {
    Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(RetryPolicy::default().with_max_attempts(1))
    .build()
    .unwrap()
}

fn stream(client: &Client) -> EventStream {
    client.events_with(
        EventStreamConfig::default()
            .with_fetch_interval(Duration::from_millis(10))
            .with_initial_backoff(Duration::from_millis(10)),
    )
}

async fn closure(client: &Client) -> Option<i64> {
    let setup = client.get_setup().await.unwrap();
    let device = setup
        .devices
        .iter()
        .flatten()
        .find(|d| d.device_url.as_deref() == Some(SHUTTER))
        .unwrap();
    device.state("core:ClosureState").and_then(|s| s.as_i64())
}

#[tokio::test]
async fn login_and_setup_match_the_fixture() {
    let sim = simulator().await;
    let client = client(&sim);
    let setup = client.get_setup().await.unwrap();
    let expected = self::setup()["devices"].as_array().unwrap().len();
    assert_eq!(setup.devices.as_ref().map(Vec::len), Some(expected));
    assert_eq!(sim.session_count(), 1);
    let devices = client.get_setup_devices().await.unwrap();
    assert_eq!(devices.len(), expected);
    sim.stop().await;
    assert!(client.get_setup_devices().await.is_err());
}

#[tokio::test]
async fn credentials_can_be_required() {
    let sim = simulator_with(|config| config.with_credentials("me@example.com", "right")).await;
    let error = client(&sim).get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadCredentials, "{error:?}");
    assert_eq!(sim.session_count(), 0);
}

async fn execute_and_wait_moves_the_shutter(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    assert_eq!(closure(&client).await, Some(100));
    // `Client::execute_and_wait` through a stream fetching every 10 ms (the default
    // waits the documented 1 s between fetches).
    let mut events = stream(&client);
    let mut last_id = String::new();
    for (command, parameters, closed) in [
        ("open", vec![], 0),
        ("setClosure", vec![Value::from(40)], 40),
        ("close", vec![], 100),
    ] {
        let group = action_group(command, parameters);
        let outcome = events
            .run_and_wait(group, overkiz::ExecutionMode::Normal, WAIT)
            .await
            .unwrap();
        assert!(outcome.is_success(), "{command}: {outcome:?}");
        assert_eq!(closure(&client).await, Some(closed), "{command}");
        last_id = outcome.exec_id;
    }
    assert_eq!(
        sim.device_state(SHUTTER, "core:OpenClosedState"),
        Some(Value::from("closed"))
    );
    // The history has the three executions, newest first; none is running.
    #[allow(deprecated)] // the only listing of the history
    let history = client.get_history_executions().await.unwrap();
    assert_eq!(history.len(), 3);
    let last = client
        .get_history_executions_by_exec_id(&last_id)
        .await
        .unwrap();
    assert_eq!(last.execution.unwrap().state.as_deref(), Some("COMPLETED"));
    assert!(client.get_exec_current().await.unwrap().is_empty());
}
each_form!(execute_and_wait_moves_the_shutter);

async fn the_event_stream_sees_the_execution(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let mut events = stream(&client);
    events.register().await.unwrap();
    let exec_id = apply(&client, "open").await.unwrap();
    let current = client.get_exec_current_by_exec_id(&exec_id).await.unwrap();
    assert_eq!(current.id.as_deref(), Some(exec_id.as_str()));
    let mut names = Vec::new();
    let mut states = Vec::new();
    loop {
        let event = next_event(&mut events).await.unwrap();
        // In the simulator's form, every field typed.
        assert_eq!(event.tag_key(), tag_of(form), "{event:?}");
        assert_eq!(event.extra().map(|e| e.len()), Some(0), "{event:?}");
        names.push(event.name().to_owned());
        match event {
            Event::ExecutionStateChanged(change) => {
                assert_eq!(change.exec_id.as_deref(), Some(exec_id.as_str()));
                let new = change.new_state.unwrap();
                states.push(new.clone());
                if new == "COMPLETED" {
                    break;
                }
            }
            Event::DeviceStateChanged(change) => {
                assert_eq!(change.device_url.as_deref(), Some(SHUTTER));
            }
            _ => {}
        }
    }
    assert_eq!(states, ["TRANSMITTED", "IN_PROGRESS", "COMPLETED"]);
    for name in [
        "ExecutionRegisteredEvent",
        "CommandExecutionStateChangedEvent",
        "DeviceStateChangedEvent",
    ] {
        assert!(
            names.iter().any(|n| n == name),
            "{name} missing from {names:?}"
        );
    }
}
each_form!(the_event_stream_sees_the_execution);

#[tokio::test]
async fn cancelled_executions_fail() {
    let sim = simulator_with(|config| config.with_step(Duration::from_secs(60))).await;
    let client = client(&sim);
    let exec_id = apply(&client, "open").await.unwrap();
    assert_eq!(sim.current_executions(), std::slice::from_ref(&exec_id));
    assert_eq!(client.get_exec_current().await.unwrap().len(), 1);
    client
        .delete_exec_current_setup_by_exec_id(&exec_id)
        .await
        .unwrap();
    let outcome = client.look_up_execution(&exec_id).await.unwrap().unwrap();
    assert_eq!(outcome.state.as_str(), "FAILED");
    assert_eq!(outcome.failure_type.as_deref(), Some("CMDCANCELLED"));
    // It is no longer running: cancelling it again gets the gateway's
    // `No corresponding execId` (a success status with an error body).
    let error = client
        .delete_exec_current_setup_by_exec_id(&exec_id)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchExecution, "{error:?}");
    assert!(error.to_string().contains(&exec_id), "{error}");
    #[allow(deprecated)] // cancels the same way
    let error = client
        .delete_exec_current_by_exec_id("c6f83624-ac10-3e01-653e-2b025fee956d")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchExecution, "{error:?}");
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(Value::from(100))
    );
    // A gateway runs 10 executions at most.
    for _ in 0..10 {
        apply(&client, "open").await.unwrap();
    }
    let error = apply(&client, "open").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ExecutionQueueFull, "{error:?}");
    client.delete_exec_current_setup().await.unwrap();
    assert!(sim.current_executions().is_empty());
}

async fn an_expired_listener_is_a_gap_and_the_stream_goes_on(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let mut events = stream(&client);
    events.register().await.unwrap();
    apply(&client, "open").await.unwrap();
    // One event fetched: the listener worked.
    next_event(&mut events).await.unwrap();
    sim.expire_listeners();
    let gap = next_event(&mut events).await.unwrap_err();
    assert_eq!(gap.kind(), ErrorKind::EventsLost, "{gap:?}");
    // The stream registers again and goes on.
    events.register().await.unwrap();
    apply(&client, "close").await.unwrap();
    let event = next_event(&mut events).await.unwrap();
    assert!(!event.name().is_empty());
    assert_eq!(sim.listener_count(), 1);
}
each_form!(an_expired_listener_is_a_gap_and_the_stream_goes_on);

#[tokio::test]
async fn unknown_listeners_get_the_server_error() {
    let sim = simulator().await;
    let client = client(&sim);
    let error = client
        .post_events_by_listener_id_fetch("no-such-listener")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidEventListener, "{error:?}");
}

/// A session ended by the simulator, then one past its time to live: each time the
/// call is refused (401) first, and that refusal is what makes the client sign in
/// again, once, and resend the call.
#[tokio::test]
async fn expired_sessions_are_renewed_by_the_client() {
    let ttl = Duration::from_millis(200);
    let sim = simulator_with(|config| config.with_session_ttl(ttl)).await;
    let client = client(&sim);
    let logins = || sim.count_of("POST /login");
    // Each renewal: the server refused the session (401), the client signed in again
    // and resent the read.
    let refused = || {
        sim.requests()
            .iter()
            .filter(|r| r.is("GET /setup") && r.status == Some(401))
            .count()
    };
    client.get_setup().await.unwrap();
    assert_eq!((logins(), refused()), (1, 0));
    // Ended by the server.
    sim.expire_sessions();
    assert_eq!(sim.session_count(), 0);
    client.get_setup().await.unwrap();
    assert_eq!(sim.session_count(), 1);
    // Expired by its age this time: nothing is called until the TTL has passed.
    tokio::time::sleep(ttl + Duration::from_millis(50)).await;
    client.get_setup().await.unwrap();
    let trail: Vec<(String, Option<u16>)> = sim
        .requests()
        .into_iter()
        .filter_map(|r| r.operation.map(|op| (op, r.status)))
        .collect();
    let call = |status| ("GET /setup".to_owned(), Some(status));
    let login = ("POST /login".to_owned(), Some(200));
    assert_eq!(
        trail,
        [
            login.clone(),
            call(200),
            call(401),
            login.clone(),
            call(200),
            call(401),
            login,
            call(200),
        ]
    );
}

#[tokio::test]
async fn documented_operations_answer_their_example() {
    let sim = simulator().await;
    let client = client(&sim);
    let classes = client.get_reference_ui_classes().await.unwrap();
    assert_eq!(classes, ["string value"]);
    client.get_setup_gateways().await.unwrap();
    // Typed decoding of the examples: tagged unions, maps, nested objects, text.
    macro_rules! decodes {
        ($($call:ident),* $(,)?) => {$(
            client.$call().await.unwrap_or_else(|e| panic!("{}: {e:?}", stringify!($call)));
        )*};
    }
    decodes!(
        get_action_groups,
        get_api_version,
        get_condition_groups,
        get_triggers,
        get_setup_places,
        get_setup_current,
        get_setup_calendar_rules,
        get_setup_location,
        get_setup_devices_controllables,
        get_setup_zones,
        get_enduser_setups,
        get_history,
        get_reference_controllable_types,
        get_reference_protocol_types,
        get_doc,
    );
}

#[tokio::test]
async fn faults_on_demand() {
    let sim = simulator().await;
    let client = client(&sim);
    client.get_setup().await.unwrap();

    sim.set_rate_limited(true);
    let error = client.get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyRequests, "{error:?}");
    sim.set_rate_limited(false);

    sim.set_maintenance(true);
    let error = client.get_setup().await.unwrap_err();
    assert_eq!(error.status(), Some(503), "{error:?}");
    sim.set_maintenance(false);

    sim.set_latency(Duration::from_millis(100));
    let started = std::time::Instant::now();
    client.get_setup().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
}

/// Every documented operation, called through the client: the ones not in
/// `STATEFUL_OPERATIONS` answer the documented status and a body of the documented
/// kind, from the documentation; the stateful ones answer from the state (with
/// made-up path arguments, some of them errors). The list and the simulator's
/// dispatch agree.
#[tokio::test]
async fn every_documented_operation_answers() {
    use overkiz::{operations, ResponseKind};
    use overkiz_sim::STATEFUL_OPERATIONS;
    let sim = simulator().await;
    let client = client(&sim);
    let (mut documented, mut stateful) = (0, 0);
    for op in operations::ALL {
        let key = format!("{} {}", op.method, op.path);
        let args = vec!["x"; op.path.matches('{').count()];
        // What the documentation requires: its query parameters, an example body.
        let spec_op = overkiz_sim::spec::operations()
            .iter()
            .find(|d| d.method == op.method.as_str() && d.path == op.path)
            .unwrap_or_else(|| panic!("{key} is not in the simulator's spec"));
        let mut request = client.request(op).path_args(args);
        for name in &spec_op.required_query {
            request = request.query(name.as_str(), "x");
        }
        if let Some(body) = &spec_op.body {
            request = request.json(&body.example);
        }
        let result = request.await;
        let record = sim
            .requests()
            .into_iter()
            .rev()
            .find(|r| r.is(&key))
            .unwrap_or_else(|| panic!("{key} was not received"));
        if STATEFUL_OPERATIONS.contains(&key.as_str()) {
            assert!(
                !record.documented,
                "{key} is answered from the documentation"
            );
            stateful += 1;
            continue;
        }
        assert!(record.documented, "{key} is answered from the state");
        let raw = result.unwrap_or_else(|error| panic!("{key}: {error:?}"));
        assert_eq!(raw.status, op.status, "{key}");
        if op.response == ResponseKind::Json && !raw.body.is_empty() {
            serde_json::from_slice::<Value>(&raw.body).unwrap();
        }
        documented += 1;
    }
    assert_eq!(stateful, STATEFUL_OPERATIONS.len());
    assert_eq!(documented + stateful, operations::ALL.len());
    assert!(documented > 450, "{documented}");
}

#[tokio::test]
async fn activated_local_tokens_are_bearer_tokens() {
    let sim = simulator().await;
    let client = client(&sim);
    let bearer = |token: &str| {
        Client::new(
            Server::custom(sim.url()).unwrap(),
            Credentials::bearer(token),
        )
        .unwrap()
    };
    let error = bearer("unknown").get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotAuthenticated, "{error:?}");
    let created = client.create_local_token(GATEWAY, "tests").await.unwrap();
    bearer(created.token.expose()).get_setup().await.unwrap();
    sim.add_token("added");
    bearer("added").get_setup().await.unwrap();
    // The local API flavour takes the same tokens, and no login.
    let local = Client::new(
        Server::custom(&sim.local_url()).unwrap(),
        Credentials::bearer(created.token.expose()),
    )
    .unwrap();
    local.get_setup_devices().await.unwrap();
    let login = Client::new(
        Server::custom(&sim.local_url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .unwrap();
    assert!(login.get_setup().await.is_err());

    // Listed (without the secret) by gateway and scope, then deleted: no longer
    // accepted, and a second delete finds nothing.
    let listed = client.local_tokens(GATEWAY).await.unwrap();
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0].label.as_deref(), Some("tests"));
    assert_eq!(listed[0].gateway_id.as_deref(), Some(GATEWAY));
    assert!(client
        .local_tokens("9999-9999-9999")
        .await
        .unwrap()
        .is_empty());
    let uuid = listed[0].uuid.clone().unwrap();
    client.delete_local_token(GATEWAY, &uuid).await.unwrap();
    assert!(client.local_tokens(GATEWAY).await.unwrap().is_empty());
    let error = local.get_setup_devices().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotAuthenticated, "{error:?}");
    let error = client.delete_local_token(GATEWAY, &uuid).await.unwrap_err();
    assert!(error.to_string().contains("Not such token"), "{error}");
    // A token added by the test is not a local token: it stays.
    bearer("added").get_setup().await.unwrap();
}

#[tokio::test]
async fn faults_on_the_next_calls() {
    let sim = simulator().await;
    let retrying = Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(
        RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(10)),
    )
    .build()
    .unwrap();
    retrying.get_setup().await.unwrap();
    let before = sim.request_count();
    // A read is resent after a maintenance page and a dropped connection.
    sim.fail_next(Fault::Maintenance, 1);
    sim.fail_next(Fault::DropConnection, 1);
    retrying.get_setup().await.unwrap();
    assert_eq!(sim.request_count() - before, 3);
    // The client does not resend after a 429 (without `Retry-After`); the fault
    // answers one call only.
    sim.fail_next(Fault::RateLimit, 1);
    let error = retrying.get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyRequests, "{error:?}");
    retrying.get_setup().await.unwrap();

    let client = client(&sim);
    client.get_setup().await.unwrap();
    sim.set_fault(Fault::DropConnection, true);
    let error = client.get_setup().await.unwrap_err();
    assert!(error.is_retryable(), "{error:?}");
    sim.set_fault(Fault::DropConnection, false);
    client.get_setup().await.unwrap();
}

async fn listeners_expire_when_not_fetched(form: EventForm) {
    let sim = testing::simulator()
        .event_form(form)
        .configure(|config| config.with_listener_ttl(Duration::from_millis(100)))
        .start()
        .await
        .unwrap();
    let client = client(&sim);
    let mut events = stream(&client);
    events.register().await.unwrap();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(30)));
    let event = next_event(&mut events).await.unwrap();
    let Event::DeviceStateChanged(change) = event else {
        panic!("{event:?}")
    };
    assert_eq!(change.device_url.as_deref(), Some(SHUTTER));
    // Not fetched for longer than the listener lives.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sim.listener_count(), 1); // forgotten on the next call
    let gap = next_event(&mut events).await.unwrap_err();
    assert_eq!(gap.kind(), ErrorKind::EventsLost, "{gap:?}");
    events.register().await.unwrap();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(60)));
    let event = next_event(&mut events).await.unwrap();
    assert_eq!(event.name(), "DeviceStateChangedEvent");
    assert_eq!(closure(&client).await, Some(60));
}
each_form!(listeners_expire_when_not_fetched);

#[tokio::test]
async fn the_control_api_drives_faults_and_devices() {
    let sim = simulator().await;
    let client = client(&sim);
    client.get_setup().await.unwrap();
    let control = Control::of(&sim);
    assert_eq!(control.post("/faults/rate-limit?next=1", "").await, 204);
    let error = client.get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyRequests, "{error:?}");
    client.get_setup().await.unwrap();

    let states = r#"[{"name": "core:ClosureState", "value": 25}]"#;
    let device = "/devices/io%3A%2F%2F1234-1234-6233%2F12184029/states";
    assert_eq!(control.post(device, states).await, 204);
    assert_eq!(closure(&client).await, Some(25));

    assert_eq!(sim.session_count(), 1);
    assert_eq!(control.post("/sessions/expire", "").await, 204);
    let status = control.get("/status").await;
    assert_eq!(status["sessions"], 0, "{status}");
}

async fn executions_fail_on_demand(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    sim.fail_next_executions(1, "NONEXEC_OTHER");
    let mut events = stream(&client);
    let outcome = events
        .run_and_wait(
            action_group("open", vec![]),
            overkiz::ExecutionMode::Normal,
            WAIT,
        )
        .await
        .unwrap();
    assert!(!outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.state.as_str(), "FAILED");
    assert_eq!(outcome.failure_type.as_deref(), Some("NONEXEC_OTHER"));
    assert_eq!(outcome.failed_commands.len(), 1);
    assert_eq!(closure(&client).await, Some(100));
    let outcome = events
        .run_and_wait(
            action_group("open", vec![]),
            overkiz::ExecutionMode::Normal,
            WAIT,
        )
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
}
each_form!(executions_fail_on_demand);

/// Real error answers on demand, for one operation: the client classifies each as
/// it would the real server's, and the other operations are answered normally.
#[tokio::test]
async fn error_fixtures_on_demand_for_one_operation() {
    use overkiz_sim::ErrorFixture;
    let sim = simulator().await;
    let client = client(&sim);
    let fixture = |name: &str| Fault::Error(ErrorFixture::named(name).unwrap());
    for (name, kind) in [
        ("cloud/exec-queue-full", ErrorKind::ExecutionQueueFull),
        ("cloud/too-many-executions", ErrorKind::TooManyExecutions),
        ("cloud/no-such-command", ErrorKind::NoSuchCommand),
        (
            "local/400-duplicate-action-on-device",
            ErrorKind::DuplicateAction,
        ),
    ] {
        sim.fail_next_on("POST /exec/apply", fixture(name), 1)
            .unwrap();
        // Another operation is not affected.
        client.get_setup().await.unwrap();
        let error = apply(&client, "open").await.unwrap_err();
        assert_eq!(error.kind(), kind, "{name}: {error:?}");
        assert!(sim.current_executions().is_empty(), "{name}");
    }
    // The fault was used up: the next launch runs.
    apply(&client, "open").await.unwrap();
    assert_eq!(
        sim.fail_next_on("POST /exec/nowhere", Fault::Maintenance, 1)
            .unwrap_err()
            .0,
        "POST /exec/nowhere"
    );

    // Over the control API, by name.
    let control = Control::of(&sim);
    let names = control.get("/faults").await;
    assert_eq!(
        names.as_array().map(Vec::len),
        Some(4 + ErrorFixture::ALL.len())
    );
    let fault = "/faults/cloud/access-denied-to-gateway?next=1&operation=GET%20/setup/gateways";
    assert_eq!(control.post(fault, "").await, 204);
    client.get_setup().await.unwrap();
    let error = client.get_setup_gateways().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::AccessDeniedToGateway, "{error:?}");
    let unknown = control.post("/faults/cloud/nothing?next=1", "").await;
    assert_eq!(unknown, 400);
}

/// With the documented rate limits on: the client's event stream, at its default
/// pace, is never refused; a second execution within the `exec` limit is, with the
/// client's `TooManyExecutions`, and has no effect.
#[tokio::test]
async fn documented_rate_limits_are_enforced_per_session() {
    use overkiz_sim::RateLimits;
    let sim = simulator_with(|config| config.with_rate_limits(RateLimits::Documented)).await;
    let client = client(&sim);
    let mut events = client.events();
    events.register().await.unwrap();
    apply(&client, "open").await.unwrap();
    let error = apply(&client, "close").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyExecutions, "{error:?}");
    // About three fetches at the default pace, one per second as documented: a
    // refused fetch would be an `Err` item and fail the `unwrap`.
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_millis(2600);
    while let Ok(next) = tokio::time::timeout_at(deadline, events.next()).await {
        seen.push(next.unwrap().unwrap());
    }
    assert!(
        seen.iter()
            .any(|e| matches!(e, Event::ExecutionStateChanged(c) if c.new_state.as_deref() == Some("COMPLETED"))),
        "{seen:?}"
    );
    assert_eq!(sim.history().len(), 1, "the refused launch did nothing");
    // The stream did fetch at that pace, and no fetch was refused.
    let fetches: Vec<Option<u16>> = sim
        .requests()
        .iter()
        .filter(|r| r.is("POST /events/{listenerId}/fetch"))
        .map(|r| r.status)
        .collect();
    assert!(fetches.len() >= 2, "{fetches:?}");
    assert!(fetches.iter().all(|s| *s == Some(200)), "{fetches:?}");
    // A second session has its own count.
    let other = client_for(&sim, "other@example.com");
    other
        .post_exec_apply(&action_group("close", vec![]))
        .await
        .unwrap();
}

fn client_for(sim: &Simulator, user: &str) -> Client {
    Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password(user, "secret"),
    )
    .retry_policy(RetryPolicy::default().with_max_attempts(1))
    .build()
    .unwrap()
}

/// `tests/fixtures/action_groups/action-group-tahoma-switch.json`'s group, its device
/// replaced by the shutter of `setup_tahoma_3.json`.
fn arriving() -> Value {
    let mut groups: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/action_groups/action-group-tahoma-switch.json"
    ))
    .unwrap();
    let mut group = groups[0].take();
    group["actions"][0]["deviceURL"] = Value::from(SHUTTER);
    group
}

fn stored(group: &Value) -> ActionGroup {
    serde_json::from_value(group.clone()).unwrap()
}

#[tokio::test]
async fn action_groups_are_created_read_updated_and_deleted() {
    let sim = simulator().await;
    let client = client(&sim);
    // A fresh simulator stores none.
    assert!(client.get_action_groups().await.unwrap().is_empty());
    let oid = client
        .post_action_groups(&action_group("setClosure", vec![Value::from(30)]))
        .await
        .unwrap()
        .action_group_oid
        .unwrap();
    let group = client.get_action_groups_by_oid(&oid).await.unwrap();
    assert_eq!(group.oid.as_deref(), Some(oid.as_str()));
    assert_eq!(group.label.as_deref(), Some("setClosure"));
    assert!(group.creation_time.is_some_and(|t| t > 0));
    let listed = client.get_action_groups().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].oid.as_deref(), Some(oid.as_str()));
    assert_eq!(sim.action_groups().len(), 1);

    // Updated by the oid in the body.
    let mut changed = action_group("close", vec![]);
    changed.label = Some("evening".into());
    changed.oid = Some(oid.clone());
    client.put_action_groups(&changed).await.unwrap();
    let group = client.get_action_groups_by_oid(&oid).await.unwrap();
    assert_eq!(group.label.as_deref(), Some("evening"));
    let command = &group.actions.as_ref().unwrap()[0]
        .commands
        .as_ref()
        .unwrap()[0];
    assert_eq!(command.name.as_deref(), Some("close"));
    changed.oid = Some("00000000-0000-0000-0000-000000000000".into());
    let error = client.put_action_groups(&changed).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchActionGroup, "{error:?}");

    // Devices outside the setup, malformed groups.
    let mut elsewhere = action_group("open", vec![]);
    elsewhere.actions.as_mut().unwrap()[0].device_url =
        Some("rts://1234-5678-1234/16756006".into());
    let error = client.post_action_groups(&elsewhere).await.unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::ActionGroupSetupNotFound,
        "{error:?}"
    );
    assert!(error.to_string().contains("#1234-5678-1234"), "{error}");
    let mut unknown = action_group("open", vec![]);
    unknown.actions.as_mut().unwrap()[0].device_url = Some("io://1234-1234-6233/0".into());
    let error = client.post_action_groups(&unknown).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchDevice, "{error:?}");
    let empty = ActionGroup {
        label: Some("nothing".into()),
        actions: Some(Vec::new()),
        ..ActionGroup::default()
    };
    let error = client.post_action_groups(&empty).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadRequest, "{error:?}");
    assert_eq!(client.get_action_groups().await.unwrap().len(), 1);

    client.delete_action_groups_by_oid(&oid).await.unwrap();
    for error in [
        client.get_action_groups_by_oid(&oid).await.unwrap_err(),
        client.delete_action_groups_by_oid(&oid).await.unwrap_err(),
        client
            .post_exec_by_action_group_oid(&oid)
            .await
            .unwrap_err(),
    ] {
        assert_eq!(error.kind(), ErrorKind::NoSuchActionGroup, "{error:?}");
        assert!(error.to_string().contains(&oid), "{error}");
    }
    assert!(client.get_action_groups().await.unwrap().is_empty());
}

async fn stored_action_groups_run_like_apply(form: EventForm) {
    // Seeded through the setup's `actionGroups`, which `GET /setup` does not show.
    let mut seeded = setup();
    seeded["actionGroups"] = Value::Array(vec![arriving()]);
    let sim = testing::simulator()
        .setup(seeded)
        .event_form(form)
        .start()
        .await
        .unwrap();
    assert!(sim.setup().get("actionGroups").is_none());
    let client = client(&sim);
    let oid = "d1b689e1-4087-473d-b726-d3b24770856f";
    let groups = client.get_action_groups().await.unwrap();
    assert_eq!(groups, [stored(&arriving())]);

    let mut events = stream(&client);
    events.register().await.unwrap();
    let exec_id = client
        .post_exec_by_action_group_oid(oid)
        .await
        .unwrap()
        .exec_id
        .unwrap();
    let current = client.get_exec_current_by_exec_id(&exec_id).await.unwrap();
    let running = current.action_group.unwrap();
    assert_eq!(running.oid.as_deref(), Some(oid));
    assert_eq!(
        current.description.as_deref(),
        Some("Execution : I'm arriving")
    );
    let outcome = events.wait_for_execution(&exec_id, WAIT).await.unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(closure(&client).await, Some(0));
    let entry = client
        .get_history_executions_by_exec_id(&exec_id)
        .await
        .unwrap()
        .execution
        .unwrap();
    assert_eq!(entry.action_group_oid.as_deref(), Some(oid));
    assert_eq!(entry.label.as_deref(), Some("I'm arriving"));
    assert_eq!(entry.state.as_deref(), Some("COMPLETED"));

    // The variants run the same way.
    sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(100));
    let launched = client.post_exec_by_action_group_oid_geolocated(oid).await;
    assert!(succeeds(&mut events, launched.unwrap().exec_id).await);
    assert_eq!(closure(&client).await, Some(0));
    let high = action_group("setClosure", vec![Value::from(70)]);
    let launched = client.post_exec_apply_high_priority(&high).await;
    assert!(succeeds(&mut events, launched.unwrap().exec_id).await);
    assert_eq!(closure(&client).await, Some(70));
    let launched = client.post_exec_by_action_group_oid_internal(oid).await;
    assert!(succeeds(&mut events, launched.unwrap().exec_id).await);
    assert_eq!(closure(&client).await, Some(0));
    assert_eq!(sim.history().len(), 4);
}
each_form!(stored_action_groups_run_like_apply);

#[tokio::test]
async fn real_action_groups_load_and_check_their_devices_when_run() {
    let sim = simulator().await;
    let groups: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/action_groups/action-group-cozytouch.json"
    ))
    .unwrap();
    for group in groups.as_array().unwrap() {
        let oid = sim.add_action_group(group.clone()).unwrap();
        assert_eq!(Some(oid.as_str()), group["oid"].as_str());
    }
    assert_eq!(sim.add_action_group(Value::from("not a group")), None);
    let client = client(&sim);
    let listed = client.get_action_groups().await.unwrap();
    let expected: Vec<ActionGroup> = groups.as_array().unwrap().iter().map(stored).collect();
    assert_eq!(listed, expected);
    // Their devices are on a gateway this setup does not have.
    let error = client
        .post_exec_by_action_group_oid(listed[0].oid.as_deref().unwrap())
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::ActionGroupSetupNotFound,
        "{error:?}"
    );
    assert!(sim.current_executions().is_empty());
}

#[tokio::test]
async fn scheduled_executions_run_when_due() {
    let sim = simulator().await;
    let oid = sim.add_action_group(arriving()).unwrap();
    let client = client(&sim);
    let now = now_ms();
    let soon = schedule(&client, &oid, now + 600).await;
    let later = schedule(&client, &oid, now + 3_600_000).await;
    let listed = client.get_exec_schedule().await.unwrap();
    let triggers: Vec<_> = listed
        .iter()
        .map(|s| s.trigger_id.clone().unwrap())
        .collect();
    assert_eq!(triggers, [soon.clone(), later.clone()]);
    assert_eq!(listed[0].utc_time, Some(now + 600));
    assert_eq!(listed[0].action_group_oid.as_deref(), Some(oid.as_str()));
    assert_eq!(
        listed[0].execution_type.as_deref(),
        Some("Delayed execution")
    );
    assert_eq!(
        client
            .get_exec_schedule_by_action_group_oid(&oid)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(client
        .get_exec_schedule_by_action_group_oid("another")
        .await
        .unwrap()
        .is_empty());
    let error = client
        .post_exec_schedule_by_action_group_oid_by_utc_timestamp("another", now)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchActionGroup, "{error:?}");

    // Not before its time; then it runs and leaves the list.
    assert_eq!(closure(&client).await, Some(100));
    testing::wait_until("the scheduled run", WAIT, || !sim.history().is_empty())
        .await
        .unwrap();
    let entry = &sim.history()[0];
    assert_eq!(entry["actionGroupOID"], oid.as_str());
    assert_eq!(entry["executionType"], "Delayed execution");
    assert_eq!(entry["state"], "COMPLETED");
    assert_eq!(closure(&client).await, Some(0));
    let left = sim.scheduled_executions();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["triggerId"], later.as_str());
    // Deleting the group drops its schedules.
    client.delete_action_groups_by_oid(&oid).await.unwrap();
    assert!(client.get_exec_schedule().await.unwrap().is_empty());
}

/// A delayed trigger is listed, read and cancelled (`DelayedTriggerCancelledEvent`);
/// a cancelled one never runs.
async fn scheduled_executions_are_cancelled(form: EventForm) {
    let sim = simulator_in(form).await;
    let oid = sim.add_action_group(arriving()).unwrap();
    let client = client(&sim);
    let mut events = stream(&client);
    events.register().await.unwrap();
    let now = now_ms();
    let trigger = schedule(&client, &oid, now + 300).await;
    let listed = client.get_exec_delayed_trigger_schedule().await.unwrap();
    assert_eq!(listed.len(), 1);
    let one = client
        .get_exec_delayed_trigger_schedule_by_trigger_id(&trigger)
        .await
        .unwrap();
    assert_eq!(one.trigger_id.as_deref(), Some(trigger.as_str()));
    client
        .delete_exec_delayed_trigger_schedule_by_trigger_id(&trigger)
        .await
        .unwrap();
    assert!(sim.scheduled_executions().is_empty());
    let error = client
        .get_exec_delayed_trigger_schedule_by_trigger_id(&trigger)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchResource, "{error:?}");
    let mut names = Vec::new();
    while !names.iter().any(|n| n == "DelayedTriggerCancelledEvent") {
        let event = next_event(&mut events).await.unwrap();
        // In the simulator's form, every field typed.
        assert_eq!(event.tag_key(), tag_of(form), "{event:?}");
        assert_eq!(event.extra().map(|e| e.len()), Some(0), "{event:?}");
        names.push(event.name().to_owned());
    }
    assert_eq!(names[0], "DelayedTriggerSetEvent");
    // A witness scheduled after the cancelled time runs; the cancelled one, due
    // before it, would have run first: only the witness did.
    let mut witness = arriving();
    witness["oid"] = Value::from("0a1b2c3d-0000-4000-8000-000000000001");
    witness["label"] = Value::from("witness");
    let witness = sim.add_action_group(witness).unwrap();
    client
        .post_exec_schedule_by_action_group_oid_by_utc_timestamp(&witness, now + 350)
        .await
        .unwrap();
    testing::wait_until("the witness run", WAIT, || !sim.history().is_empty())
        .await
        .unwrap();
    let ran: Vec<Value> = sim
        .history()
        .iter()
        .map(|e| e["actionGroupOID"].clone())
        .collect();
    assert_eq!(ran, [Value::from(witness.as_str())]);
}
each_form!(scheduled_executions_are_cancelled);

#[tokio::test]
async fn a_session_and_a_bearer_token_together_are_refused() {
    let sim = simulator().await;
    sim.add_token("tok");
    let http = reqwest::Client::new();
    let login = http
        .post(format!("{}/login", sim.url()))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body("userId=me%40example.com&userPassword=secret")
        .send()
        .await
        .unwrap();
    let cookie = login.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let get = |url: String, cookie: Option<&str>, bearer: bool| {
        let mut request = http.get(url);
        if let Some(cookie) = cookie {
            request = request.header("Cookie", cookie);
        }
        if bearer {
            request = request.header("Authorization", "Bearer tok");
        }
        request.send()
    };
    let setup_url = format!("{}/setup/gateways", sim.url());
    assert_eq!(
        get(setup_url.clone(), Some(&cookie), false)
            .await
            .unwrap()
            .status(),
        200
    );
    assert_eq!(
        get(setup_url.clone(), None, true).await.unwrap().status(),
        200
    );
    let both = get(setup_url, Some(&cookie), true).await.unwrap();
    assert_eq!(both.status(), 400);
    let body: Value = serde_json::from_slice(&both.bytes().await.unwrap()).unwrap();
    let expected: Value = serde_json::from_str(include_str!(
        "../../../tests/fixtures/errors/cloud/session-and-bearer.json"
    ))
    .unwrap();
    assert_eq!(body, expected);
    // The local API ignores cookies.
    let local = get(
        format!("{}/setup/gateways", sim.local_url()),
        Some(&cookie),
        true,
    );
    assert_eq!(local.await.unwrap().status(), 200);
}

#[tokio::test]
async fn a_state_by_name_is_the_devices() {
    let sim = simulator().await;
    let client = client(&sim);
    let state = client
        .get_setup_devices_by_device_url_states_by_name(SHUTTER, "core:ClosureState")
        .await
        .unwrap();
    assert_eq!(state.name.as_deref(), Some("core:ClosureState"));
    assert_eq!(state.value.as_ref().and_then(|v| v.as_i64()), Some(100));
    let error = client
        .get_setup_devices_by_device_url_states_by_name(SHUTTER, "core:NoSuchState")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchResource, "{error:?}");
}

/// Request bodies are capped: a larger one is refused, unread, with nothing done.
#[tokio::test]
async fn oversized_request_bodies_are_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let sim = simulator().await;
    let http = reqwest::Client::new();
    let big = vec![b' '; overkiz_sim::MAX_REQUEST_BYTES + 1];
    let answer = http
        .post(format!("{}/exec/apply", sim.url()))
        .header("Content-Type", "application/json")
        .body(big)
        .send()
        .await;
    // The simulator may close the connection before the whole body is sent.
    if let Ok(answer) = answer {
        assert_eq!(answer.status(), 413);
    }
    let record = sim.requests().pop().unwrap();
    assert_eq!(record.status, Some(413));
    assert!(sim.current_executions().is_empty());

    // Refused unread: announced larger than the limit, with only a few bytes sent, the
    // call is answered at once (a server reading first would wait for the rest).
    let mut tcp = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    let head = format!(
        "POST /enduser-mobile-web/enduserAPI/exec/apply HTTP/1.1\r\nHost: sim\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{{\"actions\"",
        overkiz_sim::MAX_REQUEST_BYTES + 1
    );
    tcp.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0; 12];
    tokio::time::timeout(WAIT, tcp.read_exact(&mut answer))
        .await
        .expect("answered without waiting for the body")
        .unwrap();
    assert_eq!(answer, b"HTTP/1.1 413");
    assert_eq!(sim.requests().pop().unwrap().status, Some(413));
}

/// Requests are checked against the documentation: a required body or query
/// parameter missing, or a body of another JSON type, is refused with nothing done.
#[tokio::test]
async fn requests_the_documentation_refuses_are_refused() {
    use overkiz::{operations, RawCall};
    async fn send(request: RawCall<'_>) -> overkiz::Error {
        request.await.unwrap_err()
    }
    let sim = simulator().await;
    let client = client(&sim);
    let no_body = send(client.request(&operations::POST_EXEC_APPLY)).await;
    assert_eq!(no_body.kind(), ErrorKind::BadRequest, "{no_body:?}");
    assert!(no_body.to_string().contains("missing body"), "{no_body}");
    let array = client
        .request(&operations::POST_EXEC_APPLY)
        .json(&serde_json::json!([]));
    let error = send(array).await;
    assert!(error.to_string().contains("not a JSON object"), "{error}");
    assert!(sim.current_executions().is_empty());
    assert!(sim.history().is_empty());
    let error = send(client.request(&operations::GET_SETUP_FILES_UPLOAD_URL)).await;
    assert!(
        error
            .to_string()
            .contains("missing query parameter fileType"),
        "{error}"
    );
}

/// Every real setup of `tests/fixtures/setup/` loads and is served: the setup and
/// each device through the client, and an execution of a command a device lists
/// runs to its end.
#[tokio::test]
async fn every_real_setup_is_served() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/setup");
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() >= 12, "{files:?}");
    for file in files {
        let name = file.display().to_string();
        let setup: Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
        let sim = testing::simulator()
            .setup(setup.clone())
            .start()
            .await
            .unwrap();
        let client = client(&sim);
        let served = client
            .get_setup()
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        let devices = served.devices.unwrap_or_default();
        assert_eq!(
            devices.len(),
            setup["devices"].as_array().map_or(0, Vec::len),
            "{name}"
        );
        for device in &devices {
            let url = device.device_url.as_deref().unwrap();
            client
                .get_setup_devices_by_device_url(url)
                .await
                .unwrap_or_else(|e| panic!("{name} {url}: {e:?}"));
        }
        // A command without parameters that the device lists (the simulator refuses
        // the others).
        let Some((first, command)) = devices.iter().find_map(|d| {
            let command = d
                .command_definitions()
                .iter()
                .find(|c| c.nparams.unwrap_or(0) == 0)?
                .command_name
                .clone()?;
            Some((d.device_url.clone()?, command))
        }) else {
            continue;
        };
        let group = ActionGroup {
            label: Some("refresh".into()),
            actions: Some(vec![Action {
                device_url: Some(first),
                commands: Some(vec![Command {
                    name: Some(command),
                    parameters: Some(Vec::new()),
                    ..Command::default()
                }]),
                ..Action::default()
            }]),
            ..ActionGroup::default()
        };
        let outcome = stream(&client)
            .run_and_wait(group, overkiz::ExecutionMode::Normal, WAIT)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e:?}"));
        assert!(outcome.is_success(), "{name}: {outcome:?}");
    }
}

/// A file that is not a setup is refused at start, with what is wrong, never served
/// (where it could panic a connection later).
#[tokio::test]
async fn what_is_not_a_setup_is_refused_at_start() {
    for (setup, expected) in [
        (serde_json::json!([]), "expected a JSON object"),
        (
            serde_json::json!({"devices": {}}),
            "devices is not an array",
        ),
        (
            serde_json::json!({"devices": [1]}),
            "devices[0] is not an object",
        ),
        (
            serde_json::json!({"gateways": "x"}),
            "gateways is not an array",
        ),
    ] {
        let error = match Simulator::builder().setup(setup).start().await {
            Ok(_) => panic!("{expected}: started"),
            Err(error) => error,
        };
        assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
        assert!(error.to_string().contains(expected), "{error}");
    }
    // Empty is fine: a setup without devices.
    Simulator::builder()
        .setup(serde_json::json!({}))
        .start()
        .await
        .unwrap();
}

/// A command the device's definition does not list is refused as the server refuses
/// it (`tests/fixtures/errors/cloud/no-such-command.json`), and nothing runs; the
/// commands it lists still run.
#[tokio::test]
async fn commands_the_device_does_not_have_are_refused() {
    let sim = simulator().await;
    let client = client(&sim);
    let error = client
        .post_exec_apply(&action_group("fly", vec![Value::from(3)]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchCommand, "{error:?}");
    assert!(
        error.to_string().contains("No such command : fly"),
        "{error}"
    );
    assert!(sim.current_executions().is_empty());
    // Stored action groups are checked the same way.
    let error = client
        .post_action_groups(&action_group("fly", Vec::new()))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchCommand, "{error:?}");
    assert!(client.get_action_groups().await.unwrap().is_empty());
    assert!(sim.history().is_empty());
    let launched = client
        .post_exec_apply(&action_group("setClosure", vec![Value::from(30)]))
        .await
        .unwrap();
    assert!(launched.exec_id.is_some());
}

/// The control API takes counts up to 10,000: a larger one (or one that is not a
/// number) is refused and queues nothing.
#[tokio::test]
async fn the_control_api_refuses_huge_counts() {
    let sim = simulator().await;
    let client = client(&sim);
    let control = Control::of(&sim);
    for count in [
        "10001",
        "18446744073709551615",
        "99999999999999999999",
        "many",
    ] {
        let fault = format!("/faults/maintenance?next={count}");
        assert_eq!(control.post(&fault, "").await, 400, "next={count}");
    }
    client
        .get_setup()
        .await
        .expect("no fault queued or switched on");
    assert_eq!(
        control.post("/faults/maintenance?next=10000", "").await,
        204
    );
    let error = client.get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Maintenance, "{error:?}");
}

/// `POST /exec/apply` of `command` on `device_url`: the answer, as the client got it.
async fn apply_on(
    client: &Client,
    device_url: &str,
    command: &str,
) -> Result<String, overkiz::Error> {
    let mut group = action_group(command, vec![]);
    if let Some(action) = group.actions.as_mut().and_then(|a| a.first_mut()) {
        action.device_url = Some(device_url.into());
    }
    let launched = client.post_exec_apply(&group).await?;
    Ok(launched.exec_id.expect("an execution id"))
}

/// Each gateway runs 10 executions at once, whatever runs on the others: the 11th
/// launch on a gateway gets the server's `EXEC_QUEUE_FULL` answer naming it
/// (`cloud/exec-queue-full`), and the other gateway still takes launches.
#[tokio::test]
async fn the_execution_queue_is_counted_per_gateway() {
    let sim = testing::simulator()
        .setup(testing::two_gateways())
        .start()
        .await
        .unwrap();
    sim.hold_executions(true);
    let client = client(&sim);
    for _ in 0..10 {
        apply_on(&client, SHUTTER, "open").await.unwrap();
    }
    let refused = apply_on(&client, SHUTTER, "open").await.unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::ExecutionQueueFull, "{refused:?}");
    assert!(
        refused.to_string().contains(&format!(
            "Execution queue is full on gateway: #{GATEWAY} (soft limit: 10)"
        )),
        "{refused}"
    );
    assert_eq!(
        sim.current_executions().len(),
        10,
        "the refused launch runs nothing"
    );
    for _ in 0..10 {
        apply_on(&client, testing::SECOND_SHUTTER, "open")
            .await
            .expect("the second gateway has its own queue");
    }
    let refused = apply_on(&client, testing::SECOND_SHUTTER, "open")
        .await
        .unwrap_err();
    assert!(
        refused.to_string().contains(testing::SECOND_GATEWAY),
        "{refused}"
    );
    sim.hold_executions(false);
    testing::wait_until("the executions' end", WAIT, || {
        sim.current_executions().is_empty()
    })
    .await
    .unwrap();
    apply_on(&client, SHUTTER, "open")
        .await
        .expect("room again once they ended");
}
