//! Layer 6, tools built on the client: setup diagnostics and gateway discovery.

#[cfg(feature = "diagnostics")]
pub mod diagnostics;
#[cfg(feature = "discovery")]
pub(crate) mod discovery;
