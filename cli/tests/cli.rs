//! The `overkiz` binary end to end against the simulator.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use overkiz_sim::testing::{self, GATEWAY, SHUTTER};
use overkiz_sim::{ErrorFixture, EventForm, Fault, Simulator};
use serde_json::Value;

const PASSWORD: &str = "s3cret-Pa55";
/// How long a test waits for the simulator to see something happen.
const WAIT: Duration = Duration::from_secs(10);

fn fixture() -> Value {
    testing::tahoma_3()
}

async fn simulator() -> Simulator {
    testing::simulator().start().await.unwrap()
}

/// A simulator writing events in `form`.
async fn simulator_in(form: EventForm) -> Simulator {
    testing::simulator().event_form(form).start().await.unwrap()
}

/// Waits until the simulator has a listener (the CLI under test follows events); a
/// deadline turns a hang into a failure.
async fn listener_registered(sim: &Simulator) {
    wait_for_listeners(sim, |count| count != 0, "a registered event listener").await;
}

/// Waits until no listener is left (the CLI under test has ended).
async fn no_listener_left(sim: &Simulator) {
    wait_for_listeners(sim, |count| count == 0, "no event listener left").await;
}

async fn wait_for_listeners(sim: &Simulator, done: impl Fn(usize) -> bool, what: &str) {
    testing::wait_until(what, 6 * WAIT, || done(sim.listener_count()))
        .await
        .unwrap();
}

/// The commands that follow events, against both forms of events (the CLI runs off
/// the runtime's threads).
macro_rules! each_form {
    ($test:ident) => {
        overkiz_sim::each_form!($test, flavor = "multi_thread", worker_threads = 2);
    };
}

/// An empty directory of its own for each call.
fn scratch() -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "overkiz-cli-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The binary with a clean environment: no OVERKIZ_* variable and no config file
/// of the user's, nothing but `env`.
fn overkiz(env: &[(&str, &str)], args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_overkiz"));
    for (key, _) in std::env::vars() {
        if key.starts_with("OVERKIZ_") {
            command.env_remove(key);
        }
    }
    let home = scratch();
    command
        .env("HOME", &home)
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("OVERKIZ_FETCH_INTERVAL_MS", "10")
        .envs(env.iter().copied())
        .args(args)
        .stdin(Stdio::null());
    command
}

/// Runs the binary against `sim` with a user and password, off the runtime's threads.
async fn run(sim: &Simulator, args: &[&str]) -> Output {
    let env = [
        ("OVERKIZ_SERVER", sim.url()),
        ("OVERKIZ_USER", "me@example.com"),
        ("OVERKIZ_PASSWORD", PASSWORD),
    ];
    output(overkiz(&env, args), None).await
}

