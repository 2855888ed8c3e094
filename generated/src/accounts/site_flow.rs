//! The flows of a Somfy account's sites: the account's global session, held by a
//! client of its own under the client's sign-in rules ([`GlobalSession`]), and each
//! site's flow, which mints the site's token from it ([`SiteFlow`]).

use std::sync::Mutex;

use futures::future::BoxFuture;

use crate::config::flow::{SignInContext, SignInFlow};
use crate::config::grant::{Grant, Proof};
use crate::error::{Error, ErrorKind};
use crate::config::signin::somfy_sites::{keycloak, SERVICE};
use crate::config::signin::SomfySites;
use crate::transport::session::{still_valid, Refusal, SessionState};
use crate::value::lock::lock;

/// The account's global token, held under the account's sign-in rules (one sign-in
/// at a time, cool-down after a refusal): what a site's flow mints its token from.
pub(crate) trait GlobalSession: Send + Sync {
    /// The session in force, signing in first if there is none or it expires soon.
    fn current(&self) -> BoxFuture<'_, Result<SessionState, Error>>;
    /// Signs in again unless another call did since `seen` (then that session).
    fn renew<'a>(&'a self, seen: &'a SessionState) -> BoxFuture<'a, Result<SessionState, Error>>;
    /// `seen` served a call: the failures before are forgotten.
    fn confirm(&self, seen: &SessionState);
    /// `seen` was refused: counted as a failed sign-in if it never served a call.
    fn refused(&self, seen: &SessionState, error: Error) -> Refusal;
}

/// Whether `error` says the global token (or the refresh token in it) was refused:
/// not a throttling or a refusal of something else.
fn token_refused(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::BadCredentials | ErrorKind::InvalidToken | ErrorKind::NotAuthenticated
    )
}

/// Runs `call` with the account's global session: a refusal of a session that has
/// served before renews it once (shared with every other caller) and calls again; a
/// refusal of a session just opened counts as a failed sign-in (the account's
/// cool-down), never a loop.
pub(crate) async fn with_global<T, F, Fut>(account: &dyn GlobalSession, call: F) -> Result<T, Error>
where
    F: Fn(SessionState) -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let global = account.current().await?;
    let error = match call(global.clone()).await {
        Ok(value) => {
            account.confirm(&global);
            return Ok(value);
        }
        Err(error) if token_refused(&error) => error,
        Err(error) => return Err(error),
    };
    let global = match account.refused(&global, error) {
        Refusal::Counted(error) => return Err(error),
        Refusal::Expired(_) => {
            tracing::debug!("the account's global token was refused; renewing it once");
            account.renew(&global).await?
        }
    };
    match call(global.clone()).await {
        Ok(value) => {
            account.confirm(&global);
            Ok(value)
        }
        Err(error) if token_refused(&error) => match account.refused(&global, error) {
            Refusal::Counted(error) | Refusal::Expired(error) => Err(error),
        },
        Err(error) => Err(error),
    }
}

/// A site's flow: its token is minted from the account's global refresh token with
/// `?siteOID=`, at sign-in and again before it expires.
pub(crate) struct SiteFlow {
    config: SomfySites,
    account: std::sync::Arc<dyn GlobalSession>,
    site: String,
    /// The token minted while finding the site's region, for the client's first
    /// sign-in (so that it is not minted twice).
    pending: Mutex<Option<Grant>>,
}

impl SiteFlow {
    pub(crate) fn new(
        config: SomfySites,
        account: std::sync::Arc<dyn GlobalSession>,
        site: String,
    ) -> SiteFlow {
        SiteFlow {
            config,
            account,
            site,
            pending: Mutex::new(None),
        }
    }

    /// Keeps `grant` for the next sign-in.
    pub(crate) fn keep(&self, grant: Grant) {
        *lock(&self.pending) = Some(grant);
    }

    /// Mints a site-scoped token (see [`with_global`] for a refused global token).
    pub(crate) async fn mint(&self, ctx: &SignInContext) -> Result<Grant, Error> {
        with_global(&*self.account, |global| self.mint_from(ctx, global)).await
    }

    async fn mint_from(&self, ctx: &SignInContext, global: SessionState) -> Result<Grant, Error> {
        let Some(refresh) = global.grant().and_then(|g| g.refresh_token().cloned()) else {
            return Err(Error::sign_in_service(
                SERVICE,
                "site token",
                ErrorKind::AuthenticationFailed,
                None,
                "the account's global token came without a refresh token",
            ));
        };
        let grant = keycloak(
            ctx,
            &self.config,
            "site token",
            Some(&self.site),
            &[
                ("grant_type", "refresh_token"),
                ("client_id", &self.config.accounts.client_id),
                ("refresh_token", refresh.expose()),
            ],
        )
        .await?;
        // Renewed from the global token, never from its own refresh token: that is
        // the shape the app uses. Without one, the client signs in (mints) again.
        let mut site = match grant.proof {
            Proof::Bearer(token) => Grant::bearer(token),
            Proof::Login(_) => return Err(Error::config("a site token is a bearer token")),
        };
        if let Some(lifetime) = grant.expires_in {
            site = site.expires_in(lifetime);
        }
        Ok(site)
    }
}

impl SignInFlow for SiteFlow {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            // Taken once: a later sign-in (after a refusal) mints a new token.
            let pending = lock(&self.pending).take();
            if let Some(grant) = pending.filter(still_valid) {
                return Ok(grant);
            }
            self.mint(ctx).await
        })
    }
}
