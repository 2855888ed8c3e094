//! The live home (`overkiz::Home`) against the simulator: a model that goes through a
//! listener loss, a session renewal, a 503 window and a gateway outage converges to
//! the simulator's state every time (the whole model compared), every reported
//! transition reaches subscribers in order, a subscriber that falls behind is told,
//! and the same holds against a gateway's local API. Every wait is on a change the
//! home publishes, with a deadline.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures::StreamExt;
use overkiz::live::{Origin, ReReadCause};
use overkiz::{
    Client, Credentials, EventStreamConfig, GapReason, Home, HomeConfig, Notice, RetryPolicy,
    Server, StateValue, Subscription, Update,
};
use overkiz_sim::testing::{self, GATEWAY, PIN, SHUTTER};
use overkiz_sim::{each_form, EventForm, Simulator};
use serde_json::{json, Value};

/// Another roller shutter of `setup_tahoma_3.json`.
const OTHER_SHUTTER: &str = "io://1234-1234-6233/13064380";
/// A contact sensor of `setup_tahoma_3.json`.
const CONTACT: &str = "rtds://1234-1234-6233/394765";
/// A device the tests add.
const NEW_DEVICE: &str = "io://1234-1234-6233/99999999";
const WAIT: Duration = Duration::from_secs(10);

const SETUP: &str = "GET /setup";
const SETUP_DEVICES: &str = "GET /setup/devices";
const FETCH: &str = "POST /events/{listenerId}/fetch";

fn cloud_client(sim: &Simulator) -> Client {
    Client::builder(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .retry_policy(
        RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(5))
            .with_max_backoff(Duration::from_millis(10)),
    )
    .build()
    .unwrap()
}

/// Fast fetches and re-reads.
fn config() -> HomeConfig {
    HomeConfig::default()
        .with_events(
            EventStreamConfig::default()
                .with_fetch_interval(Duration::from_millis(10))
                .with_initial_backoff(Duration::from_millis(10))
                .with_max_backoff(Duration::from_millis(20)),
        )
        .with_initial_backoff(Duration::from_millis(10))
        .with_max_backoff(Duration::from_millis(40))
}

/// What the comparison looks at of a device: label, class, place, availability,
/// states.
type DeviceView = (
    String,
    Option<String>,
    Option<String>,
    bool,
    BTreeMap<String, StateValue>,
);

/// The whole model as compared: devices, gateways (alive), running executions.
#[derive(Debug, PartialEq)]
struct View {
    devices: BTreeMap<String, DeviceView>,
    gateways: BTreeMap<String, bool>,
    executions: Vec<String>,
}

