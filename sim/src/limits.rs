//! The documented per-session rate limits ("Per-session rate-limit : 1 calls per 1s
//! period for this particular operation"), enforced when [`RateLimits::Documented`].

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use std::time::Instant;

use crate::answer::Answer;
use crate::faults::ErrorFixture;
use crate::spec::Operation;

/// Whether the simulator enforces the documentation's rate limits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum RateLimits {
    /// No limit (the default): tests may call as often as they like.
    #[default]
    Off,
    /// Every documented limit, per session (or bearer token), over a sliding window:
    /// e.g. one `POST /events/{listenerId}/fetch` per second, one call of the `exec`
    /// category (`POST /exec/apply`, ...) per 28 min 48 s, one `GET /setup` per day.
    ///
    /// A call over its limit is refused without effect: `exec` calls with the
    /// captured "Too many executions" answer (503, `cloud/too-many-executions`), the
    /// others with the captured "Too many requests" answer (429,
    /// `cloud/too-many-requests`). Which body the real servers send for each limit is
    /// not captured; these are the closest real answers.
    Documented,
}

/// Calls counted per (session, limit).
#[derive(Debug, Default)]
pub(crate) struct Limiter {
    calls: Mutex<HashMap<(String, String), VecDeque<Instant>>>,
}

impl Limiter {
    /// Counts a call of `op` by `owner` (a session or token); the refusal answer when
    /// it goes over the documented limit.
    pub(crate) fn check(&self, mode: RateLimits, op: &Operation, owner: &str) -> Option<Answer> {
        self.check_at(mode, op, owner, Instant::now())
    }

    fn check_at(
        &self,
        mode: RateLimits,
        op: &Operation,
        owner: &str,
        now: Instant,
    ) -> Option<Answer> {
        let limit = match mode {
            RateLimits::Off => return None,
            RateLimits::Documented => op.rate_limit.as_ref()?,
        };
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        let window = calls
            .entry((owner.to_owned(), limit.counted_on.clone()))
            .or_default();
        while window
            .front()
            .is_some_and(|t| now.saturating_duration_since(*t) >= limit.period)
        {
            window.pop_front();
        }
        if window.len() < limit.calls as usize {
            window.push_back(now);
            return None;
        }
        Some(if limit.category == "exec" {
            ErrorFixture::TOO_MANY_EXECUTIONS.into()
        } else {
            ErrorFixture::TOO_MANY_REQUESTS.into()
        })
    }

    /// Forgets the calls of `owner` (a session that ended).
    pub(crate) fn forget(&self, owner: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|p| p.into_inner());
        calls.retain(|(o, _), _| o != owner);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::route;

    #[test]
    fn a_limit_counts_per_session_over_a_sliding_window() {
        let limiter = Limiter::default();
        let start = Instant::now();
        let fetch = route("POST", "/events/x/fetch").unwrap().0;
        let mode = RateLimits::Documented;
        assert!(limiter.check_at(mode, fetch, "session:a", start).is_none());
        let refused = limiter.check_at(mode, fetch, "session:a", start).unwrap();
        assert_eq!(refused.status, 429);
        // Another session has its own count.
        assert!(limiter.check_at(mode, fetch, "session:b", start).is_none());
        let later = start + std::time::Duration::from_millis(1000);
        assert!(limiter.check_at(mode, fetch, "session:a", later).is_none());
        // Unlimited operations and the default mode count nothing.
        let setup_devices = route("GET", "/exec/current").unwrap().0;
        for _ in 0..5 {
            assert!(limiter
                .check_at(mode, setup_devices, "session:a", start)
                .is_none());
            assert!(limiter
                .check_at(RateLimits::Off, fetch, "session:a", start)
                .is_none());
        }
    }

    #[test]
    fn the_exec_category_shares_one_count() {
        let limiter = Limiter::default();
        let start = Instant::now();
        let mode = RateLimits::Documented;
        let apply = route("POST", "/exec/apply").unwrap().0;
        let high = route("POST", "/exec/apply/highPriority").unwrap().0;
        assert!(limiter.check_at(mode, apply, "token:t", start).is_none());
        let refused = limiter.check_at(mode, high, "token:t", start).unwrap();
        assert_eq!(refused.status, 503);
        assert!(String::from_utf8_lossy(&refused.body).contains("Too many executions"));
        limiter.forget("token:t");
        assert!(limiter.check_at(mode, high, "token:t", start).is_none());
    }
}
