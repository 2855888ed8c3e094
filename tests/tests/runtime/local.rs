//! The local API from the cloud: creating, listing and deleting local tokens,
//! developer mode, and the local API's own description checked against the generated
//! operations and types.

use crate::support::*;
use overkiz::types::{ApiVersion, Gateway};
use overkiz::{operations, Client, Credentials, HttpMethod};
use serde_json::json;
use wiremock::matchers::{body_json, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const GATEWAY: &str = "1234-5678-9012";

#[tokio::test]
async fn a_local_token_is_generated_activated_listed_and_deleted() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/config/{GATEWAY}/local/tokens/generate")))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"token": "local-SECRET-token"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/config/{GATEWAY}/local/tokens")))
        .and(body_json(
            json!({"label": "overkiz-rs", "token": "local-SECRET-token", "scope": "devmode"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"requestId": "req-1"})))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/config/{GATEWAY}/local/tokens/devmode")))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{
            "label": "overkiz-rs", "gatewayId": GATEWAY, "gatewayCreationTime": 1767003511145_i64,
            "uuid": "c6f83624-ac10-3e01-653e-2b025fee956d", "scope": "devmode"
        }])))
        .mount(&server)
        .await;
    Mock::given(method("DELETE"))
        .and(path(format!(
            "/config/{GATEWAY}/local/tokens/c6f83624-ac10-3e01-653e-2b025fee956d"
        )))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(format!("/setup/gateways/{GATEWAY}/developerMode")))
        .respond_with(ResponseTemplate::new(200))
        .expect(1)
        .mount(&server)
        .await;
    let client = client(&server, Credentials::bearer(TOKEN));
    client.enable_developer_mode(GATEWAY).await.unwrap();
    let created = client
        .create_local_token(GATEWAY, "overkiz-rs")
        .await
        .unwrap();
    assert_eq!(created.token.expose(), "local-SECRET-token");
    assert_eq!(created.request_id.as_deref(), Some("req-1"));
    assert!(!format!("{created:?}").contains("SECRET"));
    let tokens = client.local_tokens(GATEWAY).await.unwrap();
    assert_eq!(tokens.len(), 1);
    let uuid = tokens[0].uuid.clone().unwrap();
    client.delete_local_token(GATEWAY, &uuid).await.unwrap();

    // The token makes a client of the gateway's local API.
    let local = created.client(GATEWAY).unwrap();
    assert_eq!(
        local.server().base_url(),
        "https://gateway-1234-5678-9012.local:8443/enduser-mobile-web/1/enduserAPI"
    );
    assert!(Client::local("not a pin", "t").is_err());
    // Generating a token is not resent: it creates one each time.
    assert_eq!(
        operations::GET_CONFIG_BY_GATEWAY_ID_LOCAL_TOKENS_GENERATE.idempotency,
        overkiz::Idempotency::Acts
    );
}

/// Every operation of the local API's own description (tests/fixtures/local-api) is a
/// generated operation (`GET /apiVersion` through the curated page), and its examples
/// decode into the generated types with nothing left over.
#[test]
fn the_local_api_description_matches_the_generated_operations_and_types() {
    let yaml = std::fs::read_to_string(format!(
        "{}/fixtures/local-api/openapi.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    // The paths block: `  /path:` then `    get:` lines.
    let mut found = Vec::new();
    let mut current = None;
    for line in yaml.lines() {
        if line == "components:" {
            break;
        }
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            current = Some(format!("/{p}"));
        } else if let (Some(p), Some(verb)) = (
            &current,
            line.strip_prefix("    ").and_then(|l| l.strip_suffix(':')),
        ) {
            let method = match verb {
                "get" => HttpMethod::Get,
                "post" => HttpMethod::Post,
                "put" => HttpMethod::Put,
                "delete" => HttpMethod::Delete,
                _ => continue,
            };
            found.push((method, p.clone()));
        }
    }
    assert_eq!(found.len(), 16, "{found:?}");
    // Placeholder names differ (`{executionId}` vs `{execId}`): compare shapes.
    let shape = |p: &str| {
        p.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    for (method, local_path) in &found {
        assert!(
            operations::ALL
                .iter()
                .any(|op| op.method == *method && shape(op.path) == shape(local_path)),
            "{method} {local_path} is not generated"
        );
    }

    let version: ApiVersion =
        serde_json::from_value(json!({"protocolVersion": "2022.1.3-1"})).unwrap();
    assert_eq!(version.protocol_version.as_deref(), Some("2022.1.3-1"));
    assert!(version.extra.is_empty());
    let gateways: Vec<Gateway> = serde_json::from_value(json!([
        {"gatewayId": "2001-1234-5678", "connectivity": {"status": "OK", "protocolVersion": "2022.1.3-1"}}
    ]))
    .unwrap();
    assert_eq!(gateways[0].gateway_id.as_deref(), Some("2001-1234-5678"));
    assert!(gateways[0].extra.is_empty(), "{:?}", gateways[0].extra);
    let connectivity = gateways[0].connectivity.as_ref().unwrap();
    assert_eq!(connectivity.status.as_deref(), Some("OK"));
    assert!(connectivity.extra.is_empty());
}

/// The generated list of the local API's operations (`spec/local-api.toml`) names
/// generated operations, and the simulator's gateway serves exactly those.
#[test]
fn the_generated_local_operations_are_the_simulated_gateways() {
    let shape = |p: &str| {
        p.split('/')
            .map(|s| if s.starts_with('{') { "{}" } else { s })
            .collect::<Vec<_>>()
            .join("/")
    };
    let mut ours: Vec<(String, String)> = overkiz::local_api::OPERATIONS
        .iter()
        .map(|local| {
            let op = local
                .operation()
                .unwrap_or_else(|| panic!("{} {} is not generated", local.method, local.path));
            assert!(overkiz::local_api::serves(op));
            assert_eq!(shape(local.local_path), shape(op.path));
            (op.method.to_string(), shape(local.local_path))
        })
        .collect();
    let mut simulated: Vec<(String, String)> = overkiz_sim::local::LOCAL_OPERATIONS
        .iter()
        .map(|(method, path)| ((*method).to_owned(), shape(path)))
        .collect();
    ours.sort();
    simulated.sort();
    assert_eq!(ours, simulated);
    assert!(!overkiz::local_api::serves(&operations::GET_ACTION_GROUPS));
    assert!(overkiz::local_api::SOURCE.contains("openapi.yaml"));
}
