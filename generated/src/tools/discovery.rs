//! Finding gateways on the local network with mDNS / DNS-SD (feature `discovery`).
//!
//! Overkiz gateways (Somfy TaHoma, Connexoon, ...) announce themselves as
//! `_kizbox._tcp.local.`, and, once Developer Mode is on, as `_kizboxdev._tcp.local.`
//! for the local API (port 8443). The TXT record carries `gateway_pin`
//! (`1234-5678-9012`), `api_version` (`1`) and `fw_version`; the SRV record the host
//! (`gateway-1234-5678-9012.local.`) and port. Somfy's Developer Mode documentation
//! notes that the host and instance names are not reliable identities: the PIN is
//! taken from the TXT record only.
//!
//! - [`discover`] browses the network for a while (crate `mdns-sd`);
//! - [`parse_mdns_packet`] / [`parse_mdns_packets`] read recorded mDNS answers (raw
//!   DNS messages), e.g. a capture, with crate `simple-dns`.
//!
//! ```rust,no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use overkiz::{Client, Credentials};
//!
//! for gateway in overkiz::discover(Duration::from_secs(3)).await? {
//!     if gateway.has_local_api() {
//!         let client = Client::new(gateway.server()?, Credentials::bearer("token"))?;
//!         # let _ = client;
//!     }
//! }
//! # Ok(())
//! # }
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use futures::StreamExt as _;
use simple_dns::rdata::RData;
use simple_dns::Packet;

use crate::config::server::Server;
use crate::config::tls;

/// The DNS-SD service a gateway was found through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum GatewayService {
    /// `_kizbox._tcp.local.`: every TaHoma / Connexoon gateway; no local API implied.
    Kizbox,
    /// `_kizboxdev._tcp.local.`: a gateway with Developer Mode on, serving the local API.
    KizboxDev,
}

impl GatewayService {
    /// Every service type looked for.
    pub const ALL: [GatewayService; 2] = [GatewayService::Kizbox, GatewayService::KizboxDev];

    /// The DNS-SD service type, with the trailing dot (`_kizboxdev._tcp.local.`).
    pub const fn service_type(self) -> &'static str {
        match self {
            GatewayService::Kizbox => "_kizbox._tcp.local.",
            GatewayService::KizboxDev => "_kizboxdev._tcp.local.",
        }
    }

    /// The service of a DNS-SD type, with or without the trailing dot, any case.
    pub fn from_service_type(service_type: &str) -> Option<GatewayService> {
        let normalized = service_type.trim_end_matches('.').to_ascii_lowercase();
        GatewayService::ALL
            .into_iter()
            .find(|service| service.service_type().trim_end_matches('.') == normalized)
    }
}

impl fmt::Display for GatewayService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.service_type())
    }
}

/// A gateway found on the local network.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DiscoveredGateway {
    /// The gateway PIN from the TXT record (`gateway_pin`), e.g. `1234-5678-9012`.
    pub pin: String,
    /// Host name from the SRV record, without the trailing dot
    /// (`gateway-1234-5678-9012.local`).
    pub host: String,
    /// Port from the SRV record (8443 for the local API).
    pub port: u16,
    /// Addresses announced for the host (A / AAAA records), sorted; may be empty.
    pub addresses: Vec<IpAddr>,
    /// `api_version` from the TXT record, when present (`1`).
    pub api_version: Option<String>,
    /// `fw_version` from the TXT record, when present (`2025.5.5-9`).
    pub firmware_version: Option<String>,
    /// The service it was announced as.
    pub service: GatewayService,
}

impl DiscoveredGateway {
    /// True when the gateway announced the Developer Mode local API
    /// ([`GatewayService::KizboxDev`]).
    pub fn has_local_api(&self) -> bool {
        self.service == GatewayService::KizboxDev
    }

    /// The local API of this gateway, reached at its announced host name and port
    /// ([`Server::local_at`]). Needs a system resolver for `.local` names; see
    /// [`DiscoveredGateway::server_by_address`] otherwise.
    ///
    /// Fails for a gateway announced only as `_kizbox` (Developer Mode off).
    pub fn server(&self) -> Result<Server, crate::Error> {
        self.local_server(&self.host)
    }

