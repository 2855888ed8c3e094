//! Which Overkiz server a [`crate::Client`] talks to: the cloud servers of each
//! vendor, a local gateway's Developer Mode API, or any URL (tests, proxies).

use std::fmt;

use crate::config::signin::{SomfyOAuth, VendorSignIn};
use crate::config::tls;
use crate::error::Error;

/// Path of the End-User API on the cloud servers.
const CLOUD_API_PATH: &str = "/enduser-mobile-web/enduserAPI";
/// Path of the End-User API on a gateway (Developer Mode).
const LOCAL_API_PATH: &str = "/enduser-mobile-web/1/enduserAPI";
/// Port of the gateway's local API.
const LOCAL_API_PORT: u16 = 8443;

/// How the server's TLS certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ServerKind {
    /// A cloud server: public web PKI roots, host name checked as usual.
    Cloud,
    /// A gateway: Overkiz root CA, certificate named `<pin>.local`.
    Local {
        /// The gateway PIN (`1234-5678-9012`).
        pin: String,
    },
    /// A URL given by the user: public web PKI roots (or none for `http://`).
    Custom,
}

/// An Overkiz server: a base URL plus how to trust it.
///
/// Cloud presets are associated functions ([`Server::somfy_europe`], ...);
/// [`Server::local`] addresses a gateway on the local network, and
/// [`Server::custom`] any base URL.
///
/// ```
/// let cloud = overkiz::Server::somfy_europe();
/// assert_eq!(cloud.base_url(), "https://ha101-1.overkiz.com/enduser-mobile-web/enduserAPI");
/// let local = overkiz::Server::local("1234-5678-9012").unwrap();
/// assert_eq!(local.base_url(), "https://gateway-1234-5678-9012.local:8443/enduser-mobile-web/1/enduserAPI");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Server {
    name: String,
    base_url: String,
    pub(crate) kind: ServerKind,
    vendor: Option<VendorSignIn>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("name", &self.name)
            .field("base_url", &self.base_url)
            .finish()
    }
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name, self.base_url)
    }
}

impl Server {
    fn preset(name: &str, host: &str) -> Server {
        Server {
            name: name.to_owned(),
            base_url: format!("https://{host}{CLOUD_API_PATH}"),
            kind: ServerKind::Cloud,
            vendor: None,
        }
    }

    /// Somfy TaHoma / Connexoon, Europe, Middle East and Africa (`ha101-1.overkiz.com`).
    ///
    /// Somfy accounts sign in with OAuth at the Somfy accounts service; every call then
    /// carries a bearer token ([`crate::signin::SomfyOAuth`]).
    pub fn somfy_europe() -> Server {
        Server::preset("Somfy (Europe)", "ha101-1.overkiz.com")
            .with_vendor_sign_in(VendorSignIn::Somfy(SomfyOAuth::default()))
    }

    /// SIMU LiveIn2 (`ha101-1.overkiz.com`, the Somfy Europe host, with `/login`).
    pub fn simu_livein2() -> Server {
        Server::preset("SIMU (LiveIn2)", "ha101-1.overkiz.com")
    }

    /// Rexel Energeasy Connect (through Rexel's API, which fronts Overkiz). Rexel
    /// accounts sign in in a browser: see `crate::signin::Rexel::authorize` (cargo
    /// feature `rexel`, on by default; without it, the preset has no vendor sign-in).
    /// Every call names its gateway, so a bare [`crate::Credentials::bearer`] token is
    /// refused when the client is built (use `crate::signin::Rexel::sign_in_with_token`
    /// and `crate::signin::RexelSignIn::select_gateway`).
    pub fn rexel() -> Server {
        Server {
            name: "Rexel Energeasy Connect".into(),
            base_url: "https://econnect-api.rexelservices.fr/api/enduser/overkiz".into(),
            kind: ServerKind::Cloud,
            #[cfg(feature = "rexel")]
            vendor: Some(VendorSignIn::Rexel(crate::config::signin::Rexel::default())),
            #[cfg(not(feature = "rexel"))]
            vendor: None,
        }
    }

    /// Somfy TaHoma, North America (`ha401-1.overkiz.com`).
    pub fn somfy_america() -> Server {
        Server::preset("Somfy (North America)", "ha401-1.overkiz.com")
    }

