//! Executions within the server's limits, against the simulator (its default limits
//! mode): a gateway runs 10 executions at once, counted over every client of the
//! setup, so launches wait for a slot rather than be refused (`EXEC_QUEUE_FULL`),
//! a launch refused anyway is held and sent when a slot frees, a launch dropped
//! while it waits sends nothing and frees its place, and a launch that may have run
//! is never sent again. Other sessions' executions are held at `IN_PROGRESS`
//! (`hold_executions`) to fill the gateway.

use std::time::Duration;

use futures::StreamExt;
use overkiz::{
    Action, Client, Credentials, Error, ErrorKind, EventStreamConfig, ExecutionMode, RetryPolicy,
    Server,
};
use overkiz_sim::testing::{self, GATEWAY, SHUTTER};
use overkiz_sim::{ErrorFixture, Fault, Simulator};

const WAIT: Duration = Duration::from_secs(10);
const APPLY: &str = "POST /exec/apply";
const READ: &str = "GET /exec/current";

fn client_with(sim: &Simulator, slot_wait: Duration) -> Client {
    Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(RetryPolicy::disabled())
    .execution_slot_wait(slot_wait)
    .build()
    .unwrap()
}

/// A client of `sim` in a session of its own (another app of the same setup).
fn client(sim: &Simulator) -> Client {
    client_with(sim, WAIT)
}

fn close() -> Action {
    Action::new(SHUTTER, ["close"])
}

/// `n` executions launched by another app (its own session), held running.
async fn others_running(sim: &Simulator, n: usize) {
    sim.hold_executions(true);
    let other = client(sim);
    for _ in 0..n {
        other
            .post_exec_apply(&overkiz::action_group("other app", [close()]))
            .await
            .unwrap();
    }
    assert_eq!(sim.current_executions().len(), n);
}

async fn eventually(what: &str, done: impl FnMut() -> bool) {
    testing::wait_until(what, WAIT, done).await.unwrap();
}

/// The statuses the simulator answered to launches.
fn launch_statuses(sim: &Simulator) -> Vec<Option<u16>> {
    sim.requests()
        .iter()
        .filter(|r| r.is(APPLY))
        .map(|r| r.status)
        .collect()
}

/// 30 launches in a burst while another app runs 4 executions: 6 go, 24 wait (the
/// gateway never runs more than 10), and all run once slots free, none refused. The
/// client's event stream keeps the figures current by itself: no read of
/// `GET /exec/current` during the burst.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_launches_in_a_burst_all_run_within_the_gateways_limit() {
    let sim = testing::simulator().start().await.unwrap();
    others_running(&sim, 4).await;
    let client = client(&sim);
    let mut events = client
        .events_with(EventStreamConfig::default().with_fetch_interval(Duration::from_millis(10)));
    events.register().await.unwrap();
    let consume = tokio::spawn(async move { while events.next().await.is_some() {} });
    client.refresh_execution_budget().await.unwrap();
    eventually("events keep the budget current", || {
        client.execution_budget(GATEWAY).live
    })
    .await;
    let budget = client.execution_budget(GATEWAY);
    assert_eq!((budget.running, budget.queued), (4, 0), "{budget:?}");
    let reads_before = sim.count_of(READ);

    let burst = {
        let client = client.clone();
        tokio::spawn(async move {
            let launches = (0..30).map(|_| client.run(close(), ExecutionMode::Normal));
            futures::future::join_all(launches).await
        })
    };
    eventually("6 launched and 24 waiting", || {
        let budget = client.execution_budget(GATEWAY);
        budget.running == 10 && budget.queued == 24 && budget.used_today == 6
    })
    .await;
    assert_eq!(sim.current_executions().len(), 10);
    let budget = client.execution_budget(GATEWAY);
    assert_eq!(budget.free(), 0);
    assert_eq!(budget.daily_quota, 50);
    sim.hold_executions(false);

    let results = tokio::time::timeout(WAIT, burst).await.unwrap().unwrap();
    let mut exec_ids: Vec<String> = results
        .into_iter()
        .map(|r| r.expect("every launch runs"))
        .collect();
    exec_ids.sort();
    exec_ids.dedup();
    assert_eq!(exec_ids.len(), 30);
    assert_eq!(
        launch_statuses(&sim),
        vec![Some(200); 34],
        "no launch refused"
    );
    eventually("all 34 executions ended", || sim.history().len() == 34).await;
    assert_eq!(
        sim.count_of(READ),
        reads_before,
        "the events kept the figures current"
    );
    eventually("the budget sees them end", || {
        client.execution_budget(GATEWAY).running == 0
    })
    .await;
    let budget = client.execution_budget(GATEWAY);
    assert_eq!((budget.queued, budget.used_today), (0, 30), "{budget:?}");
    assert_eq!(budget.next_slot_in, Some(Duration::ZERO));
    consume.abort();
}

