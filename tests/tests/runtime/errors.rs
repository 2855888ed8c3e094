//! Every error body captured from the cloud (tests/fixtures/errors/cloud/) and from
//! local gateways (tests/fixtures/errors/local/), served by a local server with a
//! realistic status, must map to the right [`ErrorKind`] and [`Error`] variant. JSON
//! bodies must classify the same under another status (the body alone decides); HTML
//! pages are outages under a 5xx status and are classified by their status otherwise.
//! Messages keep what the server said, except the secrets it echoes.

use crate::support::*;
use overkiz::{Credentials, Error, ErrorKind, RetryPolicy};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Variant {
    Api,
    RateLimited,
    Unavailable,
}

/// Fixture file, status assumed for it, expected kind and variant.
const FIXTURES: &[(&str, u16, ErrorKind, Variant)] = &[
    (
        "401-not-authenticated.json",
        401,
        ErrorKind::NotAuthenticated,
        Variant::Api,
    ),
    (
        "502-bad-gateway.html",
        502,
        ErrorKind::Unavailable,
        Variant::Unavailable,
    ),
    (
        "503-empty.html",
        503,
        ErrorKind::Unavailable,
        Variant::Unavailable,
    ),
    (
        "503-maintenance.html",
        503,
        ErrorKind::Maintenance,
        Variant::Unavailable,
    ),
    (
        "access-denied-to-gateway.json",
        403,
        ErrorKind::AccessDeniedToGateway,
        Variant::Api,
    ),
    (
        "action-group-setup-not-found.json",
        400,
        ErrorKind::ActionGroupSetupNotFound,
        Variant::Api,
    ),
    (
        "application-not-allowed.json",
        401,
        ErrorKind::ApplicationNotAllowed,
        Variant::Api,
    ),
    (
        "bad-credentials.json",
        401,
        ErrorKind::BadCredentials,
        Variant::Api,
    ),
    (
        "exec-queue-full.json",
        400,
        ErrorKind::ExecutionQueueFull,
        Variant::Api,
    ),
    (
        "invalid-event-listener-id.json",
        400,
        ErrorKind::InvalidEventListener,
        Variant::Api,
    ),
    (
        "invalid-token.json",
        400,
        ErrorKind::InvalidToken,
        Variant::Api,
    ),
    (
        "missing-api-key.json",
        401,
        ErrorKind::MissingApiKey,
        Variant::Api,
    ),
    (
        "missing-authorization-token.json",
        401,
        ErrorKind::MissingAuthorizationToken,
        Variant::Api,
    ),
    (
        "no-overkiz-user.json",
        401,
        ErrorKind::UnknownUser,
        Variant::Api,
    ),
    (
        "no-registered-event-listener.json",
        400,
        ErrorKind::NoRegisteredEventListener,
        Variant::Api,
    ),
    (
        "no-such-action-group.json",
        404,
        ErrorKind::NoSuchActionGroup,
        Variant::Api,
    ),
    (
        "no-such-command.json",
        400,
        ErrorKind::NoSuchCommand,
        Variant::Api,
    ),
    (
        "no-such-controllable.json",
        404,
        ErrorKind::NoSuchDevice,
        Variant::Api,
    ),
    (
        "no-such-resource.json",
        404,
        ErrorKind::NoSuchResource,
        Variant::Api,
    ),
    (
        "no-such-ui-profile.json",
        404,
        ErrorKind::NoSuchUiProfile,
        Variant::Api,
    ),
    (
        "not-such-token.json",
        404,
        ErrorKind::NoSuchToken,
        Variant::Api,
    ),
    (
        "resource-access-denied-device-setup-mismatch.json",
        403,
        ErrorKind::AccessDenied,
        Variant::Api,
    ),
    (
        "resource-access-denied-gateway-not-in-setup.json",
        403,
        ErrorKind::AccessDenied,
        Variant::Api,
    ),
    (
        "session-and-bearer.json",
        400,
        ErrorKind::SessionAndBearerConflict,
        Variant::Api,
    ),
    (
        "too-many-attempts-banned.json",
        401,
        ErrorKind::TooManyAttemptsBanned,
        Variant::RateLimited,
    ),
    (
        "too-many-concurrent-requests.json",
        429,
        ErrorKind::TooManyConcurrentRequests,
        Variant::RateLimited,
    ),
    (
        "too-many-executions.json",
        503,
        ErrorKind::TooManyExecutions,
        Variant::RateLimited,
    ),
    (
        "too-many-requests.json",
        429,
        ErrorKind::TooManyRequests,
        Variant::RateLimited,
    ),
    (
        "unknown-auth-error.json",
        401,
        ErrorKind::AuthenticationFailed,
        Variant::Api,
    ),
    (
        "unknown-resource-access-denied.json",
        403,
        ErrorKind::AccessDenied,
        Variant::Api,
    ),
    (
        "unknown-user-account.json",
        401,
        ErrorKind::UnknownUser,
        Variant::Api,
    ),
];

