//! The task behind a [`Home`](crate::Home): follows the event stream, applies each
//! event to the model, and re-reads the server's state after a gap or an outage (the
//! device list only when a setup-change event may have been lost, within the
//! documented limit of the read).

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use futures::StreamExt;
use tokio::time::Instant;

use crate::follow::event_stream::EventStream;
use crate::live::apply::{live_device, live_executions, live_gateway, live_places};
use crate::live::change::{Origin, ReReadCause};
use crate::live::config::HomeConfig;
use crate::live::model::{Confirmation, LiveDevice};
use crate::live::reads::Decoders;
use crate::live::shared::Shared;
use crate::value::deadline;
use crate::value::lock::lock;
use crate::value::operation::OperationInfo;
use crate::{operations, Client, Error, ErrorKind, Event};

/// A re-read waiting to run.
#[derive(Debug, Clone, Copy)]
struct Pending {
    cause: ReReadCause,
    /// Whether the device list must be re-read too.
    list: bool,
    /// Not before this instant.
    due: Instant,
}

/// The reads of the device list, for their documented limits.
#[derive(Debug, Default)]
struct ListReads {
    /// The last `GET /setup`.
    setup: Option<Instant>,
    /// The last `GET /setup/devices`.
    devices: Option<Instant>,
}

/// Whether `operation` may be called at `now` after a call at `last`, by its
/// documented limit; and if not, from when.
fn allowed(operation: &OperationInfo, last: Option<Instant>, now: Instant) -> Result<(), Instant> {
    match (operation.rate_limit, last) {
        (Some(limit), Some(last)) => {
            let next = deadline::after(last, limit.min_interval());
            if next <= now {
                Ok(())
            } else {
                Err(next)
            }
        }
        _ => Ok(()),
    }
}

/// What one re-read found, before it is applied.
#[derive(Debug, Default)]
struct Found {
    /// The whole device list, when it was read.
    list: Option<Vec<LiveDevice>>,
    /// Places, when the setup was read.
    places: Option<std::collections::BTreeMap<String, crate::live::LivePlace>>,
    /// Devices read one by one.
    devices: Vec<LiveDevice>,
    /// Devices the server no longer knows.
    removed: Vec<String>,
    gateways: Vec<crate::live::LiveGateway>,
    executions: Option<std::collections::BTreeMap<String, crate::live::LiveExecution>>,
}

struct Task {
    shared: Arc<Shared>,
    client: Client,
    decoders: Decoders,
    events: EventStream,
    config: HomeConfig,
    pending: Option<Pending>,
    /// A device-list re-read waiting for its documented limit.
    list_due: Option<Instant>,
    reads: ListReads,
    /// Consecutive failed re-reads.
    failures: u32,
    /// The devices a failed re-read had read already, and the listener they were
    /// read under: the next attempt goes on from there (a large setup under a
    /// server's throttling still finishes), unless the listener changed since.
    partial: Option<(Option<String>, Found)>,
}

/// Runs the model of `shared` until the task is aborted.
pub(crate) async fn run(
    shared: Arc<Shared>,
    client: Client,
    decoders: Decoders,
    events: EventStream,
    config: HomeConfig,
    reread_first: bool,
) {
    let mut task = Task {
        shared,
        client,
        decoders,
        events,
        config,
        pending: None,
        list_due: None,
        reads: ListReads::default(),
        failures: 0,
        partial: None,
    };
    if reread_first {
        task.ask(ReReadCause::Requested, false, Instant::now());
    } else {
        task.reads.setup = Some(Instant::now());
    }
    task.run().await;
}

impl Task {
    async fn run(&mut self) {
        loop {
            let due = self.pending.map(|p| p.due);
            let list_due = self.list_due;
            tokio::select! {
                biased;
                () = self.shared.refresh.notified() => {
                    self.ask(ReReadCause::Requested, false, Instant::now());
                }
                () = sleep_until(due), if due.is_some() => {
                    self.reread().await;
                }
                () = sleep_until(list_due), if list_due.is_some() => {
                    self.list_due = None;
                    self.ask(ReReadCause::DeferredList, true, Instant::now());
                }
                item = self.events.next() => match item {
                    Some(Ok(event)) => self.on_event(event).await,
                    Some(Err(Error::EventsLost { reason })) => {
                        tracing::debug!(%reason, "live home: events lost; re-reading");
                        self.ask(ReReadCause::Gap(reason), true, Instant::now());
                    }
                    Some(Err(error)) => self.on_failure(&error),
                    None => return,
                },
            }
        }
    }

