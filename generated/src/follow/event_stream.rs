//! The setup's events as a [`Stream`]: [`Client::events`] and [`EventStream`]
//! (whose documentation states the fetch, error and re-registration policies).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{self, Stream};
use tokio::time::Instant;

use crate::client::local_first::EventSource;
use crate::transport::request::{RawResponse, Request};
use crate::value::deadline;
use crate::value::gap::GapReason;
use crate::value::lock::lock;
use crate::{operations, Client, Error, ErrorKind, Event};

/// Fetch interval used when the documentation gives no rate limit for the fetch.
const FALLBACK_FETCH_INTERVAL: Duration = Duration::from_secs(1);

/// Settings of an [`EventStream`].
///
/// ```
/// use std::time::Duration;
/// use overkiz::EventStreamConfig;
/// let config = EventStreamConfig::default().with_fetch_interval(Duration::from_secs(2));
/// assert_eq!(config.fetch_interval(), Duration::from_secs(2));
/// // The default follows the documented rate limit of the fetch: 1 call per second.
/// assert_eq!(EventStreamConfig::default().fetch_interval(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventStreamConfig {
    fetch_interval: Duration,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_wait: Duration,
}

impl Default for EventStreamConfig {
    /// Fetch interval from the documented rate limit of `POST /events/{listenerId}/fetch`
    /// (1 s), back-off from 2 s up to 60 s.
    fn default() -> EventStreamConfig {
        let fetch_interval = operations::POST_EVENTS_BY_LISTENER_ID_FETCH
            .rate_limit
            .map_or(FALLBACK_FETCH_INTERVAL, |limit| limit.min_interval());
        EventStreamConfig {
            fetch_interval,
            initial_backoff: Duration::from_secs(2),
            max_backoff: Duration::from_secs(60),
            max_wait: Duration::from_secs(3600),
        }
    }
}

impl EventStreamConfig {
    /// Sets the shortest wait between the answer of a fetch and the next fetch. Going
    /// below the documented limit (1 s) risks being throttled; it is allowed for tests.
    pub fn with_fetch_interval(mut self, interval: Duration) -> EventStreamConfig {
        self.fetch_interval = interval;
        self
    }

    /// Sets the wait after a failed call; it doubles after each further consecutive
    /// failure.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> EventStreamConfig {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the longest wait after failed calls (a server's `Retry-After` may ask for
    /// longer and is honoured, up to [`EventStreamConfig::max_wait`]).
    pub fn with_max_backoff(mut self, backoff: Duration) -> EventStreamConfig {
        self.max_backoff = backoff;
        self
    }

    /// Sets the longest wait the stream accepts from a server's `Retry-After`
    /// (default 1 hour); the error is yielded either way.
    pub fn with_max_wait(mut self, wait: Duration) -> EventStreamConfig {
        self.max_wait = wait;
        self
    }

    /// Longest wait taken from a server's `Retry-After`.
    pub fn max_wait(&self) -> Duration {
        self.max_wait
    }

    /// Shortest wait between the answer of a fetch and the next fetch.
    pub fn fetch_interval(&self) -> Duration {
        self.fetch_interval
    }

    /// Wait after a first failure.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Longest wait after consecutive failures (unless the server asks for longer).
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The wait after `failures` consecutive failures (at least 1), the last being
    /// `error`; never shorter than the fetch interval.
    fn backoff(&self, failures: u32, error: &Error) -> Duration {
        let exponent = failures.saturating_sub(1).min(16);
        let backoff = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let asked = error.retry_after().unwrap_or_default().min(self.max_wait);
        backoff.max(asked).max(self.fetch_interval)
    }
}

/// A registered listener.
#[derive(Debug, Clone)]
struct Listener {
    id: String,
    /// The session it lives in ([`crate::transport::session::Inner::session_id`]).
    session: Option<u64>,
    /// Its registration number on the client.
    epoch: u64,
    /// The server it lives on (for a local-first client, the gateway or the cloud).
    source: EventSource,
}

