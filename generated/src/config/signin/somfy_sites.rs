//! Somfy accounts with several homes ("sites"): the flow of the current TaHoma app.
//!
//! 1. The Somfy accounts password grant (as [`super::SomfyOAuth`]).
//! 2. A token exchange at Somfy's Keycloak realm (`subject_issuer=somfy-customer`, the
//!    same client id, no secret): the account's *global* token, short-lived, with a
//!    refresh token (Keycloak refuses a direct password grant for this client).
//! 3. The site directory, paged (`limit` at most 20), with the app's `X-Api-Key`.
//! 4. Per site, the refresh grant with `?siteOID=`: a *site-scoped* token that the
//!    End-User API of the site's region accepts as a bearer token (the other regions
//!    answer `No such user account`).
//!
//! This module holds the flows and the directory's values; [`crate::SomfyAccount`]
//! builds the clients on them.

use futures::future::BoxFuture;
use serde_json::Value;

use super::somfy::{oauth_grant, SomfyFlow};
use super::vendor::{self, Answer};
use super::{Grant, Proof, SignInContext, SignInFlow, SomfyOAuth};
use crate::config::credentials::Secret;
use crate::error::{Error, ErrorKind};
use crate::config::server::Server;

pub(crate) const SERVICE: &str = "Somfy sites";

/// The directory answers at most this many sites a page.
pub(crate) const PAGE_LIMIT: usize = 20;

/// Pages read at most (1,000 sites): the directory decides the count, so it is capped.
const MAX_PAGES: usize = 50;

/// The services of the multi-site sign-in and the public app keys (they ship inside
/// the TaHoma app). Every field can be overridden: vendors move them; tests point
/// them at a local server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SomfySites {
    /// The Somfy accounts password grant (step 1).
    pub accounts: SomfyOAuth,
    /// Keycloak's token endpoint: the exchange, the refresh and the site tokens.
    pub keycloak_token_url: String,
    /// The identity provider alias sent as `subject_issuer` in the exchange.
    pub subject_issuer: String,
    /// The site directory's base URL (`…/site-api/public/v1`).
    pub site_api: String,
    /// The invitations' base URL (`…/invitation-api/public/v1`).
    pub invitation_api: String,
    /// The app's key for the directory and the invitations, sent as `X-Api-Key`.
    pub api_key: Secret,
    /// The Overkiz regions a site may live on, tried in this order until one knows
    /// the site (a region answering `No such user account` does not).
    pub regions: Vec<Server>,
}

impl Default for SomfySites {
    fn default() -> SomfySites {
        SomfySites {
            accounts: SomfyOAuth::default(),
            keycloak_token_url:
                "https://ginaite-prod.ovkube.net/realms/somfy-tahoma/protocol/openid-connect/token"
                    .into(),
            subject_issuer: "somfy-customer".into(),
            site_api: "https://backoffice-service.ovkube.net/site-api/public/v1".into(),
            invitation_api: "https://backoffice-service.ovkube.net/invitation-api/public/v1".into(),
            api_key: Secret::new("184638B3FBE874ACD24C14FBD657B"),
            regions: vec![
                Server::somfy_europe(),
                Server::somfy_oceania(),
                Server::somfy_america(),
            ],
        }
    }
}

/// A home of a Somfy account, as the site directory lists it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Site {
    /// The site's id (`siteOID`): pass it to [`crate::SomfyAccount::client`].
    pub id: String,
    /// The name the user gave the home.
    pub name: Option<String>,
    /// Its country (`NL`, `FR`, ...).
    pub country: Option<String>,
    /// The user's roles there (`owner`, or those of an invited user).
    pub roles: Vec<String>,
    /// Its gateways.
    pub gateways: Vec<SiteGateway>,
    /// The directory's entry as it came, fields this crate does not read included.
    pub raw: Value,
}

/// A gateway of a [`Site`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SiteGateway {
    /// The gateway id (its PIN, `2025-8464-6867`).
    pub gateway_id: String,
    /// The gateway type number, if given.
    pub gateway_type: Option<i64>,
    /// The protocol version it runs, if given.
    pub protocol_version: Option<String>,
    /// The Overkiz setup it belongs to (the sub-site's `externalOID`), if given.
    pub setup_oid: Option<String>,
}

