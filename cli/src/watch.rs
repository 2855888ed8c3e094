//! `watch`: the devices of the setup, live (a [`Home`]): on a terminal, a table (label,
//! class, main states, freshness) redrawn in place as events arrive, with the
//! execution budget of each gateway at the bottom; otherwise one line per device,
//! then one line per update, and a budget line whenever the figures change.

use std::io::{IsTerminal, Write};
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use overkiz::live::{Confirmation, Freshness, LiveDevice, Origin, Update};
use overkiz::state::StateValue;
use overkiz::{Client, ExecutionBudget, Home, HomeConfig, HomeSnapshot, Notice};

use crate::escape::field;
use crate::BoxError;

/// How often the table is redrawn without events (freshness ages).
const REDRAW: Duration = Duration::from_secs(1);

/// How often the budget is read again (`GET /exec/current`, no documented limit)
/// while no event stream keeps it current (the home's is starting or in a gap).
const BUDGET_REFRESH: Duration = Duration::from_secs(5);

/// States shown per device.
const STATES_SHOWN: usize = 3;

pub(crate) async fn watch(client: &Client, count: Option<usize>) -> Result<(), BoxError> {
    let config = HomeConfig::default().with_events(crate::events::event_config());
    let home = Home::start_with(client.clone(), config).await?;
    let mut changes = home.subscribe();
    // The budget's figures: one read now, then the home's event stream keeps them.
    if let Err(error) = client.refresh_execution_budget().await {
        eprintln!(
            "cannot read the running executions: {}",
            field(&error.to_string())
        );
    }
    let terminal = std::io::stdout().is_terminal();
    let mut out = std::io::stdout();
    let mut drawn = 0;
    let mut last_budget = Vec::new();
    let snapshot = changes.snapshot().clone();
    if terminal {
        drawn = redraw(&mut out, &home, drawn)?;
    } else {
        for device in snapshot.devices.values() {
            writeln!(out, "{}", device_line(device))?;
        }
        last_budget = print_budgets(&mut out, client, &snapshot, &last_budget)?;
    }
    out.flush()?;
    let mut seen = 0;
    let mut ticker = tokio::time::interval(REDRAW);
    let mut last_refresh = tokio::time::Instant::now();
    while count.is_none_or(|count| seen < count) {
        tokio::select! {
            notice = changes.next() => {
                let Some(notice) = notice else {
                    break; // the home ended
                };
                seen += 1;
                if terminal {
                    drawn = redraw(&mut out, &home, drawn)?;
                } else {
                    for line in notice_lines(&notice) {
                        writeln!(out, "{line}")?;
                    }
                    last_budget = print_budgets(&mut out, client, &home.snapshot(), &last_budget)?;
                }
                out.flush()?;
            }
            _ = ticker.tick() => {
                let stale = home
                    .gateways()
                    .iter()
                    .any(|g| !client.execution_budget(&g.id).live);
                if stale && last_refresh.elapsed() >= BUDGET_REFRESH {
                    last_refresh = tokio::time::Instant::now();
                    let _ = client.refresh_execution_budget().await;
                }
                if terminal {
                    drawn = redraw(&mut out, &home, drawn)?;
                } else {
                    last_budget = print_budgets(&mut out, client, &home.snapshot(), &last_budget)?;
                }
                out.flush()?;
            }
        }
    }
    Ok(())
}

/// A state value as shown.
fn value_text(value: &StateValue) -> String {
    match value {
        StateValue::None => "-".into(),
        StateValue::Int(n) | StateValue::Date(n) => n.to_string(),
        StateValue::Float(x) => x.to_string(),
        StateValue::String(s) => s.clone(),
        StateValue::Bool(b) => b.to_string(),
        StateValue::Array(items) => serde_json::Value::Array(items.clone()).to_string(),
        StateValue::Object(map) => serde_json::Value::Object(map.clone()).to_string(),
        StateValue::Raw(value) => value.to_string(),
        other => format!("{other:?}"),
    }
}

