//! [`Home`]: the handle of a live model of a setup (reads, subscriptions, refresh).
//! The task that moves the model is in `live::task`.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use tokio::sync::broadcast;

use crate::follow::event_stream::EventStream;
use crate::live::apply::{live_executions, Model};
use crate::live::config::HomeConfig;
use crate::live::model::{HomeSnapshot, LiveDevice, LiveExecution, LiveGateway, LivePlace};
use crate::live::reads::Decoders;
use crate::live::shared::{HomeStatus, Shared};
use crate::live::subscription::Subscription;
use crate::live::task;
use crate::types::Setup;
use crate::value::lock::lock;
use crate::{Client, Error};

/// Stops the task when the last handle goes.
struct Stopper {
    task: tokio::task::JoinHandle<()>,
    shared: Arc<Shared>,
}

impl Drop for Stopper {
    fn drop(&mut self) {
        self.task.abort();
        lock(&self.shared.sender).take();
    }
}

/// A live model of a setup: its devices (label, class, states, availability, how
/// fresh), places, gateways and running executions, kept current by the event stream,
/// and a stream of its changes for subscribers.
///
/// This is the coordinator every home-automation integration otherwise writes around
/// a client: started from one setup read and the event stream ([`Client::events`]),
/// it applies every event that changes the setup (device states, devices and places
/// created, updated or removed, devices and gateways unavailable or back, executions)
/// in the order the server sent them.
///
/// # After a gap
///
/// Whenever events may have been missed (the stream reports
/// [`Error::EventsLost`]: the listener was lost, the session renewed, a fetch failed
/// after it may have been answered; or its calls failed for a while: an outage, a 503
/// window, a maintenance page), the home registers a new listener first and then
/// re-reads what it tracks, never the whole setup by default:
///
/// - each device (`GET /setup/devices/{deviceURL}`: no documented limit; its states,
///   label, place and availability; a device the server no longer knows is removed),
/// - each gateway (`GET /setup/gateways/{gatewayId}`, no documented limit),
/// - the running executions (`GET /exec/current`, no documented limit),
/// - and, only when a setup-change event may have been lost (a gap, not a mere
///   outage during which the listener lived on), the device list, within its
///   documented limit: `GET /setup` and `GET /setup/devices` are each documented as
///   once a day, so the home tracks its last read of each and, when neither may be
///   called yet, re-reads the list when one may ([`HomeStatus::device_list_due`]).
///   A gateway's local API documents no limit: there the list is re-read at once.
///
/// The differences become one [`Change`](crate::live::Change) whose origin is
/// [`Origin::ReRead`](crate::live::Origin::ReRead). A re-read the server does not
/// answer (503, down) is retried after a back-off until it is answered: no reload is
/// ever needed after a maintenance window.
///
/// # Subscribers
///
/// [`Home::subscribe`] (the whole home) and [`Home::subscribe_device`] (one device)
/// yield every change in order: a contact sensor that opens and closes between two
/// fetches is two changes. A subscriber that falls more than
/// [`HomeConfig::capacity`] changes behind gets [`Notice::Lagged`](crate::live::Notice::Lagged) with the current
/// state, then the changes after it; memory stays bounded.
///
/// # Cloud and local
///
/// The same API works with a client of a gateway's local API
/// ([`Client::local`]): local values are typed JSON, cloud values strings; both give
/// the same [`StateValue`](crate::StateValue)s.
///
/// `Home` is a cheap handle ([`Clone`]); the model lives until the last handle is
/// dropped, which stops its task and ends the subscriptions. It needs a tokio runtime.
///
/// ```no_run
/// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
/// use futures::StreamExt;
/// use overkiz::{Home, Notice};
/// let home = Home::start(client).await?;
/// for device in home.devices() {
///     println!("{} ({:?}): {:?}", device.label, device.ui_class, device.main_states(2));
/// }
/// let mut changes = home.subscribe();
/// while let Some(notice) = changes.next().await {
///     match notice {
///         Notice::Changed(change) => println!("#{} {:?}", change.seq, change.updates),
///         Notice::Lagged { missed, .. } => println!("missed {missed} changes; state refreshed"),
///         _ => {}
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Home {
    shared: Arc<Shared>,
    client: Client,
    // Held for its `Drop`: the last handle stops the task.
    _stopper: Arc<Stopper>,
}

impl fmt::Debug for Home {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let model = lock(&self.shared.model);
        f.debug_struct("Home")
            .field("server", self.client.server())
            .field("seq", &model.seq)
            .field("devices", &model.devices.len())
            .field("gateways", &model.gateways.len())
            .finish_non_exhaustive()
    }
}

impl Home {
    /// Starts a live model of `client`'s setup with the default [`HomeConfig`]:
    /// registers an event listener, reads the setup (`GET /setup`, documented as once
    /// a day) and the running executions (`GET /exec/current`), and follows the events.
    #[inline]
    pub fn start(client: Client) -> impl Future<Output = Result<Home, Error>> + Send {
        Home::start_with(client, HomeConfig::default())
    }

