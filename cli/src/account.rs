//! Servers and accounts: the server presets (`servers`), the homes of a Somfy
//! account (`sites`), and checking credentials (`login`).

use std::io::{BufRead, IsTerminal};

use overkiz::{Credentials, SomfyAccount};
use serde_json::Value;

use crate::config::{self, Settings};
use crate::table::print_table;
use crate::BoxError;

pub(crate) fn servers() {
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

pub(crate) async fn sites(settings: &Settings, json: bool) -> Result<(), BoxError> {
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

pub(crate) async fn login(settings: &Settings, user: Option<String>) -> Result<(), BoxError> {
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
