//! The real `overkiz` client against the simulator's local API mode: TLS with a
//! certificate named `<pin>.local`, bearer tokens, the local subset of operations and
//! the gateway's error wording.

use std::time::Duration;

use overkiz::{Client, Credentials, ErrorKind, Event, EventStreamConfig, RetryPolicy, Server};
use overkiz_sim::testing::{self, PIN, SHUTTER};
use overkiz_sim::Simulator;
use serde_json::Value;

use crate::common::{action_group, apply, next_event, WAIT};

const TOKEN: &str = "local-test-token";
/// The `Authorization` header of [`TOKEN`], for raw calls.
const BEARER: &[(&str, &str)] = &[("Authorization", "Bearer local-test-token")];

fn setup() -> Value {
    testing::tahoma_3()
}

async fn gateway() -> Simulator {
    gateway_builder().start().await.unwrap()
}

/// The gateway `PIN` of the fixture, accepting `TOKEN`.
fn gateway_builder() -> overkiz_sim::SimulatorBuilder {
    testing::simulator().local(PIN).token(TOKEN)
}

/// A client of `sim` reached by IP address, expecting gateway `pin`, trusting `ca`.
fn client_for(sim: &Simulator, pin: &str, ca: Option<&str>, credentials: Credentials) -> Client {
    let server = Server::local_at(pin, &sim.addr().to_string()).unwrap();
    let mut builder = Client::builder(server, credentials)
        .retry_policy(RetryPolicy::default().with_max_attempts(1));
    if let Some(ca) = ca {
        builder = builder.add_gateway_root_certificate(ca.as_bytes());
    }
    builder.build().unwrap()
}

fn client(sim: &Simulator) -> Client {
    client_for(sim, PIN, sim.gateway_ca_pem(), Credentials::bearer(TOKEN))
}

/// Raw HTTPS calls reaching `sim` as `<pin>.local` (standard name checking) and
/// trusting its CA: for the control API and calls the `overkiz` client never makes.
struct Raw {
    http: reqwest::Client,
    base: String,
}

impl Raw {
    fn of(sim: &Simulator) -> Raw {
        let ca = sim.gateway_ca_pem().unwrap().as_bytes();
        let host = format!("{PIN}.local");
        let http = reqwest::Client::builder()
            .add_root_certificate(reqwest::Certificate::from_pem(ca).unwrap())
            .resolve(&host, sim.addr())
            .no_proxy()
            .build()
            .unwrap();
        let base = format!("https://{host}:{}", sim.addr().port());
        Raw { http, base }
    }

