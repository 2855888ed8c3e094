//! The execution follower (`Client::follow`, `EventStream::follow`) against the
//! simulator: what it yields (state changes in order, then the outcome, then the
//! end), what it yields after a gap whose look-up finds the execution still running,
//! an empty execution id, and its own listener's clean-up. How `wait_for_execution`
//! and `run_and_wait` (thin users of it) end is tested in `simulated.rs`.

use std::time::{Duration, Instant};

use futures::StreamExt;
use overkiz::{
    Action, Client, Credentials, Error, ErrorKind, EventStreamConfig, ExecutionMode,
    ExecutionState, ExecutionUpdate, GapReason, Server,
};
use overkiz_sim::{Config, Simulator};
use serde_json::Value;

const SETUP: &str = include_str!("../../fixtures/setup/setup_tahoma_3.json");
/// A roller shutter of `setup_tahoma_3.json`, closed (`core:ClosureState` 100).
const SHUTTER: &str = "io://1234-1234-6233/12184029";
const WAIT: Duration = Duration::from_secs(5);

const REGISTER: &str = "POST /events/register";
const LOOK_UP: &str = "GET /exec/current/{execId}";

async fn simulator() -> Simulator {
    let setup: Value = serde_json::from_str(SETUP).unwrap();
    let config = Config::default().with_step(Duration::from_millis(20));
    Simulator::start_with(setup, config).await.unwrap()
}

fn client(sim: &Simulator) -> Client {
    Client::new(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .unwrap()
}

fn fast() -> EventStreamConfig {
    EventStreamConfig::default()
        .with_fetch_interval(Duration::from_millis(10))
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(20))
}

fn open() -> Action {
    Action::new(SHUTTER, ["open"])
}

/// The next update of `updates`, within [`WAIT`].
async fn next<S>(updates: &mut S) -> Option<Result<ExecutionUpdate, Error>>
where
    S: futures::Stream<Item = Result<ExecutionUpdate, Error>> + Unpin,
{
    tokio::time::timeout(WAIT, updates.next())
        .await
        .expect("an update within the deadline")
}

/// Waits (a bounded time) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + WAIT;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

#[tokio::test]
async fn state_changes_come_in_order_then_the_outcome_then_the_end() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    let exec_id = client.run(open(), ExecutionMode::Normal).await.unwrap();
    let mut updates = events.follow(&exec_id, WAIT);
    let mut states = Vec::new();
    let outcome = loop {
        match next(&mut updates).await.expect("an outcome before the end") {
            Ok(ExecutionUpdate::StateChanged(state)) => states.push(state),
            Ok(ExecutionUpdate::Finished(outcome)) => break outcome,
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(outcome.exec_id, exec_id);
    assert!(outcome.event.is_some(), "from the final event");
    assert!(
        states.ends_with(&[ExecutionState::InProgress]),
        "the last state before the end is IN_PROGRESS: {states:?}"
    );
    assert!(states.iter().all(|s| !s.is_final()), "{states:?}");
    assert!(
        next(&mut updates).await.is_none(),
        "the follower ends after the outcome"
    );
    drop(updates);
    // The caller's stream stays registered to go on with.
    assert!(events.listener_id().is_some());
}

/// A gap whose look-up finds the execution running: the follower listens again
/// *before* looking it up, says events were lost, and goes on to the outcome.
#[tokio::test]
async fn a_gap_while_the_execution_runs_is_reported_and_followed_through() {
    let sim = simulator().await;
    sim.hold_executions(true);
    let client = client(&sim);
    let mut events = client.events_with(fast());
    events.register().await.unwrap();
    let exec_id = client.run(open(), ExecutionMode::Normal).await.unwrap();
    let mut updates = events.follow(&exec_id, WAIT);
    loop {
        match next(&mut updates).await.unwrap().unwrap() {
            ExecutionUpdate::StateChanged(ExecutionState::InProgress) => break,
            ExecutionUpdate::StateChanged(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    // Held at IN_PROGRESS: nothing more arrives until the listener is lost.
    let registrations = sim.count_of(REGISTER);
    sim.expire_listeners();
    match next(&mut updates).await.unwrap().unwrap() {
        ExecutionUpdate::EventsLost(GapReason::ListenerLost) => {}
        other => panic!("expected the gap, got {other:?}"),
    }
    let requests = sim.requests();
    let register_again = requests
        .iter()
        .rposition(|r| r.is(REGISTER))
        .expect("registered");
    let look_up = requests
        .iter()
        .rposition(|r| r.is(LOOK_UP))
        .expect("looked the execution up");
    assert_eq!(sim.count_of(REGISTER), registrations + 1);
    assert!(register_again < look_up, "registers before looking up");
    sim.hold_executions(false);
    let outcome = loop {
        match next(&mut updates).await.unwrap().unwrap() {
            ExecutionUpdate::Finished(outcome) => break outcome,
            ExecutionUpdate::StateChanged(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    };
    assert!(outcome.is_success(), "{outcome:?}");
    assert!(outcome.event.is_some(), "seen on the new listener");
}

#[tokio::test]
async fn an_empty_execution_id_is_refused_before_anything_is_sent() {
    let sim = simulator().await;
    let client = client(&sim);
    let mut updates = client.follow("", WAIT);
    let error = next(&mut updates).await.unwrap().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error:?}");
    assert!(next(&mut updates).await.is_none());
    assert_eq!(sim.request_count(), 0);
    let error = client.wait_for_execution("", WAIT).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{error:?}");
    assert_eq!(sim.request_count(), 0);
}

/// `Client::follow` reads its own listener and unregisters it before its last item.
#[tokio::test]
async fn a_client_follower_unregisters_its_listener_before_the_outcome() {
    let sim = simulator().await;
    sim.hold_executions(true);
    let client = client(&sim);
    let exec_id = client.run(open(), ExecutionMode::Normal).await.unwrap();
    let mut updates = client.follow(&exec_id, WAIT);
    let first = tokio::spawn(async move {
        let first = next(&mut updates).await;
        (first, updates)
    });
    eventually("the follower's listener", || sim.listener_count() == 1).await;
    sim.hold_executions(false);
    let (first, mut updates) = first.await.unwrap();
    let mut update = first;
    let outcome = loop {
        match update.expect("an outcome before the end").unwrap() {
            ExecutionUpdate::Finished(outcome) => break outcome,
            ExecutionUpdate::StateChanged(_) => {}
            other => panic!("unexpected {other:?}"),
        }
        update = next(&mut updates).await;
    };
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(sim.listener_count(), 0, "unregistered before the outcome");
    assert!(next(&mut updates).await.is_none());
}
