//! Brandt Smart Control: a session at the Brandt middleware (cookie), a JWT from its
//! profile endpoint, then `POST /login` with `jwt`.

use futures::future::BoxFuture;

use super::vendor;
use super::{Grant, SignInContext, SignInFlow};
use crate::config::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind};

const SERVICE: &str = "Brandt";

/// The Brandt Smart Control middleware.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Brandt {
    /// Base URL (`https://www.smartcontrol-app.com`).
    pub api: String,
    /// The partner name sent with the credentials.
    pub partner: String,
}

impl Default for Brandt {
    fn default() -> Brandt {
        Brandt {
            api: "https://www.smartcontrol-app.com".into(),
            partner: "brandt-electromenager".into(),
        }
    }
}

pub(crate) struct BrandtFlow {
    config: Brandt,
    user: String,
    password: Secret,
}

impl BrandtFlow {
    pub(crate) fn new(config: Brandt, user: String, password: Secret) -> BrandtFlow {
        BrandtFlow {
            config,
            user,
            password,
        }
    }
}

impl SignInFlow for BrandtFlow {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let api = self.config.api.trim_end_matches('/');
            let body = serde_json::json!({
                "client": {
                    "email": self.user,
                    "password": self.password.expose(),
                    "partner": self.config.partner,
                }
            });
            let request = ctx
                .http()
                .post(format!("{api}/api/v1/sessions.json"))
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(body.to_string());
            let answer = vendor::send(ctx, SERVICE, "session", request).await?;
            if answer.status >= 400 {
                // `{"error": ["Invalid email or password."]}`
                let message = answer
                    .json(SERVICE, "session")
                    .ok()
                    .and_then(|b| b.get("error")?.get(0)?.as_str().map(str::to_owned))
                    .unwrap_or_else(|| "bad credentials".into());
                return Err(Error::sign_in_service(
                    SERVICE,
                    "session",
                    ErrorKind::BadCredentials,
                    Some(answer.status),
                    ctx.redact(&message),
                ));
            }
            let cookie = answer.cookies.join("; ");
            let mut request = ctx.http().get(format!("{api}/api/v1/profile/jwt.json"));
            if !cookie.is_empty() {
                request = request.header(reqwest::header::COOKIE, cookie);
            }
            let answer = vendor::send(ctx, SERVICE, "jwt", request).await?;
            if answer.status >= 400 {
                return Err(Error::sign_in_service(
                    SERVICE,
                    "jwt",
                    ErrorKind::AuthenticationFailed,
                    Some(answer.status),
                    answer.message(ctx),
                ));
            }
            let jwt = answer
                .json(SERVICE, "jwt")?
                .get("client")
                .and_then(|c| c.get("jwt"))
                .and_then(|j| j.as_str())
                .filter(|j| !j.is_empty())
                .map(str::to_owned)
                .ok_or_else(|| {
                    Error::sign_in_service(
                        SERVICE,
                        "jwt",
                        ErrorKind::Decode,
                        Some(answer.status),
                        "no JWT in the answer",
                    )
                })?;
            ctx.keep_secret(&jwt);
            Grant::login(Credentials::jwt(jwt))
        })
    }
}
