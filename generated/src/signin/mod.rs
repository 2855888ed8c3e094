//! Signing in the way each vendor's own app does.
//!
//! Most Overkiz servers take a login form (`POST /login`), but the largest user groups
//! sign in at their vendor first: Somfy Europe (OAuth, then a bearer token on every
//! call), Cozytouch and Brandt (a vendor token exchanged for a JWT, then `POST /login`),
//! Nexity (AWS Cognito, then an SSO token), Rexel (OAuth in a browser, then a bearer
//! token and a `gatewayId` header). Each of these is a [`SignInFlow`], one file per
//! vendor; a [`crate::Server`] preset knows its flow, so
//! `Client::new(Server::cozytouch(), Credentials::password(email, pw))` simply signs
//! in. A new vendor flow is one more type implementing [`SignInFlow`]
//! ([`crate::Credentials::sign_in_flow`]), with no change to the client.
//!
//! The client runs flows under its sign-in rules (one at a time, in a task no caller
//! can cancel, results shared, a growing cool-down after failures), refreshes a grant
//! shortly before it expires ([`SignInFlow::refresh`], e.g. a refresh-token grant
//! whose refresh token may rotate), sends the grant's extra headers on every call,
//! and tells the application about every new grant
//! ([`crate::ClientBuilder::on_tokens_changed`]) so that it can save it and start
//! again from it ([`crate::ClientBuilder::restore_tokens`]).
//!
//! Flows without a password, and the local API:
//!
//! ```no_run
//! # async fn demo(redirected_to: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use overkiz::{Client, Credentials, ErrorKind, Server};
//! // Rexel: open the URL in a browser; give back the whole URL it is redirected to.
//! let authorization = overkiz::signin::Rexel::default().authorize()?;
//! println!("open {}", authorization.url);
//! let code = authorization.code_from_redirect(redirected_to)?; // checks the state
//! let flow = authorization.sign_in_with_code(code);
//! let client = Client::new(Server::rexel(), flow.credentials())?;
//! match client.login().await {
//!     // Several gateways: the user picks one of flow.gateways() (id, home, externalId);
//!     // the grant is kept, the code is never exchanged twice.
//!     Err(error) if error.kind() == ErrorKind::GatewayChoiceNeeded => {
//!         flow.select_gateway(flow.gateways()[0].gateway_id.clone());
//!         client.login().await?;
//!     }
//!     other => other?,
//! }
//! // After a restart: Rexel::sign_in_restored() and ClientBuilder::restore_tokens with
//! // the grant saved from ClientBuilder::on_tokens_changed.
//!
//! // The local API: a token created through the cloud account.
//! let cloud = Client::new(Server::somfy_europe(), Credentials::password("me@example.com", "secret"))?;
//! let created = cloud.create_local_token("1234-5678-9012", "my app").await?;
//! let local = created.client("1234-5678-9012")?;
//! println!("{:?}", local.get_api_version().await?.protocol_version);
//! # Ok(()) }
//! ```

mod brandt;
mod cozytouch;
pub(crate) mod local;
#[cfg(feature = "nexity")]
mod nexity;
mod pkce;
mod rexel;
mod somfy;
pub(crate) mod somfy_account;
pub(crate) mod somfy_sites;
#[cfg(feature = "nexity")]
pub(crate) mod srp;
mod vendor;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::future::BoxFuture;

pub use brandt::Brandt;
pub use cozytouch::Cozytouch;
#[cfg(feature = "nexity")]
pub use nexity::Nexity;
pub use pkce::Pkce;
pub use rexel::{AuthorizationRedirectError, Rexel, RexelAuthorization, RexelGateway, RexelSignIn};
pub use somfy::SomfyOAuth;
pub use somfy_sites::{Site, SiteGateway, SomfySites};

use crate::config::credentials::{Credentials, CredentialsKind, LoginForm, LoginMethod, Secret};
use crate::error::Error;
use crate::value::redact::Redactor;
use crate::transport::session::TokensCallback;

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
    /// A login form for `POST /login` ([`Credentials::jwt`],
    /// [`Credentials::sso_token`], ...). Fails for credentials of another kind.
    pub fn login(credentials: Credentials) -> Result<Grant, Error> {
        match credentials.kind {
            CredentialsKind::Login(form) => Ok(Grant::new(Proof::Login(form))),
            _ => Err(Error::config("Grant::login takes login-form credentials")),
        }
    }

    /// A token sent as `Authorization: Bearer <token>` on every call, without
    /// `/login`.
    pub fn bearer(token: impl Into<Secret>) -> Grant {
        Grant::new(Proof::Bearer(token.into()))
    }

    fn new(proof: Proof) -> Grant {
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

    /// Keeps a refresh token for [`SignInFlow::refresh`] (replaced by the next grant's,
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
            Proof::Login(form) => Credentials {
                kind: CredentialsKind::Login(form.clone()),
            }
            .secrets(),
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

/// What a flow may use while signing in.
pub struct SignInContext {
    http: reqwest::Client,
    redactor: Arc<Redactor>,
    on_tokens_changed: Option<TokensCallback>,
}

impl fmt::Debug for SignInContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInContext").finish_non_exhaustive()
    }
}

