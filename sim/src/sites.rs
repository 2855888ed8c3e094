//! A Somfy account with several homes: the services of the TaHoma app's multi-site
//! sign-in (Somfy accounts' password grant, Keycloak's token exchange and refresh,
//! the site directory), each site served by a [`Simulator`] of its own setup.
//!
//! ```no_run
//! # async fn demo(home: serde_json::Value, cabin: serde_json::Value) -> std::io::Result<()> {
//! use overkiz_sim::sites::{Site, SomfyAccount};
//! use overkiz_sim::Simulator;
//! let home_sim = Simulator::start(home).await?;
//! let cabin_sim = Simulator::start(cabin).await?;
//! let account = SomfyAccount::start("me@example.com", "secret", vec![
//!     Site::new("site-home", "Home", "FR", &home_sim),
//!     Site::new("site-cabin", "Cabin", "NO", &cabin_sim).invited(),
//! ]).await?;
//! println!("accounts, Keycloak and the directory at {}", account.url());
//! # Ok(()) }
//! ```
//!
//! The paths are the real ones (`/oauth/oauth/v2/token/jwt`,
//! `/realms/somfy-tahoma/protocol/openid-connect/token`,
//! `/site-api/public/v1/sites`). A site token is accepted by its site's simulator
//! only; the other sites' simulators (standing for the other regions) answer it
//! `403 No such user account`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::shared::Shared;
use crate::Simulator;

/// The Somfy accounts token path.
pub const ACCOUNTS_PATH: &str = "/oauth/oauth/v2/token/jwt";
/// Keycloak's token path.
pub const KEYCLOAK_PATH: &str = "/realms/somfy-tahoma/protocol/openid-connect/token";
/// The site directory's base path.
pub const SITE_API_PATH: &str = "/site-api/public/v1";
/// The directory's `X-Api-Key` (the TaHoma app's).
pub const API_KEY: &str = "184638B3FBE874ACD24C14FBD657B";
/// The most sites a directory page holds.
pub const PAGE_LIMIT: usize = 20;
/// The global token's lifetime, as Keycloak gives it.
const GLOBAL_LIFETIME_S: u64 = 900;

/// A site of the account.
#[derive(Clone)]
pub struct Site {
    id: String,
    name: String,
    country: String,
    role: &'static str,
    sim: Arc<Shared>,
}

impl std::fmt::Debug for Site {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Site")
            .field("id", &self.id)
            .field("name", &self.name)
            .finish()
    }
}

impl Site {
    /// A site the user owns, served by `sim`.
    pub fn new(id: &str, name: &str, country: &str, sim: &Simulator) -> Site {
        Site {
            id: id.to_owned(),
            name: name.to_owned(),
            country: country.to_owned(),
            role: "owner",
            sim: sim.shared.clone(),
        }
    }

    /// The user was invited there (role `guest`).
    pub fn invited(mut self) -> Site {
        self.role = "guest";
        self
    }

    /// The directory's entry: its gateways are the setup's.
    fn entry(&self) -> Value {
        let setup = self.sim.state().setup.clone();
        let gateways: Vec<Value> = setup["gateways"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| {
                json!({"gatewayId": g["gatewayId"], "type": g["type"],
                       "connectivity": {"protocolVersion": g["connectivity"]["protocolVersion"]}})
            })
            .collect();
        json!({
            "siteOID": self.id, "name": self.name, "country": self.country,
            "currentUserRoles": [{"roleOID": self.role}],
            "subSites": [{"externalOID": setup["id"], "type": "SETUP", "gateways": gateways}],
        })
    }
}

#[derive(Default)]
struct Tokens {
    next: u64,
    /// Somfy accounts access tokens.
    accounts: Vec<String>,
    /// Global access tokens (directory) and refresh tokens (exchange, mints).
    global: Vec<String>,
    refresh: Vec<String>,
    /// Calls by kind (`password`, `exchange`, `refresh`, `site`, `sites`).
    calls: HashMap<&'static str, usize>,
}