/// Reads one entry of the directory; `None` without a `siteOID`.
fn site(entry: &Value) -> Option<Site> {
    let text = |v: Option<&Value>| v.and_then(Value::as_str).map(str::to_owned);
    let id = text(entry.get("siteOID")).filter(|id| !id.is_empty())?;
    let roles = entry
        .get("currentUserRoles")
        .and_then(Value::as_array)
        .map(|roles| {
            roles
                .iter()
                .filter_map(|r| text(r.get("roleOID")).or_else(|| r.as_str().map(str::to_owned)))
                .collect()
        })
        .unwrap_or_default();
    let mut gateways = Vec::new();
    for sub in entry
        .get("subSites")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let setup_oid = text(sub.get("externalOID"));
        for gateway in sub
            .get("gateways")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let gateway_id = match gateway.get("gatewayId") {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            gateways.push(SiteGateway {
                gateway_id,
                gateway_type: gateway.get("type").and_then(Value::as_i64),
                protocol_version: text(
                    gateway
                        .get("connectivity")
                        .and_then(|c| c.get("protocolVersion")),
                ),
                setup_oid: setup_oid.clone(),
            });
        }
    }
    Some(Site {
        id,
        name: text(entry.get("name")),
        country: text(entry.get("country")),
        roles,
        gateways,
        raw: entry.clone(),
    })
}

/// Lists every site of the account with its global token, page by page.
pub(crate) async fn list_sites(
    ctx: &SignInContext,
    config: &SomfySites,
    global: &Secret,
) -> Result<Vec<Site>, Error> {
    let url = format!("{}/sites", config.site_api.trim_end_matches('/'));
    let mut sites = Vec::new();
    let mut offset = 0usize;
    for _ in 0..MAX_PAGES {
        let request = ctx
            .http()
            .get(&url)
            .query(&[
                ("withGateways", "true".to_owned()),
                ("limit", PAGE_LIMIT.to_string()),
                ("offset", offset.to_string()),
            ])
            .bearer_auth(global.expose())
            .header("X-Api-Key", config.api_key.expose());
        let answer = vendor::send(ctx, SERVICE, "sites", request).await?;
        if answer.status >= 400 {
            return Err(vendor::refused(ctx, SERVICE, "sites", &answer));
        }
        let body = answer.json(SERVICE, "sites")?;
        let Some(results) = body.get("results").and_then(Value::as_array) else {
            return Err(Error::sign_in_service(
                SERVICE,
                "sites",
                ErrorKind::Decode,
                Some(answer.status),
                "no `results` list in the directory's answer",
            ));
        };
        // An entry without an id cannot be chosen; the others are kept.
        sites.extend(results.iter().filter_map(site));
        offset += results.len();
        let total = body
            .get("totalCount")
            .and_then(Value::as_u64)
            .map(|t| t as usize);
        let done = match total {
            Some(total) => offset >= total,
            None => results.len() < PAGE_LIMIT,
        };
        if done || results.is_empty() {
            return Ok(sites);
        }
    }
    Err(Error::sign_in_service(
        SERVICE,
        "sites",
        ErrorKind::ResponseTooLarge,
        None,
        format!("more than {} sites", MAX_PAGES * PAGE_LIMIT),
    ))
}

/// Accepts an invitation to a home (the `token` of an invitation link) with the
/// global token.
pub(crate) async fn accept_invitation(
    ctx: &SignInContext,
    config: &SomfySites,
    global: &Secret,
    token: &str,
) -> Result<(), Error> {
    let token: String = url::form_urlencoded::byte_serialize(token.as_bytes()).collect();
    let url = format!(
        "{}/invitations/{token}/accept",
        config.invitation_api.trim_end_matches('/')
    );
    let request = ctx
        .http()
        .post(url)
        .bearer_auth(global.expose())
        .header("X-Api-Key", config.api_key.expose());
    let answer = vendor::send(ctx, SERVICE, "invitation", request).await?;
    let kind = match answer.status {
        200..=299 => return Ok(()),
        401 => return Err(vendor::refused(ctx, SERVICE, "invitation", &answer)),
        403 => ErrorKind::AccessDenied,
        404 | 410 => ErrorKind::NoSuchResource,
        _ => ErrorKind::BadRequest,
    };
    Err(Error::sign_in_service(
        SERVICE,
        "invitation",
        kind,
        Some(answer.status),
        answer.message(ctx),
    ))
}

/// The account's global token: Somfy accounts password grant, then the Keycloak
/// token exchange; renewed with Keycloak's refresh grant.
pub(crate) struct GlobalFlow {
    config: SomfySites,
    accounts: SomfyFlow,
}

impl GlobalFlow {
    pub(crate) fn new(config: SomfySites, user: String, password: Secret) -> GlobalFlow {
        GlobalFlow {
            accounts: SomfyFlow::new(config.accounts.clone(), user, password),
            config,
        }
    }
}