fn variant(error: &Error) -> Option<Variant> {
    match error {
        Error::Api { .. } => Some(Variant::Api),
        Error::RateLimited { .. } => Some(Variant::RateLimited),
        Error::Unavailable { .. } => Some(Variant::Unavailable),
        _ => None,
    }
}

async fn call_with(server: &MockServer, status: u16, body: &[u8], content_type: &str) -> Error {
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/setup"))
        .respond_with(ResponseTemplate::new(status).set_body_raw(body.to_vec(), content_type))
        .mount(server)
        .await;
    let client = client_with(server, Credentials::none(), RetryPolicy::disabled());
    client
        .request(&GET_SETUP)
        .await
        .expect_err("an error answer")
}

async fn check_fixture(file: &str) {
    let &(_, status, kind, expected_variant) = FIXTURES
        .iter()
        .find(|f| f.0 == file)
        .unwrap_or_else(|| panic!("{file} is not in FIXTURES"));
    let body = error_fixture(file);
    let json: Option<serde_json::Value> = serde_json::from_slice(&body).ok();
    let content_type = if json.is_some() {
        "application/json"
    } else {
        "text/html"
    };
    let server = MockServer::start().await;

    // With the realistic status.
    let error = call_with(&server, status, &body, content_type).await;
    assert_eq!(error.kind(), kind, "{file}: {error:?}");
    assert_eq!(variant(&error), Some(expected_variant), "{file}: {error:?}");
    assert_eq!(error.status(), Some(status), "{file}");
    assert_eq!(
        error.operation().map(|op| op.path),
        Some("/setup"),
        "{file}"
    );
    assert!(
        error.to_string().starts_with("GET /setup: "),
        "{file}: {error}"
    );
    assert_eq!(error.retry_after(), None, "{file}");

    if let Some(json) = &json {
        // The server's code and message are kept.
        let api = error.api_error().expect("an API error");
        assert_eq!(
            api.code().map(|c| c.as_str()),
            json["errorCode"].as_str(),
            "{file}"
        );
        let message = json["error"].as_str().unwrap_or_default().trim_matches('"');
        // What the server echoes of the user (e-mail, token) is masked; the rest kept.
        let message = match ECHOED_SECRETS.iter().find(|e| e.0 == file) {
            Some((_, secret)) => {
                assert!(message.contains(secret), "{file}");
                assert!(!api.message().contains(secret), "{file}: {}", api.message());
                assert!(!error.to_string().contains(secret), "{file}: {error}");
                assert!(!format!("{error:?}").contains(secret), "{file}: {error:?}");
                message.replace(secret, "***")
            }
            None => message.to_owned(),
        };
        assert_eq!(api.message(), message, "{file}");
        assert_eq!(api.status(), status);
        assert_eq!(api.kind(), kind);
        // The body alone decides: any other status gives the same kind.
        for other in [400, 500] {
            let error = call_with(&server, other, &body, content_type).await;
            assert_eq!(error.kind(), kind, "{file} with status {other}: {error:?}");
            assert_eq!(error.status(), Some(other), "{file}");
        }
    } else {
        // An HTML page under a client-error status is classified by the status (a 401
        // page still leads to the one re-login) and is not retryable.
        for (other, other_kind) in [
            (400, ErrorKind::BadRequest),
            (401, ErrorKind::NotAuthenticated),
            (403, ErrorKind::AccessDenied),
        ] {
            let error = call_with(&server, other, &body, content_type).await;
            assert_eq!(
                error.kind(),
                other_kind,
                "{file} with status {other}: {error:?}"
            );
            assert_eq!(variant(&error), Some(Variant::Api), "{file}");
            assert!(!error.is_retryable(), "{file} with status {other}");
        }
    }
}

/// Fixtures whose message echoes something of the user, and that something.
const ECHOED_SECRETS: &[(&str, &str)] = &[
    ("invalid-token.json", "abc-123-def"),
    ("not-such-token.json", "abc-123-def"),
    ("no-overkiz-user.json", "user@example.tld"),
    ("unknown-user-account.json", "user@example.tld"),
    ("too-many-requests.json", "xxx@xxx.tld"),
];

