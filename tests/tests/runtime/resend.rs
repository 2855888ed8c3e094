//! What the network decides is bounded, and what acts is never sent twice: a raw TCP
//! server on 127.0.0.1 drops connections after reading the request, never answers,
//! streams an endless body, or announces a body it never sends; wiremock answers with
//! redirects.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::*;
use overkiz::{operations, Client, Credentials, Error, ErrorKind, Idempotency, Server};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// What the raw server does once it has read a whole request.
#[derive(Clone, Copy)]
enum Behaviour {
    /// Closes the connection without answering.
    Drop,
    /// Keeps the connection open and never answers.
    Silent,
    /// Answers `status` with an endless chunked body.
    Endless(u16),
    /// Announces a body of this many bytes (`Content-Length`), then sends none of it
    /// and keeps the connection open.
    Announce(usize),
}

/// A raw HTTP/1.1 server on 127.0.0.1 that counts the requests it read.
struct RawServer {
    url: String,
    requests: Arc<AtomicUsize>,
}

impl RawServer {
    async fn start(behaviour: Behaviour) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                let counter = counter.clone();
                tokio::spawn(serve(socket, behaviour, counter));
            }
        });
        RawServer { url, requests }
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn client(&self, timeout: Duration) -> Client {
        Client::builder(Server::custom(&self.url).unwrap(), Credentials::none())
            .retry_policy(fast_retries())
            .timeout(timeout)
            .max_response_bytes(1024 * 1024)
            .build()
            .unwrap()
    }
}

async fn serve(mut socket: TcpStream, behaviour: Behaviour, requests: Arc<AtomicUsize>) {
    // Read the head, then the body its Content-Length announces.
    let mut data = Vec::new();
    let mut buf = [0u8; 4096];
    let head_end = loop {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
        if let Some(end) = data.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&data[..head_end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    while data.len() < head_end + length {
        match socket.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => data.extend_from_slice(&buf[..n]),
        }
    }
    requests.fetch_add(1, Ordering::SeqCst);
    match behaviour {
        Behaviour::Drop => drop(socket),
        Behaviour::Silent => {
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
        Behaviour::Announce(length) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {length}\r\n\r\n"
            );
            if socket.write_all(head.as_bytes()).await.is_ok() {
                tokio::time::sleep(Duration::from_secs(30)).await;
            }
        }
        Behaviour::Endless(status) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n"
            );
            if socket.write_all(head.as_bytes()).await.is_err() {
                return;
            }
            let chunk = format!("{:x}\r\n{}\r\n", 8192, "x".repeat(8192));
            // Bounded: 512 MiB at most, far beyond any limit under test.
            for _ in 0..65_536 {
                if socket.write_all(chunk.as_bytes()).await.is_err() {
                    return;
                }
            }
        }
    }
}

#[tokio::test]
async fn a_firmware_update_is_never_resent_after_the_connection_drops() {
    let op = &operations::PUT_SETUP_DEVICES_BY_DEVICE_URL_UPDATE_FIRMWARE;
    assert_eq!(
        op.idempotency,
        Idempotency::Acts,
        "curated: a PUT that acts"
    );
    let server = RawServer::start(Behaviour::Drop).await;
    let client = server.client(Duration::from_secs(5));
    let error = client
        .request(op)
        .path_args([DEVICE_URL])
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error:?}");
    assert!(!error.is_retryable());
    assert!(
        matches!(&error, Error::OutcomeUnknown { cause, .. } if cause.kind() == ErrorKind::Transport)
    );
    assert_eq!(server.requests(), 1, "sent once");

    // The same failure on a read: resent, a bounded number of times.
    let before = server.requests();
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(error.is_retryable());
    assert_eq!(server.requests() - before, 3);

    // An idempotent write (a PUT that sets a label) is resent too.
    let label = &operations::PUT_SETUP_DEVICES_BY_DEVICE_URL_BY_LABEL;
    assert_eq!(label.idempotency, Idempotency::IdempotentWrite);
    let before = server.requests();
    client
        .request(label)
        .path_args([DEVICE_URL, "Kitchen"])
        .await
        .unwrap_err();
    assert_eq!(server.requests() - before, 3);
}

