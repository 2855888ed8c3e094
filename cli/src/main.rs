//! `overkiz`: the Overkiz End-User API from the command line.

mod config;
mod escape;

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use futures::StreamExt;
use overkiz::{
    Action, Client, Command, Credentials, ErrorKind, Event, EventStream, EventStreamConfig,
    ExecutionMode, ExecutionOutcome, SomfyAccount,
};
use serde_json::Value;

use config::Settings;
use escape::{escape, field, Form};

pub(crate) type BoxError = Box<dyn std::error::Error + Send + Sync>;

const AFTER_HELP: &str = "\
Settings come from environment variables, then from the config file:
  OVERKIZ_SERVER     a preset (`overkiz servers`), local:<gateway PIN>, or a base URL
                     (http://127.0.0.1:8080/enduser-mobile-web/enduserAPI); default somfy_europe
  OVERKIZ_GATEWAY_HOST  with local:<pin>, the gateway's address when mDNS does not resolve it
  OVERKIZ_GATEWAY_CA    with local:<pin>, a PEM file of another CA to trust besides the
                        Overkiz root CA (e.g. `overkiz-sim --local <pin> --ca-out FILE`)
  OVERKIZ_TOKEN      a bearer token (local API), or else
  OVERKIZ_USER, OVERKIZ_PASSWORD  the cloud account
  OVERKIZ_SITE       with OVERKIZ_SERVER=somfy_sites (a Somfy account with several homes):
                     the home to use, by id or name (`overkiz sites`); needed with several
  OVERKIZ_SITES_URL, OVERKIZ_REGIONS  with somfy_sites: another host for Somfy's sign-in
                     services and directory, and the region base URLs (comma-separated),
                     e.g. the simulator's
  OVERKIZ_FETCH_INTERVAL_MS  time between two event fetches (`events`, `--wait`); default
                     1000, the documented limit: lower it only against a simulator
The config file (--config, $OVERKIZ_CONFIG, or $XDG_CONFIG_HOME/overkiz/config,
~/.config/overkiz/config) has lines `key = \"value\"` with the keys server, user,
password, token, gateway_host, gateway_ca, site, sites_url, regions. It must not be readable by group or others (chmod 600).";

/// The Overkiz End-User API (Somfy TaHoma, Cozytouch, Hi Kumo, ...) from the command line.
#[derive(Parser)]
#[command(name = "overkiz", version, after_help = AFTER_HELP)]
struct Cli {
    /// The config file (default: $OVERKIZ_CONFIG, then ~/.config/overkiz/config if present).
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// List the server presets OVERKIZ_SERVER accepts.
    Servers,
    /// List the homes of a Somfy account (OVERKIZ_SERVER=somfy_sites), for OVERKIZ_SITE.
    Sites {
        /// Print them as JSON, as the directory gives them.
        #[arg(long)]
        json: bool,
    },
    /// Check the credentials: sign in with a password read from the terminal (or stdin).
    Login {
        /// The account (default: OVERKIZ_USER or the config file).
        #[arg(long)]
        user: Option<String>,
    },
    /// Show the setup: gateways and devices.
    Setup {
        /// Replace ids, e-mail addresses, location and secrets by fakes (for bug reports).
        #[arg(long)]
        anonymize: bool,
        /// Print the whole setup as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the devices: label, UI class, widget, main states, URL.
    Devices,
    /// Show one device: its states and commands.
    Device {
        /// The device URL (`io://1234-5678-9012/12345678`).
        url: String,
    },
    /// Send a command to a device.
    Exec {
        /// The device URL.
        url: String,
        /// The command (`open`, `setClosure`).
        command: String,
        /// Its parameters; those that read as JSON (`50`, `true`) are sent as such.
        #[arg(allow_negative_numbers = true)]
        args: Vec<String>,
        /// Follow the execution until it completes or fails.
        #[arg(long)]
        wait: bool,
        /// With --wait: give up after this many seconds.
        #[arg(long, default_value_t = 120, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Follow the event stream, one line per event.
    Events {
        /// One JSON object per line.
        #[arg(long)]
        json: bool,
        /// Stop after this many events.
        #[arg(long, value_name = "N")]
        count: Option<usize>,
    },
    /// List the action groups (scenarios).
    ActionGroups,
    /// Launch an action group, by oid or label.
    Run {
        /// The action group's oid or label.
        action_group: String,
        /// Follow the execution until it completes or fails.
        #[arg(long)]
        wait: bool,
        /// With --wait: give up after this many seconds.
        #[arg(long, default_value_t = 120, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Manage the tokens of a gateway's local API (Developer Mode) through the cloud.
    LocalToken {
        #[command(subcommand)]
        command: LocalTokenCmd,
    },
    /// Find gateways on the local network (mDNS; needs the `discovery` feature).
    Discover {
        /// How long to listen.
        #[arg(long, default_value_t = 3, value_name = "SECONDS")]
        timeout: u64,
    },
    /// Call any operation by its name (`get_setup_gateways`, see `overkiz call --list`).
    Call {
        /// The operation's name: the method name on `overkiz::Client`.
        #[arg(required_unless_present = "list")]
        operation: Option<String>,
        /// A path placeholder or query parameter, `name=value` (repeatable).
        #[arg(long = "param", value_name = "NAME=VALUE")]
        params: Vec<String>,
        /// A JSON file to send as the body (`-` for stdin).
        #[arg(long, value_name = "FILE")]
        body: Option<PathBuf>,
        /// List the operations.
        #[arg(long)]
        list: bool,
    },
}

#[derive(Subcommand)]
enum LocalTokenCmd {
    /// Create and activate a token (printed once: store it).
    Create {
        /// Its label.
        #[arg(long, default_value = "overkiz-cli")]
        label: String,
        /// The gateway PIN (default: the setup's only gateway).
        #[arg(long)]
        gateway: Option<String>,
    },
    /// List the active tokens (labels and uuids).
    List {
        /// The gateway PIN (default: the setup's only gateway).
        #[arg(long)]
        gateway: Option<String>,
    },
    /// Delete a token by uuid.
    Delete {
        /// The token's uuid (`overkiz local-token list`).
        uuid: String,
        /// The gateway PIN (default: the setup's only gateway).
        #[arg(long)]
        gateway: Option<String>,
    },
}

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
        Cmd::Servers => servers(),
        Cmd::Sites { json } => sites(&settings()?, json).await?,
        Cmd::Login { user } => login(&settings()?, user).await?,
        Cmd::Setup { anonymize, json } => setup(&client().await?, anonymize, json).await?,
        Cmd::Devices => devices(&client().await?).await?,
        Cmd::Device { url } => device(&client().await?, &url).await?,
        Cmd::Exec {
            url,
            command,
            args,
            wait,
            timeout,
        } => {
            let params = args.iter().map(|a| parse_param(a));
            let action = Action::new(url, [Command::new(command).args(params)]);
            return exec(&client().await?, action, wait, Duration::from_secs(timeout)).await;
        }
        Cmd::Events { json, count } => events(&client().await?, json, count).await?,
        Cmd::ActionGroups => action_groups(&client().await?).await?,
        Cmd::Run {
            action_group,
            wait,
            timeout,
        } => {
            return run_group(
                &client().await?,
                &action_group,
                wait,
                Duration::from_secs(timeout),
            )
            .await
        }
        Cmd::LocalToken { command } => local_token(&client().await?, command).await?,
        Cmd::Discover { timeout } => return discover(Duration::from_secs(timeout)).await,
        Cmd::Call {
            operation,
            params,
            body,
            list,
        } => {
            if list {
                list_operations();
            } else {
                let operation = operation.unwrap_or_default();
                call(&client().await?, &operation, &params, body.as_deref()).await?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn servers() {
    let mut rows = vec![[
        "OVERKIZ_SERVER".to_owned(),
        "NAME".into(),
        "BASE URL".into(),
    ]];
    for (key, make) in config::PRESETS {
        let server = make();
        rows.push([
            (*key).into(),
            server.name().into(),
            server.base_url().into(),
        ]);
    }
    rows.push([
        config::SOMFY_SITES.into(),
        "Somfy account with several homes (OVERKIZ_SITE)".into(),
        "each home's region (ha101-1, ha201-1, ha401-1)".into(),
    ]);
    rows.push([
        "local:<pin>".into(),
        "a gateway's local API".into(),
        "https://gateway-<pin>.local:8443/enduser-mobile-web/1/enduserAPI".into(),
    ]);
    rows.push([
        "<URL>".into(),
        "another server".into(),
        "http(s)://.../enduser-mobile-web/enduserAPI".into(),
    ]);
    print_table(&rows);
}

async fn sites(settings: &Settings, json: bool) -> Result<(), BoxError> {
    if !settings.is_somfy_sites() {
        return Err(format!(
            "`overkiz sites` lists the homes of a Somfy account: set OVERKIZ_SERVER={}",
            config::SOMFY_SITES
        )
        .into());
    }
    let sites = settings.somfy_account()?.sites().await?;
    if json {
        let raw: Vec<&Value> = sites.iter().map(|s| &s.raw).collect();
        println!("{}", serde_json::to_string_pretty(&raw)?);
        return Ok(());
    }
    let mut rows = vec![[
        "SITE".to_owned(),
        "NAME".into(),
        "COUNTRY".into(),
        "ROLES".into(),
        "GATEWAYS".into(),
    ]];
    for site in &sites {
        rows.push([
            site.id.clone(),
            site.name.clone().unwrap_or_else(|| "-".into()),
            site.country.clone().unwrap_or_else(|| "-".into()),
            site.roles.join(","),
            site.gateways
                .iter()
                .map(|g| g.gateway_id.as_str())
                .collect::<Vec<_>>()
                .join(","),
        ]);
    }
    print_table(&rows);
    Ok(())
}

async fn login(settings: &Settings, user: Option<String>) -> Result<(), BoxError> {
    if settings.is_somfy_sites() {
        let user = user
            .or_else(|| settings.get("user").map(str::to_owned))
            .ok_or("no user: pass --user or set OVERKIZ_USER")?;
        let password = prompt_password(&format!("password for {user} (Somfy account): "))?;
        let account = SomfyAccount::new(settings.somfy_sites()?, user.clone(), password)?;
        account.login().await?;
        // The global token proves the password; the directory proves the token.
        let count = account.sites().await?.len();
        println!("signed in to the Somfy account {user}: {count} home(s), see `overkiz sites`");
        return Ok(());
    }
    let server = settings.server()?;
    let user = match user.or_else(|| settings.get("user").map(str::to_owned)) {
        Some(user) => user,
        None => {
            if settings.get("token").is_some() {
                let client = settings.client(server, settings.credentials()?)?;
                // Not `GET /apiVersion`: a gateway answers it without a token.
                client.get_setup_gateways().await?;
                println!("the token works with {}", client.server().name());
                return Ok(());
            }
            return Err("no user: pass --user or set OVERKIZ_USER".into());
        }
    };
    let password = prompt_password(&format!("password for {user} at {}: ", server.name()))?;
    let client = settings.client(server, Credentials::password(user.clone(), password))?;
    client.login().await?;
    // A session proves the password; a call proves the session.
    client.get_setup_gateways().await?;
    println!("signed in to {} as {user}", client.server().name());
    Ok(())
}

/// Reads a password: from the terminal without echo (`rpassword`, Unix and Windows),
/// or a line of stdin when it is not a terminal.
fn prompt_password(prompt: &str) -> Result<String, BoxError> {
    let stdin = std::io::stdin();
    let password = if stdin.is_terminal() {
        rpassword::prompt_password(prompt)?
    } else {
        let mut line = String::new();
        if stdin.lock().read_line(&mut line)? == 0 {
            return Err("no password given on stdin".into());
        }
        line.trim_end_matches(['\r', '\n']).to_owned()
    };
    if password.is_empty() {
        return Err("empty password".into());
    }
    Ok(password)
}

async fn setup(client: &Client, anonymize: bool, json: bool) -> Result<(), BoxError> {
    let mut setup = client.get_setup().await?;
    if anonymize {
        setup = overkiz::diagnostics::anonymize_setup(&setup)?;
    }
    if json {
        println!(
            "{}",
            escape(&serde_json::to_string_pretty(&setup)?, Form::Json)
        );
        return Ok(());
    }
    for gateway in setup.gateways.iter().flatten() {
        let status = gateway
            .connectivity
            .as_ref()
            .and_then(|c| c.status.as_deref())
            .unwrap_or("?");
        println!(
            "gateway {}  type {}  status {}  firmware {}",
            field(gateway.gateway_id.as_deref().unwrap_or("?")),
            field(&gateway.r#type.map_or("?".into(), |t| t.to_string())),
            field(status),
            field(gateway.firmware_version.as_deref().unwrap_or("?")),
        );
    }
    let count = setup.devices.as_ref().map_or(0, Vec::len);
    println!("{count} devices (`overkiz devices` lists them)");
    Ok(())
}

/// States shown in the device table when a device has them.
const MAIN_STATES: &[&str] = &[
    "core:ClosureState",
    "core:OpenClosedState",
    "core:OnOffState",
    "core:SlateOrientationState",
    "core:TemperatureState",
    "core:TargetTemperatureState",
    "core:LightIntensityState",
    "core:ContactState",
    "core:OccupancyState",
    "core:LuminanceState",
];

fn display_value(value: Option<&Value>) -> String {
    match value {
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
        None => "-".into(),
    }
}

async fn devices(client: &Client) -> Result<(), BoxError> {
    let setup = client.get_setup().await?;
    let mut rows = vec![[
        "LABEL".to_owned(),
        "UI CLASS".into(),
        "WIDGET".into(),
        "STATES".into(),
        "URL".into(),
    ]];
    for device in setup.devices() {
        let states: Vec<String> = MAIN_STATES
            .iter()
            .filter_map(|name| {
                let state = device.state(name)?;
                let short = name.split_once(':').map_or(*name, |(_, n)| n);
                Some(format!("{short}={}", display_value(state.value.as_ref())))
            })
            .take(3)
            .collect();
        rows.push([
            device.label.clone().unwrap_or_default(),
            device.ui_class_str().unwrap_or("-").to_owned(),
            device.widget_str().unwrap_or("-").to_owned(),
            if states.is_empty() {
                "-".into()
            } else {
                states.join(" ")
            },
            device.device_url.clone().unwrap_or_default(),
        ]);
    }
    print_table(&rows);
    Ok(())
}

/// Prints `rows` as aligned columns, every cell escaped.
fn print_table<const N: usize>(rows: &[[String; N]]) {
    let rows: Vec<[String; N]> = rows
        .iter()
        .map(|row| row.clone().map(|cell| field(&cell).into_owned()))
        .collect();
    let mut widths = [0; N];
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = std::io::stdout().lock();
    for row in &rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(cell);
                line.extend(std::iter::repeat_n(
                    ' ',
                    widths[i] - cell.chars().count() + 2,
                ));
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
    }
}

async fn device(client: &Client, url: &str) -> Result<(), BoxError> {
    let device = client.get_setup_devices_by_device_url(url).await?;
    println!(
        "label:      {}",
        field(device.label.as_deref().unwrap_or("-"))
    );
    println!(
        "url:        {}",
        field(device.device_url.as_deref().unwrap_or(url))
    );
    println!(
        "ui class:   {}",
        field(device.ui_class_str().unwrap_or("-"))
    );
    println!("widget:     {}", field(device.widget_str().unwrap_or("-")));
    println!(
        "controllable: {}",
        field(device.controllable_name.as_deref().unwrap_or("-"))
    );
    println!("states:");
    for state in device.states.iter().flatten() {
        println!(
            "  {} = {}",
            field(state.name.as_deref().unwrap_or("?")),
            field(&display_value(state.value.as_ref()))
        );
    }
    println!("commands:");
    for command in device.command_definitions() {
        println!(
            "  {} ({} parameters)",
            field(command.command_name.as_deref().unwrap_or("?")),
            command.nparams.unwrap_or(0)
        );
    }
    Ok(())
}

/// A command parameter: JSON when it reads as such, else a string.
fn parse_param(word: &str) -> Value {
    serde_json::from_str(word).unwrap_or_else(|_| Value::String(word.to_owned()))
}

/// The event stream; `OVERKIZ_FETCH_INTERVAL_MS` overrides the documented 1 s between
/// fetches (for the simulator).
fn event_stream(client: &Client) -> EventStream {
    let mut config = EventStreamConfig::default();
    if let Some(ms) = std::env::var("OVERKIZ_FETCH_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        config = config
            .with_fetch_interval(Duration::from_millis(ms))
            .with_initial_backoff(Duration::from_millis(ms.max(10)));
    }
    client.events_with(config)
}

async fn exec(
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

/// Prints one line per state change of `exec_id`, then its outcome.
async fn follow(
    events: &mut EventStream,
    exec_id: &str,
    timeout: Duration,
) -> Result<ExitCode, BoxError> {
    let shown_id = field(exec_id);
    eprintln!("execution {shown_id}: launched");
    let outcome = tokio::time::timeout(timeout, async {
        while let Some(item) = events.next().await {
            match item {
                Ok(event) => {
                    if let Event::ExecutionStateChanged(change) = &event {
                        if change.exec_id.as_deref() == Some(exec_id) {
                            eprintln!(
                                "execution {shown_id}: {}",
                                field(change.new_state.as_deref().unwrap_or("?"))
                            );
                        }
                    }
                    if let Some(outcome) = ExecutionOutcome::from_event(&event, exec_id) {
                        return Ok(outcome);
                    }
                }
                Err(gap) if gap.kind() == ErrorKind::EventsLost => {
                    // The final event may be among the lost ones: look it up.
                    if let Ok(Some(outcome)) = events.client().look_up_execution(exec_id).await {
                        return Ok(outcome);
                    }
                    eprintln!("events were lost; still waiting");
                }
                Err(error) if error.is_retryable() => {
                    eprintln!("{}", escape(&error.to_string(), Form::Lines));
                }
                Err(error) => return Err(BoxError::from(error)),
            }
        }
        Err("the event stream ended".into())
    })
    .await;
    let outcome = match outcome {
        Ok(outcome) => outcome?,
        // Out of time: an execution that ended unseen is not reported as running.
        Err(_) => match events.client().look_up_execution(exec_id).await {
            Ok(Some(outcome)) => outcome,
            _ => {
                return Err(format!(
                    "execution {shown_id}: no outcome within {} s",
                    timeout.as_secs()
                )
                .into())
            }
        },
    };
    let _ = events.unregister().await;
    println!("{shown_id} {}", field(&outcome.state.to_string()));
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

async fn events(client: &Client, json: bool, count: Option<usize>) -> Result<(), BoxError> {
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
                    "events were lost (re-read the setup): {}",
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

async fn action_groups(client: &Client) -> Result<(), BoxError> {
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

async fn run_group(
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
        .ok_or("the answer carries no execId")?;
    match &mut events {
        Some(events) => follow(events, &exec_id, timeout).await,
        None => {
            println!("{}", field(&exec_id));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The gateway a local-token command is about.
async fn gateway(client: &Client, gateway: Option<String>) -> Result<String, BoxError> {
    if let Some(gateway) = gateway {
        return Ok(gateway);
    }
    let gateways = client.get_setup_gateways().await?;
    let ids: Vec<String> = gateways.into_iter().filter_map(|g| g.gateway_id).collect();
    match ids.as_slice() {
        [one] => Ok(one.clone()),
        [] => Err("the setup has no gateway".into()),
        many => Err(format!("several gateways ({}): pass --gateway", many.join(", ")).into()),
    }
}

async fn local_token(client: &Client, command: LocalTokenCmd) -> Result<(), BoxError> {
    match command {
        LocalTokenCmd::Create { label, gateway: g } => {
            let pin = gateway(client, g).await?;
            let created = client.create_local_token(&pin, &label).await?;
            eprintln!("created a local API token labelled {label:?} for {pin}; it is shown once:");
            println!("{}", field(created.token.expose()));
        }
        LocalTokenCmd::List { gateway: g } => {
            let pin = gateway(client, g).await?;
            let mut rows = vec![["UUID".to_owned(), "LABEL".into(), "SCOPE".into()]];
            for token in client.local_tokens(&pin).await? {
                rows.push([
                    token.uuid.unwrap_or_default(),
                    token.label.unwrap_or_default(),
                    token.scope.unwrap_or_default(),
                ]);
            }
            print_table(&rows);
        }
        LocalTokenCmd::Delete { uuid, gateway: g } => {
            let pin = gateway(client, g).await?;
            client.delete_local_token(&pin, &uuid).await?;
            println!("deleted {uuid}");
        }
    }
    Ok(())
}

#[cfg(feature = "discovery")]
async fn discover(timeout: Duration) -> Result<ExitCode, BoxError> {
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
async fn discover(_: Duration) -> Result<ExitCode, BoxError> {
    eprintln!(
        "overkiz: this build has no gateway discovery; build it with the `discovery` feature \
         (cargo install --path cli --features discovery)"
    );
    Ok(ExitCode::from(2))
}

fn list_operations() {
    for op in overkiz::operations::ALL {
        println!("{:<60} {} {}", op.name, op.method, op.path);
    }
}

/// The `{placeholders}` of a path template, in order.
fn placeholders(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

async fn call(
    client: &Client,
    name: &str,
    params: &[String],
    body: Option<&Path>,
) -> Result<(), BoxError> {
    let op = overkiz::operations::ALL
        .iter()
        .copied()
        .find(|op| op.name == name)
        .ok_or_else(|| format!("no operation named {name:?} (see `overkiz call --list`)"))?;
    let mut pairs = Vec::new();
    for param in params {
        let (key, value) = param
            .split_once('=')
            .ok_or_else(|| format!("--param {param:?}: expected NAME=VALUE"))?;
        pairs.push((key.to_owned(), value.to_owned()));
    }
    let mut path_args = Vec::new();
    for placeholder in placeholders(op.path) {
        let index = pairs
            .iter()
            .position(|(key, _)| key == placeholder)
            .ok_or_else(|| format!("{name} ({op}) needs --param {placeholder}=..."))?;
        path_args.push(pairs.remove(index).1);
    }
    let mut request = overkiz::__private::Request::new(op);
    request.path_args = path_args;
    for (key, value) in pairs {
        // Query names are `&'static str`: one small leak per parameter of a one-shot process.
        let key: &'static str = Box::leak(key.into_boxed_str());
        request.query.push((key, value));
    }
    if let Some(path) = body {
        let bytes = if path == Path::new("-") {
            let mut bytes = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)?;
            bytes
        } else {
            std::fs::read(path).map_err(|e| format!("--body {}: {e}", path.display()))?
        };
        serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| format!("--body {}: not JSON: {e}", path.display()))?;
        request.body = Some(overkiz::__private::Body::Json(bytes));
    }
    let answer = client.execute(request).await?;
    if answer.body.is_empty() {
        eprintln!("{} (no body)", answer.status);
        return Ok(());
    }
    match serde_json::from_slice::<Value>(&answer.body) {
        Ok(json) => println!(
            "{}",
            escape(&serde_json::to_string_pretty(&json)?, Form::Json)
        ),
        Err(_) => println!(
            "{}",
            escape(&String::from_utf8_lossy(&answer.body), Form::Lines)
        ),
    }
    Ok(())
}
