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
//! use overkiz::{Client, Credentials, Home, Notice, Server};
//!
//! #[tokio::main]
//! async fn main() -> Result<(), overkiz::Error> {
//!     let client = Client::new(Server::somfy_europe(), Credentials::password("me@example.com", "secret"))?;
//!
//!     // A live model of the setup: one GET /setup (logs in on the first call), then the
//!     // event stream (one fetch per second, the documented limit).
//!     let home = Home::start(client).await?;
//!     for device in home.devices() {
//!         let closure = device.state("core:ClosureState").and_then(|s| s.as_i64());
//!         println!("{} {} closure={closure:?}", device.label, device.url);
//!     }
//!
//!     // Every change, in order. After a gap in the events (expired listener, renewed
//!     // session, outage) the home re-reads each device (no documented limit), never the
//!     // whole setup (documented: once a day), and reports the differences as one change.
//!     let mut changes = home.subscribe();
//!     while let Some(notice) = changes.next().await {
//!         match notice {
//!             Notice::Changed(change) => println!("#{} re-read={}: {:?}", change.seq, change.is_reread(), change.updates),
//!             Notice::Lagged { missed, .. } => println!("fell {missed} changes behind; state refreshed"),
//!             _ => {}
//!         }
//!     }
//!     Ok(())
//! }
//! ```
//!
//! - [`Home`] ([`live`], feature `live`): the setup kept current (device states and
//!   availability, devices, places, gateways, executions), re-read after every gap in
//!   the events, with subscribers for the whole home or one device. Built on
//!   [`Client::events`] ([`EventStream`]), which any program may use alone.
//! - [`Client`] methods: one per operation of the documentation, named after the
//!   method and path (`GET /setup/devices/{deviceURL}` →
//!   `Client::get_setup_devices_by_device_url`, feature `device`); [`operations`] describes them.
//!   Each returns a [`Call`]: required arguments are positional, options are
//!   methods of the call ([`calls`]), and `.await` sends it:
//!   `client.get_setup_devices_by_device_url(url).with_manufacturer_data(true).await?`.
//!   A documentation update that adds an option does not break a call.
//! - [`calls`]: the call types of operations with options, and the forms of form
//!   operations ([`calls::PostLoginForm`]).
//! - [`Client::request`]: a raw call ([`RawCall`]) of any operation, with arguments
//!   given at run time, through the same session, resend rules and redaction; it
//!   returns the undecoded [`RawResponse`].
//! - [`types`]: request and response bodies; [`Event`]: the event stream's events.
//! - Executions: [`Client::run`] launches, [`EventStream::follow`] /
//!   [`Client::follow`] yield an execution's state changes ending in its outcome
//!   ([`ExecutionUpdate`]), [`Client::run_and_wait`] does both.
//! - [`TypedValue`]: state values read according to their `type` code.
//! - [`Error::kind`]: what went wrong, in terms a caller can act on.
//! - What the client promises (one sign-in at a time, no login loops, nothing that
//!   acts sent twice, capped answers and waits, no secret in errors, no silent event
//!   loss): [`Client`#guarantees], [`Error`], [`EventStream`#guarantees].
//!
//! # The runtime in layers
//!
//! The hand-written runtime imports only downward (`ARCHITECTURE.md` has the map;
//! `generated/tests/layers.rs` checks it): plain values (`value/`: [`Secret`], [`DeviceUrl`],
//! [`TypedValue`], [`OperationInfo`], [`RetryPolicy`], [`GapReason`], with the
//! generated [`types`] and [`Event`]), then errors (`error/`: [`Error`]), then
//! configuration (`config/`: [`Credentials`], [`SignInFlow`], [`Grant`], [`Server`],
//! and [`signin`], the vendors' flows), then transport and session (`transport/`), then
//! the client (`client/`: [`Client`], [`Call`], and the generated methods), then what
//! is built on the client (`follow/`: [`EventStream`], executions; `home/`: [`home`];
//! `accounts/`: [`SomfyAccount`], local tokens; `tools/`: `diagnostics`, discovery: cargo features),
//! and on top the live model (`live/`: [`Home`]).
//!
//! # Cargo features
//!
//! The default set is the whole crate. A program that needs less names what it uses
//! (`default-features = false`): each group of operations is a feature (the list is
//! below, with `Client`'s methods), and so are the runtime parts not every program
//! needs: `live` ([`Home`]), `diagnostics`, `discovery` (off by default) and the
//! vendors' sign-in flows (`cozytouch`, `brandt`, `nexity`, `rexel`). README shows
//! the set for the common jobs.
//!
//! # Names
//!
//! Each runtime name has one path, the crate root ([`Command`], [`UiClass`],
//! [`DeviceUrl`]), except for the items of a module of their own: the vendors' flows
//! ([`signin`]) and the generated items ([`types`], [`events`], [`calls`],
//! [`operations`]). [`home`] is the guide to the home layer. [`Command`] and
//! [`Action`] are the builders; the wire types they become are `types::Command` and
//! `types::Action`. Credentials have one extension point, [`SignInFlow`]
//! ([`Credentials::sign_in_flow`]; [`Credentials::from_fn`] wraps a closure). Former
//! names stay one release as `#[deprecated]` aliases
//! (`generated/tests/deprecated_names.rs` lists them).
//!
#![cfg_attr(feature = "live", doc = "[`Home`]: crate::Home\n[`live`]: crate::live")]
#![cfg_attr(
    not(feature = "live"),
    doc = "[`Home`]: #cargo-features\n[`live`]: #cargo-features"
)]
#![doc = include_str!("generated/client_sections.md")]
#![warn(missing_docs)]

