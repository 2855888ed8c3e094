//! The local API over real TLS on 127.0.0.1: a test CA plays the Overkiz root CA and
//! signs a gateway certificate named `<pin>.local`, as real gateways do, while the
//! client reaches the gateway by IP address.

use std::sync::{Arc, Mutex};

use crate::support::*;
use overkiz::{
    Client, ClientBuilder, Credentials, ErrorKind, HttpMethod, OperationInfo, ResponseKind,
    RetryPolicy, Server,
};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio_rustls::rustls::ServerConfig;
use tokio_rustls::TlsAcceptor;

const PIN: &str = "1234-5678-9012";
static GET_API_VERSION: OperationInfo = op(
    "get_api_version",
    HttpMethod::Get,
    "/apiVersion",
    ResponseKind::Json,
);

struct TestCa {
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

fn test_ca(name: &str) -> TestCa {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    params.distinguished_name.push(DnType::CommonName, name);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let key = KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    TestCa {
        pem: cert.pem(),
        issuer: Issuer::new(params, key),
    }
}

/// A gateway answering every request with a JSON body, recording request heads.
struct Gateway {
    port: u16,
    heads: Arc<Mutex<Vec<String>>>,
}

async fn gateway(ca: &TestCa, names: &[&str]) -> Gateway {
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        .unwrap()
        .signed_by(&key, &ca.issuer)
        .unwrap();
    let chain = vec![CertificateDer::from(cert.der().to_vec())];
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(chain, key)
        .unwrap();
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let heads = Arc::new(Mutex::new(Vec::new()));
    let recorded = heads.clone();
    // Ends with the test's runtime.
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            let recorded = recorded.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(tcp).await else {
                    return;
                };
                let mut head = Vec::new();
                let mut buf = [0u8; 1024];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tls.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                recorded
                    .lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&head).into_owned());
                let body = r#"{"protocolVersion":"2025.1.4-11"}"#;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tls.write_all(answer.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    Gateway { port, heads }
}

fn builder(gateway: &Gateway, pin: &str) -> ClientBuilder {
    let server = Server::local_at(pin, &format!("127.0.0.1:{}", gateway.port)).unwrap();
    Client::builder(server, Credentials::bearer(TOKEN)).retry_policy(RetryPolicy::disabled())
}

#[tokio::test]
async fn gateway_certificate_named_pin_local_is_accepted_by_ip() {
    let ca = test_ca("Test Overkiz Root CA");
    let gateway = gateway(&ca, &[&format!("{PIN}.local")]).await;
    let client = builder(&gateway, PIN)
        .add_gateway_root_certificate(ca.pem.as_bytes())
        .build()
        .unwrap();

    let version: serde_json::Value = client
        .request(&GET_API_VERSION)
        .await
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(version["protocolVersion"], "2025.1.4-11");

    let heads = gateway.heads.lock().unwrap().clone();
    assert_eq!(heads.len(), 1);
    assert!(
        heads[0].starts_with("GET /enduser-mobile-web/1/enduserAPI/apiVersion HTTP/1.1\r\n"),
        "{}",
        heads[0]
    );
    assert!(heads[0].to_ascii_lowercase().contains(&format!(
        "authorization: bearer {}",
        TOKEN.to_ascii_lowercase()
    )));
    assert!(!heads[0].to_ascii_lowercase().contains("cookie"));
}

/// Another gateway's certificate (signed by the trusted CA), and a certificate of
/// the right name from an untrusted CA (only the bundled Overkiz root CA is trusted
/// by default): refused before any request is sent.
#[tokio::test]
async fn another_gateways_or_an_untrusted_certificate_is_refused() {
    let trusted = test_ca("Test Overkiz Root CA");
    let rogue = test_ca("Rogue CA");
    let own_name = format!("{PIN}.local");
    for (case, ca, name, trust) in [
        ("another gateway", &trusted, "9999-9999-9999.local", true),
        ("an untrusted CA", &rogue, own_name.as_str(), false),
    ] {
        let gateway = gateway(ca, &[name]).await;
        let builder = builder(&gateway, PIN);
        let builder = if trust {
            builder.add_gateway_root_certificate(trusted.pem.as_bytes())
        } else {
            builder
        };
        let error = builder
            .build()
            .unwrap()
            .request(&GET_API_VERSION)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Transport, "{case}: {error:?}");
        assert!(
            gateway.heads.lock().unwrap().is_empty(),
            "{case}: no request may be sent"
        );
    }
}

#[tokio::test]
async fn verification_can_be_turned_off_explicitly() {
    let ca = test_ca("Rogue CA");
    let gateway = gateway(&ca, &["anything.example"]).await;
    let client = builder(&gateway, PIN)
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    client.request(&GET_API_VERSION).await.unwrap();
    assert_eq!(gateway.heads.lock().unwrap().len(), 1);
}