/// What a stream's handle and its polling state share.
#[derive(Debug, Default)]
struct Shared {
    listener: Option<Listener>,
    /// A loss of continuity not yet reported to the consumer.
    gap: Option<GapReason>,
}

type SharedState = Arc<Mutex<Shared>>;

/// Registers a listener on the client's current event source and stores it.
async fn register(client: &Client, shared: &Mutex<Shared>) -> Result<(), Error> {
    let source = client.event_source();
    // A listener lives on one server: no fallback to the other.
    let client = &client.pinned(source);
    let listener = client.post_events_register().await?;
    let Some(id) = listener.id.filter(|id| !id.is_empty()) else {
        return Err(Error::Decode {
            operation: &operations::POST_EVENTS_REGISTER,
            message: "the answer carries no listener id".into(),
            excerpt: String::new(),
        });
    };
    let inner = &client.inner;
    let epoch = inner.listener_epoch.fetch_add(1, Ordering::SeqCst) + 1;
    tracing::debug!("event listener registered");
    // What ran before the listener existed is unknown to the execution budget until
    // it reads the running executions again.
    inner.executions.gap();
    lock(shared).listener = Some(Listener {
        id,
        session: inner.session_id(),
        epoch,
        source,
    });
    Ok(())
}

/// Unregisters `listener` if it is still the client's latest listener and its
/// session is still the client's: never signs in to do it (a listener of a dead
/// session is gone already), and never hits a newer listener of the session.
async fn unregister(client: &Client, listener: &Listener) -> Result<(), Error> {
    let client = &client.pinned(listener.source);
    let inner = &client.inner;
    if inner.listener_epoch.load(Ordering::SeqCst) != listener.epoch
        || inner.session_id() != listener.session
    {
        tracing::debug!("event listener superseded or its session gone; not unregistering");
        return Ok(());
    }
    let request = Request::new(&operations::POST_EVENTS_BY_LISTENER_ID_UNREGISTER)
        .path(&[listener.id.as_str()]);
    client.execute_in_current_session(request).await.map(drop)
}

/// Unregisters, in the background, the listener a stream left on the cloud when a
/// local-first client went back to the gateway (best effort; it expires anyway). A
/// listener left on the gateway is not: the gateway was just found unreachable.
fn unregister_left(client: &Client, listener: Listener) {
    if listener.source.route() != Some(crate::client::local_first::Route::Cloud) {
        return;
    }
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        let client = client.clone();
        runtime.spawn(async move {
            if let Err(error) = unregister(&client, &listener).await {
                tracing::debug!(kind = ?error.kind(), "cannot unregister the cloud's event listener");
            }
        });
    }
}

/// True for the errors saying the listener no longer exists on the server.
fn listener_gone(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::InvalidEventListener | ErrorKind::NoRegisteredEventListener
    )
}

/// Decodes the answer of a fetch.
///
/// The stream is compiled here once, but the decoding of the 144 event types (a
/// quarter of this crate's LLVM IR) is not: the `#[inline]` constructors
/// ([`Client::events`], [`Client::events_with`], [`Client::follow`]) pass it in, so
/// only the programs that open a stream compile it, like the generated methods.
type DecodeEvents = fn(RawResponse) -> Result<Vec<Event>, Error>;

/// The polling state machine, owned by the inner stream.
struct Poller {
    client: Client,
    config: EventStreamConfig,
    shared: SharedState,
    decode: DecodeEvents,
    /// Events fetched and not yet yielded, in order.
    buffer: VecDeque<Event>,
    /// When the last fetch answered.
    last_fetch: Option<Instant>,
    /// No call before this instant (back-off after a failure).
    not_before: Option<Instant>,
    /// Consecutive failures.
    failures: u32,
    /// Whether a fetch succeeded since the current listener was registered.
    fetched_since_register: bool,
}

