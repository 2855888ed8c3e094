//! What goes on the wire: URLs (percent-encoded `deviceURL`s), query parameters,
//! bodies, and how answers (JSON, empty, text) are handed back.

use crate::support::*;
use overkiz::{Credentials, Error, ErrorKind, Upload};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[tokio::test]
async fn device_url_is_percent_encoded_on_the_wire() {
    let server = answering(
        "GET",
        ResponseTemplate::new(200)
            .set_body_json(json!({"name": "core:ClosureState", "type": 1, "value": 0})),
    )
    .await;

    let client = client(&server, Credentials::none());
    let request = client
        .request(&GET_DEVICE_STATE)
        .path_args([DEVICE_URL, "core:ClosureState"]);
    let state: serde_json::Value = request.await.unwrap().json().unwrap();
    assert_eq!(state["value"], 0);

    let received = only_request(&server).await;
    assert_eq!(
        received.url.path(),
        format!("/setup/devices/{DEVICE_URL_ENCODED}/states/core%3AClosureState")
    );
    assert_eq!(received.url.query(), None);
}

#[tokio::test]
async fn query_parameters_are_encoded_in_order() {
    let server = answering("GET", ResponseTemplate::new(200).set_body_json(json!({}))).await;

    let states = vec!["core:OpenClosedState".to_owned(), "a b&c".to_owned()];
    let client = client(&server, Credentials::none());
    let mut request = client
        .request(&GET_DEVICE)
        .path_arg(DEVICE_URL)
        .query("withStates", "true");
    for state in &states {
        request = request.query("states", state);
    }
    request.await.unwrap();

    let received = only_request(&server).await;
    assert_eq!(
        received.url.path(),
        format!("/setup/devices/{DEVICE_URL_ENCODED}")
    );
    assert_eq!(
        received.url.query(),
        Some("withStates=true&states=core%3AOpenClosedState&states=a%20b%26c")
    );
}

#[tokio::test]
async fn no_content_answers() {
    let server = answering("DELETE", ResponseTemplate::new(204)).await;

    let response = client(&server, Credentials::none())
        .request(&DELETE_EXEC)
        .path_args(["e1d2c3b4-0000-0000-0000-000000000000"])
        .await
        .unwrap();
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    response.empty().unwrap();
    let received = only_request(&server).await;
    assert_eq!(
        received.url.path(),
        "/exec/current/setup/e1d2c3b4-0000-0000-0000-000000000000"
    );
}

#[tokio::test]
async fn csv_answers_are_text() {
    let server = MockServer::start().await;
    let csv = "date;label;status\n2024-01-01 10:00;Open all;SUCCESS\n";
    Mock::given(method("GET"))
        .and(path("/history/executions/export"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(csv, "text/csv"))
        .mount(&server)
        .await;
    let text = client(&server, Credentials::none())
        .request(&GET_HISTORY_CSV)
        .await
        .unwrap()
        .text()
        .unwrap();
    assert_eq!(text, csv);
}

#[tokio::test]
async fn text_that_is_not_utf8_is_a_decode_error() {
    let server = answering(
        "GET",
        ResponseTemplate::new(200).set_body_raw(vec![b'a', 0xff, 0xfe], "text/csv"),
    )
    .await;
    let error = client(&server, Credentials::none())
        .request(&GET_HISTORY_CSV)
        .await
        .unwrap()
        .text()
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
}

#[tokio::test]
async fn json_bodies_are_sent_with_their_content_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/exec/apply"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"execId": "e-1"})))
        .mount(&server)
        .await;
    let action_group = json!({"label": "test", "actions": [{"deviceURL": DEVICE_URL, "commands": [{"name": "open"}]}]});
    client(&server, Credentials::none())
        .request(&POST_EXEC_APPLY)
        .json(&action_group)
        .await
        .unwrap();

    let received = only_request(&server).await;
    assert_eq!(
        received
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/json")
    );
    let sent: serde_json::Value = serde_json::from_slice(&received.body).unwrap();
    assert_eq!(sent, action_group);
}

