//! The Somfy multi-site sign-in against loopback emulations of Somfy accounts,
//! Keycloak, the site directory and two Overkiz regions: every request's shape (from
//! the flow's published description, pyoverkiz's `research.md`), paging, the region
//! probe, expiry and refresh of both token levels, and refusals without loops.

use std::time::Duration;

use crate::support::*;
use overkiz::signin::{SomfyOAuth, SomfySites};
use overkiz::{Error, ErrorKind, Server, SomfyAccount};
use serde_json::{json, Value};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request as Received, ResponseTemplate};

const KEYCLOAK: &str = "/realms/somfy-tahoma/protocol/openid-connect/token";
const ACCOUNTS: &str = "/oauth/oauth/v2/token/jwt";
const SITES: &str = "/site-api/public/v1/sites";
const API: &str = "/enduser-mobile-web/enduserAPI";

/// Matches a form body with exactly these fields (any order).
struct Form(Vec<(String, String)>);

impl Match for Form {
    fn matches(&self, request: &Received) -> bool {
        let mut got: Vec<(String, String)> = url::form_urlencoded::parse(&request.body)
            .into_owned()
            .collect();
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

fn form(fields: &[(&str, &str)]) -> Form {
    Form(
        fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
    )
}

/// Matches a request without a query parameter.
struct NoQuery(&'static str);

impl Match for NoQuery {
    fn matches(&self, request: &Received) -> bool {
        !request.url.query_pairs().any(|(k, _)| k == self.0)
    }
}

fn token(access: &str, refresh: Option<&str>, expires_in: u64) -> ResponseTemplate {
    let mut body =
        json!({"access_token": access, "expires_in": expires_in, "token_type": "Bearer"});
    if let Some(refresh) = refresh {
        body["refresh_token"] = json!(refresh);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

fn region(server: &MockServer) -> Server {
    Server::custom(&format!("{}{API}", server.uri())).unwrap()
}

fn config(vendor: &MockServer, regions: Vec<Server>) -> SomfySites {
    SomfySites {
        accounts: SomfyOAuth {
            token_url: format!("{}{ACCOUNTS}", vendor.uri()),
            ..SomfyOAuth::default()
        },
        keycloak_token_url: format!("{}{KEYCLOAK}", vendor.uri()),
        site_api: format!("{}/site-api/public/v1", vendor.uri()),
        invitation_api: format!("{}/invitation-api/public/v1", vendor.uri()),
        regions,
        ..SomfySites::default()
    }
}

fn account(config: SomfySites) -> SomfyAccount {
    SomfyAccount::builder(config, USER, PASSWORD)
        .client_settings(|builder| {
            builder
                .retry_policy(fast_retries())
                .login_cool_down(Duration::from_secs(60))
        })
        .build()
        .unwrap()
}

/// Step 1: the Somfy accounts password grant, answering `accounts-access`.
async fn mount_accounts(vendor: &MockServer, times: u64) {
    let defaults = SomfyOAuth::default();
    Mock::given(method("POST"))
        .and(path(ACCOUNTS))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(form(&[
            ("grant_type", "password"),
            ("client_id", &defaults.client_id),
            ("client_secret", defaults.client_secret.expose()),
            ("username", USER),
            ("password", PASSWORD),
        ]))
        .respond_with(token("accounts-access", Some("accounts-refresh"), 3600))
        .expect(times)
        .mount(vendor)
        .await;
}

/// Step 2: the token exchange of `accounts-access`.
fn exchange() -> MockBuilder {
    let client_id = SomfyOAuth::default().client_id;
    Mock::given(method("POST"))
        .and(path(KEYCLOAK))
        .and(NoQuery("siteOID"))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(form(&[
            (
                "grant_type",
                "urn:ietf:params:oauth:grant-type:token-exchange",
            ),
            ("client_id", &client_id),
            ("subject_token", "accounts-access"),
            ("subject_issuer", "somfy-customer"),
            (
                "subject_token_type",
                "urn:ietf:params:oauth:token-type:access_token",
            ),
        ]))
}

/// Step 4: a site token minted from the global refresh token `refresh`.
fn mint(site: &str, refresh: &str) -> MockBuilder {
    let client_id = SomfyOAuth::default().client_id;
    Mock::given(method("POST"))
        .and(path(KEYCLOAK))
        .and(query_param("siteOID", site))
        .and(form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", refresh),
        ]))
}

fn site_entry(id: &str, name: &str, country: &str, gateway: &str) -> Value {
    json!({
        "siteOID": id, "name": name, "country": country,
        "currentUserRoles": [{"roleOID": "owner"}],
        "subSites": [{"externalOID": format!("setup-{id}"), "type": "SETUP",
            "gateways": [{"gatewayId": gateway, "type": 98,
                          "connectivity": {"protocolVersion": "2026.1.3"}}]}]
    })
}

/// Step 3: one page of the directory, for the global token `global`.
fn directory_page(global: &str, offset: &str) -> MockBuilder {
    Mock::given(method("GET"))
        .and(path(SITES))
        .and(query_param("withGateways", "true"))
        .and(query_param("limit", "20"))
        .and(query_param("offset", offset))
        .and(header("authorization", format!("Bearer {global}").as_str()))
        .and(header("x-api-key", "184638B3FBE874ACD24C14FBD657B"))
}

/// A region that knows the site tokens `known` and answers `No such user account`
/// to any other bearer token.
async fn mount_region(region: &MockServer, known: &[&str], devices: Value) {
    for token in known {
        let bearer = format!("Bearer {token}");
        Mock::given(method("GET"))
            .and(path(format!("{API}/setup/gateways")))
            .and(header("authorization", bearer.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
            .with_priority(1)
            .mount(region)
            .await;
        Mock::given(method("GET"))
            .and(path(format!("{API}/setup/devices")))
            .and(header("authorization", bearer.as_str()))
            .respond_with(ResponseTemplate::new(200).set_body_json(devices.clone()))
            .with_priority(1)
            .mount(region)
            .await;
    }
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({
            "errorCode": "RESOURCE_ACCESS_DENIED",
            "error": "No such user account : 31a6"
        })))
        .with_priority(10)
        .mount(region)
        .await;
}

fn device(url: &str) -> Value {
    json!([{"deviceURL": url, "label": "Shutter", "controllableName": "io:RollerShutterGenericIOComponent",
            "definition": {"commands": [], "states": []}, "available": true, "enabled": true,
            "type": 1, "uiClass": "RollerShutter", "oid": "x"}])
}

/// The bearer tokens a server received, in order.
async fn bearers(server: &MockServer) -> Vec<(String, String)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|r| {
            let bearer = r
                .headers
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .trim_start_matches("Bearer ")
                .to_owned();
            (r.url.path().trim_start_matches(API).to_owned(), bearer)
        })
        .collect()
}

#[tokio::test]
async fn somfy_sites_are_listed_by_page_and_each_gets_its_own_client_and_region() {
    let vendor = MockServer::start().await;
    let europe = MockServer::start().await;
    let america = MockServer::start().await;
    let defaults = SomfySites::default();
    assert_eq!(
        defaults.keycloak_token_url,
        "https://ginaite-prod.ovkube.net/realms/somfy-tahoma/protocol/openid-connect/token"
    );
    assert_eq!(
        defaults.site_api,
        "https://backoffice-service.ovkube.net/site-api/public/v1"
    );
    assert_eq!(defaults.subject_issuer, "somfy-customer");
    assert_eq!(
        defaults.invitation_api,
        "https://backoffice-service.ovkube.net/invitation-api/public/v1"
    );
    assert_eq!(defaults.accounts, SomfyOAuth::default());
    let hosts: Vec<&str> = defaults.regions.iter().map(|r| r.base_url()).collect();
    assert_eq!(
        hosts,
        [
            "https://ha101-1.overkiz.com/enduser-mobile-web/enduserAPI",
            "https://ha201-1.overkiz.com/enduser-mobile-web/enduserAPI",
            "https://ha401-1.overkiz.com/enduser-mobile-web/enduserAPI",
        ]
    );

    mount_accounts(&vendor, 1).await;
    exchange()
        .respond_with(token("global-1", Some("global-refresh-1"), 900))
        .expect(1)
        .mount(&vendor)
        .await;
    // Page 1: the home "Mick" and 19 others; page 2: the invited home on another
    // region. The directory caps `limit` at 20.
    let mut first: Vec<Value> = vec![site_entry("site-a", "Mick", "NL", "2025-8464-6867")];
    first.extend((1..20).map(|n| json!({"siteOID": format!("other-{n}"), "subSites": []})));
    directory_page("global-1", "0")
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"totalCount": 21, "results": first})),
        )
        .expect(1)
        .mount(&vendor)
        .await;
    let mut invited = site_entry("site-b", "Cabin", "US", "1234-5678-9012");
    invited["currentUserRoles"] = json!([{"roleOID": "guest"}]);
    directory_page("global-1", "20")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"totalCount": 21, "results": [invited]})),
        )
        .expect(1)
        .mount(&vendor)
        .await;
    // One site token each: the one minted to find the region is the client's.
    mint("site-a", "global-refresh-1")
        .respond_with(token("site-a-token", Some("site-a-refresh"), 900))
        .expect(1)
        .mount(&vendor)
        .await;
    mint("site-b", "global-refresh-1")
        .respond_with(token("site-b-token", None, 900))
        .expect(1)
        .mount(&vendor)
        .await;
    mount_region(&europe, &["site-a-token"], device("io://2025-8464-6867/1")).await;
    mount_region(&america, &["site-b-token"], device("io://1234-5678-9012/2")).await;

    let account = account(config(&vendor, vec![region(&europe), region(&america)]));
    let sites = account.sites().await.unwrap();
    assert_eq!(sites.len(), 21);
    let mick = &sites[0];
    assert_eq!(mick.id, "site-a");
    assert_eq!(mick.name.as_deref(), Some("Mick"));
    assert_eq!(mick.country.as_deref(), Some("NL"));
    assert_eq!(mick.roles, ["owner"]);
    assert_eq!(mick.gateways[0].gateway_id, "2025-8464-6867");
    assert_eq!(mick.gateways[0].setup_oid.as_deref(), Some("setup-site-a"));
    let cabin = &sites[20];
    assert_eq!(
        (cabin.id.as_str(), cabin.roles.as_slice()),
        ("site-b", &["guest".to_owned()][..])
    );

    let a = account.client("site-a").await.unwrap();
    let b = account.client("site-b").await.unwrap();
    assert_eq!(a.server(), &region(&europe));
    assert_eq!(b.server(), &region(&america));
    assert_eq!(account.region("site-b"), Some(region(&america)));
    let a_devices = a.get_setup_devices().await.unwrap();
    let b_devices = b.get_setup_devices().await.unwrap();
    assert_eq!(
        a_devices[0].device_url.as_deref(),
        Some("io://2025-8464-6867/1")
    );
    assert_eq!(
        b_devices[0].device_url.as_deref(),
        Some("io://1234-5678-9012/2")
    );
    // The same client again: no new token, no new probe.
    let again = account.client("site-b").await.unwrap();
    again.get_setup_devices().await.unwrap();

    // Europe was asked about site B once (403, No such user account), and never again.
    assert_eq!(
        bearers(&europe).await,
        [
            ("/setup/gateways".to_owned(), "site-a-token".to_owned()),
            ("/setup/gateways".to_owned(), "site-b-token".to_owned()),
            ("/setup/devices".to_owned(), "site-a-token".to_owned()),
        ]
    );
    assert_eq!(
        bearers(&america).await,
        [
            ("/setup/gateways".to_owned(), "site-b-token".to_owned()),
            ("/setup/devices".to_owned(), "site-b-token".to_owned()),
            ("/setup/devices".to_owned(), "site-b-token".to_owned()),
        ]
    );

    // A region stored from an earlier run: the client is built there without probing.
    let vendor_calls = vendor.received_requests().await.unwrap().len();
    let later = self::account(config(&vendor, vec![region(&europe), region(&america)]));
    later.set_region("site-b", region(&america));
    let b = later.client("site-b").await.unwrap();
    assert_eq!(b.server(), &region(&america));
    assert_eq!(
        vendor.received_requests().await.unwrap().len(),
        vendor_calls,
        "nothing is sent before the client's first call"
    );
}