/// `ClosureState=30` (the name without its `core:` prefix).
fn state_text(name: &str, value: &StateValue) -> String {
    let short = name.split_once(':').map_or(name, |(_, n)| n);
    format!("{short}={}", value_text(value))
}

/// `event 3s ago`, `read 1m ago`.
fn freshness_text(freshness: &Freshness) -> String {
    let by = match freshness.confirmed_by {
        Confirmation::Event => "event",
        Confirmation::Read => "read",
        _ => "?",
    };
    let age = freshness.age().as_secs();
    let age = if age < 60 {
        format!("{age}s")
    } else if age < 3600 {
        format!("{}m", age / 60)
    } else {
        format!("{}h", age / 3600)
    };
    format!("{by} {age} ago")
}

fn states_text(device: &LiveDevice) -> String {
    device
        .main_states(STATES_SHOWN)
        .into_iter()
        .map(|(name, value)| state_text(name, value))
        .collect::<Vec<_>>()
        .join(" ")
}

/// One line per device in plain output.
fn device_line(device: &LiveDevice) -> String {
    let mut line = format!(
        "device {} label={} class={}",
        field(&device.url),
        field(&device.label),
        field(device.ui_class.as_deref().unwrap_or("-")),
    );
    for (name, value) in device.main_states(STATES_SHOWN) {
        line.push(' ');
        line.push_str(&field(&state_text(name, value)));
    }
    if !device.available {
        line.push_str(" unavailable");
    }
    line.push_str(&format!(
        " confirmed-by={}",
        match device.freshness.confirmed_by {
            Confirmation::Event => "event",
            Confirmation::Read => "read",
            _ => "?",
        }
    ));
    line
}

/// The lines of a change in plain output: one per update.
fn notice_lines(notice: &Notice) -> Vec<String> {
    let change = match notice {
        Notice::Changed(change) => change,
        Notice::Lagged { missed, snapshot } => {
            let mut lines = vec![format!("lagged missed={missed}")];
            lines.extend(snapshot.devices.values().map(device_line));
            return lines;
        }
        _ => return Vec::new(),
    };
    let origin = match change.origin {
        Origin::Event => "",
        Origin::ReRead(_) => " (re-read)",
        _ => "",
    };
    change
        .updates
        .iter()
        .map(|update| {
            let text = match update {
                Update::State {
                    device, name, new, ..
                } => format!("state {} {}", field(device), field(&state_text(name, new))),
                Update::DeviceAdded(device) => format!("added {}", device_line(device)),
                Update::DeviceUpdated(device) => format!("updated {}", device_line(device)),
                Update::DeviceRemoved { device } => format!("removed {}", field(device)),
                Update::Availability { device, available } => format!(
                    "{} {}",
                    if *available {
                        "available"
                    } else {
                        "unavailable"
                    },
                    field(device)
                ),
                Update::PlaceChanged(place) => {
                    format!("place {} label={}", field(&place.oid), field(&place.label))
                }
                Update::PlaceRemoved { oid } => format!("place-removed {}", field(oid)),
                Update::Gateway { gateway, alive } => format!(
                    "gateway {} {}",
                    field(gateway),
                    if *alive { "alive" } else { "down" }
                ),
                Update::Execution { id, state } => {
                    format!("execution {} {}", field(id), field(state.as_str()))
                }
                Update::ExecutionEnded { id } => format!("execution {} ended", field(id)),
                other => field(&format!("{other:?}")).into_owned(),
            };
            format!("{text}{origin}")
        })
        .collect()
}

