//! How a [`crate::Client`] proves who it is.
//!
//! Cloud servers open a session with `POST /login` (form fields, one of
//! `userId`+`userPassword`, `userId`+`ssoToken`, `accessToken`, `jwt`) and then rely on
//! the `JSESSIONID` cookie; the local API takes `Authorization: Bearer <token>` on
//! every call. Vendors that sign in elsewhere first (Cozytouch, Nexity, ...) plug
//! their flow in as a [`SignInFlow`] ([`Credentials::sign_in_flow`]). Every secret
//! is held in a [`Secret`], whose `Debug` output never shows it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::config::flow::{SignInContext, SignInFlow};
use crate::config::grant::{Grant, Proof};
pub(crate) use crate::config::login::{LoginForm, LoginMethod};
use crate::error::{BoxError, Error};
pub use crate::value::secret::Secret;

/// Produces fresh credentials for vendor-specific sign-in flows.
///
/// Deprecated: a [`SignInFlow`] is the one extension point for credentials (it also
/// refreshes, and its grant can be saved); [`Credentials::from_fn`] wraps a closure
/// that returns credentials.
#[deprecated(
    since = "0.1.0",
    note = "implement `SignInFlow` (Credentials::sign_in_flow), or use Credentials::from_fn"
)]
pub trait TokenSource: Send + Sync {
    /// Returns fresh credentials.
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, BoxError>>;
}

/// Fetches fresh credentials (a closure given to [`Credentials::from_fn`]).
type Fetch = Box<dyn Fn() -> BoxFuture<'static, Result<Credentials, BoxError>> + Send + Sync>;

/// The name of the flow [`Credentials::from_fn`] makes.
pub(crate) const FROM_FN: &str = "credentials from a closure";

/// A closure that returns credentials, as a [`SignInFlow`]: each sign-in calls it
/// and uses the login form or bearer token it returns.
struct FnFlow(Fetch);

impl SignInFlow for FnFlow {
    fn name(&self) -> &'static str {
        FROM_FN
    }

    fn sign_in<'a>(&'a self, _ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let fresh = (self.0)()
                .await
                .map_err(|source| Error::TokenSource { source })?;
            match fresh.kind {
                CredentialsKind::Login(form) => Ok(Grant::new(Proof::Login(form))),
                CredentialsKind::Bearer(token) => Ok(Grant::bearer(token)),
                CredentialsKind::None | CredentialsKind::Flow(_) => Err(Error::config(
                    "a token source must return a login form or a bearer token",
                )),
            }
        })
    }
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
}

#[derive(Clone)]
pub(crate) enum CredentialsKind {
    None,
    Login(LoginForm),
    Bearer(Secret),
    Flow(Arc<dyn SignInFlow>),
}

/// The credentials of a [`crate::Client`].
///
/// ```
/// use overkiz::Credentials;
/// let cloud = Credentials::password("me@example.com", "hunter2");
/// let local = Credentials::bearer("0123456789abcdef");
/// assert!(!format!("{cloud:?}").contains("hunter2"));
/// assert!(!format!("{local:?}").contains("0123456789abcdef"));
/// ```
#[derive(Clone)]
pub struct Credentials {
    pub(crate) kind: CredentialsKind,
}

impl Credentials {
    fn login(method: LoginMethod) -> Credentials {
        Credentials {
            kind: CredentialsKind::Login(LoginForm {
                method,
                application_id: None,
                api_key: None,
                setup_oid: None,
            }),
        }
    }

    /// User name and password, posted to `/login` as `userId` and `userPassword`
    /// (Somfy, Hi Kumo, Flexom and most cloud accounts).
    pub fn password(user_id: impl Into<String>, password: impl Into<Secret>) -> Credentials {
        Credentials::login(LoginMethod::Password {
            user_id: user_id.into(),
            password: password.into(),
        })
    }

    /// User name and an Overkiz single-sign-on token (`userId` + `ssoToken`).
    pub fn sso_token(user_id: impl Into<String>, sso_token: impl Into<Secret>) -> Credentials {
        Credentials::login(LoginMethod::SsoToken {
            user_id: user_id.into(),
            sso_token: sso_token.into(),
        })
    }

    /// An OAuth access token (`accessToken`).
    pub fn access_token(token: impl Into<Secret>) -> Credentials {
        Credentials::login(LoginMethod::AccessToken(token.into()))
    }

    /// A JSON Web Token obtained from another service (`jwt`), e.g. Cozytouch's.
    pub fn jwt(token: impl Into<Secret>) -> Credentials {
        Credentials::login(LoginMethod::Jwt(token.into()))
    }

    /// A token sent as `Authorization: Bearer <token>` on every call, without login:
    /// the local API's tokens (generated with the cloud's `/config/.../local/tokens`).
    pub fn bearer(token: impl Into<Secret>) -> Credentials {
        Credentials {
            kind: CredentialsKind::Bearer(token.into()),
        }
    }

    /// No credentials: only public operations (`/authenticated`, `/apiVersion`, ...)
    /// will succeed.
    pub fn none() -> Credentials {
        Credentials {
            kind: CredentialsKind::None,
        }
    }

