//! What a sign-in flow hands to the client ([`Grant`]): the proof the Overkiz
//! server takes, its lifetime, its refresh token, and its saved (JSON) form; and
//! how the application is told about each new one.

use std::fmt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use crate::config::login::{LoginForm, LoginMethod};
use crate::value::secret::Secret;

/// What a sign-in flow hands to the client: how to prove who the user is to the
/// Overkiz server, and for how long.
///
/// A grant is also what an application saves to survive a restart: the client calls
/// [`crate::ClientBuilder::on_tokens_changed`] with every new grant (a refresh token
/// the vendor rotated, a new access token), and a client built with
/// [`crate::ClientBuilder::restore_tokens`] starts from a saved one instead of signing
/// in from scratch. It serializes (serde) to a small JSON object that *holds the
/// secrets* (store it as you would a password); its `Debug` output never shows them.
///
/// ```
/// use std::time::Duration;
/// use overkiz::Grant;
/// let grant = Grant::bearer("access-SECRET")
///     .with_refresh_token("refresh-SECRET")
///     .expires_in(Duration::from_secs(3600));
/// let saved = serde_json::to_string(&grant).unwrap();
/// let restored: Grant = serde_json::from_str(&saved).unwrap();
/// assert_eq!(restored.refresh_token().unwrap().expose(), "refresh-SECRET");
/// assert!(!format!("{restored:?}").contains("SECRET"));
/// ```
#[derive(Clone, serde::Serialize, serde::Deserialize)]
#[serde(into = "StoredGrant", try_from = "StoredGrant")]
pub struct Grant {
    pub(crate) proof: Proof,
    pub(crate) headers: Vec<(String, Secret)>,
    pub(crate) expires_in: Option<Duration>,
    pub(crate) refresh_token: Option<Secret>,
    /// When the grant was obtained: wall-clock time, because a saved grant outlives
    /// the process (and its monotonic clock).
    pub(crate) obtained_at: SystemTime,
}

/// The proof of a [`Grant`].
#[derive(Clone)]
pub(crate) enum Proof {
    /// Posted to `/login`, which opens a cookie session.
    Login(LoginForm),
    /// Sent as `Authorization: Bearer` on every call.
    Bearer(Secret),
}

impl Grant {
    /// A token sent as `Authorization: Bearer <token>` on every call, without
    /// `/login`.
    pub fn bearer(token: impl Into<Secret>) -> Grant {
        Grant::new(Proof::Bearer(token.into()))
    }

    pub(crate) fn new(proof: Proof) -> Grant {
        Grant {
            proof,
            headers: Vec::new(),
            expires_in: None,
            refresh_token: None,
            obtained_at: SystemTime::now(),
        }
    }

    /// Adds a header sent on every call of the session (e.g. Rexel's `gatewayId`, an
    /// API key). Its value is treated as a secret.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Grant {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Says how long the grant is valid from now: the client refreshes it shortly
    /// before it expires.
    pub fn expires_in(mut self, lifetime: Duration) -> Grant {
        self.obtained_at = SystemTime::now();
        self.expires_in = Some(lifetime);
        self
    }

    /// Says until when the grant is valid (for a grant rebuilt from an application's
    /// own storage); a time in the past means it must be refreshed before use.
    pub fn with_expires_at(mut self, at: SystemTime) -> Grant {
        let now = SystemTime::now();
        self.obtained_at = now;
        self.expires_in = Some(at.duration_since(now).unwrap_or_default());
        self
    }

    /// Keeps a refresh token for [`crate::SignInFlow::refresh`] (replaced by the next grant's,
    /// so rotating refresh tokens work).
    pub fn with_refresh_token(mut self, token: impl Into<Secret>) -> Grant {
        self.refresh_token = Some(token.into());
        self
    }

    /// The refresh token, if the flow kept one.
    pub fn refresh_token(&self) -> Option<&Secret> {
        self.refresh_token.as_ref()
    }

    /// The bearer (access) token, when the grant is one ([`Grant::bearer`]).
    pub fn access_token(&self) -> Option<&Secret> {
        match &self.proof {
            Proof::Bearer(token) => Some(token),
            Proof::Login(_) => None,
        }
    }

    /// The value of a header the grant adds to every call (`gatewayId`, ...), by
    /// name, case-insensitively.
    pub fn header(&self, name: &str) -> Option<&Secret> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// When the grant expires, if the flow said.
    pub fn expires_at(&self) -> Option<SystemTime> {
        let lifetime = self.expires_in?;
        Some(
            self.obtained_at
                .checked_add(lifetime)
                .unwrap_or(self.obtained_at + MAX_STORED_LIFETIME),
        )
    }

    /// How long the grant stays valid from now (zero once expired); `None` when the
    /// flow gave no lifetime.
    pub(crate) fn remaining(&self) -> Option<Duration> {
        let at = self.expires_at()?;
        Some(at.duration_since(SystemTime::now()).unwrap_or_default())
    }

    /// Every secret value of the grant, for the redactor.
    pub(crate) fn secrets(&self) -> Vec<String> {
        let mut out: Vec<String> = match &self.proof {
            Proof::Login(form) => form.secrets(),
            Proof::Bearer(token) => vec![token.expose().to_owned()],
        };
        out.extend(self.headers.iter().map(|(_, v)| v.expose().to_owned()));
        out.extend(self.refresh_token.iter().map(|t| t.expose().to_owned()));
        out
    }
}

