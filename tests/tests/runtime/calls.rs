//! The shape of the generated calls, on the wire: required arguments positional,
//! options as methods of the returned call, `.await` without `.send()`, forms as
//! typed values.

use crate::support::*;
use overkiz::calls::PostLoginForm;
use overkiz::types::ActionGroup;
use overkiz::{Client, Credentials};
use serde_json::json;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// A server answering every `GET` and `POST` with `body`.
async fn answering_with(body: serde_json::Value) -> MockServer {
    let server = answering(
        "GET",
        ResponseTemplate::new(200).set_body_json(body.clone()),
    )
    .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(&server)
        .await;
    server
}

fn client(server: &MockServer) -> Client {
    crate::support::client(server, Credentials::none())
}

#[tokio::test]
async fn a_call_without_options_is_awaited_directly() {
    let server = answering_with(json!({"id": "SETUP-1", "devices": []})).await;
    let setup = client(&server).get_setup().await.unwrap();
    assert_eq!(setup.id.as_deref(), Some("SETUP-1"));
    let received = only_request(&server).await;
    assert_eq!(received.url.path(), "/setup");
    assert_eq!(received.url.query(), None);
}

#[tokio::test]
async fn options_are_methods_and_go_in_the_query() {
    let server = answering_with(json!({"id": "SETUP-1"})).await;
    client(&server)
        .get_setup()
        .with_manufacturer_data(true)
        .await
        .unwrap();
    let received = only_request(&server).await;
    assert_eq!(received.url.query(), Some("withManufacturerData=true"));
}

#[tokio::test]
async fn positional_path_arguments_and_options_combine() {
    let server = answering_with(json!([])).await;
    client(&server)
        .get_setup_devices_by_device_url_states_history_by_from_by_to(
            "io://1234-5678-9012/1",
            10,
            20,
        )
        .limit(5)
        .await
        .unwrap();
    let received = only_request(&server).await;
    assert_eq!(
        received.url.path(),
        "/setup/devices/io%3A%2F%2F1234-5678-9012%2F1/states/history/10/20"
    );
    assert_eq!(received.url.query(), Some("limit=5"));
}

#[tokio::test]
async fn a_required_body_is_positional_json() {
    let server = answering_with(json!({"execId": "EXEC-1"})).await;
    let action_group = ActionGroup {
        label: Some("close".into()),
        ..Default::default()
    };
    let launched = client(&server)
        .post_exec_apply(&action_group)
        .await
        .unwrap();
    assert_eq!(launched.exec_id.as_deref(), Some("EXEC-1"));
    let received = only_request(&server).await;
    assert_eq!(received.url.path(), "/exec/apply");
    let body: serde_json::Value = serde_json::from_slice(&received.body).unwrap();
    assert_eq!(body, json!({"label": "close"}));
}

#[tokio::test]
async fn send_is_the_same_as_await_and_works_in_combinators() {
    let server = answering_with(json!({"execId": "EXEC-1"})).await;
    let client = client(&server);
    let calls = ["a", "b"].map(|oid| client.post_exec_by_action_group_oid(oid).send());
    let answers = futures::future::join_all(calls).await;
    assert!(answers
        .iter()
        .all(|a| a.as_ref().unwrap().exec_id.as_deref() == Some("EXEC-1")));
    let mut paths: Vec<String> = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    paths.sort();
    assert_eq!(paths, ["/exec/a", "/exec/b"]);
}

#[tokio::test]
async fn calls_are_send_and_can_be_spawned() {
    let server = answering_with(json!({"id": "SETUP-1"})).await;
    let client = client(&server);
    let task = tokio::spawn(async move { client.get_setup().with_manufacturer_data(false).await });
    assert_eq!(task.await.unwrap().unwrap().id.as_deref(), Some("SETUP-1"));
}

#[tokio::test]
async fn login_takes_a_typed_form_sent_as_a_form_body() {
    let server = MockServer::start().await;
    let accepted = ResponseTemplate::new(200).set_body_json(json!({"success": true}));
    mount(&server, "POST", "/login", accepted).await;
    let form = PostLoginForm {
        user_id: Some("me@example.com".into()),
        user_password: Some("p&ss=word".into()),
        ..Default::default()
    };
    let debug = format!("{form:?}");
    assert!(
        debug.contains("user_id") && !debug.contains("p&ss"),
        "{debug}"
    );

    let answer = client(&server).post_login(&form).await.unwrap();
    assert_eq!(answer.success, Some(true));
    let received = only_request(&server).await;
    assert_eq!(
        received.url.query(),
        None,
        "credentials never go in the URL"
    );
    assert_eq!(
        received.headers.get("content-type").unwrap(),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(
        std::str::from_utf8(&received.body).unwrap(),
        "userId=me%40example.com&userPassword=p%26ss%3Dword"
    );
}
