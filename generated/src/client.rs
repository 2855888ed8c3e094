//! The client: one shared [`Client::execute`] that every generated operation calls.
//!
//! It builds the URL from the operation's path template, signs in lazily, sends the
//! call, maps error answers to [`Error`], retries what is safe to retry and renews an
//! expired session once. One `debug` span per HTTP request records the method, the
//! path *template* (never the real path or query, which may carry ids), the status and
//! the latency; nothing else about the request is logged.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use tracing::Instrument;

use crate::auth::{Credentials, CredentialsKind, LoginForm, Secret};
use crate::error::{ApiError, Error, ErrorCode};
use crate::operation::{HttpMethod, OperationInfo, RateLimit};
use crate::request::{Body, RawResponse, Request};
use crate::retry::RetryPolicy;
use crate::server::{Server, ServerKind};
use crate::tls;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of a whole request (connect, send, answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// Characters escaped in path arguments and query values: everything but the
/// unreserved characters of RFC 3986, so a `deviceURL` such as
/// `io://1234-5678-9012/12345678#2` stays one path segment.
const ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `POST /login`, used to open a session.
static LOGIN: &OperationInfo = &crate::operations::POST_LOGIN;

/// Configures and builds a [`Client`].
///
/// ```no_run
/// # async fn demo() -> Result<(), overkiz::Error> {
/// use std::time::Duration;
/// use overkiz::{Client, Credentials, RetryPolicy, Server};
/// let client = Client::builder(Server::somfy_europe(), Credentials::password("me@example.com", "secret"))
///     .timeout(Duration::from_secs(30))
///     .retry_policy(RetryPolicy::default().with_max_attempts(5))
///     .build()?;
/// # Ok(()) }
/// ```
#[must_use]
#[derive(Clone)]
pub struct ClientBuilder {
    server: Server,
    credentials: Credentials,
    connect_timeout: Duration,
    timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
    gateway_roots: Vec<Vec<u8>>,
    accept_invalid_certs: bool,
}

impl fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("server", &self.server)
            .field("credentials", &self.credentials)
            .field("connect_timeout", &self.connect_timeout)
            .field("timeout", &self.timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("gateway_roots", &self.gateway_roots.len())
            .field("accept_invalid_certs", &self.accept_invalid_certs)
            .finish()
    }
}

impl ClientBuilder {
    fn new(server: Server, credentials: Credentials) -> ClientBuilder {
        ClientBuilder {
            server,
            credentials,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            timeout: DEFAULT_TIMEOUT,
            retry: RetryPolicy::default(),
            user_agent: concat!("overkiz-rs/", env!("CARGO_PKG_VERSION")).to_owned(),
            gateway_roots: Vec::new(),
            accept_invalid_certs: false,
        }
    }

