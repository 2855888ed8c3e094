//! The HTTP server: accepts connections (over TLS in local API mode), reads each
//! request, applies the latency and faults, hands it to the control API, the cloud
//! routes or the gateway's, and records it in the request log.

use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Body;
use hyper::body::{Bytes, Incoming};
use hyper::header::{HeaderMap, HeaderName, HeaderValue};
use hyper::{Request, Response};
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

use crate::answer::{Answer, Call};
use crate::shared::{RequestRecord, Shared};
use crate::{control, local, routes, spec, ErrorFixture, Fault};
use crate::{API_PREFIX, CONTROL_PREFIX, LOCAL_API_PREFIX};

/// Request bodies are read up to this size (16 MiB); a larger one is refused unread.
pub const MAX_REQUEST_BYTES: usize = 16 * 1024 * 1024;

/// Accepts connections until aborted; aborting drops (and so aborts) the connections.
/// With `tls`, every connection starts with a TLS handshake (local API mode).
pub(crate) async fn serve(listener: TcpListener, shared: Arc<Shared>, tls: Option<TlsAcceptor>) {
    let mut connections = JoinSet::new();
    loop {
        let (stream, caller) = match listener.accept().await {
            Ok((stream, peer)) => (stream, peer.ip()),
            Err(_) => {
                // Out of file descriptors, ...: do not spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        // Forget the connections that ended.
        while connections.try_join_next().is_some() {}
        let shared = shared.clone();
        let tls = tls.clone();
        connections.spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let shared = shared.clone();
                handle(shared, caller, request)
            });
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                None => {
                    let _ = http
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                        .await;
                }
                // A failed handshake (untrusted certificate, ...) just ends the
                // connection, as on a gateway.
                Some(tls) => {
                    if let Ok(stream) = tls.accept(stream).await {
                        let _ = http
                            .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                            .await;
                    }
                }
            }
        });
    }
}

/// Makes hyper close the connection without answering.
#[derive(Debug)]
struct DropConnection;

impl std::fmt::Display for DropConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped on purpose")
    }
}

impl std::error::Error for DropConnection {}

async fn handle(
    shared: Arc<Shared>,
    caller: IpAddr,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    match request.uri().path().strip_prefix(CONTROL_PREFIX) {
        Some(path) => {
            let path = path.to_owned();
            Ok(control_call(&shared, caller, path, request).await)
        }
        None => api_call(&shared, request).await,
    }
}

/// A call of the [`control`] API: never subject to faults, latency or the log.
async fn control_call(
    shared: &Shared,
    caller: IpAddr,
    path: String,
    request: Request<Incoming>,
) -> Response<Full<Bytes>> {
    let given = header(request.headers(), hyper::header::AUTHORIZATION);
    let given = given.strip_prefix("Bearer ").map(str::trim);
    if !control::allowed(caller, shared.config.control_token.as_deref(), given) {
        // Refused before the body is read.
        return control::refused().into_response();
    }
    let method = request.method().as_str().to_owned();
    let query = request.uri().query().unwrap_or_default().to_owned();
    match read_body(request.into_body()).await {
        Ok(body) => control::answer(shared, &method, &path, &query, &body).into_response(),
        Err(()) => too_large().into_response(),
    }
}

/// Reads a request body of at most [`MAX_REQUEST_BYTES`]; `Err` when it is larger or
/// cut short. A body announced larger (`Content-Length`) is refused unread.
async fn read_body(body: Incoming) -> Result<Bytes, ()> {
    if body.size_hint().lower() > MAX_REQUEST_BYTES as u64 {
        return Err(());
    }
    match Limited::new(body, MAX_REQUEST_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(_) => Err(()),
    }
}

fn too_large() -> Answer {
    Answer::error(
        413,
        "INVALID_API_CALL",
        "Request body too large or incomplete",
    )
}

