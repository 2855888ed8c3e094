//! `overkiz`: the Overkiz End-User API from the command line.

//!
//! One job per module: [`args`] (the command line), [`config`] (settings),
//! [`account`] (`servers`, `sites`, `login`), [`setup`] (`setup`, `devices`,
//! `device`), [`executions`] (`exec`, `action-groups`, `run`), [`events`],
//! [`local_token`], [`discover`], [`call`] (raw calls), [`watch`] (the live
//! table), [`table`] and [`escape`]
//! (what reaches the terminal). This file starts the runtime and dispatches.

mod account;
mod args;
mod call;
mod config;
mod discover;
mod escape;
mod events;
mod executions;
mod local_token;
mod setup;
mod table;
mod watch;

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use overkiz::{Action, Client, Command};

use args::{Cli, Cmd};
use config::Settings;
use escape::{escape, Form};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("overkiz: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("overkiz: {}", escape(&error.to_string(), Form::Lines));
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<ExitCode, BoxError> {
    let settings = || Settings::load(cli.config.as_deref());
    let client = || async {
        let settings = settings()?;
        if settings.is_somfy_sites() {
            let account = settings.somfy_account()?;
            let sites = account.sites().await?;
            let site = settings.choose_site(&sites)?;
            return Ok::<Client, BoxError>(account.client(&site.id).await?);
        }
        settings.client(settings.server()?, settings.credentials()?)
    };
    match cli.command {
        Cmd::Servers => account::servers(),
        Cmd::Sites { json } => account::sites(&settings()?, json).await?,
        Cmd::Login { user } => account::login(&settings()?, user).await?,
        Cmd::Setup { anonymize, json } => setup::setup(&client().await?, anonymize, json).await?,
        Cmd::Devices => setup::devices(&client().await?).await?,
        Cmd::Device { url } => setup::device(&client().await?, &url).await?,
        Cmd::Exec {
            url,
            command,
            args,
            wait,
            timeout,
        } => {
            let params = args.iter().map(|a| executions::parse_param(a));
            let action = Action::new(url, [Command::new(command).args(params)]);
            return executions::exec(&client().await?, action, wait, Duration::from_secs(timeout))
                .await;
        }
        Cmd::Events { json, count } => events::events(&client().await?, json, count).await?,
        Cmd::Watch { count } => watch::watch(&client().await?, count).await?,
        Cmd::ActionGroups => executions::action_groups(&client().await?).await?,
        Cmd::Run {
            action_group,
            wait,
            timeout,
        } => {
            return executions::run_group(
                &client().await?,
                &action_group,
                wait,
                Duration::from_secs(timeout),
            )
            .await
        }
        Cmd::LocalToken { command } => local_token::local_token(&client().await?, command).await?,
        Cmd::Discover { timeout } => return discover::discover(Duration::from_secs(timeout)).await,
        Cmd::Call {
            operation,
            params,
            body,
            list,
        } => {
            if list {
                call::list_operations();
            } else {
                let operation = operation.unwrap_or_default();
                call::call(&client().await?, &operation, &params, body.as_deref()).await?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