struct Service {
    user: String,
    password: String,
    sites: Vec<Site>,
    tokens: Mutex<Tokens>,
}

impl Service {
    fn tokens(&self) -> MutexGuard<'_, Tokens> {
        self.tokens.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The account's services on 127.0.0.1; stopped when dropped.
pub struct SomfyAccount {
    addr: SocketAddr,
    service: Arc<Service>,
    server: JoinHandle<()>,
}

impl Drop for SomfyAccount {
    fn drop(&mut self) {
        self.server.abort();
    }
}

impl SomfyAccount {
    /// Starts the services of the account `user`/`password` with these sites on an
    /// ephemeral port of 127.0.0.1.
    pub async fn start(
        user: &str,
        password: &str,
        sites: Vec<Site>,
    ) -> std::io::Result<SomfyAccount> {
        SomfyAccount::bind(SocketAddr::from(([127, 0, 0, 1], 0)), user, password, sites).await
    }

    /// Starts them listening on `addr`.
    pub async fn bind(
        addr: SocketAddr,
        user: &str,
        password: &str,
        sites: Vec<Site>,
    ) -> std::io::Result<SomfyAccount> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let service = Arc::new(Service {
            user: user.to_owned(),
            password: password.to_owned(),
            sites,
            tokens: Mutex::default(),
        });
        let server = tokio::spawn(serve(listener, service.clone()));
        Ok(SomfyAccount {
            addr,
            service,
            server,
        })
    }

    /// The base URL (`http://127.0.0.1:PORT`): the services' paths follow it.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// How many calls of a kind were answered: `password` (Somfy accounts),
    /// `exchange`, `refresh` (global), `site` (a site token minted), `sites` (a
    /// directory page).
    pub fn count_of(&self, kind: &str) -> usize {
        self.service.tokens().calls.get(kind).copied().unwrap_or(0)
    }
}

async fn serve(listener: TcpListener, service: Arc<Service>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            continue;
        };
        let service = service.clone();
        tokio::spawn(async move {
            let handler = hyper::service::service_fn(move |request| {
                let service = service.clone();
                async move { Ok::<_, std::convert::Infallible>(handle(&service, request).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), handler)
                .await;
        });
    }
}

