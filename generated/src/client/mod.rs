//! The client: one shared `Client::send_request` that every call takes (generated
//! operations and raw calls, [`crate::RawCall`]).
//!
//! It builds the URL from the operation's path template, signs in lazily
//! (`transport/session.rs`), sends the call and maps error answers to [`Error`]
//! (`transport/send.rs`), resends what is safe to resend and renews an expired session
//! once.

pub(crate) mod call;
pub(crate) mod local_first;
pub(crate) mod raw_call;

use std::fmt;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::config::credentials::{Credentials, CredentialsKind, LoginMethod};
use crate::config::grant::{Grant, TokensCallback};
use crate::config::server::{Server, ServerKind};
use crate::config::tls;
use crate::error::{Error, ErrorKind};
use crate::transport::cookies::SessionCookies;
use crate::transport::request::{RawResponse, Request};
pub(crate) use crate::transport::session::Inner;
use crate::transport::session::{Refusal, SessionCell};
use crate::value::execution_ledger::ExecutionLedger;
use crate::value::operation::{OperationInfo, RateLimit};
use crate::value::redact::{Redactor, Slot};
use crate::value::retry::RetryPolicy;

/// Default connect timeout.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Default timeout of a whole request (connect, send, answer).
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);
/// Default largest successful answer read (64 MiB: the largest real setups are a few
/// MiB).
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 64 * 1024 * 1024;
/// Default cool-down after a refused sign-in (bad credentials, unknown user, ban,
/// throttled login): the client does not sign in again by itself before it ends.
pub const DEFAULT_LOGIN_COOL_DOWN: Duration = Duration::from_secs(60);
/// Default wait after a sign-in that failed for another reason (network, 5xx).
pub const DEFAULT_LOGIN_RETRY_DELAY: Duration = Duration::from_secs(5);
/// Default longest wait of a launch for room on a full gateway
/// ([`ClientBuilder::execution_slot_wait`]).
pub const DEFAULT_EXECUTION_SLOT_WAIT: Duration = Duration::from_secs(300);

