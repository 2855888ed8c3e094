//! The execution and event-stream tests of `executions.rs` and `events.rs`, again
//! against the simulator (`overkiz-sim`) instead of hand-written answers: a server
//! that keeps real state (sessions, listeners, executions that progress, device
//! states), so the client's guarantees are checked against causes, not against
//! scripted answer sequences. Each test names the hand-mocked test it mirrors.

use std::time::{Duration, Instant};

use futures::StreamExt;
use overkiz::types::ActionGroup;
use overkiz::{
    Client, Credentials, Error, ErrorKind, Event, EventStream, EventStreamConfig, ExecutionState,
    GapReason, RetryPolicy, Server, WireForm,
};
use overkiz_sim::{Config, ErrorFixture, EventForm, Fault, Simulator};
use serde_json::{json, Value};

const SETUP: &str = include_str!("../../fixtures/setup/setup_tahoma_3.json");
/// A roller shutter of `setup_tahoma_3.json`, closed (`core:ClosureState` 100).
const SHUTTER: &str = "io://1234-1234-6233/12184029";
const WAIT: Duration = Duration::from_secs(5);

const REGISTER: &str = "POST /events/register";
const FETCH: &str = "POST /events/{listenerId}/fetch";
const UNREGISTER: &str = "POST /events/{listenerId}/unregister";
const APPLY: &str = "POST /exec/apply";
const LOGIN: &str = "POST /login";

async fn simulator() -> Simulator {
    simulator_in(EventForm::default()).await
}

/// A simulator writing events in `form`.
async fn simulator_in(form: EventForm) -> Simulator {
    let setup: Value = serde_json::from_str(SETUP).unwrap();
    Simulator::start_with(setup, config(form)).await.unwrap()
}

fn config(form: EventForm) -> Config {
    Config::default()
        .with_step(Duration::from_millis(20))
        .with_event_form(form)
}

/// Runs `async fn $test(form: EventForm)` as two tests, `$test::previous` and
/// `$test::newest`: the tests that see events, against both forms of events (the
/// others do not depend on it and run once).
macro_rules! each_form {
    ($test:ident) => {
        mod $test {
            #[tokio::test]
            async fn previous() {
                super::$test(overkiz_sim::EventForm::Previous).await
            }
            #[tokio::test]
            async fn newest() {
                super::$test(overkiz_sim::EventForm::Newest).await
            }
        }
    };
}

/// The form a client sees events of a simulator in `form` in.
fn wire_form(form: EventForm) -> WireForm {
    match form {
        EventForm::Previous => WireForm::Previous,
        EventForm::Newest => WireForm::Newest,
    }
}

fn client(sim: &Simulator) -> Client {
    Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(
        RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(10)),
    )
    .build()
    .unwrap()
}

/// A client that never resends: every failure reaches the stream as it came.
fn client_without_resends(sim: &Simulator) -> Client {
    Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(RetryPolicy::disabled())
    .build()
    .unwrap()
}

fn fast() -> EventStreamConfig {
    EventStreamConfig::default()
        .with_fetch_interval(Duration::from_millis(10))
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(20))
}

fn action_group(command: &str) -> ActionGroup {
    overkiz::action_group(command, [overkiz::Action::new(SHUTTER, [command])])
}

/// Launches `command` on the shutter (`POST /exec/apply`); its execution's id.
async fn launch(client: &Client, command: &str) -> String {
    client
        .post_exec_apply(&action_group(command))
        .await
        .unwrap()
        .exec_id
        .expect("an execId")
}

fn fixture(name: &str) -> Fault {
    Fault::Error(ErrorFixture::named(name).unwrap())
}

/// Waits (a bounded time) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The next `n` items of the stream, each within [`WAIT`].
async fn take(events: &mut EventStream, n: usize) -> Vec<Result<Event, Error>> {
    let mut items = Vec::new();
    for _ in 0..n {
        let item = tokio::time::timeout(WAIT, events.next())
            .await
            .expect("an item in time")
            .expect("the stream is endless");
        items.push(item);
    }
    items
}

/// The next item is a gap for `reason`.
async fn expect_gap(events: &mut EventStream, reason: GapReason) {
    match take(events, 1).await.remove(0) {
        Err(Error::EventsLost { reason: found }) => assert_eq!(found, reason),
        other => panic!("a gap ({reason:?}) expected, got {other:?}"),
    }
}

/// Nothing more arrives for a while.
async fn assert_quiet(events: &mut EventStream) {
    let more = tokio::time::timeout(Duration::from_millis(100), events.next()).await;
    assert!(more.is_err(), "unexpected {more:?}");
}

/// Device state changes of the shutter's `core:ClosureState`, reported by the device.
fn report_closure(sim: &Simulator, value: i64) {
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(value)));
}

fn closure_of(event: &Event) -> Option<String> {
    match event {
        Event::DeviceStateChanged(change) => change
            .device_states
            .iter()
            .flatten()
            .find(|s| s.name.as_deref() == Some("core:ClosureState"))
            .and_then(|s| s.value.as_ref())
            .map(|v| v.to_string().trim_matches('"').to_owned()),
        _ => None,
    }
}

