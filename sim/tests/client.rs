//! The real `overkiz` client against the simulator.

use std::time::Duration;

use futures::StreamExt;
use overkiz::types::{Action, ActionGroup, Command};
use overkiz::{
    Client, Credentials, ErrorKind, Event, EventStream, EventStreamConfig, RetryPolicy, Server,
    TypedValue,
};
use overkiz_sim::{Config, Fault, Simulator};
use serde_json::Value;

const SETUP: &str = include_str!("../../tests/fixtures/setup/setup_tahoma_3.json");
/// A roller shutter of `setup_tahoma_3.json`, closed (`core:ClosureState` 100).
const SHUTTER: &str = "io://1234-1234-6233/12184029";
const WAIT: Duration = Duration::from_secs(5);

fn setup() -> Value {
    serde_json::from_str(SETUP).unwrap()
}

async fn simulator() -> Simulator {
    Simulator::start_with(
        setup(),
        Config::default().with_step(Duration::from_millis(20)),
    )
    .await
    .unwrap()
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

fn action_group(command: &str, parameters: Vec<Value>) -> ActionGroup {
    ActionGroup {
        label: Some(command.into()),
        actions: Some(vec![Action {
            device_url: Some(SHUTTER.into()),
            commands: Some(vec![Command {
                name: Some(command.into()),
                parameters: Some(parameters),
                ..Command::default()
            }]),
            ..Action::default()
        }]),
        ..ActionGroup::default()
    }
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
    let config = Config::default().with_credentials("me@example.com", "right");
    let sim = Simulator::start_with(setup(), config).await.unwrap();
    let error = client(&sim).get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadCredentials, "{error:?}");
    assert_eq!(sim.session_count(), 0);
}

#[tokio::test]
async fn execute_and_wait_moves_the_shutter() {
    let sim = simulator().await;
    let client = client(&sim);
    assert_eq!(closure(&client).await, Some(100));
    // `Client::execute_and_wait` through a stream fetching every 10 ms (the default
    // waits the documented 1 s between fetches).
    let mut events = stream(&client);
    let outcome = events
        .execute_and_wait(&action_group("open", vec![]), WAIT)
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(closure(&client).await, Some(0));
    let outcome = events
        .execute_and_wait(&action_group("setClosure", vec![Value::from(40)]), WAIT)
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(closure(&client).await, Some(40));
    let outcome = events
        .execute_and_wait(&action_group("close", vec![]), WAIT)
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(closure(&client).await, Some(100));
    assert_eq!(
        sim.device_state(SHUTTER, "core:OpenClosedState"),
        Some(Value::from("closed"))
    );
    // The history has the three executions, newest first; none is running.
    #[allow(deprecated)] // the only listing of the history
    let history = client.get_history_executions().await.unwrap();
    assert_eq!(history.len(), 3);
    let last = client
        .get_history_executions_by_exec_id(&outcome.exec_id)
        .await
        .unwrap();
    assert_eq!(last.execution.unwrap().state.as_deref(), Some("COMPLETED"));
    assert!(client.get_exec_current().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_event_stream_sees_the_execution() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut events = stream(&client);
    events.register().await.unwrap();
    let exec_id = client
        .post_exec_apply(&action_group("open", vec![]))
        .await
        .unwrap()
        .exec_id
        .unwrap();
    let current = client.get_exec_current_by_exec_id(&exec_id).await.unwrap();
    assert_eq!(current.id.as_deref(), Some(exec_id.as_str()));
    let mut names = Vec::new();
    let mut states = Vec::new();
    loop {
        let event = tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
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

#[tokio::test]
async fn cancelled_executions_fail() {
    let sim = Simulator::start_with(
        setup(),
        Config::default().with_step(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    let client = client(&sim);
    let exec_id = client
        .post_exec_apply(&action_group("open", vec![]))
        .await
        .unwrap()
        .exec_id
        .unwrap();
    assert_eq!(sim.current_executions(), std::slice::from_ref(&exec_id));
    assert_eq!(client.get_exec_current().await.unwrap().len(), 1);
    client
        .delete_exec_current_setup_by_exec_id(&exec_id)
        .await
        .unwrap();
    let outcome = client.look_up_execution(&exec_id).await.unwrap().unwrap();
    assert_eq!(outcome.state.as_str(), "FAILED");
    assert_eq!(outcome.failure_type.as_deref(), Some("CMDCANCELLED"));
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(Value::from(100))
    );
    // A gateway runs 10 executions at most.
    for _ in 0..10 {
        client
            .post_exec_apply(&action_group("open", vec![]))
            .await
            .unwrap();
    }
    let error = client
        .post_exec_apply(&action_group("open", vec![]))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ExecutionQueueFull, "{error:?}");
    client.delete_exec_current_setup().await.unwrap();
    assert!(sim.current_executions().is_empty());
}

#[tokio::test]
async fn an_expired_listener_is_a_gap_and_the_stream_goes_on() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut events = stream(&client);
    events.register().await.unwrap();
    client
        .post_exec_apply(&action_group("open", vec![]))
        .await
        .unwrap();
    // One event fetched: the listener worked.
    tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    sim.expire_listeners();
    let gap = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(gap.kind(), ErrorKind::EventsLost, "{gap:?}");
    // The stream registers again and goes on.
    events.register().await.unwrap();
    client
        .post_exec_apply(&action_group("close", vec![]))
        .await
        .unwrap();
    let event = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(!event.name().is_empty());
    assert_eq!(sim.listener_count(), 1);
}

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

#[tokio::test]
async fn expired_sessions_are_renewed_by_the_client() {
    let sim = Simulator::start_with(
        setup(),
        Config::default().with_session_ttl(Duration::from_millis(200)),
    )
    .await
    .unwrap();
    let client = client(&sim);
    client.get_setup().await.unwrap();
    sim.expire_sessions();
    assert_eq!(sim.session_count(), 0);
    client.get_setup().await.unwrap();
    assert_eq!(sim.session_count(), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    client.get_setup().await.unwrap();
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

/// The operations the simulator answers from its state (the others answer their
/// documented example); with made-up path arguments, some of them answer errors.
const STATEFUL: &[&str] = &[
    "/login",
    "/logout",
    "/exec/apply",
    "/setup/devices/{deviceURL}",
    "/setup/devices/{deviceURL}/states",
    "/setup/devices/{deviceURL}/states/{name}",
    "/events/{listenerId}/fetch",
    "/events/{listenerId}/unregister",
    "/history/executions/{execId}",
    "/config/{gatewayId}/local/tokens",
];

/// Every documented operation, called through the client: the documented status and
/// a body of the documented kind.
#[tokio::test]
async fn every_documented_operation_answers() {
    use overkiz::__private::{RawResponse, Request};
    use overkiz::{operations, Call, ResponseKind};
    let sim = simulator().await;
    let client = client(&sim);
    let mut answered = 0;
    for op in operations::ALL {
        if STATEFUL.contains(&op.path) {
            continue;
        }
        let args = vec!["x"; op.path.matches('{').count()];
        let call: Call<'_, RawResponse> = Call::new(
            &client,
            Request::new(op).path(&args),
            Ok::<_, overkiz::Error>,
        );
        let raw = call
            .await
            .unwrap_or_else(|error| panic!("{} {}: {error:?}", op.method, op.path));
        assert_eq!(raw.status, op.status, "{} {}", op.method, op.path);
        if op.response == ResponseKind::Json && !raw.body.is_empty() {
            serde_json::from_slice::<Value>(&raw.body).unwrap();
        }
        answered += 1;
    }
    assert!(answered > 450, "{answered}");
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
    let created = client
        .create_local_token("1234-1234-6233", "tests")
        .await
        .unwrap();
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

#[tokio::test]
async fn listeners_expire_when_not_fetched() {
    let config = Config::default().with_listener_ttl(Duration::from_millis(100));
    let sim = Simulator::start_with(setup(), config).await.unwrap();
    let client = client(&sim);
    let mut events = stream(&client);
    events.register().await.unwrap();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(30)));
    let event = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let Event::DeviceStateChanged(change) = event else {
        panic!("{event:?}")
    };
    assert_eq!(change.device_url.as_deref(), Some(SHUTTER));
    // Not fetched for longer than the listener lives.
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sim.listener_count(), 1); // forgotten on the next call
    let gap = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
    assert_eq!(gap.kind(), ErrorKind::EventsLost, "{gap:?}");
    events.register().await.unwrap();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(60)));
    let event = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(event.name(), "DeviceStateChangedEvent");
    assert_eq!(closure(&client).await, Some(60));
}