    /// Schedules a re-read (merged with one already waiting: the earliest time, the
    /// list if either needs it, the cause of a gap before an outage's).
    fn ask(&mut self, cause: ReReadCause, list: bool, due: Instant) {
        let merged = match self.pending {
            Some(p) => Pending {
                cause: match (p.cause, cause) {
                    (ReReadCause::Gap(_), _) => p.cause,
                    _ => cause,
                },
                list: p.list || list,
                due: p.due.min(due),
            },
            None => Pending { cause, list, due },
        };
        self.pending = Some(merged);
        lock(&self.shared.status).reread_pending = true;
    }

    fn on_failure(&mut self, error: &Error) {
        tracing::debug!(kind = ?error.kind(), "live home: event stream failed; will re-read once answered");
        lock(&self.shared.status).failing = Some(error.to_string());
        // Events may be lost server-side during an outage: re-read once it answers
        // (the re-read itself waits and retries while it does not).
        let due = deadline::from_now(self.backoff());
        if self.pending.is_none() {
            self.ask(ReReadCause::Outage, false, due);
        }
    }

    async fn on_event(&mut self, event: Event) {
        let server_time = event_time(&event);
        let read = match &event {
            // The event has no class, widget or states: the device is read (no
            // documented limit) and published whole, with this event's change.
            Event::DeviceCreated(e) => match &e.device_url {
                Some(url) => Some(self.decoders.device(&self.client, url).await),
                None => None,
            },
            _ => None,
        };
        {
            let mut model = lock(&self.shared.model);
            let updates = match read {
                Some(Ok(device)) => live_device(&device, Confirmation::Read)
                    .map(|device| model.merge_device(device))
                    .unwrap_or_default(),
                Some(Err(error)) => {
                    tracing::debug!(kind = ?error.kind(), "live home: cannot read a created device");
                    model.apply_event(&event)
                }
                None => model.apply_event(&event),
            };
            self.shared
                .publish(&mut model, Origin::Event, server_time, updates);
        }
        self.after_success();
    }

    fn after_success(&mut self) {
        let mut status = lock(&self.shared.status);
        status.last_event = Some(SystemTime::now());
        if status.failing.take().is_some() {
            // The stream answers again: a waiting outage re-read may run now.
            if let Some(p) = &mut self.pending {
                p.due = Instant::now();
            }
        }
    }

    fn backoff(&self) -> Duration {
        let exponent = self.failures.min(16);
        self.config
            .initial_backoff()
            .saturating_mul(1 << exponent)
            .min(self.config.max_backoff())
    }

    /// Runs the waiting re-read; on failure, schedules it again after a back-off.
    async fn reread(&mut self) {
        let Some(pending) = self.pending else {
            return;
        };
        match self.read(pending.list).await {
            Ok(found) => {
                self.pending = None;
                self.failures = 0;
                let mut model = lock(&self.shared.model);
                let mut updates = Vec::new();
                if let Some(list) = found.list {
                    updates.extend(model.merge_device_list(list));
                }
                for device in found.devices {
                    // Not a device the list just removed.
                    if model.devices.contains_key(&device.url) {
                        updates.extend(model.merge_device(device));
                    }
                }
                for url in &found.removed {
                    updates.extend(model.remove_device(url));
                }
                if let Some(places) = found.places {
                    updates.extend(model.merge_places(places));
                }
                for gateway in found.gateways {
                    updates.extend(model.merge_gateway(gateway));
                }
                if let Some(executions) = found.executions {
                    updates.extend(model.merge_executions(executions));
                }
                self.shared
                    .publish(&mut model, Origin::ReRead(pending.cause), None, updates);
                drop(model);
                let mut status = lock(&self.shared.status);
                status.last_reread = Some(SystemTime::now());
                status.reread_pending = false;
                status.failing = None;
                status.device_list_due = self.list_due.map(to_system_time);
            }
            Err(error) => {
                self.failures = self.failures.saturating_add(1);
                // A server asking for a longer wait is obeyed (up to an hour).
                let asked = error
                    .retry_after()
                    .unwrap_or_default()
                    .min(Duration::from_secs(3600));
                let wait = self.backoff().max(asked);
                tracing::debug!(kind = ?error.kind(), wait_ms = wait.as_millis() as u64, "live home: re-read failed; retrying");
                lock(&self.shared.status).failing = Some(error.to_string());
                self.pending = Some(Pending {
                    due: deadline::from_now(wait),
                    ..pending
                });
            }
        }
    }

