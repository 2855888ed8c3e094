//! What a [`Home`](crate::Home) tells its subscribers: each [`Change`] (one event, or
//! the differences one re-read found) made of [`Update`]s, in order, and [`Notice`],
//! the item of a subscription (a change, or "you lagged, here is the current state").

use std::time::SystemTime;

use crate::follow::execution::ExecutionState;
use crate::live::model::{HomeSnapshot, LiveDevice, LivePlace};
use crate::value::gap::GapReason;
use crate::value::state::StateValue;

/// Where a [`Change`] comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Origin {
    /// One event of the event stream, as the server reported it.
    Event,
    /// A re-read of the server's state after events may have been missed: the
    /// differences between the model and what the server answered (none when
    /// nothing differed: the devices read are confirmed all the same).
    ReRead(ReReadCause),
}

/// Why a [`Home`](crate::Home) re-read the server's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReReadCause {
    /// The event stream reported a gap.
    Gap(GapReason),
    /// The event stream's calls failed for a while (an outage, a 503 window, a
    /// maintenance page) and answered again: events may have been lost meanwhile.
    Outage,
    /// The device list was re-read, later than the gap that called for it, when the
    /// documented limit of the read allowed it.
    DeferredList,
    /// Asked by [`Home::refresh`](crate::Home::refresh).
    Requested,
}

/// One difference the model went through.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Update {
    /// State `name` of `device` changed (`old` is `None` for a state the device did
    /// not have).
    State {
        /// The device URL.
        device: String,
        /// The state's name (`core:ClosureState`).
        name: String,
        /// The value before.
        old: Option<StateValue>,
        /// The value now.
        new: StateValue,
    },
    /// A device appeared.
    DeviceAdded(LiveDevice),
    /// A device's label, class, place or other description changed (its states
    /// change through [`Update::State`]); the device as it is now.
    DeviceUpdated(LiveDevice),
    /// A device left the setup.
    DeviceRemoved {
        /// The device URL.
        device: String,
    },
    /// A device became reachable or unreachable.
    Availability {
        /// The device URL.
        device: String,
        /// Whether it is reachable now.
        available: bool,
    },
    /// A place appeared or changed; the place as it is now.
    PlaceChanged(LivePlace),
    /// A place was removed.
    PlaceRemoved {
        /// Its oid.
        oid: String,
    },
    /// A gateway went down or came back.
    Gateway {
        /// Its id.
        gateway: String,
        /// Whether it is connected now.
        alive: bool,
    },
    /// An execution started, changed state or ended (a final state: it leaves the
    /// model's running executions).
    Execution {
        /// Its id.
        id: String,
        /// Its state now.
        state: ExecutionState,
    },
    /// An execution the model had seen running is no longer running, found by a
    /// re-read: it ended while events were missed, how is not known.
    ExecutionEnded {
        /// Its id.
        id: String,
    },
}

impl Update {
    /// The device this update is about, if one.
    pub fn device(&self) -> Option<&str> {
        match self {
            Update::State { device, .. }
            | Update::DeviceRemoved { device }
            | Update::Availability { device, .. } => Some(device),
            Update::DeviceAdded(d) | Update::DeviceUpdated(d) => Some(&d.url),
            _ => None,
        }
    }
}

/// What changed in the model at once: the updates of one event, or every difference
/// one re-read found.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Its number: 1 for the first change after the start, then one more each time
    /// (a subscriber sees them in this order).
    pub seq: u64,
    /// An event or a re-read.
    pub origin: Origin,
    /// When it was applied (the client's clock).
    pub at: SystemTime,
    /// The server's time of the event, in milliseconds since the epoch, if it gave one.
    pub server_time: Option<i64>,
    /// The differences, in the order they happened.
    pub updates: Vec<Update>,
}

impl Change {
    /// Whether it comes from a re-read (marked "re-read" in a table).
    pub fn is_reread(&self) -> bool {
        matches!(self.origin, Origin::ReRead(_))
    }

    /// This change reduced to the updates about `device` (`None` when it has none).
    pub fn for_device(&self, device: &str) -> Option<Change> {
        let updates: Vec<Update> = self
            .updates
            .iter()
            .filter(|u| u.device() == Some(device))
            .cloned()
            .collect();
        (!updates.is_empty()).then(|| Change {
            updates,
            ..self.clone()
        })
    }
}

/// An item of a subscription ([`Home::subscribe`](crate::Home::subscribe)).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Notice {
    /// The next change, in order.
    Changed(Change),
    /// The subscriber fell behind by more changes than the home keeps
    /// ([`HomeConfig::with_capacity`](crate::HomeConfig::with_capacity)): `missed`
    /// changes are skipped, and `snapshot` is the current state (for a device
    /// subscription, with only that device). The changes that follow come after it.
    Lagged {
        /// How many changes were skipped.
        missed: u64,
        /// The model now.
        snapshot: Box<HomeSnapshot>,
    },
}
