//! `Client::run` sends an action group built from `Command`s and `Action`s to the
//! operation of its `ExecutionMode`, with parameters as JSON values; `Client::setup`
//! reads a real setup.

use crate::support::*;
use overkiz::{Action, Command, Credentials, ErrorKind, ExecutionMode, UiClass};
use overkiz_tests::fixture;
use serde_json::{json, Value};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EXEC_ID: &str = "c6f83624-ac10-3e01-653e-2b025fee956d";

async fn exec_server() -> MockServer {
    let server = MockServer::start().await;
    for p in [
        "/exec/apply",
        "/exec/apply/highPriority",
        "/exec/apply/geolocated",
        "/exec/apply/internal",
    ] {
        Mock::given(method("POST"))
            .and(path(p))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"execId": EXEC_ID})))
            .mount(&server)
            .await;
    }
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
    assert_eq!(server.received_requests().await.unwrap().len(), 4);
}

#[tokio::test]
async fn an_answer_without_exec_id_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/exec/apply"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let error = client
        .run(Action::new("rts://gw/1", ["close"]), ExecutionMode::Normal)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn close_every_roller_shutter_of_a_real_setup() {
    let server = exec_server().await;
    Mock::given(method("GET"))
        .and(path("/setup"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_raw(fixture("setup/setup_tahoma_3.json"), "application/json"),
        )
        .mount(&server)
        .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    let setup = client.setup().await.unwrap();
    let mut actions = Vec::new();
    for device in setup.devices_of_class(UiClass::RollerShutter) {
        if device.supports_command("close") {
            actions.push(Action::new(device.url().unwrap(), [Command::new("close")]));
        }
    }
    assert!(!actions.is_empty());
    let sent = actions.len();
    client.run(actions, ExecutionMode::Normal).await.unwrap();
    let received = server.received_requests().await.unwrap();
    let body: Value = serde_json::from_slice(&received.last().unwrap().body).unwrap();
    assert_eq!(body["actions"].as_array().unwrap().len(), sent);
}
