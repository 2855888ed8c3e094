//! Executions: `exec` (one command), `action-groups` and `run` (a scenario), each
//! launched and, with `--wait`, followed to its outcome by the library's follower
//! ([`overkiz::EventStream::follow`]).

use std::process::ExitCode;
use std::time::Duration;

use futures::StreamExt;
use overkiz::{Action, Client, ErrorKind, EventStream, ExecutionMode, ExecutionUpdate};
use serde_json::Value;

use crate::escape::{escape, field, Form};
use crate::events::event_stream;
use crate::table::print_table;
use crate::BoxError;

/// A command parameter: JSON when it reads as such, else a string.
pub(crate) fn parse_param(word: &str) -> Value {
    serde_json::from_str(word).unwrap_or_else(|_| Value::String(word.to_owned()))
}

pub(crate) async fn exec(
    client: &Client,
    action: Action,
    wait: bool,
    timeout: Duration,
) -> Result<ExitCode, BoxError> {
    if !wait {
        let exec_id = client.run(action, ExecutionMode::Normal).await?;
        println!("{}", field(&exec_id));
        return Ok(ExitCode::SUCCESS);
    }
    let mut events = event_stream(client);
    events.register().await?;
    let exec_id = client.run(action, ExecutionMode::Normal).await?;
    follow(&mut events, &exec_id, timeout).await
}

/// Follows `exec_id` with the library's follower on `events` (registered before the
/// launch): one line per state change on stderr, then the outcome on stdout. Exit
/// status 1 for a failed execution.
async fn follow(
    events: &mut EventStream,
    exec_id: &str,
    timeout: Duration,
) -> Result<ExitCode, BoxError> {
    let shown_id = field(exec_id);
    eprintln!("execution {shown_id}: launched");
    let mut updates = events.follow(exec_id, timeout);
    let mut outcome = None;
    while let Some(update) = updates.next().await {
        match update? {
            ExecutionUpdate::StateChanged(state) => {
                eprintln!("execution {shown_id}: {}", field(state.as_str()));
            }
            ExecutionUpdate::EventsLost(_) => eprintln!("events were lost; still waiting"),
            ExecutionUpdate::Retrying(error) => {
                eprintln!("{}", escape(&error.to_string(), Form::Lines));
            }
            ExecutionUpdate::Finished(finished) => outcome = Some(finished),
            other => eprintln!("{}", escape(&format!("{other:?}"), Form::Lines)),
        }
    }
    drop(updates);
    let outcome = outcome.ok_or("the execution follower ended without an outcome")?;
    let _ = events.unregister().await;
    println!("{shown_id} {}", field(outcome.state.as_str()));
    if outcome.is_success() {
        return Ok(ExitCode::SUCCESS);
    }
    eprintln!(
        "failure type: {}",
        field(outcome.failure_type.as_deref().unwrap_or("?"))
    );
    for failed in &outcome.failed_commands {
        eprintln!(
            "  {} failed: {}",
            field(failed.device_url.as_deref().unwrap_or("?")),
            field(failed.failure_type.as_deref().unwrap_or("?")),
        );
    }
    Ok(ExitCode::FAILURE)
}

pub(crate) async fn action_groups(client: &Client) -> Result<(), BoxError> {
    let groups = client.get_action_groups().await?;
    let mut rows = vec![["OID".to_owned(), "LABEL".into(), "ACTIONS".into()]];
    for group in groups {
        rows.push([
            group.oid.unwrap_or_default(),
            group.label.unwrap_or_default(),
            group.actions.map_or(0, |a| a.len()).to_string(),
        ]);
    }
    print_table(&rows);
    Ok(())
}

/// The oid of the action group named `name`: an oid the server knows
/// (`GET /actionGroups/{oid}`), else the oid of the group labelled so (the listing
/// `GET /actionGroups` is rate-limited, so it is only read for labels).
async fn action_group_oid(client: &Client, name: &str) -> Result<String, BoxError> {
    match client.get_action_groups_by_oid(name).await {
        Ok(group) if group.oid.as_deref() == Some(name) => return Ok(name.to_owned()),
        Ok(_) => {}
        Err(error)
            if matches!(
                error.kind(),
                ErrorKind::NoSuchActionGroup
                    | ErrorKind::NoSuchResource
                    | ErrorKind::BadRequest
                    | ErrorKind::InvalidRequest
            ) => {}
        Err(error) => return Err(error.into()),
    }
    let groups = client.get_action_groups().await?;
    let group = groups
        .iter()
        .find(|g| g.label.as_deref() == Some(name))
        .ok_or_else(|| format!("no action group with oid or label {name:?}"))?;
    Ok(group.oid.clone().ok_or("the action group has no oid")?)
}

pub(crate) async fn run_group(
    client: &Client,
    name: &str,
    wait: bool,
    timeout: Duration,
) -> Result<ExitCode, BoxError> {
    let oid = action_group_oid(client, name).await?;
    let mut events = wait.then(|| event_stream(client));
    if let Some(events) = &mut events {
        events.register().await?;
    }
    let exec_id = client
        .post_exec_by_action_group_oid(&oid)
        .await?
        .exec_id
        .filter(|id| !id.is_empty())
        .ok_or("the answer carries no execId")?;
    match &mut events {
        Some(events) => follow(events, &exec_id, timeout).await,
        None => {
            println!("{}", field(&exec_id));
            Ok(ExitCode::SUCCESS)
        }
    }
}