#[tokio::test]
async fn both_token_levels_are_refreshed_before_they_expire() {
    let vendor = MockServer::start().await;
    let europe = MockServer::start().await;
    let client_id = SomfyOAuth::default().client_id;
    mount_accounts(&vendor, 1).await;
    // Both tokens live 60 s: each is refreshed at half its lifetime.
    exchange()
        .respond_with(token("global-1", Some("global-refresh-1"), 60))
        .expect(1)
        .mount(&vendor)
        .await;
    // The global token: Keycloak's refresh grant, without siteOID.
    Mock::given(method("POST"))
        .and(path(KEYCLOAK))
        .and(NoQuery("siteOID"))
        .and(form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", "global-refresh-1"),
        ]))
        .respond_with(token("global-2", Some("global-refresh-2"), 900))
        .expect(1)
        .mount(&vendor)
        .await;
    directory_page("global-1", "0")
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"totalCount": 1, "results": [site_entry("site-a", "Home", "FR", "1111-2222-3333")]}),
        ))
        .expect(1)
        .mount(&vendor)
        .await;
    // The site token: minted again from the (refreshed, rotated) global token.
    mint("site-a", "global-refresh-1")
        .respond_with(token("site-a-1", None, 60))
        .expect(1)
        .mount(&vendor)
        .await;
    mint("site-a", "global-refresh-2")
        .respond_with(token("site-a-2", None, 900))
        .expect(1)
        .mount(&vendor)
        .await;
    mount_region(
        &europe,
        &["site-a-1", "site-a-2"],
        device("io://1111-2222-3333/1"),
    )
    .await;

    let account = account(config(&vendor, vec![region(&europe)]));
    assert_eq!(account.sites().await.unwrap().len(), 1);
    let client = account.client("site-a").await.unwrap();
    client.get_setup_devices().await.unwrap();
    skip_time(Duration::from_secs(29)).await;
    client.get_setup_devices().await.unwrap();
    skip_time(Duration::from_secs(2)).await;
    client.get_setup_devices().await.unwrap();
    client.get_setup_devices().await.unwrap();
    let tokens: Vec<String> = bearers(&europe).await.into_iter().map(|(_, t)| t).collect();
    // The probe's token is the client's first; past half its lifetime the client
    // mints another, which first refreshes the account's global token.
    assert_eq!(
        tokens,
        ["site-a-1", "site-a-1", "site-a-1", "site-a-2", "site-a-2"]
    );
    assert_eq!(
        account
            .tokens()
            .unwrap()
            .refresh_token()
            .map(|t| t.expose()),
        Some("global-refresh-2")
    );
}

