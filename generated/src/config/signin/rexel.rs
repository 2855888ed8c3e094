//! Rexel Energeasy Connect: OAuth 2 authorization code with PKCE (the user signs in in
//! a browser), refresh-token grant, then `Authorization: Bearer` plus a `gatewayId`
//! header on every call; the account's gateways are listed through Rexel's API.
//!
//! The authorization code can be exchanged once only, so the flow keeps the grant it
//! gave, whatever happens next: a gateway still to choose, a failed listing, a
//! failed call. Later sign-ins reuse or refresh that grant; the code is never sent
//! twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::future::BoxFuture;

use super::pkce::{random_bytes, Pkce};
use super::somfy::oauth_grant;
use super::vendor;
use super::{Grant, Proof, SignInContext, SignInFlow};
use crate::config::credentials::{Credentials, Secret};
use crate::error::BoxError;
use crate::error::{Error, ErrorKind};
use crate::value::lock::lock;

const SERVICE: &str = "Rexel";

/// A kept access token is reused only while it has at least this long to live;
/// otherwise it is refreshed first.
const REUSE_MARGIN: Duration = Duration::from_secs(60);

/// Rexel's OAuth service, API and the public app registration (the Home Assistant
/// one, as pyoverkiz uses).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rexel {
    /// Authorization endpoint (opened in the user's browser).
    pub authorize_url: String,
    /// Token endpoint (with its `p` policy parameter).
    pub token_url: String,
    /// The policy (`p`) of the authorization URL.
    pub policy: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth scope.
    pub scope: String,
    /// Where the browser is sent back with the code.
    pub redirect_uri: String,
    /// The consent the access token should carry (a token without it is used
    /// anyway, with a warning in the logs).
    pub required_consent: String,
    /// The account API, where homes and gateways are listed.
    pub enduser_api: String,
    /// The header naming the gateway on every Overkiz call.
    pub gateway_header: String,
}

impl Default for Rexel {
    fn default() -> Rexel {
        let tenant = "https://consumerlogin.rexelservices.fr/670998c0-f737-4d75-a32f-ba9292755b70";
        let policy = "b2c_1a_signinonlyhomeassistant";
        Rexel {
            authorize_url: format!("{tenant}/oauth2/v2.0/authorize"),
            token_url: format!("{tenant}/oauth2/v2.0/token?p={policy}"),
            policy: policy.into(),
            client_id: "2b635ede-c3fb-43bc-8d23-f6d17f80e96d".into(),
            scope: "https://adb2cservicesfrenduserprod.onmicrosoft.com/94f05108-65f7-477a-a84d-e67e1aed6f79/ExternalProvider".into(),
            redirect_uri: "https://my.home-assistant.io/redirect/oauth".into(),
            required_consent: "homeassistant".into(),
            enduser_api: "https://econnect-api.rexelservices.fr/api/enduser".into(),
            gateway_header: "gatewayId".into(),
        }
    }
}

/// The first step of a Rexel sign-in: open [`RexelAuthorization::url`] in a browser;
/// Rexel redirects to the redirect URI with `code` and `state` in the query. Pass
/// that whole URL to [`RexelAuthorization::code_from_redirect`] (it checks the
/// state), then the code to [`RexelAuthorization::sign_in_with_code`].
#[derive(Debug, Clone)]
pub struct RexelAuthorization {
    config: Rexel,
    pkce: Pkce,
    /// The URL to open.
    pub url: String,
    /// The `state` the redirect must carry back (CSRF protection); keep it with the
    /// PKCE verifier if the redirect is handled by another process.
    pub state: String,
}

/// Why an authorization redirect ([`RexelAuthorization::code_from_redirect`]) gave no
/// code. No variant holds the code or the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthorizationRedirectError {
    /// The text is not a URL.
    #[error("the redirect is not a URL: {0}")]
    InvalidUrl(String),
    /// The redirect's `state` is missing or is not this authorization's: a stale
    /// redirect (of another authorization) or a forged one. Start a new
    /// authorization.
    #[error("the redirect's state does not match this authorization (stale or forged redirect)")]
    StateMismatch,
    /// The service refused the authorization (`error=` in the redirect, e.g. the
    /// user declined: `access_denied`).
    #[error("the authorization was refused: {error}{}", description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Refused {
        /// The OAuth `error` code.
        error: String,
        /// The `error_description`, if given.
        description: Option<String>,
    },
    /// The redirect carries neither a code nor an error.
    #[error("the redirect carries no authorization code")]
    MissingCode,
}