/// The next item of `events`, while the shutter reports `value` as soon as the
/// simulator has seen `registrations` registrations: events sent while no listener
/// exists are lost, on the simulator as on the server.
async fn next_after_registration(
    sim: &Simulator,
    events: &mut EventStream,
    registrations: usize,
    value: i64,
) -> Result<Event, Error> {
    let report = async {
        eventually("a registration", || sim.count_of(REGISTER) == registrations).await;
        report_closure(sim, value);
    };
    let (mut items, ()) = tokio::join!(take(events, 1), report);
    items.remove(0)
}

// ---- executions.rs ----

/// Mirrors `execute_and_wait_follows_the_execution_to_completed`.
async fn execute_and_wait_follows_a_simulated_execution_to_completed(form: EventForm) {
    let sim = simulator_in(form).await;
    report_closure(&sim, 0);
    let client = client(&sim);
    let mut stream = client.events_with(fast());
    let outcome = stream
        .run_and_wait(action_group("close"), overkiz::ExecutionMode::Normal, WAIT)
        .await
        .expect("completes");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert!(outcome.is_success());
    assert_eq!(outcome.failure_type, None);
    assert!(outcome.failed_commands.is_empty());
    assert_eq!(
        outcome.event.as_ref().unwrap().old_state.as_deref(),
        Some("IN_PROGRESS")
    );
    assert_eq!(outcome.event.as_ref().unwrap().wire_form, wire_form(form));
    assert_eq!(sim.history()[0]["id"], outcome.exec_id.as_str());
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(json!(100))
    );

    // The listener exists before the launch, which is sent once.
    let operations: Vec<String> = sim
        .requests()
        .into_iter()
        .filter_map(|r| r.operation)
        .filter(|op| op != LOGIN)
        .collect();
    assert_eq!(operations[..3], [REGISTER, APPLY, FETCH]);
    assert_eq!(sim.count_of(APPLY), 1);

    // The stream goes on after the final event.
    report_closure(&sim, 42);
    let next = take(&mut stream, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&next).as_deref(), Some("42"));
}
each_form!(execute_and_wait_follows_a_simulated_execution_to_completed);

/// Mirrors `execute_and_wait_reports_a_failed_execution`.
async fn a_simulated_failed_execution_is_an_outcome(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.fail_next_executions(1, "CMDNOTACCEPTED");
    let client = client(&sim);
    let outcome = client
        .events_with(fast())
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, WAIT)
        .await
        .expect("a failed execution is an outcome, not an error");
    assert_eq!(outcome.state, ExecutionState::Failed);
    assert!(!outcome.is_success());
    assert_eq!(outcome.failure_type.as_deref(), Some("CMDNOTACCEPTED"));
    assert_eq!(outcome.failed_commands.len(), 1);
    assert_eq!(
        outcome.failed_commands[0].device_url.as_deref(),
        Some(SHUTTER)
    );
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(json!(100))
    );
    // The stream was dropped: its listener goes.
    eventually("the unregistration", || sim.listener_count() == 0).await;
    assert_eq!(sim.count_of(UNREGISTER), 1);
}
each_form!(a_simulated_failed_execution_is_an_outcome);

/// Mirrors `client_execute_and_wait_unregisters_its_listener`.
async fn client_execute_and_wait_unregisters_its_simulated_listener(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let outcome = client
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, WAIT)
        .await
        .expect("completes");
    assert!(outcome.is_success());
    assert_eq!(sim.listener_count(), 0, "unregistered on return");
    assert_eq!(sim.count_of(UNREGISTER), 1);
}
each_form!(client_execute_and_wait_unregisters_its_simulated_listener);

/// Mirrors `waiting_times_out_with_the_last_state_seen` and the second half of
/// `a_timeout_is_reported_only_after_looking_the_execution_up`: a device that takes
/// its time.
async fn a_held_execution_times_out_with_its_last_state_and_id(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.hold_executions(true);
    let client = client(&sim);
    let mut stream = client.events_with(fast());
    let timeout = Duration::from_millis(400);
    let started = Instant::now();
    let error = stream
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, timeout)
        .await
        .expect_err("never completes while held");
    assert!(started.elapsed() >= timeout);
    assert_eq!(error.kind(), ErrorKind::ExecutionTimeout);
    assert!(
        !error.is_retryable(),
        "relaunching would run the commands twice"
    );
    let exec_id = sim.current_executions().pop().expect("still running");
    assert_eq!(error.exec_id(), Some(exec_id.as_str()));
    match &error {
        Error::ExecutionTimeout { last_state, .. } => {
            assert_eq!(last_state.as_deref(), Some("IN_PROGRESS"));
        }
        other => panic!("timeout expected, got {other:?}"),
    }
    // Looked up before reporting the timeout.
    let requests = sim.requests();
    assert!(requests.iter().any(|r| r.is("GET /exec/current/{execId}")));
    // Released, it completes; waiting again finds the outcome.
    sim.hold_executions(false);
    let outcome = stream.wait_for_execution(&exec_id, WAIT).await.unwrap();
    assert_eq!(outcome.state, ExecutionState::Completed);
}
each_form!(a_held_execution_times_out_with_its_last_state_and_id);

