//! Signing in: one sign-in at a time, run in a task of its own (a caller that gives
//! up never cancels it, so no one-time secret is burnt), its result shared by every
//! call that waited for it, and a growing cool-down after consecutive failures so
//! that the client never signs in in a loop (Overkiz bans accounts that retry
//! logins). A session the server refuses before it served a single call counts as a
//! failed sign-in: a login the server accepts is not enough. The session lives in
//! what the clones of a client share ([`Inner`]), defined here with it.

use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use tokio::time::Instant;

use crate::config::credentials::{Credentials, CredentialsKind};
use crate::config::flow::SignInContext;
use crate::config::grant::{tell, Grant, Proof, TokensCallback};
use crate::config::login::LoginForm;
use crate::config::server::Server;
use crate::error::{ApiError, Error, ErrorCode, ErrorKind};
use crate::transport::cookies::SessionCookies;
use crate::transport::request::{Body, Request};
use crate::value::execution_ledger::ExecutionLedger;
use crate::value::lock::lock;
use crate::value::redact::{Redactor, Slot};
use crate::value::retry::RetryPolicy;
use crate::value::secret::Secret;

/// `POST /login`, used to open a session.
pub(crate) static LOGIN: &crate::OperationInfo = &crate::operations::POST_LOGIN;

/// The longest cool-down, whatever a server's `Retry-After` says.
const MAX_COOL_DOWN: Duration = Duration::from_secs(24 * 3600);

/// Consecutive failures double the cool-down up to this (a longer configured
/// cool-down is kept as is).
pub(crate) const MAX_GROWN_COOL_DOWN: Duration = Duration::from_secs(3600);

/// Longer lifetimes are read as this (a year), so no instant computed from a vendor's
/// `expires_in` can overflow.
const MAX_GRANT_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// A grant is refreshed this long before it expires, or at half its lifetime when
/// that is shorter.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// A grant is never refreshed by itself sooner than this after it was obtained,
/// whatever its lifetime says (a vendor answering `expires_in: 0` would otherwise
/// cost a sign-in per call). Should the server refuse it before, the refusal rules
/// apply.
const MIN_REFRESH_AGE: Duration = Duration::from_secs(10);

/// What clones of a [`crate::Client`] share.
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    /// For vendor sign-in services.
    pub(crate) vendor_http: reqwest::Client,
    pub(crate) server: Server,
    pub(crate) credentials: Mutex<Credentials>,
    pub(crate) retry: RetryPolicy,
    pub(crate) connect_timeout: Duration,
    pub(crate) timeout: Duration,
    pub(crate) max_response_bytes: u64,
    pub(crate) login_cool_down: Duration,
    pub(crate) login_retry_delay: Duration,
    /// Held by the sign-in task, so that one sign-in is on the wire at a time.
    pub(crate) login_lock: tokio::sync::Mutex<()>,
    pub(crate) session: Mutex<SessionCell>,
    /// Told about every new grant of a sign-in flow.
    pub(crate) on_tokens_changed: Option<TokensCallback>,
    pub(crate) cookies: Arc<SessionCookies>,
    pub(crate) redactor: Arc<Redactor>,
    /// Counts event listener registrations, so that a stream dropped late does not
    /// unregister a newer listener of the session.
    pub(crate) listener_epoch: AtomicU64,
    /// The executions running on each gateway and the launches waiting for room.
    pub(crate) executions: ExecutionLedger,
}

/// The session in force, as calls see it (cloned for each call).
#[derive(Clone, Default)]
pub(crate) struct SessionState {
    /// Whether a session (or token) is believed valid.
    pub(crate) signed_in: bool,
    /// Successful sign-ins so far: calls that saw the same generation fail share one
    /// renewal.
    pub(crate) generation: u64,
    /// Sign-in attempts so far: calls that waited for an attempt get its failure.
    pub(crate) attempts: u64,
    /// The bearer token to send, if the sign-in gave one.
    pub(crate) bearer: Option<Secret>,
    /// Headers to send on every call (a vendor flow's `gatewayId`, API keys).
    pub(crate) headers: Arc<Vec<(String, Secret)>>,
    /// When the grant is to be refreshed.
    refresh_at: Option<Instant>,
    /// The vendor flow's last grant, for its refresh.
    grant: Option<Arc<Grant>>,
}

