//! Settings: environment variables first, then the config file.
//!
//! The config file (`--config`, `$OVERKIZ_CONFIG`, or `$XDG_CONFIG_HOME/overkiz/config`,
//! `~/.config/overkiz/config`) holds `key = "value"` lines (`server`, `user`,
//! `password`, `token`, `gateway_host`, `gateway_ca`, `site`, `sites_url`, `regions`); `#`
//! starts a comment. It may hold secrets,
//! so on Unix it is refused when its group or others can read it.

use std::collections::HashMap;
use std::env;
use std::path::{Path, PathBuf};

use overkiz::signin::{Site, SomfyOAuth, SomfySites};
use overkiz::{Client, Credentials, Server, SomfyAccount};

use crate::BoxError;

/// Settings read from the environment and the config file.
#[derive(Default)]
pub struct Settings {
    values: HashMap<String, String>,
}

const KEYS: &[&str] = &[
    "server",
    "user",
    "password",
    "token",
    "gateway_host",
    "gateway_ca",
    "site",
    "sites_url",
    "regions",
];

/// The `OVERKIZ_SERVER` of a Somfy account with several homes.
pub const SOMFY_SITES: &str = "somfy_sites";

impl Settings {
    /// Reads the config file (when there is one) under the environment variables.
    pub fn load(explicit: Option<&Path>) -> Result<Settings, BoxError> {
        let mut values = HashMap::new();
        let (path, required) = match explicit {
            Some(path) => (Some(path.to_owned()), true),
            None => match env::var_os("OVERKIZ_CONFIG") {
                Some(path) => (Some(PathBuf::from(path)), true),
                None => (default_path(), false),
            },
        };
        if let Some(path) = path {
            if required || path.exists() {
                values = read_file(&path)?;
            }
        }
        for key in KEYS {
            let name = format!("OVERKIZ_{}", key.to_ascii_uppercase());
            if let Ok(value) = env::var(&name) {
                if !value.is_empty() {
                    values.insert((*key).to_owned(), value);
                }
            }
        }
        Ok(Settings { values })
    }

    /// A setting.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Whether the server is [`SOMFY_SITES`]: a client per home of the account.
    pub fn is_somfy_sites(&self) -> bool {
        self.get("server")
            .is_some_and(|name| name.replace('-', "_").eq_ignore_ascii_case(SOMFY_SITES))
    }

    /// The server: a preset name, `local:<pin>`, or a base URL (default `somfy_europe`).
    pub fn server(&self) -> Result<Server, BoxError> {
        let name = self.get("server").unwrap_or("somfy_europe");
        if self.is_somfy_sites() {
            return Err(
                "somfy_sites has a server per home: set OVERKIZ_SITE (see `overkiz sites`)".into(),
            );
        }
        if let Some(pin) = name.strip_prefix("local:") {
            return Ok(match self.get("gateway_host") {
                Some(host) => Server::local_at(pin, host)?,
                None => Server::local(pin)?,
            });
        }
        if name.starts_with("http://") || name.starts_with("https://") {
            return Ok(Server::custom(name)?);
        }
        preset(name)
    }

    /// A client of `server` with `credentials`, also trusting the CA certificates of
    /// the PEM file `gateway_ca` (`OVERKIZ_GATEWAY_CA`) for a local gateway, e.g. the
    /// simulator's (`overkiz-sim --local PIN --ca-out FILE`).
    pub fn client(&self, server: Server, credentials: Credentials) -> Result<Client, BoxError> {
        let mut builder = Client::builder(server, credentials);
        if let Some(path) = self.get("gateway_ca") {
            let pem = std::fs::read(path).map_err(|e| format!("gateway CA {path}: {e}"))?;
            builder = builder.add_gateway_root_certificate(pem);
        }
        Ok(builder.build()?)
    }

    /// The Somfy services and regions of [`SOMFY_SITES`]: Somfy's, or with `sites_url`
    /// another host serving the same paths (the simulator's
    /// `overkiz_sim::sites::SomfyAccount`), and with `regions` other region base URLs
    /// (comma-separated presets or URLs).
    pub fn somfy_sites(&self) -> Result<SomfySites, BoxError> {
        let mut sites = SomfySites::default();
        if let Some(base) = self.get("sites_url") {
            let base = base.trim_end_matches('/');
            sites.accounts = SomfyOAuth {
                token_url: format!("{base}/oauth/oauth/v2/token/jwt"),
                ..SomfyOAuth::default()
            };
            sites.keycloak_token_url =
                format!("{base}/realms/somfy-tahoma/protocol/openid-connect/token");
            sites.site_api = format!("{base}/site-api/public/v1");
        }
        if let Some(regions) = self.get("regions") {
            sites.regions = regions
                .split(',')
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(|r| {
                    if r.starts_with("http://") || r.starts_with("https://") {
                        Ok(Server::custom(r)?)
                    } else {
                        preset(r)
                    }
                })
                .collect::<Result<_, BoxError>>()?;
        }
        Ok(sites)
    }

    /// The account of [`SOMFY_SITES`].
    pub fn somfy_account(&self) -> Result<SomfyAccount, BoxError> {
        let user = self.get("user").ok_or("no user: set OVERKIZ_USER")?;
        let password = self
            .get("password")
            .ok_or("no password: set OVERKIZ_PASSWORD")?;
        Ok(SomfyAccount::new(self.somfy_sites()?, user, password)?)
    }