impl Rexel {
    /// Starts an authorization: a fresh PKCE pair and state, and the URL to open.
    pub fn authorize(&self) -> Result<RexelAuthorization, Error> {
        let pkce = Pkce::new()?;
        let state = URL_SAFE_NO_PAD.encode(random_bytes::<16>()?);
        let mut url = url::Url::parse(&self.authorize_url)
            .map_err(|e| Error::config(format!("invalid Rexel authorization URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("p", &self.policy)
            .append_pair("client_id", &self.client_id)
            .append_pair("response_type", "code")
            .append_pair("redirect_uri", &self.redirect_uri)
            .append_pair("response_mode", "query")
            .append_pair("scope", &self.scope)
            .append_pair("code_challenge", &pkce.challenge)
            .append_pair("code_challenge_method", "S256")
            .append_pair("state", &state);
        Ok(RexelAuthorization {
            config: self.clone(),
            pkce,
            url: url.into(),
            state,
        })
    }

    /// The flow of a client that starts from a grant saved earlier
    /// ([`crate::ClientBuilder::restore_tokens`], saved from
    /// [`crate::ClientBuilder::on_tokens_changed`]): it refreshes that grant and keeps
    /// the gateway it names. Without a usable grant (none restored, or its refresh
    /// token refused) the sign-in fails with [`ErrorKind::BadCredentials`]
    /// ([`Error::needs_new_credentials`]): authorize again in the browser.
    pub fn sign_in_restored(&self) -> Arc<RexelSignIn> {
        RexelSignIn::new(self.clone(), Source::Restored)
    }

    /// Sign-in with an access token the application manages itself (it ran the
    /// OAuth flow and refreshes the token): `token` is called at every sign-in.
    /// Choose the gateway with [`RexelSignIn::select_gateway`] if the application
    /// stored it; otherwise a sole gateway is chosen by itself.
    pub fn sign_in_with_token<F>(&self, token: F) -> Arc<RexelSignIn>
    where
        F: Fn() -> BoxFuture<'static, Result<Secret, BoxError>> + Send + Sync + 'static,
    {
        RexelSignIn::new(self.clone(), Source::Callback(Box::new(token)))
    }
}

impl RexelAuthorization {
    /// The PKCE verifier (to keep if the code is exchanged elsewhere).
    pub fn pkce(&self) -> &Pkce {
        &self.pkce
    }

    /// Reads the URL the browser was redirected to (the whole URL, query included):
    /// checks its `state` against this authorization's and returns the code.
    pub fn code_from_redirect(
        &self,
        redirect_url: &str,
    ) -> Result<Secret, AuthorizationRedirectError> {
        let url = url::Url::parse(redirect_url.trim())
            .map_err(|e| AuthorizationRedirectError::InvalidUrl(e.to_string()))?;
        let (mut state, mut code, mut error, mut description) = (None, None, None, None);
        for (name, value) in url.query_pairs() {
            let slot = match &*name {
                "state" => &mut state,
                "code" => &mut code,
                "error" => &mut error,
                "error_description" => &mut description,
                _ => continue,
            };
            // A repeated parameter is ambiguous: its first value counts.
            slot.get_or_insert(value.into_owned());
        }
        // A refusal holds no secret and may come back without the state (some
        // services drop it on errors): say what the service said.
        if let Some(error) = error.filter(|e| !e.is_empty()) {
            return Err(AuthorizationRedirectError::Refused { error, description });
        }
        if state.as_deref() != Some(self.state.as_str()) {
            return Err(AuthorizationRedirectError::StateMismatch);
        }
        code.filter(|c| !c.is_empty())
            .map(Secret::new)
            .ok_or(AuthorizationRedirectError::MissingCode)
    }

    /// The sign-in flow for the code the redirect carried; wrap it with
    /// [`RexelSignIn::credentials`]. The code is exchanged at the first sign-in, and
    /// only then: the flow keeps the grant and refreshes it by itself. Keep the
    /// returned `Arc` to choose among several gateways ([`RexelSignIn::gateways`],
    /// [`RexelSignIn::select_gateway`]).
    pub fn sign_in_with_code(&self, code: impl Into<Secret>) -> Arc<RexelSignIn> {
        RexelSignIn::new(
            self.config.clone(),
            Source::Code {
                code: Mutex::new(Some(code.into())),
                verifier: self.pkce.verifier.clone(),
            },
        )
    }
}

enum Source {
    /// The authorization code, taken out when it is sent: it is sent once at most.
    Code {
        code: Mutex<Option<Secret>>,
        verifier: Secret,
    },
    /// No code: only the grant the client restores ([`Rexel::sign_in_restored`]).
    Restored,
    Callback(Box<dyn Fn() -> BoxFuture<'static, Result<Secret, BoxError>> + Send + Sync>),
}

/// A gateway of a Rexel account.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RexelGateway {
    /// The gateway id sent in the `gatewayId` header (the gateway's PIN).
    pub gateway_id: String,
    /// The home it belongs to.
    pub home_id: String,
    /// The home's label.
    pub label: Option<String>,
    /// Rexel's own id of the gateway (`externalId`), if listed.
    pub external_id: Option<String>,
}

/// Whether a kept grant lives long enough to be reused as it is.
fn usable(grant: &Grant) -> bool {
    grant
        .remaining()
        .is_none_or(|remaining| remaining >= REUSE_MARGIN)
}

#[derive(Default)]
struct FlowState {
    /// The grant of the code exchange or of the last refresh.
    kept: Option<Grant>,
    gateway: Option<String>,
    /// The last listing (`None`: never listed).
    gateways: Option<Vec<RexelGateway>>,
}

/// The Rexel sign-in flow (see [`Rexel::authorize`]).
///
/// With several gateways on the account, the first sign-in fails with
/// [`ErrorKind::GatewayChoiceNeeded`] and keeps its grant: read
/// [`RexelSignIn::gateways`], call [`RexelSignIn::select_gateway`], then sign in
/// again ([`crate::Client::login`]); nothing is sent in between, and the code is not
/// exchanged again.
pub struct RexelSignIn {
    config: Rexel,
    source: Source,
    state: Mutex<FlowState>,
    /// The missing-consent warning is logged once per flow.
    consent_warned: AtomicBool,
}

impl std::fmt::Debug for RexelSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let state = lock(&self.state);
        f.debug_struct("RexelSignIn")
            .field("gateway", &state.gateway)
            .field("grant_kept", &state.kept.is_some())
            .finish_non_exhaustive()
    }
}

impl RexelSignIn {
    fn new(config: Rexel, source: Source) -> Arc<RexelSignIn> {
        Arc::new(RexelSignIn {
            config,
            source,
            state: Mutex::new(FlowState::default()),
            consent_warned: AtomicBool::new(false),
        })
    }