/// Posts a form to Keycloak's token endpoint (with `?siteOID=` for a site token).
pub(crate) async fn keycloak(
    ctx: &SignInContext,
    config: &SomfySites,
    step: &'static str,
    site: Option<&str>,
    form: &[(&str, &str)],
) -> Result<Grant, Error> {
    let mut request = ctx.http().post(&config.keycloak_token_url);
    if let Some(site) = site {
        request = request.query(&[("siteOID", site)]);
    }
    let answer: Answer = vendor::send(ctx, SERVICE, step, request.form(form)).await?;
    oauth_grant(ctx, SERVICE, step, &answer)
}

impl SignInFlow for GlobalFlow {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn sign_in<'a>(&'a self, ctx: &'a SignInContext) -> BoxFuture<'a, Result<Grant, Error>> {
        Box::pin(async move {
            let accounts = self.accounts.sign_in(ctx).await?;
            let Proof::Bearer(subject) = &accounts.proof else {
                return Err(Error::config("the Somfy accounts grant is not a token"));
            };
            keycloak(
                ctx,
                &self.config,
                "exchange",
                None,
                &[
                    (
                        "grant_type",
                        "urn:ietf:params:oauth:grant-type:token-exchange",
                    ),
                    ("client_id", &self.config.accounts.client_id),
                    ("subject_token", subject.expose()),
                    ("subject_issuer", &self.config.subject_issuer),
                    (
                        "subject_token_type",
                        "urn:ietf:params:oauth:token-type:access_token",
                    ),
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
            let Some(refresh) = previous.refresh_token() else {
                return self.sign_in(ctx).await;
            };
            keycloak(
                ctx,
                &self.config,
                "refresh",
                None,
                &[
                    ("grant_type", "refresh_token"),
                    ("client_id", &self.config.accounts.client_id),
                    ("refresh_token", refresh.expose()),
                ],
            )
            .await
        })
    }
}

/// Whether an answer of an Overkiz region says it does not know the account.
fn unknown_account(answer: &Answer) -> bool {
    matches!(answer.status, 401 | 403) && answer.text().contains("No such user account")
}

/// Finds the region of `regions` whose End-User API accepts the site token (`GET
/// /setup/gateways`, read-only): its index.
pub(crate) async fn find_region(
    ctx: &SignInContext,
    regions: &[Server],
    token: &Secret,
) -> Result<usize, Error> {
    for (index, region) in regions.iter().enumerate() {
        let url = format!("{}/setup/gateways", region.base_url());
        let request = ctx.http().get(url).bearer_auth(token.expose());
        let answer = vendor::send(ctx, SERVICE, "region", request).await?;
        if answer.status < 300 {
            return Ok(index);
        }
        if unknown_account(&answer) {
            tracing::debug!(
                region = region.name(),
                "the site is not on this region; trying the next"
            );
            continue;
        }
        return Err(vendor::refused(ctx, SERVICE, "region", &answer));
    }
    Err(Error::sign_in_service(
        SERVICE,
        "region",
        ErrorKind::UnknownUser,
        None,
        "no region knows the site (No such user account)",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_entries_are_read_and_odd_ones_kept_or_skipped() {
        let entry = serde_json::json!({
            "siteOID": "bbbb", "name": "Mick", "country": "NL",
            "currentUserRoles": [{"roleOID": "owner"}],
            "newField": 1,
            "subSites": [{"externalOID": "setup-1", "type": "SETUP",
                "gateways": [{"gatewayId": "2025-8464-6867", "type": 98,
                              "connectivity": {"protocolVersion": "2026.1.3"}},
                             {"gatewayId": 12345},
                             {"noId": true}]}]
        });
        let site = site(&entry).unwrap();
        assert_eq!(site.id, "bbbb");
        assert_eq!(site.name.as_deref(), Some("Mick"));
        assert_eq!(site.country.as_deref(), Some("NL"));
        assert_eq!(site.roles, vec!["owner".to_owned()]);
        assert_eq!(site.gateways.len(), 2);
        assert_eq!(site.gateways[0].gateway_type, Some(98));
        assert_eq!(
            site.gateways[0].protocol_version.as_deref(),
            Some("2026.1.3")
        );
        assert_eq!(site.gateways[0].setup_oid.as_deref(), Some("setup-1"));
        assert_eq!(site.gateways[1].gateway_id, "12345");
        assert_eq!(site.raw["newField"], 1);
        assert!(super::site(&serde_json::json!({"name": "no id"})).is_none());
        assert!(super::site(&serde_json::json!("not an object")).is_none());
    }
}