#[tokio::test]
async fn a_refused_exchange_is_a_failed_sign_in_under_the_cool_down() {
    let vendor = MockServer::start().await;
    let europe = MockServer::start().await;
    mount_accounts(&vendor, 1).await;
    exchange()
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_token", "error_description": "subject token accounts-access rejected"
        })))
        .expect(1)
        .mount(&vendor)
        .await;
    let account = account(config(&vendor, vec![region(&europe)]));
    let error = account.sites().await.unwrap_err();
    let Error::LoginFailed { cause, retry_in } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(cause.kind(), ErrorKind::BadCredentials, "{cause}");
    assert!(retry_in.is_some());
    assert!(!error.to_string().contains(PASSWORD));
    assert!(!error.to_string().contains("accounts-access"), "{error}");
    // During the cool-down, nothing is sent: not for the directory, not for a site.
    let error = account.sites().await.unwrap_err();
    assert!(matches!(error, Error::LoginFailed { .. }), "{error:?}");
    let error = account.client("site-a").await.unwrap_err();
    assert!(matches!(error, Error::LoginFailed { .. }), "{error:?}");
    assert_eq!(vendor.received_requests().await.unwrap().len(), 2);
    assert!(europe.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_site_token_renews_the_account_once_then_cools_down() {
    let vendor = MockServer::start().await;
    let europe = MockServer::start().await;
    let client_id = SomfyOAuth::default().client_id;
    // global-1 serves the directory, then its refresh token dies: the mint is
    // refused, so is the account's refresh, so the account signs in from scratch
    // once (global-2); a mint refused with that fresh token is a failed sign-in.
    mount_accounts(&vendor, 2).await;
    exchange()
        .respond_with(token("global-1", Some("global-refresh-1"), 900))
        .up_to_n_times(1)
        .expect(1)
        .mount(&vendor)
        .await;
    exchange()
        .respond_with(token("global-2", Some("global-refresh-2"), 900))
        .expect(1)
        .mount(&vendor)
        .await;
    directory_page("global-1", "0")
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "totalCount": 1, "results": [site_entry("site-a", "Home", "FR", "1111-2222-3333")]
        })))
        .expect(1)
        .mount(&vendor)
        .await;
    let refused = ResponseTemplate::new(400).set_body_json(
        json!({"error": "invalid_grant", "error_description": "Token is not active"}),
    );
    Mock::given(method("POST"))
        .and(path(KEYCLOAK))
        .and(NoQuery("siteOID"))
        .and(form(&[
            ("grant_type", "refresh_token"),
            ("client_id", &client_id),
            ("refresh_token", "global-refresh-1"),
        ]))
        .respond_with(refused.clone())
        .expect(1)
        .mount(&vendor)
        .await;
    mint("site-a", "global-refresh-1")
        .respond_with(refused.clone())
        .expect(1)
        .mount(&vendor)
        .await;
    mint("site-a", "global-refresh-2")
        .respond_with(refused)
        .expect(1)
        .mount(&vendor)
        .await;
    let account = account(config(&vendor, vec![region(&europe)]));
    assert_eq!(account.sites().await.unwrap().len(), 1);
    let error = account.client("site-a").await.unwrap_err();
    let Error::LoginFailed { cause, retry_in } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(cause.kind(), ErrorKind::BadCredentials, "{cause:?}");
    assert!(retry_in.is_some());
    // The account cools down: neither a site nor the directory sends anything.
    let sent = vendor.received_requests().await.unwrap().len();
    assert!(matches!(
        account.client("site-a").await,
        Err(Error::LoginFailed { .. })
    ));
    assert!(matches!(
        account.sites().await,
        Err(Error::LoginFailed { .. })
    ));
    assert_eq!(vendor.received_requests().await.unwrap().len(), sent);
    assert!(europe.received_requests().await.unwrap().is_empty());
    // wiremock checks the counts when `vendor` drops: 2 password grants, 2 exchanges,
    // 1 refresh, 2 mints.
}

