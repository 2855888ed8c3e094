//! Lists the devices of the setup.
//!
//! ```sh
//! OVERKIZ_USER=me@example.com OVERKIZ_PASSWORD=... cargo run -p overkiz --example list_devices
//! OVERKIZ_SERVER=local:1234-5678-9012 OVERKIZ_TOKEN=... cargo run -p overkiz --example list_devices
//! ```
//!
//! See `examples/common/mod.rs` for every variable.

mod common;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let client = common::client()?;
    let setup = client.get_setup().await?;
    let mut devices = setup.devices.unwrap_or_default();
    devices.sort_by(|a, b| a.label.cmp(&b.label));
    for device in &devices {
        let commands: Vec<&str> = device
            .definition
            .as_ref()
            .and_then(|definition| definition.commands.as_ref())
            .map(|commands| {
                commands
                    .iter()
                    .filter_map(|c| c.command_name.as_deref())
                    .collect()
            })
            .unwrap_or_default();
        println!(
            "{:<30} {:<45} {:<40} {}{}",
            device.label.as_deref().unwrap_or("?"),
            device.device_url.as_deref().unwrap_or("?"),
            device.controllable_name.as_deref().unwrap_or("?"),
            if device.available == Some(false) {
                "(unavailable) "
            } else {
                ""
            },
            commands.join(" "),
        );
    }
    println!("{} devices", devices.len());
    Ok(())
}