impl SessionState {
    /// The vendor flow's grant in force (a Somfy account's global token, whose refresh
    /// token mints its sites' tokens).
    pub(crate) fn grant(&self) -> Option<&Arc<Grant>> {
        self.grant.as_ref()
    }

    /// Forgets the session but keeps the grant, whose refresh token may still serve.
    fn drop_session(&mut self) {
        self.signed_in = false;
        self.bearer = None;
        self.headers = Arc::default();
        self.refresh_at = None;
    }

    /// Takes the session of a successful sign-in.
    fn sign_in_as(&mut self, signed_in: SignedIn, now: Instant) {
        self.signed_in = true;
        self.bearer = signed_in.bearer;
        self.headers = Arc::new(signed_in.headers);
        self.refresh_at = signed_in.refresh_in.map(|wait| now + wait);
        self.grant = signed_in.grant;
    }
}

/// The session and the sign-in bookkeeping shared by the clones of a client.
#[derive(Default)]
pub(crate) struct SessionCell {
    state: SessionState,
    /// Bumped by `set_credentials`: a sign-in started with older credentials
    /// installs neither its session nor its failure.
    credentials_epoch: u64,
    /// The session of the last sign-in has not served a call yet: refused now, it
    /// counts as a failed sign-in.
    unconfirmed: bool,
    /// The grant was restored from storage and not used yet: tried as it is first.
    restored: bool,
    /// Consecutive failed sign-ins (refused fresh sessions included); the first call
    /// that succeeds in a new session resets it.
    failures: u32,
    /// The last failure and its cool-down.
    failure: Option<LoginFailure>,
    /// The sign-in running, if any.
    in_flight: Option<InFlight>,
}

/// A sign-in running in its own task, and how to wait for its outcome.
#[derive(Clone)]
struct InFlight {
    attempt: u64,
    outcome: Shared<BoxFuture<'static, Outcome>>,
}

/// What every call that waited for a sign-in gets.
#[derive(Clone)]
enum Outcome {
    SignedIn(SessionState),
    Failed(LoginFailure),
    /// The credentials changed meanwhile: the result was dropped.
    Stale,
}

/// What a successful sign-in gives.
struct SignedIn {
    bearer: Option<Secret>,
    headers: Vec<(String, Secret)>,
    /// When to refresh the grant, from the end of the sign-in.
    refresh_in: Option<Duration>,
    grant: Option<Arc<Grant>>,
    /// The grant was a restored one, used as it is (not new, not checked yet).
    reused: bool,
}

impl SignedIn {
    fn session_cookie() -> SignedIn {
        SignedIn {
            bearer: None,
            headers: Vec::new(),
            refresh_in: None,
            grant: None,
            reused: false,
        }
    }
}

/// The last failed sign-in and until when the client will not try again.
#[derive(Clone)]
struct LoginFailure {
    attempt: u64,
    cause: Arc<Error>,
    /// The whole cool-down, told to the calls that waited for this attempt.
    wait: Duration,
    until: Instant,
}

impl LoginFailure {
    /// The error for the calls that waited for the failed attempt: the whole wait.
    fn first_error(&self) -> Error {
        Error::LoginFailed {
            cause: self.cause.clone(),
            retry_in: Some(self.wait).filter(|wait| !wait.is_zero()),
        }
    }

    /// The error for a call at `now`: the cause and the time left.
    fn error(&self, now: Instant) -> Error {
        let left = self.until.saturating_duration_since(now);
        Error::LoginFailed {
            cause: self.cause.clone(),
            retry_in: Some(left).filter(|wait| !wait.is_zero()),
        }
    }
}

/// What became of a call refused as not authenticated.
pub(crate) enum Refusal {
    /// The session was new and never served a call: counted as a failed sign-in;
    /// the error to return ([`Error::LoginFailed`]).
    Counted(Error),
    /// An older session: it may be renewed (the refusal is given back).
    Expired(Error),
}

/// The cool-down after `failures` consecutive failed sign-ins: `base`, doubling with
/// each further failure up to an hour (a longer `base` is kept), or what the server
/// asked if longer, never more than a day.
pub(crate) fn cool_down(base: Duration, failures: u32, asked: Option<Duration>) -> Duration {
    let exponent = failures.saturating_sub(1).min(20);
    let grown = base
        .saturating_mul(1 << exponent)
        .min(MAX_GROWN_COOL_DOWN.max(base));
    grown.max(asked.unwrap_or_default()).min(MAX_COOL_DOWN)
}