/// Local gateway fixtures (the status is in the file name), their kind and variant.
const LOCAL_FIXTURES: &[(&str, ErrorKind, Variant)] = &[
    (
        "204-no-corresponding-execId.json",
        ErrorKind::NoSuchExecution,
        Variant::Api,
    ),
    (
        "400-action-group-setup-not-found.json",
        ErrorKind::ActionGroupSetupNotFound,
        Variant::Api,
    ),
    (
        "400-bad-parameters.json",
        ErrorKind::BadRequest,
        Variant::Api,
    ),
    ("400-bus-error.json", ErrorKind::Unavailable, Variant::Api),
    (
        "400-duplicate-action-on-device.json",
        ErrorKind::DuplicateAction,
        Variant::Api,
    ),
    (
        "400-malformed-action-group.json",
        ErrorKind::BadRequest,
        Variant::Api,
    ),
    (
        "400-malformed-fetch-id.json",
        ErrorKind::BadRequest,
        Variant::Api,
    ),
    (
        "400-missing-execution-id.json",
        ErrorKind::BadRequest,
        Variant::Api,
    ),
    (
        "400-missing-parameters.json",
        ErrorKind::BadRequest,
        Variant::Api,
    ),
    (
        "400-no-registered-event-listener.json",
        ErrorKind::NoRegisteredEventListener,
        Variant::Api,
    ),
    (
        "400-no-such-device.json",
        ErrorKind::NoSuchDevice,
        Variant::Api,
    ),
    (
        "400-unknown-object.json",
        ErrorKind::UnknownObject,
        Variant::Api,
    ),
    (
        "400-unspecified-error.json",
        ErrorKind::BadRequest,
        Variant::Api,
    ),
    (
        "401-missing-authorization-token.json",
        ErrorKind::MissingAuthorizationToken,
        Variant::Api,
    ),
    (
        "401-not-authenticated.json",
        ErrorKind::NotAuthenticated,
        Variant::Api,
    ),
];

