//! The setup's events as a [`Stream`]: [`Client::events`] and [`EventStream`]
//! (whose documentation states the fetch, error and re-registration policies).

use std::collections::VecDeque;
use std::fmt;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{self, Stream};
use tokio::time::Instant;

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
    /// longer and is honoured).
    pub fn with_max_backoff(mut self, backoff: Duration) -> EventStreamConfig {
        self.max_backoff = backoff;
        self
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
        backoff
            .max(error.retry_after().unwrap_or_default())
            .max(self.fetch_interval)
    }
}

/// The id of the registered listener, shared by the stream's handle (which
/// unregisters it on drop) and its polling state.
type ListenerSlot = Arc<Mutex<Option<String>>>;

fn lock(slot: &Mutex<Option<String>>) -> MutexGuard<'_, Option<String>> {
    slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Registers a listener and stores its id.
async fn register(client: &Client, slot: &Mutex<Option<String>>) -> Result<(), Error> {
    let listener = client.post_events_register().await?;
    let Some(id) = listener.id.filter(|id| !id.is_empty()) else {
        return Err(Error::Decode {
            operation: &operations::POST_EVENTS_REGISTER,
            message: "the answer carries no listener id".into(),
            excerpt: String::new(),
        });
    };
    tracing::debug!("event listener registered");
    *lock(slot) = Some(id);
    Ok(())
}

/// True for the errors saying the listener no longer exists on the server.
fn listener_gone(error: &Error) -> bool {
    matches!(
        error.kind(),
        ErrorKind::InvalidEventListener | ErrorKind::NoRegisteredEventListener
    )
}

/// The polling state machine, owned by the inner stream.
struct Poller {
    client: Client,
    config: EventStreamConfig,
    listener: ListenerSlot,
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
    /// The next event, or the next failure. Never returns without one.
    async fn next_item(&mut self) -> Result<Event, Error> {
        loop {
            if let Some(event) = self.buffer.pop_front() {
                return Ok(event);
            }
            if let Some(at) = self.not_before {
                tokio::time::sleep_until(at).await;
            }
            let current = lock(&self.listener).clone();
            let Some(id) = current else {
                if let Err(error) = register(&self.client, &self.listener).await {
                    return Err(self.failed(error));
                }
                self.fetched_since_register = false;
                continue;
            };
            if let Some(last) = self.last_fetch {
                tokio::time::sleep_until(last + self.config.fetch_interval).await;
            }
            let result = self.client.post_events_by_listener_id_fetch(&id).await;
            self.last_fetch = Some(Instant::now());
            match result {
                Ok(events) => {
                    self.failures = 0;
                    self.not_before = None;
                    self.fetched_since_register = true;
                    self.buffer.extend(events);
                }
                Err(error) if listener_gone(&error) => {
                    // Forget the dead listener (unless it was replaced meanwhile) so that
                    // the next turn registers a new one.
                    {
                        let mut slot = lock(&self.listener);
                        if slot.as_deref() == Some(id.as_str()) {
                            *slot = None;
                        }
                    }
                    if !self.fetched_since_register {
                        // Gone at once: probably another listener on the same session.
                        return Err(self.failed(error));
                    }
                    tracing::debug!(kind = ?error.kind(), "event listener expired; registering a new one");
                }
                Err(error) => return Err(self.failed(error)),
            }
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
        self.not_before = Some(Instant::now() + wait);
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
/// registered on the same session. The stream handles this:
///
/// - it registers a listener on its first poll (or on [`EventStream::register`]);
/// - it fetches when the events of the previous fetch are all consumed, waiting at
///   least [`EventStreamConfig::fetch_interval`] between the answer of one fetch and
///   the next fetch;
/// - it yields the events one by one, in the order the server sent them;
/// - when the listener is gone (`InvalidEventListener`, `NoRegisteredEventListener`)
///   it registers a new one and goes on; events already fetched are neither lost nor
///   repeated (events the server dropped with the old listener cannot be recovered);
/// - any other failure is yielded as an `Err` item and the stream goes on after a
///   back-off: [`EventStreamConfig::initial_backoff`], doubled after each further
///   consecutive failure up to [`EventStreamConfig::max_backoff`], longer if the
///   server sent `Retry-After`. It is up to the caller to stop on errors it deems
///   fatal (e.g. [`crate::ErrorKind::BadCredentials`]);
/// - the stream never ends by itself; dropping it unregisters the listener in the
///   background (best effort, on the current tokio runtime if there is one;
///   otherwise the listener expires by itself).
///
/// Only one listener lives per session: two streams on one [`Client`] (or its clones)
/// invalidate each other. A listener that is gone before its first successful fetch is
/// therefore reported as an error (and registered again after the back-off) rather
/// than silently replaced in a loop.
///
/// ```no_run
/// # async fn demo(client: overkiz::Client) {
/// use futures::StreamExt;
/// let mut events = client.events();
/// while let Some(item) = events.next().await {
///     match item {
///         Ok(event) => println!("{}", event.name()),
///         Err(error) if error.is_retryable() => eprintln!("will retry: {error}"),
///         Err(error) => { eprintln!("giving up: {error}"); break; }
///     }
/// }
/// # }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct EventStream {
    client: Client,
    config: EventStreamConfig,
    listener: ListenerSlot,
    inner: Pin<Box<dyn Stream<Item = Result<Event, Error>> + Send>>,
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The listener id is left out, like every id in this crate's logs.
        f.debug_struct("EventStream")
            .field("server", self.client.server())
            .field("config", &self.config)
            .field("registered", &lock(&self.listener).is_some())
            .finish_non_exhaustive()
    }
}

impl EventStream {
    fn new(client: Client, config: EventStreamConfig) -> EventStream {
        let listener = ListenerSlot::default();
        let poller = Poller {
            client: client.clone(),
            config: config.clone(),
            listener: listener.clone(),
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
            listener,
            inner: Box::pin(inner),
        }
    }

