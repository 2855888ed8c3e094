//! [`SimulatorBuilder`]: one way to start a [`Simulator`] with any setup, settings,
//! mode (cloud or a gateway's local API) and bearer tokens.

use std::fmt;
use std::net::SocketAddr;

use serde_json::Value;

use crate::{Config, EventForm, Simulator};

/// Starts a [`Simulator`]: [`Simulator::builder`], then the setup and settings, then
/// [`SimulatorBuilder::start`]. For tests, [`crate::testing::simulator`] returns one
/// loaded with a real setup and fast executions.
///
/// ```no_run
/// # async fn demo(setup: serde_json::Value) -> std::io::Result<()> {
/// use std::time::Duration;
/// use overkiz_sim::Simulator;
/// let sim = Simulator::builder()
///     .setup(setup)
///     .configure(|config| config.with_step(Duration::from_millis(20)))
///     .start()
///     .await?;
/// # let _ = sim; Ok(()) }
/// ```
#[derive(Clone)]
pub struct SimulatorBuilder {
    setup: Value,
    config: Config,
    addr: SocketAddr,
    pin: Option<String>,
    tokens: Vec<String>,
}

impl fmt::Debug for SimulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Tokens are secrets: only their count is shown.
        f.debug_struct("SimulatorBuilder")
            .field("config", &self.config)
            .field("addr", &self.addr)
            .field("pin", &self.pin)
            .field("tokens", &self.tokens.len())
            .finish_non_exhaustive()
    }
}

impl Default for SimulatorBuilder {
    fn default() -> SimulatorBuilder {
        SimulatorBuilder {
            setup: serde_json::json!({"devices": [], "gateways": []}),
            config: Config::default(),
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            pin: None,
            tokens: Vec::new(),
        }
    }
}

impl Simulator {
    /// A builder of a simulator: an empty setup, the default [`Config`], the cloud
    /// API on an ephemeral port of 127.0.0.1 until told otherwise.
    pub fn builder() -> SimulatorBuilder {
        SimulatorBuilder::default()
    }
}

impl SimulatorBuilder {
    /// Serves `setup` (the JSON of `GET /setup`, e.g. [`crate::testing::tahoma_3`]).
    pub fn setup(mut self, setup: Value) -> SimulatorBuilder {
        self.setup = setup;
        self
    }

    /// Changes the settings: `change` gets the current [`Config`] and returns the
    /// new one, e.g. `.configure(|config| config.with_session_ttl(ttl))`.
    pub fn configure(mut self, change: impl FnOnce(Config) -> Config) -> SimulatorBuilder {
        self.config = change(self.config);
        self
    }

    /// Sets [`Config::event_form`] (what [`crate::each_form!`] tests vary).
    pub fn event_form(mut self, form: EventForm) -> SimulatorBuilder {
        self.config.event_form = form;
        self
    }

    /// Listens on `addr` instead of an ephemeral port of 127.0.0.1.
    pub fn addr(mut self, addr: SocketAddr) -> SimulatorBuilder {
        self.addr = addr;
        self
    }

    /// Plays the local API of gateway `pin` (`1234-5678-9012`) over TLS instead of the
    /// cloud API: see [`Simulator::start_local`].
    pub fn local(mut self, pin: impl Into<String>) -> SimulatorBuilder {
        self.pin = Some(pin.into());
        self
    }

    /// Accepts `token` as `Authorization: Bearer <token>` from the start
    /// ([`Simulator::add_token`]); repeatable.
    pub fn token(mut self, token: impl Into<String>) -> SimulatorBuilder {
        self.tokens.push(token.into());
        self
    }

    /// Starts the simulator. Fails when the address cannot be bound, the setup is not
    /// one (not a JSON object, or its `devices`, `gateways` or `actionGroups` not
    /// arrays of objects), or the PIN is not made of letters, digits and inner dashes.
    pub async fn start(self) -> std::io::Result<Simulator> {
        let sim = Simulator::bind_as(self.addr, self.setup, self.config, self.pin.as_deref())
            .await?;
        for token in self.tokens {
            sim.add_token(token);
        }
        Ok(sim)
    }
}
