//! The form posted to `/login`: one of the ways a user proves who they are, and
//! the optional fields that go with it.

use crate::value::secret::Secret;

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

    /// Every value of the form that must never appear in an error or a log: the
    /// secrets, and the user id (an e-mail address, usually).
    pub(crate) fn secrets(&self) -> Vec<String> {
        self.fields()
            .into_iter()
            .filter(|(name, _)| *name != "applicationId")
            .map(|(_, value)| value)
            .collect()
    }
}