    /// Somfy TaHoma, Australia, New Zealand and Oceania (`ha201-1.overkiz.com`).
    pub fn somfy_oceania() -> Server {
        Server::preset("Somfy (Oceania)", "ha201-1.overkiz.com")
    }

    /// Atlantic, Thermor and Sauter Cozytouch (`ha110-1.overkiz.com`).
    ///
    /// Cozytouch accounts sign in at the Atlantic API first
    /// (`crate::signin::Cozytouch`, cargo feature `cozytouch`, on by default; without
    /// it, passwords go to `POST /login`).
    pub fn cozytouch() -> Server {
        let server = Server::preset("Atlantic/Thermor/Sauter Cozytouch", "ha110-1.overkiz.com");
        #[cfg(feature = "cozytouch")]
        let server = server.with_vendor_sign_in(VendorSignIn::Cozytouch(
            crate::config::signin::Cozytouch::default(),
        ));
        server
    }

    /// Hitachi Hi Kumo, Europe (`ha117-1.overkiz.com`).
    pub fn hi_kumo_europe() -> Server {
        Server::preset("Hitachi Hi Kumo (Europe)", "ha117-1.overkiz.com")
    }

    /// Hitachi Hi Kumo, Asia and Oceania (`ha203-1.overkiz.com`).
    pub fn hi_kumo_asia() -> Server {
        Server::preset("Hitachi Hi Kumo (Asia/Oceania)", "ha203-1.overkiz.com")
    }

    /// Nexity Eugénie (`ha106-1.overkiz.com`). Nexity accounts sign in at AWS
    /// Cognito and Nexity's API first (`crate::signin::Nexity`, cargo feature `nexity`,
    /// on by default; without it, passwords go to `POST /login`, which Nexity refuses).
    pub fn nexity() -> Server {
        let server = Server::preset("Nexity", "ha106-1.overkiz.com");
        #[cfg(feature = "nexity")]
        let server = server.with_vendor_sign_in(VendorSignIn::Nexity(
            crate::config::signin::Nexity::default(),
        ));
        server
    }

    /// Bouygues Flexom (`ha108-1.overkiz.com`).
    pub fn flexom() -> Server {
        Server::preset("Bouygues Flexom", "ha108-1.overkiz.com")
    }

    /// Brandt Smart Control (`ha3-1.overkiz.com`). Brandt accounts sign in at the
    /// Brandt middleware first (`crate::signin::Brandt`, cargo feature `brandt`, on by
    /// default; without it, passwords go to `POST /login`).
    pub fn brandt() -> Server {
        let server = Server::preset("Brandt", "ha3-1.overkiz.com");
        #[cfg(feature = "brandt")]
        let server = server.with_vendor_sign_in(VendorSignIn::Brandt(
            crate::config::signin::Brandt::default(),
        ));
        server
    }

    /// Hexaom Hexaconnect (`ha5-1.overkiz.com`).
    pub fn hexaom() -> Server {
        Server::preset("Hexaom", "ha5-1.overkiz.com")
    }

    /// Ubiwizz (`ha129-1.overkiz.com`).
    pub fn ubiwizz() -> Server {
        Server::preset("Ubiwizz", "ha129-1.overkiz.com")
    }

    /// Every cloud preset, in the order of this documentation.
    pub fn cloud_presets() -> Vec<Server> {
        vec![
            Server::somfy_europe(),
            Server::somfy_america(),
            Server::somfy_oceania(),
            Server::simu_livein2(),
            Server::cozytouch(),
            Server::hi_kumo_europe(),
            Server::hi_kumo_asia(),
            Server::nexity(),
            Server::flexom(),
            Server::brandt(),
            Server::hexaom(),
            Server::ubiwizz(),
            Server::rexel(),
        ]
    }

    /// Another Overkiz cloud host, e.g. `ha999-1.overkiz.com` (the API path is added).
    pub fn cloud_host(host: &str) -> Result<Server, Error> {
        let server = Server::preset(host, host);
        parse_base(&server.base_url)?;
        Ok(server)
    }

    /// The Developer Mode API of the gateway with this PIN (`1234-5678-9012`),
    /// reached as `https://gateway-<pin>.local:8443` through mDNS.
    ///
    /// The gateway's certificate is checked against the Overkiz root CA and must name
    /// `<pin>.local` (or the host name used).
    pub fn local(pin: &str) -> Result<Server, Error> {
        Server::local_at(pin, &format!("gateway-{pin}.local"))
    }