/// Characters escaped in path arguments and query values: everything but the
/// unreserved characters of RFC 3986, so a `deviceURL` such as
/// `io://1234-5678-9012/12345678#2` stays one path segment.
const ENCODE_SET: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

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
    max_response_bytes: u64,
    login_cool_down: Duration,
    login_retry_delay: Duration,
    on_tokens_changed: Option<TokensCallback>,
    restored: Option<Grant>,
    execution_slot_wait: Duration,
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
            .field("max_response_bytes", &self.max_response_bytes)
            .field("login_cool_down", &self.login_cool_down)
            .field("login_retry_delay", &self.login_retry_delay)
            .field("on_tokens_changed", &self.on_tokens_changed.is_some())
            .field("restored", &self.restored)
            .field("execution_slot_wait", &self.execution_slot_wait)
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
            max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
            login_cool_down: DEFAULT_LOGIN_COOL_DOWN,
            login_retry_delay: DEFAULT_LOGIN_RETRY_DELAY,
            on_tokens_changed: None,
            restored: None,
            execution_slot_wait: DEFAULT_EXECUTION_SLOT_WAIT,
        }
    }

    /// The longest a launch ([`Client::run`], [`crate::ActionQueue`],
    /// [`Client::run_and_wait`]) waits for room on a gateway already running its 10
    /// executions, before failing with [`Error::NoExecutionSlot`] having sent nothing
    /// (default 5 minutes). See [`Client::execution_budget`].
    pub fn execution_slot_wait(mut self, wait: Duration) -> ClientBuilder {
        self.execution_slot_wait = wait;
        self
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
    /// [`RetryPolicy::disabled`] to send every call once). Whatever the policy, calls
    /// that act are resent only when they provably never reached the server.
    pub fn retry_policy(mut self, policy: RetryPolicy) -> ClientBuilder {
        self.retry = policy;
        self
    }

    /// The `User-Agent` header (default `overkiz-rs/<version>`).
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> ClientBuilder {
        self.user_agent = user_agent.into();
        self
    }

    /// Largest successful answer read, in bytes (default 64 MiB). Reading stops at
    /// the limit with [`ErrorKind::ResponseTooLarge`]. Error answers are always cut at
    /// 64 KiB.
    pub fn max_response_bytes(mut self, limit: u64) -> ClientBuilder {
        self.max_response_bytes = limit;
        self
    }

    /// How long the client waits before signing in again by itself after a refused
    /// sign-in (default 60 s; a longer `Retry-After` wins). Each further consecutive
    /// failure doubles it, up to an hour. Overkiz bans accounts that retry logins.
    /// [`Client::reset_login`] and [`Client::set_credentials`] lift it.
    pub fn login_cool_down(mut self, cool_down: Duration) -> ClientBuilder {
        self.login_cool_down = cool_down;
        self
    }

    /// How long the client waits before signing in again after a sign-in that failed
    /// for another reason than a refusal (network error, 5xx; default 5 s). Each
    /// further consecutive failure doubles it, up to an hour.
    pub fn login_retry_delay(mut self, delay: Duration) -> ClientBuilder {
        self.login_retry_delay = delay;
        self
    }

    /// Calls `callback` with every new [`Grant`] of the sign-in flow (a vendor
    /// preset's, Rexel's, your own [`crate::SignInFlow`]): after a sign-in and after
    /// each refresh, whose refresh token the vendor may have rotated. Save it (it
    /// serializes with serde and holds the secrets) and give it back to
    /// [`ClientBuilder::restore_tokens`] after a restart, so the app never reuses a
    /// refresh token the vendor already replaced.
    ///
    /// The callback runs in the client's sign-in task, right after the new session is
    /// in place, one grant at a time and in order: keep it short (hand the grant to a
    /// channel or write a file). A panic is caught and logged. A flow may also hand
    /// over tokens before its sign-in ends ([`crate::SignInContext::tokens_changed`]).
    ///
    /// ```no_run
    /// # fn demo(flow: std::sync::Arc<dyn overkiz::SignInFlow>) -> Result<(), overkiz::Error> {
    /// use overkiz::{Client, Credentials, Server};
    /// let saved = std::fs::read_to_string("tokens.json").ok()
    ///     .and_then(|text| serde_json::from_str(&text).ok());
    /// let mut builder = Client::builder(Server::rexel(), Credentials::sign_in_flow(flow))
    ///     .on_tokens_changed(|grant| {
    ///         let _ = std::fs::write("tokens.json", serde_json::to_string(grant).unwrap());
    ///     });
    /// if let Some(grant) = saved {
    ///     builder = builder.restore_tokens(grant);
    /// }
    /// let client = builder.build()?;
    /// # Ok(()) }
    /// ```
    pub fn on_tokens_changed(
        mut self,
        callback: impl Fn(&Grant) + Send + Sync + 'static,
    ) -> ClientBuilder {
        self.on_tokens_changed = Some(Arc::new(callback));
        self
    }

    /// Starts from a grant saved earlier (see [`ClientBuilder::on_tokens_changed`])
    /// instead of signing in from scratch: the first call uses it as it is while it is
    /// valid, or refreshes it with its refresh token; if the server or the vendor
    /// refuses it, the flow signs in from scratch. Only for sign-in flows
    /// ([`Credentials::sign_in_flow`] and the vendor presets); other credentials
    /// ignore it.
    pub fn restore_tokens(mut self, grant: Grant) -> ClientBuilder {
        self.restored = Some(grant);
        self
    }

    /// Trusts another CA (PEM) for a local gateway, besides the bundled Overkiz root
    /// CA. The gateway name rules stay the same. Has no effect on cloud servers.
    pub fn add_gateway_root_certificate(mut self, pem: impl Into<Vec<u8>>) -> ClientBuilder {
        self.gateway_roots.push(pem.into());
        self
    }

    /// Accepts any TLS certificate of a local gateway ([`Server::local`]) or of a
    /// [`Server::custom`] URL: the connection is still encrypted but the server is not
    /// authenticated, so anyone on the path can read your token. Only for
    /// troubleshooting a gateway; off by default. Never applies to the cloud presets
    /// (where the password travels): [`ClientBuilder::build`] refuses it there.
    pub fn danger_accept_invalid_certs(mut self, accept: bool) -> ClientBuilder {
        self.accept_invalid_certs = accept;
        self
    }

    /// Builds the client. Fails on an invalid certificate or TLS setup; does not
    /// contact the server (sign-in happens on the first call).
    pub fn build(self) -> Result<Client, Error> {
        let redactor = Arc::new(Redactor::default());
        redactor.set(Slot::Credentials, self.credentials.secrets());
        let cookies = Arc::new(SessionCookies::new(redactor.clone()));
        // The session lives in the JSESSIONID cookie. With a bearer token no cookie
        // may be sent: the server refuses requests carrying both.
        cookies.set_enabled(!self.credentials.is_bearer());
        let mut http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.as_str())
            .cookie_provider(cookies.clone())
            // No documented operation redirects; following one could send the login
            // form to another host. A 3xx answer is an error (`Error::Redirected`).
            .redirect(reqwest::redirect::Policy::none());
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
            ServerKind::Cloud if self.accept_invalid_certs => {
                return Err(Error::config(
                    "danger_accept_invalid_certs applies to local gateways and custom URLs, never to a cloud server",
                ));
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
        // Vendor sign-in services: public web PKI, no cookie store (flows carry their
        // own cookies), no redirects.
        let vendor_http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(self.user_agent.as_str())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| {
                Error::config(format!("cannot build the HTTP client: {}", e.without_url()))
            })?;
        if let Some(vendor) = self.server.vendor_sign_in() {
            vendor.check(&self.credentials)?;
        }
        // A password on a vendor's server goes through the vendor's sign-in flow.
        let credentials = match (&self.credentials.kind, self.server.vendor_sign_in()) {
            (CredentialsKind::Login(form), Some(vendor)) => match &form.method {
                LoginMethod::Password { user_id, password } => Credentials::sign_in_flow(
                    vendor.with_password(user_id.clone(), password.clone())?,
                ),
                _ => self.credentials,
            },
            _ => self.credentials,
        };
        let renews_grants = matches!(credentials.kind, CredentialsKind::Flow(_));
        let client = Client {
            inner: Arc::new(Inner {
                http,
                server: self.server,
                credentials: Mutex::new(credentials),
                vendor_http,
                retry: self.retry,
                connect_timeout: self.connect_timeout,
                timeout: self.timeout,
                max_response_bytes: self.max_response_bytes,
                login_cool_down: self.login_cool_down,
                login_retry_delay: self.login_retry_delay,
                login_lock: tokio::sync::Mutex::new(()),
                session: Mutex::new(SessionCell::default()),
                on_tokens_changed: self.on_tokens_changed,
                cookies,
                redactor,
                listener_epoch: AtomicU64::new(0),
                executions: ExecutionLedger::new(self.execution_slot_wait),
            }),
            link: None,
        };
        if let Some(grant) = self.restored.filter(|_| renews_grants) {
            client.inner.restore(grant);
        }
        Ok(client)
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

/// A client of one Overkiz server. Cheap to clone: clones share the connection pool
/// and the session.
///
/// Every documented operation is a method of this type (generated); they and the
/// raw calls ([`Client::request`]) all go through one runtime function.
///
/// # Guarantees
///
/// Real accounts and real homes are on the other end, so the client promises:
///
/// - **One sign-in at a time, and no login loops.** Calls that find no session (or
///   an expired one) wait for a single sign-in and all get its result, success or
///   failure. After a failed sign-in the client does not sign in again by itself
///   for a cool-down: [`ClientBuilder::login_cool_down`] after a refusal (bad
///   credentials, unknown user, ban, throttled login; 60 s by default),
///   [`ClientBuilder::login_retry_delay`] after a network or server failure, longer
///   if the server says so. Consecutive failures double it, up to an hour, until a
///   call succeeds again. Meanwhile calls fail at once with [`Error::LoginFailed`],
///   say the time left ([`Error::retry_after`]) and send nothing.
///   [`Client::reset_login`] or [`Client::set_credentials`] lift the cool-down.
/// - **A login is not a session.** A session the server refuses before it served a
///   single call (a server that drops sessions, a `Secure` cookie over `http://`)
///   counts as a failed sign-in, under the same cool-down: 20 calls against such a
///   server make one login, not 21. An older session that expires is renewed once
///   per call, never in a loop. A grant is refreshed a minute before it expires, or
///   at half its lifetime when that is shorter, never sooner than 10 s after it was
///   obtained.
/// - **Refusals that need the user are visible.** [`Error::needs_new_credentials`]
///   is true when only new credentials can help (bad password, unknown user, a
///   refused refresh token): start your re-authentication there. The client still
///   tries again by itself on its growing cool-down, as some vendors answer "Bad
///   credentials" during maintenance.
/// - **A caller that gives up costs nothing.** The sign-in runs in a task of its
///   own: a call dropped or timed out while it runs does not cancel it (which could
///   burn a one-time code or a rotated refresh token) and does not start another;
///   the calls still waiting, and the next ones, get its result. Credentials
///   replaced during a sign-in ([`Client::set_credentials`]) are never overwritten
///   by its session. The cool-down runs from the end of a sign-in.
/// - **Rotated tokens survive a restart.** [`ClientBuilder::on_tokens_changed`] is
///   told about every new grant of a sign-in flow (access and refresh tokens,
///   headers such as Rexel's `gatewayId`), [`ClientBuilder::restore_tokens`] starts
///   from a saved one, and [`Client::tokens`] reads the one in force. Their `Debug`
///   output never shows a secret.
/// - **Nothing that acts is sent twice.** Each operation has an
///   [`crate::Idempotency`] class. Reads and idempotent writes are resent after
///   transient failures (bounded, with back-off: [`RetryPolicy`]). Operations that
///   act (commands, firmware updates, ...) are resent only when the request provably
///   never reached the server (connection refused, name not resolved, 503 or "too
///   many concurrent requests"). When one fails after it may have arrived, the error
///   is [`ErrorKind::OutcomeUnknown`] and [`Error::is_retryable`] is false.
/// - **Everything the network decides is capped:** answers
///   ([`ClientBuilder::max_response_bytes`], error answers at 64 KiB), waits
///   (`Retry-After` beyond [`RetryPolicy::max_backoff`] is returned as an error, not
///   slept through), time ([`ClientBuilder::timeout`]); redirects are never followed.
/// - **No secret in errors or logs:** passwords, tokens, the session cookie and the
///   user id are masked wherever a server echoes them (before a message is cut, so
///   a cut never shows the start of one). The `Debug` output of every generated type
///   and request prints `***` for the fields and parameters named in
///   `spec/secrets.toml` (`token`, `jwt`, `accessToken`, passwords, ...), inside
///   kept JSON (`extra`, [`crate::Event::Unknown`]) too.
/// - **Events are never lost silently:** see [`crate::EventStream`].
#[derive(Clone)]
pub struct Client {
    pub(crate) inner: Arc<Inner>,
    /// The local route of a local-first client ([`Client::local_first`]).
    pub(crate) link: Option<local_first::Link>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.inner.server)
            .field(
                "credentials",
                &*crate::value::lock::lock(&self.inner.credentials),
            )
            .field("retry", &self.inner.retry)
            .field("connect_timeout", &self.inner.connect_timeout)
            .field("timeout", &self.inner.timeout)
            .field("local_first", &self.link)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client with default settings; see [`Client::builder`] for the others.
    pub fn new(server: Server, credentials: Credentials) -> Result<Client, Error> {
        ClientBuilder::new(server, credentials).build()
    }

    /// A builder to set timeouts, retries, limits and TLS options.
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

    /// Signs in now (opening a new session, or running the [`crate::SignInFlow`])
    /// instead of on the first call, e.g. to check the
    /// credentials at start-up. Does nothing for bearer tokens. During a sign-in
    /// cool-down it fails at once with [`Error::LoginFailed`].
    pub async fn login(&self) -> Result<(), Error> {
        if self.inner.renewable() {
            let seen = self.inner.snapshot();
            self.inner.renew(&seen).await?;
        }
        Ok(())
    }

    /// Lifts a sign-in cool-down and forgets the failures before: the next call signs
    /// in again. Call it when the user says the account works again; with new
    /// credentials, use [`Client::set_credentials`].
    pub fn reset_login(&self) {
        self.inner.reset_login();
    }

    /// Replaces the credentials: the session is dropped, a cool-down lifted, and the
    /// next call signs in with these. A sign-in still running with the old ones
    /// installs nothing: the calls waiting for it sign in with these instead.
    pub fn set_credentials(&self, credentials: Credentials) {
        self.inner.set_credentials(credentials);
    }

    /// The grant of the sign-in flow in force (or restored, before its first use), to
    /// save it; `None` for other credentials. See [`ClientBuilder::on_tokens_changed`]
    /// to hear about each new one.
    pub fn tokens(&self) -> Option<Grant> {
        self.inner.grant()
    }

    /// Sends one request and returns its raw successful answer.
    ///
    /// Not part of the API: use [`Client::request`], the raw call with the same
    /// session, resend rules and redaction.
    #[doc(hidden)]
    #[deprecated(
        since = "0.1.0",
        note = "use `Client::request`, the documented raw call"
    )]
    pub async fn execute(&self, request: Request) -> Result<RawResponse, Error> {
        self.send_request(request).await
    }

    /// Sends one request to this client's server and returns its raw successful
    /// answer (the end of [`Client::send_request`]'s path). Path arguments are
    /// percent-encoded; empty ones, `.` and `..` are refused.
    pub(crate) async fn send_direct(&self, request: Request) -> Result<RawResponse, Error> {
        let op = request.op;
        let answer = self.send_in_session(request).await;
        let reached = match &answer {
            Ok(_) => true,
            Err(error) => error.kind() == ErrorKind::OutcomeUnknown,
        };
        if reached && op.rate_limit.is_some_and(|limit| limit.category == "exec") {
            // The daily quota of launches the execution budget reports.
            self.inner.executions.exec_call();
        }
        answer
    }

    /// [`Client::send_request`] in the session in force: signs in first if needed,
    /// renews an expired session once.
    async fn send_in_session(&self, request: Request) -> Result<RawResponse, Error> {
        let op = request.op;
        let inner = &self.inner;
        let url = inner.url(&request)?;
        let body = request.body.as_ref();
        let session = inner.current_session().await?;
        let answer = match inner.send(op, &url, body, &session, None).await {
            Err(error) if error.kind().needs_login() && inner.renewable() => {
                // A session that never served a call is a failed sign-in, not an
                // expired session: no new login before the cool-down.
                let error = match inner.refused(&session, error) {
                    Refusal::Counted(error) => return Err(error),
                    Refusal::Expired(error) => error,
                };
                // The session expired: sign in again once and resend once (the server
                // did nothing with a call it refused as not authenticated).
                tracing::debug!(
                    method = op.method.as_str(),
                    path = op.path,
                    kind = ?error.kind(),
                    "session expired; signing in again"
                );
                let session = inner.renew(&session).await?;
                return match inner.send(op, &url, body, &session, None).await {
                    Ok(answer) => {
                        inner.confirm(&session);
                        Ok(answer)
                    }
                    // The new session refused at once: counted, never looped.
                    Err(error) if error.kind().needs_login() => {
                        match inner.refused(&session, error) {
                            Refusal::Counted(error) | Refusal::Expired(error) => Err(error),
                        }
                    }
                    Err(error) => Err(error),
                };
            }
            Err(error)
                if error.kind() == ErrorKind::SessionAndBearerConflict
                    && session.bearer.is_some() =>
            {
                // A cookie slipped into a bearer session: drop the cookies, resend once.
                tracing::debug!("session cookie sent with a bearer token; dropping cookies");
                inner.cookies.clear();
                inner.cookies.set_enabled(false);
                inner.send(op, &url, body, &session, None).await
            }
            other => other,
        };
        if answer.is_ok() {
            inner.confirm(&session);
        }
        answer
    }
}