/// Without an event stream the client reads `GET /exec/current`: a launch beyond
/// the limit waits, and goes once the other app's executions ended.
#[tokio::test]
async fn without_events_a_waiting_launch_reads_the_running_executions() {
    let sim = testing::simulator().start().await.unwrap();
    others_running(&sim, 9).await;
    let client = client(&sim);
    let burst = {
        let client = client.clone();
        tokio::spawn(async move {
            let launches = (0..3).map(|_| client.run(close(), ExecutionMode::Normal));
            futures::future::join_all(launches).await
        })
    };
    // The budget counts a launch as running from the moment it is sent, so the
    // simulator may record it a little later: both are awaited.
    eventually("one running, two waiting", || {
        let budget = client.execution_budget(GATEWAY);
        budget.running == 10 && budget.queued == 2 && sim.current_executions().len() == 10
    })
    .await;
    assert!(!client.execution_budget(GATEWAY).live);
    let budget = client.execution_budget(GATEWAY);
    assert_eq!((budget.running, budget.queued), (10, 2), "{budget:?}");
    sim.hold_executions(false);
    let results = tokio::time::timeout(WAIT, burst).await.unwrap().unwrap();
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(launch_statuses(&sim), vec![Some(200); 12]);
    assert!(sim.count_of(READ) >= 2, "read before and while waiting");
}

/// The gateway filled up behind the client's back (another app, no events): the
/// server refuses the launch with `EXEC_QUEUE_FULL`, nothing ran; the client holds
/// it and sends it again once a slot freed. It runs once.
#[tokio::test]
async fn a_launch_refused_for_lack_of_room_is_held_and_sent_when_a_slot_frees() {
    let sim = testing::simulator().start().await.unwrap();
    let client = client(&sim);
    client.refresh_execution_budget().await.unwrap();
    others_running(&sim, 10).await;
    let launch = {
        let client = client.clone();
        tokio::spawn(async move { client.run(close(), ExecutionMode::Normal).await })
    };
    eventually("the refusal", || launch_statuses(&sim).len() == 11).await;
    eventually("the refused launch held", || {
        client.execution_budget(GATEWAY).queued == 1
    })
    .await;
    assert_eq!(launch_statuses(&sim)[10], Some(400), "EXEC_QUEUE_FULL");
    assert_eq!(
        sim.current_executions().len(),
        10,
        "the refusal ran nothing"
    );
    sim.hold_executions(false);
    let exec_id = tokio::time::timeout(WAIT, launch)
        .await
        .unwrap()
        .unwrap()
        .expect("sent again once a slot freed");
    assert_eq!(launch_statuses(&sim).len(), 12);
    assert_eq!(launch_statuses(&sim)[11], Some(200));
    eventually("it ran once", || {
        sim.history()
            .iter()
            .filter(|e| e["id"].as_str() == Some(exec_id.as_str()))
            .count()
            == 1
            && sim.history().len() == 11
    })
    .await;
}

/// "Too many executions" (the `exec` rate limit's answer, nothing ran) is held the
/// same way.
#[tokio::test]
async fn a_launch_refused_as_too_many_executions_is_held_and_sent_again() {
    let sim = testing::simulator().start().await.unwrap();
    let client = client(&sim);
    sim.fail_next_on(APPLY, Fault::Error(ErrorFixture::TOO_MANY_EXECUTIONS), 1)
        .unwrap();
    let exec_id = tokio::time::timeout(WAIT, client.run(close(), ExecutionMode::Normal))
        .await
        .unwrap()
        .expect("sent again");
    assert_eq!(launch_statuses(&sim), [Some(503), Some(200)]);
    assert!(!exec_id.is_empty());
}