/// The simulator's state, read from its setup JSON here (not with the model's code).
fn sim_view(sim: &Simulator) -> View {
    let setup = sim.setup();
    let devices = setup["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            let states = d["states"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|s| {
                    (
                        s["name"].as_str().unwrap().to_owned(),
                        StateValue::from_json(s["type"].as_i64(), Some(&s["value"])),
                    )
                })
                .collect();
            let class = d["uiClass"]
                .as_str()
                .or_else(|| d["definition"]["uiClass"].as_str());
            (
                d["deviceURL"].as_str().unwrap().to_owned(),
                (
                    d["label"].as_str().unwrap_or_default().to_owned(),
                    class.map(str::to_owned),
                    d["placeOID"].as_str().map(str::to_owned),
                    d["available"].as_bool().unwrap_or(true),
                    states,
                ),
            )
        })
        .collect();
    let gateways = setup["gateways"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["gatewayId"].as_str().unwrap().to_owned(),
                g["alive"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    let mut executions = sim.current_executions();
    executions.sort();
    View {
        devices,
        gateways,
        executions,
    }
}

fn home_view(home: &Home) -> View {
    let snapshot = home.snapshot();
    View {
        devices: snapshot
            .devices
            .into_values()
            .map(|d| {
                (
                    d.url,
                    (d.label, d.ui_class, d.place_oid, d.available, d.states),
                )
            })
            .collect(),
        gateways: snapshot
            .gateways
            .into_values()
            .map(|g| (g.id, g.alive))
            .collect(),
        executions: snapshot.executions.into_keys().collect(),
    }
}

/// The next notice, or a failure after the deadline.
async fn next(sub: &mut Subscription, deadline: Instant) -> Notice {
    let left = deadline.saturating_duration_since(Instant::now());
    tokio::time::timeout(left, sub.next())
        .await
        .expect("a change before the deadline")
        .expect("the subscription goes on")
}

/// Reads notices until `done` accepts one; returns every notice read.
async fn until(sub: &mut Subscription, mut done: impl FnMut(&Notice) -> bool) -> Vec<Notice> {
    let deadline = Instant::now() + WAIT;
    let mut seen = Vec::new();
    loop {
        let notice = next(sub, deadline).await;
        let stop = done(&notice);
        seen.push(notice);
        if stop {
            return seen;
        }
    }
}

/// Waits, notice after notice, until the model equals the simulator's state.
async fn converges(home: &Home, sim: &Simulator, sub: &mut Subscription) {
    let deadline = Instant::now() + WAIT;
    while home_view(home) != sim_view(sim) {
        if Instant::now() >= deadline {
            panic!("no convergence in {WAIT:?}: {}", differences(home, sim));
        }
        // A change, or a short wait for one (the simulator may have moved on
        // without the home's knowing yet: the next change tells).
        let left = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(left.min(Duration::from_millis(200)), sub.next()).await;
    }
}

/// The devices and gateways on which the model and the simulator differ.
fn differences(home: &Home, sim: &Simulator) -> String {
    let (model, server) = (home_view(home), sim_view(sim));
    let mut out = Vec::new();
    let urls: std::collections::BTreeSet<&String> =
        model.devices.keys().chain(server.devices.keys()).collect();
    for url in urls {
        if model.devices.get(url) != server.devices.get(url) {
            out.push(format!(
                "{url}: model {:?}, server {:?}",
                model.devices.get(url),
                server.devices.get(url)
            ));
        }
    }
    if model.gateways != server.gateways || model.executions != server.executions {
        out.push(format!(
            "gateways {:?} / {:?}, executions {:?} / {:?}",
            model.gateways, server.gateways, model.executions, server.executions
        ));
    }
    out.join("\n")
}

fn is_reread(notice: &Notice, cause: ReReadCause) -> bool {
    matches!(notice, Notice::Changed(c) if c.origin == Origin::ReRead(cause))
}

fn state_updates(notices: &[Notice], device: &str, name: &str) -> Vec<(Origin, StateValue)> {
    notices
        .iter()
        .filter_map(|n| match n {
            Notice::Changed(c) => Some(c),
            _ => None,
        })
        .flat_map(|c| {
            c.updates.iter().filter_map(move |u| match u {
                Update::State {
                    device: d,
                    name: n,
                    new,
                    ..
                } if d == device && n == name => Some((c.origin, new.clone())),
                _ => None,
            })
        })
        .collect()
}

/// A copy of `template`'s device JSON with the URL [`NEW_DEVICE`] and another label.
fn new_device(sim: &Simulator, template: &str) -> Value {
    device_like(sim, template, NEW_DEVICE)
}

/// A copy of `template`'s device JSON with the URL `url` and another label.
fn device_like(sim: &Simulator, template: &str, url: &str) -> Value {
    let setup = sim.setup();
    let mut device = setup["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["deviceURL"] == template)
        .unwrap()
        .clone();
    device["deviceURL"] = json!(url);
    device["label"] = json!("Paired while away");
    device
}

async fn started(sim: &Simulator) -> (Home, Subscription) {
    let home = Home::start_with(cloud_client(sim), config()).await.unwrap();
    let sub = home.subscribe();
    assert_eq!(
        home_view(&home),
        sim_view(sim),
        "the first read is the setup"
    );
    assert_eq!(sim.count_of(SETUP), 1);
    (home, sub)
}

/// Changes of every kind while no listener exists (lost for sure), then the listener
/// is found gone: one re-read with the device list (`GET /setup/devices`, the other
/// once-a-day read, since `GET /setup` was the start's) converges.
#[tokio::test]
async fn a_listener_loss_is_reread_into_the_model() {
    let sim = testing::simulator().start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    // A 503 window holds the home's calls while the listener dies and things change.
    sim.set_maintenance(true);
    sim.expire_listeners();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(40)));
    assert!(sim.add_device(new_device(&sim, OTHER_SHUTTER)));
    assert!(sim.rename_device(OTHER_SHUTTER, "Renamed while away"));
    assert!(sim.remove_device(CONTACT));
    sim.set_maintenance(false);
    let seen = until(&mut sub, |n| {
        is_reread(n, ReReadCause::Gap(GapReason::ListenerLost))
    })
    .await;
    converges(&home, &sim, &mut sub).await;
    let closure = state_updates(&seen, SHUTTER, "core:ClosureState");
    assert_eq!(closure.last().unwrap().1, StateValue::Int(40), "{seen:#?}");
    assert!(matches!(closure.last().unwrap().0, Origin::ReRead(_)));
    let device = home
        .device(NEW_DEVICE)
        .expect("the device added while away");
    assert_eq!(device.label, "Paired while away");
    assert!(home.device(CONTACT).is_none());
    assert_eq!(sim.count_of(SETUP), 1, "GET /setup is once a day");
    assert_eq!(
        sim.count_of(SETUP_DEVICES),
        1,
        "the list once, by its own limit"
    );
    let status = home.status();
    assert!(status.device_list_read.is_some() && status.device_list_due.is_none());
    assert!(
        status.failing.is_none() && !status.reread_pending,
        "{status:?}"
    );
}