impl Client {
    /// Sends a call in the session in force, if there is one, without signing in or
    /// renewing it: for clean-up calls (unregistering a listener) that are pointless
    /// in a new session. `Ok(None)` when there is no session.
    pub(crate) async fn execute_in_current_session(
        &self,
        request: Request,
    ) -> Result<Option<RawResponse>, Error> {
        let inner = &self.inner;
        let url = inner.url(&request)?;
        let session = if inner.renewable() {
            let state = inner.snapshot();
            if !state.signed_in {
                return Ok(None);
            }
            state
        } else {
            inner.current_session().await?
        };
        let answer = inner
            .send(request.op, &url, request.body.as_ref(), &session, None)
            .await?;
        inner.confirm(&session);
        Ok(Some(answer))
    }
}

impl Inner {
    /// The full URL of a request: base, path with encoded arguments, query.
    pub(crate) fn url(&self, request: &Request) -> Result<reqwest::Url, Error> {
        let op = request.op;
        let mut url = self.server.base_url().to_owned();
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
            if arg == "." || arg == ".." {
                // URL parsers collapse dot segments (`/exec/current/..` is
                // `/exec`), so such an argument would name another resource.
                return Err(Error::invalid_request(
                    op,
                    format!("path argument {arg:?} would change the path"),
                ));
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
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::value::operation::HttpMethod;

    static DEVICE: OperationInfo = OperationInfo::for_tests(
        "get_setup_device",
        HttpMethod::Get,
        "/setup/devices/{deviceURL}/states/{name}",
        crate::Idempotency::SafeRead,
    );

    /// A client of a server that is never reached.
    pub(crate) fn client() -> Client {
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

    /// Every path parameter of every documented operation stays one segment, whatever
    /// the argument: dot segments are refused, everything else is encoded.
    #[test]
    fn no_argument_collapses_or_splits_a_path() {
        let client = client();
        let tricky = [
            "..",
            ".",
            "%2e%2e",
            "%2E",
            ".%2e",
            "a/../b",
            "../",
            "..%2f",
            "?x=1",
            "#frag",
            "a b",
            "io://1234-5678-9012/1#2",
            "\\..",
            "...",
        ];
        for op in crate::operations::ALL {
            let slots = op.path.matches('{').count();
            if slots == 0 {
                continue;
            }
            let segments = op.path.split('/').count();
            for arg in tricky {
                let args = vec![arg; slots];
                let request = Request::new(op).path(&args);
                match client.inner.url(&request) {
                    Ok(url) => {
                        let path = url.path().trim_start_matches("/api");
                        assert_eq!(
                            path.split('/').count(),
                            segments,
                            "{op} with {arg:?} became {path}"
                        );
                        assert!(url.query().is_none() && url.fragment().is_none(), "{url}");
                    }
                    Err(Error::InvalidRequest { .. }) => {
                        assert!(arg == "." || arg == "..", "{op} refused {arg:?}")
                    }
                    Err(other) => panic!("{op} with {arg:?}: {other}"),
                }
            }
        }
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

    #[test]
    fn invalid_certificates_are_never_accepted_from_the_cloud() {
        for server in Server::cloud_presets() {
            let err = Client::builder(server, Credentials::password("u", "p"))
                .danger_accept_invalid_certs(true)
                .build()
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{err}");
        }
        Client::builder(
            Server::custom("https://192.0.2.1:8443/x").unwrap(),
            Credentials::bearer("t"),
        )
        .danger_accept_invalid_certs(true)
        .build()
        .unwrap();
    }

    /// A cookie that slipped into a bearer session (the jar is off for bearer tokens:
    /// only a race could put one there, so the test plants it): the server's
    /// "JSESSIONID and bearer token in same request" answer drops the cookies and the
    /// call is resent once, without them; later calls carry none either.
    #[tokio::test]
    async fn a_session_and_bearer_conflict_drops_the_cookies_and_resends_once() {
        use reqwest::cookie::CookieStore;
        use wiremock::matchers::{header_exists, method};
        use wiremock::{Mock, MockServer, ResponseTemplate};
        let server = MockServer::start().await;
        let conflict = r#"{"errorCode":"UNSPECIFIED_ERROR","error":"Cannot use JSESSIONID and bearer token in same request"}"#;
        Mock::given(method("GET"))
            .and(header_exists("cookie"))
            .respond_with(ResponseTemplate::new(400).set_body_raw(conflict, "application/json"))
            .with_priority(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_json(serde_json::json!({})))
            .mount(&server)
            .await;
        let client = Client::new(
            Server::custom(&server.uri()).unwrap(),
            Credentials::bearer("t"),
        )
        .unwrap();
        let url = url::Url::parse(&server.uri()).unwrap();
        let planted = reqwest::header::HeaderValue::from_static("JSESSIONID=planted; Path=/");
        client.inner.cookies.set_enabled(true);
        client
            .inner
            .cookies
            .set_cookies(&mut std::iter::once(&planted), &url);

        client.get_setup().await.expect("resent without the cookie");
        client.get_setup().await.unwrap();
        let cookies: Vec<Option<String>> = server
            .received_requests()
            .await
            .unwrap()
            .iter()
            .map(|r| {
                assert_eq!(r.headers.get("authorization").unwrap(), "Bearer t");
                r.headers
                    .get("cookie")
                    .map(|c| c.to_str().unwrap().to_owned())
            })
            .collect();
        assert_eq!(cookies, [Some("JSESSIONID=planted".to_owned()), None, None]);
    }
}
