//! Errors of the client. (Stub: replaced by the runtime work.)

use crate::operation::OperationInfo;

/// Everything that can go wrong when calling the API.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A request body could not be serialized.
    #[error("cannot encode the request of {operation}: {source}")]
    Encode {
        /// `METHOD /path` of the operation.
        operation: String,
        /// Cause.
        source: serde_json::Error,
    },
    /// An answer could not be decoded.
    #[error("cannot decode the answer of {operation}: {message}")]
    Decode {
        /// `METHOD /path` of the operation.
        operation: String,
        /// Cause.
        message: String,
    },
}

impl Error {
    pub(crate) fn encode(op: &OperationInfo, source: serde_json::Error) -> Error {
        Error::Encode { operation: op.to_string(), source }
    }

    pub(crate) fn decode(op: &OperationInfo, _body: &[u8], source: impl std::error::Error) -> Error {
        Error::Decode { operation: op.to_string(), message: source.to_string() }
    }
}