/// The sessions end while states change: the client signs in again, the old
/// session's listener is gone, the home re-reads and converges.
#[tokio::test]
async fn a_session_renewal_is_reread_into_the_model() {
    let sim = testing::simulator().start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    sim.set_maintenance(true);
    sim.expire_sessions();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(55)));
    assert!(sim.set_device_state(CONTACT, "core:ContactState", json!("open")));
    sim.set_maintenance(false);
    until(&mut sub, |n| {
        matches!(n, Notice::Changed(c) if matches!(c.origin, Origin::ReRead(ReReadCause::Gap(_))))
    })
    .await;
    converges(&home, &sim, &mut sub).await;
    assert_eq!(
        home.device(CONTACT).unwrap().state("core:ContactState"),
        Some(&StateValue::String("open".into()))
    );
    assert_eq!(sim.count_of("POST /login"), 2, "signed in again once");
    assert_eq!(sim.count_of(SETUP), 1);
}

/// A 503 window with the listener alive: the events of the window arrive after it, in
/// order (a contact that opens and closes is two changes), the home re-reads the
/// devices (not the list) once the server answers, and converges with no reload.
#[tokio::test]
async fn a_maintenance_window_loses_nothing_and_needs_no_reload() {
    let sim = testing::simulator().start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    sim.set_maintenance(true);
    // Long enough for the client's own resends to give up: the stream reports it.
    testing::wait_until("the home sees the outage", WAIT, || {
        home.status().failing.is_some()
    })
    .await
    .unwrap();
    assert!(sim
        .requests()
        .iter()
        .any(|r| r.is(FETCH) && r.status == Some(503)));
    for value in ["open", "closed", "open", "closed"] {
        assert!(sim.set_device_state(CONTACT, "core:ContactState", json!(value)));
    }
    sim.set_maintenance(false);
    let seen = until(&mut sub, |n| is_reread(n, ReReadCause::Outage)).await;
    converges(&home, &sim, &mut sub).await;
    let mut all = seen;
    // The window's events may come after the re-read: read until the fourth.
    while state_updates(&all, CONTACT, "core:ContactState")
        .iter()
        .filter(|(origin, _)| *origin == Origin::Event)
        .count()
        < 4
    {
        all.push(next(&mut sub, Instant::now() + WAIT).await);
    }
    let from_events: Vec<StateValue> = state_updates(&all, CONTACT, "core:ContactState")
        .into_iter()
        .filter(|(origin, _)| *origin == Origin::Event)
        .map(|(_, v)| v)
        .collect();
    let expected: Vec<StateValue> = ["open", "closed", "open", "closed"]
        .map(|v| StateValue::String(v.into()))
        .into();
    assert_eq!(from_events, expected, "every transition, in order");
    assert_eq!(sim.count_of(SETUP), 1);
    assert_eq!(
        sim.count_of(SETUP_DEVICES),
        0,
        "no list read after an outage"
    );
}

