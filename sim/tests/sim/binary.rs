//! The `overkiz-sim` binary: its flags, what it prints, and what it serves.

use std::io::BufRead;
use std::process::{Command, Stdio};

use overkiz::{Client, Credentials, Server};
use overkiz_sim::testing::{self, PIN, SHUTTER};

const TOKEN: &str = "local-test-token";

/// The embedded TaHoMa 3 setup's file.
const SETUP_FILE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/fixtures/setup/setup_tahoma_3.json"
);

/// The number of devices of [`SETUP_FILE`].
fn device_count() -> usize {
    testing::tahoma_3()["devices"].as_array().unwrap().len()
}

/// A running `overkiz-sim`, killed when dropped (also when a test fails).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `overkiz-sim` with `args`; returns it and the first `lines` lines it
/// printed (the first is its URL).
async fn start(args: &[&std::ffi::OsStr], lines: usize) -> (Running, Vec<String>) {
    let mut running = Running(
        Command::new(env!("CARGO_BIN_EXE_overkiz-sim"))
            .args(args)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = running.0.stdout.take().unwrap();
    let printed = tokio::task::spawn_blocking(move || {
        std::io::BufReader::new(stdout)
            .lines()
            .take(lines)
            .map(Result::unwrap)
            .collect()
    })
    .await
    .unwrap();
    (running, printed)
}

/// `args` as the `&OsStr`s [`start`] takes.
macro_rules! args {
    ($($arg:expr),* $(,)?) => {
        &[$(std::ffi::OsStr::new($arg)),*]
    };
}

/// `overkiz-sim --setup FILE --port 0 --action-groups FILE --event-form newest` prints
/// its URL and serves the setup, the action groups, and events of the newest form.
#[tokio::test]
async fn the_binary_serves_a_setup_file() {
    let groups = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/fixtures/action_groups/action-group-cozytouch.json"
    );
    let (_running, printed) = start(
        args![
            "--setup",
            SETUP_FILE,
            "--port",
            "0",
            "--step-ms",
            "20",
            "--action-groups",
            groups,
            "--event-form",
            "newest",
        ],
        1,
    )
    .await;
    let line = &printed[0];
    let client = Client::new(
        Server::custom(line.trim()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .unwrap();
    let devices = client
        .get_setup()
        .await
        .unwrap()
        .devices
        .unwrap_or_default();
    assert_eq!(devices.len(), device_count());
    // `--action-groups FILE`: the file's 9 groups.
    assert_eq!(client.get_action_groups().await.unwrap().len(), 9);
    // `--event-form newest`: events tagged `type`, with every field typed.
    let listener = client.post_events_register().await.unwrap().id.unwrap();
    let control = line
        .trim()
        .replace(overkiz_sim::API_PREFIX, overkiz_sim::CONTROL_PREFIX);
    let sent = reqwest::Client::new()
        .post(format!(
            "{control}/devices/{}/states",
            SHUTTER.replace(':', "%3A").replace('/', "%2F")
        ))
        .body(r#"[{"name": "core:ClosureState", "value": 25}]"#)
        .send()
        .await
        .unwrap();
    assert_eq!(sent.status(), 204);
    let events = client
        .post_events_by_listener_id_fetch(&listener)
        .await
        .unwrap();
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].name(), "DeviceStateChangedEvent");
    assert_eq!(events[0].tag_key(), "type", "{events:?}");
    assert_eq!(events[0].extra().map(|extra| extra.len()), Some(0));
}

/// `overkiz-sim --list-operations` lists every operation of the newest documentation
/// (its new ones too) and the ones it removed, and each answers.
#[test]
fn the_binary_lists_every_operation() {
    let out = Command::new(env!("CARGO_BIN_EXE_overkiz-sim"))
        .arg("--list-operations")
        .output()
        .unwrap();
    assert!(out.status.success());
    let out = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), overkiz::operations::ALL.len());
    for op in overkiz::operations::ALL {
        let key = format!("{} {}", op.method, op.path);
        assert!(
            lines
                .iter()
                .any(|l| l.split('\t').nth(1) == Some(key.as_str())),
            "{key} is not listed"
        );
    }
    // Operations the 2026-08 page added, and one it removed.
    for new in [
        "documentation\tGET /setup/localDevices",
        "documentation\tGET /history/dataRetentionPolicy",
        "documentation\tGET /history/executions/daily/{year}/{month}/{day}",
        "documentation\tPUT /setup/devices/{deviceURL}/label/{label}",
        "documentation\tGET /config/{gatewayId}/upnpcontrol/sonos/checkActionGroups\tremoved by the newest documentation",
    ] {
        assert!(lines.contains(&new), "{new} is not listed:\n{out}");
    }
}

/// `--fault NAME` takes the control API's names, and refuses others before serving.
#[test]
fn the_binary_checks_fault_names() {
    let output = Command::new(env!("CARGO_BIN_EXE_overkiz-sim"))
        .args([
            "--setup",
            SETUP_FILE,
            "--port",
            "0",
            "--fault",
            "cloud/no-such-fixture",
        ])
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("--fault cloud/no-such-fixture: unknown"),
        "{stderr}"
    );
}

/// `overkiz-sim --local PIN --ca-out FILE --token T` serves the gateway over TLS and
/// writes its CA where the client finds it.
#[tokio::test]
async fn the_binary_serves_a_local_gateway() {
    let ca_file = std::env::temp_dir().join(format!("overkiz-sim-ca-{}.pem", std::process::id()));
    let _ = std::fs::remove_file(&ca_file);
    let (_running, printed) = start(
        args![
            "--setup", SETUP_FILE, "--local", PIN, "--port", "0", "--token", TOKEN, "--ca-out",
            &ca_file,
        ],
        5,
    )
    .await;
    let (url, rest) = (&printed[0], &printed[1..]);
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
    assert_eq!(devices.len(), device_count());
}
