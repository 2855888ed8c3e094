//! Faults on demand: answers the simulator gives instead of the normal one, for every
//! call or for the next ones, optionally only for one operation.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A fault the simulator can answer with instead of the normal answer.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Fault {
    /// `429 Too Many Requests` with the `too-many-requests.json` body.
    RateLimit,
    /// `503 Service Unavailable` with the maintenance page.
    Maintenance,
    /// The connection is closed without an answer (after the request was read).
    DropConnection,
    /// The sessions end just before the call is handled, which then gets the
    /// server's `401 Not authenticated` (as when a session expires between two
    /// calls); their event listeners die with them.
    SessionExpired,
    /// A real error answer captured from a server (see [`ErrorFixture::ALL`]).
    Error(ErrorFixture),
    /// Any answer: `status`, with `body` as `content_type`, and `headers` (e.g.
    /// `("retry-after", "120")`; a name or value HTTP does not allow is left out).
    Answer {
        /// HTTP status.
        status: u16,
        /// `Content-Type` of the body.
        content_type: &'static str,
        /// The body.
        body: String,
        /// More headers.
        headers: Vec<(String, String)>,
    },
}

impl Fault {
    /// The fault called `name` in the control API: `rate-limit`, `maintenance`,
    /// `drop-connection`, `session-expired`, or an error fixture's name (`cloud/exec-queue-full`, ...).
    pub fn named(name: &str) -> Option<Fault> {
        match name {
            "rate-limit" => Some(Fault::RateLimit),
            "maintenance" => Some(Fault::Maintenance),
            "drop-connection" => Some(Fault::DropConnection),
            "session-expired" => Some(Fault::SessionExpired),
            _ => ErrorFixture::named(name).map(Fault::Error),
        }
    }
}

/// An error answer captured from a real server, embedded from
/// `tests/fixtures/errors/`: the cloud's (with the status the runtime's error tests
/// assume for them) and a local gateway's (with the status of its file name).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorFixture {
    /// `cloud/<file stem>` or `local/<file stem>`.
    pub name: &'static str,
    /// The status it is answered with.
    pub status: u16,
    /// `application/json` or `text/html`.
    pub content_type: &'static str,
    /// The body as captured.
    pub body: &'static str,
}

macro_rules! fixtures {
    ($($dir:literal / $stem:literal . $ext:literal => $status:literal,)*) => {
        &[$(ErrorFixture {
            name: concat!($dir, "/", $stem),
            status: $status,
            content_type: if matches!($ext.as_bytes(), b"html") { "text/html" } else { "application/json" },
            body: include_str!(concat!("../../tests/fixtures/errors/", $dir, "/", $stem, ".", $ext)),
        },)*]
    };
}

impl ErrorFixture {
    /// Every embedded error answer, sorted by name.
    pub const ALL: &'static [ErrorFixture] = fixtures![
        "cloud" / "401-not-authenticated" . "json" => 401,
        "cloud" / "502-bad-gateway" . "html" => 502,
        "cloud" / "503-empty" . "html" => 503,
        "cloud" / "503-maintenance" . "html" => 503,
        "cloud" / "access-denied-to-gateway" . "json" => 403,
        "cloud" / "action-group-setup-not-found" . "json" => 400,
        "cloud" / "application-not-allowed" . "json" => 401,
        "cloud" / "bad-credentials" . "json" => 401,
        "cloud" / "exec-queue-full" . "json" => 400,
        "cloud" / "invalid-event-listener-id" . "json" => 400,
        "cloud" / "invalid-token" . "json" => 400,
        "cloud" / "missing-api-key" . "json" => 401,
        "cloud" / "missing-authorization-token" . "json" => 401,
        "cloud" / "no-overkiz-user" . "json" => 401,
        "cloud" / "no-registered-event-listener" . "json" => 400,
        "cloud" / "no-such-action-group" . "json" => 404,
        "cloud" / "no-such-command" . "json" => 400,
        "cloud" / "no-such-controllable" . "json" => 404,
        "cloud" / "no-such-resource" . "json" => 404,
        "cloud" / "no-such-ui-profile" . "json" => 404,
        "cloud" / "not-such-token" . "json" => 404,
        "cloud" / "resource-access-denied-device-setup-mismatch" . "json" => 403,
        "cloud" / "resource-access-denied-gateway-not-in-setup" . "json" => 403,
        "cloud" / "session-and-bearer" . "json" => 400,
        "cloud" / "too-many-attempts-banned" . "json" => 401,
        "cloud" / "too-many-concurrent-requests" . "json" => 429,
        "cloud" / "too-many-executions" . "json" => 503,
        "cloud" / "too-many-requests" . "json" => 429,
        "cloud" / "unknown-auth-error" . "json" => 401,
        "cloud" / "unknown-resource-access-denied" . "json" => 403,
        "cloud" / "unknown-user-account" . "json" => 401,
        "local" / "204-no-corresponding-execId" . "json" => 204,
        "local" / "400-action-group-setup-not-found" . "json" => 400,
        "local" / "400-bad-parameters" . "json" => 400,
        "local" / "400-bus-error" . "json" => 400,
        "local" / "400-duplicate-action-on-device" . "json" => 400,
        "local" / "400-malformed-action-group" . "json" => 400,
        "local" / "400-malformed-fetch-id" . "json" => 400,
        "local" / "400-missing-execution-id" . "json" => 400,
        "local" / "400-missing-parameters" . "json" => 400,
        "local" / "400-no-registered-event-listener" . "json" => 400,
        "local" / "400-no-such-device" . "json" => 400,
        "local" / "400-unknown-object" . "json" => 400,
        "local" / "400-unspecified-error" . "json" => 400,
        "local" / "401-missing-authorization-token" . "json" => 401,
        "local" / "401-not-authenticated" . "json" => 401,
    ];

    /// `cloud/too-many-requests` (429), the answer of [`Fault::RateLimit`].
    pub const TOO_MANY_REQUESTS: ErrorFixture = ErrorFixture::ALL[27];
    /// `cloud/503-maintenance` (503), the answer of [`Fault::Maintenance`].
    pub const MAINTENANCE: ErrorFixture = ErrorFixture::ALL[3];
    /// `cloud/too-many-executions` (503).
    pub const TOO_MANY_EXECUTIONS: ErrorFixture = ErrorFixture::ALL[26];

    /// The fixture called `name` (`cloud/exec-queue-full`, `local/400-bus-error`).
    pub fn named(name: &str) -> Option<ErrorFixture> {
        ErrorFixture::ALL.iter().find(|f| f.name == name).copied()
    }
}

