//! The simulator set-up of tests and examples: a real setup (TaHoMa 3,
//! `tests/fixtures/setup/setup_tahoma_3.json`) with executions stepping every
//! [`STEP`], the fixture's names, a deadline-bound wait, and [`each_form!`](crate::each_form)
//! to run a test against both event forms.
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! use overkiz_sim::testing::{self, PIN, SHUTTER};
//! use overkiz_sim::EventForm;
//! let cloud = testing::simulator().start().await?;
//! let newest = testing::simulator().event_form(EventForm::Newest).start().await?;
//! let gateway = testing::simulator().local(PIN).token("t").start().await?;
//! assert!(cloud.device_state(SHUTTER, "core:ClosureState").is_some());
//! # let _ = (newest, gateway); Ok(()) }
//! ```

use std::fmt;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::{Simulator, SimulatorBuilder};

/// The JSON of `GET /setup` of a real TaHoMa 3 (anonymized):
/// `tests/fixtures/setup/setup_tahoma_3.json`.
pub const TAHOMA_3_SETUP: &str = include_str!("../../tests/fixtures/setup/setup_tahoma_3.json");

/// The gateway of [`TAHOMA_3_SETUP`].
pub const GATEWAY: &str = "1234-1234-6233";

/// A roller shutter of [`TAHOMA_3_SETUP`], closed (`core:ClosureState` 100).
pub const SHUTTER: &str = "io://1234-1234-6233/12184029";

/// A gateway PIN for the local API mode ([`SimulatorBuilder::local`]).
pub const PIN: &str = "1234-5678-9012";

/// The time between two states of an execution in [`simulator`]: an execution
/// completes in about 60 ms.
pub const STEP: Duration = Duration::from_millis(20);

/// [`TAHOMA_3_SETUP`], parsed.
pub fn tahoma_3() -> Value {
    // The embedded fixture is JSON; a broken one fails every test that uses it.
    serde_json::from_str(TAHOMA_3_SETUP).unwrap_or(Value::Null)
}

/// The second gateway of [`two_gateways`].
pub const SECOND_GATEWAY: &str = "1234-1234-9999";

/// A roller shutter on [`SECOND_GATEWAY`] in [`two_gateways`] (a copy of [`SHUTTER`]).
pub const SECOND_SHUTTER: &str = "io://1234-1234-9999/12184029";

/// [`tahoma_3`] with a second gateway, [`SECOND_GATEWAY`], holding one device,
/// [`SECOND_SHUTTER`]: for what the server counts per gateway (the execution queue).
pub fn two_gateways() -> Value {
    let mut setup = tahoma_3();
    let gateway = setup["gateways"][0].clone();
    let shutter = setup["devices"]
        .as_array()
        .and_then(|devices| devices.iter().find(|d| d["deviceURL"] == SHUTTER))
        .cloned();
    if let (Some(gateways), Some(mut shutter)) = (setup["gateways"].as_array_mut(), shutter) {
        let mut second = gateway;
        second["gatewayId"] = Value::from(SECOND_GATEWAY);
        gateways.push(second);
        shutter["deviceURL"] = Value::from(SECOND_SHUTTER);
        shutter["label"] = Value::from("Second shutter");
        if let Some(devices) = setup["devices"].as_array_mut() {
            devices.push(shutter);
        }
    }
    setup
}

/// A builder of a simulator of [`tahoma_3`] stepping executions every [`STEP`]; set
/// anything else on it ([`SimulatorBuilder::event_form`], [`SimulatorBuilder::local`],
/// ...) and [`SimulatorBuilder::start`] it.
pub fn simulator() -> SimulatorBuilder {
    Simulator::builder()
        .setup(tahoma_3())
        .configure(|config| config.with_step(STEP))
}

/// What [`wait_until`] could not see happen in time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    /// What was waited for.
    pub what: String,
    /// How long.
    pub timeout: Duration,
}

impl fmt::Display for TimedOut {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "timed out after {:?} waiting for {}",
            self.timeout, self.what
        )
    }
}

impl std::error::Error for TimedOut {}

/// Polls `done` every few milliseconds until it is true, or fails after `timeout`:
/// a test waiting on the simulator (a listener registered, an execution finished)
/// fails instead of hanging.
pub async fn wait_until(
    what: &str,
    timeout: Duration,
    mut done: impl FnMut() -> bool,
) -> Result<(), TimedOut> {
    let deadline = Instant::now() + timeout;
    while !done() {
        if Instant::now() >= deadline {
            return Err(TimedOut {
                what: what.to_owned(),
                timeout,
            });
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(())
}

/// Runs `async fn $test(form: EventForm)` as two tests, `$test::previous` and
/// `$test::newest`: a test of events or executions against both event forms
/// ([`EventForm`](crate::EventForm)). Arguments after the name go to `#[tokio::test]`
/// (the calling crate depends on `tokio` with its `macros` feature).
///
/// ```ignore
/// async fn events_arrive(form: overkiz_sim::EventForm) { /* ... */ }
/// overkiz_sim::each_form!(events_arrive);
/// overkiz_sim::each_form!(events_arrive_threaded, flavor = "multi_thread", worker_threads = 2);
/// ```
#[macro_export]
macro_rules! each_form {
    ($test:ident $(, $($arg:tt)*)?) => {
        mod $test {
            #[tokio::test $( ( $($arg)* ) )?]
            async fn previous() {
                super::$test($crate::EventForm::Previous).await
            }
            #[tokio::test $( ( $($arg)* ) )?]
            async fn newest() {
                super::$test($crate::EventForm::Newest).await
            }
        }
    };
}
