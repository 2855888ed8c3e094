//! Signing in: one sign-in at a time, its result shared by every call that waited for
//! it, and a cool-down after a failure so that the client never hammers the login
//! (Overkiz bans accounts that retry logins).

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::time::Instant;

use crate::auth::{Credentials, CredentialsKind, LoginForm, Secret};
use crate::client::Inner;
use crate::error::{ApiError, Error, ErrorCode};
use crate::request::{Body, Request};
use crate::signin::{Grant, Proof, SignInContext};

/// `POST /login`, used to open a session.
pub(crate) static LOGIN: &crate::OperationInfo = &crate::operations::POST_LOGIN;

/// The longest cool-down, whatever a server's `Retry-After` says.
const MAX_COOL_DOWN: Duration = Duration::from_secs(24 * 3600);

/// The sign-in state shared by the clones of a client.
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
    /// When the grant expires: the client refreshes it shortly before.
    expires_at: Option<Instant>,
    /// The vendor flow's last grant, for its refresh.
    grant: Option<Arc<Grant>>,
    failure: Option<LoginFailure>,
}

impl SessionState {
    /// The vendor flow's grant in force (a Somfy account's global token, whose refresh
    /// token mints its sites' tokens).
    pub(crate) fn grant(&self) -> Option<&Arc<Grant>> {
        self.grant.as_ref()
    }

    /// Forgets the session (a failed sign-in, new credentials); keeps the counters.
    fn sign_out(&mut self) {
        self.signed_in = false;
        self.bearer = None;
        self.headers = Arc::default();
        self.expires_at = None;
        self.grant = None;
    }

    /// Takes the session of a successful sign-in and clears any failure.
    fn sign_in_as(&mut self, signed_in: SignedIn) {
        self.signed_in = true;
        self.bearer = signed_in.bearer;
        self.headers = Arc::new(signed_in.headers);
        self.expires_at = signed_in.expires_at;
        self.grant = signed_in.grant;
        self.failure = None;
    }
}

/// What a successful sign-in gives.
struct SignedIn {
    bearer: Option<Secret>,
    headers: Vec<(String, Secret)>,
    expires_at: Option<Instant>,
    grant: Option<Arc<Grant>>,
}

impl SignedIn {
    fn session_cookie() -> SignedIn {
        SignedIn {
            bearer: None,
            headers: Vec::new(),
            expires_at: None,
            grant: None,
        }
    }
}

/// Longer lifetimes are read as this (a year), so no instant computed from a vendor's
/// `expires_in` can overflow.
const MAX_GRANT_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// A grant is refreshed this long before it expires.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// The last failed sign-in and until when the client will not try again.
#[derive(Clone)]
struct LoginFailure {
    attempt: u64,
    cause: Arc<Error>,
    until: Instant,
}

