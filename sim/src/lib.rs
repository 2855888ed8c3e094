//! `overkiz-sim`: an offline Overkiz End-User API server, for testing clients without
//! hardware or an account.
//!
//! The simulator serves the cloud API under `/enduser-mobile-web/enduserAPI`. It is
//! loaded with a setup (the JSON of `GET /setup`, e.g. a real one) and answers:
//!
//! - **statefully** where clients depend on state: the login form (`POST /login`,
//!   `JSESSIONID` cookie, sessions expiring after [`Config::session_ttl`] idle) and
//!   bearer tokens ([`Simulator::add_token`]), `POST /logout`, the setup and its
//!   devices and states, executions (`POST /exec/apply` and its variants progressing
//!   through `INITIALIZED → TRANSMITTED → IN_PROGRESS → COMPLETED` every
//!   [`Config::step`], with their events and the effect of known commands on the
//!   device states), action groups (`/actionGroups`: create, read, update, delete;
//!   seeded by the setup's `actionGroups` or [`Simulator::add_action_group`]), their
//!   executions (`POST /exec/{actionGroupOID}` and its variants) and scheduled
//!   executions (`POST /exec/schedule/{actionGroupOID}/{utcTimestamp}`, run when due,
//!   listed by `GET /exec/schedule`), the current executions, their cancellation,
//!   the execution history, and event listeners (register, fetch, unregister, expiry
//!   after [`Config::listener_ttl`] without a fetch);
//! - **from the documentation** for every other documented operation: its documented
//!   status and an example body built from its response schema in the embedded
//!   `spec/overkiz.json`.
//!
//! [`STATEFUL_OPERATIONS`] lists the first kind. Every request is first checked
//! against the documentation (required query parameters and body, the body's JSON
//! type), and [`Simulator::requests`] records what was called and answered.
//!
//! Faults are available on demand, for every call ([`Simulator::set_fault`]), the
//! next ones ([`Simulator::fail_next`]) or the next calls of one operation
//! ([`Simulator::fail_next_on`]): [`Fault::RateLimit`] (429),
//! [`Fault::Maintenance`] (503 maintenance page), [`Fault::DropConnection`],
//! [`Fault::Error`] (any real error answer of `tests/fixtures/errors/`, see
//! [`ErrorFixture`]), [`Fault::Answer`]; the documented rate limits
//! ([`RateLimits::Documented`]); and
//! [`Simulator::set_latency`] (slow answers), [`Simulator::expire_sessions`],
//! [`Simulator::expire_listeners`], [`Simulator::fail_next_executions`],
//! [`Simulator::hold_executions`], [`Fault::SessionExpired`], and the gateway outage
//! ([`Simulator::take_gateway_down`], [`Simulator::bring_gateway_back`]). Setup changes
//! come with their events: [`Simulator::add_device`], [`Simulator::rename_device`],
//! [`Simulator::remove_device`]. The
//! [`control`] API does the same over HTTP.
//!
//! The same API is served under [`LOCAL_API_PREFIX`] ([`Simulator::local_url`]) with
//! bearer tokens only, like a gateway's local API (in plain HTTP).
//! [`Simulator::gateway_link`] serves it on a port of its own that a test unplugs and
//! plugs in again ([`GatewayLink`]): a gateway that goes away and comes back.
//!
//! # Local API mode
//!
//! [`Simulator::start_local`] plays a gateway's Developer Mode API instead: TLS with a
//! certificate named `<pin>.local` signed by a CA generated at start
//! ([`Simulator::gateway_ca_pem`]), only the local API's operations
//! ([`local::LOCAL_OPERATIONS`]) under [`LOCAL_API_PREFIX`], bearer tokens only, and the
//! gateway's own error answers. See the [`local`] module.
//!
//! ```no_run
//! # async fn demo(setup: serde_json::Value) -> std::io::Result<()> {
//! use overkiz_sim::{Config, Simulator};
//! let sim = Simulator::start_local(setup, "1234-5678-9012", Config::default()).await?;
//! sim.add_token("my-token");
//! println!("{}", sim.url()); // https://127.0.0.1:PORT/enduser-mobile-web/1/enduserAPI
//! let ca_pem = sim.gateway_ca_pem().unwrap(); // for ClientBuilder::add_gateway_root_certificate
//! # let _ = ca_pem; Ok(()) }
//! ```
//!
//! ```no_run
//! # async fn demo() -> std::io::Result<()> {
//! let setup = serde_json::json!({"devices": [], "gateways": []});
//! let sim = overkiz_sim::Simulator::start(setup).await?;
//! println!("{}", sim.url()); // http://127.0.0.1:PORT/enduser-mobile-web/enduserAPI
//! # Ok(()) }
//! ```
//!
//! Tests and examples start one with [`Simulator::builder`], or [`testing::simulator`]
//! for a real setup (TaHoMa 3) with fast executions.
//!
//! # Modules
//!
//! Public: [`control`] (the control API), [`local`] (the local API mode), [`sites`]
//! (Somfy's multi-home sign-in), [`spec`] (the documented operations), [`testing`]
//! (the test set-up). Inside: `simulator` and `builder` (starting one, and the
//! methods a test calls), `config`, `server` (the HTTP loop), `routes` (the cloud
//! API's routes), `sessions`, `listeners`, `executions`, `effects`, `history`,
//! `action_groups`, `local_tokens`, `setup_changes` (devices added, renamed,
//! removed; a gateway going down and back), `state`, `errors`, `faults`, `limits`, `forms`
//! (event forms), `gateway_link`, `tls`, `answer` and `shared`.

mod action_groups;
mod answer;
mod builder;
mod config;
pub mod control;
mod effects;
mod errors;
mod executions;
mod faults;
mod forms;
mod gateway_link;
mod history;
mod limits;
mod listeners;
pub mod local;
mod local_tokens;
mod routes;
mod server;
mod sessions;
mod setup_changes;
mod shared;
mod simulator;
pub mod sites;
pub mod spec;
mod state;
pub mod testing;
mod tls;

pub use builder::SimulatorBuilder;
pub use config::Config;
pub use faults::{ErrorFixture, Fault, UnknownOperation};
pub use forms::EventForm;
pub use gateway_link::GatewayLink;
pub use limits::RateLimits;
pub use routes::STATEFUL_OPERATIONS;
pub use server::MAX_REQUEST_BYTES;
pub use shared::{RequestRecord, REQUEST_LOG_LIMIT};
pub use simulator::Simulator;

/// The path prefix of the cloud API.
pub const API_PREFIX: &str = "/enduser-mobile-web/enduserAPI";

/// The path prefix of the local API (a gateway's): bearer tokens only, no login. In
/// plain HTTP next to the cloud API in cloud mode; alone and over TLS in local API
/// mode ([`Simulator::start_local`]).
pub const LOCAL_API_PREFIX: &str = "/enduser-mobile-web/1/enduserAPI";

/// The path prefix of the control API ([`control`]): faults and inspection over HTTP.
pub const CONTROL_PREFIX: &str = "/_sim";