impl Poller {
    /// The next event, gap or failure. Never returns without one.
    async fn next_item(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Ok(event);
            }
            if let Some(reason) = lock(&self.shared).gap.take() {
                tracing::debug!(%reason, "event stream gap");
                return Err(Error::EventsLost { reason });
            }
            if let Some(at) = self.not_before {
                tokio::time::sleep_until(at).await;
            }
            let current = lock(&self.shared).listener.clone();
            let Some(listener) = current else {
                if let Err(error) = register(&self.client, &self.shared).await {
                    return Err(self.failed(error));
                }
                self.fetched_since_register = false;
                continue;
            };
            if self.client.event_source() != listener.source {
                // A local-first client switched between the gateway and the cloud:
                // events now come from the other one.
                self.forget(&listener, GapReason::SourceChanged);
                unregister_left(&self.client, listener);
                continue;
            }
            let client = self.client.pinned(listener.source);
            let session = client.inner.session_id();
            if session.is_some() && session != listener.session {
                // The client signed in again since: the listener died with the old
                // session.
                self.forget(&listener, GapReason::SessionRenewed);
                continue;
            }
            if let Some(last) = self.last_fetch {
                tokio::time::sleep_until(deadline::after(last, self.config.fetch_interval)).await;
            }
            // `post_events_by_listener_id_fetch`, decoded by `self.decode`.
            let request = Request::new(&operations::POST_EVENTS_BY_LISTENER_ID_FETCH)
                .path(&[listener.id.as_str()]);
            let result = match client.send_request(request).await {
                Ok(answer) => (self.decode)(answer),
                Err(error) => Err(error),
            };
            self.last_fetch = Some(Instant::now());
            match result {
                Ok(events) => {
                    self.failures = 0;
                    self.not_before = None;
                    self.fetched_since_register = true;
                    // Every stream of the client keeps its execution budget current.
                    self.client.inner.executions.events(&events);
                    self.buffer.extend(events);
                }
                Err(error) if listener_gone(&error) => {
                    self.forget(&listener, GapReason::ListenerLost);
                    if !self.fetched_since_register {
                        // Gone at once: probably another listener on the same session.
                        // Report it and back off rather than replace it in a loop.
                        return Err(self.failed(error));
                    }
                    tracing::debug!(kind = ?error.kind(), "event listener lost; registering a new one");
                }
                Err(error) => {
                    if error.kind() == ErrorKind::OutcomeUnknown {
                        lock(&self.shared).gap = Some(GapReason::FetchFailed);
                        self.client.inner.executions.gap();
                    }
                    return Err(self.failed(error));
                }
            }
        }
    }

    /// Drops a dead listener (unless it was replaced meanwhile) and records the gap.
    fn forget(&self, listener: &Listener, reason: GapReason) {
        let mut shared = lock(&self.shared);
        if shared.listener.as_ref().map(|l| l.epoch) == Some(listener.epoch) {
            shared.listener = None;
            shared.gap = Some(reason);
            self.client.inner.executions.gap();
        }
    }

    /// Counts a failure and schedules the back-off; returns the error to yield.
    fn failed(&mut self, error: Error) -> Error {
        self.failures = self.failures.saturating_add(1);
        let wait = self.config.backoff(self.failures, &error);
        tracing::debug!(
            kind = ?error.kind(),
            failures = self.failures,
            wait_ms = wait.as_millis() as u64,
            "event stream call failed; backing off"
        );
        self.not_before = Some(deadline::from_now(wait));
        error
    }
}

