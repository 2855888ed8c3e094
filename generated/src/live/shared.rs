//! What a [`Home`](crate::Home)'s handles, subscriptions and task share
//! ([`Shared`]: the model, the sender of changes, the status), and [`HomeStatus`],
//! how current the model is.

use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::broadcast;

use crate::live::apply::Model;
use crate::live::change::{Change, Origin, Update};
use crate::value::lock::lock;

/// How current a [`Home`](crate::Home) is ([`Home::status`](crate::Home::status)).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct HomeStatus {
    /// When the last event was applied.
    pub last_event: Option<SystemTime>,
    /// When the last re-read was applied.
    pub last_reread: Option<SystemTime>,
    /// The last failure of the event stream or of a re-read, since the last success
    /// (`None` while all is well).
    pub failing: Option<String>,
    /// A re-read is waiting (events may have been missed and the server has not
    /// answered the re-read yet).
    pub reread_pending: bool,
    /// When the device list was last read (`GET /setup` or `GET /setup/devices`,
    /// each documented as once a day).
    pub device_list_read: Option<SystemTime>,
    /// When a re-read of the device list is due, if one waits for the documented
    /// limit: devices created while events were missed are not known before.
    pub device_list_due: Option<SystemTime>,
    /// The subscribers now.
    pub subscribers: usize,
}

/// What the handles, the subscriptions and the task share.
pub(crate) struct Shared {
    pub(crate) model: Mutex<Model>,
    /// `None` once every handle is dropped: the subscriptions end.
    pub(crate) sender: Mutex<Option<broadcast::Sender<Arc<Change>>>>,
    pub(crate) status: Mutex<HomeStatus>,
    /// Wakes the task for [`Home::refresh`].
    pub(crate) refresh: tokio::sync::Notify,
}

impl Shared {
    /// Applies `updates` as the next change and sends it to the subscribers (an
    /// event's only when it changed something), under
    /// the model's lock (so that a snapshot and the changes after it never overlap).
    pub(crate) fn publish(
        &self,
        model: &mut Model,
        origin: Origin,
        server_time: Option<i64>,
        updates: Vec<Update>,
    ) {
        // An event that changed nothing is not a change; a re-read always is (its
        // devices were confirmed, even when nothing differed).
        if updates.is_empty() && origin == Origin::Event {
            return;
        }
        model.seq += 1;
        let change = Arc::new(Change {
            seq: model.seq,
            origin,
            at: SystemTime::now(),
            server_time,
            updates,
        });
        if let Some(sender) = lock(&self.sender).as_ref() {
            // No subscriber is not an error.
            let _ = sender.send(change);
        }
    }
}