    /// The local API of this gateway, reached at its first announced IPv4 address
    /// (else a global IPv6 one, else the host name) and port. The certificate is still
    /// checked for `<pin>.local`.
    ///
    /// Fails for a gateway announced only as `_kizbox` (Developer Mode off).
    pub fn server_by_address(&self) -> Result<Server, crate::Error> {
        let v4 = self.addresses.iter().find(|a| a.is_ipv4());
        let v6 = self.addresses.iter().find(|a| match a {
            // Link-local addresses need a zone, which URLs cannot carry.
            IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 != 0xfe80,
            IpAddr::V4(_) => false,
        });
        match v4.or(v6) {
            Some(IpAddr::V4(v4)) => self.local_server(&v4.to_string()),
            Some(IpAddr::V6(v6)) => self.local_server(&format!("[{v6}]")),
            None => self.server(),
        }
    }

    fn local_server(&self, host: &str) -> Result<Server, crate::Error> {
        if !self.has_local_api() {
            return Err(crate::Error::config(format!(
                "gateway {} does not announce the local API: turn Developer Mode on",
                self.pin
            )));
        }
        Server::local_at(&self.pin, &format!("{host}:{}", self.port))
    }
}

/// Why discovery or parsing failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DiscoveryError {
    /// A recorded packet is not a valid DNS message (truncated, garbage).
    #[error("invalid mDNS packet: {0}")]
    InvalidPacket(String),
    /// The mDNS responder could not be started or used (no usable network
    /// interface, socket error).
    #[error("mDNS discovery failed: {0}")]
    Mdns(String),
}

/// What one instance announced, gathered over records and packets.
#[derive(Default)]
struct Records {
    /// Instance full names per service, from PTR records (and SRV names).
    instances: BTreeMap<String, GatewayService>,
    /// SRV per instance: (host, port).
    srv: HashMap<String, (String, u16)>,
    /// TXT attributes per instance (keys lowercase).
    txt: HashMap<String, HashMap<String, Option<String>>>,
    /// Addresses per host.
    addresses: HashMap<String, Vec<IpAddr>>,
}

/// A DNS name as compared here: lowercase, no trailing dot.
fn normalize(name: &str) -> String {
    name.trim_end_matches('.').to_ascii_lowercase()
}

/// The service of an instance full name (`<instance>.<service type>`).
fn service_of_instance(instance: &str) -> Option<GatewayService> {
    GatewayService::ALL.into_iter().find(|service| {
        let suffix = normalize(service.service_type());
        instance.len() > suffix.len() + 1
            && instance.ends_with(&suffix)
            && instance.as_bytes()[instance.len() - suffix.len() - 1] == b'.'
    })
}

impl Records {
    fn add_packet(&mut self, packet: &[u8]) -> Result<(), DiscoveryError> {
        let packet =
            Packet::parse(packet).map_err(|e| DiscoveryError::InvalidPacket(e.to_string()))?;
        let records = packet
            .answers
            .iter()
            .chain(&packet.name_servers)
            .chain(&packet.additional_records);
        for record in records {
            let name = normalize(&record.name.to_string());
            match &record.rdata {
                RData::PTR(target) => {
                    if let Some(service) = GatewayService::from_service_type(&name) {
                        let instance = normalize(&target.0.to_string());
                        if service_of_instance(&instance) == Some(service) {
                            self.instances.insert(instance, service);
                        }
                    }
                }
                RData::SRV(srv) => {
                    if let Some(service) = service_of_instance(&name) {
                        self.instances.insert(name.clone(), service);
                        self.srv
                            .insert(name, (normalize(&srv.target.to_string()), srv.port));
                    }
                }
                RData::TXT(txt) if service_of_instance(&name).is_some() => {
                    self.txt.insert(name, txt.attributes());
                }
                RData::A(a) => self
                    .addresses
                    .entry(name)
                    .or_default()
                    .push(IpAddr::V4(Ipv4Addr::from(a.address))),
                RData::AAAA(aaaa) => self
                    .addresses
                    .entry(name)
                    .or_default()
                    .push(IpAddr::V6(Ipv6Addr::from(aaaa.address))),
                _ => {}
            }
        }
        Ok(())
    }

