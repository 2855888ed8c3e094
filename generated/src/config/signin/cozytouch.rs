//! Atlantic, Thermor and Sauter Cozytouch: a token from the Atlantic API (password
//! grant with the user name prefixed, Basic auth with the public app key), then a JWT
//! from its accounts endpoint, then `POST /login` with `jwt`.

use futures::future::BoxFuture;

use super::vendor;
use super::{Grant, SignInContext, SignInFlow};
use crate::config::credentials::{Credentials, Secret};
use crate::error::{Error, ErrorKind};

const SERVICE: &str = "Cozytouch";

/// The Atlantic API and the public key of the Cozytouch app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cozytouch {
    /// Base URL of the Atlantic API (`https://apis.groupe-atlantic.com`).
    pub api: String,
    /// The app's Basic authorization value (base64 of `client_id:secret`).
    pub client_basic: Secret,
    /// Prefix of the user name in the password grant.
    pub user_prefix: String,
}

impl Default for Cozytouch {
    fn default() -> Cozytouch {
        Cozytouch {
            api: "https://apis.groupe-atlantic.com".into(),
            client_basic: Secret::new(
                "Q3RfMUpWeVRtSUxYOEllZkE3YVVOQmpGblpVYToyRWNORHpfZHkzNDJVSnFvMlo3cFNKTnZVdjBh",
            ),
            user_prefix: "GA-PRIVATEPERSON/".into(),
        }
    }
}

pub(crate) struct CozytouchFlow {
    config: Cozytouch,
    user: String,
    password: Secret,
}

impl CozytouchFlow {
    pub(crate) fn new(config: Cozytouch, user: String, password: Secret) -> CozytouchFlow {
        CozytouchFlow {
            config,
            user,
            password,
        }
    }
}

impl SignInFlow for CozytouchFlow {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let api = self.config.api.trim_end_matches('/');
            let user = format!("{}{}", self.config.user_prefix, self.user);
            let request = ctx
                .http()
                .post(format!("{api}/token"))
                .header(
                    reqwest::header::AUTHORIZATION,
                    format!("Basic {}", self.config.client_basic.expose()),
                )
                .form(&[
                    ("grant_type", "password"),
                    ("username", user.as_str()),
                    ("password", self.password.expose()),
                ]);
            let answer = vendor::send(ctx, SERVICE, "token", request).await?;
            let body = answer.json(SERVICE, "token");
            if let Ok(body) = &body {
                if body.get("error").and_then(|e| e.as_str()) == Some("invalid_grant") {
                    let description = body
                        .get("error_description")
                        .and_then(|d| d.as_str())
                        .unwrap_or("invalid_grant");
                    return Err(Error::sign_in_service(
                        SERVICE,
                        "token",
                        ErrorKind::BadCredentials,
                        Some(answer.status),
                        ctx.redact(description),
                    ));
                }
            }
            let access = body
                .ok()
                .filter(|b| b.get("token_type").is_some())
                .and_then(|b| b.get("access_token")?.as_str().map(str::to_owned));
            let Some(access) = access else {
                return Err(if answer.status >= 400 {
                    vendor::refused(ctx, SERVICE, "token", &answer)
                } else {
                    Error::sign_in_service(
                        SERVICE,
                        "token",
                        ErrorKind::Decode,
                        Some(answer.status),
                        "no token in the answer",
                    )
                });
            };
            ctx.keep_secret(&access);

            let request = ctx
                .http()
                .get(format!("{api}/magellan/accounts/jwt"))
                .bearer_auth(&access);
            let answer = vendor::send(ctx, SERVICE, "jwt", request).await?;
            if answer.status >= 400 {
                return Err(vendor::refused(ctx, SERVICE, "jwt", &answer));
            }
            let jwt = answer.text().trim().trim_matches('"').to_owned();
            if jwt.is_empty() {
                return Err(Error::sign_in_service(
                    SERVICE,
                    "jwt",
                    ErrorKind::Decode,
                    Some(answer.status),
                    "no JWT in the answer",
                ));
            }
            ctx.keep_secret(&jwt);
            Grant::login(Credentials::jwt(jwt))
        })
    }
}
