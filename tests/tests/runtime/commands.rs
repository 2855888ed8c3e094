//! What launching sends, request by request: `Client::run` posts an action group
//! built from `Command`s and `Action`s to the operation of its `ExecutionMode`, with
//! parameters as JSON values; the action queue merges, splits and drops batches; a
//! launch answer without `execId` is an error. (Executions that run and progress are
//! followed against the simulator, in `simulated.rs`.)

use crate::support::*;
use overkiz::{Action, Command, Credentials, ErrorKind, ExecutionMode, UiClass};
use overkiz_tests::{fixture, TAHOMA_3_ROLLER_SHUTTERS};
use serde_json::{json, Value};
use wiremock::matchers::{method, path, path_regex};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EXEC_ID: &str = "c6f83624-ac10-3e01-653e-2b025fee956d";

/// Every launch operation answers `execId` [`EXEC_ID`].
async fn exec_server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path_regex(r"^/exec/apply(/[A-Za-z]+)?$"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"execId": EXEC_ID})))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn each_mode_posts_to_its_operation_with_typed_parameters() {
    let server = exec_server().await;
    let client = client(&server, Credentials::bearer(TOKEN));
    for (mode, expected_path) in [
        (ExecutionMode::Normal, "/exec/apply"),
        (ExecutionMode::HighPriority, "/exec/apply/highPriority"),
        (ExecutionMode::Geolocated, "/exec/apply/geolocated"),
        (ExecutionMode::Internal, "/exec/apply/internal"),
    ] {
        let action = Action::new(
            "io://1234-1234-5752/960379",
            [Command::new("setClosureAndLinearSpeed")
                .arg(50)
                .arg("lowspeed")],
        );
        let exec_id = client.run(action, mode).await.unwrap();
        assert_eq!(exec_id, EXEC_ID);
        assert_eq!(count(&server, "POST", expected_path).await, 1, "{mode:?}");
        let received = server.received_requests().await.unwrap();
        let last = received.last().unwrap();
        assert_eq!(last.url.path(), expected_path);
        let body: Value = serde_json::from_slice(&last.body).unwrap();
        assert_eq!(
            body,
            json!({"actions": [{
                "deviceURL": "io://1234-1234-5752/960379",
                "commands": [{"name": "setClosureAndLinearSpeed", "parameters": [50, "lowspeed"]}]
            }]})
        );
    }
    // Each launch was sent once (after reading the running executions, which this
    // server does not know: a launch goes on without the figures).
    let posts = server.received_requests().await.unwrap();
    assert_eq!(
        posts.iter().filter(|r| r.method.as_str() == "POST").count(),
        4
    );
}

/// A launch answer without `execId` is a decode error, for `run` and for
/// `execute_and_wait` (which registered its listener first).
#[tokio::test]
async fn a_launch_answer_without_exec_id_is_an_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        "POST",
        "/exec/apply",
        ResponseTemplate::new(200).set_body_json(json!({})),
    )
    .await;
    mount(
        &server,
        "POST",
        "/events/register",
        ResponseTemplate::new(200).set_body_json(json!({"id": "l1"})),
    )
    .await;
    mount(
        &server,
        "POST",
        "/events/l1/unregister",
        ResponseTemplate::new(200),
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let error = client
        .run(Action::new("rts://gw/1", ["close"]), ExecutionMode::Normal)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    let action = overkiz::types::ActionGroup::from(vec![Action::new("rts://gw/1", ["close"])]);
    let error = client
        .run_and_wait(
            action,
            ExecutionMode::Normal,
            std::time::Duration::from_secs(5),
        )
        .await
        .expect_err("no execId");
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.operation().map(|op| op.path), Some("/exec/apply"));
}

/// The body of `run` with the roller shutters of a real setup names exactly those the
/// fixture has, each with `close`.
#[tokio::test]
async fn close_every_roller_shutter_of_a_real_setup() {
    let server = exec_server().await;
    mount(
        &server,
        "GET",
        "/setup",
        ResponseTemplate::new(200)
            .set_body_raw(fixture("setup/setup_tahoma_3.json"), "application/json"),
    )
    .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let setup = client.get_setup().await.unwrap();
    let mut actions = Vec::new();
    for device in setup.devices_of_class(UiClass::RollerShutter) {
        if device.supports_command("close") {
            actions.push(Action::new(device.url().unwrap(), [Command::new("close")]));
        }
    }
    client.run(actions, ExecutionMode::Normal).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&received.last().unwrap().body).unwrap();
    let mut closed: Vec<&str> = body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| {
            assert_eq!(
                action["commands"],
                json!([{"name": "close", "parameters": []}])
            );
            action["deviceURL"].as_str().unwrap()
        })
        .collect();
    closed.sort_unstable();
    assert_eq!(closed, TAHOMA_3_ROLLER_SHUTTERS);
}

fn queue(client: overkiz::Client, delay_ms: u64, max_actions: usize) -> overkiz::ActionQueue {
    overkiz::ActionQueue::with_settings(
        client,
        overkiz::ActionQueueSettings {
            delay: std::time::Duration::from_millis(delay_ms),
            max_actions,
        },
    )
}