    /// Chooses the gateway (needed when the account has several; with one, it is
    /// chosen by itself). Takes effect at the next sign-in: call
    /// [`crate::Client::login`] after changing it.
    pub fn select_gateway(&self, gateway_id: impl Into<String>) {
        lock(&self.state).gateway = Some(gateway_id.into());
    }

    /// The gateway in use, if chosen.
    pub fn selected_gateway(&self) -> Option<String> {
        lock(&self.state).gateway.clone()
    }

    /// The account's gateways, as listed at the last sign-in that had to choose one
    /// (empty before).
    pub fn gateways(&self) -> Vec<RexelGateway> {
        lock(&self.state).gateways.clone().unwrap_or_default()
    }

    /// Credentials for a client of [`crate::Server::rexel`].
    pub fn credentials(self: &Arc<RexelSignIn>) -> Credentials {
        Credentials::sign_in_flow(self.clone())
    }

    /// Keeps a new grant of the token endpoint (every grant the flow gets goes
    /// through here), whatever the sign-in runs into next.
    fn keep(&self, grant: &Grant) {
        lock(&self.state).kept = Some(grant.clone());
    }

    async fn token(
        &self,
        ctx: &SignInContext,
        form: &[(&str, &str)],
        step: &'static str,
    ) -> Result<Grant, Error> {
        let request = ctx.http().post(&self.config.token_url).form(form);
        let answer = vendor::send(ctx, SERVICE, step, request).await?;
        let grant = oauth_grant(ctx, SERVICE, step, &answer)?;
        self.check_consent(&grant);
        self.keep(&grant);
        Ok(grant)
    }

