//! When and how long to wait before sending a call again.
//!
//! Only idempotent calls are retried, only after failures that say nothing was done
//! (network errors, 502/503 answers, "too many concurrent requests"), a bounded number
//! of times, with exponential backoff and jitter so many clients do not retry in step.
//! A server asking to wait longer than [`RetryPolicy::max_backoff`] (Retry-After) is
//! not waited for: the error is returned to the caller.

use std::time::Duration;

/// Retry settings of a [`crate::Client`].
///
/// ```
/// use std::time::Duration;
/// let policy = overkiz::RetryPolicy::default()
///     .with_max_attempts(5)
///     .with_initial_backoff(Duration::from_millis(200));
/// assert_eq!(policy.max_attempts(), 5);
/// assert_eq!(overkiz::RetryPolicy::disabled().max_attempts(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    max_attempts: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
}

impl Default for RetryPolicy {
    /// 3 attempts, waiting about 0.5 s then 1 s, never more than 10 s.
    fn default() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(10),
        }
    }
}

impl RetryPolicy {
    /// No retry: every call is sent once.
    pub const fn disabled() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 1,
            initial_backoff: Duration::ZERO,
            max_backoff: Duration::ZERO,
        }
    }

    /// Sets how many times a call may be sent in all (`1` or `0`: no retry).
    pub fn with_max_attempts(mut self, attempts: u32) -> RetryPolicy {
        self.max_attempts = attempts.max(1);
        self
    }

    /// Sets the wait before the first retry; it doubles at each further retry.
    pub fn with_initial_backoff(mut self, backoff: Duration) -> RetryPolicy {
        self.initial_backoff = backoff;
        self
    }

    /// Sets the longest wait between two attempts. A `Retry-After` longer than this
    /// ends the retries.
    pub fn with_max_backoff(mut self, backoff: Duration) -> RetryPolicy {
        self.max_backoff = backoff;
        self
    }

    /// How many times a call may be sent in all.
    pub fn max_attempts(&self) -> u32 {
        self.max_attempts
    }

    /// Wait before the first retry.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// Longest wait between two attempts.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The wait before retry number `retry` (1 for the first retry): the exponential
    /// delay capped at `max_backoff`, with "equal jitter" (between half and all of it).
    pub(crate) fn backoff(&self, retry: u32) -> Duration {
        let exponent = retry.saturating_sub(1).min(16);
        let delay = self
            .initial_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let half = delay / 2;
        half + half.mul_f64(fastrand::f64())
    }

    /// The wait before retry number `retry`, honouring a server's `Retry-After`;
    /// `None` when the server asks for longer than `max_backoff`.
    pub(crate) fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Option<Duration> {
        match retry_after {
            Some(wait) if wait > self.max_backoff => None,
            Some(wait) => Some(wait.max(self.backoff(retry))),
            None => Some(self.backoff(retry)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default()
            .with_initial_backoff(Duration::from_millis(100))
            .with_max_backoff(Duration::from_millis(350));
        for _ in 0..50 {
            let first = policy.backoff(1);
            assert!(
                first >= Duration::from_millis(50) && first <= Duration::from_millis(100),
                "{first:?}"
            );
            let second = policy.backoff(2);
            assert!(
                second >= Duration::from_millis(100) && second <= Duration::from_millis(200),
                "{second:?}"
            );
            let late = policy.backoff(30);
            assert!(
                late >= Duration::from_millis(175) && late <= Duration::from_millis(350),
                "{late:?}"
            );
        }
    }

    #[test]
    fn retry_after_is_honoured_only_when_short() {
        let policy = RetryPolicy::default()
            .with_initial_backoff(Duration::ZERO)
            .with_max_backoff(Duration::from_secs(5));
        assert_eq!(
            policy.delay(1, Some(Duration::from_secs(2))),
            Some(Duration::from_secs(2))
        );
        assert_eq!(policy.delay(1, Some(Duration::from_secs(600))), None);
        assert_eq!(policy.delay(1, None), Some(Duration::ZERO));
    }

    #[test]
    fn attempts_are_at_least_one() {
        assert_eq!(
            RetryPolicy::default().with_max_attempts(0).max_attempts(),
            1
        );
        assert_eq!(RetryPolicy::disabled().max_attempts(), 1);
        assert_eq!(RetryPolicy::default().max_attempts(), 3);
    }
}
