//! Nexity Eugénie: AWS Cognito `USER_SRP_AUTH` sign-in (public pool and app client),
//! then an SSO token from Nexity's API, then `POST /login` with `ssoToken` and the
//! user id with `@` written `_-_`.

use futures::future::BoxFuture;

use super::vendor;
use super::{Grant, SignInContext, SignInFlow};
use crate::config::credentials::{Credentials, Secret};
use crate::config::signin::srp::{self, CognitoError};
use crate::error::{Error, ErrorKind};

const SERVICE: &str = "Nexity";

/// Nexity's Cognito user pool and API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Nexity {
    /// The pool's regional Cognito endpoint.
    pub cognito_endpoint: String,
    /// The user pool (`eu-west-1_wj277ucoI`).
    pub pool_id: String,
    /// The app client (no secret).
    pub client_id: String,
    /// Base URL of Nexity's API (`https://api.egn.prd.aws-nexity.fr`).
    pub api: String,
}

impl Default for Nexity {
    fn default() -> Nexity {
        Nexity {
            cognito_endpoint: srp::NEXITY_COGNITO_ENDPOINT.into(),
            pool_id: srp::NEXITY_USER_POOL_ID.into(),
            client_id: srp::NEXITY_CLIENT_ID.into(),
            api: "https://api.egn.prd.aws-nexity.fr".into(),
        }
    }
}

pub(crate) struct NexityFlow {
    config: Nexity,
    user: String,
    password: Secret,
}

impl NexityFlow {
    pub(crate) fn new(config: Nexity, user: String, password: Secret) -> NexityFlow {
        NexityFlow {
            config,
            user,
            password,
        }
    }
}

/// Cognito's failures in the client's kinds.
fn cognito_error(error: CognitoError) -> Error {
    let kind = match &error {
        CognitoError::BadCredentials { .. } => ErrorKind::BadCredentials,
        CognitoError::Throttled { .. } => ErrorKind::TooManyRequests,
        CognitoError::Unavailable { .. } => ErrorKind::Unavailable,
        CognitoError::Rejected { .. } | CognitoError::UnsupportedChallenge { .. } => {
            ErrorKind::AuthenticationFailed
        }
        CognitoError::Malformed(_) => ErrorKind::Decode,
        CognitoError::Transport(e) if e.is_timeout() => ErrorKind::Timeout,
        CognitoError::Transport(_) => ErrorKind::Transport,
        _ => ErrorKind::Config,
    };
    let status = match &error {
        CognitoError::Unavailable { status } | CognitoError::Rejected { status, .. } => {
            Some(*status)
        }
        _ => None,
    };
    Error::sign_in_service(
        "Nexity (Cognito)",
        "sign-in",
        kind,
        status,
        error.to_string(),
    )
}

impl SignInFlow for NexityFlow {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let id_token = srp::cognito_srp_id_token(
                ctx.http(),
                &self.config.cognito_endpoint,
                &self.config.pool_id,
                &self.config.client_id,
                &self.user,
                &self.password,
            )
            .await
            .map_err(cognito_error)?;
            ctx.keep_secret(id_token.expose());
            let api = self.config.api.trim_end_matches('/');
            // The IdToken goes as the header's whole value, without `Bearer`.
            let request = ctx
                .http()
                .get(format!("{api}/deploy/api/v1/domotic/token"))
                .header(reqwest::header::AUTHORIZATION, id_token.expose());
            let answer = vendor::send(ctx, SERVICE, "sso token", request).await?;
            if answer.status >= 400 {
                return Err(vendor::refused(ctx, SERVICE, "sso token", &answer));
            }
            let token = answer
                .json(SERVICE, "sso token")?
                .get("token")
                .and_then(|t| t.as_str())
                .filter(|t| !t.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::sign_in_service(
                        SERVICE,
                        "sso token",
                        ErrorKind::Decode,
                        Some(answer.status),
                        "no SSO token in the answer",
                    )
                })?;
            ctx.keep_secret(&token);
            Grant::login(Credentials::sso_token(self.user.replace('@', "_-_"), token))
        })
    }
}