    /// Reads what a re-read needs. The first failure stops it; what was read is kept
    /// for the next attempt under the same listener.
    async fn read(&mut self, list: bool) -> Result<Found, Error> {
        // A new listener first: an event after the reads is then never missed.
        self.events.register().await?;
        let listener = self.events.listener_id();
        let mut found = match self.partial.take() {
            Some((under, found)) if under == listener => found,
            _ => Found::default(),
        };
        match self.read_into(&mut found, list).await {
            Ok(()) => Ok(found),
            Err(error) => {
                self.partial = Some((listener, found));
                Err(error)
            }
        }
    }

    async fn read_into(&mut self, found: &mut Found, list: bool) -> Result<(), Error> {
        let local = self.client.server().is_local();
        let now = Instant::now();
        let setup_allowed = allowed(&operations::GET_SETUP, self.reads.setup, now);
        let devices_allowed = allowed(&operations::GET_SETUP_DEVICES, self.reads.devices, now);
        if found.list.is_some() {
            // Read by an earlier attempt.
        } else if local || (list && setup_allowed.is_ok()) {
            // A gateway's local API documents no limit: its setup is the cheapest
            // complete read.
            self.reads.setup = Some(now);
            let setup = self.decoders.setup(&self.client).await?;
            found.list = Some(
                setup
                    .devices
                    .iter()
                    .flatten()
                    .filter_map(|d| live_device(d, Confirmation::Read))
                    .collect(),
            );
            found.gateways = setup
                .gateways
                .iter()
                .flatten()
                .filter_map(live_gateway)
                .collect();
            found.places = setup.root_place.as_ref().map(live_places);
            self.list_read();
        } else if list && devices_allowed.is_ok() {
            self.reads.devices = Some(now);
            let devices = self.decoders.devices(&self.client).await?;
            found.list = Some(
                devices
                    .iter()
                    .filter_map(|d| live_device(d, Confirmation::Read))
                    .collect(),
            );
            self.list_read();
        } else if list {
            let due = match (setup_allowed, devices_allowed) {
                (Err(a), Err(b)) => a.min(b),
                _ => now,
            };
            tracing::debug!("live home: the device list may not be read yet; re-reading it later");
            self.list_due = Some(due);
        }
        if found.list.is_none() {
            let urls: Vec<String> = lock(&self.shared.model).devices.keys().cloned().collect();
            for url in urls {
                if found.devices.iter().any(|d| d.url == url) || found.removed.contains(&url) {
                    continue;
                }
                match self.decoders.device(&self.client, &url).await {
                    Ok(device) => found
                        .devices
                        .extend(live_device(&device, Confirmation::Read)),
                    Err(error)
                        if matches!(
                            error.kind(),
                            ErrorKind::NoSuchDevice | ErrorKind::NoSuchResource
                        ) =>
                    {
                        found.removed.push(url);
                    }
                    Err(error) => return Err(error),
                }
            }
        }
        if !local {
            let ids: Vec<String> = lock(&self.shared.model).gateways.keys().cloned().collect();
            for id in ids {
                if found.gateways.iter().any(|g| g.id == id) {
                    continue;
                }
                let gateway = self.decoders.gateway(&self.client, &id).await?;
                found.gateways.extend(live_gateway(&gateway));
            }
        }
        let current = self.client.read_running_executions().await?;
        found.executions = Some(live_executions(&current));
        Ok(())
    }

    fn list_read(&mut self) {
        self.list_due = None;
        lock(&self.shared.status).device_list_read = Some(SystemTime::now());
    }
}

/// Sleeps until `at` (forever when `None`; the branch is disabled then anyway).
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// A tokio instant on the system clock (for [`HomeStatus`](crate::HomeStatus)).
fn to_system_time(at: Instant) -> SystemTime {
    SystemTime::now() + at.saturating_duration_since(Instant::now())
}

/// The server's time of an event, when it gives one (the events the model follows).
fn event_time(event: &Event) -> Option<i64> {
    match event {
        Event::DeviceStateChanged(e) => e.timestamp,
        Event::DeviceCreated(e) => e.timestamp,
        Event::DeviceUpdated(e) => e.timestamp,
        Event::DeviceRemoved(e) => e.timestamp,
        Event::DeviceAvailable(e) => e.timestamp,
        Event::DeviceUnavailable(e) => e.timestamp,
        Event::GatewayAlive(e) => e.timestamp,
        Event::GatewayDown(e) => e.timestamp,
        Event::PlaceCreated(e) => e.timestamp,
        Event::PlaceUpdated(e) => e.timestamp,
        Event::PlaceDeleted(e) => e.timestamp,
        Event::ExecutionRegistered(e) => e.timestamp,
        Event::ExecutionStateChanged(e) => e.timestamp,
        _ => None,
    }
}