    /// Credentials produced on demand by `source`.
    #[deprecated(
        since = "0.1.0",
        note = "implement `SignInFlow` and use Credentials::sign_in_flow, or use Credentials::from_fn"
    )]
    #[allow(deprecated)]
    pub fn token_source(source: impl TokenSource + 'static) -> Credentials {
        let source = Arc::new(source);
        Credentials::from_fn(move || {
            let source = source.clone();
            async move { source.credentials().await }
        })
    }

    /// Credentials produced by a vendor sign-in flow ([`crate::signin`]). Presets
    /// pick their vendor's flow by themselves for [`Credentials::password`]; this is
    /// for flows without a password (Rexel) or of your own.
    pub fn sign_in_flow(flow: Arc<dyn SignInFlow>) -> Credentials {
        Credentials {
            kind: CredentialsKind::Flow(flow),
        }
    }

    /// Credentials produced on demand by an async closure:
    ///
    /// ```
    /// use overkiz::Credentials;
    /// let creds = Credentials::from_fn(|| async {
    ///     // e.g. exchange a vendor account for a JWT here.
    ///     Ok(Credentials::jwt("eyJ..."))
    /// });
    /// ```
    pub fn from_fn<F, Fut>(f: F) -> Credentials
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Credentials, BoxError>> + Send + 'static,
    {
        let fetch: Fetch = Box::new(move || Box::pin(f()));
        Credentials::sign_in_flow(Arc::new(FnFlow(fetch)))
    }

    /// Adds the `applicationId` login field (login forms only; ignored otherwise).
    pub fn with_application_id(mut self, application_id: impl Into<String>) -> Credentials {
        if let CredentialsKind::Login(form) = &mut self.kind {
            form.application_id = Some(application_id.into());
        }
        self
    }

    /// Adds the `apiKey` login field, required by some setups (login forms only).
    pub fn with_api_key(mut self, api_key: impl Into<Secret>) -> Credentials {
        if let CredentialsKind::Login(form) = &mut self.kind {
            form.api_key = Some(api_key.into());
        }
        self
    }

    /// Adds the `setupOID` login field (login forms only).
    pub fn with_setup_oid(mut self, setup_oid: impl Into<String>) -> Credentials {
        if let CredentialsKind::Login(form) = &mut self.kind {
            form.setup_oid = Some(setup_oid.into());
        }
        self
    }

    /// True when the client opens a session (login form or token source), which it can
    /// renew when the server forgets it.
    pub fn is_renewable(&self) -> bool {
        matches!(
            self.kind,
            CredentialsKind::Login(_) | CredentialsKind::Flow(_)
        )
    }

    /// True when these are a static bearer token.
    pub fn is_bearer(&self) -> bool {
        matches!(self.kind, CredentialsKind::Bearer(_))
    }

    /// Every value of these credentials that must never appear in an error or a log:
    /// secrets, and the user id (an e-mail address, usually).
    pub(crate) fn secrets(&self) -> Vec<String> {
        match &self.kind {
            CredentialsKind::None | CredentialsKind::Flow(_) => Vec::new(),
            CredentialsKind::Bearer(token) => vec![token.expose().to_owned()],
            CredentialsKind::Login(form) => form.secrets(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Secrets print as `Secret(***)`; the user id is not a secret and helps debugging.
        match &self.kind {
            CredentialsKind::None => f.write_str("Credentials::None"),
            CredentialsKind::Login(form) => {
                f.debug_tuple("Credentials::Login").field(form).finish()
            }
            CredentialsKind::Bearer(token) => {
                f.debug_tuple("Credentials::Bearer").field(token).finish()
            }
            CredentialsKind::Flow(flow) => write!(f, "Credentials::SignInFlow({})", flow.name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "s3cr3t-VALUE-42";

    #[test]
    fn debug_never_shows_secrets() {
        let all = [
            Credentials::password("me@example.com", SECRET),
            Credentials::sso_token("me@example.com", SECRET),
            Credentials::access_token(SECRET),
            Credentials::jwt(SECRET),
            Credentials::bearer(SECRET),
            Credentials::password("me@example.com", "pw").with_api_key(SECRET),
            Credentials::from_fn(|| async { Ok(Credentials::jwt(SECRET)) }),
        ];
        for creds in all {
            let debug = format!("{creds:?} {creds:#?}");
            assert!(!debug.contains(SECRET), "{debug}");
            assert!(debug.contains("Credentials"), "{debug}");
        }
        assert_eq!(format!("{:?}", Secret::new(SECRET)), "Secret(***)");
    }

    #[test]
    fn login_fields() {
        let creds = Credentials::password("me@example.com", "pw")
            .with_api_key("key")
            .with_setup_oid("oid");
        let CredentialsKind::Login(form) = creds.kind else {
            panic!("login form expected")
        };
        assert_eq!(
            form.fields(),
            vec![
                ("userId", "me@example.com".to_owned()),
                ("userPassword", "pw".to_owned()),
                ("apiKey", "key".to_owned()),
                ("setupOID", "oid".to_owned()),
            ]
        );
        let CredentialsKind::Login(form) = Credentials::jwt("t").kind else {
            panic!("login form expected")
        };
        assert_eq!(form.fields(), vec![("jwt", "t".to_owned())]);
        let CredentialsKind::Login(form) = Credentials::access_token("t").kind else {
            panic!()
        };
        assert_eq!(form.fields(), vec![("accessToken", "t".to_owned())]);
        let CredentialsKind::Login(form) = Credentials::sso_token("u", "t").kind else {
            panic!()
        };
        assert_eq!(
            form.fields(),
            vec![("userId", "u".to_owned()), ("ssoToken", "t".to_owned())]
        );
    }

    #[test]
    fn renewable_kinds() {
        assert!(Credentials::password("u", "p").is_renewable());
        assert!(Credentials::from_fn(|| async { Ok(Credentials::bearer("t")) }).is_renewable());
        assert!(!Credentials::bearer("t").is_renewable());
        assert!(!Credentials::none().is_renewable());
        assert!(Credentials::bearer("t").is_bearer());
    }
}