    /// `method` on `path` (from the root) with `headers`: the status and the JSON
    /// answered (`Null` when it is not JSON).
    async fn call(&self, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        let mut request = self.http.request(method.parse().unwrap(), url);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let body = response.bytes().await.unwrap_or_default();
        (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
    }
}

#[tokio::test]
async fn the_gateway_certificate_names_the_pin_and_is_verified_by_ip() {
    let sim = gateway().await;
    assert!(sim.url().starts_with("https://127.0.0.1:"), "{}", sim.url());
    assert!(sim.url().ends_with("/enduser-mobile-web/1/enduserAPI"));
    assert_eq!(sim.local_url(), sim.url());
    assert_eq!(sim.gateway_pin(), Some(PIN));
    let ca = sim.gateway_ca_pem().unwrap().to_owned();
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"), "{ca}");

    // Reached by IP address: the certificate is accepted because it names <pin>.local
    // and chains to the generated CA.
    let client = client(&sim);
    let version = client.get_api_version().await.unwrap();
    assert_eq!(version.protocol_version.as_deref(), Some("2021.2.4"));
    assert!(sim.request_count() >= 1);

    // The same certificate checked the standard way, reaching the gateway by the name
    // `<pin>.local`.
    let raw = Raw::of(&sim);
    let version = "/enduser-mobile-web/1/enduserAPI/apiVersion";
    assert_eq!(raw.call("GET", version, &[]).await.0, 200);

    // Plain HTTP gets no answer from a TLS gateway.
    let plain = reqwest::Client::builder().no_proxy().build().unwrap();
    assert!(plain
        .get(format!(
            "http://{}/enduser-mobile-web/1/enduserAPI/apiVersion",
            sim.addr()
        ))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn another_ca_or_another_pin_is_refused_before_any_request() {
    let sim = gateway().await;
    let other = gateway().await;
    let refused = [
        // Trusting another simulator's CA (and the Overkiz root CA).
        client_for(
            &sim,
            PIN,
            other.gateway_ca_pem(),
            Credentials::bearer(TOKEN),
        ),
        // Trusting only the bundled Overkiz root CA.
        client_for(&sim, PIN, None, Credentials::bearer(TOKEN)),
        // The right CA, but expecting another gateway.
        client_for(
            &sim,
            "9999-9999-9999",
            sim.gateway_ca_pem(),
            Credentials::bearer(TOKEN),
        ),
    ];
    for client in refused {
        let error = client.get_api_version().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    }
    assert_eq!(sim.request_count(), 0, "no request may get through");
    // The right CA and PIN work.
    assert!(!client(&sim).get_setup_devices().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_setup_and_its_devices_over_the_local_api() {
    let sim = gateway().await;
    let client = client(&sim);
    let expected = setup()["devices"].as_array().unwrap().len();
    let setup = client.get_setup().await.unwrap();
    assert_eq!(setup.devices.as_ref().map(Vec::len), Some(expected));
    assert_eq!(setup.gateways.as_ref().map(Vec::len), Some(1));
    // A local setup carries only its gateways and devices.
    let raw = Raw::of(&sim);
    let (status, raw_setup) = raw
        .call("GET", "/enduser-mobile-web/1/enduserAPI/setup", BEARER)
        .await;
    assert_eq!(status, 200);
    let mut keys: Vec<&String> = raw_setup.as_object().unwrap().keys().collect();
    keys.sort();
    assert_eq!(keys, ["devices", "gateways"]);

    let devices = client.get_setup_devices().await.unwrap();
    assert_eq!(devices.len(), expected);
    let shutter = client
        .get_setup_devices_by_device_url(SHUTTER)
        .await
        .unwrap();
    assert_eq!(shutter.device_url.as_deref(), Some(SHUTTER));
    let states = client
        .get_setup_devices_by_device_url_states(SHUTTER)
        .await
        .unwrap();
    assert!(!states.is_empty());
    let closure = client
        .get_setup_devices_by_device_url_states_by_name(SHUTTER, "core:ClosureState")
        .await
        .unwrap();
    assert_eq!(closure.name.as_deref(), Some("core:ClosureState"));
    let controllable = shutter.controllable_name.clone().unwrap();
    let urls = client
        .get_setup_devices_controllables_by_controllable_name(&controllable)
        .await
        .unwrap();
    assert!(urls.iter().any(|u| u == SHUTTER), "{urls:?}");

    // An unknown device: the gateway's `No such device`.
    let error = client
        .get_setup_devices_by_device_url("io://9876-1234-8767/4468654")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchDevice, "{error:?}");
    assert_eq!(error.status(), Some(400));
    // The quotes around the URL stay (only quotes around a whole message go).
    assert_eq!(
        error.api_error().unwrap().message(),
        "No such device : \"io://9876-1234-8767/4468654\""
    );
}

#[tokio::test]
async fn execute_and_wait_and_the_event_stream_over_the_local_api() {
    let sim = gateway().await;
    let client = client(&sim);
    let mut events = client.events_with(
        EventStreamConfig::default()
            .with_fetch_interval(Duration::from_millis(10))
            .with_initial_backoff(Duration::from_millis(10)),
    );
    let outcome = events
        .run_and_wait(
            action_group("open", vec![]),
            overkiz::ExecutionMode::Normal,
            WAIT,
        )
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(Value::from(0))
    );
    assert_eq!(sim.listener_count(), 1);

    // The device's own report arrives through the local listener.
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(30)));
    let event = loop {
        let event = next_event(&mut events).await.unwrap();
        if let Event::DeviceStateChanged(change) = event {
            break change;
        }
    };
    assert_eq!(event.device_url.as_deref(), Some(SHUTTER));

    // A lost local listener (`No registered event listener.`) is a gap, then the
    // stream registers again and goes on.
    sim.expire_listeners();
    let gap = next_event(&mut events).await.unwrap_err();
    assert_eq!(gap.kind(), ErrorKind::EventsLost, "{gap:?}");
    let outcome = events
        .run_and_wait(
            action_group("setClosure", vec![Value::from(40)]),
            overkiz::ExecutionMode::Normal,
            WAIT,
        )
        .await
        .unwrap();
    assert!(outcome.is_success(), "{outcome:?}");
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(Value::from(40))
    );
    assert!(client.get_exec_current().await.unwrap().is_empty());
    // A finished execution is no longer current: `No corresponding execId`.
    let error = client
        .get_exec_current_by_exec_id(&outcome.exec_id)
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchExecution, "{error:?}");
    // The history is not in the local API; looking an execution up copes with that.
    assert_eq!(
        client.look_up_execution(&outcome.exec_id).await.unwrap(),
        None
    );
}

