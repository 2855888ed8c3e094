//! TLS for the gateway's local API.
//!
//! Gateways present certificates signed by the Overkiz root CA and named `<pin>.local`,
//! while they are reached as `gateway-<pin>.local` (or by IP address). Standard host
//! name checking therefore fails; this module checks the chain against the Overkiz CA
//! and then accepts either the host name used or `<pin>.local`. Nothing else is
//! relaxed. Cloud servers do not use this module: they keep reqwest's web PKI roots.

use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::{
    verify_tls12_signature, verify_tls13_signature, CryptoProvider, WebPkiSupportedAlgorithms,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};

use crate::error::Error;

/// The Overkiz root CA (`O=Overkiz, CN=Overkiz Root CA`, valid until 2036), PEM.
pub(crate) const OVERKIZ_ROOT_CA_PEM: &[u8] =
    include_bytes!("../../certs/overkiz-root-ca-2048.crt");

/// True when `pin` can be part of a host name (`1234-5678-9012`).
pub(crate) fn is_valid_pin(pin: &str) -> bool {
    !pin.is_empty()
        && pin.len() <= 63
        && pin.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !pin.starts_with('-')
        && !pin.ends_with('-')
}

/// The name a gateway's certificate carries: `<pin>.local`.
pub(crate) fn gateway_cert_name(pin: &str) -> String {
    format!("{pin}.local")
}

/// The PIN in a gateway host name: `gateway-1234-5678-9012.local` → `1234-5678-9012`.
pub(crate) fn pin_from_gateway_host(host: &str) -> Option<&str> {
    let host = host.strip_suffix('.').unwrap_or(host);
    let lower = host.to_ascii_lowercase();
    if !lower.starts_with("gateway-") || !lower.ends_with(".local") {
        return None;
    }
    let pin = host.get("gateway-".len()..host.len() - ".local".len())?;
    is_valid_pin(pin).then_some(pin)
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Parses every certificate of a PEM bundle.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<CertificateDer<'static>>, Error> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Error::config(format!("invalid PEM certificate: {e}")))?;
    if certs.is_empty() {
        return Err(Error::config("no certificate in PEM data"));
    }
    Ok(certs)
}

/// Accepts a gateway certificate named `<pin>.local` or after the host actually used,
/// provided its chain leads to one of the trusted roots.
#[derive(Debug)]
pub(crate) struct GatewayCertVerifier {
    inner: Arc<WebPkiServerVerifier>,
    cert_name: ServerName<'static>,
}

impl GatewayCertVerifier {
    /// A verifier for the gateway `pin` trusting `roots` (DER).
    pub(crate) fn new(
        pin: &str,
        roots: &[CertificateDer<'static>],
    ) -> Result<GatewayCertVerifier, Error> {
        let mut store = RootCertStore::empty();
        for root in roots {
            store
                .add(root.clone())
                .map_err(|e| Error::config(format!("invalid root certificate: {e}")))?;
        }
        let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider())
            .build()
            .map_err(|e| Error::config(format!("cannot build the certificate verifier: {e}")))?;
        let cert_name = ServerName::try_from(gateway_cert_name(pin))
            .map_err(|e| Error::config(format!("invalid gateway PIN {pin:?}: {e}")))?;
        Ok(GatewayCertVerifier { inner, cert_name })
    }
}

fn is_name_error(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }
        )
    )
}

impl ServerCertVerifier for GatewayCertVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        // Chain, validity and usage are checked by webpki in both calls; only the name
        // differs. A chain error is returned at once, whatever the name.
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(error) if is_name_error(&error) => self.inner.verify_server_cert(
                end_entity,
                intermediates,
                &self.cert_name,
                ocsp_response,
                now,
            ),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// Accepts any certificate (still checking the handshake signatures, so the
/// connection is encrypted, just not authenticated). Only behind
/// `ClientBuilder::danger_accept_invalid_certs(true)`.
#[derive(Debug)]
struct AcceptAnyCert {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AcceptAnyCert {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// The rustls configuration for the gateway `pin`: Overkiz root CA plus `extra_roots`
/// (PEM bundles), gateway name mapping; or no verification at all when
/// `accept_invalid_certs` is set.
pub(crate) fn gateway_client_config(
    pin: &str,
    extra_roots: &[Vec<u8>],
    accept_invalid_certs: bool,
) -> Result<rustls::ClientConfig, Error> {
    let provider = provider();
    let verifier: Arc<dyn ServerCertVerifier> = if accept_invalid_certs {
        Arc::new(AcceptAnyCert {
            algorithms: provider.signature_verification_algorithms,
        })
    } else {
        let mut roots = parse_pem_certificates(OVERKIZ_ROOT_CA_PEM)?;
        for pem in extra_roots {
            roots.extend(parse_pem_certificates(pem)?);
        }
        Arc::new(GatewayCertVerifier::new(pin, &roots)?)
    };
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::config(format!("cannot configure TLS: {e}")))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};

