//! Typed Rust client for the Overkiz End-User API: the cloud and local API behind
//! Somfy TaHoma, Atlantic/Thermor/Sauter Cozytouch, Hitachi Hi Kumo, Nexity, Rexel and
//! other smart-home gateways.
//!
//! The API surface (types, events, one method per operation) is generated from the
//! Overkiz documentation by `cargo xtask codegen`; the runtime (client,
//! authentication, errors, event stream) is written by hand.

mod client;
mod de;
mod error;
mod operation;
mod request;

pub use client::Client;
pub use error::Error;
pub use operation::{HttpMethod, OperationInfo, RateLimit, RateLimitScope, ResponseKind};
pub use request::Upload;

/// Items the generated code uses; not part of the public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::request::{Body, RawResponse, Request};
}
