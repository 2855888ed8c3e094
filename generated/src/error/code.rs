//! The server's `errorCode` values.

use std::fmt;

/// The server's `errorCode`. Unknown codes are kept in [`ErrorCode::Other`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// `AUTHENTICATION_ERROR`: login refused.
    AuthenticationError,
    /// `RESOURCE_ACCESS_DENIED`: not authenticated, not allowed, or throttled.
    ResourceAccessDenied,
    /// `UNSPECIFIED_ERROR`: see the message.
    UnspecifiedError,
    /// `INVALID_FIELD_VALUE`: a parameter was refused.
    InvalidFieldValue,
    /// `INVALID_API_CALL`: no such operation or resource.
    InvalidApiCall,
    /// `UNSUPPORTED_OPERATION`: e.g. a command the device does not have.
    UnsupportedOperation,
    /// `NO_SUCH_RESSOURCE` (sic): the named object does not exist.
    NoSuchResource,
    /// `NO_SUCH_ACTION_GROUP`.
    NoSuchActionGroup,
    /// `NO_SUCH_DEVICE` (local API).
    NoSuchDevice,
    /// `EXEC_QUEUE_FULL`: the gateway's execution queue is full.
    ExecQueueFull,
    /// `MISSING_PARAMETERS` (local API): a required parameter is missing or malformed.
    MissingParameters,
    /// `INVALID_PARAMETER` (local API): a parameter was refused.
    InvalidParameter,
    /// `DUPLICATE_FIELD_OR_VALUE` (local API): e.g. another action on the same device.
    DuplicateFieldOrValue,
    /// `DBUS_ERROR` (local API): the gateway failed internally.
    DbusError,
    /// A code this version does not know, as sent.
    Other(String),
}

/// Every known code with its wire text.
const CODES: &[(ErrorCode, &str)] = &[
    (ErrorCode::AuthenticationError, "AUTHENTICATION_ERROR"),
    (ErrorCode::ResourceAccessDenied, "RESOURCE_ACCESS_DENIED"),
    (ErrorCode::UnspecifiedError, "UNSPECIFIED_ERROR"),
    (ErrorCode::InvalidFieldValue, "INVALID_FIELD_VALUE"),
    (ErrorCode::InvalidApiCall, "INVALID_API_CALL"),
    (ErrorCode::UnsupportedOperation, "UNSUPPORTED_OPERATION"),
    (ErrorCode::NoSuchResource, "NO_SUCH_RESSOURCE"),
    (ErrorCode::NoSuchActionGroup, "NO_SUCH_ACTION_GROUP"),
    (ErrorCode::NoSuchDevice, "NO_SUCH_DEVICE"),
    (ErrorCode::ExecQueueFull, "EXEC_QUEUE_FULL"),
    (ErrorCode::MissingParameters, "MISSING_PARAMETERS"),
    (ErrorCode::InvalidParameter, "INVALID_PARAMETER"),
    (ErrorCode::DuplicateFieldOrValue, "DUPLICATE_FIELD_OR_VALUE"),
    (ErrorCode::DbusError, "DBUS_ERROR"),
];

impl ErrorCode {
    /// The code as sent by the server.
    pub fn as_str(&self) -> &str {
        if let ErrorCode::Other(code) = self {
            return code;
        }
        CODES
            .iter()
            .find(|(code, _)| code == self)
            .map_or("", |(_, text)| text)
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> ErrorCode {
        if code == "NO_SUCH_RESOURCE" {
            return ErrorCode::NoSuchResource;
        }
        CODES
            .iter()
            .find(|(_, text)| *text == code)
            .map_or_else(|| ErrorCode::Other(code.to_owned()), |(c, _)| c.clone())
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_codes_round_trip() {
        for (code, text) in CODES {
            assert_eq!(ErrorCode::from(*text), *code);
            assert_eq!(code.as_str(), *text);
        }
        assert_eq!(
            ErrorCode::from("NO_SUCH_RESOURCE"),
            ErrorCode::NoSuchResource
        );
        assert_eq!(
            ErrorCode::from("SOMETHING_NEW"),
            ErrorCode::Other("SOMETHING_NEW".into())
        );
        assert_eq!(ErrorCode::from("SOMETHING_NEW").as_str(), "SOMETHING_NEW");
    }
}