/// Mirrors `waiting_survives_an_expired_listener_and_retryable_errors`.
async fn waiting_survives_a_lost_simulated_listener_and_an_outage(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.hold_executions(true);
    let client = client(&sim);
    let mut stream = client.events_with(fast());
    stream.register().await.unwrap();
    let exec_id = launch(&client, "open").await;
    sim.fail_next_on(FETCH, fixture("cloud/503-empty"), 1)
        .unwrap();
    let wait = stream.wait_for_execution(&exec_id, WAIT);
    let drive = async {
        eventually("the outage answered", || {
            sim.requests()
                .iter()
                .any(|r| r.is(FETCH) && r.status == Some(503))
        })
        .await;
        sim.expire_listeners();
        eventually("a second registration", || sim.count_of(REGISTER) == 2).await;
        sim.hold_executions(false);
    };
    let (outcome, ()) = tokio::join!(wait, drive);
    let outcome = outcome.expect("completes");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert!(outcome.event.is_some(), "seen on the new listener");
    assert_eq!(sim.count_of(REGISTER), 2);
}
each_form!(waiting_survives_a_lost_simulated_listener_and_an_outage);

/// Mirrors `errors_waiting_cannot_cure_end_the_wait_at_once` and
/// `errors_while_following_carry_the_exec_id`.
#[tokio::test]
async fn an_error_waiting_cannot_cure_ends_the_wait_with_the_exec_id() {
    let sim = simulator().await;
    sim.hold_executions(true);
    let client = client(&sim);
    sim.fail_next_on(FETCH, fixture("cloud/access-denied-to-gateway"), 1)
        .unwrap();
    let started = Instant::now();
    let error = client
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, Duration::from_secs(10))
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(error.kind(), ErrorKind::AccessDeniedToGateway);
    assert!(matches!(error, Error::Execution { .. }), "{error:?}");
    assert!(!error.is_retryable(), "retrying would launch again");
    let exec_id = sim.current_executions().pop().unwrap();
    assert_eq!(error.exec_id(), Some(exec_id.as_str()));
    assert_eq!(sim.listener_count(), 0, "unregistered on return");
}

/// Mirrors `a_refused_launch_is_returned_and_not_retried`, with the simulator's own
/// execution queue limit (10 running executions) instead of a scripted answer.
#[tokio::test]
async fn a_full_simulated_queue_refuses_the_launch_once() {
    let sim = simulator().await;
    sim.hold_executions(true);
    let client = client(&sim);
    for _ in 0..10 {
        client.post_exec_apply(&action_group("open")).await.unwrap();
    }
    let error = client
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, WAIT)
        .await
        .expect_err("queue full");
    assert_eq!(error.kind(), ErrorKind::ExecutionQueueFull);
    assert_eq!(sim.count_of(APPLY), 11, "the refused launch is not resent");
    assert_eq!(sim.count_of(FETCH), 0);
    assert_eq!(sim.current_executions().len(), 10);
    assert_eq!(sim.listener_count(), 0, "unregistered on return");
}

/// Mirrors `a_launch_answer_without_exec_id_is_an_error` (and, for `Client::run`,
/// `an_answer_without_exec_id_is_an_error`).
#[tokio::test]
async fn a_simulated_launch_answer_without_exec_id_is_an_error() {
    let sim = simulator().await;
    let client = client(&sim);
    let empty = || Fault::Answer {
        status: 200,
        content_type: "application/json",
        body: "{}".into(),
        headers: Vec::new(),
    };
    sim.fail_next_on(APPLY, empty(), 1).unwrap();
    let error = client
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, WAIT)
        .await
        .expect_err("no execId");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.operation().map(|op| op.path), Some("/exec/apply"));
    sim.fail_next_on(APPLY, empty(), 1).unwrap();
    let action = overkiz::Action::new(SHUTTER, ["close"]);
    let error = client
        .run(action, overkiz::ExecutionMode::Normal)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
}

/// Mirrors `an_execution_that_ended_during_a_gap_is_found_in_the_history`: the
/// listener is lost and the execution ends before a new one exists, so its final
/// event is gone; the wait registers again and finds it in the history.
async fn a_simulated_execution_that_ended_during_a_gap_is_found_in_the_history(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.hold_executions(true);
    let client = client(&sim);
    let mut stream = client.events_with(fast());
    stream.register().await.unwrap();
    let exec_id = launch(&client, "open").await;
    let wait = stream.wait_for_execution(&exec_id, WAIT);
    let drive = async {
        eventually("a fetch", || sim.count_of(FETCH) >= 2).await;
        // Every answer now takes 300 ms: the execution (20 ms a step) ends while the
        // client is without a listener.
        sim.set_latency(Duration::from_millis(300));
        sim.expire_listeners();
        sim.hold_executions(false);
        eventually("the execution's end", || !sim.history().is_empty()).await;
        sim.set_latency(Duration::ZERO);
    };
    let (outcome, ()) = tokio::join!(wait, drive);
    let outcome = outcome.expect("found in the history");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert_eq!(outcome.event, None, "read from the history");
    let requests = sim.requests();
    let register_again = requests.iter().rposition(|r| r.is(REGISTER)).unwrap();
    let look_up = requests
        .iter()
        .rposition(|r| r.is("GET /history/executions/{execId}"))
        .expect("looked up in the history");
    assert!(register_again < look_up, "registers before looking up");
}
each_form!(a_simulated_execution_that_ended_during_a_gap_is_found_in_the_history);

