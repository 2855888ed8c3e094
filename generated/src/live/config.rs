//! [`HomeConfig`]: the settings of a [`Home`](crate::Home).

use std::time::Duration;

use crate::follow::event_stream::EventStreamConfig;

/// Settings of a [`Home`](crate::Home).
///
/// ```
/// use std::time::Duration;
/// use overkiz::HomeConfig;
/// let config = HomeConfig::default().with_capacity(256);
/// assert_eq!(config.capacity(), 256);
/// assert_eq!(HomeConfig::default().capacity(), 1024);
/// assert_eq!(HomeConfig::default().initial_backoff(), Duration::from_secs(1));
/// ```
#[derive(Debug, Clone)]
pub struct HomeConfig {
    capacity: usize,
    events: EventStreamConfig,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for HomeConfig {
    /// 1024 changes kept for slow subscribers; the default event stream; re-reads
    /// retried after 1 s, doubling up to 60 s.
    fn default() -> HomeConfig {
        HomeConfig {
            capacity: 1024,
            events: EventStreamConfig::default(),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
        }
    }
}

impl HomeConfig {
    /// Sets how many changes are kept for subscribers that fall behind (at least 1):
    /// one that falls further behind gets [`Notice::Lagged`](crate::Notice::Lagged). Memory stays bounded by it.
    pub fn with_capacity(mut self, capacity: usize) -> HomeConfig {
        self.capacity = capacity.max(1);
        self
    }

    /// Sets the settings of the event stream the home follows.
    pub fn with_events(mut self, events: EventStreamConfig) -> HomeConfig {
        self.events = events;
        self
    }

    /// Sets the wait before retrying a re-read that failed (the server still down);
    /// it doubles after each further failure.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> HomeConfig {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the longest wait between retries of a failed re-read.
    pub fn with_max_backoff(mut self, backoff: Duration) -> HomeConfig {
        self.max_backoff = backoff;
        self
    }

    /// How many changes are kept for slow subscribers.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The event stream's settings.
    pub fn events(&self) -> &EventStreamConfig {
        &self.events
    }

    /// The first wait before retrying a failed re-read.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest wait before retrying a failed re-read.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }
}
