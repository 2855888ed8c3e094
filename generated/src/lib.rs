//! Typed Rust client for the Overkiz End-User API: the cloud and local API behind
//! Somfy TaHoma, Atlantic/Thermor/Sauter Cozytouch, Hitachi Hi Kumo, Nexity, Rexel and
//! other smart-home gateways.
//!
//! The API surface (types, events, one method per operation) is generated from the
//! Overkiz documentation by `cargo xtask codegen` into `src/generated/` (never edited
//! by hand; `generated/api.txt` lists it one item a line); the runtime (client,
//! authentication, errors, event stream, calls, lenient decoding) is the rest of
//! `src/`, written by hand.
//!
//! # Quick start
//!
//! ```rust,no_run
//! use futures::StreamExt;
//! use overkiz::{Client, Credentials, Event, Server, TypedValue};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), overkiz::Error> {
//!     let client = Client::new(Server::somfy_europe(), Credentials::password("me@example.com", "secret"))?;
//!
//!     // GET /setup: gateways, devices, their states. Logs in on the first call.
//!     let setup = client.get_setup().await?;
//!     for device in setup.devices.iter().flatten() {
//!         let closure = device.state("core:ClosureState").and_then(|s| s.as_i64());
//!         println!("{:?} {:?} closure={closure:?}", device.label, device.device_url);
//!     }
//!
//!     // Follow the events (registers a listener, fetches at the documented 1 call/s,
//!     // registers again when the listener expires, unregisters when dropped).
//!     let mut events = client.events();
//!     while let Some(event) = events.next().await {
//!         match event? {
//!             Event::DeviceStateChanged(change) => println!("{:?}: {:?}", change.device_url, change.device_states),
//!             other => println!("{}", other.name()),
//!         }
//!     }
//!     Ok(())
//! }
//! ```
//!
//! - [`Client`] methods: one per operation of the documentation, named after the
//!   method and path (`GET /setup/devices/{deviceURL}` →
//!   [`Client::get_setup_devices_by_device_url`]); [`operations`] describes them.
//!   Each returns a [`Call`]: required arguments are positional, options are
//!   methods of the call ([`calls`]), and `.await` sends it:
//!   `client.get_setup_devices_by_device_url(url).with_manufacturer_data(true).await?`.
//!   A documentation update that adds an option does not break a call.
//! - [`calls`]: the call types of operations with options, and the forms of form
//!   operations ([`calls::PostLoginForm`]).
//! - [`types`]: request and response bodies; [`Event`]: the event stream's events.
//! - [`TypedValue`]: state values read according to their `type` code.
//! - [`Error::kind`]: what went wrong, in terms a caller can act on.

#![warn(missing_docs)]

mod auth;
mod client;
mod de;
mod error;
mod event_stream;
mod execution;
#[rustfmt::skip]
mod generated;
mod operation;
mod request;
mod retry;
mod server;
pub mod state;
mod tls;

pub use auth::{BoxError, Credentials, Secret, TokenSource};
pub use client::{Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT};
pub use error::{ApiError, Error, ErrorCode, ErrorKind};
pub use event_stream::{EventStream, EventStreamConfig};
pub use execution::{ExecutionOutcome, ExecutionState};
pub use generated::endpoints as calls;
pub use generated::events::{self, Event};
pub use generated::{operations, types};
pub use operation::{
    HttpMethod, Idempotency, OperationInfo, RateLimit, RateLimitScope, ResponseKind,
};
pub use request::{Call, CallFuture, Upload};
pub use retry::RetryPolicy;
pub use server::Server;
pub use state::{StateValue, TypedValue};

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::request::{debug_form, Body, RawResponse, Request};
}