/// Mirrors the first half of `a_timeout_is_reported_only_after_looking_the_execution_up`:
/// an execution that ended before the wait began is found, not timed out.
#[tokio::test]
async fn waiting_for_a_finished_simulated_execution_finds_it() {
    let sim = simulator().await;
    let client = client(&sim);
    let exec_id = launch(&client, "open").await;
    eventually("the execution's end", || !sim.history().is_empty()).await;
    let outcome = client
        .wait_for_execution(&exec_id, Duration::from_millis(200))
        .await
        .expect("found in the history");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert_eq!(outcome.exec_id, exec_id);
}

/// Mirrors `a_session_expiring_before_the_launch_does_not_strand_the_wait`: the
/// session ends between the registration and the launch, so the launch is refused
/// and the listener dies; the client signs in again, launches once more, and follows
/// the execution on a new listener without fetching the dead one.
async fn a_simulated_session_expiring_before_the_launch_does_not_strand_the_wait(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    sim.fail_next_on(APPLY, Fault::SessionExpired, 1).unwrap();
    let outcome = client
        .events_with(fast())
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, WAIT)
        .await
        .expect("completes");
    assert_eq!(outcome.state, ExecutionState::Completed);
    assert!(outcome.event.is_some());
    assert_eq!(sim.count_of(LOGIN), 2);
    assert_eq!(sim.count_of(APPLY), 2, "refused, then sent");
    assert_eq!(sim.history().len(), 1, "run once");
    let refused: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.status != Some(200) && r.status != Some(204))
        .collect();
    assert_eq!(refused.len(), 1, "only the launch was refused: {refused:?}");
    assert!(refused[0].is(APPLY));
}
each_form!(a_simulated_session_expiring_before_the_launch_does_not_strand_the_wait);

// ---- events.rs ----

/// Mirrors `events_flow_in_order_across_fetches`.
async fn simulated_events_flow_in_order_across_fetches(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    assert_eq!(events.listener_id(), None, "registers lazily");
    events.register().await.unwrap();
    // Three batches, each fetched before the next is sent.
    let mut received = Vec::new();
    for batch in 0..3 {
        for value in batch * 4..batch * 4 + 4 {
            report_closure(&sim, value);
        }
        for item in take(&mut events, 4).await {
            let item = item.unwrap();
            match &item {
                Event::DeviceStateChanged(change) => {
                    assert_eq!(change.wire_form, wire_form(form));
                    assert!(change.extra.is_empty(), "{change:?}");
                }
                other => panic!("{other:?}"),
            }
            received.push(closure_of(&item).unwrap());
        }
    }
    let expected: Vec<String> = (0..12).map(|v| v.to_string()).collect();
    assert_eq!(received, expected);
    assert_quiet(&mut events).await;
    assert!(sim.count_of(FETCH) >= 3);
    assert_eq!(sim.count_of(REGISTER), 1);
}
each_form!(simulated_events_flow_in_order_across_fetches);

/// Mirrors `expired_listener_is_registered_again_without_loss_or_duplicates`.
async fn a_lost_simulated_listener_is_a_gap_without_loss_or_duplicates(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    report_closure(&sim, 1);
    let first = take(&mut events, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&first).as_deref(), Some("1"));
    let old = events.listener_id();
    sim.expire_listeners();
    expect_gap(&mut events, GapReason::ListenerLost).await;
    let next = next_after_registration(&sim, &mut events, 2, 2)
        .await
        .unwrap();
    assert_eq!(closure_of(&next).as_deref(), Some("2"), "no repeat");
    assert_ne!(events.listener_id(), old);
    assert_eq!(sim.count_of(REGISTER), 2);
}
each_form!(a_lost_simulated_listener_is_a_gap_without_loss_or_duplicates);

