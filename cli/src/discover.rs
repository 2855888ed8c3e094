//! `discover`: gateways on the local network (mDNS), with the `discovery` feature.

use std::process::ExitCode;
use std::time::Duration;

use crate::BoxError;

#[cfg(feature = "discovery")]
pub(crate) async fn discover(timeout: Duration) -> Result<ExitCode, BoxError> {
    let gateways = overkiz::discover(timeout).await?;
    if gateways.is_empty() {
        eprintln!("no gateway answered within {} s", timeout.as_secs());
    }
    for gateway in gateways {
        // Whatever answered on the LAN wrote these.
        println!(
            "{} {}:{} {} api {}",
            field(&gateway.pin),
            field(&gateway.host),
            gateway.port,
            gateway.service,
            field(gateway.api_version.as_deref().unwrap_or("?"))
        );
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(not(feature = "discovery"))]
pub(crate) async fn discover(_: Duration) -> Result<ExitCode, BoxError> {
    eprintln!(
        "overkiz: this build has no gateway discovery; build it with the `discovery` feature \
         (cargo install --path cli --features discovery)"
    );
    Ok(ExitCode::from(2))
}