#[tokio::test]
async fn the_global_grant_is_saved_and_restored_without_a_password_grant() {
    let vendor = MockServer::start().await;
    let europe = MockServer::start().await;
    mount_accounts(&vendor, 1).await;
    exchange()
        .respond_with(token("global-1", Some("global-refresh-1"), 900))
        .expect(1)
        .mount(&vendor)
        .await;
    mint("site-a", "global-refresh-1")
        .respond_with(token("site-a-token", None, 900))
        .expect(2)
        .mount(&vendor)
        .await;
    mount_region(&europe, &["site-a-token"], json!([])).await;
    let saved = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let first = {
        let saved = saved.clone();
        SomfyAccount::builder(config(&vendor, vec![region(&europe)]), USER, PASSWORD)
            .client_settings(|b| b.retry_policy(fast_retries()))
            .on_tokens_changed(move |grant| saved.lock().unwrap().push(grant.clone()))
            .build()
            .unwrap()
    };
    first.client("site-a").await.unwrap();
    let grants = saved.lock().unwrap().clone();
    assert_eq!(grants.len(), 1, "one global grant, no site grant");
    assert_eq!(
        grants[0].refresh_token().map(|t| t.expose()),
        Some("global-refresh-1")
    );
    assert_eq!(
        first.tokens().unwrap().refresh_token(),
        grants[0].refresh_token()
    );
    // A restart: the saved grant mints the site token; no password grant, no exchange.
    let second = SomfyAccount::builder(config(&vendor, vec![region(&europe)]), USER, PASSWORD)
        .restore_tokens(grants[0].clone())
        .build()
        .unwrap();
    second.set_region("site-a", region(&europe));
    second
        .client("site-a")
        .await
        .unwrap()
        .get_setup_devices()
        .await
        .unwrap();
}