/// Mirrors `errors_are_yielded_and_the_stream_goes_on_after_a_backoff` and
/// `failed_registration_is_yielded_then_retried`.
async fn simulated_outages_are_yielded_and_the_stream_goes_on(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client_without_resends(&sim);
    client.get_setup().await.unwrap();
    sim.fail_next_on(REGISTER, Fault::Maintenance, 1).unwrap();
    let mut events = client.events_with(fast());
    let error = take(&mut events, 1).await.remove(0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Maintenance, "{error:?}");
    let event = next_after_registration(&sim, &mut events, 2, 4)
        .await
        .unwrap();
    assert_eq!(closure_of(&event).as_deref(), Some("4"));
    // A 503 is an outage the fetch provably did not pass: no events lost.
    report_closure(&sim, 5);
    sim.fail_next_on(FETCH, fixture("cloud/503-empty"), 1)
        .unwrap();
    let mut items = take(&mut events, 2).await;
    let error = items.remove(0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
    assert_eq!(closure_of(&items.remove(0).unwrap()).as_deref(), Some("5"));
    // A 502 may have come after the server handed the events out: the stream says
    // so, and goes on (here the simulator had kept them).
    report_closure(&sim, 6);
    sim.fail_next_on(FETCH, fixture("cloud/502-bad-gateway"), 1)
        .unwrap();
    let mut items = take(&mut events, 3).await;
    let error = items.remove(0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error:?}");
    let gap = items.remove(0).unwrap_err();
    assert!(
        matches!(
            gap,
            Error::EventsLost {
                reason: GapReason::FetchFailed
            }
        ),
        "{gap:?}"
    );
    assert_eq!(closure_of(&items.remove(0).unwrap()).as_deref(), Some("6"));
    assert_eq!(sim.count_of(REGISTER), 2);
}
each_form!(simulated_outages_are_yielded_and_the_stream_goes_on);

/// Mirrors `dropping_the_stream_unregisters_its_listener` and
/// `unregister_now_then_drop_sends_nothing_more`.
#[tokio::test]
async fn dropping_or_unregistering_a_stream_ends_its_simulated_listener() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    assert_eq!(sim.listener_count(), 1);
    drop(events);
    eventually("the unregistration", || sim.listener_count() == 0).await;

    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    events.unregister().await.unwrap();
    assert_eq!(sim.listener_count(), 0);
    drop(events);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(sim.count_of(UNREGISTER), 2, "nothing more on drop");
}

/// Mirrors `a_session_renewal_is_reported_as_a_gap`.
async fn a_simulated_session_renewal_is_reported_as_a_gap(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    report_closure(&sim, 1);
    take(&mut events, 1).await.remove(0).unwrap();
    sim.expire_sessions();
    client.get_setup().await.expect("renewed once");
    assert_eq!(sim.count_of(LOGIN), 2);
    expect_gap(&mut events, GapReason::SessionRenewed).await;
    let next = next_after_registration(&sim, &mut events, 2, 2)
        .await
        .unwrap();
    assert_eq!(closure_of(&next).as_deref(), Some("2"));
    let dead_fetches = sim
        .requests()
        .iter()
        .filter(|r| r.is(FETCH) && r.status != Some(200))
        .count();
    assert_eq!(dead_fetches, 0, "the dead listener is not fetched");
}
each_form!(a_simulated_session_renewal_is_reported_as_a_gap);

/// Mirrors `dropping_an_old_stream_leaves_a_newer_listener_alone`: the simulator
/// keeps one listener per session, like the server.
#[tokio::test]
async fn dropping_an_old_stream_leaves_the_newer_simulated_listener_alone() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut old = client.events_with(fast());
    old.register().await.unwrap();
    let mut new = client.events_with(fast());
    new.register().await.unwrap();
    drop(old);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sim.count_of(UNREGISTER), 0);
    assert_eq!(sim.listener_count(), 1);
    report_closure(&sim, 7);
    let event = take(&mut new, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&event).as_deref(), Some("7"));
    drop(new);
    eventually("the unregistration", || sim.listener_count() == 0).await;
}

/// Mirrors `dropping_a_stream_of_an_expired_session_sends_nothing`.
#[tokio::test]
async fn dropping_a_stream_of_an_expired_simulated_session_sends_nothing() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    sim.expire_sessions();
    client.get_setup().await.unwrap();
    assert_eq!(sim.count_of(LOGIN), 2);
    drop(events);
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sim.count_of(UNREGISTER), 0);
    assert_eq!(sim.count_of(LOGIN), 2);
}

/// Mirrors `register_now_then_stream`, `a_registration_answer_without_id_is_an_error`
/// and `stream_debug_output_hides_the_listener_id`.
#[tokio::test]
async fn registering_a_simulated_listener() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    events
        .register()
        .await
        .expect("already registered: no call");
    assert_eq!(sim.count_of(REGISTER), 1);
    let id = events.listener_id().unwrap();
    let debug = format!("{events:?}");
    assert!(debug.contains("registered: true"), "{debug}");
    assert!(!debug.contains(&id), "{debug}");
    report_closure(&sim, 3);
    let event = take(&mut events, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&event).as_deref(), Some("3"));
    assert_eq!(sim.count_of(REGISTER), 1);

    let no_id = Fault::Answer {
        status: 200,
        content_type: "application/json",
        body: "{}".into(),
        headers: Vec::new(),
    };
    sim.fail_next_on(REGISTER, no_id, 1).unwrap();
    let mut other = client.events_with(fast());
    let error = other.register().await.expect_err("no id");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(other.listener_id(), None);
}

