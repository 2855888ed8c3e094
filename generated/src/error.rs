//! Errors of the client.
//!
//! The server answers failures with `{"errorCode": "...", "error": "..."}`; the code
//! alone is too coarse (`RESOURCE_ACCESS_DENIED` means "not authenticated", "too many
//! concurrent requests" or a real denial), so, like pyoverkiz, [`Error::kind`] reads the
//! code and the message together. Maintenance pages and proxy errors arrive as HTML or
//! empty bodies and become [`Error::Unavailable`].

use std::fmt;
use std::time::Duration;

use crate::auth::BoxError;
use crate::operation::OperationInfo;

/// Longest body excerpt kept in an error.
const EXCERPT_CHARS: usize = 200;
/// Longest server message kept in an error.
const MESSAGE_CHARS: usize = 1000;

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
    /// `EXEC_QUEUE_FULL`: the gateway's execution queue is full.
    ExecQueueFull,
    /// A code this version does not know, as sent.
    Other(String),
}

impl ErrorCode {
    /// The code as sent by the server.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::AuthenticationError => "AUTHENTICATION_ERROR",
            ErrorCode::ResourceAccessDenied => "RESOURCE_ACCESS_DENIED",
            ErrorCode::UnspecifiedError => "UNSPECIFIED_ERROR",
            ErrorCode::InvalidFieldValue => "INVALID_FIELD_VALUE",
            ErrorCode::InvalidApiCall => "INVALID_API_CALL",
            ErrorCode::UnsupportedOperation => "UNSUPPORTED_OPERATION",
            ErrorCode::NoSuchResource => "NO_SUCH_RESSOURCE",
            ErrorCode::NoSuchActionGroup => "NO_SUCH_ACTION_GROUP",
            ErrorCode::ExecQueueFull => "EXEC_QUEUE_FULL",
            ErrorCode::Other(code) => code,
        }
    }
}