#[tokio::test]
async fn an_invitation_is_accepted_and_other_refusals_cost_no_sign_in() {
    let vendor = MockServer::start().await;
    let europe = MockServer::start().await;
    mount_accounts(&vendor, 1).await;
    exchange()
        .respond_with(token("global-1", Some("global-refresh-1"), 900))
        .expect(1)
        .mount(&vendor)
        .await;
    Mock::given(method("POST"))
        .and(path(
            "/invitation-api/public/v1/invitations/inv%2F42/accept",
        ))
        .and(header("authorization", "Bearer global-1"))
        .and(header("x-api-key", "184638B3FBE874ACD24C14FBD657B"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&vendor)
        .await;
    Mock::given(method("POST"))
        .and(path("/invitation-api/public/v1/invitations/used/accept"))
        .respond_with(
            ResponseTemplate::new(404).set_body_json(json!({"message": "no such invitation"})),
        )
        .expect(1)
        .mount(&vendor)
        .await;
    let account = account(config(&vendor, vec![region(&europe)]));
    account.accept_invitation("inv/42").await.unwrap();
    let error = account.accept_invitation("used").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchResource, "{error:?}");
    assert!(error.to_string().contains("no such invitation"), "{error}");
    // A throttled directory is not a refused token: no new sign-in.
    Mock::given(method("GET"))
        .and(path(SITES))
        .respond_with(ResponseTemplate::new(429))
        .expect(1)
        .mount(&vendor)
        .await;
    let error = account.sites().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::TooManyRequests, "{error:?}");
}