/// Mirrors `a_local_gateway_listener_loss_registers_again`, against the simulator's
/// local API mode: TLS with a certificate named `<pin>.local`, a bearer token, the
/// gateway's own wording for a lost listener.
async fn a_simulated_gateway_listener_loss_registers_again(form: EventForm) {
    const PIN: &str = "1234-5678-9012";
    let setup: Value = serde_json::from_str(SETUP).unwrap();
    let sim = Simulator::start_local(setup, PIN, config(form))
        .await
        .unwrap();
    sim.add_token("local-token");
    let client = Client::builder(
        Server::local_at(PIN, &sim.addr().to_string()).unwrap(),
        Credentials::bearer("local-token"),
    )
    .add_gateway_root_certificate(sim.gateway_ca_pem().unwrap().as_bytes())
    .retry_policy(RetryPolicy::disabled())
    .build()
    .unwrap();
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    report_closure(&sim, 1);
    let first = take(&mut events, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&first).as_deref(), Some("1"));
    sim.expire_listeners();
    expect_gap(&mut events, GapReason::ListenerLost).await;
    let lost = sim.requests().into_iter().rfind(|r| r.is(FETCH)).unwrap();
    assert_eq!(
        lost.status,
        Some(400),
        "the gateway's answer for a lost listener"
    );
    let next = next_after_registration(&sim, &mut events, 2, 2)
        .await
        .unwrap();
    assert_eq!(closure_of(&next).as_deref(), Some("2"));
}
each_form!(a_simulated_gateway_listener_loss_registers_again);

// ---- commands.rs ----

/// Mirrors `each_mode_posts_to_its_operation_with_typed_parameters`: each mode goes to
/// its operation, and each runs a real (simulated) execution with its effect.
#[tokio::test]
async fn each_mode_runs_a_simulated_execution() {
    use overkiz::{Action, Command, ExecutionMode};
    let sim = simulator().await;
    let client = client(&sim);
    let modes = [
        (ExecutionMode::Normal, APPLY, 10),
        (
            ExecutionMode::HighPriority,
            "POST /exec/apply/highPriority",
            20,
        ),
        (ExecutionMode::Geolocated, "POST /exec/apply/geolocated", 30),
        (ExecutionMode::Internal, "POST /exec/apply/internal", 40),
    ];
    for (i, (mode, operation, closure)) in modes.into_iter().enumerate() {
        let action = Action::new(SHUTTER, [Command::new("setClosure").arg(closure)]);
        let exec_id = client.run(action, mode).await.unwrap();
        assert_eq!(sim.count_of(operation), 1, "{mode:?}");
        eventually("the execution's end", || sim.history().len() == i + 1).await;
        assert_eq!(sim.history()[0]["id"], exec_id.as_str());
        assert_eq!(
            sim.device_state(SHUTTER, "core:ClosureState"),
            Some(json!(closure)),
            "{mode:?}"
        );
    }
}

/// Mirrors `close_every_roller_shutter_of_a_real_setup` and
/// `the_queue_sends_actions_of_the_delay_in_one_group_merged_per_device`: actions
/// added within the queue's delay become one execution, and every shutter closes.
#[tokio::test]
async fn the_queue_closes_every_simulated_shutter_in_one_execution() {
    use overkiz::{Action, ActionQueue, ActionQueueSettings, ExecutionMode, UiClass};
    let sim = simulator().await;
    let client = client(&sim);
    let setup = client.get_setup().await.unwrap();
    let shutters: Vec<String> = setup
        .devices_of_class(UiClass::RollerShutter)
        .filter(|d| d.supports_command("close"))
        .filter_map(|d| d.url().ok().map(|url| url.as_str().to_owned()))
        .collect();
    assert!(shutters.len() >= 2, "{shutters:?}");
    for url in &shutters {
        sim.set_device_state(url, "core:ClosureState", json!(0));
    }
    let queue = ActionQueue::with_settings(
        client.clone(),
        ActionQueueSettings {
            delay: Duration::from_millis(50),
            max_actions: 50,
        },
    );
    let adds = shutters.iter().map(|url| {
        queue.add(
            [Action::new(url.as_str(), ["close"])],
            ExecutionMode::Normal,
        )
    });
    let exec_ids = futures::future::join_all(adds).await;
    let exec_ids: Vec<String> = exec_ids.into_iter().map(Result::unwrap).collect();
    assert!(
        exec_ids.iter().all(|id| *id == exec_ids[0]),
        "one execution"
    );
    assert_eq!(sim.count_of(APPLY), 1);
    eventually("the execution's end", || !sim.history().is_empty()).await;
    for url in &shutters {
        let closure = sim.device_state(url, "core:ClosureState");
        assert!(
            closure.is_none() || closure == Some(json!(100)),
            "{url}: {closure:?}"
        );
    }
    assert!(shutters
        .iter()
        .any(|url| sim.device_state(url, "core:ClosureState") == Some(json!(100))));

    // Mirrors `a_failed_batch_fails_every_caller`: a device the setup does not have.
    let (a, b) = tokio::join!(
        queue.add(
            [Action::new("io://1234-1234-6233/404", ["close"])],
            ExecutionMode::Normal
        ),
        queue.add([Action::new(SHUTTER, ["open"])], ExecutionMode::Normal),
    );
    let (a, b) = (a.unwrap_err(), b.unwrap_err());
    assert!(std::sync::Arc::ptr_eq(&a, &b), "one failure, shared");
    assert_eq!(a.kind(), ErrorKind::NoSuchDevice, "{a:?}");
    assert_eq!(sim.count_of(APPLY), 2);
    assert_eq!(sim.history().len(), 1, "nothing ran");
}