    /// The access token should carry the app's consent. The reference client's
    /// token flow does not check it, and Rexel's API decides anyway: a token without
    /// it is used, with one warning.
    fn check_consent(&self, grant: &Grant) {
        let Proof::Bearer(token) = &grant.proof else {
            return;
        };
        let consent = jwt_claim(token.expose(), "consent");
        if consent.as_deref() != Some(self.config.required_consent.as_str())
            && !self.consent_warned.swap(true, Ordering::Relaxed)
        {
            tracing::warn!(
                service = SERVICE,
                required = %self.config.required_consent,
                "the Rexel access token lacks the app's consent (missing or revoked); signing in anyway"
            );
        }
    }

    /// The code exchange: the code is taken out before it is sent, so it is never
    /// sent twice, even if this future is dropped.
    async fn exchange_code(
        &self,
        ctx: &SignInContext,
        code: &Mutex<Option<Secret>>,
        verifier: &Secret,
    ) -> Result<Grant, Error> {
        let Some(code) = lock(code).take() else {
            return Err(authorize_again());
        };
        self.token(
            ctx,
            &[
                ("grant_type", "authorization_code"),
                ("client_id", &self.config.client_id),
                ("scope", &self.config.scope),
                ("code", code.expose()),
                ("redirect_uri", &self.config.redirect_uri),
                ("code_verifier", verifier.expose()),
            ],
            "code",
        )
        .await
    }