/// Locks a mutex, ignoring poisoning: the states kept behind them stay consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
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
        lock(&self.session).clone()
    }

    /// An id of the session in force, if there is one: it changes whenever the
    /// client signs in again (which kills the event listeners of the old session).
    pub(crate) fn session_id(&self) -> Option<u64> {
        if self.renewable() {
            let state = lock(&self.session);
            state.signed_in.then_some(state.generation)
        } else {
            Some(0)
        }
    }

    /// Lifts a cool-down.
    pub(crate) fn reset_login(&self) {
        lock(&self.session).failure = None;
    }

    /// New credentials: no session, no cool-down.
    pub(crate) fn set_credentials(&self, credentials: Credentials) {
        for secret in credentials.secrets() {
            self.redactor.add(&secret);
        }
        let bearer = credentials.is_bearer();
        *lock(&self.credentials) = credentials;
        let mut state = lock(&self.session);
        state.sign_out();
        state.failure = None;
        self.cookies.clear();
        self.cookies.set_enabled(!bearer);
    }

    /// The session to use, signing in first if there is none.
    pub(crate) async fn current_session(&self) -> Result<SessionState, Error> {
        match self.credentials().kind {
            CredentialsKind::None => Ok(SessionState::default()),
            CredentialsKind::Bearer(token) => Ok(SessionState {
                signed_in: true,
                bearer: Some(token),
                ..SessionState::default()
            }),
            CredentialsKind::Login(_) | CredentialsKind::Source(_) | CredentialsKind::Flow(_) => {
                let state = self.snapshot();
                let expiring = state
                    .expires_at
                    .is_some_and(|at| Instant::now() + REFRESH_MARGIN >= at);
                if state.signed_in && !expiring {
                    Ok(state)
                } else {
                    self.renew(&state).await
                }
            }
        }
    }

    /// Signs in again, unless another call did since `seen` (then its session is
    /// returned) or a sign-in failed since `seen` or during the cool-down (then its
    /// error is returned and nothing is sent).
    pub(crate) async fn renew(&self, seen: &SessionState) -> Result<SessionState, Error> {
        let _guard = self.login_lock.lock().await;
        let now = Instant::now();
        let state = self.snapshot();
        if state.signed_in && state.generation != seen.generation {
            return Ok(state);
        }
        if let Some(failure) = &state.failure {
            let remaining = failure.until.saturating_duration_since(now);
            if failure.attempt > seen.attempts || !remaining.is_zero() {
                return Err(Error::LoginFailed {
                    cause: failure.cause.clone(),
                    retry_in: Some(remaining).filter(|wait| !wait.is_zero()),
                });
            }
        }
        let attempt = {
            let mut state = lock(&self.session);
            state.attempts += 1;
            state.attempts
        };
        match self.sign_in(state.grant.clone()).await {
            Ok(signed_in) => {
                self.cookies.set_enabled(signed_in.bearer.is_none());
                let mut state = lock(&self.session);
                state.generation += 1;
                state.sign_in_as(signed_in);
                Ok(state.clone())
            }
            Err(cause) => {
                let refused = cause.kind().is_login_refusal();
                let base = if refused {
                    self.login_cool_down
                } else {
                    self.login_retry_delay
                };
                let wait = base
                    .max(cause.retry_after().unwrap_or_default())
                    .min(MAX_COOL_DOWN);
                tracing::debug!(
                    kind = ?cause.kind(),
                    refused,
                    cool_down_s = wait.as_secs(),
                    "sign-in failed; the client will not sign in again by itself before the cool-down ends"
                );
                let cause = Arc::new(cause);
                let mut state = lock(&self.session);
                state.sign_out();
                state.failure = Some(LoginFailure {
                    attempt,
                    cause: cause.clone(),
                    until: now + wait,
                });
                Err(Error::LoginFailed {
                    cause,
                    retry_in: Some(wait).filter(|wait| !wait.is_zero()),
                })
            }
        }
    }

    /// Runs the sign-in flow once (refreshing `previous` when the flow can).
    async fn sign_in(&self, previous: Option<Arc<Grant>>) -> Result<SignedIn, Error> {
        match self.credentials().kind {
            CredentialsKind::Login(form) => {
                self.send_login_form(&form).await?;
                Ok(SignedIn::session_cookie())
            }
            CredentialsKind::Source(source) => {
                let fresh = source
                    .credentials()
                    .await
                    .map_err(|source| Error::TokenSource { source })?;
                for secret in fresh.secrets() {
                    self.redactor.add(&secret);
                }
                match fresh.kind {
                    CredentialsKind::Login(form) => {
                        self.send_login_form(&form).await?;
                        Ok(SignedIn::session_cookie())
                    }
                    CredentialsKind::Bearer(token) => Ok(SignedIn {
                        bearer: Some(token),
                        ..SignedIn::session_cookie()
                    }),
                    CredentialsKind::None => Ok(SignedIn::session_cookie()),
                    CredentialsKind::Source(_) | CredentialsKind::Flow(_) => Err(Error::config(
                        "a token source must return a login form or a bearer token",
                    )),
                }
            }
            CredentialsKind::Flow(flow) => {
                let ctx = SignInContext::new(self.vendor_http.clone(), self.redactor.clone());
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
                for secret in grant.secrets() {
                    self.redactor.add(&secret);
                }
                let expires_at = grant
                    .expires_in
                    .map(|lifetime| Instant::now() + lifetime.min(MAX_GRANT_LIFETIME));
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
                    expires_at,
                    grant: Some(Arc::new(grant)),
                })
            }
            CredentialsKind::None | CredentialsKind::Bearer(_) => Ok(SignedIn::session_cookie()),
        }
    }

    /// `POST /login`; the session cookie it sets is kept by the cookie store.
    async fn send_login_form(&self, form: &LoginForm) -> Result<(), Error> {
        let url = self.url(&Request::new(LOGIN))?;
        let body = Body::Form(form.fields());
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
