//! Locking the client's shared states.

use std::sync::{Mutex, MutexGuard};

/// Locks a mutex, ignoring poisoning: the states kept behind them stay consistent.
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