    /// The refresh-token grant. A refused refresh token is forgotten.
    async fn refresh_grant(&self, ctx: &SignInContext, refresh: &Secret) -> Result<Grant, Error> {
        let result = self
            .token(
                ctx,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &self.config.client_id),
                    ("scope", &self.config.scope),
                    ("refresh_token", refresh.expose()),
                ],
                "refresh",
            )
            .await;
        if let Err(error) = &result {
            if error.kind().is_login_refusal() {
                let mut state = lock(&self.state);
                if state
                    .kept
                    .as_ref()
                    .and_then(Grant::refresh_token)
                    .is_some_and(|kept| kept == refresh)
                {
                    state.kept = None;
                }
            }
        }
        result
    }

    /// A bearer grant without the gateway: the kept one if it still lives, else
    /// refreshed, else the code exchange (once) or the application's token; and
    /// whether the token endpoint just gave it.
    async fn bearer_grant(&self, ctx: &SignInContext) -> Result<(Grant, bool), Error> {
        let code = match &self.source {
            Source::Code { code, verifier } => Some((code, verifier)),
            Source::Restored => None,
            Source::Callback(token) => {
                let token = token()
                    .await
                    .map_err(|source| Error::TokenSource { source })?;
                ctx.keep_secret(token.expose());
                let grant = Grant::bearer(token);
                self.check_consent(&grant);
                return Ok((grant, false));
            }
        };
        let (usable, refresh) = {
            let state = lock(&self.state);
            let kept = state.kept.as_ref();
            (
                kept.filter(|g| usable(g)).cloned(),
                kept.and_then(|g| g.refresh_token().cloned()),
            )
        };
        let fresh = match (usable, refresh) {
            (Some(grant), _) => return Ok((grant, false)),
            (None, Some(refresh)) => self.refresh_grant(ctx, &refresh).await?,
            (None, None) => match code {
                Some((code, verifier)) => self.exchange_code(ctx, code, verifier).await?,
                None => return Err(authorize_again()),
            },
        };
        Ok((fresh, true))
    }

    /// Adds the gateway to a grant. When that fails right after the token endpoint
    /// gave the grant (the code is spent, a refresh token may have rotated), the
    /// application is told about it anyway, so that a restart does not lose it. It
    /// is told as expired and without a gateway: a client restored from it renews
    /// it through this flow, which chooses the gateway, instead of calling without.
    async fn finish(&self, ctx: &SignInContext, grant: Grant, fresh: bool) -> Result<Grant, Error> {
        match self.with_gateway(ctx, grant.clone()).await {
            Err(error) if fresh && grant.refresh_token().is_some() => {
                ctx.tokens_changed(&grant.expires_in(Duration::ZERO));
                Err(error)
            }
            done => done,
        }
    }

    /// Adds the gateway header, choosing the gateway if needed.
    async fn with_gateway(&self, ctx: &SignInContext, grant: Grant) -> Result<Grant, Error> {
        let (chosen, listed) = {
            let state = lock(&self.state);
            (state.gateway.clone(), state.gateways.clone())
        };
        let gateway = match (chosen, listed) {
            (Some(id), _) => id,
            // Listed already: the app has to choose; nothing to send until then.
            (None, Some(list)) if list.len() > 1 => return Err(choice_needed(list.len())),
            (None, _) => {
                let Proof::Bearer(token) = &grant.proof else {
                    return Ok(grant);
                };
                let gateways = self.list_gateways(ctx, token).await?;
                let mut state = lock(&self.state);
                state.gateways = Some(gateways.clone());
                match gateways.as_slice() {
                    [only] => {
                        state.gateway = Some(only.gateway_id.clone());
                        only.gateway_id.clone()
                    }
                    [] => {
                        return Err(Error::sign_in_service(
                            SERVICE,
                            "gateways",
                            ErrorKind::NoGateway,
                            None,
                            "the Rexel account has no gateway (add one in the Rexel app, then sign in again)",
                        ))
                    }
                    list => return Err(choice_needed(list.len())),
                }
            }
        };
        Ok(grant.with_header(self.config.gateway_header.clone(), gateway))
    }

    async fn list_gateways(
        &self,
        ctx: &SignInContext,
        token: &Secret,
    ) -> Result<Vec<RexelGateway>, Error> {
        let api = self.config.enduser_api.trim_end_matches('/');
        let homes = self.get_list(ctx, format!("{api}/homes"), token).await?;
        let mut gateways = Vec::new();
        for home in homes {
            let Some(home_id) = id_text(home.get("id")) else {
                continue;
            };
            let label = home
                .get("label")
                .and_then(|l| l.as_str())
                .map(str::to_owned);
            let url = format!("{api}/overkizgateways?homeId={}", urlencode(&home_id));
            for gateway in self.get_list(ctx, url, token).await? {
                if let Some(gateway_id) = id_text(gateway.get("gatewayId")) {
                    gateways.push(RexelGateway {
                        gateway_id,
                        home_id: home_id.clone(),
                        label: label.clone(),
                        external_id: id_text(gateway.get("externalId")),
                    });
                }
            }
        }
        Ok(gateways)
    }

    async fn get_list(
        &self,
        ctx: &SignInContext,
        url: String,
        token: &Secret,
    ) -> Result<Vec<serde_json::Value>, Error> {
        let request = ctx.http().get(url).bearer_auth(token.expose());
        let answer = vendor::send(ctx, SERVICE, "gateways", request).await?;
        if answer.status >= 400 {
            return Err(vendor::refused(ctx, SERVICE, "gateways", &answer));
        }
        match answer.json(SERVICE, "gateways")? {
            serde_json::Value::Array(items) => Ok(items),
            _ => Err(Error::sign_in_service(
                SERVICE,
                "gateways",
                ErrorKind::Decode,
                Some(answer.status),
                "not a list",
            )),
        }
    }
}

/// No code left to exchange and no grant to renew: only the user can go on.
fn authorize_again() -> Error {
    Error::sign_in_service(
        SERVICE,
        "code",
        ErrorKind::BadCredentials,
        None,
        "no Rexel grant left to renew and the authorization code is used up: authorize again (Rexel::authorize)",
    )
}

fn choice_needed(count: usize) -> Error {
    Error::sign_in_service(
        SERVICE,
        "gateways",
        ErrorKind::GatewayChoiceNeeded,
        None,
        format!(
            "the Rexel account has {count} gateways: choose one with RexelSignIn::select_gateway (see RexelSignIn::gateways), then sign in again"
        ),
    )
}

