//! The coordinator a home-automation integration would otherwise write around a
//! client, done by [`overkiz::Home`]: start a live model of the setup, show it,
//! follow every change (events in order, re-reads after gaps, lag notices), and run
//! a command on a device.
//!
//! ```sh
//! OVERKIZ_USER=me@example.com OVERKIZ_PASSWORD=... cargo run -p overkiz --example home
//! ```
//!
//! - `OVERKIZ_DEVICE=<deviceURL>`: follow only this device, and
//! - `OVERKIZ_COMMAND=<command>` (`open`, `close`, `on`, ...): run it on that device
//!   once the model is up;
//! - `OVERKIZ_MAX_CHANGES=<n>`: stop after `n` changes.
//!
//! See `examples/common/mod.rs` for the server and credentials variables.

mod common;

use futures::StreamExt;
use overkiz::live::{Origin, Update};
use overkiz::{Action, Command, ExecutionMode, Home, LiveDevice, Notice};

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let client = common::client()?;
    let device = std::env::var("OVERKIZ_DEVICE").ok();
    let command = std::env::var("OVERKIZ_COMMAND").ok();
    let max_changes = match std::env::var("OVERKIZ_MAX_CHANGES") {
        Ok(n) => Some(
            n.parse::<u64>()
                .map_err(|e| format!("OVERKIZ_MAX_CHANGES: {e}"))?,
        ),
        Err(_) => None,
    };

    // One setup read and the event stream; from here on the model stays current.
    let home = Home::start(client).await?;
    for gateway in home.gateways() {
        println!("gateway {}: alive={}", gateway.id, gateway.alive);
    }
    for device in home.devices() {
        print_device(&device);
    }

    // Subscribe before acting: the command's own state changes are seen.
    let mut changes = match &device {
        Some(url) => home.subscribe_device(url),
        None => home.subscribe(),
    };
    if let (Some(url), Some(command)) = (&device, &command) {
        let action = Action::new(url.as_str(), [Command::new(command.as_str())]);
        let exec_id = home.client().run(action, ExecutionMode::Normal).await?;
        println!("ran {command} on {url}: execution {exec_id}");
    }

    let mut seen = 0;
    while let Some(notice) = changes.next().await {
        match notice {
            Notice::Changed(change) => {
                let origin = match change.origin {
                    Origin::Event => "event".to_owned(),
                    Origin::ReRead(cause) => format!("re-read ({cause:?})"),
                    _ => "other".to_owned(),
                };
                println!("#{} {origin}", change.seq);
                for update in &change.updates {
                    print_update(update);
                }
            }
            Notice::Lagged { missed, snapshot } => {
                // This loop fell behind: start again from the current state.
                println!("missed {missed} changes; the home now:");
                snapshot.devices.values().for_each(print_device);
            }
            _ => {}
        }
        seen += 1;
        if max_changes.is_some_and(|max| seen >= max) {
            break;
        }
    }
    let status = home.status();
    eprintln!(
        "last event {:?}, last re-read {:?}, failing: {:?}",
        status.last_event, status.last_reread, status.failing
    );
    Ok(())
}

fn print_device(device: &LiveDevice) {
    let states: Vec<String> = device
        .main_states(3)
        .iter()
        .map(|(name, value)| format!("{name}={value:?}"))
        .collect();
    println!(
        "{} [{}] {} available={} ({:?} ago, by {:?}): {}",
        device.label,
        device.ui_class.as_deref().unwrap_or("?"),
        device.url,
        device.available,
        device.freshness.age(),
        device.freshness.confirmed_by,
        states.join(", ")
    );
}

fn print_update(update: &Update) {
    match update {
        Update::State {
            device, name, new, ..
        } => println!("  {device} {name} = {new:?}"),
        Update::DeviceAdded(device) => {
            print!("  added: ");
            print_device(device);
        }
        Update::DeviceRemoved { device } => println!("  removed: {device}"),
        Update::Availability { device, available } => {
            println!("  {device} available={available}")
        }
        Update::Gateway { gateway, alive } => println!("  gateway {gateway} alive={alive}"),
        Update::Execution { id, state } => println!("  execution {id}: {}", state.as_str()),
        other => println!("  {other:?}"),
    }
}