/// The gateway-outage fault: its devices go unavailable, executions on them are
/// refused, and everything comes back; the model follows by events alone (in both
/// event forms).
async fn a_gateway_outage_is_followed_and_converges(form: EventForm) {
    let sim = testing::simulator().event_form(form).start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    assert!(sim.take_gateway_down(GATEWAY));
    until(&mut sub, |n| {
        matches!(n, Notice::Changed(c) if c.updates.contains(&Update::Availability { device: SHUTTER.into(), available: false }))
    })
    .await;
    converges(&home, &sim, &mut sub).await;
    let snapshot = home.snapshot();
    assert!(!snapshot.gateways[GATEWAY].alive);
    assert!(!snapshot.is_reachable(SHUTTER));
    let refused = home
        .client()
        .run(
            overkiz::Action::new(SHUTTER, [overkiz::Command::new("close")]),
            overkiz::ExecutionMode::Normal,
        )
        .await;
    assert!(refused.is_err(), "an execution on a gateway that is down");
    assert!(sim.bring_gateway_back(GATEWAY));
    until(&mut sub, |n| {
        matches!(n, Notice::Changed(c) if c.updates.contains(&Update::Gateway { gateway: GATEWAY.into(), alive: true }))
    })
    .await;
    converges(&home, &sim, &mut sub).await;
    assert!(home.snapshot().is_reachable(SHUTTER));
    // The camera of the fixture was unavailable before: still so.
    assert_eq!(sim.count_of(SETUP), 1);
}
each_form!(a_gateway_outage_is_followed_and_converges);

/// A device paired while the home runs arrives whole (class, states) from one read
/// of it; a renamed and a removed one follow their events.
async fn setup_changes_arrive_as_they_happen(form: EventForm) {
    let sim = testing::simulator().event_form(form).start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    assert!(sim.add_device(new_device(&sim, OTHER_SHUTTER)));
    let seen = until(&mut sub, |n| {
        matches!(n, Notice::Changed(c) if c.updates.iter().any(|u| matches!(u, Update::DeviceAdded(_))))
    })
    .await;
    let Some(Notice::Changed(change)) = seen.last() else {
        unreachable!()
    };
    let Update::DeviceAdded(device) = &change.updates[0] else {
        panic!("{change:?}")
    };
    assert_eq!(device.url, NEW_DEVICE);
    assert_eq!(device.ui_class.as_deref(), Some("RollerShutter"));
    assert!(device.state("core:ClosureState").is_some());
    assert!(sim.rename_device(NEW_DEVICE, "Kitchen"));
    assert!(sim.remove_device(OTHER_SHUTTER));
    until(&mut sub, |n| {
        matches!(n, Notice::Changed(c) if c.updates.contains(&Update::DeviceRemoved { device: OTHER_SHUTTER.into() }))
    })
    .await;
    converges(&home, &sim, &mut sub).await;
    assert_eq!(home.device(NEW_DEVICE).unwrap().label, "Kitchen");
}
each_form!(setup_changes_arrive_as_they_happen);

/// A subscriber that does not read falls behind by more than the capacity: it is
/// told it lagged, given the current state, and then gets only later changes; a
/// device subscriber sees only its device.
#[tokio::test]
async fn a_lagging_subscriber_is_told_and_given_the_current_state() {
    let sim = testing::simulator().start().await.unwrap();
    let home = Home::start_with(cloud_client(&sim), config().with_capacity(2))
        .await
        .unwrap();
    let mut lagging = home.subscribe();
    let mut reader = home.subscribe();
    for closure in 1..=8 {
        assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(closure)));
        let deadline = Instant::now() + WAIT;
        // The reader keeps up: one change per report.
        let Notice::Changed(change) = next(&mut reader, deadline).await else {
            panic!("the reader lagged")
        };
        assert_eq!(
            state_updates(&[Notice::Changed(change)], SHUTTER, "core:ClosureState"),
            vec![(Origin::Event, StateValue::Int(closure))]
        );
    }
    let notice = next(&mut lagging, Instant::now() + WAIT).await;
    let Notice::Lagged { missed, snapshot } = notice else {
        panic!("expected a lag notice, got {notice:?}")
    };
    assert!(missed >= 6, "missed {missed}");
    assert_eq!(
        snapshot.devices[SHUTTER].state("core:ClosureState"),
        Some(&StateValue::Int(8))
    );
    let mut contact_only = home.subscribe_device(CONTACT);
    assert!(sim.set_device_state(CONTACT, "core:ContactState", json!("open")));
    let Notice::Changed(after) = next(&mut lagging, Instant::now() + WAIT).await else {
        panic!("one lag notice is enough")
    };
    assert!(after.seq > snapshot.seq);
    let Notice::Changed(contact) = next(&mut contact_only, Instant::now() + WAIT).await else {
        panic!("the device subscriber saw few changes")
    };
    assert_eq!(contact.seq, after.seq);
    assert!(contact.updates.iter().all(|u| u.device() == Some(CONTACT)));
}