    fn gateways(self) -> Vec<DiscoveredGateway> {
        let mut gateways: Vec<DiscoveredGateway> = self
            .instances
            .iter()
            .filter_map(|(instance, &service)| {
                let (host, port) = self.srv.get(instance)?;
                let txt = self.txt.get(instance)?;
                let value = |key: &str| txt.get(key).cloned().flatten();
                let addresses = self.addresses.get(host).cloned().unwrap_or_default();
                gateway_from_parts(service, host, *port, addresses, value)
            })
            .collect();
        gateways.sort_by(|a, b| (&a.pin, a.service).cmp(&(&b.pin, b.service)));
        gateways.dedup_by(|a, b| a.pin == b.pin && a.service == b.service);
        gateways
    }
}

/// Builds a gateway from what an instance announced; `None` without a valid
/// `gateway_pin` or host.
fn gateway_from_parts(
    service: GatewayService,
    host: &str,
    port: u16,
    mut addresses: Vec<IpAddr>,
    txt: impl Fn(&str) -> Option<String>,
) -> Option<DiscoveredGateway> {
    let pin = txt("gateway_pin")?.trim().to_owned();
    let host = host.trim_end_matches('.');
    if !tls::is_valid_pin(&pin) || host.is_empty() || port == 0 {
        return None;
    }
    addresses.sort();
    addresses.dedup();
    let non_empty = |value: Option<String>| value.filter(|v| !v.is_empty());
    Some(DiscoveredGateway {
        pin,
        host: host.to_owned(),
        port,
        addresses,
        api_version: non_empty(txt("api_version")),
        firmware_version: non_empty(txt("fw_version")),
        service,
    })
}

/// The gateways announced in one recorded mDNS message (raw DNS bytes, as received on
/// UDP port 5353). An instance needs its PTR or SRV, its SRV and its TXT with a valid
/// `gateway_pin` in the message; others are left out. Other services are ignored.
///
/// Errors only when the bytes are not a DNS message.
pub fn parse_mdns_packet(packet: &[u8]) -> Result<Vec<DiscoveredGateway>, DiscoveryError> {
    parse_mdns_packets([packet])
}

/// Like [`parse_mdns_packet`], with the records of several messages put together
/// (responders may send the SRV, TXT and address records in separate messages).
pub fn parse_mdns_packets<'a>(
    packets: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<DiscoveredGateway>, DiscoveryError> {
    let mut records = Records::default();
    for packet in packets {
        records.add_packet(packet)?;
    }
    Ok(records.gateways())
}

/// A gateway from a service resolved by `mdns-sd`.
fn gateway_from_resolved(resolved: &mdns_sd::ResolvedService) -> Option<DiscoveredGateway> {
    let service = GatewayService::from_service_type(&resolved.ty_domain)?;
    let addresses = resolved
        .addresses
        .iter()
        .map(mdns_sd::ScopedIp::to_ip_addr)
        .collect();
    gateway_from_parts(service, &resolved.host, resolved.port, addresses, |key| {
        resolved
            .txt_properties
            .get_property_val_str(key)
            .map(str::to_owned)
    })
}

/// Stops the mDNS daemon however [`discover`] ends.
struct Daemon(mdns_sd::ServiceDaemon);

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.shutdown();
    }
}