async fn output(command: Command, stdin: Option<&str>) -> Output {
    let mut command = tokio::process::Command::from(command);
    if stdin.is_some() {
        command.stdin(Stdio::piped());
    }
    // A CLI that never ends fails its test instead of hanging the suite.
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    if let Some(text) = stdin {
        use tokio::io::AsyncWriteExt;
        let mut pipe = child.stdin.take().unwrap();
        pipe.write_all(text.as_bytes()).await.unwrap();
    }
    tokio::time::timeout(Duration::from_secs(120), child.wait_with_output())
        .await
        .expect("the overkiz command did not end within 2 minutes")
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Asserts the command said `text` on stderr.
#[track_caller]
fn said(output: &Output, text: &str) {
    let said = stderr(output);
    assert!(said.contains(text), "{said}");
}

#[track_caller]
fn success(output: &Output) -> String {
    assert!(
        output.status.success(),
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        output.status,
        stdout(output),
        stderr(output)
    );
    let out = stdout(output);
    assert!(!out.contains(PASSWORD) && !stderr(output).contains(PASSWORD));
    out
}

#[tokio::test]
async fn servers_lists_the_presets() {
    let out = success(&output(overkiz(&[], &["servers"]), None).await);
    assert!(out.contains("somfy_europe"), "{out}");
    assert!(out.contains("https://ha110-1.overkiz.com/enduser-mobile-web/enduserAPI"));
    assert!(out.contains("local:<pin>"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn setup_summary_json_and_anonymized() {
    let sim = simulator().await;
    let out = success(&run(&sim, &["setup"]).await);
    let devices = fixture()["devices"].as_array().unwrap().len();
    assert!(out.contains(&format!("gateway {GATEWAY}")), "{out}");
    assert!(out.contains(&format!("{devices} devices")), "{out}");

    let json: Value =
        serde_json::from_str(&success(&run(&sim, &["setup", "--json"]).await)).unwrap();
    assert_eq!(json["devices"].as_array().unwrap().len(), devices);

    let anonymized = success(&run(&sim, &["setup", "--json", "--anonymize"]).await);
    let json: Value = serde_json::from_str(&anonymized).unwrap();
    assert_eq!(json["devices"].as_array().unwrap().len(), devices);
    assert!(!anonymized.contains(GATEWAY), "the gateway id is left");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_table_and_one_device() {
    let sim = simulator().await;
    let out = success(&run(&sim, &["devices"]).await);
    let mut lines = out.lines();
    let header = lines.next().unwrap();
    for column in ["LABEL", "UI CLASS", "WIDGET", "STATES", "URL"] {
        assert!(header.contains(column), "{header}");
    }
    let shutter = out.lines().find(|l| l.ends_with(SHUTTER)).unwrap();
    assert!(shutter.contains("RollerShutter"), "{shutter}");
    assert!(shutter.contains("ClosureState=100"), "{shutter}");
    assert_eq!(
        out.lines().count(),
        1 + fixture()["devices"].as_array().unwrap().len()
    );

    let out = success(&run(&sim, &["device", SHUTTER]).await);
    assert!(out.contains(&format!("url:        {SHUTTER}")), "{out}");
    assert!(out.contains("core:ClosureState = 100"), "{out}");
    assert!(out.contains("setClosure (1 parameters)"), "{out}");

    let missing = run(&sim, &["device", "io://1234-1234-6233/0"]).await;
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).starts_with("overkiz: "),
        "{}",
        stderr(&missing)
    );
}

async fn exec_waits_for_the_outcome(form: EventForm) {
    let sim = simulator_in(form).await;
    let waited = run(&sim, &["exec", SHUTTER, "setClosure", "40", "--wait"]).await;
    let out = success(&waited);
    let progress = stderr(&waited);
    assert!(progress.contains(": IN_PROGRESS"), "{progress}");
    assert!(out.trim_end().ends_with(" COMPLETED"), "{out}");
    assert_eq!(
        sim.device_state(SHUTTER, "core:ClosureState"),
        Some(Value::from(40))
    );

    // Without --wait: the execution id, at once.
    let out = success(&run(&sim, &["exec", SHUTTER, "open"]).await);
    assert!(is_execution(&sim, out.trim()), "{out}");

    // A failed execution: exit status 1 and the failure type.
    sim.fail_next_executions(1, "CMDNOTACCEPTED");
    let failed = run(&sim, &["exec", SHUTTER, "close", "--wait"]).await;
    assert_eq!(failed.status.code(), Some(1));
    assert!(stdout(&failed).contains("FAILED"), "{}", stdout(&failed));
    said(&failed, "CMDNOTACCEPTED");
}
each_form!(exec_waits_for_the_outcome);

async fn events_prints_a_line_per_event(form: EventForm) {
    let sim = simulator_in(form).await;
    for json in [false, true] {
        let args: &[&str] = if json {
            &["events", "--count", "2", "--json"]
        } else {
            &["events", "--count", "2"]
        };
        let env = [
            ("OVERKIZ_SERVER", sim.url()),
            ("OVERKIZ_USER", "me@example.com"),
            ("OVERKIZ_PASSWORD", PASSWORD),
        ];
        let events = tokio::spawn(output(overkiz(&env, args), None));
        // Once the CLI listens, the device reports two states.
        listener_registered(&sim).await;
        assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(30)));
        assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(31)));
        let out = success(&events.await.unwrap());
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 2, "{out}");
        for line in lines {
            if json {
                // As the server sent it (`spec/README.md`, "Wire aliases").
                let event: Value = serde_json::from_str(line).unwrap();
                let (tag, date) = match form {
                    EventForm::Previous => ("name", "timestamp"),
                    EventForm::Newest => ("type", "eventTime"),
                };
                assert_eq!(event[tag], "DeviceStateChangedEvent", "{line}");
                assert!(event[date].is_u64(), "{line}");
                assert_eq!(event["deviceURL"], SHUTTER);
            } else {
                assert!(line.starts_with("DeviceStateChangedEvent "), "{line}");
                assert!(line.contains(&format!("deviceURL={SHUTTER}")), "{line}");
            }
        }
        // The listener is gone before the next round.
        no_listener_left(&sim).await;
    }
}
each_form!(events_prints_a_line_per_event);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_any_operation_by_name() {
    let sim = simulator().await;
    // A path parameter: one device, then its states.
    let call_on_shutter = |operation: &'static str| {
        let param = format!("deviceURL={SHUTTER}");
        let sim = &sim;
        async move { success(&run(sim, &["call", operation, "--param", &param]).await) }
    };
    let out = call_on_shutter("get_setup_devices_by_device_url").await;
    let device: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(device["deviceURL"], SHUTTER);
    let out = call_on_shutter("get_setup_devices_by_device_url_states").await;
    let states: Value = serde_json::from_str(&out).unwrap();
    let closure = states
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "core:ClosureState");
    assert_eq!(closure.unwrap()["value"], 100, "{out}");
    // Query parameters.
    let out = success(
        &run(
            &sim,
            &["call", "get_setup", "--param", "withManufacturerData=true"],
        )
        .await,
    );
    assert!(out.contains(SHUTTER));

    let dir = scratch();
    let body = dir.join("open.json");
    std::fs::write(&body, format!(r#"{{"label":"cli","actions":[{{"deviceURL":"{SHUTTER}","commands":[{{"name":"open"}}]}}]}}"#)).unwrap();
    let out = success(
        &run(
            &sim,
            &["call", "post_exec_apply", "--body", body.to_str().unwrap()],
        )
        .await,
    );
    let launched: Value = serde_json::from_str(&out).unwrap();
    let exec_id = launched["execId"].as_str().unwrap_or_default();
    assert!(is_execution(&sim, exec_id), "{out}");

    let missing = run(&sim, &["call", "get_setup_devices_by_device_url"]).await;
    said(&missing, "--param deviceURL=");
    let unknown = run(&sim, &["call", "get_everything"]).await;
    said(&unknown, "no operation named");
    let list = success(&run(&sim, &["call", "--list"]).await);
    assert!(
        list.lines()
            .any(|l| l.starts_with("get_setup ") && l.ends_with("GET /setup")),
        "{list}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_reads_the_password_from_stdin() {
    let sim = testing::simulator()
        .configure(|config| config.with_credentials("me@example.com", PASSWORD))
        .start()
        .await
        .unwrap();
    let env = [("OVERKIZ_SERVER", sim.url())];
    let ok = output(
        overkiz(&env, &["login", "--user", "me@example.com"]),
        Some(&format!("{PASSWORD}\n")),
    )
    .await;
    assert!(success(&ok).contains("signed in to "), "{}", stdout(&ok));

    let wrong = output(
        overkiz(&env, &["login", "--user", "me@example.com"]),
        Some("wrong-password\n"),
    )
    .await;
    assert!(!wrong.status.success());
    assert!(
        !stderr(&wrong).contains("wrong-password") && !stdout(&wrong).contains("wrong-password")
    );

    let none = output(
        overkiz(&env, &["login", "--user", "me@example.com"]),
        Some(""),
    )
    .await;
    said(&none, "no password");
    // The password is never an argument.
    let argument = output(
        overkiz(
            &env,
            &["login", "--user", "me@example.com", "--password", "x"],
        ),
        None,
    )
    .await;
    assert_eq!(argument.status.code(), Some(2));
}

/// `tests/fixtures/action_groups/action-group-tahoma-switch.json`'s group ("I'm
/// arriving": `open`), its device replaced by the shutter.
fn arriving() -> Value {
    let mut groups: Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/action_groups/action-group-tahoma-switch.json"
    ))
    .unwrap();
    let mut group = groups[0].take();
    group["actions"][0]["deviceURL"] = Value::from(SHUTTER);
    group
}

