//! Somfy accounts (Europe): OAuth password grant at the Somfy accounts service, then
//! `Authorization: Bearer` on every Overkiz call (no `/login`); refresh-token grant
//! before expiry.

use std::time::Duration;

use futures::future::BoxFuture;

use super::vendor::{self, Answer};
use super::{Grant, SignInContext, SignInFlow};
use crate::config::credentials::Secret;
use crate::error::{Error, ErrorKind};

const SERVICE: &str = "Somfy";

/// The Somfy accounts OAuth service and the public app credentials the Somfy apps use
/// (public by design: they ship inside the mobile apps).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SomfyOAuth {
    /// Token endpoint.
    pub token_url: String,
    /// OAuth client id.
    pub client_id: String,
    /// OAuth client secret.
    pub client_secret: Secret,
}

impl Default for SomfyOAuth {
    fn default() -> SomfyOAuth {
        SomfyOAuth {
            token_url: "https://accounts.somfy.com/oauth/oauth/v2/token/jwt".into(),
            client_id: "0d8e920c-1478-11e7-a377-02dd59bd3041_1ewvaqmclfogo4kcsoo0c8k4kso884owg08sg8c40sk4go4ksg".into(),
            client_secret: Secret::new("12k73w1n540g8o4cokg0cw84cog840k84cwggscwg884004kgk"),
        }
    }
}

pub(crate) struct SomfyFlow {
    config: SomfyOAuth,
    user: String,
    password: Secret,
}

impl SomfyFlow {
    pub(crate) fn new(config: SomfyOAuth, user: String, password: Secret) -> SomfyFlow {
        SomfyFlow {
            config,
            user,
            password,
        }
    }

    async fn token(
        &self,
        ctx: &SignInContext,
        step: &'static str,
        grant_type: &str,
        fields: &[(&str, &str)],
    ) -> Result<Grant, Error> {
        let mut form = vec![
            ("grant_type", grant_type),
            ("client_id", self.config.client_id.as_str()),
            ("client_secret", self.config.client_secret.expose()),
        ];
        form.extend_from_slice(fields);
        let request = ctx.http().post(&self.config.token_url).form(&form);
        let answer = vendor::send(ctx, SERVICE, step, request).await?;
        oauth_grant(ctx, SERVICE, step, &answer)
    }
}

/// Reads an OAuth token answer: `access_token`, `refresh_token`, `expires_in`; an
/// `error`/`message` saying the grant is invalid means bad credentials.
pub(crate) fn oauth_grant(
    ctx: &SignInContext,
    service: &'static str,
    step: &'static str,
    answer: &Answer,
) -> Result<Grant, Error> {
    let body = answer.json(service, step).map_err(|e| {
        if answer.status >= 400 {
            vendor::refused(ctx, service, step, answer)
        } else {
            e
        }
    })?;
    let refusal = ["message", "error"]
        .iter()
        .filter_map(|k| body.get(*k).and_then(|v| v.as_str()))
        .find(|m| {
            m.contains("invalid.grant")
                || m.contains("invalid_grant")
                || m.contains("invalid_client")
        });
    if let Some(message) = refusal {
        let description = body
            .get("error_description")
            .and_then(|v| v.as_str())
            .unwrap_or(message);
        return Err(Error::sign_in_service(
            service,
            step,
            ErrorKind::BadCredentials,
            Some(answer.status),
            ctx.redact(description),
        ));
    }
    let Some(access) = body
        .get("access_token")
        .and_then(|v| v.as_str())
        .filter(|t| !t.is_empty())
    else {
        if answer.status >= 400 {
            return Err(vendor::refused(ctx, service, step, answer));
        }
        return Err(Error::sign_in_service(
            service,
            step,
            ErrorKind::Decode,
            Some(answer.status),
            "no access token in the answer",
        ));
    };
    ctx.keep_secret(access);
    let mut grant = Grant::bearer(access);
    if let Some(refresh) = body.get("refresh_token").and_then(|v| v.as_str()) {
        ctx.keep_secret(refresh);
        grant = grant.with_refresh_token(refresh);
    }
    if let Some(seconds) = body
        .get("expires_in")
        .and_then(|v| v.as_u64().or_else(|| v.as_str()?.parse().ok()))
    {
        grant = grant.expires_in(Duration::from_secs(seconds));
    }
    Ok(grant)
}

impl SignInFlow for SomfyFlow {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            self.token(
                ctx,
                "token",
                "password",
                &[
                    ("username", &self.user),
                    ("password", self.password.expose()),
                ],
            )
            .await
        })
    }

    fn refresh<'a>(
        &'a self,
        ctx: &'a SignInContext,
        previous: &'a Grant,
    ) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            match previous.refresh_token() {
                Some(token) => {
                    self.token(
                        ctx,
                        "refresh",
                        "refresh_token",
                        &[("refresh_token", token.expose())],
                    )
                    .await
                }
                None => self.sign_in(ctx).await,
            }
        })
    }
}