#[tokio::test]
async fn form_bodies_are_url_encoded() {
    let server = answering(
        "POST",
        ResponseTemplate::new(200).set_body_json(json!({"success": true})),
    )
    .await;
    let client = client(&server, Credentials::none());
    let request = client
        .request(&POST_LOGIN_FORM)
        .form([("userId", USER), ("userPassword", "p&ss word")]);
    // A form's values never show in Debug output.
    assert!(!format!("{request:?}").contains("p&ss word"));
    request.await.unwrap();

    let received = only_request(&server).await;
    assert_eq!(received.url.query(), None);
    assert_eq!(
        received
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        String::from_utf8_lossy(&received.body),
        "userId=user%40example.com&userPassword=p%26ss+word"
    );
}

#[tokio::test]
async fn multipart_uploads() {
    let server = answering("PUT", ResponseTemplate::new(204)).await;
    let upload = Upload {
        file_name: "firmware.bin".into(),
        mime_type: "application/octet-stream".into(),
        bytes: b"\x00\x01binary".to_vec(),
    };
    client(&server, Credentials::none())
        .request(&PUT_UPLOAD)
        .path_arg("1234-5678-9012")
        .upload("file", upload)
        .await
        .unwrap()
        .empty()
        .unwrap();

    let received = only_request(&server).await;
    let content_type = received
        .headers
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        content_type.starts_with("multipart/form-data; boundary="),
        "{content_type}"
    );
    let body = String::from_utf8_lossy(&received.body);
    assert!(
        body.contains(r#"name="file"; filename="firmware.bin""#),
        "{body}"
    );
    assert!(body.contains("\u{0}\u{1}binary"), "{body}");
}

#[tokio::test]
async fn bad_mime_types_are_refused_before_sending() {
    let server = MockServer::start().await;
    let upload = Upload {
        file_name: "x".into(),
        mime_type: "not a mime type".into(),
        bytes: vec![],
    };
    let error = client(&server, Credentials::none())
        .request(&PUT_UPLOAD)
        .path_arg("1234")
        .upload("file", upload)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidRequest);
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn decode_errors_carry_the_operation_and_a_short_masked_excerpt() {
    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Answer {
        count: u32,
    }
    let server = MockServer::start().await;
    let filler = "x".repeat(1000);
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"token": "tok-SECRET", "count": "many", "filler": filler})),
        )
        .mount(&server)
        .await;
    let response = client(&server, Credentials::none())
        .request(&GET_SETUP)
        .await
        .unwrap();
    let error = response.json::<Answer>().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Decode);
    assert_eq!(error.operation().map(|op| op.path), Some("/setup"));
    let Error::Decode { excerpt, .. } = &error else {
        panic!("decode error expected: {error:?}")
    };
    assert!(excerpt.chars().count() <= 201, "{excerpt}");
    assert!(excerpt.contains("\"count\":\"many\""), "{excerpt}");
    assert!(!error.to_string().contains("tok-SECRET"), "{error}");
    assert!(!format!("{error:?}").contains("tok-SECRET"), "{error:?}");
}

#[tokio::test]
async fn wrong_path_arguments_are_refused_before_sending() {
    let server = MockServer::start().await;
    let client = client(&server, Credentials::none());
    for args in [&[][..], &[""][..], &["a", "b"][..]] {
        let error = client
            .request(&GET_DEVICE)
            .path_args(args.iter().copied())
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{args:?}");
    }
    assert!(server
        .received_requests()
        .await
        .unwrap_or_default()
        .is_empty());
}

#[tokio::test]
async fn user_agent_names_the_crate() {
    let server = answering("GET", ResponseTemplate::new(200).set_body_json(json!({}))).await;
    client(&server, Credentials::none())
        .request(&GET_SETUP)
        .await
        .unwrap();
    let received = only_request(&server).await;
    let agent = received
        .headers
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(agent.starts_with("overkiz-rs/"), "{agent}");
}

#[tokio::test]
async fn base_url_path_is_kept() {
    let server = answering("GET", ResponseTemplate::new(200).set_body_json(json!({}))).await;
    let base = format!("{}/enduser-mobile-web/enduserAPI", server.uri());
    let client =
        overkiz::Client::new(overkiz::Server::custom(&base).unwrap(), Credentials::none()).unwrap();
    client.request(&GET_SETUP).await.unwrap();
    assert_eq!(
        only_request(&server).await.url.path(),
        "/enduser-mobile-web/enduserAPI/setup"
    );
}