/// Browses the local network for `timeout` (any length: `Duration::MAX` browses
/// until the future is dropped) and returns the gateways that answered,
/// sorted by PIN; a gateway with Developer Mode on appears twice, once per
/// [`GatewayService`].
///
/// Sends mDNS queries on every multicast-capable interface (IPv4 and IPv6), through a
/// background thread stopped before returning. Needs a Tokio runtime (for the
/// timer).
///
/// ```rust,no_run
/// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
/// use std::time::Duration;
/// use overkiz::{Client, Credentials};
///
/// for gateway in overkiz::discover(Duration::from_secs(3)).await? {
///     println!("{} at {}:{} ({})", gateway.pin, gateway.host, gateway.port, gateway.service);
///     if gateway.has_local_api() {
///         let client = Client::new(gateway.server_by_address()?, Credentials::bearer("token"))?;
///         # let _ = client;
///     }
/// }
/// # Ok(())
/// # }
/// ```
pub async fn discover(timeout: Duration) -> Result<Vec<DiscoveredGateway>, DiscoveryError> {
    let daemon = mdns_sd::ServiceDaemon::new().map_err(|e| DiscoveryError::Mdns(e.to_string()))?;
    let daemon = Daemon(daemon);
    let mut streams = Vec::new();
    for service in GatewayService::ALL {
        let receiver = daemon
            .0
            .browse(service.service_type())
            .map_err(|e| DiscoveryError::Mdns(e.to_string()))?;
        streams.push(receiver.into_stream());
    }
    let mut events = futures::stream::select_all(streams);
    let mut found: BTreeMap<(String, GatewayService), DiscoveredGateway> = BTreeMap::new();
    let deadline = crate::value::deadline::from_now(timeout);
    while let Ok(Some(event)) = tokio::time::timeout_at(deadline, events.next()).await {
        if let mdns_sd::ServiceEvent::ServiceResolved(resolved) = event {
            if let Some(gateway) = gateway_from_resolved(&resolved) {
                found.insert((gateway.pin.clone(), gateway.service), gateway);
            }
        }
    }
    Ok(found.into_values().collect())
}

#[cfg(test)]
mod tests {
    use simple_dns::rdata::{self, RData};
    use simple_dns::{Name, Packet, PacketFlag, ResourceRecord, CLASS};

    use super::*;

    const PIN: &str = "1234-5678-9012";
    const HOST: &str = "gateway-1234-5678-9012.local";
    const DEV: &str = "_kizboxdev._tcp.local";
    const CLOUD: &str = "_kizbox._tcp.local";

    /// Wire-format helpers for the hand-written packet: a name's labels, ended by a
    /// compression pointer or the root.
    fn labels(packet: &mut Vec<u8>, labels: &[&str], pointer: Option<usize>) -> usize {
        let at = packet.len();
        for label in labels {
            packet.push(label.len() as u8);
            packet.extend_from_slice(label.as_bytes());
        }
        match pointer {
            Some(offset) => packet.extend_from_slice(&(0xc000 | offset as u16).to_be_bytes()),
            None => packet.push(0),
        }
        at
    }

    fn record_header(packet: &mut Vec<u8>, kind: u16, class: u16, ttl: u32, rdlen: usize) {
        packet.extend_from_slice(&kind.to_be_bytes());
        packet.extend_from_slice(&class.to_be_bytes());
        packet.extend_from_slice(&ttl.to_be_bytes());
        packet.extend_from_slice(&(rdlen as u16).to_be_bytes());
    }