    #[test]
    fn name_mapping() {
        assert_eq!(gateway_cert_name("1234-5678-9012"), "1234-5678-9012.local");
        assert_eq!(
            pin_from_gateway_host("gateway-1234-5678-9012.local"),
            Some("1234-5678-9012")
        );
        assert_eq!(
            pin_from_gateway_host("GATEWAY-1234-5678-9012.LOCAL"),
            Some("1234-5678-9012")
        );
        assert_eq!(
            pin_from_gateway_host("gateway-1234-5678-9012.local."),
            Some("1234-5678-9012")
        );
        assert_eq!(pin_from_gateway_host("1234-5678-9012.local"), None);
        assert_eq!(pin_from_gateway_host("gateway-.local"), None);
        assert_eq!(pin_from_gateway_host("gateway-a.b.local"), None);
        assert_eq!(pin_from_gateway_host("ha101-1.overkiz.com"), None);
        assert_eq!(pin_from_gateway_host("gateway-1234.lan"), None);
        assert!(is_valid_pin("1234-5678-9012"));
        assert!(!is_valid_pin(""));
        assert!(!is_valid_pin("-1234"));
        assert!(!is_valid_pin("12_34"));
    }

    #[test]
    fn bundled_overkiz_ca_parses_and_builds_a_config() {
        let certs = parse_pem_certificates(OVERKIZ_ROOT_CA_PEM).unwrap();
        assert_eq!(certs.len(), 1);
        gateway_client_config("1234-5678-9012", &[], false).unwrap();
        gateway_client_config("1234-5678-9012", &[], true).unwrap();
        assert!(parse_pem_certificates(b"not a certificate").is_err());
    }

    struct Ca {
        der: CertificateDer<'static>,
        issuer: Issuer<'static, KeyPair>,
    }

    fn ca(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        Ca {
            der: cert.der().clone(),
            issuer: Issuer::new(params, key),
        }
    }

    fn leaf(ca: &Ca, names: &[&str]) -> CertificateDer<'static> {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let params = CertificateParams::new(names).unwrap();
        let key = KeyPair::generate().unwrap();
        params.signed_by(&key, &ca.issuer).unwrap().der().clone()
    }

    fn verify(
        verifier: &GatewayCertVerifier,
        cert: &CertificateDer<'_>,
        host: &str,
    ) -> Result<(), rustls::Error> {
        let name = ServerName::try_from(host.to_owned()).unwrap();
        verifier
            .verify_server_cert(cert, &[], &name, &[], UnixTime::now())
            .map(|_| ())
    }

    #[test]
    fn verifier_accepts_pin_name_and_real_host_but_nothing_else() {
        let trusted = ca("Test Overkiz Root CA");
        let verifier =
            GatewayCertVerifier::new("1234-5678-9012", std::slice::from_ref(&trusted.der)).unwrap();

        // The real gateway's case: certificate `<pin>.local`, host `gateway-<pin>.local`.
        let gateway = leaf(&trusted, &["1234-5678-9012.local"]);
        verify(&verifier, &gateway, "gateway-1234-5678-9012.local").unwrap();
        // Reached by IP address: the PIN name still matches.
        verify(&verifier, &gateway, "192.168.1.20").unwrap();
        // A certificate naming the host actually used is fine too.
        let by_host = leaf(&trusted, &["gateway-1234-5678-9012.local"]);
        verify(&verifier, &by_host, "gateway-1234-5678-9012.local").unwrap();

        // Another gateway's certificate is refused.
        let other = leaf(&trusted, &["9999-9999-9999.local"]);
        let err = verify(&verifier, &other, "gateway-1234-5678-9012.local").unwrap_err();
        assert!(is_name_error(&err), "{err:?}");

        // The right name signed by an untrusted CA is refused.
        let rogue = ca("Rogue CA");
        let forged = leaf(&rogue, &["1234-5678-9012.local"]);
        let err = verify(&verifier, &forged, "gateway-1234-5678-9012.local").unwrap_err();
        assert!(
            matches!(
                err,
                rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)
            ),
            "{err:?}"
        );
    }

    #[test]
    fn the_real_overkiz_ca_does_not_trust_a_test_ca_leaf() {
        let roots = parse_pem_certificates(OVERKIZ_ROOT_CA_PEM).unwrap();
        let verifier = GatewayCertVerifier::new("1234-5678-9012", &roots).unwrap();
        let test_ca = ca("Not Overkiz");
        let cert = leaf(&test_ca, &["1234-5678-9012.local"]);
        assert!(verify(&verifier, &cert, "gateway-1234-5678-9012.local").is_err());
    }
}
