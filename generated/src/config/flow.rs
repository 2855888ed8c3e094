//! The extension point for credentials: a [`SignInFlow`] turns what the user has
//! (a password, a browser sign-in, a token from elsewhere) into a [`Grant`], with
//! what a flow may use while it runs ([`SignInContext`]). The vendors' flows are in
//! [`crate::signin`].

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;

use crate::config::grant::{tell, Grant, TokensCallback};
use crate::error::Error;
use crate::value::redact::{Redactor, Slot};

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
        self.redactor.set(Slot::Grant, grant.secrets());
        if let Some(callback) = &self.on_tokens_changed {
            tell(callback, grant);
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
