//! The client. (Stub: replaced by the runtime work.)

use crate::request::{RawResponse, Request};
use crate::Error;

/// A client of one Overkiz server.
#[derive(Debug, Clone)]
pub struct Client {}

impl Client {
    /// Sends one documented operation and returns its raw successful answer.
    #[doc(hidden)]
    pub async fn execute(&self, request: Request<'_>) -> Result<RawResponse, Error> {
        let _ = request;
        unimplemented!("runtime not written yet")
    }
}