    /// Starts a live model of `client`'s setup with `config`.
    ///
    /// (The constructors are `#[inline]` shells: they hand the decoders of what the
    /// home reads to the code compiled here, so only a program that starts a home
    /// compiles them; see `live/reads.rs`.)
    #[inline]
    pub fn start_with(
        client: Client,
        config: HomeConfig,
    ) -> impl Future<Output = Result<Home, Error>> + Send {
        let events = client.events_with(config.events().clone());
        Home::read_and_spawn(client, events, config, Decoders::json())
    }

    /// Starts a live model from a setup the caller has read already (e.g. at
    /// start-up): no `GET /setup`. Since events before the listener's registration
    /// are not seen, each device's state is re-read (no documented limit) before the
    /// model is used; its [`Change`](crate::live::Change)s come first.
    #[inline]
    pub fn start_from(
        client: Client,
        setup: &Setup,
        config: HomeConfig,
    ) -> impl Future<Output = Result<Home, Error>> + Send {
        let events = client.events_with(config.events().clone());
        let model = Model::from_setup(setup);
        Home::register_and_spawn(client, events, config, model, Decoders::json())
    }

    /// [`Home::start_with`] once its decoders are given.
    async fn read_and_spawn(
        client: Client,
        mut events: EventStream,
        config: HomeConfig,
        decoders: Decoders,
    ) -> Result<Home, Error> {
        // Registered before the read: no event between the two is missed.
        events.register().await?;
        let setup = decoders.setup(&client).await?;
        let mut model = Model::from_setup(&setup);
        // The executions already running (no documented limit).
        model.executions = live_executions(&client.read_running_executions().await?);
        Ok(Home::spawn(client, events, config, model, decoders, false))
    }

    /// [`Home::start_from`] once its decoders are given.
    async fn register_and_spawn(
        client: Client,
        mut events: EventStream,
        config: HomeConfig,
        model: Model,
        decoders: Decoders,
    ) -> Result<Home, Error> {
        events.register().await?;
        Ok(Home::spawn(client, events, config, model, decoders, true))
    }

    fn spawn(
        client: Client,
        events: EventStream,
        config: HomeConfig,
        model: Model,
        decoders: Decoders,
        reread_first: bool,
    ) -> Home {
        let (sender, _) = broadcast::channel(config.capacity());
        let status = HomeStatus {
            device_list_read: (!reread_first).then(SystemTime::now),
            ..HomeStatus::default()
        };
        let shared = Arc::new(Shared {
            model: Mutex::new(model),
            sender: Mutex::new(Some(sender)),
            status: Mutex::new(status),
            refresh: tokio::sync::Notify::new(),
        });
        let task = tokio::spawn(task::run(
            shared.clone(),
            client.clone(),
            decoders,
            events,
            config,
            reread_first,
        ));
        Home {
            _stopper: Arc::new(Stopper {
                task,
                shared: shared.clone(),
            }),
            shared,
            client,
        }
    }

    /// The devices, by URL order.
    pub fn devices(&self) -> Vec<LiveDevice> {
        lock(&self.shared.model).devices.values().cloned().collect()
    }

    /// The device `url`, if the setup has it.
    pub fn device(&self, url: &str) -> Option<LiveDevice> {
        lock(&self.shared.model).devices.get(url).cloned()
    }

    /// The places, by oid order.
    pub fn places(&self) -> Vec<LivePlace> {
        lock(&self.shared.model).places.values().cloned().collect()
    }

    /// The gateways, by id order.
    pub fn gateways(&self) -> Vec<LiveGateway> {
        lock(&self.shared.model)
            .gateways
            .values()
            .cloned()
            .collect()
    }

    /// The executions seen running (started and not ended).
    pub fn executions(&self) -> Vec<LiveExecution> {
        lock(&self.shared.model)
            .executions
            .values()
            .cloned()
            .collect()
    }

    /// The whole model at once, with the number of the last change it includes.
    pub fn snapshot(&self) -> HomeSnapshot {
        lock(&self.shared.model).snapshot()
    }

    /// How current the model is: last event, last re-read, failures, pending re-reads.
    pub fn status(&self) -> HomeStatus {
        let mut status = lock(&self.shared.status).clone();
        status.subscribers = lock(&self.shared.sender)
            .as_ref()
            .map_or(0, broadcast::Sender::receiver_count);
        status
    }

    /// The client the home reads with (e.g. to run commands).
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Every change of the whole home from now on, in order
    /// ([`Subscription::snapshot`] is the state it starts from).
    pub fn subscribe(&self) -> Subscription {
        self.subscription(None)
    }

    /// Every change of device `url` from now on, in order (the changes reduced to
    /// their updates about it).
    pub fn subscribe_device(&self, url: &str) -> Subscription {
        self.subscription(Some(url.to_owned()))
    }

    fn subscription(&self, device: Option<String>) -> Subscription {
        let model = lock(&self.shared.model);
        let receiver = lock(&self.shared.sender)
            .as_ref()
            .map(broadcast::Sender::subscribe);
        let snapshot = match &device {
            Some(url) => model.device_snapshot(url),
            None => model.snapshot(),
        };
        drop(model);
        Subscription::new(self.shared.clone(), receiver, device, snapshot)
    }

    /// Asks for a re-read of every device, gateway and running execution now (not of
    /// the device list), as after an outage; the differences come as one change.
    pub fn refresh(&self) {
        self.shared.refresh.notify_one();
    }
}
