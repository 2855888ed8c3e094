//! `overkiz-sim --setup FILE [--port PORT]`: serves a simulated Overkiz cloud API;
//! with `--local PIN [--ca-out FILE]`, a gateway's local API over TLS instead.

use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use overkiz_sim::{Config, Simulator};

const USAGE: &str = "usage: overkiz-sim --setup FILE [--port PORT] [--host IP] [--step-ms MS]
                   [--action-groups FILE]... [--session-ttl-s S] [--listener-ttl-s S]
                   [--user USER --password PW] [--latency-ms MS] [--rate-limited]
                   [--maintenance] [--drop-connections] [--fault NAME]...
                   [--documented-rate-limits] [--event-form previous|newest]
                   [--local PIN [--ca-out FILE]] [--token TOKEN]... [--control-token TOKEN]
       overkiz-sim --site ID:NAME:FILE --site ID:NAME:FILE... --user USER --password PW [--port PORT]
       overkiz-sim --list-operations

--action-groups FILE  a JSON array of action groups as GET /actionGroups answers it
                 (e.g. tests/fixtures/action_groups/*.json), stored at start
--local PIN      serve the local API of gateway PIN (1234-5678-9012) over TLS (default port
                 8443, else 8080): a certificate named PIN.local signed by a CA generated
                 at start, bearer tokens only, the local operations only
--ca-out FILE    write that CA (PEM) to FILE, for clients to trust; printed otherwise
--fault NAME     answer every call with fault NAME: rate-limit, maintenance,
                 drop-connection, session-expired, or a captured error answer
                 (cloud/exec-queue-full, local/400-bus-error, ...: GET /_sim/faults)
--token TOKEN    accept TOKEN as `Authorization: Bearer` (or POST /_sim/tokens/TOKEN)
--control-token TOKEN  let callers from other machines use the control API (/_sim) with
                 `Authorization: Bearer TOKEN`; without it only loopback callers may
--documented-rate-limits  enforce the documentation's per-session limits (one event
                 fetch per second, one execution per 28 min 48 s, one GET /setup per day, ...)
--site ID:NAME:FILE  a Somfy account with several homes: Somfy's sign-in services and
                 site directory on PORT, each home (site ID, named NAME, setup FILE) on a
                 simulator of its own on the next ports (its region; the others answer
                 its token 403 No such user account); for `OVERKIZ_SERVER=somfy_sites`
--event-form FORM  write events in the previous documentation's form (the default:
                 what live servers are known to send today, tagged `name`, dated
                 `timestamp`) or in the newest one's (tagged `type`, dated `eventTime`,
                 with a `siteOID`); spec/README.md lists every rename
--list-operations  print every documented operation and whether it answers from the
                 simulator's state or with its documented example (the operations the
                 previous documentation had and the newest removed too, marked so)

Faults and inspection at run time: the control API under /_sim (see the docs of
overkiz_sim::control), e.g. curl -X POST 'http://127.0.0.1:8080/_sim/faults/rate-limit?next=3'";

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("overkiz-sim: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("overkiz-sim: {message}\n{USAGE}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let mut setup = None;
    let mut action_groups = Vec::new();
    let mut host: IpAddr = [127, 0, 0, 1].into();
    let mut port = None;
    let (mut pin, mut ca_out, mut tokens) = (None, None, Vec::new());
    let mut config = Config::default();
    let mut faults = Vec::new();
    let (mut user, mut password) = (None, None);
    let mut sites = Vec::new();
    let (mut latency, mut rate_limited, mut maintenance, mut dropping) =
        (0u64, false, false, false);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{arg} needs a value"));
        let number = |text: String| text.parse::<u64>().map_err(|e| format!("{text}: {e}"));
        match arg.as_str() {
            "--setup" => setup = Some(value()?),
            "--site" => sites.push(value()?),
            "--action-groups" => action_groups.push(value()?),
            "--port" => port = Some(value()?.parse().map_err(|e| format!("--port: {e}"))?),
            "--local" => pin = Some(value()?),
            "--ca-out" => ca_out = Some(value()?),
            "--token" => tokens.push(value()?),
            "--control-token" => config.control_token = Some(value()?),
            "--host" => host = value()?.parse().map_err(|e| format!("--host: {e}"))?,
            "--step-ms" => config.step = Duration::from_millis(number(value()?)?),
            "--session-ttl-s" => config.session_ttl = Duration::from_secs(number(value()?)?),
            "--listener-ttl-s" => config.listener_ttl = Duration::from_secs(number(value()?)?),
            "--user" => user = Some(value()?),
            "--password" => password = Some(value()?),
            "--latency-ms" => latency = number(value()?)?,
            "--rate-limited" => rate_limited = true,
            "--maintenance" => maintenance = true,
            "--drop-connections" => dropping = true,
            "--fault" => {
                let name = value()?;
                let fault = overkiz_sim::Fault::named(&name).ok_or_else(|| {
                    format!("--fault {name}: unknown (GET /_sim/faults lists the names)")
                })?;
                faults.push(fault);
            }
            "--event-form" => {
                let name = value()?;
                config.event_form = overkiz_sim::EventForm::named(&name)
                    .ok_or_else(|| format!("--event-form {name}: expected previous or newest"))?;
            }
            "--documented-rate-limits" => {
                config.rate_limits = overkiz_sim::RateLimits::Documented;
            }
            "--list-operations" => {
                // Which operations answer from the state, which from the documentation.
                for op in overkiz_sim::spec::operations() {
                    let key = format!("{} {}", op.method, op.path);
                    let source = if overkiz_sim::STATEFUL_OPERATIONS.contains(&key.as_str()) {
                        "state"
                    } else {
                        "documentation"
                    };
                    if op.removed {
                        println!("{source}\t{key}\tremoved by the newest documentation");
                    } else {
                        println!("{source}\t{key}");
                    }
                }
                return Ok(());
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if !sites.is_empty() {
        let (Some(user), Some(password)) = (user, password) else {
            return Err("--site needs --user and --password (the Somfy account)".into());
        };
        return serve_sites(host, port.unwrap_or(8080), &sites, &user, &password, config).await;
    }
    if let (Some(user), Some(password)) = (user, password) {
        config.credentials = Some((user, password));
    }
    let path = setup.ok_or("--setup FILE is required")?;
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let setup = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
    let mut groups = Vec::new();
    for path in action_groups {
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
        match serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))? {
            serde_json::Value::Array(items) if items.iter().all(|g| g.is_object()) => {
                groups.extend(items)
            }
            _ => return Err(format!("{path}: expected a JSON array of action groups")),
        }
    }
    if ca_out.is_some() && pin.is_none() {
        return Err("--ca-out needs --local PIN".into());
    }
    let port = port.unwrap_or(if pin.is_some() { 8443 } else { 8080 });
    let addr = SocketAddr::new(host, port);
    let sim = match &pin {
        Some(pin) => Simulator::bind_local(addr, setup, pin, config).await,
        None => Simulator::bind(addr, setup, config).await,
    }
    .map_err(|e| format!("cannot serve on {host}:{port}: {e}"))?;
    for token in tokens {
        sim.add_token(token);
    }
    for group in groups {
        sim.add_action_group(group);
    }
    sim.set_latency(Duration::from_millis(latency));
    sim.set_rate_limited(rate_limited);
    sim.set_maintenance(maintenance);
    sim.set_fault(overkiz_sim::Fault::DropConnection, dropping);
    for fault in faults {
        sim.set_fault(fault, true);
    }
    // What a reader that went away misses is lost: never a panic (as println! does).
    let say = |text: &str| {
        use std::io::Write;
        let _ = writeln!(std::io::stdout(), "{text}");
    };
    // The CA file is there once the URL is printed.
    if let (Some(path), Some(ca)) = (&ca_out, sim.gateway_ca_pem()) {
        std::fs::write(path, ca).map_err(|e| format!("--ca-out {path}: {e}"))?;
    }
    say(sim.url());
    if let (Some(pin), Some(ca)) = (&pin, sim.gateway_ca_pem()) {
        let addr = sim.addr();
        let ca_path = match &ca_out {
            Some(path) => path.clone(),
            None => {
                say(&format!(
                    "the gateway CA (save it as ca.pem, or use --ca-out FILE):\n{ca}"
                ));
                "ca.pem".to_owned()
            }
        };
        say(&format!(
            "gateway {pin}: TLS certificate named {pin}.local, signed by the CA of {ca_path}\n\
             overkiz CLI: OVERKIZ_SERVER=local:{pin} OVERKIZ_GATEWAY_HOST={addr} OVERKIZ_GATEWAY_CA={ca_path} OVERKIZ_TOKEN=<token>\n\
             curl: curl --cacert {ca_path} --resolve {pin}.local:{port}:{ip} -H 'Authorization: Bearer <token>' https://{pin}.local:{port}/enduser-mobile-web/1/enduserAPI/setup/devices\n\
             tokens: --token TOKEN, or curl --cacert {ca_path} --resolve {pin}.local:{port}:{ip} -X POST https://{pin}.local:{port}/_sim/tokens/TOKEN",
            port = addr.port(),
            ip = addr.ip(),
        ));
    }
    std::future::pending::<()>().await;
    Ok(())
}

/// `--site`: the account's services on `port`, each home on the next ports.
async fn serve_sites(
    host: IpAddr,
    port: u16,
    sites: &[String],
    user: &str,
    password: &str,
    config: Config,
) -> Result<(), String> {
    let mut sims = Vec::new();
    let mut homes = Vec::new();
    for (i, site) in sites.iter().enumerate() {
        let mut parts = site.splitn(3, ':');
        let (Some(id), Some(name), Some(path)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(format!("--site {site}: expected ID:NAME:FILE"));
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        let setup = serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?;
        let offset = u16::try_from(i + 1).map_err(|_| "too many --site".to_owned())?;
        let site_port = port
            .checked_add(offset)
            .ok_or_else(|| format!("--port {port}: no room for the homes' ports"))?;
        let sim = Simulator::bind(SocketAddr::new(host, site_port), setup, config.clone())
            .await
            .map_err(|e| format!("cannot serve {id} on {host}:{site_port}: {e}"))?;
        homes.push((id.to_owned(), name.to_owned()));
        sims.push(sim);
    }
    let listed = homes
        .iter()
        .zip(&sims)
        .map(|((id, name), sim)| overkiz_sim::sites::Site::new(id, name, "FR", sim))
        .collect();
    let account =
        overkiz_sim::sites::SomfyAccount::bind(SocketAddr::new(host, port), user, password, listed)
            .await
            .map_err(|e| format!("cannot serve on {host}:{port}: {e}"))?;
    let regions: Vec<&str> = sims.iter().map(Simulator::url).collect();
    let _ = {
        use std::io::Write;
        writeln!(
            std::io::stdout(),
            "Somfy account {user}: sign-in services and directory at {url}\n\
             overkiz CLI: OVERKIZ_SERVER=somfy_sites OVERKIZ_SITES_URL={url} OVERKIZ_REGIONS={regions} \
             OVERKIZ_USER={user} OVERKIZ_PASSWORD=<password> [OVERKIZ_SITE=<id or name>]",
            url = account.url(),
            regions = regions.join(","),
        )
    };
    std::future::pending::<()>().await;
    Ok(())
}