fn answer(status: u16, body: Value) -> Response<Full<Bytes>> {
    let mut response = Response::new(Full::new(Bytes::from(body.to_string())));
    *response.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

fn oauth_error(status: u16, error: &str, description: &str) -> Response<Full<Bytes>> {
    answer(
        status,
        json!({"error": error, "error_description": description}),
    )
}

async fn handle(service: &Service, request: Request<Incoming>) -> Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let query: HashMap<String, String> =
        form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let Ok(body) = Limited::new(body, 64 * 1024)
        .collect()
        .await
        .map(|b| b.to_bytes())
    else {
        return oauth_error(413, "invalid_request", "body too large");
    };
    let form: HashMap<String, String> = form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or_default();
    let path = parts.uri.path();
    let mut tokens = service.tokens();
    if parts.method == hyper::Method::POST && path == ACCOUNTS_PATH {
        count("password", &mut tokens);
        if field("grant_type") != "password"
            || field("client_id").is_empty()
            || field("client_secret").is_empty()
        {
            return oauth_error(400, "invalid_request", "password grant expected");
        }
        if field("username") != service.user || field("password") != service.password {
            return answer(
                400,
                json!({"message": "error.invalid.grant", "error": "invalid_grant"}),
            );
        }
        tokens.next += 1;
        let access = format!("accounts-{}", tokens.next);
        tokens.accounts.push(access.clone());
        return answer(
            200,
            json!({"access_token": access, "refresh_token": format!("accounts-refresh-{}", tokens.next), "expires_in": 3600}),
        );
    }
    if parts.method == hyper::Method::POST && path == KEYCLOAK_PATH {
        if field("client_id").is_empty() {
            return oauth_error(400, "invalid_client", "client_id missing");
        }
        match (field("grant_type"), query.get("siteOID")) {
            ("urn:ietf:params:oauth:grant-type:token-exchange", None) => {
                count("exchange", &mut tokens);
                let known = tokens.accounts.iter().any(|t| t == field("subject_token"));
                if !known
                    || field("subject_issuer") != "somfy-customer"
                    || field("subject_token_type")
                        != "urn:ietf:params:oauth:token-type:access_token"
                {
                    return oauth_error(400, "invalid_token", "invalid subject token");
                }
                return global(&mut tokens);
            }
            ("refresh_token", None) => {
                count("refresh", &mut tokens);
                if !tokens.refresh.iter().any(|t| t == field("refresh_token")) {
                    return oauth_error(400, "invalid_grant", "Token is not active");
                }
                return global(&mut tokens);
            }
            ("refresh_token", Some(site)) => {
                count("site", &mut tokens);
                if !tokens.refresh.iter().any(|t| t == field("refresh_token")) {
                    return oauth_error(400, "invalid_grant", "Token is not active");
                }
                let Some(index) = service.sites.iter().position(|s| &s.id == site) else {
                    return oauth_error(400, "invalid_request", "unknown site");
                };
                tokens.next += 1;
                let token = format!("site-{}-{}", site, tokens.next);
                // Its site's simulator accepts it; the others stand for the other
                // regions, which do not know the account.
                for (i, other) in service.sites.iter().enumerate() {
                    if i == index {
                        other.sim.state().tokens.insert(token.clone());
                    } else {
                        other.sim.foreign_tokens().insert(token.clone());
                    }
                }
                return answer(
                    200,
                    json!({"access_token": token, "expires_in": GLOBAL_LIFETIME_S,
                                           "refresh_token": format!("site-refresh-{}", tokens.next)}),
                );
            }
            _ => return oauth_error(400, "unsupported_grant_type", "unsupported grant type"),
        }
    }
    if parts.method == hyper::Method::GET && path == format!("{SITE_API_PATH}/sites") {
        count("sites", &mut tokens);
        if header("x-api-key") != API_KEY {
            return answer(401, json!({"message": "invalid api key"}));
        }
        let bearer = header("authorization");
        let known = bearer
            .strip_prefix("Bearer ")
            .is_some_and(|t| tokens.global.iter().any(|g| g == t));
        if !known {
            return answer(401, json!({"message": "invalid token"}));
        }
        let number = |name: &str, default: usize| {
            query.get(name).map_or(Ok(default), |v| v.parse::<usize>())
        };
        let (Ok(limit), Ok(offset)) = (number("limit", PAGE_LIMIT), number("offset", 0)) else {
            return answer(400, json!({"message": "invalid paging"}));
        };
        if limit == 0 || limit > PAGE_LIMIT {
            return answer(400, json!({"message": "limit must be between 1 and 20"}));
        }
        let results: Vec<Value> = service
            .sites
            .iter()
            .skip(offset)
            .take(limit)
            .map(Site::entry)
            .collect();
        return answer(
            200,
            json!({"totalCount": service.sites.len(), "results": results}),
        );
    }
    answer(404, json!({"message": "no such resource"}))
}

fn count(kind: &'static str, tokens: &mut Tokens) {
    *tokens.calls.entry(kind).or_default() += 1;
}

/// A new global token with its refresh token.
fn global(tokens: &mut Tokens) -> Response<Full<Bytes>> {
    tokens.next += 1;
    let access = format!("global-{}", tokens.next);
    let refresh = format!("global-refresh-{}", tokens.next);
    tokens.global.push(access.clone());
    tokens.refresh.push(refresh.clone());
    answer(
        200,
        json!({"access_token": access, "refresh_token": refresh, "expires_in": GLOBAL_LIFETIME_S}),
    )
}
