//! A consumer's program against the simulator: "close every roller shutter and wait",
//! written with the home-automation helpers, as an integration would.

use std::time::Duration;

use overkiz::{
    Action, Client, Command, Credentials, EventStreamConfig, ExecutionMode, ExecutionState, Server,
    UiClass,
};
use overkiz_sim::testing;

#[tokio::test]
async fn close_every_roller_shutter_and_wait() {
    let sim = testing::simulator().start().await.unwrap();
    let client = Client::new(
        Server::custom(sim.url()).unwrap(),
        Credentials::password("me@example.com", "secret"),
    )
    .unwrap();

    let setup = client.get_setup().await.unwrap();
    let shutters: Vec<_> = setup
        .devices_of_class(UiClass::RollerShutter)
        .filter(|d| d.supports_command("open") && d.supports_command("close"))
        .map(|d| d.url().unwrap())
        .collect();
    assert!(!shutters.is_empty(), "the fixture has roller shutters");

    // Open them first, so that closing changes something; follow each run to its end.
    let mut events = client
        .events_with(EventStreamConfig::default().with_fetch_interval(Duration::from_millis(10)));
    events.register().await.unwrap();
    for command in ["open", "close"] {
        let actions: Vec<Action> = shutters
            .iter()
            .map(|url| Action::new(url.clone(), [Command::new(command)]))
            .collect();
        let exec_id = client.run(actions, ExecutionMode::Normal).await.unwrap();
        let outcome = events
            .wait_for_execution(&exec_id, Duration::from_secs(10))
            .await
            .unwrap();
        assert_eq!(outcome.state, ExecutionState::Completed, "{command}");
    }

    // Every shutter now reads closed (`core:ClosureState` 100 is closed).
    let setup = client.get_setup().await.unwrap();
    for url in &shutters {
        let device = setup.device(url).unwrap();
        let closure = device
            .state_value("core:ClosureState")
            .and_then(|v| v.as_i64());
        assert_eq!(closure, Some(100), "{url}");
    }
}