/// `operation` names no documented operation (expected `"METHOD /path/template"`,
/// e.g. `"POST /events/{listenerId}/fetch"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "no documented operation {:?} (expected \"METHOD /path/template\")",
            self.0
        )
    }
}

impl std::error::Error for UnknownOperation {}

/// Checks `operation` (`"METHOD /path/template"`) against the spec and returns it
/// normalized (upper-case method, one space).
pub(crate) fn operation_key(operation: &str) -> Result<String, UnknownOperation> {
    let unknown = || UnknownOperation(operation.to_owned());
    let (method, path) = operation.trim().split_once(' ').ok_or_else(unknown)?;
    let method = method.to_ascii_uppercase();
    let path = path.trim();
    crate::spec::operations()
        .iter()
        .find(|op| op.method == method && op.path == path)
        .map(|op| format!("{} {}", op.method, op.path))
        .ok_or_else(unknown)
}

/// A fault answering the next calls, of any operation or of one.
#[derive(Debug)]
struct Pending {
    fault: Fault,
    /// `"METHOD /path/template"`; `None`: any operation.
    operation: Option<String>,
}

/// Faults switched on and off while the simulator runs.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    /// Faults answering every call.
    always: Mutex<Vec<Fault>>,
    /// Faults answering the next calls, in order.
    next: Mutex<VecDeque<Pending>>,
    latency_ms: AtomicU64,
}

impl Faults {
    pub(crate) fn set(&self, fault: Fault, on: bool) {
        let mut always = self.always.lock().unwrap_or_else(|p| p.into_inner());
        always.retain(|f| *f != fault);
        if on {
            always.push(fault);
        }
    }

    pub(crate) fn push_next(&self, fault: Fault, times: usize, operation: Option<String>) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        next.extend(std::iter::repeat_n((), times).map(|()| Pending {
            fault: fault.clone(),
            operation: operation.clone(),
        }));
    }

    pub(crate) fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(ms, Ordering::SeqCst);
    }

    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::SeqCst))
    }

    /// The fault answering a call of `operation` (`"METHOD /template"`, `None` when
    /// the call matches no documented operation), if any: the first pending fault
    /// for it, else a fault switched on for every call.
    pub(crate) fn take(&self, operation: Option<&str>) -> Option<Fault> {
        {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let index = next.iter().position(|pending| {
                pending.operation.is_none() || pending.operation.as_deref() == operation
            });
            if let Some(pending) = index.and_then(|i| next.remove(i)) {
                return Some(pending.fault);
            }
        }
        self.always
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .first()
            .cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_fixture_file_is_embedded_once() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/errors");
        let mut files = Vec::new();
        for side in ["cloud", "local"] {
            for entry in std::fs::read_dir(format!("{dir}/{side}")).unwrap() {
                let name = entry.unwrap().file_name().into_string().unwrap();
                let stem = name.rsplit_once('.').unwrap().0.to_owned();
                files.push(format!("{side}/{stem}"));
            }
        }
        files.sort();
        let embedded: Vec<&str> = ErrorFixture::ALL.iter().map(|f| f.name).collect();
        assert_eq!(embedded, files);
    }

    #[test]
    fn named_constants_are_the_fixtures_they_say() {
        assert_eq!(
            ErrorFixture::TOO_MANY_REQUESTS.name,
            "cloud/too-many-requests"
        );
        assert_eq!(ErrorFixture::MAINTENANCE.name, "cloud/503-maintenance");
        assert_eq!(
            ErrorFixture::TOO_MANY_EXECUTIONS.name,
            "cloud/too-many-executions"
        );
    }

    #[test]
    fn local_fixtures_carry_the_status_of_their_name() {
        for fixture in ErrorFixture::ALL {
            if let Some(stem) = fixture.name.strip_prefix("local/") {
                assert_eq!(stem[..3].parse::<u16>().unwrap(), fixture.status);
            }
        }
    }

    #[test]
    fn operations_are_checked_against_the_spec() {
        assert_eq!(
            operation_key(
                "post  /events/{listenerId}/fetch"
                    .replacen("  ", " ", 1)
                    .as_str()
            ),
            Ok("POST /events/{listenerId}/fetch".to_owned())
        );
        assert!(operation_key("POST /events/fetch").is_err());
        assert!(operation_key("nonsense").is_err());
    }

    #[test]
    fn a_fault_for_one_operation_leaves_the_others_alone() {
        let faults = Faults::default();
        faults.push_next(Fault::Maintenance, 1, Some("POST /exec/apply".into()));
        faults.push_next(Fault::RateLimit, 1, None);
        assert_eq!(faults.take(Some("GET /setup")), Some(Fault::RateLimit));
        assert_eq!(faults.take(Some("GET /setup")), None);
        assert_eq!(
            faults.take(Some("POST /exec/apply")),
            Some(Fault::Maintenance)
        );
        assert_eq!(faults.take(Some("POST /exec/apply")), None);
    }
}
