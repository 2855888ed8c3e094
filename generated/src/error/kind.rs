//! [`ErrorKind`]: what went wrong, in terms a caller can act on, and the table that
//! sorts the server's error answers into kinds.
//!
//! The cloud and the local API word their errors differently: the code alone is too
//! coarse (`RESOURCE_ACCESS_DENIED` means "not authenticated", "too many concurrent
//! requests" or a real denial; the local API says `UNSPECIFIED_ERROR` with the meaning
//! in the message), so [`classify`] reads the message first, then the code, then the
//! HTTP status (proxies rewrite statuses, so they are trusted least).

use super::code::ErrorCode;

/// What went wrong, in terms a caller can act on. See [`crate::Error::kind`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    // --- client side ---
    /// The server could not be reached or the connection broke.
    Transport,
    /// The call took longer than the configured timeout.
    Timeout,
    /// A call that acts (see [`crate::Idempotency::Acts`]) failed after the request
    /// may have reached the server (a timeout or a broken connection after sending, a
    /// 502 or 504 answer): it may or may not have been carried out. Not retryable:
    /// look at the setup (or the execution history) before sending it again.
    OutcomeUnknown,
    /// The request body could not be serialized.
    Encode,
    /// The answer could not be decoded.
    Decode,
    /// The answer was larger than the configured limit
    /// ([`crate::ClientBuilder::max_response_bytes`]).
    ResponseTooLarge,
    /// The server answered with a redirect, which the client does not follow.
    Redirect,
    /// The call's arguments cannot form a request (e.g. an empty path argument).
    InvalidRequest,
    /// The client is misconfigured (bad URL, certificate, ...).
    Config,
    /// The closure of [`crate::Credentials::from_fn`] (or a deprecated
    /// `TokenSource`) failed.
    TokenSource,
    /// An execution did not reach a final state in the time allowed
    /// ([`crate::Error::ExecutionTimeout`]). Not retryable: sending the launch again
    /// would run the commands twice.
    ExecutionTimeout,
    /// The event stream may have missed events ([`crate::Error::EventsLost`]): re-read
    /// the devices you track (`Home`, feature `live`, does). The stream goes on.
    EventsLost,

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
    /// Too many attempts with an invalid token: temporarily banned. Never retried by
    /// the client; wait before signing in again.
    TooManyAttemptsBanned,
    /// A session cookie and a bearer token were both sent.
    SessionAndBearerConflict,
    /// Login refused for a reason not recognised.
    AuthenticationFailed,
    /// The account has several gateways and the sign-in needs to know which one to
    /// use (Rexel: `crate::signin::RexelSignIn::gateways`, then
    /// `crate::signin::RexelSignIn::select_gateway` and sign in again). Nothing was
    /// refused: the client signs in again at once after the choice.
    GatewayChoiceNeeded,
    /// The account has no gateway to use (Rexel: add one in the vendor's app).
    NoGateway,

    // --- throttling ---
    /// Too many requests (often logins): wait before trying again.
    TooManyRequests,
    /// Too many requests in flight for this session.
    TooManyConcurrentRequests,
    /// The server is busy with too many executions.
    TooManyExecutions,
    /// The gateway's execution queue is full (10 executions at most): the server
    /// refused a launch (`EXEC_QUEUE_FULL`), or a launch waited for room longer than
    /// allowed ([`crate::Error::NoExecutionSlot`]). Nothing ran.
    ExecutionQueueFull,

    // --- missing or conflicting objects ---
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
    /// No such execution (`No corresponding execId`, local API).
    NoSuchExecution,
    /// No such (local API) token.
    NoSuchToken,
    /// Invalid (local API) token.
    InvalidToken,
    /// The event listener id is invalid or expired: register a new listener.
    InvalidEventListener,
    /// No event listener is registered: register one.
    NoRegisteredEventListener,
    /// Another action already runs on the same device (local API,
    /// `DUPLICATE_FIELD_OR_VALUE`).
    DuplicateAction,
    /// The object named does not exist (`Unknown object`, local API).
    UnknownObject,
    /// The operation is not supported (by this device, gateway or server).
    UnsupportedOperation,

    // --- permissions ---
    /// Access to this gateway is denied for this action.
    AccessDeniedToGateway,
    /// Access denied (security exception, setup mismatch, ...).
    AccessDenied,

    // --- server state ---
    /// The service is down for maintenance.
    Maintenance,
    /// The service, a proxy in front of it or the gateway is unavailable (5xx, empty
    /// body, D-Bus error on a gateway).
    Unavailable,
    /// The server refused a parameter.
    BadRequest,
    /// An error the client does not recognise.
    Unknown,
}