/// Lifetimes are stored and read up to this (a year), so no time computed from a
/// saved or vendor-given lifetime overflows.
const MAX_STORED_LIFETIME: Duration = Duration::from_secs(365 * 24 * 3600);

/// The saved form of a [`Grant`] (JSON): one of `bearer` and `login`, the extra
/// headers, the refresh token, and when it was obtained and for how long (seconds).
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredGrant {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    bearer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    login: Option<StoredLogin>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    headers: Vec<(String, String)>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    /// Unix time, seconds.
    obtained_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
}

/// A saved login form: `method` is `password`, `sso_token`, `access_token` or `jwt`.
#[derive(serde::Serialize, serde::Deserialize)]
struct StoredLogin {
    method: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    user_id: Option<String>,
    secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    application_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    setup_oid: Option<String>,
}

impl From<Grant> for StoredGrant {
    fn from(grant: Grant) -> StoredGrant {
        let (bearer, login) = match grant.proof {
            Proof::Bearer(token) => (Some(token.expose().to_owned()), None),
            Proof::Login(form) => {
                let (method, user_id, secret) = match form.method {
                    LoginMethod::Password { user_id, password } => {
                        ("password", Some(user_id), password)
                    }
                    LoginMethod::SsoToken { user_id, sso_token } => {
                        ("sso_token", Some(user_id), sso_token)
                    }
                    LoginMethod::AccessToken(token) => ("access_token", None, token),
                    LoginMethod::Jwt(token) => ("jwt", None, token),
                };
                let login = StoredLogin {
                    method: method.to_owned(),
                    user_id,
                    secret: secret.expose().to_owned(),
                    application_id: form.application_id,
                    api_key: form.api_key.map(|k| k.expose().to_owned()),
                    setup_oid: form.setup_oid,
                };
                (None, Some(login))
            }
        };
        StoredGrant {
            bearer,
            login,
            headers: grant
                .headers
                .into_iter()
                .map(|(n, v)| (n, v.expose().to_owned()))
                .collect(),
            refresh_token: grant.refresh_token.map(|t| t.expose().to_owned()),
            obtained_at: grant
                .obtained_at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
            expires_in: grant
                .expires_in
                .map(|d| d.min(MAX_STORED_LIFETIME).as_secs()),
        }
    }
}

impl TryFrom<StoredGrant> for Grant {
    type Error = String;

    fn try_from(stored: StoredGrant) -> Result<Grant, String> {
        let proof = match (stored.bearer, stored.login) {
            (Some(token), None) => Proof::Bearer(Secret::new(token)),
            (None, Some(login)) => {
                let secret = Secret::new(login.secret);
                let method = match (login.method.as_str(), login.user_id) {
                    ("password", Some(user_id)) => LoginMethod::Password {
                        user_id,
                        password: secret,
                    },
                    ("sso_token", Some(user_id)) => LoginMethod::SsoToken {
                        user_id,
                        sso_token: secret,
                    },
                    ("access_token", _) => LoginMethod::AccessToken(secret),
                    ("jwt", _) => LoginMethod::Jwt(secret),
                    (other, _) => {
                        return Err(format!(
                            "unknown or incomplete login method {other:?} in a saved grant"
                        ))
                    }
                };
                Proof::Login(LoginForm {
                    method,
                    application_id: login.application_id,
                    api_key: login.api_key.map(Secret::new),
                    setup_oid: login.setup_oid,
                })
            }
            _ => return Err("a saved grant holds exactly one of `bearer` and `login`".into()),
        };
        Ok(Grant {
            proof,
            headers: stored
                .headers
                .into_iter()
                .map(|(n, v)| (n, Secret::new(v)))
                .collect(),
            expires_in: stored
                .expires_in
                .map(|s| Duration::from_secs(s).min(MAX_STORED_LIFETIME)),
            refresh_token: stored.refresh_token.map(Secret::new),
            obtained_at: SystemTime::UNIX_EPOCH
                .checked_add(Duration::from_secs(stored.obtained_at))
                .unwrap_or(SystemTime::UNIX_EPOCH),
        })
    }
}

impl fmt::Debug for Grant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let proof = match &self.proof {
            Proof::Login(_) => "login form",
            Proof::Bearer(_) => "bearer token",
        };
        let headers: Vec<&str> = self.headers.iter().map(|(n, _)| n.as_str()).collect();
        f.debug_struct("Grant")
            .field("proof", &proof)
            .field("headers", &headers)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish()
    }
}

/// Called with every new grant of a sign-in flow
/// ([`crate::ClientBuilder::on_tokens_changed`]).
pub(crate) type TokensCallback = Arc<dyn Fn(&Grant) + Send + Sync>;

/// Calls the application's callback with a new grant; its panic must not take the
/// sign-in down with it.
pub(crate) fn tell(callback: &TokensCallback, grant: &Grant) {
    if catch_unwind(AssertUnwindSafe(|| callback(grant))).is_err() {
        tracing::warn!("the on_tokens_changed callback panicked");
    }
}