/// When to refresh `grant`, counted from now: `REFRESH_MARGIN` before it expires, or
/// at half its lifetime if that is shorter, never sooner than `MIN_REFRESH_AGE`.
fn refresh_delay(grant: &Grant) -> Option<Duration> {
    let lifetime = grant.expires_in?.min(MAX_GRANT_LIFETIME);
    let left = grant.remaining()?.min(lifetime);
    let margin = REFRESH_MARGIN.min(lifetime / 2);
    Some(left.saturating_sub(margin).max(MIN_REFRESH_AGE))
}

/// Whether a restored grant is still worth trying as it is.
pub(crate) fn still_valid(grant: &Grant) -> bool {
    match (grant.expires_in, grant.remaining()) {
        (Some(lifetime), Some(left)) => left > REFRESH_MARGIN.min(lifetime / 2),
        _ => true,
    }
}

impl Inner {
    /// The credentials in force.
    pub(crate) fn credentials(&self) -> Credentials {
        lock(&self.credentials).clone()
    }

    /// Whether the credentials open a session the client can renew (checked on every
    /// call and fetch: no copy of the credentials).
    pub(crate) fn renewable(&self) -> bool {
        lock(&self.credentials).is_renewable()
    }

    /// The sign-in state as it is now.
    pub(crate) fn snapshot(&self) -> SessionState {
        lock(&self.session).state.clone()
    }

    /// The grant in force (or restored), if a sign-in flow gave one.
    pub(crate) fn grant(&self) -> Option<Grant> {
        lock(&self.session).state.grant.as_deref().cloned()
    }

    /// Starts from a saved grant: the first sign-in tries it as it is (or refreshes
    /// it, when expired) before signing in from scratch.
    pub(crate) fn restore(&self, grant: Grant) {
        self.redactor.set(Slot::Grant, grant.secrets());
        let mut cell = lock(&self.session);
        cell.state.grant = Some(Arc::new(grant));
        cell.restored = true;
    }

    /// An id of the session in force, if there is one: it changes whenever the
    /// client signs in again (which kills the event listeners of the old session).
    pub(crate) fn session_id(&self) -> Option<u64> {
        if self.renewable() {
            let cell = lock(&self.session);
            cell.state.signed_in.then_some(cell.state.generation)
        } else {
            Some(0)
        }
    }

    /// Lifts a cool-down, and forgets the failures before.
    pub(crate) fn reset_login(&self) {
        let mut cell = lock(&self.session);
        cell.failure = None;
        cell.failures = 0;
    }

    /// New credentials: no session, no cool-down, and a sign-in running with the old
    /// ones will install nothing.
    pub(crate) fn set_credentials(&self, credentials: Credentials) {
        self.redactor.set(Slot::Credentials, credentials.secrets());
        let bearer = credentials.is_bearer();
        *lock(&self.credentials) = credentials;
        let mut cell = lock(&self.session);
        cell.credentials_epoch += 1;
        cell.state.drop_session();
        cell.state.grant = None;
        cell.restored = false;
        cell.unconfirmed = false;
        cell.failure = None;
        cell.failures = 0;
        // Callers waiting for the old sign-in get `Stale` and start a new one (which
        // waits for the old one to leave the wire first).
        cell.in_flight = None;
        self.cookies.clear();
        self.cookies.set_enabled(!bearer);
    }

    /// The session to use, signing in first if there is none.
    pub(crate) async fn current_session(self: &Arc<Self>) -> Result<SessionState, Error> {
        if let Some(fixed) = self.fixed_session() {
            return Ok(fixed);
        }
        let state = self.snapshot();
        let due = state.refresh_at.is_some_and(|at| Instant::now() >= at);
        if state.signed_in && !due {
            Ok(state)
        } else {
            self.renew(&state).await
        }
    }

    /// The session of credentials that need no sign-in (none, a static bearer
    /// token); `None` for the others.
    fn fixed_session(&self) -> Option<SessionState> {
        match &lock(&self.credentials).kind {
            CredentialsKind::None => Some(SessionState::default()),
            CredentialsKind::Bearer(token) => Some(SessionState {
                signed_in: true,
                bearer: Some(token.clone()),
                ..SessionState::default()
            }),
            CredentialsKind::Login(_) | CredentialsKind::Flow(_) => None,
        }
    }