/// Whether `exec_id` names an execution of `sim`, running or finished.
fn is_execution(sim: &Simulator, exec_id: &str) -> bool {
    sim.current_executions().iter().any(|id| id == exec_id)
        || sim.history().iter().any(|e| e["id"] == exec_id)
}

fn closure(sim: &Simulator) -> Option<Value> {
    sim.device_state(SHUTTER, "core:ClosureState")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn action_groups_and_run() {
    let sim = simulator().await;
    // None stored yet: the header only.
    let out = success(&run(&sim, &["action-groups"]).await);
    assert_eq!(out.lines().count(), 1, "{out}");
    let header = out.lines().next().unwrap();
    assert!(
        header.starts_with("OID") && header.contains("LABEL") && header.contains("ACTIONS"),
        "{out}"
    );
    // A real group, and one created through the API.
    let arriving = sim.add_action_group(arriving()).unwrap();
    let dir = scratch();
    let body = dir.join("half.json");
    std::fs::write(&body, format!(r#"{{"label":"half","actions":[{{"deviceURL":"{SHUTTER}","commands":[{{"name":"setClosure","parameters":[50]}}]}}]}}"#)).unwrap();
    let created: Value = serde_json::from_str(&success(
        &run(
            &sim,
            &[
                "call",
                "post_action_groups",
                "--body",
                body.to_str().unwrap(),
            ],
        )
        .await,
    ))
    .unwrap();
    let half = created["actionGroupOID"].as_str().unwrap().to_owned();
    let out = success(&run(&sim, &["action-groups"]).await);
    assert_eq!(out.lines().count(), 3, "{out}");
    for (oid, label) in [(arriving.as_str(), "I'm arriving"), (half.as_str(), "half")] {
        let row = out.lines().find(|l| l.starts_with(oid)).unwrap();
        let columns: Vec<&str> = row
            .split("  ")
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(columns, [oid, label, "1"], "{out}");
    }

    // By oid, waiting: the outcome, and the shutter opened.
    assert_eq!(closure(&sim), Some(Value::from(100)));
    let waited = run(&sim, &["run", &arriving, "--wait"]).await;
    let out = success(&waited);
    said(&waited, ": IN_PROGRESS");
    let (exec_id, state) = out.trim_end().split_once(' ').unwrap();
    assert_eq!(state, "COMPLETED", "{out}");
    assert_eq!(closure(&sim), Some(Value::from(0)));
    let history = sim.history();
    assert_eq!(history[0]["id"], exec_id);
    assert_eq!(history[0]["actionGroupOID"], arriving.as_str());
    // By label.
    let out = success(&run(&sim, &["run", "half", "--wait"]).await);
    assert!(out.trim_end().ends_with(" COMPLETED"), "{out}");
    assert_eq!(closure(&sim), Some(Value::from(50)));
    assert_eq!(sim.history()[0]["actionGroupOID"], half.as_str());
    // Without --wait: the execution id, at once.
    let out = success(&run(&sim, &["run", &half]).await);
    assert!(is_execution(&sim, out.trim()), "{out}");

    // A failed run: exit status 1, the failure said, the shutter unmoved.
    sim.fail_next_executions(1, "CMDNOTACCEPTED");
    let failed = run(&sim, &["run", "I'm arriving", "--wait"]).await;
    assert_eq!(failed.status.code(), Some(1));
    assert!(
        stdout(&failed).trim_end().ends_with(" FAILED"),
        "{}",
        stdout(&failed)
    );
    said(&failed, "failure type: CMDNOTACCEPTED");
    said(&failed, &format!("{SHUTTER} failed: CMDNOTACCEPTED"));
    assert_eq!(closure(&sim), Some(Value::from(50)));

    let missing = run(&sim, &["run", "no such group"]).await;
    assert!(!missing.status.success());
    said(&missing, "no action group");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_tokens_create_list_delete() {
    let sim = simulator().await;
    let created = run(&sim, &["local-token", "create", "--label", "cli test"]).await;
    let token = success(&created).trim().to_owned();
    assert!(
        !token.is_empty() && stderr(&created).contains("shown once"),
        "{}",
        stderr(&created)
    );
    // The new token works on the local API.
    let local_url = sim.local_url();
    let with_token = |args: &'static [&'static str]| {
        let env = [
            ("OVERKIZ_SERVER", local_url.as_str()),
            ("OVERKIZ_TOKEN", &token),
        ];
        output(overkiz(&env, args), None)
    };
    assert!(success(&with_token(&["devices"]).await).contains(SHUTTER));
    let out = success(&with_token(&["login"]).await);
    assert!(
        out.contains("the token works") && !out.contains(&token),
        "{out}"
    );

    // Listed by its label (never the secret), then deleted.
    let list = || run(&sim, &["local-token", "list", "--gateway", GATEWAY]);
    let out = success(&list().await);
    assert!(out.starts_with("UUID"), "{out}");
    assert!(!out.contains(&token), "{out}");
    let row = out.lines().find(|l| l.contains("cli test")).expect(&out);
    let uuid = row.split_whitespace().next().unwrap().to_owned();
    let out = success(&run(&sim, &["local-token", "delete", &uuid]).await);
    assert_eq!(out.trim(), format!("deleted {uuid}"));
    // Gone from the list, refused by the local API, and not there to delete again.
    assert_eq!(success(&list().await).lines().count(), 1);
    assert!(!with_token(&["devices"]).await.status.success());
    let again = run(&sim, &["local-token", "delete", &uuid]).await;
    assert!(!again.status.success());
    said(&again, "Not such token");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn config_file_must_be_private() {
    let sim = simulator().await;
    let dir = scratch();
    let path = dir.join("config");
    std::fs::write(
        &path,
        format!(
            "# overkiz\nserver = \"{}\"\nuser = \"me@example.com\"\npassword = \"{PASSWORD}\"\n",
            sim.url()
        ),
    )
    .unwrap();
    let config = path.to_str().unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let refused = output(overkiz(&[], &["--config", config, "setup"]), None).await;
        assert!(!refused.status.success());
        said(&refused, "chmod 600");
        assert!(!stderr(&refused).contains(PASSWORD));
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let out = success(&output(overkiz(&[], &["--config", config, "setup"]), None).await);
    assert!(out.contains(&format!("gateway {GATEWAY}")), "{out}");
    let out = success(&output(overkiz(&[("OVERKIZ_CONFIG", config)], &["devices"]), None).await);
    assert!(out.contains(SHUTTER));
    // The default place: $XDG_CONFIG_HOME/overkiz/config.
    let mut command = overkiz(&[], &["setup"]);
    let xdg = dir.join("xdg");
    std::fs::create_dir_all(xdg.join("overkiz")).unwrap();
    std::fs::copy(&path, xdg.join("overkiz/config")).unwrap();
    command.env("XDG_CONFIG_HOME", &xdg);
    success(&output(command, None).await);
    // No settings at all: a clear message.
    let none = output(overkiz(&[], &["setup"]), None).await;
    said(&none, "no credentials");
}

#[cfg(not(feature = "discovery"))]
#[tokio::test]
async fn discover_needs_the_feature() {
    let out = output(overkiz(&[], &["discover"]), None).await;
    assert_eq!(out.status.code(), Some(2));
    said(&out, "`discovery` feature");
}

/// The README's "Try it without a gateway" names a fixture that exists, a device of
/// it, and subcommands the binary has.
#[test]
fn readme_try_it_without_a_gateway_is_real() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let section = &readme[readme.find("### Try it without a gateway").unwrap()..];
    let section = &section[..section.find("\n## ").unwrap()];
    assert!(section.contains("--setup tests/fixtures/setup/setup_tahoma_3.json"));
    assert!(section.contains(SHUTTER));
    let help = Command::new(env!("CARGO_BIN_EXE_overkiz"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    for line in section.lines() {
        if let Some(rest) = line.strip_prefix("cargo run -p overkiz-cli -- ") {
            let subcommand = rest.split_whitespace().next().unwrap();
            assert!(
                help.contains(&format!("  {subcommand} ")),
                "{subcommand} is not in --help"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_reports_a_gap_and_goes_on() {
    let sim = simulator().await;
    let env = [
        ("OVERKIZ_SERVER", sim.url()),
        ("OVERKIZ_USER", "me@example.com"),
        ("OVERKIZ_PASSWORD", PASSWORD),
    ];
    let events = tokio::spawn(output(overkiz(&env, &["events", "--count", "1"]), None));
    listener_registered(&sim).await;
    // Fetching (a listener gone before its first fetch is another path, with a back-off).
    testing::wait_until("a first fetch", 6 * WAIT, || {
        sim.count_of("POST /events/{listenerId}/fetch") > 0
    })
    .await
    .unwrap();
    // The listener expires: the stream says so, registers again, and goes on.
    sim.expire_listeners();
    listener_registered(&sim).await;
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(30)));
    let done = events.await.unwrap();
    let out = success(&done);
    assert!(out.starts_with("DeviceStateChangedEvent "), "{out}");
    said(&done, "events were lost");
}

/// `OVERKIZ_SERVER=local:<pin>` with `OVERKIZ_GATEWAY_HOST` and `OVERKIZ_GATEWAY_CA`:
/// the local API of a simulated gateway over TLS, its certificate (named
/// `<pin>.local`) verified against the simulator's CA.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_of_a_local_gateway_over_tls() {
    use overkiz_sim::testing::PIN;
    let sim = testing::simulator()
        .local(PIN)
        .token("local-token")
        .start()
        .await
        .unwrap();
    let ca = scratch().join("ca.pem");
    std::fs::write(&ca, sim.gateway_ca_pem().unwrap()).unwrap();
    let server = format!("local:{PIN}");
    let host = sim.addr().to_string();
    let env = |ca: &str, token: &'static str| {
        vec![
            ("OVERKIZ_SERVER", server.clone()),
            ("OVERKIZ_GATEWAY_HOST", host.clone()),
            ("OVERKIZ_GATEWAY_CA", ca.to_owned()),
            ("OVERKIZ_TOKEN", token.to_owned()),
        ]
    };
    let run_local = |env: Vec<(&'static str, String)>, args: &'static [&'static str]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        output(overkiz(&env, args), None)
    };
    let ca = ca.to_str().unwrap();
    let out = success(&run_local(env(ca, "local-token"), &["devices"]).await);
    assert!(out.lines().any(|l| l.ends_with(SHUTTER)), "{out}");
    assert_eq!(
        out.lines().count(),
        1 + fixture()["devices"].as_array().unwrap().len()
    );
    // A wrong token is refused by `login` too (a gateway answers `/apiVersion` to anyone).
    let refused = run_local(env(ca, "wrong-token"), &["login"]).await;
    assert!(!refused.status.success(), "{}", stdout(&refused));
    said(&refused, "Not authenticated");
    // Without the CA the certificate is not trusted: nothing reaches the gateway.
    let before = sim.request_count();
    let untrusted = run_local(env("", "local-token"), &["devices"]).await;
    assert!(!untrusted.status.success());
    assert_eq!(sim.request_count(), before);
}

/// `exec --wait` through a gap: the listener is lost and the execution ends before a
/// new one exists, so its final event is gone; the command looks it up and reports
/// the outcome instead of waiting out its timeout.
async fn exec_wait_finds_an_outcome_lost_in_a_gap(form: EventForm) {
    let sim = simulator_in(form).await;
    sim.hold_executions(true);
    // The CLI follows the execution: a fetch answered after the launch.
    let following = || {
        let log = sim.requests();
        let launched = log.iter().position(|r| r.is("POST /exec/apply"));
        launched.is_some_and(|i| {
            log[i + 1..]
                .iter()
                .any(|r| r.is("POST /events/{listenerId}/fetch") && r.status == Some(200))
        })
    };
    let drive = async {
        testing::wait_until("the CLI following the execution", WAIT, following)
            .await
            .unwrap();
        // Answers now take 300 ms: the execution ends while no listener exists.
        sim.set_latency(Duration::from_millis(300));
        sim.expire_listeners();
        sim.hold_executions(false);
        testing::wait_until("the execution's end", WAIT, || !sim.history().is_empty())
            .await
            .unwrap();
        sim.set_latency(Duration::ZERO);
    };
    let (waited, ()) = tokio::join!(
        run(&sim, &["exec", SHUTTER, "open", "--wait", "--timeout", "8"]),
        drive
    );
    let out = success(&waited);
    assert!(out.trim_end().ends_with(" COMPLETED"), "{out}");
    let requests = sim.requests();
    let look_up = requests
        .iter()
        .position(|r| r.is("GET /history/executions/{execId}"))
        .expect("looked up");
    // Listening again comes first, so nothing after the look-up is missed.
    let registered = requests[..look_up]
        .iter()
        .filter(|r| r.is("POST /events/register"))
        .count();
    assert_eq!(registered, 2, "registers again before looking up");
}
each_form!(exec_wait_finds_an_outcome_lost_in_a_gap);

/// A listener the server no longer knows at the first fetch (`Invalid event listener
/// id`) is registered again and the wait goes on: not a fatal error.
async fn exec_wait_survives_a_listener_lost_before_its_first_fetch(form: EventForm) {
    let sim = simulator_in(form).await;
    let lost = ErrorFixture::named("cloud/invalid-event-listener-id").unwrap();
    sim.fail_next_on("POST /events/{listenerId}/fetch", Fault::Error(lost), 1)
        .unwrap();
    let waited = run(
        &sim,
        &["exec", SHUTTER, "open", "--wait", "--timeout", "30"],
    )
    .await;
    let out = success(&waited);
    assert!(out.trim_end().ends_with(" COMPLETED"), "{out}");
    assert!(
        stderr(&waited).contains("Invalid event listener"),
        "the failure is said: {}",
        stderr(&waited)
    );
    assert!(
        sim.count_of("POST /events/register") >= 2,
        "registered again"
    );
}
each_form!(exec_wait_survives_a_listener_lost_before_its_first_fetch);

/// A launch answered with an empty `execId` is an error, with or without `--wait`
/// (there is no execution to print or follow).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn run_refuses_a_launch_answer_with_an_empty_exec_id() {
    let sim = simulator().await;
    let arriving = sim.add_action_group(arriving()).unwrap();
    let waiting = ["run", arriving.as_str(), "--wait", "--timeout", "60"];
    for args in [&waiting[..2], &waiting[..]] {
        let empty = Fault::Answer {
            status: 200,
            content_type: "application/json",
            body: r#"{"execId":""}"#.into(),
            headers: Vec::new(),
        };
        sim.fail_next_on("POST /exec/{actionGroupOID}", empty, 1)
            .unwrap();
        let started = std::time::Instant::now();
        let refused = run(&sim, args).await;
        assert!(!refused.status.success(), "{args:?}: {}", stdout(&refused));
        assert!(
            stderr(&refused).contains("no execId"),
            "{args:?}: {}",
            stderr(&refused)
        );
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "{args:?}: refused at once, not after the timeout"
        );
    }
}

/// What the server sends reaches the terminal escaped: a device labelled with ANSI
/// escapes, a direction override and a newline, and a state value with a C1 control
/// sequence, cannot clear the screen, retitle it or forge a line; JSON output stays
/// the same JSON.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_text_cannot_drive_the_terminal() {
    const LABEL: &str = "Volet\u{1b}[2J\u{1b}]0;owned\u{7}\n\u{202e}forged line";
    const VALUE: &str = "\u{9b}31mred\u{7f}";
    let mut setup = fixture();
    for device in setup["devices"].as_array_mut().unwrap() {
        if device["deviceURL"] == SHUTTER {
            device["label"] = Value::from(LABEL);
        }
    }
    let sim = testing::simulator().setup(setup).start().await.unwrap();
    // Control characters other than the line ends, and the direction marks.
    let unsafe_char =
        |c: char| (c.is_control() && c != '\n') || ('\u{202a}'..='\u{202e}').contains(&c);
    let check = |out: &str| {
        assert!(!out.chars().any(unsafe_char), "{out:?}");
        assert!(
            !out.contains("\nforged line") && !out.contains("owned\u{7}"),
            "{out:?}"
        );
    };

    let out = success(&run(&sim, &["devices"]).await);
    check(&out);
    assert!(
        out.contains("Volet\\u{1b}[2J\\u{1b}]0;owned\\u{7}\\n\\u{202e}forged line"),
        "{out}"
    );
    assert_eq!(
        out.lines().count(),
        1 + fixture()["devices"].as_array().unwrap().len()
    );
    let out = success(&run(&sim, &["device", SHUTTER]).await);
    check(&out);
    assert!(out.contains("label:      Volet\\u{1b}[2J"), "{out}");
    let out = success(&run(&sim, &["setup", "--json"]).await);
    check(&out);
    let served: Value = serde_json::from_str(&out).unwrap();
    assert!(served["devices"]
        .as_array()
        .unwrap()
        .iter()
        .any(|d| d["label"] == LABEL));

    for json in [false, true] {
        let mut args = vec!["events", "--count", "1"];
        if json {
            args.push("--json");
        }
        let env = [
            ("OVERKIZ_SERVER", sim.url()),
            ("OVERKIZ_USER", "me@example.com"),
            ("OVERKIZ_PASSWORD", PASSWORD),
        ];
        let events = tokio::spawn(output(overkiz(&env, &args), None));
        listener_registered(&sim).await;
        assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(VALUE)));
        let out = success(&events.await.unwrap());
        check(&out);
        if json {
            let event: Value = serde_json::from_str(out.trim_end()).unwrap();
            assert_eq!(event["deviceStates"][0]["value"], VALUE, "{out}");
        } else {
            assert!(out.contains("\\u{9b}31mred\\u{7f}"), "{out}");
        }
        no_listener_left(&sim).await;
    }
}

#[tokio::test]
async fn sites_lists_the_homes_and_overkiz_site_chooses_one() {
    use overkiz_sim::sites::{Site, SomfyAccount};
    let home = simulator().await;
    let cabin_setup: Value = serde_json::from_str(include_str!(
        "../../tests/fixtures/setup/setup_tahoma_be.json"
    ))
    .unwrap();
    let cabin = testing::simulator()
        .setup(cabin_setup)
        .start()
        .await
        .unwrap();
    let services = SomfyAccount::start(
        "me@example.com",
        PASSWORD,
        vec![
            Site::new("site-home", "Home", "FR", &home),
            Site::new("site-cabin", "Cabin", "BE", &cabin).invited(),
        ],
    )
    .await
    .unwrap();
    let sites_url = services.url();
    let regions = format!("{},{}", home.url(), cabin.url());
    let with_site = |site: Option<&'static str>, args: &[&str]| {
        let mut env = vec![
            ("OVERKIZ_SERVER", "somfy_sites"),
            ("OVERKIZ_SITES_URL", sites_url.as_str()),
            ("OVERKIZ_REGIONS", regions.as_str()),
            ("OVERKIZ_USER", "me@example.com"),
            ("OVERKIZ_PASSWORD", PASSWORD),
        ];
        if let Some(site) = site {
            env.push(("OVERKIZ_SITE", site));
        }
        overkiz(&env, args)
    };

    let listed = success(&output(with_site(None, &["sites"]), None).await);
    let lines: Vec<Vec<&str>> = listed
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(lines[0], ["SITE", "NAME", "COUNTRY", "ROLES", "GATEWAYS"]);
    assert_eq!(lines[1], ["site-home", "Home", "FR", "owner", GATEWAY]);
    assert_eq!(
        lines[2],
        ["site-cabin", "Cabin", "BE", "guest", "1234-1234-4892"]
    );

    // Two homes: nothing is chosen without OVERKIZ_SITE.
    let refused = output(with_site(None, &["devices"]), None).await;
    assert!(!refused.status.success());
    said(
        &refused,
        "set OVERKIZ_SITE to one of site-home (Home), site-cabin (Cabin)",
    );

    // By name, then by id: each home's devices through its own client.
    let cabin_devices = success(&output(with_site(Some("Cabin"), &["devices"]), None).await);
    assert!(
        cabin_devices.contains("io://1234-1234-4892/"),
        "{cabin_devices}"
    );
    assert!(!cabin_devices.contains(GATEWAY), "{cabin_devices}");
    let out = success(
        &output(
            with_site(Some("site-home"), &["exec", SHUTTER, "close"]),
            None,
        )
        .await,
    );
    assert!(!out.trim().is_empty());
    assert_eq!(home.count_of("POST /exec/apply"), 1);
    assert_eq!(cabin.count_of("POST /exec/apply"), 0);
    assert!(cabin.history().is_empty() && cabin.current_executions().is_empty());
}

