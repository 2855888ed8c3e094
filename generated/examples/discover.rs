//! Finds the Overkiz gateways of the local network over mDNS and, with
//! `OVERKIZ_TOKEN` (a local API token), asks each one with Developer Mode on for its
//! API version.
//!
//! ```sh
//! cargo run -p overkiz --features discovery --example discover
//! OVERKIZ_TOKEN=... cargo run -p overkiz --features discovery --example discover
//! ```

use std::time::Duration;

use overkiz::{Client, Credentials};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let gateways = overkiz::discover(Duration::from_secs(3)).await?;
    if gateways.is_empty() {
        println!("no gateway answered within 3 s");
    }
    let token = std::env::var("OVERKIZ_TOKEN").ok();
    for gateway in gateways {
        println!(
            "{} at {}:{} ({}), API version {}",
            gateway.pin,
            gateway.host,
            gateway.port,
            gateway.service,
            gateway.api_version.as_deref().unwrap_or("?")
        );
        if let (Some(token), true) = (&token, gateway.has_local_api()) {
            let client = Client::new(
                gateway.server_by_address()?,
                Credentials::bearer(token.clone()),
            )?;
            match client.get_api_version().await {
                Ok(version) => println!("  local API {:?}", version.protocol_version),
                Err(error) => println!("  local API: {error}"),
            }
        }
    }
    Ok(())
}