impl From<&str> for ErrorCode {
    fn from(code: &str) -> ErrorCode {
        match code {
            "AUTHENTICATION_ERROR" => ErrorCode::AuthenticationError,
            "RESOURCE_ACCESS_DENIED" => ErrorCode::ResourceAccessDenied,
            "UNSPECIFIED_ERROR" => ErrorCode::UnspecifiedError,
            "INVALID_FIELD_VALUE" => ErrorCode::InvalidFieldValue,
            "INVALID_API_CALL" => ErrorCode::InvalidApiCall,
            "UNSUPPORTED_OPERATION" => ErrorCode::UnsupportedOperation,
            "NO_SUCH_RESSOURCE" | "NO_SUCH_RESOURCE" => ErrorCode::NoSuchResource,
            "NO_SUCH_ACTION_GROUP" => ErrorCode::NoSuchActionGroup,
            "EXEC_QUEUE_FULL" => ErrorCode::ExecQueueFull,
            other => ErrorCode::Other(other.to_owned()),
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What went wrong, in terms a caller can act on. See [`Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    // --- client side ---
    /// The server could not be reached or the connection broke.
    Transport,
    /// The call took longer than the configured timeout.
    Timeout,
    /// The request body could not be serialized.
    Encode,
    /// The answer could not be decoded.
    Decode,
    /// The call's arguments cannot form a request (e.g. an empty path argument).
    InvalidRequest,
    /// The client is misconfigured (bad URL, certificate, ...).
    Config,
    /// The user's [`crate::TokenSource`] failed.
    TokenSource,
    /// An execution did not reach a final state in the time allowed
    /// ([`Error::ExecutionTimeout`]). Not retryable: sending the launch again would
    /// run the commands twice.
    ExecutionTimeout,

    // --- authentication ---
    /// No valid session (`Not authenticated`): the session expired; log in again.
    NotAuthenticated,
    /// No token or session was sent (`Missing authorization token.`).
    MissingAuthorizationToken,
    /// Wrong user name or password (`Bad credentials`).
    BadCredentials,
    /// The account does not exist (`No such user account`).
    UnknownUser,
    /// This setup requires an API key at login.
    MissingApiKey,
    /// The setup cannot be used through this application (wrong vendor server).
    ApplicationNotAllowed,
    /// Too many attempts with an invalid token: temporarily banned.
    TooManyAttemptsBanned,
    /// A session cookie and a bearer token were both sent.
    SessionAndBearerConflict,
    /// Login refused for a reason not recognised.
    AuthenticationFailed,

    // --- throttling ---
    /// Too many requests (often logins): wait before trying again.
    TooManyRequests,
    /// Too many requests in flight for this session.
    TooManyConcurrentRequests,
    /// The server is busy with too many executions.
    TooManyExecutions,
    /// The gateway's execution queue is full (10 executions at most).
    ExecutionQueueFull,

    // --- missing objects ---
    /// No such resource (wrong path or object).
    NoSuchResource,
    /// No such device or controllable.
    NoSuchDevice,
    /// No such action group.
    NoSuchActionGroup,
    /// The action group's setup could not be determined (unknown gateway).
    ActionGroupSetupNotFound,
    /// No such command on this device.
    NoSuchCommand,
    /// No such UI profile or form factor.
    NoSuchUiProfile,
    /// No such (local API) token.
    NoSuchToken,
    /// Invalid (local API) token.
    InvalidToken,
    /// The event listener id is invalid or expired: register a new listener.
    InvalidEventListener,
    /// No event listener is registered: register one.
    NoRegisteredEventListener,

    // --- permissions ---
    /// Access to this gateway is denied for this action.
    AccessDeniedToGateway,
    /// Access denied (security exception, setup mismatch, ...).
    AccessDenied,

    // --- server state ---
    /// The service is down for maintenance.
    Maintenance,
    /// The service or a proxy in front of it is unavailable (502/503, empty body).
    Unavailable,
    /// The server refused a parameter.
    BadRequest,
    /// An error the client does not recognise.
    Unknown,
}

impl ErrorKind {
    /// True when the same call may succeed later, unchanged (after a wait).
    pub fn is_retryable(self) -> bool {
        matches!(
            self,
            ErrorKind::Transport
                | ErrorKind::Timeout
                | ErrorKind::Maintenance
                | ErrorKind::Unavailable
                | ErrorKind::TooManyRequests
                | ErrorKind::TooManyConcurrentRequests
                | ErrorKind::TooManyExecutions
                | ErrorKind::ExecutionQueueFull
                | ErrorKind::TooManyAttemptsBanned
        )
    }

    /// True for throttling by the server (reported as [`Error::RateLimited`]).
    pub fn is_rate_limit(self) -> bool {
        matches!(
            self,
            ErrorKind::TooManyRequests
                | ErrorKind::TooManyConcurrentRequests
                | ErrorKind::TooManyExecutions
                | ErrorKind::TooManyAttemptsBanned
        )
    }

    /// True when logging in again may cure the error.
    pub fn needs_login(self) -> bool {
        matches!(
            self,
            ErrorKind::NotAuthenticated | ErrorKind::MissingAuthorizationToken
        )
    }
}

/// Classifies an error answer from its message, code and status, in that order of
/// trust: messages are the most specific, statuses the least (proxies rewrite them).
pub(crate) fn classify(status: u16, code: Option<&ErrorCode>, message: &str) -> ErrorKind {
    let m = message.to_ascii_lowercase();
    let has = |needle: &str| m.contains(needle);
    // Most specific phrases first: e.g. "too many requests ... login" is throttling,
    // not a login problem.
    let by_message = if has("too many concurrent requests") {
        Some(ErrorKind::TooManyConcurrentRequests)
    } else if has("too many executions") {
        Some(ErrorKind::TooManyExecutions)
    } else if has("temporarily banned") || has("too many attempts") {
        Some(ErrorKind::TooManyAttemptsBanned)
    } else if has("too many requests") {
        Some(ErrorKind::TooManyRequests)
    } else if has("execution queue is full") {
        Some(ErrorKind::ExecutionQueueFull)
    } else if has("not authenticated") {
        Some(ErrorKind::NotAuthenticated)
    } else if has("missing authorization token") {
        Some(ErrorKind::MissingAuthorizationToken)
    } else if has("bad credentials") {
        Some(ErrorKind::BadCredentials)
    } else if has("no such user account") {
        Some(ErrorKind::UnknownUser)
    } else if has("api key is required") {
        Some(ErrorKind::MissingApiKey)
    } else if has("cannot be accessed through this application") {
        Some(ErrorKind::ApplicationNotAllowed)
    } else if has("jsessionid and bearer") {
        Some(ErrorKind::SessionAndBearerConflict)
    } else if has("no registered event listener") {
        Some(ErrorKind::NoRegisteredEventListener)
    } else if has("invalid event listener") {
        Some(ErrorKind::InvalidEventListener)
    } else if has("not such token") || has("no such token") {
        Some(ErrorKind::NoSuchToken)
    } else if has("invalid token") {
        Some(ErrorKind::InvalidToken)
    } else if has("access denied to gateway") {
        Some(ErrorKind::AccessDeniedToGateway)
    } else if has("unable to determine action group setup") {
        Some(ErrorKind::ActionGroupSetupNotFound)
    } else if has("no such action group") {
        Some(ErrorKind::NoSuchActionGroup)
    } else if has("no such command") {
        Some(ErrorKind::NoSuchCommand)
    } else if has("ui profile") && has("no such") {
        Some(ErrorKind::NoSuchUiProfile)
    } else if has("no such controllable") || has("no such device") || has("unknown device") {
        Some(ErrorKind::NoSuchDevice)
    } else if has("no such resource") || has("no such ressource") {
        Some(ErrorKind::NoSuchResource)
    } else if has("maintenance") {
        Some(ErrorKind::Maintenance)
    } else {
        None
    };
    if let Some(kind) = by_message {
        return kind;
    }
    let by_code = match code {
        Some(ErrorCode::AuthenticationError) => Some(ErrorKind::AuthenticationFailed),
        Some(ErrorCode::ResourceAccessDenied) => Some(ErrorKind::AccessDenied),
        Some(ErrorCode::ExecQueueFull) => Some(ErrorKind::ExecutionQueueFull),
        Some(ErrorCode::NoSuchActionGroup) => Some(ErrorKind::NoSuchActionGroup),
        Some(ErrorCode::NoSuchResource | ErrorCode::InvalidApiCall) => {
            Some(ErrorKind::NoSuchResource)
        }
        Some(ErrorCode::InvalidFieldValue | ErrorCode::UnsupportedOperation) => {
            Some(ErrorKind::BadRequest)
        }
        _ => None,
    };
    if let Some(kind) = by_code {
        return kind;
    }
    match status {
        401 => ErrorKind::NotAuthenticated,
        403 => ErrorKind::AccessDenied,
        404 => ErrorKind::NoSuchResource,
        429 => ErrorKind::TooManyRequests,
        400 | 405..=428 | 430..=499 => ErrorKind::BadRequest,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Unknown,
    }
}

/// An error answer of the API: HTTP status, `errorCode` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: u16,
    code: Option<ErrorCode>,
    message: String,
    kind: ErrorKind,
}

impl ApiError {
    /// Builds and classifies an error answer.
    pub fn new(status: u16, code: Option<ErrorCode>, message: impl Into<String>) -> ApiError {
        let message = truncate(message.into().trim(), MESSAGE_CHARS);
        let kind = classify(status, code.as_ref(), &message);
        ApiError {
            status,
            code,
            message,
            kind,
        }
    }

    /// HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The server's `errorCode`, if it sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.code.as_ref()
    }

    /// The server's message (`error`), or an excerpt of a body without one.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The classification of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// Everything that can go wrong when calling the API.
///
/// Use [`Error::kind`] to decide what to do, [`Error::is_retryable`] to know whether
/// waiting may help, and [`Error::retry_after`] for how long the server asked to wait.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The server could not be reached, or the connection broke.
    #[error("{operation}: cannot reach the server: {source}")]
    Transport {
        /// The operation called.
        operation: &'static OperationInfo,
        /// Cause (its URL removed).
        source: reqwest::Error,
    },
    /// The call timed out.
    #[error("{operation}: timed out{}", if *connect { " while connecting" } else { "" })]
    Timeout {
        /// The operation called.
        operation: &'static OperationInfo,
        /// True when connecting timed out, so the request was never sent.
        connect: bool,
        /// Cause (its URL removed).
        source: reqwest::Error,
    },
    /// The server answered with an error.
    #[error("{operation}: {error}")]
    Api {
        /// The operation called.
        operation: &'static OperationInfo,
        /// Status, code and message.
        error: ApiError,
    },
    /// The server throttled the call (HTTP 429 or a "too many ..." error).
    #[error("{operation}: rate limited ({error}){}", fmt_retry_after(*retry_after))]
    RateLimited {
        /// The operation called.
        operation: &'static OperationInfo,
        /// Status, code and message.
        error: ApiError,
        /// How long the server asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// The service is down for maintenance or a proxy could not reach it (HTML or
    /// empty answer, 502/503).
    #[error("{operation}: server unavailable (HTTP {status}{}){}", if *maintenance { ", maintenance" } else { "" }, fmt_retry_after(*retry_after))]
    Unavailable {
        /// The operation called.
        operation: &'static OperationInfo,
        /// HTTP status code.
        status: u16,
        /// True when the page says the service is under maintenance.
        maintenance: bool,
        /// How long the server asked to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
    },
    /// An answer could not be decoded.
    #[error("{operation}: cannot decode the answer: {message} (body: {excerpt:?})")]
    Decode {
        /// The operation called.
        operation: &'static OperationInfo,
        /// The decoder's message.
        message: String,
        /// The start of the body (at most 200 characters, secrets masked).
        excerpt: String,
    },
    /// A request body could not be serialized.
    #[error("{operation}: cannot encode the request: {source}")]
    Encode {
        /// The operation called.
        operation: &'static OperationInfo,
        /// Cause.
        source: serde_json::Error,
    },
    /// The arguments of a call cannot form a request.
    #[error("{operation}: invalid request: {message}")]
    InvalidRequest {
        /// The operation called.
        operation: &'static OperationInfo,
        /// What is wrong.
        message: String,
    },
    /// The client is misconfigured.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong.
        message: String,
    },
    /// The user's [`crate::TokenSource`] failed.
    #[error("the token source failed: {source}")]
    TokenSource {
        /// Cause.
        source: BoxError,
    },
    /// An execution did not reach a final state (`COMPLETED`, `FAILED`) in the time
    /// allowed (see [`crate::Client::wait_for_execution`]). It may still be running.
    #[error("the execution did not finish within {} s (last state seen: {})", timeout.as_secs_f64(), last_state.as_deref().unwrap_or("none"))]
    ExecutionTimeout {
        /// The execution followed.
        exec_id: String,
        /// The time allowed.
        timeout: Duration,
        /// The last state its events announced, if any arrived.
        last_state: Option<String>,
    },
}

fn fmt_retry_after(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(", retry after {} s", wait.as_secs_f64()),
        None => String::new(),
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Operations print as `GET /path`, not as their whole description.
        let op = |op: &OperationInfo| op.to_string();
        match self {
            Error::Transport { operation, source } => f
                .debug_struct("Transport")
                .field("operation", &op(operation))
                .field("source", source)
                .finish(),
            Error::Timeout {
                operation,
                connect,
                source,
            } => f
                .debug_struct("Timeout")
                .field("operation", &op(operation))
                .field("connect", connect)
                .field("source", source)
                .finish(),
            Error::Api { operation, error } => f
                .debug_struct("Api")
                .field("operation", &op(operation))
                .field("error", error)
                .finish(),
            Error::RateLimited {
                operation,
                error,
                retry_after,
            } => f
                .debug_struct("RateLimited")
                .field("operation", &op(operation))
                .field("error", error)
                .field("retry_after", retry_after)
                .finish(),
            Error::Unavailable {
                operation,
                status,
                maintenance,
                retry_after,
            } => f
                .debug_struct("Unavailable")
                .field("operation", &op(operation))
                .field("status", status)
                .field("maintenance", maintenance)
                .field("retry_after", retry_after)
                .finish(),
            Error::Decode {
                operation,
                message,
                excerpt,
            } => f
                .debug_struct("Decode")
                .field("operation", &op(operation))
                .field("message", message)
                .field("excerpt", excerpt)
                .finish(),
            Error::Encode { operation, source } => f
                .debug_struct("Encode")
                .field("operation", &op(operation))
                .field("source", source)
                .finish(),
            Error::InvalidRequest { operation, message } => f
                .debug_struct("InvalidRequest")
                .field("operation", &op(operation))
                .field("message", message)
                .finish(),
            Error::Config { message } => {
                f.debug_struct("Config").field("message", message).finish()
            }
            Error::TokenSource { source } => f
                .debug_struct("TokenSource")
                .field("source", source)
                .finish(),
            Error::ExecutionTimeout {
                exec_id,
                timeout,
                last_state,
            } => f
                .debug_struct("ExecutionTimeout")
                .field("exec_id", exec_id)
                .field("timeout", timeout)
                .field("last_state", last_state)
                .finish(),
        }
    }
}

impl Error {
    /// Called by generated code when a request body cannot be serialized.
    pub(crate) fn encode(op: &'static OperationInfo, source: serde_json::Error) -> Error {
        Error::Encode {
            operation: op,
            source,
        }
    }

    /// Called by generated code when an answer cannot be decoded.
    pub(crate) fn decode(
        op: &'static OperationInfo,
        body: &[u8],
        source: impl std::error::Error,
    ) -> Error {
        Error::Decode {
            operation: op,
            message: source.to_string(),
            excerpt: excerpt(body),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Error {
        Error::Config {
            message: message.into(),
        }
    }

    pub(crate) fn invalid_request(op: &'static OperationInfo, message: impl Into<String>) -> Error {
        Error::InvalidRequest {
            operation: op,
            message: message.into(),
        }
    }

    /// Maps a reqwest failure, dropping its URL (it may carry query values).
    pub(crate) fn from_reqwest(op: &'static OperationInfo, source: reqwest::Error) -> Error {
        let source = source.without_url();
        if source.is_timeout() {
            Error::Timeout {
                operation: op,
                connect: source.is_connect(),
                source,
            }
        } else {
            Error::Transport {
                operation: op,
                source,
            }
        }
    }

    /// Maps an answer with a non-success status.
    pub(crate) fn from_response(
        op: &'static OperationInfo,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
    ) -> Error {
        if let Some((code, message)) = parse_error_body(body) {
            let error = ApiError::new(status, code, message);
            return if status == 429 || error.kind.is_rate_limit() {
                Error::RateLimited {
                    operation: op,
                    error,
                    retry_after,
                }
            } else {
                Error::Api {
                    operation: op,
                    error,
                }
            };
        }
        let text = String::from_utf8_lossy(body);
        let lower = text.to_ascii_lowercase();
        let maintenance = lower.contains("maintenance");
        let html = lower.trim_start().starts_with('<');
        if status == 429 {
            let error = ApiError::new(status, None, excerpt(body));
            Error::RateLimited {
                operation: op,
                error,
                retry_after,
            }
        } else if status >= 500 || maintenance || html {
            Error::Unavailable {
                operation: op,
                status,
                maintenance,
                retry_after,
            }
        } else {
            Error::Api {
                operation: op,
                error: ApiError::new(status, None, excerpt(body)),
            }
        }
    }

    /// What went wrong, classified from the server's code, message and status.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::Api { error, .. } | Error::RateLimited { error, .. } => error.kind,
            Error::Unavailable {
                maintenance: true, ..
            } => ErrorKind::Maintenance,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Encode { .. } => ErrorKind::Encode,
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Error::Config { .. } => ErrorKind::Config,
            Error::TokenSource { .. } => ErrorKind::TokenSource,
            Error::ExecutionTimeout { .. } => ErrorKind::ExecutionTimeout,
        }
    }

    /// True when the same call may succeed later, unchanged. The client already
    /// retries idempotent calls a few times (see [`crate::RetryPolicy`]).
    pub fn is_retryable(&self) -> bool {
        self.kind().is_retryable()
    }

    /// How long the server asked to wait (`Retry-After`), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Unavailable { retry_after, .. } => {
                *retry_after
            }
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { error, .. } | Error::RateLimited { error, .. } => Some(error.status),
            Error::Unavailable { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's error answer, when there was one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { error, .. } | Error::RateLimited { error, .. } => Some(error),
            _ => None,
        }
    }

    /// The operation that failed, when the error comes from a call.
    pub fn operation(&self) -> Option<&'static OperationInfo> {
        match self {
            Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::Api { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::Unavailable { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Encode { operation, .. }
            | Error::InvalidRequest { operation, .. } => Some(operation),
            Error::Config { .. } | Error::TokenSource { .. } | Error::ExecutionTimeout { .. } => {
                None
            }
        }
    }
}

/// Reads `{"errorCode": ..., "error": ...}`; `None` when the body is not such an object.
fn parse_error_body(body: &[u8]) -> Option<(Option<ErrorCode>, String)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    let code = object
        .get("errorCode")
        .and_then(|c| c.as_str())
        .map(ErrorCode::from);
    let message = object
        .get("error")
        .or_else(|| object.get("message"))
        .and_then(|m| m.as_str());
    if code.is_none() && message.is_none() {
        return None;
    }
    // Some messages arrive quoted twice: "\"No registered event listener.\"".
    let message = message
        .unwrap_or_default()
        .trim()
        .trim_matches('"')
        .to_owned();
    Some((code, message))
}

/// Keys whose values are masked in excerpts.
fn is_sensitive_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "token",
        "password",
        "secret",
        "jwt",
        "apikey",
        "api_key",
        "session",
        "cookie",
        "authorization",
        "credential",
    ]
    .iter()
    .any(|needle| key.contains(needle))
}

fn mask(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_sensitive_key(key) && !value.is_null() {
                    *value = serde_json::Value::String("***".into());
                } else {
                    mask(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// A short, single-line, secret-free start of a body for error messages.
pub(crate) fn excerpt(body: &[u8]) -> String {
    let text = match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            mask(&mut value);
            value.to_string()
        }
        Err(_) => String::from_utf8_lossy(body).into_owned(),
    };
    let single_line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    truncate(&single_line, EXCERPT_CHARS)
}

fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::{HttpMethod, ResponseKind};

    static OP: OperationInfo = OperationInfo {
        name: "get_setup",
        method: HttpMethod::Get,
        path: "/setup",
        summary: "",
        deprecated_since: None,
        rate_limit: None,
        status: 200,
        response: ResponseKind::Json,
        content_type: "application/json",
        events: &[],
        idempotency: crate::Idempotency::SafeRead,
    };

    #[test]
    fn error_codes_round_trip() {
        for code in [
            "AUTHENTICATION_ERROR",
            "RESOURCE_ACCESS_DENIED",
            "UNSPECIFIED_ERROR",
            "INVALID_FIELD_VALUE",
            "INVALID_API_CALL",
            "UNSUPPORTED_OPERATION",
            "NO_SUCH_RESSOURCE",
            "NO_SUCH_ACTION_GROUP",
            "EXEC_QUEUE_FULL",
            "SOMETHING_NEW",
        ] {
            assert_eq!(ErrorCode::from(code).as_str(), code);
        }
        assert_eq!(
            ErrorCode::from("SOMETHING_NEW"),
            ErrorCode::Other("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn excerpts_are_short_single_line_and_masked() {
        let long = "x".repeat(1000);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(b"a\n  b\tc"), "a b c");
        let masked =
            excerpt(br#"{"token":"abc-SECRET","nested":[{"userPassword":"pw-SECRET"}],"ok":1}"#);
        assert!(!masked.contains("SECRET"), "{masked}");
        assert!(masked.contains("\"ok\":1"), "{masked}");
        assert_eq!(excerpt(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
    }

    #[test]
    fn decode_error_carries_operation_and_excerpt() {
        let source = serde_json::from_str::<u32>("\"x\"").unwrap_err();
        let error = Error::decode(&OP, "y".repeat(500).as_bytes(), source);
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert_eq!(error.operation().map(|o| o.path), Some("/setup"));
        let Error::Decode { excerpt, .. } = &error else {
            panic!("decode error expected")
        };
        assert!(excerpt.chars().count() <= EXCERPT_CHARS + 1);
        assert!(error.to_string().starts_with("GET /setup: cannot decode"));
        assert!(format!("{error:?}").contains("GET /setup"));
    }

    #[test]
    fn status_only_answers() {
        let kind = |status, body: &[u8]| Error::from_response(&OP, status, None, body).kind();
        assert_eq!(kind(401, b""), ErrorKind::NotAuthenticated);
        assert_eq!(kind(403, b""), ErrorKind::AccessDenied);
        assert_eq!(kind(404, b"Not Found"), ErrorKind::NoSuchResource);
        assert_eq!(kind(400, b"bad"), ErrorKind::BadRequest);
        assert_eq!(kind(429, b""), ErrorKind::TooManyRequests);
        assert_eq!(kind(500, b"oops"), ErrorKind::Unavailable);
        assert_eq!(kind(504, b""), ErrorKind::Unavailable);
        assert_eq!(kind(418, br#"{"unrelated":true}"#), ErrorKind::BadRequest);
        assert_eq!(
            kind(400, br#"{"errorCode":"BRAND_NEW","error":"?"}"#),
            ErrorKind::BadRequest
        );
        assert_eq!(
            kind(200, br#"{"errorCode":"BRAND_NEW","error":"?"}"#),
            ErrorKind::Unknown
        );
    }
}