    /// A Developer Mode gateway's answer as sent on the wire, written byte for byte
    /// with name compression (as Avahi sends it): PTR in the answers; SRV, TXT and A
    /// in the additional records, cache-flush bit set. TXT contents as shown by
    /// TaHomaCtl's `scan` (`fw_version=2025.5.5-9 gateway_pin=... api_version=1`).
    fn wire_answer() -> Vec<u8> {
        let mut p = vec![
            0x00, 0x00, // id
            0x84, 0x00, // response, authoritative
            0x00, 0x00, // questions
            0x00, 0x01, // answers
            0x00, 0x00, // authority
            0x00, 0x03, // additional
        ];
        // PTR _kizboxdev._tcp.local -> gateway-1234-5678-9012._kizboxdev._tcp.local
        let service = labels(&mut p, &["_kizboxdev", "_tcp", "local"], None);
        let local = service + 1 + "_kizboxdev".len() + 1 + "_tcp".len();
        assert_eq!(&p[local..local + 6], b"\x05local");
        record_header(&mut p, 12, 1, 4500, 1 + 22 + 2);
        let instance = labels(&mut p, &["gateway-1234-5678-9012"], Some(service));
        // SRV: port 8443, target gateway-1234-5678-9012.local
        labels(&mut p, &[], Some(instance));
        record_header(&mut p, 33, 0x8001, 120, 6 + 1 + 22 + 2);
        p.extend_from_slice(&[0, 0, 0, 0, 0x20, 0xfb]);
        let host = labels(&mut p, &["gateway-1234-5678-9012"], Some(local));
        // TXT
        labels(&mut p, &[], Some(instance));
        let strings = [
            "fw_version=2025.5.5-9",
            "gateway_pin=1234-5678-9012",
            "api_version=1",
        ];
        record_header(
            &mut p,
            16,
            0x8001,
            4500,
            strings.iter().map(|s| s.len() + 1).sum(),
        );
        for s in strings {
            p.push(s.len() as u8);
            p.extend_from_slice(s.as_bytes());
        }
        // A 192.168.0.36
        labels(&mut p, &[], Some(host));
        record_header(&mut p, 1, 0x8001, 120, 4);
        p.extend_from_slice(&[192, 168, 0, 36]);
        p
    }

    fn txt(attributes: &[&'static str]) -> RData<'static> {
        let mut txt = rdata::TXT::new();
        for attribute in attributes {
            txt.add_string(attribute).unwrap();
        }
        RData::TXT(txt)
    }

    fn rr(name: &'static str, class_flush: bool, data: RData<'static>) -> ResourceRecord<'static> {
        let mut record = ResourceRecord::new(Name::new_unchecked(name), CLASS::IN, 120, data);
        record.cache_flush = class_flush;
        record
    }

    struct Announce {
        service: &'static str,
        instance: &'static str,
        host: &'static str,
        port: u16,
        txt: &'static [&'static str],
    }

