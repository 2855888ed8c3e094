//! TLS of the local API mode: a certificate authority generated at start plays the
//! Overkiz root CA and signs a gateway certificate named `<pin>.local`, as real
//! gateways present (while clients reach them as `gateway-<pin>.local` or by IP
//! address).

use std::io;
use std::sync::Arc;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

/// The common name of the generated CA: it says what it is, so that nobody mistakes
/// it for the Overkiz root CA in a trust store.
pub(crate) const CA_NAME: &str = "overkiz-sim gateway CA (test only)";

/// A gateway's TLS identity: its CA (PEM, for clients to trust) and the acceptor
/// presenting the `<pin>.local` certificate.
pub(crate) struct GatewayTls {
    /// The generated CA certificate, PEM.
    pub(crate) ca_pem: String,
    /// Accepts TLS connections with the gateway certificate.
    pub(crate) acceptor: TlsAcceptor,
}

/// True when `pin` can be a host name label like the gateways' (`1234-5678-9012`):
/// ASCII letters, digits and inner dashes, 63 characters at most.
pub(crate) fn is_valid_pin(pin: &str) -> bool {
    !pin.is_empty()
        && pin.len() <= 63
        && pin.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !pin.starts_with('-')
        && !pin.ends_with('-')
}

fn invalid(message: String) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, message)
}

fn tls_error(error: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("cannot set up the gateway certificate: {error}"))
}

/// Generates a CA and the certificate of gateway `pin`, named `<pin>.local` only (no
/// IP address, no other name), valid from 1975 to 4096 (rcgen's defaults).
pub(crate) fn gateway_tls(pin: &str) -> io::Result<GatewayTls> {
    if !is_valid_pin(pin) {
        return Err(invalid(format!(
            "invalid gateway PIN {pin:?}: expected letters, digits and dashes (1234-5678-9012)"
        )));
    }
    let mut ca = CertificateParams::new(Vec::<String>::new()).map_err(tls_error)?;
    ca.distinguished_name
        .push(DnType::OrganizationName, "overkiz-sim");
    ca.distinguished_name.push(DnType::CommonName, CA_NAME);
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_key = KeyPair::generate().map_err(tls_error)?;
    let ca_pem = ca.self_signed(&ca_key).map_err(tls_error)?.pem();
    let issuer = Issuer::new(ca, ca_key);

    let name = format!("{pin}.local");
    let mut leaf = CertificateParams::new(vec![name.clone()]).map_err(tls_error)?;
    leaf.distinguished_name.push(DnType::CommonName, name);
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(tls_error)?;
    let cert = leaf.signed_by(&key, &issuer).map_err(tls_error)?;

    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .map_err(tls_error)?;
    // hyper serves HTTP/1.1 only.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(GatewayTls {
        ca_pem,
        acceptor: TlsAcceptor::from(Arc::new(config)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pins_are_host_name_labels() {
        let valid = ["1234-5678-9012"];
        let invalid = ["", "-1234", "1234-", "12_34", "1234.local"];
        for pin in valid.into_iter().chain(invalid) {
            assert_eq!(is_valid_pin(pin), valid.contains(&pin), "{pin:?}");
        }
        assert!(gateway_tls("not a pin").is_err());
    }

    #[test]
    fn a_gateway_gets_a_fresh_ca_in_pem() {
        let one = gateway_tls("1234-5678-9012").unwrap();
        let two = gateway_tls("1234-5678-9012").unwrap();
        assert!(one.ca_pem.starts_with("-----BEGIN CERTIFICATE-----"));
        assert_ne!(one.ca_pem, two.ca_pem, "each start generates its own CA");
    }
}