// The runtime in layers, each importing only from the layers below it
// (ARCHITECTURE.md; checked by generated/tests/layers.rs).
mod accounts;
mod client;
mod config;
mod error;
mod follow;
pub mod home;
#[cfg(feature = "live")]
pub mod live;
mod tools;
mod transport;
mod value;
#[rustfmt::skip]
mod generated;

// Paths the generated code names (`crate::de::…`, `crate::redact::…`).
pub(crate) use value::{de, event_table, redact};

pub use config::signin;
#[cfg(feature = "diagnostics")]
pub use tools::diagnostics;
pub use value::state;

pub use accounts::local::{CreatedLocalToken, DEVMODE_SCOPE};
pub use accounts::somfy_account::{SomfyAccount, SomfyAccountBuilder};
pub use client::call::{Call, CallFuture};
pub use client::local_first::{LocalFirstConfig, Route, RouteWatch};
pub use client::raw_call::RawCall;
pub use client::{
    Client, ClientBuilder, DEFAULT_CONNECT_TIMEOUT, DEFAULT_EXECUTION_SLOT_WAIT,
    DEFAULT_LOGIN_COOL_DOWN, DEFAULT_LOGIN_RETRY_DELAY, DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
};
#[allow(deprecated)]
pub use config::credentials::TokenSource;
pub use config::credentials::{Credentials, Secret};
pub use config::server::Server;
#[cfg(feature = "nexity")]
pub use config::signin::srp::CognitoError;
pub use error::{ApiError, BoxError, Error, ErrorCode, ErrorKind};
pub use follow::event_stream::{EventStream, EventStreamConfig};
pub use follow::execution::{ExecutionOutcome, ExecutionState};
pub use follow::follower::{ExecutionFollower, ExecutionUpdate};
pub use generated::calls;
pub use generated::events::{self, Event};
pub use generated::vocabulary::{CommandName, Protocol, StateName, UiClass, UiWidget};
pub use generated::{local_api, operations, types};
pub use home::action_queue::{ActionQueue, ActionQueueSettings, QueuedResult};
pub use home::command::{action_group, Action, Command, ExecutionMode};
#[cfg(feature = "live")]
pub use live::{
    Change, Home, HomeConfig, HomeSnapshot, HomeStatus, LiveDevice, Notice, Subscription, Update,
};
pub use signin::{Grant, SignInContext, SignInFlow, VendorSignIn};
#[cfg(feature = "discovery")]
pub use tools::discovery::{
    discover, parse_mdns_packet, parse_mdns_packets, DiscoveredGateway, DiscoveryError,
    GatewayService,
};
pub use transport::request::{RawResponse, Upload};
pub use value::de::WireForm;
pub use value::device_url::{DeviceUrl, DeviceUrlErrorKind, InvalidDeviceUrl};
pub use value::execution_ledger::{ExecutionBudget, EXECUTIONS_PER_GATEWAY};
pub use value::gap::GapReason;
pub use value::operation::{
    HttpMethod, Idempotency, OperationInfo, RateLimit, RateLimitScope, ResponseKind,
};
pub use value::retry::RetryPolicy;
pub use value::state::{StateValue, TypedValue};

/// The vocabulary's former path: its names are at the crate root
/// ([`crate::UiClass`], ...), their one path.
pub mod vocabulary {
    /// Deprecated: [`crate::CommandName`].
    #[deprecated(since = "0.1.0", note = "use overkiz::CommandName")]
    pub type CommandName = crate::CommandName;
    /// Deprecated: [`crate::Protocol`].
    #[deprecated(since = "0.1.0", note = "use overkiz::Protocol")]
    pub type Protocol = crate::Protocol;
    /// Deprecated: [`crate::StateName`].
    #[deprecated(since = "0.1.0", note = "use overkiz::StateName")]
    pub type StateName = crate::StateName;
    /// Deprecated: [`crate::UiClass`].
    #[deprecated(since = "0.1.0", note = "use overkiz::UiClass")]
    pub type UiClass = crate::UiClass;
    /// Deprecated: [`crate::UiWidget`].
    #[deprecated(since = "0.1.0", note = "use overkiz::UiWidget")]
    pub type UiWidget = crate::UiWidget;
}

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::transport::request::{debug_form, Body, RawResponse, Request};
}