/// The same home on a gateway's local API (typed JSON values in its reads, the
/// simulator's events as strings): the same model, through a listener loss.
#[tokio::test]
async fn a_local_gateway_home_converges_after_a_listener_loss() {
    let sim = testing::simulator()
        .local(PIN)
        .token("local-token")
        .start()
        .await
        .unwrap();
    let client = Client::builder(
        Server::local_at(PIN, &sim.addr().to_string()).unwrap(),
        Credentials::bearer("local-token"),
    )
    .add_gateway_root_certificate(sim.gateway_ca_pem().unwrap().as_bytes())
    .retry_policy(RetryPolicy::disabled())
    .build()
    .unwrap();
    let home = Home::start_with(client, config()).await.unwrap();
    let mut sub = home.subscribe();
    assert_eq!(home_view(&home), sim_view(&sim));
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(12)));
    until(
        &mut sub,
        |n| matches!(n, Notice::Changed(c) if c.origin == Origin::Event),
    )
    .await;
    assert_eq!(
        home.device(SHUTTER).unwrap().state("core:ClosureState"),
        Some(&StateValue::Int(12))
    );
    sim.set_maintenance(true);
    sim.expire_listeners();
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(77)));
    assert!(sim.remove_device(CONTACT));
    sim.set_maintenance(false);
    until(&mut sub, |n| {
        is_reread(n, ReReadCause::Gap(GapReason::ListenerLost))
    })
    .await;
    converges(&home, &sim, &mut sub).await;
    assert!(home.device(CONTACT).is_none());
    let failing = home.status().failing;
    assert!(failing.is_none(), "{failing:?}");
}

/// A second gap soon after the first: the device list was read for the first (its
/// documented limit: once a day), so the second re-reads the devices it knows and
/// leaves the list for when the limit allows; the home says so.
#[tokio::test]
async fn the_device_list_waits_for_its_documented_limit() {
    let sim = testing::simulator().start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    for (round, url) in [NEW_DEVICE, "io://1234-1234-6233/88888888"]
        .into_iter()
        .enumerate()
    {
        sim.set_maintenance(true);
        sim.expire_listeners();
        assert!(sim.add_device(device_like(&sim, OTHER_SHUTTER, url)));
        assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(10 + round)));
        sim.set_maintenance(false);
        until(&mut sub, |n| {
            is_reread(n, ReReadCause::Gap(GapReason::ListenerLost))
        })
        .await;
        assert_eq!(
            home.device(SHUTTER).unwrap().state("core:ClosureState"),
            Some(&StateValue::Int(10 + round as i64)),
            "the devices are re-read every time"
        );
    }
    assert!(
        home.device(NEW_DEVICE).is_some(),
        "the first gap read the list"
    );
    assert!(
        home.device("io://1234-1234-6233/88888888").is_none(),
        "the second gap may not read it yet"
    );
    assert_eq!(sim.count_of(SETUP), 1);
    assert_eq!(sim.count_of(SETUP_DEVICES), 1);
    let due = home.status().device_list_due.expect("a list re-read waits");
    let wait = due
        .duration_since(std::time::SystemTime::now())
        .unwrap_or_default();
    assert!(wait > Duration::from_secs(23 * 3600), "due in {wait:?}");
}