/// Mirrors `fetches_are_spaced_by_the_configured_interval`.
#[tokio::test]
async fn simulated_fetches_are_spaced_by_the_configured_interval() {
    let interval = Duration::from_millis(150);
    let sim = simulator().await;
    let client = client(&sim);
    let mut events = client.events_with(fast().with_fetch_interval(interval));
    // Nothing to yield: the stream keeps fetching empty answers.
    let nothing = tokio::time::timeout(Duration::from_millis(800), events.next()).await;
    assert!(nothing.is_err(), "{nothing:?}");
    let arrivals: Vec<Instant> = sim
        .requests()
        .into_iter()
        .filter(|r| r.is(FETCH))
        .map(|r| r.received)
        .collect();
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

/// Mirrors `listener_gone_right_after_registration_is_reported`: gone before its
/// first fetch (perhaps replaced by another client of the session), the loss is
/// reported as an error and as a gap, and the stream backs off before replacing it.
async fn a_simulated_listener_gone_before_its_first_fetch_is_reported(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    sim.expire_listeners();
    let error = take(&mut events, 1).await.remove(0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidEventListener, "{error:?}");
    expect_gap(&mut events, GapReason::ListenerLost).await;
    let next = next_after_registration(&sim, &mut events, 2, 9)
        .await
        .unwrap();
    assert_eq!(closure_of(&next).as_deref(), Some("9"));
}
each_form!(a_simulated_listener_gone_before_its_first_fetch_is_reported);

/// Mirrors `a_huge_retry_after_is_capped`: `Retry-After: 18446744073709551615` on a
/// fetch is capped (1 day) without overflowing the back-off, and the stream goes on.
#[tokio::test]
async fn a_huge_simulated_retry_after_is_capped() {
    let sim = simulator().await;
    let client = client_without_resends(&sim);
    let mut events = client.events_with(fast().with_max_wait(Duration::from_millis(50)));
    events.register().await.unwrap();
    let throttled = ErrorFixture::named("cloud/too-many-requests").unwrap();
    sim.fail_next_on(
        FETCH,
        Fault::Answer {
            status: 429,
            content_type: throttled.content_type,
            body: throttled.body.to_owned(),
            headers: vec![("retry-after".into(), "18446744073709551615".into())],
        },
        1,
    )
    .unwrap();
    report_closure(&sim, 8);
    let mut items = take(&mut events, 2).await;
    let error = items.remove(0).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyRequests, "{error:?}");
    assert_eq!(error.retry_after(), Some(Duration::from_secs(24 * 3600)));
    assert_eq!(closure_of(&items.remove(0).unwrap()).as_deref(), Some("8"));
}

/// Mirrors `the_queue_sends_early_when_full_and_splits_by_mode` and
/// `a_batch_whose_callers_all_went_away_is_never_sent`.
#[tokio::test]
async fn the_queue_against_the_simulator_sends_early_splits_by_mode_and_drops_abandoned_batches() {
    use overkiz::{Action, ActionQueue, ActionQueueSettings, ExecutionMode};
    let sim = simulator().await;
    let client = client(&sim);
    let setup = client.get_setup().await.unwrap();
    // Devices that have `open` and `close` (the simulator refuses other commands).
    let urls: Vec<String> = setup
        .devices()
        .filter(|d| d.supports_command("open") && d.supports_command("close"))
        .filter_map(|d| d.device_url.clone())
        .take(4)
        .collect();
    assert_eq!(urls.len(), 4);
    // A long delay: only the size limit and a change of mode send anything soon.
    let queue = ActionQueue::with_settings(
        client.clone(),
        ActionQueueSettings {
            delay: Duration::from_secs(60),
            max_actions: 2,
        },
    );
    let started = Instant::now();
    let (a, b) = tokio::join!(
        queue.add(
            [Action::new(urls[0].as_str(), ["open"])],
            ExecutionMode::Normal
        ),
        queue.add(
            [Action::new(urls[1].as_str(), ["open"])],
            ExecutionMode::Normal
        ),
    );
    assert_eq!(a.unwrap(), b.unwrap(), "one execution");
    let (normal, high, ()) = tokio::join!(
        queue.add(
            [Action::new(urls[2].as_str(), ["open"])],
            ExecutionMode::Normal
        ),
        async {
            // Another mode: the pending normal batch goes out first.
            tokio::time::sleep(Duration::from_millis(30)).await;
            queue
                .add(
                    [Action::new(urls[3].as_str(), ["open"])],
                    ExecutionMode::HighPriority,
                )
                .await
        },
        async {
            tokio::time::sleep(Duration::from_millis(80)).await;
            queue.flush().await;
        }
    );
    assert_ne!(normal.unwrap(), high.unwrap());
    assert!(started.elapsed() < Duration::from_secs(5));
    let sent: Vec<String> = sim
        .requests()
        .into_iter()
        .filter_map(|r| r.operation)
        .filter(|op| op.starts_with("POST /exec/apply"))
        .collect();
    assert_eq!(sent, [APPLY, APPLY, "POST /exec/apply/highPriority"]);

    // Callers that all went away: their batch is never sent.
    let queue = ActionQueue::with_settings(
        client.clone(),
        ActionQueueSettings {
            delay: Duration::from_millis(100),
            max_actions: 20,
        },
    );
    let gone = tokio::time::timeout(
        Duration::from_millis(10),
        queue.add(
            [Action::new(urls[0].as_str(), ["close"])],
            ExecutionMode::Normal,
        ),
    )
    .await;
    assert!(gone.is_err(), "the caller gave up");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert_eq!(sim.count_of(APPLY), 2, "nothing sent");
    queue
        .add(
            [Action::new(urls[1].as_str(), ["close"])],
            ExecutionMode::Normal,
        )
        .await
        .unwrap();
    assert_eq!(sim.count_of(APPLY), 3);
    eventually("every execution's end", || sim.history().len() == 4).await;
    let last = &sim.history()[0];
    let commands = last["commands"].as_array().unwrap();
    assert_eq!(commands.len(), 1, "the abandoned close is not carried");
    assert_eq!(commands[0]["deviceURL"], urls[1].as_str());
}