#[tokio::test]
async fn a_timeout_after_sending_a_command_is_outcome_unknown() {
    let server = RawServer::start(Behaviour::Silent).await;
    let client = server.client(Duration::from_millis(300));
    let error = client
        .request(&POST_EXEC_APPLY)
        .json(&serde_json::json!({"actions": []}))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::OutcomeUnknown, "{error:?}");
    assert!(
        matches!(&error, Error::OutcomeUnknown { cause, .. } if cause.kind() == ErrorKind::Timeout)
    );
    assert_eq!(server.requests(), 1);
}

#[tokio::test]
async fn a_refused_connection_is_not_an_unknown_outcome() {
    // A port nobody listens on: the request provably never left.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::builder(Server::custom(&url).unwrap(), Credentials::none())
        .retry_policy(fast_retries())
        .build()
        .unwrap();
    let error = client
        .request(&POST_EXEC_APPLY)
        .json(&serde_json::json!({"actions": []}))
        .await
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transport, "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn endless_answers_stop_at_the_limit() {
    let server = RawServer::start(Behaviour::Endless(200)).await;
    let client = server.client(Duration::from_secs(20));
    let started = Instant::now();
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error:?}");
    assert!(matches!(
        error,
        Error::ResponseTooLarge {
            limit: 1_048_576,
            ..
        }
    ));
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        server.requests(),
        1,
        "not resent: it would be as large again"
    );

    // Error answers are cut at 64 KiB and still classified.
    let server = RawServer::start(Behaviour::Endless(500)).await;
    let client = Client::builder(Server::custom(&server.url).unwrap(), Credentials::none())
        .retry_policy(overkiz::RetryPolicy::disabled())
        .build()
        .unwrap();
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unavailable, "{error:?}");
}

/// A declared length over the limit is refused from the head alone: the server sends
/// no byte of the body, so a client that read it before failing would wait for its
/// timeout instead.
#[tokio::test]
async fn a_declared_length_over_the_limit_is_refused_unread() {
    let server = RawServer::start(Behaviour::Announce(2 * 1024 * 1024)).await;
    let client = server.client(Duration::from_secs(10));
    let started = Instant::now();
    let error = client.request(&GET_SETUP).await.unwrap_err();
    assert_eq!(error.kind(), ErrorKind::ResponseTooLarge, "{error:?}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(server.requests(), 1, "not resent");
    // The default is generous for the largest real setups.
    assert_eq!(overkiz::DEFAULT_MAX_RESPONSE_BYTES, 64 * 1024 * 1024);
}

/// A redirect is never followed: the login form (with the password) never reaches
/// another server, and same-origin ones are reported too.
#[tokio::test]
async fn redirects_are_never_followed() {
    let elsewhere = MockServer::start().await;
    let server = MockServer::start().await;
    for status in [301, 302, 303, 307, 308] {
        server.reset().await;
        Mock::given(method("POST"))
            .and(path("/login"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("location", format!("{}/steal", elsewhere.uri()).as_str()),
            )
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/setup"))
            .respond_with(
                ResponseTemplate::new(status)
                    .insert_header("location", format!("{}/other", server.uri()).as_str()),
            )
            .mount(&server)
            .await;
        let client = crate::support::client(&server, Credentials::password(USER, PASSWORD));
        let error = client.login().await.unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Redirect, "{status}: {error:?}");
        assert_eq!(error.status(), Some(status));
        let bearer = crate::support::client(&server, Credentials::bearer(TOKEN));
        let error = bearer.request(&GET_SETUP).await.unwrap_err();
        assert!(matches!(error, Error::Redirected { .. }), "{error:?}");
        assert_eq!(count(&server, "GET", "/other").await, 0);
    }
    assert!(elsewhere.received_requests().await.unwrap().is_empty());
}

/// `..` as an execution id would turn "cancel this execution" into "cancel all
/// executions": dot segments are refused before anything is sent.
#[tokio::test]
async fn dot_path_arguments_are_refused_before_sending() {
    let server = MockServer::start().await;
    let client = crate::support::client(&server, Credentials::bearer(TOKEN));
    for arg in ["..", "."] {
        let error = client
            .delete_exec_current_setup_by_exec_id(arg)
            .await
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidRequest, "{arg}: {error:?}");
    }
    // Other dots are data, encoded into one segment.
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    client
        .delete_exec_current_setup_by_exec_id("%2e%2e")
        .await
        .unwrap();
    let requests = server.received_requests().await.unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].url.path(), "/exec/current/setup/%252e%252e");
}