#[tokio::test]
async fn executions_are_cancelled_and_checked_the_gateways_way() {
    let sim = gateway_builder()
        .configure(|config| config.with_step(Duration::from_secs(60)))
        .start()
        .await
        .unwrap();
    let client = client(&sim);
    let exec_id = apply(&client, "open").await.unwrap();
    let current = client.get_exec_current_by_exec_id(&exec_id).await.unwrap();
    assert_eq!(current.id.as_deref(), Some(exec_id.as_str()));
    client
        .delete_exec_current_setup_by_exec_id(&exec_id)
        .await
        .unwrap();
    assert!(sim.current_executions().is_empty());
    apply(&client, "open").await.unwrap();
    client.delete_exec_current_setup().await.unwrap();
    assert!(sim.current_executions().is_empty());
    assert_eq!(sim.history().len(), 2);

    // An unknown device and a malformed action group.
    let mut unknown = action_group("open", vec![]);
    unknown.actions.as_mut().unwrap()[0].device_url = Some("io://9876-1234-8767/4468654".into());
    let error = client.post_exec_apply(&unknown).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NoSuchDevice, "{error:?}");
    let mut empty = action_group("open", vec![]);
    empty.actions = Some(Vec::new());
    let error = client.post_exec_apply(&empty).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadRequest, "{error:?}");
    assert_eq!(
        error.api_error().unwrap().message(),
        "Malformed \"Malformed action group\". (missing parameter)"
    );
    assert!(sim.current_executions().is_empty());

    // Listener ids: malformed, then well formed but unknown.
    let error = client
        .post_events_by_listener_id_fetch("no-such-listener")
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::BadRequest, "{error:?}");
    assert_eq!(
        error.api_error().unwrap().message(),
        "Malformed \"Malformed fetch id.\". (missing parameter)"
    );
    let error = client
        .post_events_by_listener_id_fetch("c6f83624-ac10-3e01-653e-2b025fee956d")
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::NoRegisteredEventListener,
        "{error:?}"
    );
}

#[tokio::test]
async fn tokens_are_checked_with_the_local_wording() {
    let sim = gateway().await;
    let ca = sim.gateway_ca_pem();
    // What `GET /setup` gets with these credentials.
    let refusal = |credentials: Credentials| {
        let client = client_for(&sim, PIN, ca, credentials);
        async move { client.get_setup().await.unwrap_err() }
    };
    let error = refusal(Credentials::bearer("unknown")).await;
    assert_eq!(error.kind(), ErrorKind::NotAuthenticated, "{error:?}");
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.api_error().unwrap().message(), "Not authenticated.");
    assert_eq!(
        error.api_error().unwrap().code().map(|c| c.as_str()),
        Some("RESOURCE_ACCESS_DENIED")
    );
    let error = refusal(Credentials::none()).await;
    assert_eq!(
        error.kind(),
        ErrorKind::MissingAuthorizationToken,
        "{error:?}"
    );
    assert_eq!(
        error.api_error().unwrap().message(),
        "Missing authorization token."
    );
    // `GET /apiVersion` needs no token.
    client_for(&sim, PIN, ca, Credentials::none())
        .get_api_version()
        .await
        .unwrap();
    // A password means a `/login` without a token: refused like any call without one
    // (with a token, `/login` is an unknown object, see below).
    let error = refusal(Credentials::password("me@example.com", "pw")).await;
    assert_eq!(
        error.kind(),
        ErrorKind::MissingAuthorizationToken,
        "{error:?}"
    );
    assert_eq!(sim.session_count(), 0);

    // A token added through the control API (over TLS as well) works at once.
    let raw = Raw::of(&sim);
    let added = raw.call("POST", "/_sim/tokens/from-control", &[]).await;
    assert_eq!(added.0, 204);
    client_for(&sim, PIN, ca, Credentials::bearer("from-control"))
        .get_setup_devices()
        .await
        .unwrap();
    // A session cookie is no authentication on a gateway.
    let cookie = [("Cookie", "JSESSIONID=ABC")];
    let (status, body) = raw
        .call("GET", "/enduser-mobile-web/1/enduserAPI/setup", &cookie)
        .await;
    assert_eq!(status, 401);
    assert_eq!(body["error"], "Missing authorization token.");
}

#[tokio::test]
async fn operations_outside_the_local_subset_get_the_gateways_error() {
    let sim = gateway().await;
    let client = client(&sim);
    // Documented cloud operations the gateway does not serve.
    let error = client.get_action_groups().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnknownObject, "{error:?}");
    assert_eq!(error.status(), Some(400));
    assert_eq!(error.api_error().unwrap().message(), "Unknown object.");
    #[allow(deprecated)] // the only listing of the history
    let error = client.get_history_executions().await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::UnknownObject, "{error:?}");

    let raw = Raw::of(&sim);
    for (method, path) in [
        // Not in the local OpenAPI, though documented for the cloud.
        ("DELETE", "/enduser-mobile-web/1/enduserAPI/exec/current"),
        ("POST", "/enduser-mobile-web/1/enduserAPI/login"),
        // Not documented at all.
        ("GET", "/enduser-mobile-web/1/enduserAPI/no/such/thing"),
        // The cloud API's path.
        ("GET", "/enduser-mobile-web/enduserAPI/setup"),
    ] {
        let (status, body) = raw.call(method, path, BEARER).await;
        assert_eq!(status, 400, "{method} {path}");
        assert_eq!(body["errorCode"], "UNSPECIFIED_ERROR", "{method} {path}");
        assert_eq!(body["error"], "Unknown object.", "{method} {path}");
    }
}