/// A launch whose answer may have acted (a 502 from a proxy: it may have run) is
/// returned and never sent again.
#[tokio::test]
async fn a_launch_that_may_have_run_is_not_sent_again() {
    let sim = testing::simulator().start().await.unwrap();
    let client = client(&sim);
    let bad_gateway = ErrorFixture::named("cloud/502-bad-gateway").unwrap();
    sim.fail_next_on(APPLY, Fault::Error(bad_gateway), 1)
        .unwrap();
    let error = client
        .run(close(), ExecutionMode::Normal)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error:?}");
    assert_eq!(launch_statuses(&sim), [Some(502)]);
    assert!(!error.is_retryable());
    assert_eq!(client.execution_budget(GATEWAY).queued, 0);
}

/// A launch dropped while it waits for a slot sends nothing and gives its place to
/// the next one.
#[tokio::test]
async fn a_launch_dropped_while_waiting_sends_nothing_and_frees_its_place() {
    let sim = testing::simulator().start().await.unwrap();
    others_running(&sim, 10).await;
    let client = client(&sim);
    let first = {
        let client = client.clone();
        tokio::spawn(async move { client.run(close(), ExecutionMode::Normal).await })
    };
    eventually("the first waits", || {
        client.execution_budget(GATEWAY).queued == 1
    })
    .await;
    let second = {
        let client = client.clone();
        tokio::spawn(async move { client.run(close(), ExecutionMode::Normal).await })
    };
    eventually("the second waits", || {
        client.execution_budget(GATEWAY).queued == 2
    })
    .await;
    first.abort();
    assert!(first.await.unwrap_err().is_cancelled());
    eventually("the first left the queue", || {
        client.execution_budget(GATEWAY).queued == 1
    })
    .await;
    sim.hold_executions(false);
    tokio::time::timeout(WAIT, second)
        .await
        .unwrap()
        .unwrap()
        .expect("the second runs");
    assert_eq!(
        launch_statuses(&sim),
        vec![Some(200); 11],
        "the first sent nothing"
    );
}

/// A launch that finds no slot within the allowed wait fails with
/// `NoExecutionSlot`, having sent nothing; retrying later is safe.
#[tokio::test]
async fn a_launch_waits_at_most_the_slot_wait() {
    let sim = testing::simulator().start().await.unwrap();
    others_running(&sim, 10).await;
    let client = client_with(&sim, Duration::from_millis(300));
    let error = client
        .run_and_wait(close(), ExecutionMode::Normal, WAIT)
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NoExecutionSlot { .. }), "{error:?}");
    assert_eq!(error.kind(), ErrorKind::ExecutionQueueFull);
    assert!(error.is_retryable());
    assert!(error.to_string().contains(GATEWAY), "{error}");
    assert_eq!(launch_statuses(&sim).len(), 10, "nothing sent");
    assert_eq!(client.execution_budget(GATEWAY).queued, 0);
}

/// Each gateway has its own 10 slots: a full gateway does not hold a launch on
/// another one.
#[tokio::test]
async fn a_full_gateway_does_not_hold_launches_on_another() {
    let sim = testing::simulator()
        .setup(testing::two_gateways())
        .start()
        .await
        .unwrap();
    others_running(&sim, 10).await;
    let client = client_with(&sim, Duration::from_millis(300));
    let exec_id = client
        .run(
            Action::new(testing::SECOND_SHUTTER, ["close"]),
            ExecutionMode::Normal,
        )
        .await
        .expect("the second gateway has room");
    assert!(!exec_id.is_empty());
    let budgets = client.execution_budgets();
    let running: Vec<(&str, usize)> = budgets
        .iter()
        .map(|b| (b.gateway_id.as_str(), b.running))
        .collect();
    assert_eq!(running, [(GATEWAY, 10), (testing::SECOND_GATEWAY, 1)]);
}

/// The live home's read of the running executions is the budget's too: after
/// `Home::start` the client knows the other app's executions without reading
/// `GET /exec/current` a second time.
#[tokio::test]
async fn a_live_home_s_read_keeps_the_budget_current() {
    let sim = testing::simulator().start().await.unwrap();
    others_running(&sim, 3).await;
    let client = client(&sim);
    let home = overkiz::Home::start(client.clone()).await.unwrap();
    assert_eq!(home.executions().len(), 3);
    assert_eq!(client.execution_budget(GATEWAY).running, 3);
    assert_eq!(sim.count_of(READ), 1, "one read for both");
}