/// Kills the child process when dropped (a failed test included).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `overkiz-sim --setup FILE --port 0` prints its URL and serves the setup.
#[tokio::test]
async fn the_binary_serves_a_setup_file() {
    use std::io::BufRead;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/setup/setup_tahoma_3.json"
    );
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_overkiz-sim"))
            .args(["--setup", fixture, "--port", "0", "--step-ms", "20"])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut line = String::new();
        std::io::BufReader::new(stdout)
            .read_line(&mut line)
            .unwrap();
        line
    })
    .await
    .unwrap();
    let client = Client::new(
        Server::custom(line.trim()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .unwrap();
    let devices = client
        .get_setup()
        .await
        .unwrap()
        .devices
        .unwrap_or_default();
    assert_eq!(devices.len(), setup()["devices"].as_array().unwrap().len());
}

#[tokio::test]
async fn the_control_api_drives_faults_and_devices() {
    let sim = simulator().await;
    let client = client(&sim);
    client.get_setup().await.unwrap();
    let control = format!("http://{}/_sim", sim.addr());
    let http = reqwest::Client::new();
    let post = |path: &str| http.post(format!("{control}{path}"));
    let sent = post("/faults/rate-limit?next=1").send().await.unwrap();
    assert_eq!(sent.status(), 204);
    let error = client.get_setup().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyRequests, "{error:?}");
    client.get_setup().await.unwrap();

    let states = r#"[{"name": "core:ClosureState", "value": 25}]"#;
    let sent = post("/devices/io%3A%2F%2F1234-1234-6233%2F12184029/states")
        .body(states)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 204);
    assert_eq!(closure(&client).await, Some(25));

    post("/sessions/expire").send().await.unwrap();
    let status: Value = http
        .get(format!("{control}/status"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .map(|b| serde_json::from_slice(&b).unwrap())
        .unwrap();
    assert_eq!(status["sessions"], 0, "{status}");
}

#[tokio::test]
async fn executions_fail_on_demand() {
    let sim = simulator().await;
    let client = client(&sim);
    sim.fail_next_executions(1, "NONEXEC_OTHER");
    let mut events = stream(&client);
    let outcome = events
        .execute_and_wait(&action_group("open", vec![]), WAIT)
        .await
        .unwrap();
    assert!(!outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.state.as_str(), "FAILED");
    assert_eq!(outcome.failure_type.as_deref(), Some("NONEXEC_OTHER"));
    assert_eq!(outcome.failed_commands.len(), 1);
    assert_eq!(closure(&client).await, Some(100));
    let outcome = events
        .execute_and_wait(&action_group("open", vec![]), WAIT)
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
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