/// `watch` with stdout not a terminal: one line per device, the budget line, then a
/// line per update as events arrive, and a new budget line when an execution of
/// another app starts on the gateway. Each line is awaited with a deadline.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_prints_devices_updates_and_the_budget_as_lines() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let sim = simulator().await;
    let env = [
        ("OVERKIZ_SERVER", sim.url()),
        ("OVERKIZ_USER", "me@example.com"),
        ("OVERKIZ_PASSWORD", PASSWORD),
    ];
    let mut child = tokio::process::Command::from(overkiz(&env, &["watch"]))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut seen = Vec::new();
    let mut expect = async |what: &str, matches: &dyn Fn(&str) -> bool| {
        let found = tokio::time::timeout(WAIT, async {
            while let Some(line) = lines.next_line().await.unwrap() {
                seen.push(line.clone());
                if matches(&line) {
                    return line;
                }
            }
            panic!("watch ended before {what}: {seen:#?}");
        })
        .await;
        found.unwrap_or_else(|_| panic!("no {what} within {WAIT:?}"))
    };
    let shutter = expect("the shutter's line", &|l| {
        l.starts_with(&format!("device {SHUTTER} "))
    })
    .await;
    assert!(shutter.contains("class=RollerShutter"), "{shutter}");
    assert!(shutter.contains("ClosureState=100"), "{shutter}");
    let budget = expect("the budget line", &|l| l.starts_with("budget ")).await;
    assert!(
        budget.starts_with(&format!(
            "budget {GATEWAY} running=0/10 queued=0 next-slot=now launches-today=0/50"
        )),
        "{budget}"
    );
    listener_registered(&sim).await;
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", Value::from(30)));
    expect("the state's update", &|l| {
        l == format!("state {SHUTTER} ClosureState=30")
    })
    .await;
    // Another app's execution: the watcher's budget counts it.
    sim.hold_executions(true);
    let other = overkiz::Client::new(
        overkiz::Server::custom(sim.url()).unwrap(),
        overkiz::Credentials::password("me@example.com", PASSWORD),
    )
    .unwrap();
    let group = overkiz::action_group("other app", [overkiz::Action::new(SHUTTER, ["open"])]);
    other.post_exec_apply(&group).await.unwrap();
    expect("the execution's line", &|l| l.starts_with("execution ")).await;
    expect("the budget with one running", &|l| {
        l.starts_with(&format!("budget {GATEWAY} running=1/10 "))
    })
    .await;
    sim.hold_executions(false);
    expect("the budget back to none running", &|l| {
        l.starts_with(&format!("budget {GATEWAY} running=0/10 "))
    })
    .await;
}