/// The setup's events, from [`Client::events`]: an endless
/// `Stream<Item = Result<Event, Error>>`.
///
/// The API has no push channel: a client registers an *event listener*
/// (`POST /events/register`) and fetches what it buffered (`POST /events/{id}/fetch`),
/// documented as 1 call per second at most. A listener expires after about 10 minutes
/// without a fetch, when the session is renewed, or when another listener is
/// registered on the same session.
///
/// # Guarantees
///
/// - **Order.** Events are yielded one by one, in the order the server sent them;
///   events already fetched are never dropped or repeated.
/// - **Gaps are visible.** Whenever events may have been missed, the stream yields
///   an `Err` of kind [`ErrorKind::EventsLost`] ([`Error::EventsLost`] with a
///   [`GapReason`]) *before* the events that follow the gap: the listener expired (a
///   consumer that did not poll for ~10 minutes) or was replaced, the client signed
///   in again, a fetch failed after it may have been answered, or a local-first
///   client ([`Client::local_first`]) switched between the gateway and the cloud
///   (events come from one of them at a time). The stream registers a new listener
///   and goes on. What you track must then be re-read: not the whole setup
///   (`GET /setup` is documented as once a day), but each device you follow
///   (`GET /setup/devices/{deviceURL}`, no documented limit). `Home` (feature
///   `live`) does this, with the device list only when its limit allows: use it rather than
///   this stream when you keep a model of the setup.
/// - **Pacing.** It fetches only when the events of the previous fetch are consumed,
///   at least [`EventStreamConfig::fetch_interval`] apart (the documented 1 s).
/// - **Failures** are yielded as `Err` items and the stream goes on after a back-off
///   ([`EventStreamConfig::initial_backoff`], doubling up to
///   [`EventStreamConfig::max_backoff`], longer if the server sent `Retry-After`, up
///   to [`EventStreamConfig::max_wait`]). Stopping on errors deemed fatal (e.g.
///   [`crate::ErrorKind::BadCredentials`]) is the caller's choice.
/// - **Clean-up.** The stream never ends by itself. Dropping it unregisters its
///   listener in the background (best effort, on the current tokio runtime if there
///   is one), unless a newer listener was registered on the client since or the
///   session is gone: it never signs in just to unregister.
///
/// Only one listener lives per session: two streams on one [`Client`] (or its clones)
/// invalidate each other. A listener that is gone before its first successful fetch is
/// reported as an error as well as a gap (and registered again after the back-off)
/// rather than silently replaced in a loop.
///
/// ```no_run
/// # async fn demo(client: overkiz::Client) {
/// use futures::StreamExt;
/// use overkiz::ErrorKind;
/// let mut events = client.events();
/// while let Some(item) = events.next().await {
///     match item {
///         Ok(event) => println!("{}", event.name()),
///         Err(gap) if gap.kind() == ErrorKind::EventsLost => {
///             // Events may be missing here: a live model (overkiz::Home) re-reads
///             // its devices at this point.
///             eprintln!("{gap}");
///         }
///         Err(error) if error.is_retryable() => eprintln!("will go on: {error}"),
///         Err(error) => { eprintln!("giving up: {error}"); break; }
///     }
/// }
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct EventStream {
    client: Client,
    config: EventStreamConfig,
    shared: SharedState,
    inner: Pin<Box<dyn Stream<Item = Result<Event, Error>> + Send>>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The listener id is left out, like every id in this crate's logs.
        f.debug_struct("EventStream")
            .field("server", self.client.server())
            .field("config", &self.config)
            .field("registered", &lock(&self.shared).listener.is_some())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    fn new(client: Client, config: EventStreamConfig, decode: DecodeEvents) -> EventStream {
        let shared = SharedState::default();
        let poller = Poller {
            client: client.clone(),
            config: config.clone(),
            shared: shared.clone(),
            decode,
            buffer: VecDeque::new(),
            last_fetch: None,
            not_before: None,
            failures: 0,
            fetched_since_register: false,
        };
        let inner = stream::unfold(poller, |mut poller| async move {
            let item = poller.next_item().await;
            Some((item, poller))
        });
        EventStream {
            client,
            config,
            shared,
            inner: Box::pin(inner),
        }
    }

    /// Registers a listener now, unless one of the current session is registered;
    /// the stream otherwise registers on its first poll. Events that happen before
    /// registration are never seen: call this before launching an execution to
    /// follow. Replacing a listener of an older session records a gap, yielded next.
    pub async fn register(&mut self) -> Result<(), Error> {
        let current = lock(&self.shared).listener.clone();
        if let Some(listener) = current {
            let source = self.client.event_source();
            let reason = if source != listener.source {
                GapReason::SourceChanged
            } else if listener.session == self.client.pinned(source).inner.session_id() {
                return Ok(());
            } else {
                GapReason::SessionRenewed
            };
            let mut shared = lock(&self.shared);
            shared.listener = None;
            shared.gap = Some(reason);
            self.client.inner.executions.gap();
        }
        register(&self.client, &self.shared).await
    }

    /// Unregisters the listener now, if one is registered, and waits for the answer
    /// (dropping the stream does the same in the background). Polling the stream
    /// afterwards registers a new listener.
    pub async fn unregister(&mut self) -> Result<(), Error> {
        let Some(listener) = lock(&self.shared).listener.take() else {
            return Ok(());
        };
        unregister(&self.client, &listener).await
    }

    /// The id of the registered listener, if one is.
    pub fn listener_id(&self) -> Option<String> {
        lock(&self.shared).listener.as_ref().map(|l| l.id.clone())
    }

    /// The settings of this stream.
    pub fn config(&self) -> &EventStreamConfig {
        &self.config
    }

    /// The client this stream fetches with.
    pub fn client(&self) -> &Client {
        &self.client
    }
}

