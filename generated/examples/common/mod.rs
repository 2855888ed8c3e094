//! Configuration shared by the examples, read from environment variables:
//!
//! - `OVERKIZ_SERVER`: a cloud preset (`somfy_europe`, the default, `somfy_america`,
//!   `somfy_oceania`, `simu_livein2`, `cozytouch`, `hi_kumo_europe`, `hi_kumo_asia`,
//!   `nexity`, `flexom`, `brandt`, `hexaom`, `ubiwizz`), `local:<gateway PIN>` for a gateway's
//!   Developer Mode API, or a base URL (`https://.../enduser-mobile-web/enduserAPI`);
//! - `OVERKIZ_GATEWAY_HOST`: with `local:<pin>`, the gateway's address when mDNS
//!   does not resolve `gateway-<pin>.local` (`192.168.1.20`);
//! - `OVERKIZ_TOKEN`: a bearer token (local API), or else
//! - `OVERKIZ_USER` and `OVERKIZ_PASSWORD`: cloud account.

#![allow(dead_code)] // Each example uses a part of these helpers.

use std::env;

use overkiz::{Client, Credentials, Server};

/// The error type of the examples.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A required environment variable.
pub fn required(name: &str) -> Result<String, BoxError> {
    env::var(name).map_err(|_| format!("set {name} (see the top of this example)").into())
}

/// The server named by `OVERKIZ_SERVER`.
pub fn server() -> Result<Server, BoxError> {
    let name = env::var("OVERKIZ_SERVER").unwrap_or_else(|_| "somfy_europe".into());
    if let Some(pin) = name.strip_prefix("local:") {
        return Ok(match env::var("OVERKIZ_GATEWAY_HOST") {
            Ok(host) => Server::local_at(pin, &host)?,
            Err(_) => Server::local(pin)?,
        });
    }
    if name.starts_with("http://") || name.starts_with("https://") {
        return Ok(Server::custom(&name)?);
    }
    Ok(match name.replace('-', "_").to_ascii_lowercase().as_str() {
        "somfy_europe" => Server::somfy_europe(),
        "somfy_america" => Server::somfy_america(),
        "somfy_oceania" => Server::somfy_oceania(),
        "simu_livein2" => Server::simu_livein2(),
        "cozytouch" => Server::cozytouch(),
        "hi_kumo_europe" => Server::hi_kumo_europe(),
        "hi_kumo_asia" => Server::hi_kumo_asia(),
        "nexity" => Server::nexity(),
        "flexom" => Server::flexom(),
        "brandt" => Server::brandt(),
        "hexaom" => Server::hexaom(),
        "ubiwizz" => Server::ubiwizz(),
        other => return Err(format!("unknown OVERKIZ_SERVER {other:?}").into()),
    })
}

/// The credentials: `OVERKIZ_TOKEN`, or `OVERKIZ_USER` and `OVERKIZ_PASSWORD`.
pub fn credentials() -> Result<Credentials, BoxError> {
    if let Ok(token) = env::var("OVERKIZ_TOKEN") {
        return Ok(Credentials::bearer(token));
    }
    match (env::var("OVERKIZ_USER"), env::var("OVERKIZ_PASSWORD")) {
        (Ok(user), Ok(password)) => Ok(Credentials::password(user, password)),
        _ => Err("set OVERKIZ_TOKEN, or OVERKIZ_USER and OVERKIZ_PASSWORD".into()),
    }
}

/// A client configured from the environment.
pub fn client() -> Result<Client, BoxError> {
    let client = Client::new(server()?, credentials()?)?;
    eprintln!("server: {}", client.server().name());
    Ok(client)
}