    /// The client of the home `site` names (its id or name) among `sites`; without
    /// `site`, the only home. Several homes and no `site`: an error listing them.
    pub fn choose_site<'a>(&self, sites: &'a [Site]) -> Result<&'a Site, BoxError> {
        let list = || {
            sites
                .iter()
                .map(|s| format!("{} ({})", s.id, s.name.as_deref().unwrap_or("-")))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match (self.get("site"), sites) {
            (None, [only]) => Ok(only),
            (None, []) => Err("the account has no home".into()),
            (None, _) => Err(format!(
                "the account has {} homes: set OVERKIZ_SITE to one of {}",
                sites.len(),
                list()
            )
            .into()),
            (Some(wanted), _) => {
                let by_id = sites.iter().find(|s| s.id == wanted);
                let mut by_name = sites.iter().filter(|s| s.name.as_deref() == Some(wanted));
                match (by_id, by_name.next(), by_name.next()) {
                    (Some(site), _, _) | (None, Some(site), None) => Ok(site),
                    (None, Some(_), Some(_)) => Err(format!(
                        "several homes are named {wanted:?}: set OVERKIZ_SITE to an id: {}",
                        list()
                    )
                    .into()),
                    (None, None, _) => {
                        Err(format!("no home {wanted:?} in the account: {}", list()).into())
                    }
                }
            }
        }
    }

    /// The credentials: a bearer token, or a user and password.
    pub fn credentials(&self) -> Result<Credentials, BoxError> {
        if let Some(token) = self.get("token") {
            return Ok(Credentials::bearer(token));
        }
        match (self.get("user"), self.get("password")) {
            (Some(user), Some(password)) => Ok(Credentials::password(user, password)),
            _ => Err(
                "no credentials: set OVERKIZ_TOKEN, or OVERKIZ_USER and OVERKIZ_PASSWORD \
                 (or the same keys in the config file, see `overkiz --help`)"
                    .into(),
            ),
        }
    }
}

/// A preset's constructor.
type Preset = fn() -> Server;

/// The cloud presets by the names `OVERKIZ_SERVER` takes.
pub const PRESETS: &[(&str, Preset)] = &[
    ("somfy_europe", Server::somfy_europe),
    ("somfy_america", Server::somfy_america),
    ("somfy_oceania", Server::somfy_oceania),
    ("simu_livein2", Server::simu_livein2),
    ("cozytouch", Server::cozytouch),
    ("hi_kumo_europe", Server::hi_kumo_europe),
    ("hi_kumo_asia", Server::hi_kumo_asia),
    ("nexity", Server::nexity),
    ("flexom", Server::flexom),
    ("brandt", Server::brandt),
    ("hexaom", Server::hexaom),
    ("ubiwizz", Server::ubiwizz),
    ("rexel", Server::rexel),
];

/// The preset of this name (`somfy-europe` or `somfy_europe`).
fn preset(name: &str) -> Result<Server, BoxError> {
    let key = name.replace('-', "_").to_ascii_lowercase();
    PRESETS
        .iter()
        .find(|(preset, _)| *preset == key)
        .map(|(_, make)| make())
        .ok_or_else(|| format!("unknown server {name:?}: see `overkiz servers`").into())
}

fn default_path() -> Option<PathBuf> {
    let base = match env::var_os("XDG_CONFIG_HOME").filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env::var_os("HOME")?).join(".config"),
    };
    Some(base.join("overkiz").join("config"))
}

fn read_file(path: &Path) -> Result<HashMap<String, String>, BoxError> {
    let shown = path.display();
    let metadata =
        std::fs::metadata(path).map_err(|e| format!("cannot read config file {shown}: {e}"))?;
    check_private(path, &metadata)?;
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read config file {shown}: {e}"))?;
    parse(&text).map_err(|e| format!("config file {shown}: {e}").into())
}

#[cfg(unix)]
fn check_private(path: &Path, metadata: &std::fs::Metadata) -> Result<(), BoxError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        let shown = path.display();
        return Err(format!(
            "config file {shown} is accessible by group or others (mode {mode:03o}); \
             it may hold secrets: run `chmod 600 {shown}`"
        )
        .into());
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_: &Path, _: &std::fs::Metadata) -> Result<(), BoxError> {
    Ok(())
}

/// Parses `key = "value"` lines (values may also be bare).
pub fn parse(text: &str) -> Result<HashMap<String, String>, String> {
    let mut values = HashMap::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(format!("line {}: expected key = \"value\"", number + 1));
        };
        let key = key.trim();
        if !KEYS.contains(&key) {
            return Err(format!(
                "line {}: unknown key {key:?} (expected one of {})",
                number + 1,
                KEYS.join(", ")
            ));
        }
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(value);
        values.insert(key.to_owned(), value.to_owned());
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_quoted_and_bare_values() {
        let values =
            parse("# comment\nserver = \"local:1234-5678-9012\"\nuser=me@example.com\n").unwrap();
        assert_eq!(values["server"], "local:1234-5678-9012");
        assert_eq!(values["user"], "me@example.com");
        assert!(parse("nope").is_err());
        assert!(parse("colour = \"blue\"")
            .unwrap_err()
            .contains("unknown key"));
    }
}
