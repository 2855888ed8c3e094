//! Deadlines from waits a caller or a server chose (`Duration::MAX` included): one
//! checked addition, so that no wait can overflow an [`Instant`].

use std::time::Duration;

use tokio::time::Instant;

/// The farthest deadline: about 30 years away, what Tokio itself uses for "never".
const FAR: Duration = Duration::from_secs(86_400 * 365 * 30);

/// `start + wait`, saturating at a far deadline (about 30 years after `start`).
pub(crate) fn after(start: Instant, wait: Duration) -> Instant {
    let mut wait = wait.min(FAR);
    loop {
        // Only a platform with a short clock range gets here twice; halving ends at
        // zero, which always fits.
        if let Some(deadline) = start.checked_add(wait) {
            return deadline;
        }
        wait /= 2;
    }
}

/// `now + wait`, saturating at a far deadline.
pub(crate) fn from_now(wait: Duration) -> Instant {
    after(Instant::now(), wait)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn huge_waits_saturate_far_away() {
        let now = Instant::now();
        assert_eq!(
            after(now, Duration::from_secs(5)),
            now + Duration::from_secs(5)
        );
        for huge in [Duration::MAX, Duration::from_secs(u64::MAX), FAR * 2] {
            let deadline = after(now, huge);
            assert!(deadline >= now + FAR / 2, "{huge:?}");
            // And a deadline from a deadline still does not overflow.
            assert!(after(deadline, huge) >= deadline);
        }
        assert!(from_now(Duration::MAX) > now + FAR / 2);
    }
}