#[tokio::test]
async fn a_site_no_region_knows_is_an_error_after_one_probe_each() {
    let vendor = MockServer::start().await;
    let europe = MockServer::start().await;
    let america = MockServer::start().await;
    mount_accounts(&vendor, 1).await;
    exchange()
        .respond_with(token("global-1", Some("global-refresh-1"), 900))
        .mount(&vendor)
        .await;
    mint("site-x", "global-refresh-1")
        .respond_with(token("site-x-token", None, 900))
        .expect(1)
        .mount(&vendor)
        .await;
    mount_region(&europe, &[], json!([])).await;
    mount_region(&america, &[], json!([])).await;
    let account = account(config(&vendor, vec![region(&europe), region(&america)]));
    let error = account.client("site-x").await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnknownUser, "{error:?}");
    assert_eq!(europe.received_requests().await.unwrap().len(), 1);
    assert_eq!(america.received_requests().await.unwrap().len(), 1);
    assert_eq!(account.region("site-x"), None);
}

// ----- Against the simulator: two homes behind one account ----------------------

const HOME_SETUP: &str = include_str!("../../fixtures/setup/setup_tahoma_3.json");
const CABIN_SETUP: &str = include_str!("../../fixtures/setup/setup_tahoma_be.json");
/// A roller shutter of the home (`setup_tahoma_3.json`).
const HOME_SHUTTER: &str = "io://1234-1234-6233/12184029";

