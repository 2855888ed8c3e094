//! Errors of the client: [`Error`] (what failed, with its context), [`ErrorKind`]
//! (what a caller can do about it), [`ApiError`] and [`ErrorCode`] (the server's
//! answer).
//!
//! - `code.rs`: the wire codes;
//! - `kind.rs`: the kind taxonomy and the table that classifies answers;
//! - `api.rs`: error answers, and reading bodies safely;
//! - this file: the [`Error`] type.
//!
//! Every text taken from the network is masked of secrets before it is stored (see
//! `crate::value::redact`), so `Display` and `Debug` are safe to log.

mod api;
mod code;
mod kind;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

pub use api::ApiError;
pub(crate) use api::{excerpt, is_error_body, parse_error_body};
pub use code::ErrorCode;
pub use kind::ErrorKind;

use crate::value::gap::GapReason;
use crate::value::operation::OperationInfo;
use crate::value::redact::Redactor;

/// A boxed error of the application's own (what a [`crate::Credentials::from_fn`]
/// closure returns).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Everything that can go wrong when calling the API.
///
/// - [`Error::kind`] says what went wrong in terms a caller can act on;
/// - [`Error::is_retryable`] whether the same call may succeed later;
/// - [`Error::retry_after`] how long to wait, when the server or the client said.
///
/// # What the client already did before returning an error
///
/// - Calls that only read ([`crate::Idempotency::SafeRead`]) or set a value
///   ([`crate::Idempotency::IdempotentWrite`]) were resent after transient failures,
///   a bounded number of times ([`crate::RetryPolicy`]).
/// - Calls that act ([`crate::Idempotency::Acts`]: commands, firmware updates, ...)
///   were resent only when the request provably never reached the server. A failure
///   after it may have arrived is [`ErrorKind::OutcomeUnknown`], which is *not*
///   retryable: check the setup or the execution history before sending it again.
/// - An expired session was renewed once and the call resent once.
/// - A failed sign-in (bad credentials, unknown user, ban, throttled login, a new
///   session refused at once) starts a cool-down, doubled by each further failure up
///   to an hour: calls fail fast with [`Error::LoginFailed`] and send nothing until it
///   ends or [`crate::Client::reset_login`] / [`crate::Client::set_credentials`].
///   [`Error::needs_new_credentials`] says when only new credentials can help.
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
    /// A call that acts failed after the request may have reached the server: it may
    /// or may not have been carried out, and it was not sent again.
    #[error("{operation}: outcome unknown, the call may have been carried out ({cause})")]
    OutcomeUnknown {
        /// The operation called.
        operation: &'static OperationInfo,
        /// The failure (a timeout, a broken connection, a 502 or 504 answer).
        #[source]
        cause: Box<Error>,
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
    /// empty 5xx answer).
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
    /// The server answered with a redirect. No documented operation redirects, and
    /// following one could send a body (the login form carries the password) to
    /// another server, so the client never follows them: check the server URL.
    #[error("{operation}: unexpected redirect (HTTP {status}); check the server URL")]
    Redirected {
        /// The operation called.
        operation: &'static OperationInfo,
        /// HTTP status code (3xx).
        status: u16,
    },
    /// The answer was larger than allowed; reading stopped at the limit.
    #[error("{operation}: the answer is larger than {limit} bytes")]
    ResponseTooLarge {
        /// The operation called.
        operation: &'static OperationInfo,
        /// The limit in bytes.
        limit: u64,
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
    /// The closure of [`crate::Credentials::from_fn`] (or a deprecated
    /// `TokenSource`) failed.
    #[error("the token source failed: {source}")]
    TokenSource {
        /// Cause.
        source: BoxError,
    },
    /// A vendor's sign-in service (Somfy accounts, Atlantic, Nexity, ...) failed or
    /// refused the credentials; `kind` says how (bad credentials, throttled,
    /// unavailable, ...). The message is the vendor's, masked of secrets.
    #[error("{service} sign-in ({step}): {message}{}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    SignInService {
        /// The vendor (`"Somfy"`).
        service: &'static str,
        /// The step that failed (`"token"`, `"jwt"`).
        step: &'static str,
        /// What happened.
        kind: ErrorKind,
        /// The HTTP status of the vendor's answer, if there was one.
        status: Option<u16>,
        /// The vendor's message or a description, secrets masked.
        message: String,
    },
    /// Signing in failed. Every call waiting for the same sign-in gets this error,
    /// and so does every call until `retry_in` has passed: the client does not sign
    /// in again by itself before (Overkiz bans accounts that retry logins).
    #[error("sign-in failed: {cause}{}", match retry_in { Some(wait) => format!("; no new attempt for {} s unless the credentials change or reset_login() is called", wait.as_secs()), None => String::new() })]
    LoginFailed {
        /// What the sign-in attempt ran into ([`Error::kind`] is its kind).
        #[source]
        cause: Arc<Error>,
        /// How long until the client signs in again by itself.
        retry_in: Option<Duration>,
    },
    /// An execution did not reach a final state (`COMPLETED`, `FAILED`) in the time
    /// allowed (see [`crate::Client::wait_for_execution`]), and looking it up did not
    /// find it finished either. It may still be running.
    #[error("the execution did not finish within {} s (last state seen: {})", timeout.as_secs_f64(), last_state.as_deref().unwrap_or("none"))]
    ExecutionTimeout {
        /// The execution followed.
        exec_id: String,
        /// The time allowed.
        timeout: Duration,
        /// The last state its events announced, if any arrived.
        last_state: Option<String>,
    },
    /// Following a launched execution failed; the execution may still run. Use the
    /// `exec_id` to look it up or cancel it.
    #[error("following execution {exec_id} failed: {source}")]
    Execution {
        /// The execution.
        exec_id: String,
        /// The failure.
        #[source]
        source: Box<Error>,
    },
    /// A launch waited for room on a gateway (see [`crate::ExecutionBudget`]) longer
    /// than allowed ([`crate::ClientBuilder::execution_slot_wait`]): the gateway kept
    /// running its 10 executions. Nothing was sent; launching again later is safe
    /// ([`ErrorKind::ExecutionQueueFull`], retryable).
    #[error("{operation}: no free execution slot on gateway {gateway_id} within {} s ({running} executions running); nothing was sent", waited.as_secs_f64())]
    NoExecutionSlot {
        /// The launch that waited.
        operation: &'static OperationInfo,
        /// The gateway without room.
        gateway_id: String,
        /// How long the launch waited.
        waited: Duration,
        /// The executions known to run on the gateway when the wait ended.
        running: usize,
    },
    /// The event stream may have missed events: the listener was lost and a new one
    /// registered (events in between are gone). Re-read the state you track, each
    /// device rather than the whole setup (`GET /setup` is documented as once a day):
    /// `Home` (feature `live`) does it. The stream goes on after this item.
    #[error("events may have been lost ({reason}); re-read the devices you track")]
    EventsLost {
        /// Why continuity was lost.
        reason: GapReason,
    },
}