/// Mirrors `diagnostic_data_anonymizes_setup_and_action_groups_together`, with an
/// action group stored in the simulator.
#[tokio::test]
async fn simulated_diagnostic_data_anonymizes_setup_and_action_groups_together() {
    let sim = simulator().await;
    let setup = sim.setup();
    let gateway = setup["gateways"][0]["gatewayId"]
        .as_str()
        .unwrap()
        .to_owned();
    let oid = sim
        .add_action_group(json!({
            "label": "Night", "oid": "0d84c6d3-e22f-4ec6-b064-24f47ae6a27f",
            "actions": [{"deviceURL": SHUTTER, "commands": [{"name": "close", "parameters": []}]}]
        }))
        .unwrap();
    let client = client(&sim);
    let anonymizer = overkiz::diagnostics::Anonymizer::new(42);
    let data = client.diagnostic_data(Some(&anonymizer)).await.unwrap();
    let text = data.to_string();
    assert!(!text.contains(&gateway));
    assert!(!text.contains(&oid));
    assert!(!text.contains(SHUTTER));
    // The action group still names the same device as the setup.
    let anonymized_url = data["actionGroups"][0]["actions"][0]["deviceURL"].clone();
    let devices = data["setup"]["devices"].as_array().unwrap();
    assert!(devices.iter().any(|d| d["deviceURL"] == anonymized_url));
    let raw = client.diagnostic_data(None).await.unwrap();
    assert_eq!(raw["setup"], setup);
}

/// Waits and delays the caller chooses never overflow a deadline, however long
/// (`Instant + Duration::MAX` panics): they saturate at a far deadline. A wait for
/// an execution without a time limit, a queue that only sends on `flush`, a stream
/// that fetches once.
#[tokio::test]
async fn unbounded_waits_and_delays_do_not_overflow() {
    use futures::FutureExt;
    use overkiz::{ActionQueue, ActionQueueSettings, ExecutionMode};
    let sim = simulator().await;
    let client = client(&sim);

    let mut stream = client.events_with(fast());
    let outcome = tokio::time::timeout(
        WAIT,
        stream.run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, Duration::MAX),
    )
    .await
    .expect("completes")
    .unwrap();
    assert!(outcome.is_success());

    let queue = ActionQueue::with_settings(
        client.clone(),
        ActionQueueSettings {
            delay: Duration::MAX,
            max_actions: 10,
        },
    );
    let add = queue.add(
        [overkiz::Action::new(SHUTTER, ["close"])],
        ExecutionMode::Normal,
    );
    let flush = async {
        while queue.pending_actions() == 0 {
            tokio::task::yield_now().await;
        }
        queue.flush().await;
    };
    let (exec_id, ()) = tokio::time::timeout(WAIT, async { tokio::join!(add, flush) })
        .await
        .expect("sent on flush");
    assert!(!exec_id.unwrap().is_empty());

    let mut stream =
        client.events_with(EventStreamConfig::default().with_fetch_interval(Duration::MAX));
    stream.register().await.unwrap();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(40)));
    let first = take(&mut stream, 1).await.remove(0);
    assert!(first.is_ok(), "{first:?}");
    // Once the fetched events are read, the next fetch is due in about 30 years.
    let mut buffered = 0;
    while let Some(item) = stream.next().now_or_never() {
        assert!(item.is_some_and(|item| item.is_ok()));
        buffered += 1;
        assert!(buffered < 100, "the stream never waits");
    }
}