    /// The gateway with this PIN, reached at another host name or IP address
    /// (`192.168.1.20`, `[fe80::1]`, `tahoma.lan:8443`): useful where mDNS does not
    /// work. Without a port, 8443 is used. The certificate must still name
    /// `<pin>.local` (or `host`).
    pub fn local_at(pin: &str, host: &str) -> Result<Server, Error> {
        if !tls::is_valid_pin(pin) {
            return Err(Error::config(format!(
                "invalid gateway PIN {pin:?}: expected letters, digits and dashes"
            )));
        }
        let mut url = parse_base(&format!("https://{host}{LOCAL_API_PATH}"))?;
        if url.path() != LOCAL_API_PATH || url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(format!("invalid gateway host {host:?}")));
        }
        if url.port().is_none() {
            url.set_port(Some(LOCAL_API_PORT))
                .map_err(|()| Error::config(format!("invalid gateway host {host:?}")))?;
        }
        Ok(Server {
            name: format!("Local gateway {pin}"),
            base_url: url.as_str().trim_end_matches('/').to_owned(),
            kind: ServerKind::Local {
                pin: pin.to_owned(),
            },
            vendor: None,
        })
    }

    /// Any base URL, up to and including the `enduserAPI` segment
    /// (`http://127.0.0.1:8080/enduser-mobile-web/enduserAPI`). A
    /// `https://gateway-<pin>.local...` URL is treated as [`Server::local`].
    pub fn custom(base_url: &str) -> Result<Server, Error> {
        let url = parse_base(base_url)?;
        if url.query().is_some() || url.fragment().is_some() {
            return Err(Error::config(
                "a server base URL cannot have a query or fragment",
            ));
        }
        let kind = match url.host_str().and_then(tls::pin_from_gateway_host) {
            Some(pin) if url.scheme() == "https" => ServerKind::Local {
                pin: pin.to_owned(),
            },
            _ => ServerKind::Custom,
        };
        let base_url = url.as_str().trim_end_matches('/').to_owned();
        Ok(Server {
            name: base_url.clone(),
            base_url,
            kind,
            vendor: None,
        })
    }

    /// This server with another vendor sign-in flow (e.g. its endpoints pointed
    /// elsewhere): [`crate::Credentials::password`] then signs in through it.
    pub fn with_vendor_sign_in(mut self, vendor: VendorSignIn) -> Server {
        self.vendor = Some(vendor);
        self
    }

    /// This server with the plain `POST /login` form for passwords.
    pub fn without_vendor_sign_in(mut self) -> Server {
        self.vendor = None;
        self
    }

    /// The vendor sign-in flow passwords go through, if not `POST /login`.
    pub fn vendor_sign_in(&self) -> Option<&VendorSignIn> {
        self.vendor.as_ref()
    }

    /// Human-readable name (`"Somfy (Europe)"`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Base URL without trailing slash; operation paths are appended to it.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The gateway PIN if this is a local gateway API.
    pub fn gateway_pin(&self) -> Option<&str> {
        match &self.kind {
            ServerKind::Local { pin } => Some(pin),
            _ => None,
        }
    }

    /// True for a gateway's local API.
    pub fn is_local(&self) -> bool {
        matches!(self.kind, ServerKind::Local { .. })
    }
}

