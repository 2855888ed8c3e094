//! How a [`crate::Client`] proves who it is.
//!
//! Cloud servers open a session with `POST /login` (form fields, one of
//! `userId`+`userPassword`, `userId`+`ssoToken`, `accessToken`, `jwt`) and then rely on
//! the `JSESSIONID` cookie; the local API takes `Authorization: Bearer <token>` on
//! every call. Vendors that sign in elsewhere first (Cozytouch, Nexity, ...) plug
//! their flow in as a [`TokenSource`]. Every secret is held in a [`Secret`], whose
//! `Debug` output never shows it.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use futures::future::BoxFuture;

/// A boxed error returned by a [`TokenSource`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A password, token or key: `Debug` prints `Secret(***)`, and there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret value, for sending it; never log it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Secret {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Secret {
        Secret(value.to_owned())
    }
}

/// Produces fresh credentials for vendor-specific sign-in flows (e.g. exchanging a
/// Cozytouch account for an Overkiz JWT).
///
/// The client calls it before its first request and again whenever the server says the
/// session or token is no longer valid. It returns [`Credentials`] of another kind:
/// a login form ([`Credentials::jwt`], [`Credentials::password`], ...) that the client
/// posts to `/login`, or a [`Credentials::bearer`] token.
pub trait TokenSource: Send + Sync {
    /// Returns fresh credentials.
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, BoxError>>;
}

/// A [`TokenSource`] made of a closure.
struct FnSource<F>(F);

impl<F, Fut> TokenSource for FnSource<F>
where
    F: Fn() -> Fut + Send + Sync,
    Fut: Future<Output = Result<Credentials, BoxError>> + Send + 'static,
{
    fn credentials(&self) -> BoxFuture<'_, Result<Credentials, BoxError>> {
        Box::pin((self.0)())
    }
}

/// How the user proves who they are with `POST /login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LoginMethod {
    Password { user_id: String, password: Secret },
    SsoToken { user_id: String, sso_token: Secret },
    AccessToken(Secret),
    Jwt(Secret),
}

/// The form posted to `/login`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct LoginForm {
    pub(crate) method: LoginMethod,
    pub(crate) application_id: Option<String>,
    pub(crate) api_key: Option<Secret>,
    pub(crate) setup_oid: Option<String>,
}

impl LoginForm {
    /// The form fields, secrets exposed: only for the request body.
    pub(crate) fn fields(&self) -> Vec<(&'static str, String)> {
        let mut fields = match &self.method {
            LoginMethod::Password { user_id, password } => {
                vec![
                    ("userId", user_id.clone()),
                    ("userPassword", password.expose().to_owned()),
                ]
            }
            LoginMethod::SsoToken { user_id, sso_token } => {
                vec![
                    ("userId", user_id.clone()),
                    ("ssoToken", sso_token.expose().to_owned()),
                ]
            }
            LoginMethod::AccessToken(token) => vec![("accessToken", token.expose().to_owned())],
            LoginMethod::Jwt(token) => vec![("jwt", token.expose().to_owned())],
        };
        if let Some(id) = &self.application_id {
            fields.push(("applicationId", id.clone()));
        }
        if let Some(key) = &self.api_key {
            fields.push(("apiKey", key.expose().to_owned()));
        }
        if let Some(oid) = &self.setup_oid {
            fields.push(("setupOID", oid.clone()));
        }
        fields
    }
}

#[derive(Clone)]
pub(crate) enum CredentialsKind {
    None,
    Login(LoginForm),
    Bearer(Secret),
    Source(Arc<dyn TokenSource>),
    Flow(Arc<dyn crate::signin::SignInFlow>),
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
    pub fn token_source(source: impl TokenSource + 'static) -> Credentials {
        Credentials {
            kind: CredentialsKind::Source(Arc::new(source)),
        }
    }

    /// Credentials produced by a vendor sign-in flow ([`crate::signin`]). Presets
    /// pick their vendor's flow by themselves for [`Credentials::password`]; this is
    /// for flows without a password (Rexel) or of your own.
    pub fn sign_in_flow(flow: Arc<dyn crate::signin::SignInFlow>) -> Credentials {
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
        Credentials::token_source(FnSource(f))
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
            CredentialsKind::Login(_) | CredentialsKind::Source(_) | CredentialsKind::Flow(_)
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
            CredentialsKind::None | CredentialsKind::Source(_) | CredentialsKind::Flow(_) => {
                Vec::new()
            }
            CredentialsKind::Bearer(token) => vec![token.expose().to_owned()],
            CredentialsKind::Login(form) => form
                .fields()
                .into_iter()
                .filter(|(name, _)| *name != "applicationId")
                .map(|(_, value)| value)
                .collect(),
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
            CredentialsKind::Source(_) => f.write_str("Credentials::TokenSource(..)"),
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