impl ErrorKind {
    /// True when the same call may succeed later, unchanged, after a wait (see
    /// [`crate::Error::is_retryable`] for what the client already retried).
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
                | ErrorKind::DuplicateAction
        )
    }

    /// True for throttling by the server (reported as [`crate::Error::RateLimited`]).
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

    /// True when only new credentials can cure the error: a wrong password, an
    /// unknown user, a refused or revoked token or refresh token (OAuth
    /// `invalid_grant`, revoked consent), a missing API key. See
    /// [`crate::Error::needs_new_credentials`].
    pub fn needs_new_credentials(self) -> bool {
        matches!(
            self,
            ErrorKind::BadCredentials
                | ErrorKind::UnknownUser
                | ErrorKind::MissingApiKey
                | ErrorKind::InvalidToken
                | ErrorKind::NoSuchToken
        )
    }

    /// True when a sign-in answer with this kind refuses the credentials themselves:
    /// the client then waits a cool-down before signing in again by itself.
    pub fn is_login_refusal(self) -> bool {
        matches!(
            self,
            ErrorKind::BadCredentials
                | ErrorKind::UnknownUser
                | ErrorKind::MissingApiKey
                | ErrorKind::ApplicationNotAllowed
                | ErrorKind::TooManyAttemptsBanned
                | ErrorKind::TooManyRequests
                | ErrorKind::AuthenticationFailed
                | ErrorKind::AccessDenied
                | ErrorKind::InvalidToken
                | ErrorKind::NoSuchToken
        )
    }
}

/// One line of the classification table: an answer whose code is `code` (any code
/// when `None`) and whose message contains every phrase of `phrases` (lower case) is
/// of `kind`.
struct Rule {
    code: Option<&'static str>,
    phrases: &'static [&'static str],
    kind: ErrorKind,
}

const fn by_message(phrases: &'static [&'static str], kind: ErrorKind) -> Rule {
    Rule {
        code: None,
        phrases,
        kind,
    }
}

const fn by_code(code: &'static str, kind: ErrorKind) -> Rule {
    Rule {
        code: Some(code),
        phrases: &[],
        kind,
    }
}

