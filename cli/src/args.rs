//! The command line: clap's tree of subcommands and options, and the help text on
//! settings.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub(crate) const AFTER_HELP: &str = "\
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
  OVERKIZ_FETCH_INTERVAL_MS  time between two event fetches (`events`, `watch`, `--wait`); default
                     1000, the documented limit: lower it only against a simulator
The config file (--config, $OVERKIZ_CONFIG, or $XDG_CONFIG_HOME/overkiz/config,
~/.config/overkiz/config) has lines `key = \"value\"` with the keys server, user,
password, token, gateway_host, gateway_ca, site, sites_url, regions. It must not be readable by group or others (chmod 600).";

/// The Overkiz End-User API (Somfy TaHoma, Cozytouch, Hi Kumo, ...) from the command line.
#[derive(Parser)]
#[command(name = "overkiz", version, after_help = AFTER_HELP)]
pub(crate) struct Cli {
    /// The config file (default: $OVERKIZ_CONFIG, then ~/.config/overkiz/config if present).
    #[arg(long, global = true, value_name = "FILE")]
    pub(crate) config: Option<PathBuf>,
    #[command(subcommand)]
    pub(crate) command: Cmd,
}

#[derive(Subcommand)]
pub(crate) enum Cmd {
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
    /// Watch the devices live: a table (label, class, main states, freshness) updated
    /// as events arrive, with each gateway's execution budget at the bottom; one line
    /// per device, then one per update, when stdout is not a terminal.
    Watch {
        /// Stop after this many changes.
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
pub(crate) enum LocalTokenCmd {
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
