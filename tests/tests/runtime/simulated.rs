//! Stateful flows against the simulator (`overkiz-sim`): a server that keeps real
//! state (sessions, listeners, executions that progress, device states), so the
//! client's guarantees are checked against causes, not against scripted answers.
//! Following executions (`execute_and_wait`, `wait_for_execution`) and the event
//! stream (order, lost listeners, renewed sessions, outages and back-off, drops) are
//! tested here only; the tests that see events run against both event forms
//! (`each_form!`). What the simulator cannot produce (malformed answers, exact request
//! shapes) is tested with wiremock in `events.rs` and `commands.rs`.

use std::time::{Duration, Instant};

use futures::StreamExt;
use overkiz::types::ActionGroup;
use overkiz::{
    Client, Credentials, Error, ErrorKind, Event, EventStream, EventStreamConfig, ExecutionState,
    GapReason, RetryPolicy, Server, WireForm,
};
use overkiz_sim::testing::{self, PIN, SHUTTER};
use overkiz_sim::{each_form, ErrorFixture, EventForm, Fault, Simulator};
use serde_json::json;

/// Another roller shutter of `setup_tahoma_3.json`.
const OTHER_SHUTTER: &str = "io://1234-1234-6233/13064380";
const WAIT: Duration = Duration::from_secs(5);

const REGISTER: &str = "POST /events/register";
const FETCH: &str = "POST /events/{listenerId}/fetch";
const UNREGISTER: &str = "POST /events/{listenerId}/unregister";
const APPLY: &str = "POST /exec/apply";
const LOGIN: &str = "POST /login";

/// The kit's simulator (TaHoMa 3, 20 ms steps) writing events in `form`.
async fn simulator_in(form: EventForm) -> Simulator {
    testing::simulator().event_form(form).start().await.unwrap()
}

async fn simulator() -> Simulator {
    simulator_in(EventForm::default()).await
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
    action_group_on(SHUTTER, command)
}

