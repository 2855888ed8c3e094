//! The real `overkiz` client against the simulator's local API mode: TLS with a
//! certificate named `<pin>.local`, bearer tokens, the local subset of operations and
//! the gateway's error wording.

use std::time::Duration;

use futures::StreamExt;
use overkiz::types::{Action, ActionGroup, Command};
use overkiz::{Client, Credentials, ErrorKind, Event, EventStreamConfig, RetryPolicy, Server};
use overkiz_sim::{Config, Simulator};
use serde_json::Value;

const SETUP: &str = include_str!("../../tests/fixtures/setup/setup_tahoma_3.json");
/// A roller shutter of `setup_tahoma_3.json`, closed (`core:ClosureState` 100).
const SHUTTER: &str = "io://1234-1234-6233/12184029";
const PIN: &str = "1234-5678-9012";
const TOKEN: &str = "local-test-token";
const WAIT: Duration = Duration::from_secs(5);

fn setup() -> Value {
    serde_json::from_str(SETUP).unwrap()
}

async fn gateway() -> Simulator {
    let sim = Simulator::start_local(
        setup(),
        PIN,
        Config::default().with_step(Duration::from_millis(20)),
    )
    .await
    .unwrap();
    sim.add_token(TOKEN);
    sim
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

/// A raw HTTPS client reaching `sim` as `<pin>.local` (standard name checking) and
/// trusting its CA: for the control API and calls the `overkiz` client never makes.
fn raw(sim: &Simulator) -> (reqwest::Client, String) {
    let ca = reqwest::Certificate::from_pem(sim.gateway_ca_pem().unwrap().as_bytes()).unwrap();
    let host = format!("{PIN}.local");
    let http = reqwest::Client::builder()
        .add_root_certificate(ca)
        .resolve(&host, sim.addr())
        .no_proxy()
        .build()
        .unwrap();
    (http, format!("https://{host}:{}", sim.addr().port()))
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let body = response.bytes().await.unwrap_or_default();
    (status, serde_json::from_slice(&body).unwrap_or(Value::Null))
}

fn action_group(command: &str, parameters: Vec<Value>) -> ActionGroup {
    ActionGroup {
        label: Some(command.into()),
        actions: Some(vec![Action {
            device_url: Some(SHUTTER.into()),
            commands: Some(vec![Command {
                name: Some(command.into()),
                parameters: Some(parameters),
                ..Command::default()
            }]),
            ..Action::default()
        }]),
        ..ActionGroup::default()
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
    let (http, base) = raw(&sim);
    let response = http
        .get(format!("{base}/enduser-mobile-web/1/enduserAPI/apiVersion"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

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
    let (http, base) = raw(&sim);
    let (status, raw_setup) = json_of(
        http.get(format!("{base}/enduser-mobile-web/1/enduserAPI/setup"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap(),
    )
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
        .run_and_wait(action_group("open", vec![]), overkiz::ExecutionMode::Normal, WAIT)
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
        let event = tokio::time::timeout(WAIT, events.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        if let Event::DeviceStateChanged(change) = event {
            break change;
        }
    };
    assert_eq!(event.device_url.as_deref(), Some(SHUTTER));

    // A lost local listener (`No registered event listener.`) is a gap, then the
    // stream registers again and goes on.
    sim.expire_listeners();
    let gap = tokio::time::timeout(WAIT, events.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap_err();
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
    let sim = Simulator::start_local(
        setup(),
        PIN,
        Config::default().with_step(Duration::from_secs(60)),
    )
    .await
    .unwrap();
    sim.add_token(TOKEN);
    let client = client(&sim);
    let exec_id = client
        .post_exec_apply(&action_group("open", vec![]))
        .await
        .unwrap()
        .exec_id
        .unwrap();
    let current = client.get_exec_current_by_exec_id(&exec_id).await.unwrap();
    assert_eq!(current.id.as_deref(), Some(exec_id.as_str()));
    client
        .delete_exec_current_setup_by_exec_id(&exec_id)
        .await
        .unwrap();
    assert!(sim.current_executions().is_empty());
    client
        .post_exec_apply(&action_group("open", vec![]))
        .await
        .unwrap();
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
    let error = client_for(&sim, PIN, ca, Credentials::bearer("unknown"))
        .get_setup()
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotAuthenticated, "{error:?}");
    assert_eq!(error.status(), Some(401));
    assert_eq!(error.api_error().unwrap().message(), "Not authenticated.");
    assert_eq!(
        error.api_error().unwrap().code().map(|c| c.as_str()),
        Some("RESOURCE_ACCESS_DENIED")
    );
    let error = client_for(&sim, PIN, ca, Credentials::none())
        .get_setup()
        .await
        .unwrap_err();
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
    let error = client_for(&sim, PIN, ca, Credentials::password("me@example.com", "pw"))
        .get_setup()
        .await
        .unwrap_err();
    assert_eq!(
        error.kind(),
        ErrorKind::MissingAuthorizationToken,
        "{error:?}"
    );
    assert_eq!(sim.session_count(), 0);

    // A token added through the control API (over TLS as well) works at once.
    let (http, base) = raw(&sim);
    let response = http
        .post(format!("{base}/_sim/tokens/from-control"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    client_for(&sim, PIN, ca, Credentials::bearer("from-control"))
        .get_setup_devices()
        .await
        .unwrap();
    // A session cookie is no authentication on a gateway.
    let (status, body) = json_of(
        http.get(format!("{base}/enduser-mobile-web/1/enduserAPI/setup"))
            .header("Cookie", "JSESSIONID=ABC")
            .send()
            .await
            .unwrap(),
    )
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

    let (http, base) = raw(&sim);
    for (method, path) in [
        // Not in the local OpenAPI, though documented for the cloud.
        ("DELETE", "/enduser-mobile-web/1/enduserAPI/exec/current"),
        ("POST", "/enduser-mobile-web/1/enduserAPI/login"),
        // Not documented at all.
        ("GET", "/enduser-mobile-web/1/enduserAPI/no/such/thing"),
        // The cloud API's path.
        ("GET", "/enduser-mobile-web/enduserAPI/setup"),
    ] {
        let request = http
            .request(method.parse().unwrap(), format!("{base}{path}"))
            .bearer_auth(TOKEN);
        let (status, body) = json_of(request.send().await.unwrap()).await;
        assert_eq!(status, 400, "{method} {path}");
        assert_eq!(body["errorCode"], "UNSPECIFIED_ERROR", "{method} {path}");
        assert_eq!(body["error"], "Unknown object.", "{method} {path}");
    }
}

/// Kills the child process when dropped (also when a test fails).
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `overkiz-sim --local PIN --ca-out FILE --token T` serves the gateway over TLS and
/// writes its CA where the client finds it.
#[tokio::test]
async fn the_binary_serves_a_local_gateway() {
    use std::io::BufRead;
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/setup/setup_tahoma_3.json"
    );
    let ca_file = std::env::temp_dir().join(format!("overkiz-sim-ca-{}.pem", std::process::id()));
    let _ = std::fs::remove_file(&ca_file);
    let mut child = Child(
        std::process::Command::new(env!("CARGO_BIN_EXE_overkiz-sim"))
            .args([
                "--setup", fixture, "--local", PIN, "--port", "0", "--token", TOKEN,
            ])
            .arg("--ca-out")
            .arg(&ca_file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let lines = tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::new(stdout).lines();
        let url = lines.next().unwrap().unwrap();
        let rest: Vec<String> = lines.take(4).map(Result::unwrap).collect();
        (url, rest)
    })
    .await
    .unwrap();
    let (url, rest) = lines;
    let address = url
        .strip_prefix("https://")
        .and_then(|u| u.strip_suffix("/enduser-mobile-web/1/enduserAPI"))
        .unwrap_or_else(|| panic!("{url}"));
    assert!(
        rest.join("\n").contains(&ca_file.display().to_string()),
        "{rest:?}"
    );
    let ca = std::fs::read_to_string(&ca_file).unwrap();
    let _ = std::fs::remove_file(&ca_file);
    assert!(ca.starts_with("-----BEGIN CERTIFICATE-----"));
    let client = Client::builder(
        Server::local_at(PIN, address).unwrap(),
        Credentials::bearer(TOKEN),
    )
    .add_gateway_root_certificate(ca.as_bytes())
    .build()
    .unwrap();
    let devices = client.get_setup_devices().await.unwrap();
    assert_eq!(devices.len(), setup()["devices"].as_array().unwrap().len());
}