    /// Longest time to open a connection (default 10 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.connect_timeout = timeout;
        self
    }

    /// Longest time for a whole request, from connecting to the end of the answer
    /// (default 60 s).
    pub fn timeout(mut self, timeout: Duration) -> ClientBuilder {
        self.timeout = timeout;
        self
    }

    /// How failed calls are retried (default [`RetryPolicy::default`]; use
    /// [`RetryPolicy::disabled`] to send every call once).
    pub fn retry_policy(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header (default `overkiz-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = user_agent.into();
        self
    }

    /// Trusts another CA (PEM) for a local gateway, besides the bundled Overkiz root
    /// CA. The gateway name rules stay the same. Has no effect on cloud servers.
    pub fn add_gateway_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> ClientBuilder {
        self.gateway_roots.push(pem.into());
        self
    }

    /// Accepts any TLS certificate: the connection is still encrypted but the server is
    /// not authenticated, so anyone on the path can read your token. Only for
    /// troubleshooting a gateway; off by default.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> ClientBuilder {
        self.accept_invalid_certs = accept;
        self
    }

    /// Builds the client. Fails on an invalid certificate or TLS setup; does not
    /// contact the server (login happens on the first call).
    pub fn build(self) -> Result<Client, Error> {
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.as_str())
            // The session lives in the JSESSIONID cookie. With a bearer token no cookie
            // may be sent: the server refuses requests carrying both.
            .cookie_store(!self.credentials.is_bearer());
        if self.server.is_local() || is_loopback(self.server.base_url()) {
            // A proxy cannot reach a gateway on the local network, nor our loopback.
            http = http.no_proxy();
        }
        match &self.server.kind {
            ServerKind::Local { pin } if self.server.base_url().starts_with("https:") => {
                let config = tls::gateway_client_config(
                    pin,
                    &self.gateway_roots,
                    self.accept_invalid_certs,
                )?;
                http = http.use_preconfigured_tls(config);
            }
            _ => {
                if self.accept_invalid_certs {
                    http = http.danger_accept_invalid_certs(true);
                }
            }
        }
        let http = http.build().map_err(|e| {
            Error::config(format!("cannot build the HTTP client: {}", e.without_url()))
        })?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                server: self.server,
                credentials: self.credentials,
                retry: self.retry,
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                login_lock: tokio::sync::Mutex::new(()),
                session: Mutex::new(Session::default()),
            }),
        })
    }
}

fn is_loopback(base_url: &str) -> bool {
    url::Url::parse(base_url)
        .ok()
        .is_some_and(|url| match url.host() {
            Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
            Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
            Some(url::Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
            None => false,
        })
}

/// The current sign-in state. `generation` counts logins, so that concurrent calls
/// failing with the same expired session renew it once.
#[derive(Clone, Default)]
struct Session {
    generation: u64,
    bearer: Option<Secret>,
}

struct Inner {
    http: reqwest::Client,
    server: Server,
    credentials: Credentials,
    retry: RetryPolicy,
    connect_timeout: Duration,
    timeout: Duration,
    /// Held while logging in, so that only one login runs at a time.
    login_lock: tokio::sync::Mutex<()>,
    session: Mutex<Session>,
}

/// A client of one Overkiz server. Cheap to clone: clones share the connection pool
/// and the session.
///
/// Every documented operation is a method of this type (generated); they all go
/// through one runtime function, which signs in on the first call, renews an expired
/// session once, and retries idempotent calls after transient failures.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.inner.server)
            .field("credentials", &self.inner.credentials)
            .field("retry", &self.inner.retry)
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("timeout", &self.inner.timeout)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with default settings; see [`Client::builder`] for the others.
    pub fn new(server: Server, credentials: Credentials) -> Result<Client, Error> {
        ClientBuilder::new(server, credentials).build()
    }

    /// A builder to set timeouts, retries and TLS options.
    pub fn builder(server: Server, credentials: Credentials) -> ClientBuilder {
        ClientBuilder::new(server, credentials)
    }

    /// The server this client talks to.
    pub fn server(&self) -> &Server {
        &self.inner.server
    }

    /// The retry policy in force.
    pub fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    /// The documented rate limit of an operation. The client does not enforce it;
    /// callers that poll should stay above [`RateLimit::min_interval`].
    ///
    /// ```
    /// use overkiz::{operations, Client};
    /// let limit = Client::rate_limit(&operations::POST_EXEC_APPLY).expect("documented");
    /// assert_eq!(limit.category, "exec");
    /// assert_eq!(limit.min_interval().as_secs(), 1728); // 28 min 48 s
    /// ```
    pub fn rate_limit(op: &OperationInfo) -> Option<RateLimit> {
        op.rate_limit
    }

    /// Signs in now (opening a new session, or fetching a new token from a
    /// [`crate::TokenSource`]) instead of on the first call, e.g. to check the
    /// credentials at start-up. Does nothing for bearer tokens.
    pub async fn login(&self) -> Result<(), Error> {
        if self.inner.credentials.is_renewable() {
            let seen = self.inner.session_state().generation;
            self.inner.renew(seen).await?;
        }
        Ok(())
    }

    /// Sends one documented operation and returns its raw successful answer.
    ///
    /// Generated methods call this; it is public for operations the documentation
    /// lacks. Path arguments are percent-encoded; empty ones are refused.
    #[doc(hidden)]
    pub async fn execute(&self, request: Request) -> Result<RawResponse, Error> {
        let op = request.op;
        let inner = &*self.inner;
        let url = inner.url(&request)?;
        let body = request.body.as_ref();
        let retry = op.method.is_idempotent();
        let session = inner.current_session().await?;
        match inner
            .send(op, &url, body, session.bearer.as_ref(), retry)
            .await
        {
            Err(error) if error.kind().needs_login() && inner.credentials.is_renewable() => {
                // The session expired: sign in again once and resend once. A second
                // failure is returned as is.
                tracing::debug!(
                    method = op.method.as_str(),
                    path = op.path,
                    "session expired; signing in again"
                );
                let session = inner.renew(session.generation).await?;
                inner
                    .send(op, &url, body, session.bearer.as_ref(), retry)
                    .await
            }
            other => other,
        }
    }
}

/// The runtime itself, kept off [`Client`] so that no private helper can clash with a
/// generated operation method.
impl Inner {
    /// `base URL + path template` with each `{placeholder}` replaced, in order, by the
    /// encoded path argument, then the encoded query.
    fn url(&self, request: &Request) -> Result<reqwest::Url, Error> {
        let op = request.op;
        let mut url = String::from(self.server.base_url());
        let mut args = request.path_args.iter();
        let mut rest = op.path;
        while let Some(start) = rest.find('{') {
            let Some(len) = rest[start..].find('}') else {
                return Err(Error::invalid_request(
                    op,
                    "unclosed placeholder in the path template",
                ));
            };
            let Some(arg) = args.next() else {
                return Err(Error::invalid_request(op, "missing path argument"));
            };
            if arg.is_empty() {
                return Err(Error::invalid_request(op, "empty path argument"));
            }
            url.push_str(&rest[..start]);
            url.extend(utf8_percent_encode(arg, ENCODE_SET));
            rest = &rest[start + len + 1..];
        }
        url.push_str(rest);
        if args.next().is_some() {
            return Err(Error::invalid_request(op, "too many path arguments"));
        }
        for (i, (name, value)) in request.query.iter().enumerate() {
            url.push(if i == 0 { '?' } else { '&' });
            url.extend(utf8_percent_encode(name, ENCODE_SET));
            url.push('=');
            url.extend(utf8_percent_encode(value, ENCODE_SET));
        }
        reqwest::Url::parse(&url)
            .map_err(|e| Error::invalid_request(op, format!("invalid URL: {e}")))
    }

    fn session_state(&self) -> Session {
        lock(&self.session).clone()
    }

    /// The session to use, signing in first if it never was.
    async fn current_session(&self) -> Result<Session, Error> {
        match &self.credentials.kind {
            CredentialsKind::None => Ok(Session::default()),
            CredentialsKind::Bearer(token) => Ok(Session {
                generation: 0,
                bearer: Some(token.clone()),
            }),
            CredentialsKind::Login(_) | CredentialsKind::Source(_) => {
                let session = self.session_state();
                if session.generation > 0 {
                    Ok(session)
                } else {
                    self.renew(0).await
                }
            }
        }
    }

    /// Signs in again unless another call already did since `seen` was current.
    async fn renew(&self, seen: u64) -> Result<Session, Error> {
        let _guard = self.login_lock.lock().await;
        let current = self.session_state();
        if current.generation != seen {
            return Ok(current);
        }
        let bearer = self.sign_in().await?;
        let mut session = lock(&self.session);
        session.generation = current.generation + 1;
        session.bearer = bearer;
        Ok(session.clone())
    }

    /// Runs the sign-in flow; returns the bearer token to use, if any.
    async fn sign_in(&self) -> Result<Option<Secret>, Error> {
        match &self.credentials.kind {
            CredentialsKind::Login(form) => self.send_login_form(form).await.map(|()| None),
            CredentialsKind::Source(source) => {
                let fresh = source
                    .credentials()
                    .await
                    .map_err(|source| Error::TokenSource { source })?;
                match fresh.kind {
                    CredentialsKind::Login(form) => self.send_login_form(&form).await.map(|()| None),
                    CredentialsKind::Bearer(token) => Ok(Some(token)),
                    CredentialsKind::None => Ok(None),
                    CredentialsKind::Source(_) => {
                        Err(Error::config("a token source must return a login form or a bearer token, not another source"))
                    }
                }
            }
            CredentialsKind::None | CredentialsKind::Bearer(_) => Ok(None),
        }
    }

    /// `POST /login`; the session cookie it sets is kept by the cookie store.
    async fn send_login_form(&self, form: &LoginForm) -> Result<(), Error> {
        let url = self.url(&Request::new(LOGIN))?;
        let body = Body::Form(form.fields());
        // Logging in twice is harmless, so transient failures are retried.
        let response = self.send(LOGIN, &url, Some(&body), None, true).await?;
        let refused = serde_json::from_slice::<serde_json::Value>(&response.body)
            .ok()
            .and_then(|v| v.get("success").and_then(|s| s.as_bool()))
            == Some(false);
        if refused {
            let error = ApiError::new(
                response.status,
                Some(ErrorCode::AuthenticationError),
                "login refused (success: false)",
            );
            return Err(Error::Api {
                operation: LOGIN,
                error,
            });
        }
        Ok(())
    }

    /// Sends a call, retrying transient failures when `retry` allows.
    async fn send(
        &self,
        op: &'static OperationInfo,
        url: &reqwest::Url,
        body: Option<&Body>,
        bearer: Option<&Secret>,
        retry: bool,
    ) -> Result<RawResponse, Error> {
        let policy = &self.retry;
        let mut attempt = 1;
        loop {
            let error = match self.send_once(op, url, body, bearer, attempt).await {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            if !retry || attempt >= policy.max_attempts() || !is_transient(&error) {
                return Err(error);
            }
            // A server asking for a long wait gets its error back rather than a
            // sleeping client.
            let Some(delay) = policy.delay(attempt, error.retry_after()) else {
                return Err(error);
            };
            tracing::debug!(
                method = op.method.as_str(),
                path = op.path,
                attempt,
                kind = ?error.kind(),
                delay_ms = delay.as_millis() as u64,
                "transient failure; retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Sends one HTTP request.
    async fn send_once(
        &self,
        op: &'static OperationInfo,
        url: &reqwest::Url,
        body: Option<&Body>,
        bearer: Option<&Secret>,
        attempt: u32,
    ) -> Result<RawResponse, Error> {
        let span = tracing::debug_span!(
            "overkiz_request",
            method = op.method.as_str(),
            path = op.path,
            attempt,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        async {
            let mut builder = self.http.request(reqwest_method(op.method), url.clone());
            if let Some(token) = bearer {
                // `bearer_auth` marks the header sensitive.
                builder = builder.bearer_auth(token.expose());
            }
            builder = match body {
                None => builder,
                Some(Body::Json(bytes)) => builder
                    .header(reqwest::header::CONTENT_TYPE, "application/json")
                    .body(bytes.clone()),
                Some(Body::Form(fields)) => builder.form(fields),
                Some(Body::Multipart { field, upload }) => {
                    let part = reqwest::multipart::Part::bytes(upload.bytes.clone())
                        .file_name(upload.file_name.clone())
                        .mime_str(&upload.mime_type)
                        .map_err(|_| {
                            Error::invalid_request(
                                op,
                                format!("invalid MIME type {:?}", upload.mime_type),
                            )
                        })?;
                    builder.multipart(reqwest::multipart::Form::new().part(*field, part))
                }
            };
            let result = async {
                let response = builder.send().await?;
                let status = response.status().as_u16();
                let retry_after = parse_retry_after(response.headers());
                let bytes = response.bytes().await?;
                Ok::<_, reqwest::Error>((status, retry_after, bytes))
            }
            .await;
            let latency_ms = started.elapsed().as_millis() as u64;
            let span = tracing::Span::current();
            let (status, retry_after, bytes) = match result {
                Ok(answer) => answer,
                Err(error) => {
                    span.record("latency_ms", latency_ms);
                    let error = Error::from_reqwest(op, error);
                    tracing::debug!(latency_ms, kind = ?error.kind(), "request failed");
                    return Err(error);
                }
            };
            span.record("status", status);
            span.record("latency_ms", latency_ms);
            tracing::debug!(status, latency_ms, "response");
            if (200..300).contains(&status) {
                Ok(RawResponse {
                    op,
                    status,
                    body: bytes.to_vec(),
                })
            } else {
                Err(Error::from_response(op, status, retry_after, &bytes))
            }
        }
        .instrument(span)
        .await
    }
}

/// Failures after which an idempotent call may be sent again at once: nothing was
/// done by the server.
fn is_transient(error: &Error) -> bool {
    match error {
        Error::Transport { .. } => true,
        Error::Timeout { connect, .. } => *connect,
        Error::Unavailable { status, .. } => matches!(status, 502..=504),
        other => other.kind() == crate::ErrorKind::TooManyConcurrentRequests,
    }
}

fn reqwest_method(method: HttpMethod) -> reqwest::Method {
    match method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Delete => reqwest::Method::DELETE,
        HttpMethod::Patch => reqwest::Method::PATCH,
    }
}

/// `Retry-After: <seconds>` or `Retry-After: <HTTP date>`.
fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// Locks a mutex, ignoring poisoning: the session state stays consistent.
fn lock(mutex: &Mutex<Session>) -> MutexGuard<'_, Session> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operation::ResponseKind;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    static DEVICE: OperationInfo = OperationInfo {
        name: "get_setup_device",
        method: HttpMethod::Get,
        path: "/setup/devices/{deviceURL}/states/{name}",
        summary: "",
        deprecated_since: None,
        rate_limit: None,
        status: 200,
        response: ResponseKind::Json,
        content_type: "application/json",
        events: &[],
        idempotency: crate::Idempotency::SafeRead,
    };

    fn client() -> Client {
        Client::new(
            Server::custom("http://127.0.0.1:1/api").unwrap(),
            Credentials::none(),
        )
        .unwrap()
    }

    #[test]
    fn urls_encode_path_arguments_and_query() {
        let args = ["io://1234-5678-9012/12345678#2", "core:ClosureState"];
        let request = Request::new(&DEVICE)
            .path(&args)
            .query("q", Some("a b&c=d/é".into()));
        let url = client().inner.url(&request).unwrap();
        assert_eq!(
            url.as_str(),
            "http://127.0.0.1:1/api/setup/devices/io%3A%2F%2F1234-5678-9012%2F12345678%232/states/core%3AClosureState?q=a%20b%26c%3Dd%2F%C3%A9"
        );
    }

    #[test]
    fn wrong_path_arguments_are_errors() {
        let client = client();
        let one = ["io://x"];
        assert!(matches!(
            client.inner.url(&Request::new(&DEVICE).path(&one)),
            Err(Error::InvalidRequest { .. })
        ));
        let three = ["a", "b", "c"];
        assert!(matches!(
            client.inner.url(&Request::new(&DEVICE).path(&three)),
            Err(Error::InvalidRequest { .. })
        ));
        let empty = ["", "b"];
        assert!(matches!(
            client.inner.url(&Request::new(&DEVICE).path(&empty)),
            Err(Error::InvalidRequest { .. })
        ));
    }

    #[test]
    fn retry_after_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(120)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(300));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let wait = parse_retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(290) && wait <= Duration::from_secs(300),
            "{wait:?}"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn loopback_detection() {
        assert!(is_loopback("http://127.0.0.1:8080/x"));
        assert!(is_loopback("http://[::1]:8080/x"));
        assert!(is_loopback("http://localhost/x"));
        assert!(!is_loopback("https://ha101-1.overkiz.com/x"));
    }

    #[test]
    fn debug_hides_credentials() {
        let client = Client::new(
            Server::somfy_europe(),
            Credentials::password("me@example.com", "pw-SECRET"),
        )
        .unwrap();
        let debug = format!("{client:?}");
        assert!(!debug.contains("pw-SECRET"), "{debug}");
        assert!(debug.contains("ha101-1.overkiz.com"), "{debug}");
    }

    #[test]
    fn clients_and_errors_cross_threads() {
        fn send_sync<T: Send + Sync + 'static>() {}
        send_sync::<Client>();
        send_sync::<Error>();
        send_sync::<Credentials>();
    }

    #[test]
    fn local_client_builds_with_gateway_tls() {
        let server = Server::local("1234-5678-9012").unwrap();
        Client::builder(server.clone(), Credentials::bearer("t"))
            .build()
            .unwrap();
        Client::builder(server.clone(), Credentials::bearer("t"))
            .danger_accept_invalid_certs(true)
            .build()
            .unwrap();
        let err = Client::builder(server, Credentials::bearer("t"))
            .add_gateway_root_certificate("junk")
            .build()
            .unwrap_err();
        assert!(matches!(err, Error::Config { .. }), "{err:?}");
    }
}
