//! Creates a token for a gateway's local API (Developer Mode) through the cloud
//! account, then calls the gateway with it.
//!
//! ```sh
//! OVERKIZ_USER=me@example.com OVERKIZ_PASSWORD=... OVERKIZ_GATEWAY=1234-5678-9012 \
//!     cargo run -p overkiz --example local_token
//! ```
//!
//! `OVERKIZ_GATEWAY_HOST` (optional) is the gateway's address when mDNS does not
//! resolve `gateway-<pin>.local`. See `examples/common/mod.rs` for the other variables.

mod common;

use overkiz::{Client, Credentials, Server};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let pin = common::required("OVERKIZ_GATEWAY")?;
    let cloud = common::client()?;

    cloud.enable_developer_mode(&pin).await?;
    let created = cloud.create_local_token(&pin, "overkiz-rs example").await?;
    println!("created a local token labelled {:?}", created.label);
    for token in cloud.local_tokens(&pin).await? {
        println!(
            "active: {:?} (uuid {:?})",
            token.label.as_deref().unwrap_or("?"),
            token.uuid.as_deref().unwrap_or("?")
        );
    }

    // The gateway itself, with the new token (printing it would leak it).
    let server = match std::env::var("OVERKIZ_GATEWAY_HOST") {
        Ok(host) => Server::local_at(&pin, &host)?,
        Err(_) => Server::local(&pin)?,
    };
    let local = Client::new(server, Credentials::bearer(created.token.clone()))?;
    let version = local.get_api_version().await?;
    println!(
        "local API version {}",
        version.protocol_version.as_deref().unwrap_or("?")
    );
    Ok(())
}
