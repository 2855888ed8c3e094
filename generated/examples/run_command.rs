//! Sends one command to one device and waits for the execution's outcome.
//!
//! ```sh
//! OVERKIZ_USER=me@example.com OVERKIZ_PASSWORD=... \
//! OVERKIZ_DEVICE_URL='io://1234-5678-9012/12345678' OVERKIZ_COMMAND='setClosure 50' \
//!     cargo run -p overkiz --example run_command
//! ```
//!
//! `OVERKIZ_COMMAND` is the command name followed by its parameters, separated by
//! spaces; parameters that read as JSON (`50`, `true`, `"text"`) are sent as such,
//! the others as strings. `OVERKIZ_TIMEOUT_SECS` bounds the wait (default 120).
//! Mind the documented rate limit of executions on the cloud. See
//! `examples/common/mod.rs` for the other variables.

mod common;

use std::time::Duration;

use overkiz::{Action, Command};
use serde_json::Value;

#[tokio::main]
async fn main() -> Result<(), common::BoxError> {
    let device_url = common::required("OVERKIZ_DEVICE_URL")?;
    let command_line = common::required("OVERKIZ_COMMAND")?;
    let timeout = match std::env::var("OVERKIZ_TIMEOUT_SECS") {
        Ok(secs) => Duration::from_secs(
            secs.parse()
                .map_err(|e| format!("OVERKIZ_TIMEOUT_SECS: {e}"))?,
        ),
        Err(_) => Duration::from_secs(120),
    };
    let mut words = command_line.split_whitespace();
    let name = words.next().ok_or("OVERKIZ_COMMAND is empty")?;
    let parameters: Vec<Value> = words
        .map(|word| serde_json::from_str(word).unwrap_or_else(|_| Value::String(word.to_owned())))
        .collect();

    let command = Command::new(name).args(parameters);
    let action_group = overkiz::action_group(
        format!("overkiz-rs example: {name}"),
        [Action::new(device_url, [command])],
    );

    let client = common::client()?;
    // The launch is sent once: never retry it blindly. When it may have been carried
    // out without an answer (ErrorKind::OutcomeUnknown), or it was launched but could
    // not be followed (`exec_id()`), look at the device before sending it again.
    let outcome = match client
        .run_and_wait(action_group, overkiz::ExecutionMode::Normal, timeout)
        .await
    {
        Ok(outcome) => outcome,
        Err(error) => {
            if let Some(exec_id) = error.exec_id() {
                eprintln!("execution {exec_id} was launched; its outcome is unknown");
            } else if error.kind() == overkiz::ErrorKind::OutcomeUnknown {
                eprintln!("the command may have been carried out; check the device");
            }
            return Err(error.into());
        }
    };
    println!("execution {}: {}", outcome.exec_id, outcome.state);
    if !outcome.is_success() {
        println!(
            "failure type: {}",
            outcome.failure_type.as_deref().unwrap_or("?")
        );
        for failed in &outcome.failed_commands {
            let detail = failed
                .detailed_status
                .as_ref()
                .and_then(|status| status.message.as_deref());
            println!(
                "  {} failed: {} {}",
                failed.device_url.as_deref().unwrap_or("?"),
                failed.failure_type.as_deref().unwrap_or("?"),
                detail.unwrap_or(""),
            );
        }
        std::process::exit(1);
    }
    Ok(())
}
