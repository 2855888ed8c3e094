//! The gateway's local API (Developer Mode) from the cloud: creating, listing and
//! deleting its tokens, turning developer mode on, and a client of the gateway.
//!
//! The token operations are curated ones (the documentation page lacks them); they
//! are generated like the others, these helpers only chain them.

use crate::config::credentials::{Credentials, Secret};
use crate::config::server::Server;
use crate::error::Error;
use crate::types::{LocalToken, LocalTokenActivation};
use crate::{operations, Client};

/// The scope of Developer Mode tokens.
pub const DEVMODE_SCOPE: &str = "devmode";

/// A local API token just created and activated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedLocalToken {
    /// The token: the `Authorization: Bearer` of the local API. Keep it safe.
    pub token: Secret,
    /// The label it was activated with.
    pub label: String,
    /// The activation request id the server returned.
    pub request_id: Option<String>,
}

impl Client {
    /// Creates a local API token for `gateway_id` and activates it with `label`
    /// (`GET …/local/tokens/generate`, then `POST …/local/tokens`, scope `devmode`).
    /// Developer mode must be on ([`Client::enable_developer_mode`]).
    ///
    /// Neither call is resent after it may have reached the server: a token might
    /// have been created; list them with [`Client::local_tokens`].
    pub async fn create_local_token(
        &self,
        gateway_id: &str,
        label: &str,
    ) -> Result<CreatedLocalToken, Error> {
        let generated = self
            .get_config_by_gateway_id_local_tokens_generate(gateway_id)
            .await?;
        let token = generated
            .token
            .filter(|t| !t.is_empty())
            .ok_or_else(|| Error::Decode {
                operation: &operations::GET_CONFIG_BY_GATEWAY_ID_LOCAL_TOKENS_GENERATE,
                message: "the answer carries no token".into(),
                excerpt: String::new(),
            })?;
        self.inner.redactor.add(&token);
        let activation = LocalTokenActivation {
            label: Some(label.to_owned()),
            token: Some(token.clone()),
            scope: Some(DEVMODE_SCOPE.to_owned()),
            ..LocalTokenActivation::default()
        };
        let activated = self
            .post_config_by_gateway_id_local_tokens(gateway_id, &activation)
            .await?;
        Ok(CreatedLocalToken {
            token: Secret::new(token),
            label: label.to_owned(),
            request_id: activated.request_id,
        })
    }

    /// The active Developer Mode tokens of `gateway_id` (their labels and uuids; the
    /// token values are not returned).
    pub async fn local_tokens(&self, gateway_id: &str) -> Result<Vec<LocalToken>, Error> {
        self.get_config_by_gateway_id_local_tokens_by_scope(gateway_id, DEVMODE_SCOPE)
            .await
    }

    /// Deletes a local API token by its uuid.
    pub async fn delete_local_token(&self, gateway_id: &str, uuid: &str) -> Result<(), Error> {
        self.delete_config_by_gateway_id_local_tokens_by_uuid(gateway_id, uuid)
            .await
    }

    /// Turns developer mode on for `gateway_id`
    /// (`POST /setup/gateways/{gatewayId}/developerMode`): the gateway then serves its
    /// local API.
    pub async fn enable_developer_mode(&self, gateway_id: &str) -> Result<(), Error> {
        self.post_setup_gateways_by_gateway_id_developer_mode(gateway_id)
            .await
    }

    /// A client of the local API of the gateway with this PIN
    /// (`https://gateway-<pin>.local:8443`), signed in with a local token.
    pub fn local(pin: &str, token: impl Into<Secret>) -> Result<Client, Error> {
        Client::new(Server::local(pin)?, Credentials::bearer(token))
    }
}

impl CreatedLocalToken {
    /// A client of the local API of gateway `pin` with this token.
    pub fn client(&self, pin: &str) -> Result<Client, Error> {
        Client::local(pin, self.token.clone())
    }
}
