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
//! The client runs flows under its sign-in rules (one at a time, results shared, a
//! cool-down after a refusal), refreshes a grant shortly before it expires
//! ([`SignInFlow::refresh`], e.g. a refresh-token grant whose refresh token may
//! rotate), and sends the grant's extra headers on every call.
//!
//! Flows without a password, and the local API:
//!
//! ```no_run
//! # async fn demo() -> Result<(), overkiz::Error> {
//! use overkiz::{Client, Credentials, Server};
//! // Rexel: open the URL in a browser, then pass the code of the redirect.
//! let authorization = overkiz::signin::Rexel::default().authorize()?;
//! println!("open {}", authorization.url);
//! let flow = authorization.sign_in_with_code("code-from-the-redirect");
//! let client = Client::new(Server::rexel(), flow.credentials())?;
//! client.login().await?; // several gateways? flow.gateways(), flow.select_gateway(id)
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
#[cfg(feature = "nexity")]
mod nexity;
mod pkce;
mod rexel;
mod somfy;
pub(crate) mod somfy_sites;
mod vendor;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;

pub use brandt::Brandt;
pub use cozytouch::Cozytouch;
#[cfg(feature = "nexity")]
pub use nexity::Nexity;
pub use pkce::Pkce;
pub use rexel::{Rexel, RexelAuthorization, RexelGateway, RexelSignIn};
pub use somfy::SomfyOAuth;
pub use somfy_sites::{Site, SiteGateway, SomfySites};

use crate::auth::{Credentials, CredentialsKind, LoginForm, Secret};
use crate::error::Error;
use crate::redact::Redactor;

/// What a sign-in flow hands to the client: how to prove who the user is to the
/// Overkiz server, and for how long.
#[derive(Clone)]
pub struct Grant {
    pub(crate) proof: Proof,
    pub(crate) headers: Vec<(String, Secret)>,
    pub(crate) expires_in: Option<Duration>,
    pub(crate) refresh_token: Option<Secret>,
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
        }
    }

    /// Adds a header sent on every call of the session (e.g. Rexel's `gatewayId`, an
    /// API key). Its value is treated as a secret.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<Secret>) -> Grant {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Says how long the grant is valid: the client refreshes it shortly before.
    pub fn expires_in(mut self, lifetime: Duration) -> Grant {
        self.expires_in = Some(lifetime);
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
}

impl fmt::Debug for SignInContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignInContext").finish_non_exhaustive()
    }
}

impl SignInContext {
    pub(crate) fn new(http: reqwest::Client, redactor: Arc<Redactor>) -> SignInContext {
        SignInContext { http, redactor }
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
/// waits its cool-down), [`crate::ErrorKind::TooManyRequests`],
/// [`crate::ErrorKind::Unavailable`], ...
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