#[tokio::test]
async fn a_two_home_account_in_the_simulator_keeps_each_home_to_its_own_client() {
    use overkiz::Action;
    use overkiz_sim::sites::{self, Site};
    use overkiz_sim::Simulator;

    let home_sim = Simulator::start(serde_json::from_str(HOME_SETUP).unwrap())
        .await
        .unwrap();
    let cabin_sim = Simulator::start(serde_json::from_str(CABIN_SETUP).unwrap())
        .await
        .unwrap();
    let services = sites::SomfyAccount::start(
        USER,
        PASSWORD,
        vec![
            Site::new("site-home", "Home", "FR", &home_sim),
            Site::new("site-cabin", "Cabin", "BE", &cabin_sim).invited(),
        ],
    )
    .await
    .unwrap();
    let base = services.url();
    let regions = vec![
        Server::custom(home_sim.url()).unwrap(),
        Server::custom(cabin_sim.url()).unwrap(),
    ];
    let config = SomfySites {
        accounts: SomfyOAuth {
            token_url: format!("{base}{}", sites::ACCOUNTS_PATH),
            ..SomfyOAuth::default()
        },
        keycloak_token_url: format!("{base}{}", sites::KEYCLOAK_PATH),
        site_api: format!("{base}{}", sites::SITE_API_PATH),
        regions: regions.clone(),
        ..SomfySites::default()
    };
    let account = account(config);

    let listed = account.sites().await.unwrap();
    type Summary<'a> = (&'a str, Option<&'a str>, Vec<&'a str>, Vec<&'a str>);
    let summary: Vec<Summary> = listed
        .iter()
        .map(|s| {
            (
                s.id.as_str(),
                s.name.as_deref(),
                s.roles.iter().map(String::as_str).collect(),
                s.gateways.iter().map(|g| g.gateway_id.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (
                "site-home",
                Some("Home"),
                vec!["owner"],
                vec!["1234-1234-6233"]
            ),
            (
                "site-cabin",
                Some("Cabin"),
                vec!["guest"],
                vec!["1234-1234-4892"]
            ),
        ]
    );

    let home = account.client("site-home").await.unwrap();
    let cabin = account.client("site-cabin").await.unwrap();
    // The cabin's token was first tried on the home's region, which does not know it.
    assert_eq!(account.region("site-cabin"), Some(regions[1].clone()));
    assert_eq!(home.server(), &regions[0]);
    let probes: Vec<Option<u16>> = home_sim
        .requests()
        .iter()
        .filter(|r| r.is("GET /setup/gateways"))
        .map(|r| r.status)
        .collect();
    assert_eq!(probes, [Some(200), Some(403)]);
    let home_devices = home.get_setup_devices().await.unwrap();
    let cabin_devices = cabin.get_setup_devices().await.unwrap();
    assert_eq!(home_devices.len(), 39);
    assert_eq!(cabin_devices.len(), 15);
    assert!(home_devices.iter().all(|d| d
        .device_url
        .as_deref()
        .unwrap()
        .contains("1234-1234-6233")));
    assert!(cabin_devices.iter().all(|d| d
        .device_url
        .as_deref()
        .unwrap()
        .contains("1234-1234-4892")));

    let close = overkiz::action_group("close", [Action::new(HOME_SHUTTER, ["close"])]);
    let exec_id = home.post_exec_apply(&close).await.unwrap().exec_id.unwrap();
    assert_eq!(home_sim.current_executions(), [exec_id]);
    assert_eq!(home_sim.count_of("POST /exec/apply"), 1);
    // Nothing reached the cabin: no execution, not even a launch.
    assert!(cabin_sim.current_executions().is_empty());
    assert!(cabin_sim.history().is_empty());
    assert_eq!(cabin_sim.count_of("POST /exec/apply"), 0);
    // One sign-in for the account, one site token per home.
    assert_eq!(services.count_of("password"), 1);
    assert_eq!(services.count_of("exchange"), 1);
    assert_eq!(services.count_of("site"), 2);
}