/// `budget 1234-5678-9012 running=3/10 queued=0 next-slot=now launches-today=5/50`.
fn budget_text(budget: &ExecutionBudget) -> String {
    let next = match budget.next_slot_in {
        Some(wait) if wait.is_zero() => "now".to_owned(),
        Some(wait) => format!("{}s", wait.as_secs().max(1)),
        None => "unknown".to_owned(),
    };
    format!(
        "budget {} running={}/{} queued={} next-slot={} launches-today={}/{}{}",
        field(&budget.gateway_id),
        budget.running,
        budget.limit,
        budget.queued,
        next,
        budget.used_today,
        budget.daily_quota,
        if budget.live { "" } else { " (not live)" }
    )
}

/// The budgets of the home's gateways, by gateway id.
fn budgets(client: &Client, snapshot: &HomeSnapshot) -> Vec<ExecutionBudget> {
    snapshot
        .gateways
        .keys()
        .map(|id| client.execution_budget(id))
        .collect()
}

/// Prints the budget lines when the figures (freshness of the estimate aside)
/// differ from `last`; returns what was printed last.
fn print_budgets(
    out: &mut impl Write,
    client: &Client,
    snapshot: &HomeSnapshot,
    last: &[String],
) -> Result<Vec<String>, BoxError> {
    let lines: Vec<String> = budgets(client, snapshot)
        .iter()
        .map(|b| {
            // The estimate counts down by itself: only its presence is news.
            let mut b = b.clone();
            b.next_slot_in = b.next_slot_in.map(|w| {
                if w.is_zero() {
                    w
                } else {
                    Duration::from_secs(1)
                }
            });
            budget_text(&b)
        })
        .collect();
    if lines != last {
        for line in &lines {
            writeln!(out, "{line}")?;
        }
    }
    Ok(lines)
}

/// Redraws the table over the `drawn` lines drawn last; returns how many it drew.
fn redraw(out: &mut impl Write, home: &Home, drawn: usize) -> Result<usize, BoxError> {
    let snapshot = home.snapshot();
    let mut rows = vec![[
        "LABEL".to_owned(),
        "CLASS".to_owned(),
        "STATES".to_owned(),
        "FRESHNESS".to_owned(),
    ]];
    for device in snapshot.devices.values() {
        let mut freshness = freshness_text(&device.freshness);
        if !snapshot.is_reachable(&device.url) {
            freshness.push_str(", unreachable");
        }
        rows.push([
            field(&device.label).into_owned(),
            field(device.ui_class.as_deref().unwrap_or("-")).into_owned(),
            field(&states_text(device)).into_owned(),
            freshness,
        ]);
    }
    let mut widths = [0; 4];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut lines: Vec<String> = rows
        .iter()
        .map(|row| {
            let mut line = String::new();
            for (i, cell) in row.iter().enumerate() {
                line.push_str(cell);
                if i + 1 < row.len() {
                    line.extend(std::iter::repeat_n(
                        ' ',
                        widths[i] - cell.chars().count() + 2,
                    ));
                }
            }
            line.trim_end().to_owned()
        })
        .collect();
    lines.push(String::new());
    for budget in budgets(home.client(), &snapshot) {
        lines.push(budget_text(&budget));
    }
    let stamp = humantime_now();
    lines.push(format!("updated {stamp} (Ctrl-C to quit)"));
    // Back to the first line drawn last time, then clear to the end of the screen.
    if drawn > 0 {
        write!(out, "\x1b[{drawn}A\r")?;
    }
    write!(out, "\x1b[J")?;
    for line in &lines {
        writeln!(out, "{line}")?;
    }
    Ok(lines.len())
}

/// The time of day (UTC), `HH:MM:SS`.
fn humantime_now() -> String {
    let secs = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    format!(
        "{:02}:{:02}:{:02} UTC",
        secs / 3600 % 24,
        secs / 60 % 60,
        secs % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_and_budgets_read_as_text() {
        assert_eq!(
            state_text("core:ClosureState", &StateValue::Int(30)),
            "ClosureState=30"
        );
        assert_eq!(value_text(&StateValue::String("open".into())), "open");
        assert_eq!(value_text(&StateValue::None), "-");
    }
}