fn fmt_retry_after(retry_after: Option<Duration>) -> String {
    match retry_after {
        Some(wait) => format!(", retry after {} s", wait.as_secs_f64()),
        None => String::new(),
    }
}

/// Prints an operation as `GET /path` in `Debug` output.
struct Op(&'static OperationInfo);

impl fmt::Debug for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Operations print as `GET /path`, not as their whole description.
        match self {
            Error::Transport { operation, source } => f
                .debug_struct("Transport")
                .field("operation", &Op(operation))
                .field("source", source)
                .finish(),
            Error::Timeout {
                operation,
                connect,
                source,
            } => f
                .debug_struct("Timeout")
                .field("operation", &Op(operation))
                .field("connect", connect)
                .field("source", source)
                .finish(),
            Error::OutcomeUnknown { operation, cause } => f
                .debug_struct("OutcomeUnknown")
                .field("operation", &Op(operation))
                .field("cause", cause)
                .finish(),
            Error::Api { operation, error } => f
                .debug_struct("Api")
                .field("operation", &Op(operation))
                .field("error", error)
                .finish(),
            Error::RateLimited {
                operation,
                error,
                retry_after,
            } => f
                .debug_struct("RateLimited")
                .field("operation", &Op(operation))
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
                .field("operation", &Op(operation))
                .field("status", status)
                .field("maintenance", maintenance)
                .field("retry_after", retry_after)
                .finish(),
            Error::Redirected { operation, status } => f
                .debug_struct("Redirected")
                .field("operation", &Op(operation))
                .field("status", status)
                .finish(),
            Error::ResponseTooLarge { operation, limit } => f
                .debug_struct("ResponseTooLarge")
                .field("operation", &Op(operation))
                .field("limit", limit)
                .finish(),
            Error::Decode {
                operation,
                message,
                excerpt,
            } => f
                .debug_struct("Decode")
                .field("operation", &Op(operation))
                .field("message", message)
                .field("excerpt", excerpt)
                .finish(),
            Error::Encode { operation, source } => f
                .debug_struct("Encode")
                .field("operation", &Op(operation))
                .field("source", source)
                .finish(),
            Error::InvalidRequest { operation, message } => f
                .debug_struct("InvalidRequest")
                .field("operation", &Op(operation))
                .field("message", message)
                .finish(),
            Error::Config { message } => {
                f.debug_struct("Config").field("message", message).finish()
            }
            Error::TokenSource { source } => f
                .debug_struct("TokenSource")
                .field("source", source)
                .finish(),
            Error::LoginFailed { cause, retry_in } => f
                .debug_struct("LoginFailed")
                .field("cause", cause)
                .field("retry_in", retry_in)
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
            Error::Execution { exec_id, source } => f
                .debug_struct("Execution")
                .field("exec_id", exec_id)
                .field("source", source)
                .finish(),
            Error::NoExecutionSlot {
                operation,
                gateway_id,
                waited,
                running,
            } => f
                .debug_struct("NoExecutionSlot")
                .field("operation", &Op(operation))
                .field("gateway_id", gateway_id)
                .field("waited", waited)
                .field("running", running)
                .finish(),
            Error::EventsLost { reason } => f
                .debug_struct("EventsLost")
                .field("reason", reason)
                .finish(),
            Error::SignInService {
                service,
                step,
                kind,
                status,
                message,
            } => f
                .debug_struct("SignInService")
                .field("service", service)
                .field("step", step)
                .field("kind", kind)
                .field("status", status)
                .field("message", message)
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
            excerpt: excerpt(body, crate::value::redact::redact_shapes),
        }
    }

    /// A failure of a vendor's sign-in service, for [`crate::SignInFlow`]
    /// implementations. Mask secrets in `message` before (the client masks the values
    /// it knows).
    pub fn sign_in_service(
        service: &'static str,
        step: &'static str,
        kind: ErrorKind,
        status: Option<u16>,
        message: impl Into<String>,
    ) -> Error {
        Error::SignInService {
            service,
            step,
            kind,
            status,
            message: crate::value::redact::redact_shapes(&message.into()),
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

    /// Maps an answer with a non-success status (or a 2xx error body), masking the
    /// secrets `redactor` knows.
    pub(crate) fn from_response(
        op: &'static OperationInfo,
        status: u16,
        retry_after: Option<Duration>,
        body: &[u8],
        redactor: &Redactor,
    ) -> Error {
        let redact = |text: &str| redactor.redact(text);
        if let Some((code, message)) = parse_error_body(body) {
            // The whole message is masked before `ApiError::new` cuts it.
            let error = ApiError::new(status, code, redact(&message));
            return if status == 429 || error.kind().is_rate_limit() {
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
        let text = String::from_utf8_lossy(&body[..body.len().min(64 * 1024)]);
        let maintenance = text.to_ascii_lowercase().contains("maintenance");
        if status >= 500 {
            return Error::Unavailable {
                operation: op,
                status,
                maintenance,
                retry_after,
            };
        }
        // Not an Overkiz error body (HTML page, empty, plain text): the status decides,
        // so a 401 page still triggers the one re-login and a 4xx page is not retried.
        let error = ApiError::from_status(status, excerpt(body, redact));
        if status == 429 {
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
        }
    }

    /// What went wrong, classified from the server's code, message and status.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Transport { .. } => ErrorKind::Transport,
            Error::Timeout { .. } => ErrorKind::Timeout,
            Error::OutcomeUnknown { .. } => ErrorKind::OutcomeUnknown,
            Error::Api { error, .. } | Error::RateLimited { error, .. } => error.kind(),
            Error::Unavailable {
                maintenance: true, ..
            } => ErrorKind::Maintenance,
            Error::Unavailable { .. } => ErrorKind::Unavailable,
            Error::Redirected { .. } => ErrorKind::Redirect,
            Error::ResponseTooLarge { .. } => ErrorKind::ResponseTooLarge,
            Error::Decode { .. } => ErrorKind::Decode,
            Error::Encode { .. } => ErrorKind::Encode,
            Error::InvalidRequest { .. } => ErrorKind::InvalidRequest,
            Error::Config { .. } => ErrorKind::Config,
            Error::TokenSource { .. } => ErrorKind::TokenSource,
            Error::LoginFailed { cause, .. } => cause.kind(),
            Error::ExecutionTimeout { .. } => ErrorKind::ExecutionTimeout,
            Error::Execution { source, .. } => source.kind(),
            Error::EventsLost { .. } => ErrorKind::EventsLost,
            Error::NoExecutionSlot { .. } => ErrorKind::ExecutionQueueFull,
            Error::SignInService { kind, .. } => *kind,
        }
    }

    /// True when the same call may succeed later, unchanged, after a wait
    /// ([`Error::retry_after`] when known).
    ///
    /// The client has already resent what was safe to resend (see [`Error`]), so a
    /// caller retrying should wait first. False for [`ErrorKind::OutcomeUnknown`]
    /// (the call may have been carried out), for refused sign-ins, and for
    /// failures while following an execution ([`Error::Execution`],
    /// [`Error::ExecutionTimeout`]): retrying those would act twice or hammer the
    /// login.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::OutcomeUnknown { .. }
            | Error::Execution { .. }
            | Error::ExecutionTimeout { .. }
            | Error::EventsLost { .. } => false,
            Error::LoginFailed { cause, .. } => {
                !cause.kind().is_login_refusal() && cause.is_retryable()
            }
            _ => self.kind().is_retryable(),
        }
    }

    /// True when only new credentials can help: the server or the vendor refused the
    /// password, the user, the token or the refresh token (bad credentials, unknown
    /// user, revoked consent, a refused refresh). An application would start its own
    /// re-authentication here (ask for the password again, open the vendor's
    /// authorization page) and then call [`crate::Client::set_credentials`].
    ///
    /// The client does not give up by itself: it signs in again when the cool-down
    /// ends (it grows with each failure, up to an hour), because some vendors answer
    /// "Bad credentials" during maintenance.
    ///
    /// ```
    /// # async fn demo(client: overkiz::Client) {
    /// match client.login().await {
    ///     Err(error) if error.needs_new_credentials() => { /* ask the user */ }
    ///     Err(error) => eprintln!("sign-in failed, retry in {:?}: {error}", error.retry_after()),
    ///     Ok(()) => {}
    /// }
    /// # }
    /// ```
    pub fn needs_new_credentials(&self) -> bool {
        match self {
            // Only refusals of the credentials: a failure while following an
            // execution or a call's own error is not about them.
            Error::LoginFailed { cause, .. } => cause.needs_new_credentials(),
            Error::SignInService { kind, .. } => kind.needs_new_credentials(),
            Error::Api { .. } | Error::RateLimited { .. } => self.kind().needs_new_credentials(),
            _ => false,
        }
    }

    /// How long to wait before trying again: the server's `Retry-After`, or the
    /// remaining sign-in cool-down.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::RateLimited { retry_after, .. } | Error::Unavailable { retry_after, .. } => {
                *retry_after
            }
            Error::LoginFailed { retry_in, cause } => retry_in.or_else(|| cause.retry_after()),
            Error::OutcomeUnknown { cause, .. } => cause.retry_after(),
            Error::Execution { source, .. } => source.retry_after(),
            _ => None,
        }
    }

    /// The HTTP status of the answer, when there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { error, .. } | Error::RateLimited { error, .. } => Some(error.status()),
            Error::Unavailable { status, .. } | Error::Redirected { status, .. } => Some(*status),
            Error::SignInService { status, .. } => *status,
            Error::OutcomeUnknown { cause, .. } => cause.status(),
            Error::LoginFailed { cause, .. } => cause.status(),
            Error::Execution { source, .. } => source.status(),
            _ => None,
        }
    }

    /// The server's error answer, when there was one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { error, .. } | Error::RateLimited { error, .. } => Some(error),
            Error::OutcomeUnknown { cause, .. } => cause.api_error(),
            Error::LoginFailed { cause, .. } => cause.api_error(),
            Error::Execution { source, .. } => source.api_error(),
            _ => None,
        }
    }

    /// The operation that failed, when the error comes from a call.
    pub fn operation(&self) -> Option<&'static OperationInfo> {
        match self {
            Error::Transport { operation, .. }
            | Error::Timeout { operation, .. }
            | Error::OutcomeUnknown { operation, .. }
            | Error::Api { operation, .. }
            | Error::RateLimited { operation, .. }
            | Error::Unavailable { operation, .. }
            | Error::Redirected { operation, .. }
            | Error::ResponseTooLarge { operation, .. }
            | Error::Decode { operation, .. }
            | Error::Encode { operation, .. }
            | Error::InvalidRequest { operation, .. }
            | Error::NoExecutionSlot { operation, .. } => Some(operation),
            Error::LoginFailed { cause, .. } => cause.operation(),
            Error::Execution { source, .. } => source.operation(),
            Error::Config { .. }
            | Error::TokenSource { .. }
            | Error::ExecutionTimeout { .. }
            | Error::SignInService { .. }
            | Error::EventsLost { .. } => None,
        }
    }

    /// The execution concerned, when the error comes from following one
    /// ([`Error::Execution`], [`Error::ExecutionTimeout`]): look it up or cancel it
    /// with this id.
    pub fn exec_id(&self) -> Option<&str> {
        match self {
            Error::Execution { exec_id, .. } | Error::ExecutionTimeout { exec_id, .. } => {
                Some(exec_id)
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::operation::HttpMethod;

    static OP: OperationInfo = OperationInfo::for_tests(
        "get_setup",
        HttpMethod::Get,
        "/setup",
        crate::Idempotency::SafeRead,
    );

    #[test]
    fn decode_error_carries_operation_and_excerpt() {
        let source = serde_json::from_str::<u32>("\"x\"").unwrap_err();
        let error = Error::decode(&OP, "y".repeat(500).as_bytes(), source);
        assert_eq!(error.kind(), ErrorKind::Decode);
        assert_eq!(error.operation().map(|o| o.path), Some("/setup"));
        let Error::Decode { excerpt, .. } = &error else {
            panic!("decode error expected")
        };
        assert!(excerpt.chars().count() <= api::EXCERPT_CHARS + 1);
        assert!(error.to_string().starts_with("GET /setup: cannot decode"));
        assert!(format!("{error:?}").contains("GET /setup"));
    }

    #[test]
    fn status_only_answers() {
        let redactor = Redactor::default();
        let kind =
            |status, body: &[u8]| Error::from_response(&OP, status, None, body, &redactor).kind();
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

    #[test]
    fn secrets_are_masked_on_the_whole_text_before_it_is_cut() {
        const KNOWN: &str = "kNoWn-SeCrEt-VaLuE-123";
        const JWT: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZSJ9.c2lnbmF0dXJl";
        let redactor = Redactor::default();
        redactor.add(KNOWN);
        let leaks = |text: &str| text.contains("kNoW") || text.contains("eyJh");
        // An answer that is not an error body: its excerpt is cut at 200 characters.
        for secret in [KNOWN, JWT] {
            let body = format!("<html>{} {secret} tail</html>", "x".repeat(188));
            let error = Error::from_response(&OP, 403, None, body.as_bytes(), &redactor);
            let Error::Api { error: api, .. } = &error else {
                panic!("{error:?}")
            };
            assert!(!leaks(api.message()), "{}", api.message());
            assert!(api.message().ends_with('…'), "{}", api.message());
        }
        // An error body: its message is cut at 1000 characters.
        for secret in [KNOWN, JWT] {
            let message = format!("{} {secret} tail", "y".repeat(994));
            let body = serde_json::json!({"errorCode": "UNSPECIFIED_ERROR", "error": message});
            let error =
                Error::from_response(&OP, 400, None, body.to_string().as_bytes(), &redactor);
            let Error::Api { error: api, .. } = &error else {
                panic!("{error:?}")
            };
            assert!(!leaks(api.message()), "{}", api.message());
        }
        // Shapes, for anyone building an `ApiError`.
        let message = format!("{} {JWT} tail", "y".repeat(994));
        assert!(!leaks(&ApiError::new(400, None, message).to_string()));
        // A body longer than what an excerpt reads: the word the reading cut goes.
        let body = format!("{}{KNOWN}", " ".repeat(64 * 1024 - 6));
        let error = Error::from_response(&OP, 403, None, body.as_bytes(), &redactor);
        assert!(!error.to_string().contains("kNoWn"), "{error}");
    }

    #[test]
    fn html_and_empty_4xx_are_classified_by_status_and_not_retryable() {
        let redactor = Redactor::default();
        let html = b"<html><body><h1>401 Unauthorized</h1> maintenance soon</body></html>";
        let error = Error::from_response(&OP, 401, None, html, &redactor);
        assert_eq!(error.kind(), ErrorKind::NotAuthenticated);
        assert!(error.kind().needs_login());
        let error = Error::from_response(&OP, 403, None, b"<html>Forbidden</html>", &redactor);
        assert_eq!(error.kind(), ErrorKind::AccessDenied);
        assert!(!error.is_retryable());
        let error = Error::from_response(&OP, 404, None, b"<html>maintenance</html>", &redactor);
        assert_eq!(error.kind(), ErrorKind::NoSuchResource);
        assert!(!error.is_retryable());
        let error = Error::from_response(&OP, 503, None, b"<html>maintenance</html>", &redactor);
        assert_eq!(error.kind(), ErrorKind::Maintenance);
        assert!(error.is_retryable());
    }
}