    /// A call succeeded in `seen`: the session works, so the failures before are
    /// forgotten.
    pub(crate) fn confirm(&self, seen: &SessionState) {
        if !seen.signed_in {
            return;
        }
        let mut cell = lock(&self.session);
        if cell.unconfirmed && cell.state.signed_in && cell.state.generation == seen.generation {
            cell.unconfirmed = false;
            cell.failures = 0;
        }
    }

    /// The server refused `seen` as not authenticated. A session that never served
    /// a call is a failed sign-in (a server that drops sessions, a `Secure` cookie
    /// over `http://`): it starts the cool-down instead of a new login.
    pub(crate) fn refused(&self, seen: &SessionState, error: Error) -> Refusal {
        let mut cell = lock(&self.session);
        let fresh = cell.unconfirmed
            && cell.state.signed_in
            && seen.signed_in
            && cell.state.generation == seen.generation;
        if !fresh {
            return Refusal::Expired(error);
        }
        tracing::warn!(
            kind = ?error.kind(),
            "the server refused a session it had just opened (does it drop sessions? a Secure cookie over http://?); counted as a failed sign-in"
        );
        cell.unconfirmed = false;
        cell.state.attempts += 1;
        let attempt = cell.state.attempts;
        let failure = self.record_failure(&mut cell, attempt, error, true, Instant::now());
        Refusal::Counted(failure.first_error())
    }

    /// Signs in again, unless another call did since `seen` (then its session is
    /// returned) or a sign-in failed since `seen` or during the cool-down (then its
    /// error is returned and nothing is sent). A sign-in already running is joined.
    pub(crate) async fn renew(
        self: &Arc<Self>,
        seen: &SessionState,
    ) -> Result<SessionState, Error> {
        // A sign-in dropped because the credentials changed is followed by one with
        // the new credentials; more rounds only if they keep changing.
        for _ in 0..3 {
            // New credentials may need no sign-in at all.
            if let Some(fixed) = self.fixed_session() {
                return Ok(fixed);
            }
            let in_flight = {
                let mut cell = lock(&self.session);
                let now = Instant::now();
                if cell.state.signed_in && cell.state.generation != seen.generation {
                    return Ok(cell.state.clone());
                }
                if let Some(failure) = &cell.failure {
                    let left = failure.until.saturating_duration_since(now);
                    if failure.attempt > seen.attempts || !left.is_zero() {
                        return Err(failure.error(now));
                    }
                }
                match &cell.in_flight {
                    Some(running) => running.clone(),
                    None => self.start_sign_in(&mut cell),
                }
            };
            match in_flight.outcome.await {
                Outcome::SignedIn(state) => return Ok(state),
                Outcome::Failed(failure) => return Err(failure.first_error()),
                Outcome::Stale => continue,
            }
        }
        Err(Error::config(
            "the credentials changed during every sign-in attempt",
        ))
    }