/// An action group of `command` on `device`.
fn action_group_on(device: &str, command: &str) -> ActionGroup {
    overkiz::action_group(command, [overkiz::Action::new(device, [command])])
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

/// Waits (at most [`WAIT`]) until `done` holds.
async fn eventually(what: &str, done: impl FnMut() -> bool) {
    testing::wait_until(what, WAIT, done).await.unwrap();
}

/// A client of `sim` and its event stream, registered.
async fn registered(sim: &Simulator) -> (Client, EventStream) {
    let client = client(sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    (client, events)
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

// ---- Executions ----

/// `execute_and_wait` registers before launching, follows its execution (not another
/// one running beside it) to `COMPLETED`, and leaves the stream going.
async fn execute_and_wait_follows_a_simulated_execution_to_completed(form: EventForm) {
    let sim = simulator_in(form).await;
    report_closure(&sim, 0);
    let client = client(&sim);
    // Another execution runs beside it, on another shutter: its events are not ours.
    let other = client
        .post_exec_apply(&action_group_on(OTHER_SHUTTER, "open"))
        .await
        .unwrap()
        .exec_id
        .unwrap();
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
    assert_ne!(outcome.exec_id, other);
    let ours = sim
        .history()
        .into_iter()
        .find(|e| e["id"] == outcome.exec_id.as_str())
        .expect("in the history");
    assert_eq!(ours["commands"][0]["deviceURL"], SHUTTER);
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(json!(100))
    );

    // The listener exists before the launch, which reads the running executions (its
    // execution budget: no fetch keeps it current yet) and is sent once.
    let operations: Vec<String> = sim
        .requests()
        .into_iter()
        .filter_map(|r| r.operation)
        .filter(|op| op != LOGIN)
        .collect();
    assert_eq!(
        operations[..5],
        [APPLY, REGISTER, "GET /exec/current", APPLY, FETCH]
    );
    assert_eq!(sim.count_of(APPLY), 2);

    // The stream goes on after the final event.
    report_closure(&sim, 42);
    let next = take(&mut stream, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&next).as_deref(), Some("42"));
}
each_form!(execute_and_wait_follows_a_simulated_execution_to_completed);

/// A failed execution is an outcome with its failure, not an error.
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

/// `Client::execute_and_wait` fetches at once (not after the default interval) on a
/// listener of its own, unregistered when it returns.
async fn client_execute_and_wait_unregisters_its_simulated_listener(form: EventForm) {
    let sim = simulator_in(form).await;
    let client = client(&sim);
    let outcome = client
        .run_and_wait(action_group("open"), overkiz::ExecutionMode::Normal, WAIT)
        .await
        .expect("completes");
    assert!(outcome.is_success());
    let requests = sim.requests();
    let at = |operation: &str| {
        requests
            .iter()
            .find(|r| r.is(operation))
            .map(|r| r.received)
            .expect("sent")
    };
    assert!(
        at(FETCH) - at(APPLY) < Duration::from_millis(500),
        "the first fetch follows the launch, not the default interval (1 s)"
    );
    assert_eq!(sim.listener_count(), 0, "unregistered on return");
    assert_eq!(sim.count_of(UNREGISTER), 1);
}
each_form!(client_execute_and_wait_unregisters_its_simulated_listener);

/// A device that takes its time: the wait times out with the last state seen and the
/// execution's id, after looking the execution up.
async fn a_held_execution_times_out_with_its_last_state_and_id(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.hold_executions(true);
    let client = client(&sim);
    let mut stream = client.events_with(fast());
    let timeout = Duration::from_millis(400);
    let started = Instant::now();
    let error = stream
        .run_and_wait(
            action_group("open"),
            overkiz::ExecutionMode::Normal,
            timeout,
        )
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
    assert_eq!(error.operation(), None);
    match &error {
        Error::ExecutionTimeout {
            timeout: allowed,
            last_state,
            ..
        } => {
            assert_eq!(*allowed, timeout);
            assert_eq!(last_state.as_deref(), Some("IN_PROGRESS"));
        }
        other => panic!("timeout expected, got {other:?}"),
    }
    assert_eq!(
        error.to_string(),
        "the execution did not finish within 0.4 s (last state seen: IN_PROGRESS)"
    );
    // Looked up before reporting the timeout.
    let requests = sim.requests();
    assert!(requests.iter().any(|r| r.is("GET /exec/current/{execId}")));
    // Released, it completes; waiting again finds the outcome.
    sim.hold_executions(false);
    let outcome = stream.wait_for_execution(&exec_id, WAIT).await.unwrap();
    assert_eq!(outcome.state, ExecutionState::Completed);
}
each_form!(a_held_execution_times_out_with_its_last_state_and_id);

/// The wait survives an outage and a lost listener.
async fn waiting_survives_a_lost_simulated_listener_and_an_outage(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.hold_executions(true);
    let (client, mut stream) = registered(&sim).await;
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

/// An error waiting cannot cure ends the wait at once, with the execution's id.
#[tokio::test]
async fn an_error_waiting_cannot_cure_ends_the_wait_with_the_exec_id() {
    let sim = simulator().await;
    sim.hold_executions(true);
    let client = client(&sim);
    sim.fail_next_on(FETCH, fixture("cloud/access-denied-to-gateway"), 1)
        .unwrap();
    let started = Instant::now();
    let error = client
        .run_and_wait(
            action_group("open"),
            overkiz::ExecutionMode::Normal,
            Duration::from_secs(10),
        )
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

/// The listener is lost and the execution ends before a new one exists, so its
/// final event is gone; the wait registers again and finds it in the history.
async fn a_simulated_execution_that_ended_during_a_gap_is_found_in_the_history(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.hold_executions(true);
    let (client, mut stream) = registered(&sim).await;
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

/// An execution that ended before the wait began is found, not timed out.
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

/// The session ends between the registration and the launch, so the launch is refused
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

// ---- The event stream ----

/// Events flow in order across fetches, each once, in the simulator's event form.
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
    // Nothing repeated: the next item is the next change.
    report_closure(&sim, 99);
    let next = take(&mut events, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&next).as_deref(), Some("99"));
    assert!(sim.count_of(FETCH) >= 3);
    assert_eq!(sim.count_of(REGISTER), 1);
}
each_form!(simulated_events_flow_in_order_across_fetches);

/// A lost listener (the server's own answer, or the other wording of the loss) is a
/// gap; the stream registers again without repeating what it fetched, and only the
/// live listener is unregistered on drop.
async fn a_lost_simulated_listener_is_a_gap_without_loss_or_duplicates(form: EventForm) {
    let sim = simulator_in(form).await;
    let (_client, mut events) = registered(&sim).await;
    let losses: [(&str, &dyn Fn()); 2] = [
        ("the server's answer", &|| sim.expire_listeners()),
        ("no registered event listener", &|| {
            sim.fail_next_on(FETCH, fixture("cloud/no-registered-event-listener"), 1)
                .unwrap();
        }),
    ];
    for (registrations, (loss, lose)) in (2..).zip(losses) {
        report_closure(&sim, registrations - 1);
        let before = take(&mut events, 1).await.remove(0).unwrap();
        let expected = (registrations - 1).to_string();
        assert_eq!(
            closure_of(&before).as_deref(),
            Some(expected.as_str()),
            "{loss}"
        );
        let old = events.listener_id();
        lose();
        expect_gap(&mut events, GapReason::ListenerLost).await;
        let after = 50 + registrations;
        let next = next_after_registration(&sim, &mut events, registrations as usize, after)
            .await
            .unwrap();
        let expected = after.to_string();
        assert_eq!(
            closure_of(&next).as_deref(),
            Some(expected.as_str()),
            "{loss}: no repeat"
        );
        assert_ne!(events.listener_id(), old, "{loss}");
    }
    assert_eq!(sim.count_of(REGISTER), 3);
    // Only the live listener is unregistered, on drop.
    drop(events);
    eventually("the unregistration", || sim.listener_count() == 0).await;
    assert_eq!(sim.count_of(UNREGISTER), 1);
}
each_form!(a_lost_simulated_listener_is_a_gap_without_loss_or_duplicates);

/// Outages of the registration and of fetches are yielded as errors, and the stream
/// goes on.
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

/// After a failed fetch the stream waits its back-off before the next one, twice as
/// long after a second failure in a row, and keeps its listener.
#[tokio::test]
async fn failed_fetches_back_off_doubling() {
    let backoff = Duration::from_millis(150);
    let sim = simulator().await;
    let client = client_without_resends(&sim);
    let config = fast()
        .with_initial_backoff(backoff)
        .with_max_backoff(Duration::from_secs(2));
    let mut events = client.events_with(config);
    events.register().await.unwrap();
    sim.fail_next_on(FETCH, fixture("cloud/503-empty"), 2)
        .unwrap();
    report_closure(&sim, 3);
    let items = take(&mut events, 3).await;
    for item in &items[..2] {
        let error = item.as_ref().expect_err("the outage");
        assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
    }
    assert_eq!(closure_of(items[2].as_ref().unwrap()).as_deref(), Some("3"));
    let fetches: Vec<Instant> = sim
        .requests()
        .into_iter()
        .filter(|r| r.is(FETCH))
        .map(|r| r.received)
        .collect();
    assert!(
        fetches[1] - fetches[0] >= backoff,
        "{:?}",
        fetches[1] - fetches[0]
    );
    assert!(
        fetches[2] - fetches[1] >= backoff * 2,
        "{:?}",
        fetches[2] - fetches[1]
    );
    assert_eq!(sim.count_of(REGISTER), 1);
}

/// Dropping a stream unregisters its listener; a stream unregistered already, or
/// never registered, sends nothing on drop.
#[tokio::test]
async fn dropping_or_unregistering_a_stream_ends_its_simulated_listener() {
    let sim = simulator().await;
    let (client, events) = registered(&sim).await;
    assert_eq!(sim.listener_count(), 1);
    drop(events);
    eventually("the unregistration", || sim.listener_count() == 0).await;

    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    events.unregister().await.unwrap();
    assert_eq!(sim.listener_count(), 0);
    drop(events);
    drop(client.events_with(fast()));
    // Checked after a round trip that follows the drops.
    client.get_setup().await.unwrap();
    assert_eq!(sim.count_of(UNREGISTER), 2, "nothing more on drop");
}

/// The client signs in again: the listener died with the old session, so the stream
/// reports the gap and registers again without fetching the dead one.
async fn a_simulated_session_renewal_is_reported_as_a_gap(form: EventForm) {
    let sim = simulator_in(form).await;
    let (client, mut events) = registered(&sim).await;
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

/// One listener per session (the simulator, like the server): a stream dropped after
/// another one registered leaves the newer listener alone.
#[tokio::test]
async fn dropping_an_old_stream_leaves_the_newer_simulated_listener_alone() {
    let sim = simulator().await;
    let (client, old) = registered(&sim).await;
    let mut new = client.events_with(fast());
    new.register().await.unwrap();
    drop(old);
    // The newer listener still gets events, and the drop sent nothing by then.
    report_closure(&sim, 7);
    let event = take(&mut new, 1).await.remove(0).unwrap();
    assert_eq!(closure_of(&event).as_deref(), Some("7"));
    assert_eq!(sim.count_of(UNREGISTER), 0);
    assert_eq!(sim.listener_count(), 1);
    drop(new);
    eventually("the unregistration", || sim.listener_count() == 0).await;
}

/// A stream whose session is gone unregisters nothing on drop, and never signs in
/// just to unregister.
#[tokio::test]
async fn dropping_a_stream_of_an_expired_simulated_session_sends_nothing() {
    let sim = simulator().await;
    let (client, events) = registered(&sim).await;
    sim.expire_sessions();
    client.get_setup().await.unwrap();
    assert_eq!(sim.count_of(LOGIN), 2);
    drop(events);
    // Checked after a round trip that follows the drop.
    client.get_setup().await.unwrap();
    assert_eq!(sim.count_of(UNREGISTER), 0);
    assert_eq!(sim.count_of(LOGIN), 2);
}

/// Registering ahead of streaming: once, with the listener's id kept out of `Debug`.
#[tokio::test]
async fn registering_a_simulated_listener() {
    let sim = simulator().await;
    let (_client, mut events) = registered(&sim).await;
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
}

/// A gateway's local API (TLS with a certificate named `<pin>.local`, a bearer token)
/// words a lost listener its own way: the stream registers again as on the cloud.
async fn a_simulated_gateway_listener_loss_registers_again(form: EventForm) {
    let sim = testing::simulator()
        .event_form(form)
        .local(PIN)
        .token("local-token")
        .start()
        .await
        .unwrap();
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

/// Fetches are spaced by the configured interval.
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

/// Gone before its first fetch (perhaps replaced by another client of the session),
/// the loss is
/// reported as an error and as a gap, and the stream backs off before replacing it.
async fn a_simulated_listener_gone_before_its_first_fetch_is_reported(form: EventForm) {
    let sim = simulator_in(form).await;
    let (_client, mut events) = registered(&sim).await;
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

/// Diagnostic data anonymizes the setup and the action groups together (an action
/// group stored in the simulator names a device of the setup).
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
        stream.run_and_wait(
            action_group("open"),
            overkiz::ExecutionMode::Normal,
            Duration::MAX,
        ),
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
