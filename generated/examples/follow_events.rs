//! Prints the setup's events as they arrive, until interrupted or until an error
//! that waiting cannot cure.
//!
//! ```sh
//! OVERKIZ_USER=me@example.com OVERKIZ_PASSWORD=... cargo run -p overkiz --example follow_events
//! ```
//!
//! `OVERKIZ_MAX_EVENTS=<n>` stops after `n` events (the listener is then
//! unregistered). See `examples/common/mod.rs` for the other variables.

mod common;

use futures::StreamExt;
use overkiz::Event;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let client = common::client()?;
    let max_events = match std::env::var("OVERKIZ_MAX_EVENTS") {
        Ok(n) => Some(
            n.parse::<usize>()
                .map_err(|e| format!("OVERKIZ_MAX_EVENTS: {e}"))?,
        ),
        Err(_) => None,
    };
    let mut events = client.events();
    events.register().await?;
    eprintln!(
        "listening (one fetch per {:?})",
        events.config().fetch_interval()
    );
    let mut seen = 0;
    while let Some(item) = events.next().await {
        match item {
            Ok(event) => {
                print_event(&event);
                seen += 1;
                if max_events.is_some_and(|max| seen >= max) {
                    break;
                }
            }
            // Events may have been missed (expired listener, renewed session). A
            // consumer keeping state uses `overkiz::Home` instead (example `home`),
            // which re-reads each device here, not the whole setup (once a day).
            Err(gap) if gap.kind() == overkiz::ErrorKind::EventsLost => {
                eprintln!("{gap}")
            }
            Err(error) if error.is_retryable() => eprintln!("temporary failure, going on: {error}"),
            Err(error) => return Err(error.into()),
        }
    }
    // Dropping the stream unregisters the listener in the background: give it a moment.
    drop(events);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    Ok(())
}

fn print_event(event: &Event) {
    match event {
        Event::DeviceStateChanged(change) => {
            let states: Vec<String> = change
                .device_states
                .iter()
                .flatten()
                .map(|state| {
                    let value = state
                        .value
                        .as_ref()
                        .map_or_else(|| "-".to_owned(), |v| v.to_string());
                    format!("{}={}", state.name.as_deref().unwrap_or("?"), value)
                })
                .collect();
            println!(
                "{} {}: {}",
                event.name(),
                change.device_url.as_deref().unwrap_or("?"),
                states.join(", ")
            );
        }
        Event::ExecutionStateChanged(change) => println!(
            "{} {}: {} -> {}",
            event.name(),
            change.exec_id.as_deref().unwrap_or("?"),
            change.old_state.as_deref().unwrap_or("?"),
            change.new_state.as_deref().unwrap_or("?"),
        ),
        other => match serde_json::to_string(other) {
            Ok(json) => println!("{} {json}", other.name()),
            Err(_) => println!("{}", other.name()),
        },
    }
}