    /// An answer built with simple-dns (compressed), for the given instances plus
    /// address records.
    fn built_answer(announces: &[Announce], addresses: &[(&'static str, IpAddr)]) -> Vec<u8> {
        let mut packet = Packet::new_reply(0);
        packet.set_flags(PacketFlag::AUTHORITATIVE_ANSWER);
        for a in announces {
            packet.answers.push(rr(
                a.service,
                false,
                RData::PTR(rdata::PTR(Name::new_unchecked(a.instance))),
            ));
            packet.additional_records.push(rr(
                a.instance,
                true,
                RData::SRV(rdata::SRV {
                    priority: 0,
                    weight: 0,
                    port: a.port,
                    target: Name::new_unchecked(a.host),
                }),
            ));
            packet
                .additional_records
                .push(rr(a.instance, true, txt(a.txt)));
        }
        for (host, address) in addresses {
            let data = match address {
                IpAddr::V4(v4) => RData::A(rdata::A {
                    address: u32::from(*v4),
                }),
                IpAddr::V6(v6) => RData::AAAA(rdata::AAAA {
                    address: u128::from(*v6),
                }),
            };
            packet.additional_records.push(rr(host, true, data));
        }
        packet.build_bytes_vec_compressed().unwrap()
    }

    const DEV_GATEWAY: Announce = Announce {
        service: DEV,
        instance: "gateway-1234-5678-9012._kizboxdev._tcp.local",
        host: HOST,
        port: 8443,
        txt: &[
            "gateway_pin=1234-5678-9012",
            "api_version=1",
            "fw_version=2025.5.5-9",
        ],
    };

    #[test]
    fn wire_packet_of_a_developer_mode_gateway() {
        let gateways = parse_mdns_packet(&wire_answer()).unwrap();
        assert_eq!(
            gateways,
            vec![DiscoveredGateway {
                pin: PIN.to_owned(),
                host: HOST.to_owned(),
                port: 8443,
                addresses: vec![IpAddr::V4(Ipv4Addr::new(192, 168, 0, 36))],
                api_version: Some("1".to_owned()),
                firmware_version: Some("2025.5.5-9".to_owned()),
                service: GatewayService::KizboxDev,
            }]
        );
        let gateway = &gateways[0];
        assert!(gateway.has_local_api());
        let server = gateway.server().unwrap();
        assert_eq!(
            server.base_url(),
            "https://gateway-1234-5678-9012.local:8443/enduser-mobile-web/1/enduserAPI"
        );
        assert_eq!(server.gateway_pin(), Some(PIN));
        let server = gateway.server_by_address().unwrap();
        assert_eq!(
            server.base_url(),
            "https://192.168.0.36:8443/enduser-mobile-web/1/enduserAPI"
        );
        assert_eq!(server.gateway_pin(), Some(PIN));
    }

    #[test]
    fn both_service_types_and_other_ports() {
        let cloud = Announce {
            service: CLOUD,
            instance: "gateway-1234-5678-9012._kizbox._tcp.local",
            host: HOST,
            port: 80,
            txt: &["gateway_pin=1234-5678-9012"],
        };
        let other_dev = Announce {
            service: DEV,
            instance: "Living room._kizboxdev._tcp.local",
            host: "gw2.local",
            port: 9443,
            txt: &["gateway_pin=2222-3333-4444", "api_version=2"],
        };
        let v6: IpAddr = "2001:db8::20".parse().unwrap();
        let link_local: IpAddr = "fe80::1".parse().unwrap();
        let packet = built_answer(
            &[cloud, DEV_GATEWAY, other_dev],
            &[
                (HOST, IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20))),
                ("gw2.local", link_local),
                ("gw2.local", v6),
            ],
        );
        let gateways = parse_mdns_packet(&packet).unwrap();
        let summary: Vec<_> = gateways
            .iter()
            .map(|g| {
                (
                    g.pin.as_str(),
                    g.service,
                    g.host.as_str(),
                    g.port,
                    g.api_version.as_deref(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            vec![
                (PIN, GatewayService::Kizbox, HOST, 80, None),
                (PIN, GatewayService::KizboxDev, HOST, 8443, Some("1")),
                (
                    "2222-3333-4444",
                    GatewayService::KizboxDev,
                    "gw2.local",
                    9443,
                    Some("2")
                ),
            ]
        );
        // Only the Developer Mode announce gives a local API.
        assert!(!gateways[0].has_local_api());
        assert!(matches!(gateways[0].server(), Err(e) if e.kind() == crate::ErrorKind::Config));
        assert!(gateways[0].server_by_address().is_err());
        // Another port is kept; a global IPv6 address is used, not a link-local one.
        assert_eq!(gateways[2].addresses, vec![v6, link_local]);
        assert_eq!(
            gateways[2].server_by_address().unwrap().base_url(),
            "https://[2001:db8::20]:9443/enduser-mobile-web/1/enduserAPI"
        );
        assert_eq!(
            gateways[2].server().unwrap().base_url(),
            "https://gw2.local:9443/enduser-mobile-web/1/enduserAPI"
        );
    }

    #[test]
    fn unrelated_services_are_ignored() {
        let printer = Announce {
            service: "_ipp._tcp.local",
            instance: "Printer._ipp._tcp.local",
            host: "printer.local",
            port: 631,
            txt: &["gateway_pin=1111-1111-1111"],
        };
        let lookalike = Announce {
            service: "_kizboxdevx._tcp.local",
            instance: "gateway._kizboxdevx._tcp.local",
            host: "x.local",
            port: 8443,
            txt: &["gateway_pin=1111-1111-1111"],
        };
        let only_others = built_answer(&[printer], &[]);
        assert_eq!(parse_mdns_packet(&only_others).unwrap(), vec![]);
        let lookalike = built_answer(&[lookalike], &[]);
        assert_eq!(parse_mdns_packet(&lookalike).unwrap(), vec![]);
        let printer = Announce {
            service: "_ipp._tcp.local",
            instance: "Printer._ipp._tcp.local",
            host: "printer.local",
            port: 631,
            txt: &[],
        };
        let mixed = built_answer(&[printer, DEV_GATEWAY], &[]);
        let gateways = parse_mdns_packet(&mixed).unwrap();
        assert_eq!(gateways.len(), 1);
        assert_eq!(gateways[0].pin, PIN);
        assert!(gateways[0].addresses.is_empty());
        // A query (no answers) is no gateway either.
        let query = Packet::new_query(7).build_bytes_vec().unwrap();
        assert_eq!(parse_mdns_packet(&query).unwrap(), vec![]);
    }

    #[test]
    fn missing_or_invalid_txt_keys() {
        let with_txt =
            |txt: &'static [&'static str]| built_answer(&[Announce { txt, ..DEV_GATEWAY }], &[]);
        // No gateway_pin: not usable, left out.
        assert_eq!(
            parse_mdns_packet(&with_txt(&["api_version=1"])).unwrap(),
            vec![]
        );
        assert_eq!(parse_mdns_packet(&with_txt(&[])).unwrap(), vec![]);
        assert_eq!(
            parse_mdns_packet(&with_txt(&["gateway_pin"])).unwrap(),
            vec![]
        );
        assert_eq!(
            parse_mdns_packet(&with_txt(&["gateway_pin="])).unwrap(),
            vec![]
        );
        // A PIN that is not letters, digits and dashes is refused.
        assert_eq!(
            parse_mdns_packet(&with_txt(&["gateway_pin=../etc"])).unwrap(),
            vec![]
        );
        assert_eq!(
            parse_mdns_packet(&with_txt(&["gateway_pin=a b"])).unwrap(),
            vec![]
        );
        // Without api_version and fw_version: None. Keys are case-insensitive.
        let gateways =
            parse_mdns_packet(&with_txt(&["Gateway_PIN=1234-5678-9012", "api_version="])).unwrap();
        assert_eq!(gateways.len(), 1);
        assert_eq!(gateways[0].pin, PIN);
        assert_eq!(gateways[0].api_version, None);
        assert_eq!(gateways[0].firmware_version, None);

        // No TXT record at all.
        let bytes = with_txt(&["gateway_pin=1234-5678-9012"]);
        let mut packet = Packet::parse(&bytes).unwrap();
        packet
            .additional_records
            .retain(|r| !matches!(r.rdata, RData::TXT(_)));
        assert_eq!(
            parse_mdns_packet(&packet.build_bytes_vec().unwrap()).unwrap(),
            vec![]
        );
        // No SRV record: no host or port.
        let bytes = with_txt(&["gateway_pin=1234-5678-9012"]);
        let mut packet = Packet::parse(&bytes).unwrap();
        packet
            .additional_records
            .retain(|r| !matches!(r.rdata, RData::SRV(_)));
        assert_eq!(
            parse_mdns_packet(&packet.build_bytes_vec().unwrap()).unwrap(),
            vec![]
        );
    }

    #[test]
    fn records_spread_over_packets_are_put_together() {
        let bytes = built_answer(
            &[DEV_GATEWAY],
            &[(HOST, IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)))],
        );
        let full = Packet::parse(&bytes).unwrap();
        let mut packets = Vec::new();
        for record in full.answers.iter().chain(&full.additional_records) {
            let mut packet = Packet::new_reply(0);
            packet.answers.push(record.clone());
            packets.push(packet.build_bytes_vec().unwrap());
        }
        assert_eq!(packets.len(), 4);
        // Each alone: the PTR, SRV, TXT or A record is not enough.
        for packet in &packets {
            assert_eq!(parse_mdns_packet(packet).unwrap(), vec![]);
        }
        let gateways = parse_mdns_packets(packets.iter().map(Vec::as_slice)).unwrap();
        assert_eq!(gateways.len(), 1);
        assert_eq!(
            gateways[0].addresses,
            vec![IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))]
        );
        // A garbage packet among them is an error.
        let with_garbage = [packets[0].as_slice(), &[0xff; 3][..]];
        assert!(parse_mdns_packets(with_garbage).is_err());
    }

    #[test]
    fn truncated_and_garbage_packets_are_errors_not_panics() {
        let packet = wire_answer();
        assert!(matches!(
            parse_mdns_packet(&[]),
            Err(DiscoveryError::InvalidPacket(_))
        ));
        assert!(parse_mdns_packet(&packet[..5]).is_err());
        // Every truncation parses or fails, without panicking; cut inside the records
        // is an error.
        for len in 0..packet.len() {
            let result = parse_mdns_packet(&packet[..len]);
            if len < packet.len() - 4 {
                assert!(result.is_err(), "length {len} accepted");
            }
        }
        // A compression pointer to itself.
        let mut looping = packet[..12].to_vec();
        looping.extend_from_slice(&[0xc0, 0x0c, 0, 12, 0, 1, 0, 0, 0, 1, 0, 2, 0xc0, 0x0c]);
        assert!(parse_mdns_packet(&looping).is_err());
        // Random bytes, with a plausible header or none.
        let mut rng = fastrand::Rng::with_seed(0x6b1a);
        for round in 0..2000 {
            let len = rng.usize(0..600);
            let mut bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            if round % 2 == 0 && bytes.len() >= 12 {
                bytes[..12].copy_from_slice(&packet[..12]);
            }
            let _ = parse_mdns_packet(&bytes);
        }
        // Bytes flipped in the real packet.
        for i in 0..packet.len() {
            let mut bytes = packet.clone();
            bytes[i] ^= 0xff;
            let _ = parse_mdns_packet(&bytes);
        }
    }

    #[test]
    fn service_types() {
        assert_eq!(
            GatewayService::from_service_type("_kizboxdev._tcp.local."),
            Some(GatewayService::KizboxDev)
        );
        assert_eq!(
            GatewayService::from_service_type("_KIZBOX._tcp.local"),
            Some(GatewayService::Kizbox)
        );
        assert_eq!(
            GatewayService::from_service_type("_kizbox._udp.local."),
            None
        );
        assert_eq!(
            GatewayService::KizboxDev.to_string(),
            "_kizboxdev._tcp.local."
        );
        assert_eq!(
            service_of_instance("gateway._kizbox._tcp.local"),
            Some(GatewayService::Kizbox)
        );
        assert_eq!(
            service_of_instance("gateway._kizboxdev._tcp.local"),
            Some(GatewayService::KizboxDev)
        );
        assert_eq!(service_of_instance("x_kizbox._tcp.local"), None);
        assert_eq!(service_of_instance("_kizbox._tcp.local"), None);
    }

    #[test]
    fn services_resolved_by_mdns_sd_are_mapped() {
        let info = mdns_sd::ServiceInfo::new(
            "_kizboxdev._tcp.local.",
            "gateway-1234-5678-9012",
            "gateway-1234-5678-9012.local.",
            "192.168.0.36",
            8443,
            &[
                ("gateway_pin", PIN),
                ("api_version", "1"),
                ("fw_version", "2025.5.5-9"),
            ][..],
        )
        .unwrap();
        let gateway = gateway_from_resolved(&info.as_resolved_service()).unwrap();
        assert_eq!(gateway, parse_mdns_packet(&wire_answer()).unwrap()[0]);

        let no_pin = mdns_sd::ServiceInfo::new(
            "_kizbox._tcp.local.",
            "gateway",
            "gateway.local.",
            "192.168.0.36",
            443,
            &[("api_version", "1")][..],
        )
        .unwrap();
        assert_eq!(gateway_from_resolved(&no_pin.as_resolved_service()), None);
        let other = mdns_sd::ServiceInfo::new(
            "_http._tcp.local.",
            "gateway",
            "gateway.local.",
            "192.168.0.36",
            80,
            &[("gateway_pin", PIN)][..],
        )
        .unwrap();
        assert_eq!(gateway_from_resolved(&other.as_resolved_service()), None);
    }
}
