//! Signing in the way each vendor's own app does.
//!
//! Most Overkiz servers take a login form (`POST /login`), but the largest user groups
//! sign in at their vendor first: Somfy Europe (OAuth, then a bearer token on every
//! call), Cozytouch and Brandt (a vendor token exchanged for a JWT, then `POST /login`),
//! Nexity (AWS Cognito, then an SSO token), Rexel (OAuth in a browser, then a bearer
//! token and a `gatewayId` header). Each of these is a [`SignInFlow`], one file per
//! vendor; a [`crate::Server`] preset knows its flow, so
//! `Client::new(Server::cozytouch(), Credentials::password(email, pw))` simply signs
//! in. A new vendor flow is one more type implementing [`SignInFlow`]
//! ([`crate::Credentials::sign_in_flow`]), with no change to the client.
//!
//! The client runs flows under its sign-in rules (one at a time, in a task no caller
//! can cancel, results shared, a growing cool-down after failures), refreshes a grant
//! shortly before it expires ([`SignInFlow::refresh`], e.g. a refresh-token grant
//! whose refresh token may rotate), sends the grant's extra headers on every call,
//! and tells the application about every new grant
//! ([`crate::ClientBuilder::on_tokens_changed`]) so that it can save it and start
//! again from it ([`crate::ClientBuilder::restore_tokens`]).
//!
//! Flows without a password, and the local API:
//!
//! ```no_run
//! # async fn demo(redirected_to: &str) -> Result<(), Box<dyn std::error::Error>> {
//! use overkiz::{Client, Credentials, ErrorKind, Server};
//! // Rexel: open the URL in a browser; give back the whole URL it is redirected to.
//! let authorization = overkiz::signin::Rexel::default().authorize()?;
//! println!("open {}", authorization.url);
//! let code = authorization.code_from_redirect(redirected_to)?; // checks the state
//! let flow = authorization.sign_in_with_code(code);
//! let client = Client::new(Server::rexel(), flow.credentials())?;
//! match client.login().await {
//!     // Several gateways: the user picks one of flow.gateways() (id, home, externalId);
//!     // the grant is kept, the code is never exchanged twice.
//!     Err(error) if error.kind() == ErrorKind::GatewayChoiceNeeded => {
//!         flow.select_gateway(flow.gateways()[0].gateway_id.clone());
//!         client.login().await?;
//!     }
//!     other => other?,
//! }
//! // After a restart: Rexel::sign_in_restored() and ClientBuilder::restore_tokens with
//! // the grant saved from ClientBuilder::on_tokens_changed.
//!
//! // The local API: a token created through the cloud account.
//! let cloud = Client::new(Server::somfy_europe(), Credentials::password("me@example.com", "secret"))?;
//! let created = cloud.create_local_token("1234-5678-9012", "my app").await?;
//! let local = created.client("1234-5678-9012")?;
//! println!("{:?}", local.get_api_version().await?.protocol_version);
//! # Ok(()) }
//! ```

#[cfg(feature = "brandt")]
mod brandt;
#[cfg(feature = "cozytouch")]
mod cozytouch;
#[cfg(feature = "nexity")]
mod nexity;
#[cfg(feature = "rexel")]
mod pkce;
#[cfg(feature = "rexel")]
mod rexel;
mod somfy;
pub(crate) mod somfy_sites;
#[cfg(feature = "nexity")]
pub(crate) mod srp;
mod vendor;

use std::sync::Arc;

#[cfg(feature = "brandt")]
pub use brandt::Brandt;
#[cfg(feature = "cozytouch")]
pub use cozytouch::Cozytouch;
#[cfg(feature = "nexity")]
pub use nexity::Nexity;
#[cfg(feature = "rexel")]
pub use pkce::Pkce;
#[cfg(feature = "rexel")]
pub use rexel::{AuthorizationRedirectError, Rexel, RexelAuthorization, RexelGateway, RexelSignIn};
pub use somfy::SomfyOAuth;
pub use somfy_sites::{Site, SiteGateway, SomfySites};

pub use crate::config::flow::{SignInContext, SignInFlow};
pub use crate::config::grant::Grant;
pub(crate) use crate::config::grant::Proof;

