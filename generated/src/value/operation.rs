//! What the documentation says about each operation, available at run time: method,
//! path template, documented rate limit, answer kind. The generated module
//! [`crate::operations`] holds one [`OperationInfo`] per operation.

use std::fmt;
use std::time::Duration;

/// HTTP method of an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HttpMethod {
    /// `GET`
    Get,
    /// `POST`
    Post,
    /// `PUT`
    Put,
    /// `DELETE`
    Delete,
    /// `PATCH`
    Patch,
}

impl HttpMethod {
    /// The method as written on the wire (`"GET"`).
    pub const fn as_str(self) -> &'static str {
        match self {
            HttpMethod::Get => "GET",
            HttpMethod::Post => "POST",
            HttpMethod::Put => "PUT",
            HttpMethod::Delete => "DELETE",
            HttpMethod::Patch => "PATCH",
        }
    }

    /// True for the methods HTTP calls idempotent (`GET`, `PUT`, `DELETE`). The client
    /// does not retry by method but by [`OperationInfo::idempotency`]: some `PUT`s
    /// update firmwares.
    pub const fn is_idempotent(self) -> bool {
        matches!(self, HttpMethod::Get | HttpMethod::Put | HttpMethod::Delete)
    }
}

impl fmt::Display for HttpMethod {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RateLimitScope {
    /// Calls of this operation alone.
    Operation,
    /// Calls of every operation of the same rate-limit category.
    Category,
}

/// A documented per-session rate limit, e.g. 1 call per 28 min 48 s for the `exec`
/// category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Calls allowed per period.
    pub calls: u32,
    /// Length of the period in seconds.
    pub period_seconds: u64,
    /// Whether the limit counts this operation alone or its whole category.
    pub scope: RateLimitScope,
    /// Name of the rate-limit category (`"bulk-load"`, `"exec"`, ...).
    pub category: &'static str,
}

impl RateLimit {
    /// The period as a [`Duration`].
    pub const fn period(&self) -> Duration {
        Duration::from_secs(self.period_seconds)
    }

    /// The shortest interval between two calls that stays within the limit.
    pub fn min_interval(&self) -> Duration {
        self.period() / self.calls.max(1)
    }
}

/// How an operation answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResponseKind {
    /// A JSON body.
    Json,
    /// No body (`204 No Content`, or a documented status without body).
    Empty,
    /// A text body (`text/csv`, `text/html`).
    Text,
}

/// What sending an operation twice does; decides whether the client resends it
/// after a failure. Set per operation by `cargo xtask codegen` from a rule on the
/// documentation plus curated exceptions (`spec/curated.toml`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Idempotency {
    /// Only reads: resent automatically after a transient failure.
    SafeRead,
    /// Sets something to a given value: a second identical call leaves the same
    /// result, so it is resent automatically after a transient failure.
    IdempotentWrite,
    /// Does something (launches commands, updates a firmware, creates an object).
    /// Sent again only when the request provably never reached the server
    /// (connection refused, name resolution failed, a 503 or "too many concurrent
    /// requests" answer); a failure after it may have arrived is
    /// [`crate::ErrorKind::OutcomeUnknown`].
    Acts,
}

impl Idempotency {
    /// True when the client may resend the call after a failure that leaves its
    /// outcome unknown (a timeout or a broken connection after sending).
    pub const fn may_resend(self) -> bool {
        matches!(self, Idempotency::SafeRead | Idempotency::IdempotentWrite)
    }
}

/// One operation of the End-User API, as documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OperationInfo {
    /// Name of the generated method on [`crate::Client`] (`"get_setup"`).
    pub name: &'static str,
    /// HTTP method.
    pub method: HttpMethod,
    /// Path template relative to the API base (`"/setup/devices/{deviceURL}"`).
    pub path: &'static str,
    /// One-line summary from the documentation.
    pub summary: &'static str,
    /// Version since which the operation is deprecated, if it is.
    pub deprecated_since: Option<&'static str>,
    /// Documented rate limit, if any.
    pub rate_limit: Option<RateLimit>,
    /// Documented success status code.
    pub status: u16,
    /// Kind of answer.
    pub response: ResponseKind,
    /// Content type of the answer (`"application/json"`, `"text/csv"`).
    pub content_type: &'static str,
    /// Names of the events the call generates.
    pub events: &'static [&'static str],
    /// Whether the client may send the call again after a failure.
    pub idempotency: Idempotency,
}

impl OperationInfo {
    /// A JSON operation for the runtime's unit tests (the generated ones are not
    /// needed there).
    #[cfg(test)]
    pub(crate) const fn for_tests(
        name: &'static str,
        method: HttpMethod,
        path: &'static str,
        idempotency: Idempotency,
    ) -> OperationInfo {
        OperationInfo {
            name,
            method,
            path,
            summary: "",
            deprecated_since: None,
            rate_limit: None,
            status: 200,
            response: ResponseKind::Json,
            content_type: "application/json",
            events: &[],
            idempotency,
        }
    }
}

impl fmt::Display for OperationInfo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}
