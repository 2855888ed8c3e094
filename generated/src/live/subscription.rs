//! [`Subscription`]: the changes of a [`Home`](crate::Home) (or of one of its
//! devices) as a `Stream` of [`Notice`]s, with "lagged" and the current state for a
//! subscriber that fell behind.

use std::fmt;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use futures::stream::{self, Stream};
use tokio::sync::broadcast;

use crate::live::change::{Change, Notice};
use crate::live::model::HomeSnapshot;
use crate::live::shared::Shared;
use crate::value::lock::lock;

/// The changes of a [`Home`](crate::Home) (or of one of its devices), from
/// [`Home::subscribe`](crate::Home::subscribe): a `Stream` of [`Notice`]s, ending when the home is dropped.
#[must_use = "streams do nothing unless polled"]
pub struct Subscription {
    snapshot: HomeSnapshot,
    device: Option<String>,
    inner: Pin<Box<dyn Stream<Item = Notice> + Send>>,
}

impl fmt::Debug for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Subscription")
            .field("device", &self.device)
            .field("from_seq", &self.snapshot.seq)
            .finish_non_exhaustive()
    }
}

impl Subscription {
    pub(crate) fn new(
        shared: Arc<Shared>,
        receiver: Option<broadcast::Receiver<Arc<Change>>>,
        device: Option<String>,
        snapshot: HomeSnapshot,
    ) -> Subscription {
        let state = (shared, receiver, device.clone(), snapshot.seq);
        let inner = stream::unfold(
            state,
            |(shared, mut receiver, device, mut seen)| async move {
                loop {
                    let received = receiver.as_mut()?.recv().await;
                    match received {
                        Ok(change) => {
                            if change.seq <= seen {
                                // Already in the snapshot given with the last lag.
                                continue;
                            }
                            seen = change.seq;
                            let change = match &device {
                                Some(url) => match change.for_device(url) {
                                    Some(change) => change,
                                    None => continue,
                                },
                                None => Change::clone(&change),
                            };
                            return Some((
                                Notice::Changed(change),
                                (shared, receiver, device, seen),
                            ));
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            let snapshot = {
                                let model = lock(&shared.model);
                                match &device {
                                    Some(url) => model.device_snapshot(url),
                                    None => model.snapshot(),
                                }
                            };
                            seen = snapshot.seq;
                            let notice = Notice::Lagged {
                                missed,
                                snapshot: Box::new(snapshot),
                            };
                            return Some((notice, (shared, receiver, device, seen)));
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        );
        Subscription {
            snapshot,
            device,
            inner: Box::pin(inner),
        }
    }

    /// The model when the subscription started (for a device subscription, with only
    /// that device): the changes it yields come after it.
    pub fn snapshot(&self) -> &HomeSnapshot {
        &self.snapshot
    }
}

impl Stream for Subscription {
    type Item = Notice;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Notice>> {
        self.inner.as_mut().poll_next(cx)
    }
}