impl SignInContext {
    pub(crate) fn new(
        http: reqwest::Client,
        redactor: Arc<Redactor>,
        on_tokens_changed: Option<TokensCallback>,
    ) -> SignInContext {
        SignInContext {
            http,
            redactor,
            on_tokens_changed,
        }
    }

    /// Tells the application about a grant obtained before the sign-in ends
    /// ([`crate::ClientBuilder::on_tokens_changed`]): for a flow that spends a
    /// one-time secret (an authorization code) and then needs another step that may
    /// fail (choosing a gateway), so the new tokens are saved whatever happens next.
    /// The grant the flow returns is told by the client itself.
    pub fn tokens_changed(&self, grant: &Grant) {
        self.redactor.set(crate::value::redact::Slot::Grant, grant.secrets());
        if let Some(callback) = &self.on_tokens_changed {
            crate::transport::session::tell(callback, grant);
        }
    }

    /// An HTTP client for the vendor's services: the client's timeouts, no cookie
    /// store, no redirects followed.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Registers a value that must never appear in errors (a vendor token, a session
    /// cookie).
    pub fn keep_secret(&self, value: &str) {
        self.redactor.add(value);
    }

    pub(crate) fn redact(&self, text: &str) -> String {
        self.redactor.redact(text)
    }
}

/// A vendor's sign-in flow: produces a [`Grant`] for the Overkiz server.
///
/// Errors are [`Error::SignInService`] (built with [`Error::sign_in_service`]) whose
/// kind says what happened: [`crate::ErrorKind::BadCredentials`] (the client then
/// waits its cool-down, and [`Error::needs_new_credentials`] tells the application;
/// use it for a refused refresh token or a revoked consent too),
/// [`crate::ErrorKind::TooManyRequests`], [`crate::ErrorKind::Unavailable`], ...
///
/// The client calls a flow once at a time, from a task of its own: a sign-in is
/// never dropped halfway because a caller gave up, so a flow may spend one-time
/// secrets (an authorization code, a refresh token the vendor rotates) without
/// fearing that the new grant is lost. A flow whose result arrives after
/// [`crate::Client::set_credentials`] is discarded.
pub trait SignInFlow: Send + Sync {
    /// The vendor, for errors and logs (`"Somfy"`).
    fn name(&self) -> &'static str;

    /// Signs in from scratch.
    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>>;

    /// Renews `previous` before it expires or after the server refused it. The
    /// default signs in from scratch; OAuth flows use their refresh token. When a
    /// refresh is refused, the client signs in from scratch once.
    fn refresh<'a>(
        &'a self,
        ctx: &'a SignInContext,
        previous: &'a Grant,
    ) -> BoxFuture<'a, Result<Grant, Error>> {
        let _ = previous;
        self.sign_in(ctx)
    }
}

/// The sign-in flow of a vendor's accounts, attached to a [`crate::Server`] preset.
/// Each carries its service endpoints and public app keys, which can be overridden
/// (vendors change them; tests point them at a local server).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VendorSignIn {
    /// Somfy accounts (Europe): OAuth password grant, then a bearer token.
    Somfy(SomfyOAuth),
    /// Atlantic, Thermor and Sauter Cozytouch: Atlantic token, JWT, `/login`.
    Cozytouch(Cozytouch),
    /// Brandt Smart Control: Brandt session, JWT, `/login`.
    Brandt(Brandt),
    /// Nexity: AWS Cognito SRP, SSO token, `/login` (cargo feature `nexity`, on by
    /// default).
    #[cfg(feature = "nexity")]
    Nexity(Nexity),
    /// Rexel Energeasy Connect: OAuth in a browser (see [`RexelAuthorization`]).
    Rexel(Rexel),
}

impl VendorSignIn {
    /// Refuses credentials that cannot work with this vendor, when the client is
    /// built rather than at the first call.
    pub(crate) fn check(&self, credentials: &Credentials) -> Result<(), Error> {
        match (self, &credentials.kind) {
            // Every Rexel call names its gateway (`gatewayId`), which a bare token
            // (or a token source) cannot carry.
            (VendorSignIn::Rexel(_), CredentialsKind::Bearer(_) | CredentialsKind::Source(_)) => {
                Err(Error::config(
                    "a Rexel server needs a gateway id with its token: use Rexel::sign_in_with_token and RexelSignIn::select_gateway (or RexelAuthorization for the browser sign-in), not a bare bearer token",
                ))
            }
            _ => Ok(()),
        }
    }

    /// The flow for a user name and password on this vendor's service.
    pub(crate) fn with_password(
        &self,
        user: String,
        password: Secret,
    ) -> Result<Arc<dyn SignInFlow>, Error> {
        Ok(match self {
            VendorSignIn::Somfy(config) => Arc::new(somfy::SomfyFlow::new(config.clone(), user, password)),
            VendorSignIn::Cozytouch(config) => {
                Arc::new(cozytouch::CozytouchFlow::new(config.clone(), user, password))
            }
            VendorSignIn::Brandt(config) => Arc::new(brandt::BrandtFlow::new(config.clone(), user, password)),
            #[cfg(feature = "nexity")]
            VendorSignIn::Nexity(config) => Arc::new(nexity::NexityFlow::new(config.clone(), user, password)),
            VendorSignIn::Rexel(_) => {
                return Err(Error::config(
                    "Rexel accounts sign in in a browser: use RexelAuthorization, then Credentials::sign_in_flow",
                ))
            }
        })
    }
}
