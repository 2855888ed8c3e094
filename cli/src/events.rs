//! `events`: the event stream, one line (or one JSON object) per event; and the
//! event stream settings every command that follows events uses.

use std::io::Write;
use std::time::Duration;

use futures::StreamExt;
use overkiz::{Client, ErrorKind, Event, EventStream, EventStreamConfig};
use serde_json::Value;

use crate::escape::{escape, field, Form};
use crate::BoxError;

/// The event stream; `OVERKIZ_FETCH_INTERVAL_MS` overrides the documented 1 s between
/// fetches (for the simulator).
pub(crate) fn event_stream(client: &Client) -> EventStream {
    client.events_with(event_config())
}

/// The event stream settings: `OVERKIZ_FETCH_INTERVAL_MS` overrides the documented
/// 1 s between fetches (for the simulator).
pub(crate) fn event_config() -> EventStreamConfig {
    let mut config = EventStreamConfig::default();
    if let Some(ms) = std::env::var("OVERKIZ_FETCH_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config = config
            .with_fetch_interval(Duration::from_millis(ms))
            .with_initial_backoff(Duration::from_millis(ms.max(10)));
    }
    config
}

/// One line for an event: its name, then its scalar fields as `key=value` (escaped;
/// the wire names of the form it came in; the tag, `name` or `type`, is the name).
fn event_line(event: &Event) -> String {
    let mut line = field(event.name()).into_owned();
    let tag = event.tag_key();
    if let Ok(Value::Object(fields)) = serde_json::to_value(event) {
        for (key, value) in fields {
            if key == tag || value.is_null() {
                continue;
            }
            let shown = match value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            line.push_str(&format!(" {}={}", field(&key), field(&shown)));
        }
    }
    line
}

pub(crate) async fn events(
    client: &Client,
    json: bool,
    count: Option<usize>,
) -> Result<(), BoxError> {
    let mut events = event_stream(client);
    let mut seen = 0;
    let mut out = std::io::stdout();
    while count.is_none_or(|count| seen < count) {
        let Some(item) = events.next().await else {
            break;
        };
        match item {
            Ok(event) => {
                let line = if json {
                    escape(&serde_json::to_string(&event)?, Form::Json).into_owned()
                } else {
                    event_line(&event)
                };
                writeln!(out, "{line}")?;
                out.flush()?;
                seen += 1;
            }
            Err(gap) if gap.kind() == ErrorKind::EventsLost => {
                eprintln!(
                    "events were lost ({}): these lines miss them; a live model (overkiz::Home) re-reads the devices instead of the setup",
                    escape(&gap.to_string(), Form::Lines)
                );
            }
            Err(error) if error.is_retryable() => {
                eprintln!("{}", escape(&error.to_string(), Form::Lines));
            }
            Err(error) => return Err(error.into()),
        }
    }
    let _ = events.unregister().await;
    Ok(())
}