/// The launches received (the reads of `GET /exec/current` before them left out).
async fn bodies(server: &MockServer) -> Vec<(String, Value)> {
    server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.method.as_str() == "POST")
        .map(|r| {
            (
                r.url.path().to_owned(),
                serde_json::from_slice(&r.body).unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_queue_sends_actions_of_the_delay_in_one_group_merged_per_device() {
    let server = exec_server().await;
    let queue = queue(client(&server, Credentials::bearer(TOKEN)), 50, 20);
    let (a, b, c) = tokio::join!(
        queue.add([Action::new("io://gw/1", ["close"])], ExecutionMode::Normal),
        queue.add([Action::new("io://gw/2", ["open"])], ExecutionMode::Normal),
        queue.add(
            [Action::new(
                "io://gw/1",
                [Command::new("setClosure").arg(50)]
            )],
            ExecutionMode::Normal
        ),
    );
    assert_eq!(
        (a.unwrap(), b.unwrap(), c.unwrap()),
        (EXEC_ID.into(), EXEC_ID.into(), EXEC_ID.into())
    );
    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0].1,
        json!({"actions": [
            {"deviceURL": "io://gw/1", "commands": [
                {"name": "close", "parameters": []},
                {"name": "setClosure", "parameters": [50]}
            ]},
            {"deviceURL": "io://gw/2", "commands": [{"name": "open", "parameters": []}]}
        ]})
    );
    assert_eq!(queue.pending_actions(), 0);
}

#[tokio::test]
async fn the_queue_sends_early_when_full_and_splits_by_mode() {
    let server = exec_server().await;
    // A long delay: only the size limit and the change of mode send anything soon.
    let queue = queue(client(&server, Credentials::bearer(TOKEN)), 60_000, 2);
    let started = std::time::Instant::now();
    let (a, b) = tokio::join!(
        queue.add([Action::new("io://gw/1", ["close"])], ExecutionMode::Normal),
        queue.add([Action::new("io://gw/2", ["close"])], ExecutionMode::Normal),
    );
    a.unwrap();
    b.unwrap();
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let (normal, high, ()) = tokio::join!(
        queue.add([Action::new("io://gw/3", ["open"])], ExecutionMode::Normal),
        async {
            // Another mode, once the normal action waits: that batch goes out first.
            while queue.pending_actions() == 0 {
                tokio::task::yield_now().await;
            }
            queue
                .add(
                    [Action::new("io://gw/4", ["open"])],
                    ExecutionMode::HighPriority,
                )
                .await
        },
        async {
            // Once the normal batch is out, the high-priority one is sent on flush.
            wait_for_requests(&server, "POST", "/exec/apply", 2).await;
            queue.flush().await;
        }
    );
    assert_eq!(normal.unwrap(), EXEC_ID);
    assert_eq!(high.unwrap(), EXEC_ID);
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    let paths: Vec<String> = bodies(&server).await.into_iter().map(|(p, _)| p).collect();
    assert_eq!(
        paths,
        ["/exec/apply", "/exec/apply", "/exec/apply/highPriority"]
    );
}

#[tokio::test]
async fn a_failed_batch_fails_every_caller() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/exec/apply"))
        .respond_with(ResponseTemplate::new(400).set_body_json(
            json!({"errorCode": "INVALID_API_CALL", "error": "No such command : closeX"}),
        ))
        .mount(&server)
        .await;
    let queue = queue(client(&server, Credentials::bearer(TOKEN)), 20, 20);
    let (a, b) = tokio::join!(
        queue.add(
            [Action::new("io://gw/1", ["closeX"])],
            ExecutionMode::Normal
        ),
        queue.add([Action::new("io://gw/2", ["close"])], ExecutionMode::Normal),
    );
    let (a, b) = (a.unwrap_err(), b.unwrap_err());
    assert_eq!(a.kind(), b.kind());
    assert!(std::sync::Arc::ptr_eq(&a, &b), "one failure, shared");
    assert_eq!(count(&server, "POST", "/exec/apply").await, 1);
    assert!(queue
        .add(Vec::<Action>::new(), ExecutionMode::Normal)
        .await
        .is_err());
}

#[tokio::test]
async fn a_batch_whose_callers_all_went_away_is_never_sent() {
    let server = exec_server().await;
    let queue = queue(client(&server, Credentials::bearer(TOKEN)), 100, 20);
    let gone = tokio::time::timeout(
        std::time::Duration::from_millis(10),
        queue.add([Action::new("io://gw/1", ["close"])], ExecutionMode::Normal),
    )
    .await;
    assert!(gone.is_err(), "the caller gave up");
    // No task sends for a caller that left: the next batch's round trip is the only
    // request, and it does not carry the abandoned close.
    queue
        .add([Action::new("io://gw/2", ["open"])], ExecutionMode::Normal)
        .await
        .unwrap();
    let sent = bodies(&server).await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].1["actions"].as_array().unwrap().len(), 1);
    assert_eq!(sent[0].1["actions"][0]["deviceURL"], "io://gw/2");
}