    /// Registers the listener now, if none is registered yet; the stream otherwise
    /// registers on its first poll. Events that happen before registration are never
    /// seen: call this before launching an execution to follow.
    pub async fn register(&mut self) -> Result<(), Error> {
        if lock(&self.listener).is_some() {
            return Ok(());
        }
        register(&self.client, &self.listener).await
    }

    /// Unregisters the listener now, if one is registered, and waits for the answer
    /// (dropping the stream does the same in the background). Polling the stream
    /// afterwards registers a new listener.
    pub async fn unregister(&mut self) -> Result<(), Error> {
        let Some(id) = lock(&self.listener).take() else {
            return Ok(());
        };
        self.client.post_events_by_listener_id_unregister(&id).await
    }

    /// The id of the registered listener, if one is.
    pub fn listener_id(&self) -> Option<String> {
        lock(&self.listener).clone()
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
        let Some(id) = lock(&self.listener).take() else {
            return;
        };
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                let client = self.client.clone();
                runtime.spawn(async move {
                    match client.post_events_by_listener_id_unregister(&id).await {
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
    pub fn events(&self) -> EventStream {
        self.events_with(EventStreamConfig::default())
    }

    /// The setup's events, with the given settings.
    pub fn events_with(&self, config: EventStreamConfig) -> EventStream {
        EventStream::new(self.clone(), config)
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
    fn streams_cross_threads_and_drop_without_runtime() {
        fn send<T: Send + 'static>() {}
        send::<EventStream>();
        let client = Client::new(
            Server::custom("http://127.0.0.1:1/api").unwrap(),
            Credentials::none(),
        )
        .unwrap();
        let events = client.events();
        *lock(&events.listener) = Some("listener-1".into());
        let debug = format!("{events:?}");
        assert!(
            debug.contains("registered: true") && !debug.contains("listener-1"),
            "{debug}"
        );
        drop(events); // no runtime here: must not panic
    }
}