impl Stream for EventStream {
    type Item = Result<Event, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        let Some(listener) = lock(&self.shared).listener.take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let client = self.client.clone();
                runtime.spawn(async move {
                    match unregister(&client, &listener).await {
                        Ok(()) => tracing::debug!("event listener unregistered"),
                        Err(error) => tracing::debug!(kind = ?error.kind(), "cannot unregister the event listener"),
                    }
                });
            }
            Err(_) => {
                tracing::debug!("no tokio runtime to unregister the event listener; it will expire")
            }
        }
    }
}

impl Client {
    /// The setup's events, with the default [`EventStreamConfig`] (one fetch per
    /// second at most). Registers a listener on the first poll; see [`EventStream`].
    #[inline]
    pub fn events(&self) -> EventStream {
        self.events_with(EventStreamConfig::default())
    }

    /// The setup's events, with the given settings.
    #[inline]
    pub fn events_with(&self, config: EventStreamConfig) -> EventStream {
        EventStream::new(self.clone(), config, RawResponse::json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Server};

    #[test]
    fn backoff_doubles_up_to_the_cap_and_never_undercuts_the_interval() {
        let config = EventStreamConfig::default()
            .with_fetch_interval(Duration::from_secs(1))
            .with_initial_backoff(Duration::from_secs(2))
            .with_max_backoff(Duration::from_secs(10));
        let error = Error::config("x");
        let waits: Vec<u64> = (1..=5)
            .map(|n| config.backoff(n, &error).as_secs())
            .collect();
        assert_eq!(waits, [2, 4, 8, 10, 10]);
        assert_eq!(config.backoff(u32::MAX, &error), Duration::from_secs(10));
        let tiny = config.with_initial_backoff(Duration::ZERO);
        assert_eq!(tiny.backoff(1, &error), Duration::from_secs(1));
    }

    #[test]
    fn huge_retry_after_waits_are_capped() {
        let config = EventStreamConfig::default().with_max_wait(Duration::from_secs(30));
        let server = Server::custom("http://127.0.0.1:1/api").unwrap();
        let client = Client::new(server, Credentials::none()).unwrap();
        let error = Error::RateLimited {
            operation: &operations::POST_EVENTS_REGISTER,
            error: crate::ApiError::new(429, None, "Too many requests"),
            retry_after: Some(Duration::MAX),
        };
        assert_eq!(config.backoff(1, &error), Duration::from_secs(30));
        drop(client);
    }

    #[test]
    fn streams_cross_threads_and_drop_without_runtime() {
        fn send<T: Send + 'static>() {}
        send::<EventStream>();
        let client = Client::new(
            Server::custom("http://127.0.0.1:1/api").unwrap(),
            Credentials::none(),
        )
        .unwrap();
        let events = client.events();
        lock(&events.shared).listener = Some(Listener {
            id: "listener-1".into(),
            session: Some(0),
            epoch: 1,
            source: client.event_source(),
        });
        let debug = format!("{events:?}");
        assert!(
            debug.contains("registered: true") && !debug.contains("listener-1"),
            "{debug}"
        );
        drop(events); // no runtime here: must not panic
    }
}