impl SignInFlow for RexelSignIn {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let (grant, fresh) = self.bearer_grant(ctx).await?;
            self.finish(ctx, grant, fresh).await
        })
    }

    fn refresh<'a>(
        &'a self,
        ctx: &'a SignInContext,
        previous: &'a Grant,
    ) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let kept = lock(&self.state)
                .kept
                .as_ref()
                .and_then(|g| g.refresh_token().cloned());
            // A grant the flow did not get itself (one the application stored) also
            // names its gateway.
            if kept.is_none() {
                if let Some(gateway) = previous.header(&self.config.gateway_header) {
                    lock(&self.state)
                        .gateway
                        .get_or_insert_with(|| gateway.expose().to_owned());
                }
            }
            let Some(refresh) = kept.or_else(|| previous.refresh_token().cloned()) else {
                return self.sign_in(ctx).await;
            };
            let grant = self.refresh_grant(ctx, &refresh).await?;
            self.finish(ctx, grant, true).await
        })
    }
}

/// An id that may be a JSON string or number.
fn id_text(value: Option<&serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// A string claim of a JWT's payload (not verified: only read).
fn jwt_claim(token: &str, claim: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let bytes = URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get(claim)?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn authorization_urls_carry_pkce_and_state() {
        let auth = Rexel::default().authorize().unwrap();
        let url = url::Url::parse(&auth.url).unwrap();
        let query: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
        assert_eq!(query["response_type"], "code");
        assert_eq!(query["code_challenge_method"], "S256");
        assert_eq!(query["code_challenge"], auth.pkce().challenge);
        assert_eq!(query["state"], auth.state);
        assert_eq!(query["client_id"], "2b635ede-c3fb-43bc-8d23-f6d17f80e96d");
        assert_eq!(query["p"], "b2c_1a_signinonlyhomeassistant");
        assert!(!auth.url.contains(auth.pkce().verifier.expose()));
        // Each authorization has its own state.
        assert_ne!(Rexel::default().authorize().unwrap().state, auth.state);
    }

    /// The redirect helper checks the state and tells each failure apart.
    #[test]
    fn redirects_give_the_code_only_with_this_authorizations_state() {
        let auth = Rexel::default().authorize().unwrap();
        let other = Rexel::default().authorize().unwrap();
        let base = "https://my.home-assistant.io/redirect/oauth";
        let redirect = |query: &str| format!("{base}?{query}");

        let code = auth
            .code_from_redirect(&redirect(&format!("code=the%2Bcode&state={}", auth.state)))
            .unwrap();
        assert_eq!(code.expose(), "the+code");

        for query in [
            format!("code=c&state={}", other.state),
            "code=c".to_owned(),
            "code=c&state=".to_owned(),
        ] {
            assert_eq!(
                auth.code_from_redirect(&redirect(&query)),
                Err(AuthorizationRedirectError::StateMismatch),
                "{query}"
            );
        }
        assert_eq!(
            auth.code_from_redirect(&redirect(&format!("state={}", auth.state))),
            Err(AuthorizationRedirectError::MissingCode)
        );
        assert_eq!(
            auth.code_from_redirect(&redirect(&format!("code=&state={}", auth.state))),
            Err(AuthorizationRedirectError::MissingCode)
        );
        let refused = auth
            .code_from_redirect(&redirect(&format!(
                "error=access_denied&error_description=The+user+cancelled&state={}",
                auth.state
            )))
            .unwrap_err();
        assert_eq!(
            refused,
            AuthorizationRedirectError::Refused {
                error: "access_denied".into(),
                description: Some("The user cancelled".into()),
            }
        );
        assert!(refused.to_string().contains("access_denied"), "{refused}");
        assert!(matches!(
            auth.code_from_redirect("not a url"),
            Err(AuthorizationRedirectError::InvalidUrl(_))
        ));
        // The errors never show the code.
        let error = auth
            .code_from_redirect(&redirect("code=SECRET-CODE&state=forged"))
            .unwrap_err();
        assert!(!format!("{error} {error:?}").contains("SECRET-CODE"));
    }

    #[test]
    fn jwt_claims_are_read() {
        let payload = URL_SAFE_NO_PAD.encode(br#"{"consent":"homeassistant"}"#);
        assert_eq!(
            jwt_claim(&format!("eyJh.{payload}.sig"), "consent").as_deref(),
            Some("homeassistant")
        );
        assert_eq!(jwt_claim("garbage", "consent"), None);
        assert_eq!(jwt_claim("a.!!!.c", "consent"), None);
    }
}
