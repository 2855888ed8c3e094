//! Typed Rust client for the Overkiz End-User API: the cloud and local API behind
//! Somfy TaHoma, Atlantic/Thermor/Sauter Cozytouch, Hitachi Hi Kumo, Nexity, Rexel and
//! other smart-home gateways.
//!
//! The API surface (types, events, one method per operation) is generated from the
//! Overkiz documentation by `cargo xtask codegen`; the runtime (client,
//! authentication, errors, event stream) is written by hand.

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
pub use generated::events::{self, Event};
pub use generated::{operations, types};
pub use operation::{HttpMethod, OperationInfo, RateLimit, RateLimitScope, ResponseKind};
pub use request::Upload;
pub use retry::RetryPolicy;
pub use server::Server;
pub use state::{StateValue, TypedValue};

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::request::{Body, RawResponse, Request};
}