/// A call of the API (cloud or local): latency, fault, answer, log.
async fn api_call(
    shared: &Arc<Shared>,
    request: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, DropConnection> {
    let received = Instant::now();
    shared.requests.fetch_add(1, Ordering::SeqCst);
    let latency = shared.faults.latency();
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    let (parts, body) = request.into_parts();
    let uri_path = parts.uri.path().to_owned();
    let (local, path) = match uri_path.strip_prefix(API_PREFIX) {
        // A gateway serves no cloud API.
        Some(path) if shared.gateway.is_none() => (false, Some(path)),
        _ => (true, uri_path.strip_prefix(LOCAL_API_PREFIX)),
    };
    let route = path.and_then(|path| spec::route(parts.method.as_str(), path));
    let operation = route
        .as_ref()
        .map(|(op, _)| format!("{} {}", op.method, op.path));
    let mut record = RequestRecord {
        method: parts.method.as_str().to_owned(),
        path: path.unwrap_or(&uri_path).to_owned(),
        local: local && path.is_some(),
        operation: operation.clone(),
        status: None,
        documented: false,
        received,
    };
    let fault = shared.faults.take(operation.as_deref());
    let extra_headers = match &fault {
        Some(Fault::Answer { headers, .. }) => headers.clone(),
        _ => Vec::new(),
    };
    let body = match read_body(body).await {
        Ok(body) => body,
        // The connection drops once the request is read (or refused), as the fault
        // promises.
        Err(()) if fault == Some(Fault::DropConnection) => {
            shared.record(record);
            return Err(DropConnection);
        }
        // Too large, or cut short: nothing is done with it.
        Err(()) => {
            let answer = too_large();
            record.status = Some(answer.status);
            shared.record(record);
            return Ok(answer.into_response());
        }
    };
    let answer = match fault {
        Some(Fault::SessionExpired) => {
            // The sessions end just before the call is handled.
            shared.state().expire_sessions();
            None
        }
        Some(fault) => Some(fault_answer(fault)),
        None => None,
    };
    let answer = match (answer, path) {
        (Some(answer), _) => answer,
        (None, None) if shared.gateway.is_some() => Ok(local::outside_the_api()),
        (None, None) => Ok(Answer::error(404, "INVALID_API_CALL", "No such resource")),
        (None, Some(path)) => {
            let call = Call {
                local,
                method: parts.method.as_str().to_owned(),
                path: path.to_owned(),
                route,
                query: parts.uri.query().unwrap_or_default().to_owned(),
                cookie: session_cookie(&parts.headers),
                bearer: bearer(&parts.headers),
                body,
            };
            let (answer, documented) = answer_api(shared, call);
            record.documented = documented;
            Ok(answer)
        }
    };
    record.status = answer.as_ref().ok().map(|answer| answer.status);
    shared.record(record);
    answer.map(|answer| with_headers(answer.into_response(), extra_headers))
}

/// The answer of an API call without fault, and whether it is the documented example
/// rather than one from the state.
fn answer_api(shared: &Arc<Shared>, call: Call) -> (Answer, bool) {
    let mut documented = false;
    let foreign = call
        .bearer
        .as_ref()
        .is_some_and(|token| shared.foreign_tokens().contains(token));
    let answer = if foreign {
        // What a region answers a site token of another region.
        Answer::error(403, "RESOURCE_ACCESS_DENIED", "No such user account")
    } else if shared.gateway.is_some() {
        local::answer(shared, call, &mut documented)
    } else {
        routes::answer(shared, call, &mut documented)
    };
    (answer, documented)
}

/// Every value of header `name`, joined with `; `.
fn header(headers: &HeaderMap, name: HeaderName) -> String {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join("; ")
}

/// The `JSESSIONID` cookie, if sent.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    header(headers, hyper::header::COOKIE)
        .split(';')
        .filter_map(|pair| pair.trim().strip_prefix("JSESSIONID="))
        .map(str::to_owned)
        .next()
}

/// The `Authorization: Bearer` token, if sent.
fn bearer(headers: &HeaderMap) -> Option<String> {
    header(headers, hyper::header::AUTHORIZATION)
        .strip_prefix("Bearer ")
        .map(|token| token.trim().to_owned())
}

/// Adds `headers` (of a [`Fault::Answer`]) to `response`, leaving out a name or value
/// HTTP does not allow.
fn with_headers(
    mut response: Response<Full<Bytes>>,
    headers: Vec<(String, String)>,
) -> Response<Full<Bytes>> {
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// The answer of `fault`; `Err` closes the connection without one.
fn fault_answer(fault: Fault) -> Result<Answer, DropConnection> {
    Ok(match fault {
        Fault::Maintenance => ErrorFixture::MAINTENANCE.into(),
        Fault::RateLimit => ErrorFixture::TOO_MANY_REQUESTS.into(),
        Fault::DropConnection => return Err(DropConnection),
        // Handled before (the call is then answered normally, without a session).
        Fault::SessionExpired => Answer::error(401, "RESOURCE_ACCESS_DENIED", "Not authenticated"),
        Fault::Error(fixture) => fixture.into(),
        Fault::Answer {
            status,
            content_type,
            body,
            headers: _,
        } => Answer {
            status,
            content_type,
            body: body.into_bytes(),
            cookie: None,
        },
    })
}