/// A home started from a setup read earlier (stale here) re-reads its devices first:
/// no `GET /setup`, and the differences come as the first change.
#[tokio::test]
async fn a_home_started_from_an_old_setup_rereads_its_devices_first() {
    let sim = testing::simulator().start().await.unwrap();
    let mut old = sim.setup();
    for device in old["devices"].as_array_mut().unwrap() {
        if device["deviceURL"] == SHUTTER {
            for state in device["states"].as_array_mut().unwrap() {
                if state["name"] == "core:ClosureState" {
                    state["value"] = json!(3);
                }
            }
        }
    }
    let old: overkiz::types::Setup = serde_json::from_value(old).unwrap();
    let home = Home::start_from(cloud_client(&sim), &old, config())
        .await
        .unwrap();
    let mut sub = home.subscribe();
    let seen = until(&mut sub, |n| is_reread(n, ReReadCause::Requested)).await;
    assert_eq!(
        state_updates(&seen, SHUTTER, "core:ClosureState"),
        vec![(Origin::ReRead(ReReadCause::Requested), StateValue::Int(100))]
    );
    converges(&home, &sim, &mut sub).await;
    assert_eq!(sim.count_of(SETUP), 0);
}

/// A command run through the home's client: the execution is followed to its end and
/// the device's new state arrives.
#[tokio::test]
async fn an_execution_and_its_effect_are_followed() {
    let sim = testing::simulator().start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    let exec_id = home
        .client()
        .run(
            overkiz::Action::new(SHUTTER, [overkiz::Command::new("open")]),
            overkiz::ExecutionMode::Normal,
        )
        .await
        .unwrap();
    let seen = until(&mut sub, |n| {
        matches!(n, Notice::Changed(c) if c.updates.iter().any(|u| matches!(u,
            Update::Execution { id, state } if *id == exec_id && state.is_final())))
    })
    .await;
    assert!(
        seen.iter().any(|n| matches!(n, Notice::Changed(c) if c.updates.contains(&Update::Execution { id: exec_id.clone(), state: overkiz::ExecutionState::Initialized }))),
        "{seen:#?}"
    );
    converges(&home, &sim, &mut sub).await;
    assert_eq!(
        home.device(SHUTTER).unwrap().state("core:ClosureState"),
        Some(&StateValue::Int(0))
    );
    assert!(home.executions().is_empty());
}

/// A re-read the server stops answering part-way (throttled here) goes on from where
/// it stopped: each device is read once, however many attempts it takes.
#[tokio::test]
async fn a_throttled_reread_goes_on_where_it_stopped() {
    let sim = testing::simulator().start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    let devices = home.devices().len();
    sim.fail_next_on("GET /exec/current", overkiz_sim::Fault::RateLimit, 8)
        .unwrap();
    home.refresh();
    until(&mut sub, |n| is_reread(n, ReReadCause::Requested)).await;
    assert!(
        // The start's read, the eight refused, the one that passed.
        sim.count_of("GET /exec/current") >= 10,
        "it was throttled"
    );
    assert_eq!(
        sim.count_of("GET /setup/devices/{deviceURL}"),
        devices,
        "each device read once"
    );
    assert_eq!(sim.count_of("GET /setup/gateways/{gatewayId}"), 1);
}

/// Dropping the last handle stops the home: its subscriptions end and its listener
/// is unregistered.
#[tokio::test]
async fn the_last_handle_stops_the_home() {
    let sim = testing::simulator().start().await.unwrap();
    let (home, mut sub) = started(&sim).await;
    let copy = home.clone();
    drop(home);
    assert!(sim.set_device_state(SHUTTER, "core:ClosureState", json!(9)));
    assert!(
        matches!(
            next(&mut sub, Instant::now() + WAIT).await,
            Notice::Changed(_)
        ),
        "a clone keeps it running"
    );
    assert_eq!(copy.status().subscribers, 1);
    drop(copy);
    let end = tokio::time::timeout(WAIT, sub.next()).await.unwrap();
    assert!(end.is_none(), "{end:?}");
    testing::wait_until("the listener unregistered", WAIT, || {
        sim.listener_count() == 0
    })
    .await
    .unwrap();
}