/// The table, first match wins: messages first, most specific phrases first (e.g.
/// "too many requests ... login" is throttling, not a login problem), then codes.
/// Phrases are the ones the cloud and local servers send (and pyoverkiz knows).
const RULES: &[Rule] = &[
    by_message(
        &["too many concurrent requests"],
        ErrorKind::TooManyConcurrentRequests,
    ),
    by_message(&["too many executions"], ErrorKind::TooManyExecutions),
    by_message(&["temporarily banned"], ErrorKind::TooManyAttemptsBanned),
    by_message(&["too many attempts"], ErrorKind::TooManyAttemptsBanned),
    by_message(&["too many requests"], ErrorKind::TooManyRequests),
    by_message(&["execution queue is full"], ErrorKind::ExecutionQueueFull),
    by_message(&["not authenticated"], ErrorKind::NotAuthenticated),
    by_message(
        &["missing authorization token"],
        ErrorKind::MissingAuthorizationToken,
    ),
    by_message(&["bad credentials"], ErrorKind::BadCredentials),
    by_message(&["no such user account"], ErrorKind::UnknownUser),
    by_message(&["unknown user"], ErrorKind::UnknownUser),
    by_message(&["api key is required"], ErrorKind::MissingApiKey),
    by_message(
        &["cannot be accessed through this application"],
        ErrorKind::ApplicationNotAllowed,
    ),
    by_message(
        &["jsessionid and bearer"],
        ErrorKind::SessionAndBearerConflict,
    ),
    by_message(
        &["no registered event listener"],
        ErrorKind::NoRegisteredEventListener,
    ),
    by_message(&["invalid event listener"], ErrorKind::InvalidEventListener),
    by_message(&["not such token"], ErrorKind::NoSuchToken),
    by_message(&["no such token"], ErrorKind::NoSuchToken),
    by_message(&["invalid token"], ErrorKind::InvalidToken),
    by_message(
        &["access denied to gateway"],
        ErrorKind::AccessDeniedToGateway,
    ),
    by_message(
        &["unable to determine action group setup"],
        ErrorKind::ActionGroupSetupNotFound,
    ),
    by_message(&["no such action group"], ErrorKind::NoSuchActionGroup),
    by_message(&["no such command"], ErrorKind::NoSuchCommand),
    by_message(&["no such", "ui profile"], ErrorKind::NoSuchUiProfile),
    by_message(&["no such controllable"], ErrorKind::NoSuchDevice),
    by_message(&["no such device"], ErrorKind::NoSuchDevice),
    by_message(&["unknown device"], ErrorKind::NoSuchDevice),
    by_message(&["no such resource"], ErrorKind::NoSuchResource),
    by_message(&["no such ressource"], ErrorKind::NoSuchResource),
    by_message(
        &["another action exists on the same device"],
        ErrorKind::DuplicateAction,
    ),
    by_message(&["unknown object"], ErrorKind::UnknownObject),
    by_message(&["no corresponding execid"], ErrorKind::NoSuchExecution),
    by_message(&["maintenance"], ErrorKind::Maintenance),
    by_code("DUPLICATE_FIELD_OR_VALUE", ErrorKind::DuplicateAction),
    by_code("UNSUPPORTED_OPERATION", ErrorKind::UnsupportedOperation),
    by_code("NO_SUCH_DEVICE", ErrorKind::NoSuchDevice),
    by_code("EXEC_QUEUE_FULL", ErrorKind::ExecutionQueueFull),
    by_code("NO_SUCH_ACTION_GROUP", ErrorKind::NoSuchActionGroup),
    by_code("NO_SUCH_RESSOURCE", ErrorKind::NoSuchResource),
    by_code("INVALID_API_CALL", ErrorKind::NoSuchResource),
    by_code("AUTHENTICATION_ERROR", ErrorKind::AuthenticationFailed),
    by_code("RESOURCE_ACCESS_DENIED", ErrorKind::AccessDenied),
    by_code("MISSING_PARAMETERS", ErrorKind::BadRequest),
    by_code("INVALID_PARAMETER", ErrorKind::BadRequest),
    by_code("INVALID_FIELD_VALUE", ErrorKind::BadRequest),
    by_code("DBUS_ERROR", ErrorKind::Unavailable),
];

/// Classifies an error answer from its message, code and status, in that order of
/// trust.
pub(crate) fn classify(status: u16, code: Option<&ErrorCode>, message: &str) -> ErrorKind {
    let message = message.to_ascii_lowercase();
    let code = code.map(ErrorCode::as_str);
    let matches = |rule: &&Rule| {
        rule.code.is_none_or(|c| Some(c) == code)
            && rule.phrases.iter().all(|p| message.contains(p))
    };
    if let Some(rule) = RULES.iter().find(matches) {
        return rule.kind;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_is_reachable() {
        // A rule shadowed by an earlier one would never apply.
        for (i, rule) in RULES.iter().enumerate() {
            let message = rule.phrases.join(" ");
            let code = rule.code.map(ErrorCode::from);
            assert_eq!(
                classify(400, code.as_ref(), &message),
                rule.kind,
                "rule {i} ({:?} {:?}) is shadowed",
                rule.code,
                rule.phrases
            );
        }
    }

    #[test]
    fn messages_beat_codes_and_codes_beat_statuses() {
        let code = ErrorCode::UnsupportedOperation;
        assert_eq!(
            classify(400, Some(&code), "No such command : open"),
            ErrorKind::NoSuchCommand
        );
        assert_eq!(
            classify(400, Some(&code), "whatever"),
            ErrorKind::UnsupportedOperation
        );
        let unspecified = ErrorCode::UnspecifiedError;
        assert_eq!(classify(400, Some(&unspecified), ""), ErrorKind::BadRequest);
        assert_eq!(
            classify(401, Some(&unspecified), ""),
            ErrorKind::NotAuthenticated
        );
        assert_eq!(classify(502, None, "oops"), ErrorKind::Unavailable);
        assert_eq!(classify(200, None, "oops"), ErrorKind::Unknown);
    }
}
