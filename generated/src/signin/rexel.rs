//! Rexel Energeasy Connect: OAuth 2 authorization code with PKCE (the user signs in in
//! a browser), refresh-token grant, then `Authorization: Bearer` plus a `gatewayId`
//! header on every call; the account's gateways are listed through Rexel's API.

use std::sync::{Arc, Mutex};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures::future::BoxFuture;

use super::pkce::{random_bytes, Pkce};
use super::somfy::oauth_grant;
use super::vendor;
use super::{Grant, SignInContext, SignInFlow};
use crate::auth::{BoxError, Credentials, Secret};
use crate::error::{Error, ErrorKind};
use crate::session::lock;

const SERVICE: &str = "Rexel";

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
    /// The consent the access token must carry.
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
/// Rexel redirects to the redirect URI with `code` and `state` in the query. Check the
/// state, then pass the code to [`RexelAuthorization::sign_in_with_code`].
#[derive(Debug, Clone)]
pub struct RexelAuthorization {
    config: Rexel,
    pkce: Pkce,
    /// The URL to open.
    pub url: String,
    /// The `state` the redirect must carry back (CSRF protection).
    pub state: String,
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

    /// Sign-in with an access token the application manages itself (it ran the
    /// OAuth flow and refreshes the token): `token` is called at every sign-in.
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

    /// The sign-in flow for the code the redirect carried; wrap it with
    /// [`Credentials::sign_in_flow`]. The code is exchanged at the first call; the
    /// flow then refreshes its token by itself. Keep the returned `Arc` to list the
    /// account's gateways ([`RexelSignIn::gateways`]).
    pub fn sign_in_with_code(&self, code: impl Into<String>) -> Arc<RexelSignIn> {
        RexelSignIn::new(
            self.config.clone(),
            Source::Code {
                code: Secret::new(code.into()),
                verifier: self.pkce.verifier.clone(),
            },
        )
    }
}

enum Source {
    Code { code: Secret, verifier: Secret },
    Callback(Box<dyn Fn() -> BoxFuture<'static, Result<Secret, BoxError>> + Send + Sync>),
}

/// A gateway of a Rexel account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RexelGateway {
    /// The gateway id sent in the `gatewayId` header.
    pub gateway_id: String,
    /// The home it belongs to.
    pub home_id: String,
    /// The home's label.
    pub label: Option<String>,
}

/// The Rexel sign-in flow (see [`Rexel::authorize`]).
pub struct RexelSignIn {
    config: Rexel,
    source: Source,
    gateway: Mutex<Option<String>>,
    gateways: Mutex<Vec<RexelGateway>>,
}

impl std::fmt::Debug for RexelSignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RexelSignIn")
            .field("gateway", &*lock(&self.gateway))
            .finish_non_exhaustive()
    }
}

impl RexelSignIn {
    fn new(config: Rexel, source: Source) -> Arc<RexelSignIn> {
        Arc::new(RexelSignIn {
            config,
            source,
            gateway: Mutex::new(None),
            gateways: Mutex::new(Vec::new()),
        })
    }

    /// Chooses the gateway (needed when the account has several; with one, it is
    /// chosen by itself). Takes effect at the next sign-in: call
    /// [`crate::Client::login`] after changing it.
    pub fn select_gateway(&self, gateway_id: impl Into<String>) {
        *lock(&self.gateway) = Some(gateway_id.into());
    }

    /// The account's gateways, as listed at the last sign-in that had to choose one.
    pub fn gateways(&self) -> Vec<RexelGateway> {
        lock(&self.gateways).clone()
    }

    /// Credentials for a client of [`crate::Server::rexel`].
    pub fn credentials(self: &Arc<RexelSignIn>) -> Credentials {
        Credentials::sign_in_flow(self.clone())
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
        self.check_consent(&grant)?;
        Ok(grant)
    }

    /// The access token must carry the app's consent (the user may have revoked it).
    fn check_consent(&self, grant: &Grant) -> Result<(), Error> {
        let super::Proof::Bearer(token) = &grant.proof else {
            return Ok(());
        };
        let consent = jwt_claim(token.expose(), "consent");
        if consent.as_deref() != Some(self.config.required_consent.as_str()) {
            return Err(Error::sign_in_service(
                SERVICE,
                "consent",
                ErrorKind::AuthenticationFailed,
                None,
                "the token lacks the app's consent (missing or revoked)",
            ));
        }
        Ok(())
    }

    /// Adds the gateway header, choosing the gateway if needed.
    async fn with_gateway(&self, ctx: &SignInContext, grant: Grant) -> Result<Grant, Error> {
        let chosen = lock(&self.gateway).clone();
        let gateway = match chosen {
            Some(id) => id,
            None => {
                let super::Proof::Bearer(token) = &grant.proof else {
                    return Ok(grant);
                };
                let gateways = self.list_gateways(ctx, token).await?;
                *lock(&self.gateways) = gateways.clone();
                match gateways.as_slice() {
                    [only] => only.gateway_id.clone(),
                    list => {
                        return Err(Error::config(format!(
                            "the Rexel account has {} gateways: choose one with RexelSignIn::select_gateway (see RexelSignIn::gateways)",
                            list.len()
                        )))
                    }
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

impl SignInFlow for RexelSignIn {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let grant = match &self.source {
                Source::Code { code, verifier } => {
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
                    .await?
                }
                Source::Callback(token) => {
                    let token = token()
                        .await
                        .map_err(|source| Error::TokenSource { source })?;
                    ctx.keep_secret(token.expose());
                    let grant = Grant::bearer(token);
                    self.check_consent(&grant)?;
                    grant
                }
            };
            self.with_gateway(ctx, grant).await
        })
    }

    fn refresh<'a>(
        &'a self,
        ctx: &'a SignInContext,
        previous: &'a Grant,
    ) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let Some(refresh) = previous.refresh_token() else {
                return self.sign_in(ctx).await;
            };
            let grant = self
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
                .await?;
            self.with_gateway(ctx, grant).await
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