#[tokio::test]
async fn local_gateway_errors_in_every_form() {
    let dir = format!("{}/fixtures/errors/local", env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("fixture directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    files.sort();
    let table: Vec<&str> = LOCAL_FIXTURES.iter().map(|f| f.0).collect();
    assert_eq!(files, table, "every local fixture is in the table");
    let server = MockServer::start().await;
    for &(file, kind, expected_variant) in LOCAL_FIXTURES {
        let body = std::fs::read(format!("{dir}/{file}")).expect("fixture");
        let status: u16 = file[..3].parse().expect("status prefix");
        // A 204 cannot carry a body on the wire: the gateway's 2xx error answers are
        // served as 200.
        let status = if status == 204 { 200 } else { status };
        let error = call_with(&server, status, &body, "application/json").await;
        assert_eq!(error.kind(), kind, "{file}: {error:?}");
        assert_eq!(variant(&error), Some(expected_variant), "{file}");
        assert_eq!(error.status(), Some(status), "{file}");
        let api = error.api_error().expect("an API error");
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            api.code().map(|c| c.as_str()),
            json["errorCode"].as_str(),
            "{file}"
        );
        // Quotes around the whole message are dropped (a quote that only ends it,
        // as in `No such device : "io://…"`, stays); a null message is empty.
        let raw = json["error"].as_str().unwrap_or_default().trim();
        let expected = raw
            .strip_prefix('"')
            .and_then(|inner| inner.strip_suffix('"'))
            .unwrap_or(raw)
            .trim();
        assert_eq!(api.message(), expected, "{file}");
        if file == "400-no-such-device.json" {
            assert!(api.message().ends_with("4468654\""), "{}", api.message());
        }
    }
}

#[tokio::test]
async fn a_success_status_with_an_error_body_is_an_error() {
    let server = MockServer::start().await;
    let body =
        br#"{"error": "\"No corresponding execId c6f83624\"", "errorCode": "UNSPECIFIED_ERROR"}"#;
    let error = call_with(&server, 200, body, "application/json").await;
    assert_eq!(error.kind(), ErrorKind::NoSuchExecution, "{error:?}");
    // An answer that only has an `errorCode` among other fields is data, not an error.
    server.reset().await;
    Mock::given(method("GET"))
        .and(path("/setup"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            br#"{"errorCode": "X", "label": "a device"}"#.to_vec(),
            "application/json",
        ))
        .mount(&server)
        .await;
    let client = client_with(&server, Credentials::none(), RetryPolicy::disabled());
    client.request(&GET_SETUP).await.expect("data");
}

macro_rules! fixture_tests {
    ($($test:ident => $file:literal,)*) => {
        $(
            #[tokio::test]
            async fn $test() {
                check_fixture($file).await;
            }
        )*

        #[test]
        fn every_fixture_file_has_a_test() {
            let tested = [$($file),*];
            let dir = format!("{}/fixtures/errors/cloud", env!("CARGO_MANIFEST_DIR"));
            let mut files: Vec<String> = std::fs::read_dir(&dir)
                .expect("fixture directory")
                .map(|entry| entry.expect("entry").file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            let mut tested: Vec<String> = tested.iter().map(|s| s.to_string()).collect();
            tested.sort();
            assert_eq!(files, tested);
            let mut table: Vec<String> = FIXTURES.iter().map(|f| f.0.to_string()).collect();
            table.sort();
            assert_eq!(files, table);
        }
    };
}

fixture_tests! {
    not_authenticated => "401-not-authenticated.json",
    bad_gateway_html => "502-bad-gateway.html",
    empty_503 => "503-empty.html",
    maintenance_html => "503-maintenance.html",
    access_denied_to_gateway => "access-denied-to-gateway.json",
    action_group_setup_not_found => "action-group-setup-not-found.json",
    application_not_allowed => "application-not-allowed.json",
    bad_credentials => "bad-credentials.json",
    exec_queue_full => "exec-queue-full.json",
    invalid_event_listener_id => "invalid-event-listener-id.json",
    invalid_token => "invalid-token.json",
    missing_api_key => "missing-api-key.json",
    missing_authorization_token => "missing-authorization-token.json",
    no_overkiz_user => "no-overkiz-user.json",
    no_registered_event_listener => "no-registered-event-listener.json",
    no_such_action_group => "no-such-action-group.json",
    no_such_command => "no-such-command.json",
    no_such_controllable => "no-such-controllable.json",
    no_such_resource => "no-such-resource.json",
    no_such_ui_profile => "no-such-ui-profile.json",
    not_such_token => "not-such-token.json",
    device_setup_mismatch => "resource-access-denied-device-setup-mismatch.json",
    gateway_not_in_setup => "resource-access-denied-gateway-not-in-setup.json",
    session_and_bearer => "session-and-bearer.json",
    too_many_attempts_banned => "too-many-attempts-banned.json",
    too_many_concurrent_requests => "too-many-concurrent-requests.json",
    too_many_executions => "too-many-executions.json",
    too_many_requests => "too-many-requests.json",
    unknown_auth_error => "unknown-auth-error.json",
    unknown_resource_access_denied => "unknown-resource-access-denied.json",
    unknown_user_account => "unknown-user-account.json",
}

#[test]
fn retryable_kinds() {
    let retryable = [
        ErrorKind::Transport,
        ErrorKind::Timeout,
        ErrorKind::Maintenance,
        ErrorKind::Unavailable,
        ErrorKind::TooManyRequests,
        ErrorKind::TooManyConcurrentRequests,
        ErrorKind::TooManyExecutions,
        ErrorKind::ExecutionQueueFull,
    ];
    for &(file, _, kind, _) in FIXTURES {
        assert_eq!(kind.is_retryable(), retryable.contains(&kind), "{file}");
        assert_eq!(
            kind.is_rate_limit(),
            matches!(
                FIXTURES.iter().find(|f| f.0 == file).map(|f| f.3),
                Some(Variant::RateLimited)
            ),
            "{file}"
        );
    }
    assert!(ErrorKind::NotAuthenticated.needs_login());
    assert!(ErrorKind::MissingAuthorizationToken.needs_login());
    assert!(!ErrorKind::BadCredentials.needs_login());
}

#[tokio::test]
async fn unknown_error_codes_are_kept() {
    let server = MockServer::start().await;
    let body = br#"{"errorCode":"SOMETHING_NEW","error":"Something new happened"}"#;
    let error = call_with(&server, 409, body, "application/json").await;
    assert_eq!(error.kind(), ErrorKind::BadRequest);
    let api = error.api_error().expect("an API error");
    assert_eq!(
        api.code(),
        Some(&overkiz::ErrorCode::Other("SOMETHING_NEW".into()))
    );
    assert_eq!(api.code().map(|c| c.as_str()), Some("SOMETHING_NEW"));
    assert_eq!(api.message(), "Something new happened");
}