fn parse_base(base: &str) -> Result<url::Url, Error> {
    let url =
        url::Url::parse(base).map_err(|e| Error::config(format!("invalid server URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::config(
            "a server URL must be http:// or https:// with a host",
        ));
    }
    if !url.username().is_empty() || url.password().is_some() {
        // Credentials in URLs end up in logs and errors.
        return Err(Error::config(
            "a server URL cannot carry a user name or password",
        ));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets_are_valid_urls() {
        let presets = Server::cloud_presets();
        assert_eq!(presets.len(), 13);
        for server in presets {
            let url = parse_base(server.base_url()).expect("preset parses");
            assert_eq!(url.scheme(), "https");
            assert!(!server.is_local());
            if server.name() == Server::rexel().name() {
                // Rexel fronts Overkiz with its own API.
                assert_eq!(url.host_str(), Some("econnect-api.rexelservices.fr"));
                continue;
            }
            assert_eq!(url.path(), CLOUD_API_PATH);
            assert!(url.host_str().is_some_and(|h| h.ends_with(".overkiz.com")));
        }
    }

    /// Each preset signs passwords in the way its vendor's app does.
    #[test]
    fn presets_know_their_sign_in_flow() {
        use crate::config::signin::VendorSignIn as V;
        let flow = |server: Server| match server.vendor_sign_in() {
            None => "login form",
            Some(V::Somfy(config)) if *config == SomfyOAuth::default() => "somfy",
            #[cfg(feature = "cozytouch")]
            Some(V::Cozytouch(config)) if *config == crate::signin::Cozytouch::default() => {
                "cozytouch"
            }
            #[cfg(feature = "brandt")]
            Some(V::Brandt(config)) if *config == crate::signin::Brandt::default() => "brandt",
            #[cfg(feature = "nexity")]
            Some(V::Nexity(_)) => "nexity",
            #[cfg(feature = "rexel")]
            Some(V::Rexel(config)) if *config == crate::signin::Rexel::default() => "rexel",
            Some(_) => "changed",
        };
        assert_eq!(flow(Server::somfy_europe()), "somfy");
        #[cfg(feature = "cozytouch")]
        assert_eq!(flow(Server::cozytouch()), "cozytouch");
        #[cfg(feature = "brandt")]
        assert_eq!(flow(Server::brandt()), "brandt");
        #[cfg(feature = "rexel")]
        assert_eq!(flow(Server::rexel()), "rexel");
        #[cfg(feature = "nexity")]
        assert_eq!(flow(Server::nexity()), "nexity");
        for server in [
            Server::somfy_america(),
            Server::somfy_oceania(),
            Server::simu_livein2(),
            Server::hi_kumo_europe(),
            Server::hi_kumo_asia(),
            Server::flexom(),
            Server::hexaom(),
            Server::ubiwizz(),
        ] {
            assert_eq!(flow(server), "login form");
        }
        assert_eq!(
            flow(Server::somfy_europe().without_vendor_sign_in()),
            "login form"
        );
    }

    #[test]
    fn local_gateway_urls() {
        let server = Server::local("1234-5678-9012").unwrap();
        assert_eq!(
            server.base_url(),
            "https://gateway-1234-5678-9012.local:8443/enduser-mobile-web/1/enduserAPI"
        );
        assert_eq!(server.gateway_pin(), Some("1234-5678-9012"));

        let at_ip = Server::local_at("1234-5678-9012", "192.168.1.20").unwrap();
        assert_eq!(
            at_ip.base_url(),
            "https://192.168.1.20:8443/enduser-mobile-web/1/enduserAPI"
        );
        assert_eq!(at_ip.gateway_pin(), Some("1234-5678-9012"));

        let with_port = Server::local_at("1234-5678-9012", "tahoma.lan:9443").unwrap();
        assert_eq!(
            with_port.base_url(),
            "https://tahoma.lan:9443/enduser-mobile-web/1/enduserAPI"
        );

        let ipv6 = Server::local_at("1234-5678-9012", "[fe80::1]").unwrap();
        assert_eq!(
            ipv6.base_url(),
            "https://[fe80::1]:8443/enduser-mobile-web/1/enduserAPI"
        );
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(Server::local("").is_err());
        assert!(Server::local("12/34").is_err());
        assert!(Server::local("1234 5678").is_err());
        assert!(Server::local_at("1234", "host/path").is_err());
        assert!(Server::local_at("1234", "host?x=1").is_err());
        assert!(Server::custom("not a url").is_err());
        assert!(Server::custom("ftp://example.com").is_err());
        assert!(Server::custom("https://user:pw@example.com/api").is_err());
        assert!(Server::cloud_host("bad host").is_err());
    }

    #[test]
    fn custom_urls() {
        let server = Server::custom("http://127.0.0.1:8080/enduserAPI/").unwrap();
        assert_eq!(server.base_url(), "http://127.0.0.1:8080/enduserAPI");
        assert!(!server.is_local());

        let gateway = Server::custom(
            "https://gateway-1234-5678-9012.local:8443/enduser-mobile-web/1/enduserAPI",
        )
        .unwrap();
        assert_eq!(gateway.gateway_pin(), Some("1234-5678-9012"));
    }

    #[test]
    fn cloud_host() {
        let server = Server::cloud_host("ha999-1.overkiz.com").unwrap();
        assert_eq!(
            server.base_url(),
            "https://ha999-1.overkiz.com/enduser-mobile-web/enduserAPI"
        );
    }
}