    /// Starts a sign-in in a task of its own, so that no caller can cancel it
    /// halfway (which could burn a one-time code or a rotated refresh token).
    fn start_sign_in(self: &Arc<Self>, cell: &mut SessionCell) -> InFlight {
        cell.state.attempts += 1;
        let attempt = cell.state.attempts;
        let epoch = cell.credentials_epoch;
        let previous = cell.state.grant.clone();
        let restored = std::mem::take(&mut cell.restored);
        let inner = self.clone();
        let task = async move {
            // One sign-in on the wire at a time: one started for new credentials waits
            // for the old one to end (its cookies and tokens land first).
            let _wire = inner.login_lock.lock().await;
            let result = inner.sign_in(previous, restored).await;
            inner.finish_sign_in(attempt, epoch, result)
        };
        let outcome: BoxFuture<'static, Outcome> = match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let handle = runtime.spawn(task);
                // The waiters hold no strong reference: a client dropped during a
                // sign-in is freed when the task ends.
                let inner = Arc::downgrade(self);
                async move {
                    match handle.await {
                        Ok(outcome) => outcome,
                        Err(_) => {
                            let cause = Arc::new(Error::config(
                                "the sign-in task ended without a result (runtime shutting down?)",
                            ));
                            if let Some(inner) = inner.upgrade() {
                                let mut cell = lock(&inner.session);
                                if cell
                                    .in_flight
                                    .as_ref()
                                    .is_some_and(|f| f.attempt == attempt)
                                {
                                    cell.in_flight = None;
                                }
                            }
                            Outcome::Failed(LoginFailure {
                                attempt,
                                cause,
                                wait: Duration::ZERO,
                                until: Instant::now(),
                            })
                        }
                    }
                }
                .boxed()
            }
            // Outside a Tokio runtime nothing can be spawned: the waiters drive it.
            Err(_) => task.boxed(),
        };
        let in_flight = InFlight {
            attempt,
            outcome: outcome.shared(),
        };
        cell.in_flight = Some(in_flight.clone());
        in_flight
    }

    /// Installs a sign-in's result (unless the credentials changed meanwhile) and
    /// tells the application about a new grant.
    fn finish_sign_in(&self, attempt: u64, epoch: u64, result: Result<SignedIn, Error>) -> Outcome {
        // The cool-down runs from the end of the sign-in, not its start.
        let now = Instant::now();
        let bearer_credentials = lock(&self.credentials).is_bearer();
        let mut cell = lock(&self.session);
        if cell
            .in_flight
            .as_ref()
            .is_some_and(|f| f.attempt == attempt)
        {
            cell.in_flight = None;
        }
        if cell.credentials_epoch != epoch {
            tracing::debug!("the credentials changed during the sign-in; its result is dropped");
            // Its cookie may have landed after `set_credentials` cleared the jar; no
            // newer sign-in has touched the jar yet (they wait for this one).
            if !cell.state.signed_in {
                self.cookies.clear();
                self.cookies.set_enabled(!bearer_credentials);
            }
            return Outcome::Stale;
        }
        match result {
            Ok(signed_in) => {
                let new_grant = (!signed_in.reused)
                    .then(|| signed_in.grant.clone())
                    .flatten();
                self.cookies.set_enabled(signed_in.bearer.is_none());
                cell.state.generation += 1;
                cell.unconfirmed = !signed_in.reused;
                cell.failure = None;
                cell.state.sign_in_as(signed_in, now);
                let state = cell.state.clone();
                drop(cell);
                if let (Some(grant), Some(callback)) = (new_grant, &self.on_tokens_changed) {
                    tell(callback, &grant);
                }
                Outcome::SignedIn(state)
            }
            Err(cause) => {
                let refused = cause.kind().is_login_refusal();
                Outcome::Failed(self.record_failure(&mut cell, attempt, cause, refused, now))
            }
        }
    }

    /// Counts a failed sign-in and starts its cool-down.
    fn record_failure(
        &self,
        cell: &mut SessionCell,
        attempt: u64,
        cause: Error,
        refused: bool,
        now: Instant,
    ) -> LoginFailure {
        let base = if refused {
            self.login_cool_down
        } else {
            self.login_retry_delay
        };
        let wait = if cause.kind() == ErrorKind::GatewayChoiceNeeded {
            // Nothing was refused, and the flow sends nothing until the app chooses a
            // gateway: no wait and no growing cool-down, so the choice takes effect at
            // the next call.
            Duration::ZERO
        } else {
            cell.failures = cell.failures.saturating_add(1);
            cool_down(base, cell.failures, cause.retry_after())
        };
        tracing::debug!(
            kind = ?cause.kind(),
            refused,
            failures = cell.failures,
            cool_down_s = wait.as_secs(),
            "sign-in failed; the client will not sign in again by itself before the cool-down ends"
        );
        cell.state.drop_session();
        if refused {
            // Refused credentials or a refused refresh: the grant is of no more use.
            cell.state.grant = None;
        }
        let failure = LoginFailure {
            attempt,
            cause: Arc::new(cause),
            wait,
            until: now.checked_add(wait).unwrap_or(now),
        };
        cell.failure = Some(failure.clone());
        failure
    }

    /// Runs the sign-in flow once: a restored grant as it is, else a refresh of
    /// `previous` when the flow can, else from scratch.
    async fn sign_in(
        &self,
        previous: Option<Arc<Grant>>,
        restored: bool,
    ) -> Result<SignedIn, Error> {
        match self.credentials().kind {
            CredentialsKind::Login(form) => {
                self.send_login_form(&form).await?;
                Ok(SignedIn::session_cookie())
            }
            CredentialsKind::Flow(flow) => {
                if restored {
                    if let Some(saved) = previous.as_ref().filter(|g| still_valid(g)) {
                        match self.open(saved.clone()).await {
                            Ok(signed_in) => {
                                return Ok(SignedIn {
                                    reused: true,
                                    ..signed_in
                                })
                            }
                            Err(error)
                                if error.kind().is_login_refusal()
                                    || error.kind().needs_login() =>
                            {
                                tracing::debug!(kind = ?error.kind(), "the restored grant was refused; renewing it");
                            }
                            Err(error) => return Err(error),
                        }
                    }
                }
                let ctx = SignInContext::new(
                    self.vendor_http.clone(),
                    self.redactor.clone(),
                    self.on_tokens_changed.clone(),
                );
                let grant = match previous.filter(|g| g.refresh_token().is_some()) {
                    Some(previous) => match flow.refresh(&ctx, &previous).await {
                        Ok(grant) => grant,
                        // A refused refresh (expired or rotated refresh token): sign in
                        // from scratch, once, within this attempt.
                        Err(error) if error.kind().is_login_refusal() => {
                            tracing::debug!(kind = ?error.kind(), "refresh refused; signing in again");
                            flow.sign_in(&ctx).await?
                        }
                        Err(error) => return Err(error),
                    },
                    None => flow.sign_in(&ctx).await?,
                };
                self.redactor.set(Slot::Grant, grant.secrets());
                self.open(Arc::new(grant)).await
            }
            CredentialsKind::None | CredentialsKind::Bearer(_) => Ok(SignedIn::session_cookie()),
        }
    }

    /// Opens the session of a grant: posts its login form, or takes its bearer token.
    async fn open(&self, grant: Arc<Grant>) -> Result<SignedIn, Error> {
        let bearer = match &grant.proof {
            Proof::Login(form) => {
                self.send_login_form(form).await?;
                None
            }
            Proof::Bearer(token) => Some(token.clone()),
        };
        Ok(SignedIn {
            bearer,
            headers: grant.headers.clone(),
            refresh_in: refresh_delay(&grant),
            grant: Some(grant),
            reused: false,
        })
    }

    /// `POST /login`; the session cookie it sets is kept by the cookie store.
    async fn send_login_form(&self, form: &LoginForm) -> Result<(), Error> {
        let url = self.url(&Request::new(LOGIN))?;
        let body = Body::Form(
            form.fields()
                .into_iter()
                .map(|(name, value)| (name.into(), value))
                .collect(),
        );
        // A new session: forget the old cookie, and accept the new one.
        self.cookies.clear();
        self.cookies.set_enabled(true);
        // Posting the form again is harmless, so transient failures (503, network)
        // are retried within this one attempt, a bounded number of times.
        let response = self
            .send(
                LOGIN,
                &url,
                Some(&body),
                &SessionState::default(),
                Some(true),
            )
            .await?;
        let refused = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v.get("success").and_then(|s| s.as_bool()))
            == Some(false);
        if refused {
            let error = ApiError::new(
                response.status,
                Some(ErrorCode::AuthenticationError),
                "login refused (success: false)",
            );
            return Err(Error::Api {
                operation: LOGIN,
                error,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cool_down_doubles_up_to_an_hour() {
        let minute = Duration::from_secs(60);
        let waits: Vec<u64> = (1..=9)
            .map(|n| cool_down(minute, n, None).as_secs())
            .collect();
        assert_eq!(waits, [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]);
        assert_eq!(cool_down(minute, u32::MAX, None), MAX_GROWN_COOL_DOWN);
        // A server's longer wait wins, up to a day; a longer base is kept.
        let day = Duration::from_secs(24 * 3600);
        assert_eq!(cool_down(minute, 1, Some(day * 2)), day);
        assert_eq!(cool_down(day, 3, None), day);
        assert_eq!(cool_down(Duration::ZERO, 5, None), Duration::ZERO);
    }

    #[test]
    fn short_grants_are_refreshed_at_half_their_lifetime_and_never_at_once() {
        let refresh = |seconds| {
            // Rounded: a little wall-clock time passes between the grant and this.
            let delay = refresh_delay(&Grant::bearer("t").expires_in(Duration::from_secs(seconds)));
            delay.unwrap().as_secs_f64().round() as u64
        };
        assert_eq!(refresh(3600), 3540);
        assert_eq!(refresh(120), 60);
        assert_eq!(refresh(60), 30);
        assert_eq!(refresh(30), 15);
        assert_eq!(refresh(0), MIN_REFRESH_AGE.as_secs());
        assert_eq!(refresh(u64::MAX), MAX_GRANT_LIFETIME.as_secs() - 60);
        assert!(refresh_delay(&Grant::bearer("t")).is_none());
    }
}