use crate::config::credentials::Credentials;
use crate::error::Error;
use crate::value::secret::Secret;

/// The sign-in flow of a vendor's accounts, attached to a [`crate::Server`] preset.
/// Each carries its service endpoints and public app keys, which can be overridden
/// (vendors change them; tests point them at a local server).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VendorSignIn {
    /// Somfy accounts (Europe): OAuth password grant, then a bearer token.
    Somfy(SomfyOAuth),
    /// Atlantic, Thermor and Sauter Cozytouch: Atlantic token, JWT, `/login` (cargo
    /// feature `cozytouch`, on by default).
    #[cfg(feature = "cozytouch")]
    Cozytouch(Cozytouch),
    /// Brandt Smart Control: Brandt session, JWT, `/login` (cargo feature `brandt`,
    /// on by default).
    #[cfg(feature = "brandt")]
    Brandt(Brandt),
    /// Nexity: AWS Cognito SRP, SSO token, `/login` (cargo feature `nexity`, on by
    /// default).
    #[cfg(feature = "nexity")]
    Nexity(Nexity),
    /// Rexel Energeasy Connect: OAuth in a browser (see `RexelAuthorization`; cargo
    /// feature `rexel`, on by default).
    #[cfg(feature = "rexel")]
    Rexel(Rexel),
}

impl VendorSignIn {
    /// Refuses credentials that cannot work with this vendor, when the client is
    /// built rather than at the first call.
    pub(crate) fn check(&self, credentials: &Credentials) -> Result<(), Error> {
        match self {
            // Every Rexel call names its gateway (`gatewayId`), which a bare token (or
            // credentials from a closure) cannot carry.
            #[cfg(feature = "rexel")]
            VendorSignIn::Rexel(_) => {
                use crate::config::credentials::{CredentialsKind, FROM_FN};
                let bare = match &credentials.kind {
                    CredentialsKind::Bearer(_) => true,
                    CredentialsKind::Flow(flow) => flow.name() == FROM_FN,
                    _ => false,
                };
                if bare {
                    return Err(Error::config(
                        "a Rexel server needs a gateway id with its token: use Rexel::sign_in_with_token and RexelSignIn::select_gateway (or RexelAuthorization for the browser sign-in), not a bare bearer token",
                    ));
                }
                Ok(())
            }
            _ => {
                let _ = credentials;
                Ok(())
            }
        }
    }

    /// The flow for a user name and password on this vendor's service.
    pub(crate) fn with_password(
        &self,
        user: String,
        password: Secret,
    ) -> Result<Arc<dyn SignInFlow>, Error> {
        Ok(match self {
            VendorSignIn::Somfy(config) => Arc::new(somfy::SomfyFlow::new(config.clone(), user, password)),
            #[cfg(feature = "cozytouch")]
            VendorSignIn::Cozytouch(config) => {
                Arc::new(cozytouch::CozytouchFlow::new(config.clone(), user, password))
            }
            #[cfg(feature = "brandt")]
            VendorSignIn::Brandt(config) => Arc::new(brandt::BrandtFlow::new(config.clone(), user, password)),
            #[cfg(feature = "nexity")]
            VendorSignIn::Nexity(config) => Arc::new(nexity::NexityFlow::new(config.clone(), user, password)),
            #[cfg(feature = "rexel")]
            VendorSignIn::Rexel(_) => {
                return Err(Error::config(
                    "Rexel accounts sign in in a browser: use RexelAuthorization, then Credentials::sign_in_flow",
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "rexel")]
    #[test]
    fn rexel_refuses_credentials_without_a_gateway() {
        let rexel = VendorSignIn::Rexel(Rexel::default());
        let closure = Credentials::from_fn(|| async { Ok(Credentials::bearer("t")) });
        for credentials in [Credentials::bearer("t"), closure] {
            let error = rexel.check(&credentials).unwrap_err();
            assert!(matches!(error, Error::Config { .. }), "{error:?}");
        }
        let flow = Rexel::default().sign_in_restored();
        assert!(rexel.check(&flow.credentials()).is_ok());
    }
}
