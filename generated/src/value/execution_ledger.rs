//! The executions running on each gateway, as the client knows them, and its launches
//! waiting for room there: the ledger behind [`ExecutionBudget`].
//!
//! A gateway runs at most [`EXECUTIONS_PER_GATEWAY`] executions at once, counted over
//! every app, schedule and user of the setup, so the ledger is fed by everything that
//! tells about them: `GET /exec/current` (a read replaces what the ledger knew), the
//! execution events of the client's event streams (registered, state changed), and
//! the client's own launches. Launches wait their turn in it (first come, first
//! served, per gateway). How a launch uses it is `home/execution_budget.rs`.

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::generated::events::Event;
use crate::value::device_url::DeviceUrl;
use crate::value::lock::lock;
use crate::{operations, types};

/// Executions a gateway runs at once: the servers' "soft limit: 10" (`EXEC_QUEUE_FULL`,
/// "Execution queue is full on gateway: #... (soft limit: 10)").
pub const EXECUTIONS_PER_GATEWAY: usize = 10;

/// How long events keep the ledger current after the last successful fetch: a
/// stream fetches every second while it is polled.
const LIVE_WINDOW: Duration = Duration::from_secs(10);

/// The shortest time between two reads of `GET /exec/current` made for the ledger.
const READ_SPACING: Duration = Duration::from_secs(1);

/// Ids of ended executions remembered, so that a launch's answer processed after its
/// end event does not count it as running.
const ENDED_MEMORY: usize = 256;

/// The longest wait after a refused launch, however many refusals in a row.
const MAX_REFUSAL_BACKOFF: Duration = Duration::from_secs(30);

/// A gateway's execution figures, from [`crate::Client::execution_budget`]: how many
/// executions run on it (every app's and schedule's, not only this client's), how
/// many launches of this client wait for room, when room is expected, and how much
/// of the documented daily quota of launches this client used.
///
/// ```
/// # fn demo(client: overkiz::Client) {
/// let budget = client.execution_budget("1234-5678-9012");
/// println!(
///     "{}/{} running, {} waiting, {} of {} launches today",
///     budget.running, budget.limit, budget.queued, budget.used_today, budget.daily_quota
/// );
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ExecutionBudget {
    /// The gateway.
    pub gateway_id: String,
    /// Executions the gateway runs at once ([`EXECUTIONS_PER_GATEWAY`]).
    pub limit: usize,
    /// Executions known to run on the gateway, launched by anyone, including this
    /// client's launches sent and not yet answered.
    pub running: usize,
    /// Launches of this client waiting for room on the gateway (including launches
    /// the server refused for lack of room, held until a slot frees).
    pub queued: usize,
    /// When the next launch may go: zero when a slot is free for it now; an
    /// estimate from the durations of the executions seen so far when the gateway is
    /// full; `None` when the gateway is full and no estimate exists yet.
    pub next_slot_in: Option<Duration>,
    /// Calls of the `exec` category (`POST /exec/apply`, `POST /exec/{oid}`,
    /// schedules, ...) this client sent in the last 24 hours, on any gateway: the
    /// documented limit is per session, not per gateway.
    pub used_today: u32,
    /// The documented daily quota of the `exec` category ("1 call per 28 min 48 s":
    /// 50 a day). Reported, not enforced: real servers allow bursts.
    pub daily_quota: u32,
    /// True when an event stream of this client keeps the figures current (it
    /// fetched in the last 10 s with no gap since the last read); otherwise they come
    /// from the last `GET /exec/current` and this client's own launches.
    pub live: bool,
}

impl ExecutionBudget {
    /// Slots free now (the limit minus the executions running).
    pub fn free(&self) -> usize {
        self.limit.saturating_sub(self.running)
    }
}

/// The documented daily quota of the `exec` category, from its rate limit.
fn daily_quota() -> u32 {
    operations::POST_EXEC_APPLY.rate_limit.map_or(0, |limit| {
        let per_day = u64::from(limit.calls) * 86_400 / limit.period_seconds.max(1);
        u32::try_from(per_day).unwrap_or(u32::MAX)
    })
}

/// A running execution.
#[derive(Debug)]
struct Running {
    gateways: Vec<String>,
    /// When the ledger first heard of it.
    since: Instant,
}

/// What the ledger holds per gateway besides the executions.
#[derive(Debug, Default)]
struct Gateway {
    /// Tickets of the launches waiting for room, in arrival order.
    waiting: BTreeSet<u64>,
    /// Launches sent and not yet answered.
    launching: usize,
    /// No launch before this instant (after the server refused one for lack of room).
    blocked_until: Option<Instant>,
    /// Refusals in a row, for the back-off.
    refusals: u32,
    /// A running average of how long executions last.
    mean_duration: Option<Duration>,
}

#[derive(Debug, Default)]
struct Ledger {
    running: HashMap<String, Running>,
    ended: VecDeque<String>,
    gateways: BTreeMap<String, Gateway>,
    next_ticket: u64,
    /// `exec`-category calls of the last 24 hours.
    exec_calls: VecDeque<Instant>,
    /// A read of `GET /exec/current` succeeded since the ledger last lost track
    /// (an event gap, a launch of unknown outcome, a refusal).
    synced: bool,
    /// When the last read was started.
    read_started: Option<Instant>,
    /// When an event stream last fetched successfully.
    last_fetch: Option<Instant>,
}

impl Ledger {
    fn gateway(&mut self, id: &str) -> &mut Gateway {
        self.gateways.entry(id.to_owned()).or_default()
    }

    fn running_on(&self, gateway: &str) -> usize {
        self.running
            .values()
            .filter(|r| r.gateways.iter().any(|g| g == gateway))
            .count()
    }

    fn live(&self, now: Instant) -> bool {
        self.synced
            && self
                .last_fetch
                .is_some_and(|at| now.saturating_duration_since(at) < LIVE_WINDOW)
    }

    fn start(&mut self, exec_id: String, gateways: Vec<String>, since: Instant) {
        if gateways.is_empty() || self.ended.contains(&exec_id) {
            return;
        }
        for gateway in &gateways {
            self.gateway(gateway);
        }
        self.running
            .entry(exec_id)
            .or_insert(Running { gateways, since });
    }

    fn end(&mut self, exec_id: &str, now: Instant) {
        if self.ended.len() >= ENDED_MEMORY {
            self.ended.pop_front();
        }
        self.ended.push_back(exec_id.to_owned());
        let Some(running) = self.running.remove(exec_id) else {
            return;
        };
        let lasted = now.saturating_duration_since(running.since);
        for gateway in &running.gateways {
            let gateway = self.gateway(gateway);
            // A slot freed: a launch held after a refusal may go.
            gateway.blocked_until = None;
            gateway.refusals = 0;
            gateway.mean_duration = Some(match gateway.mean_duration {
                Some(mean) => (mean * 3 + lasted) / 4,
                None => lasted,
            });
        }
    }

    fn budget(&self, gateway_id: &str, now: Instant) -> ExecutionBudget {
        let default = Gateway::default();
        let gateway = self.gateways.get(gateway_id).unwrap_or(&default);
        let running = self.running_on(gateway_id) + gateway.launching;
        let free = EXECUTIONS_PER_GATEWAY.saturating_sub(running);
        let blocked = gateway
            .blocked_until
            .map(|until| until.saturating_duration_since(now))
            .filter(|wait| !wait.is_zero());
        let next_slot_in = match blocked {
            Some(wait) => Some(wait),
            None if free > gateway.waiting.len() => Some(Duration::ZERO),
            None => {
                let oldest = self
                    .running
                    .values()
                    .filter(|r| r.gateways.iter().any(|g| g == gateway_id))
                    .map(|r| r.since)
                    .min();
                gateway
                    .mean_duration
                    .zip(oldest)
                    .map(|(mean, since)| mean.saturating_sub(now.saturating_duration_since(since)))
            }
        };
        let day_ago = now.checked_sub(Duration::from_secs(86_400));
        let used_today = self
            .exec_calls
            .iter()
            .filter(|at| day_ago.is_none_or(|d| **at > d))
            .count();
        ExecutionBudget {
            gateway_id: gateway_id.to_owned(),
            limit: EXECUTIONS_PER_GATEWAY,
            running,
            queued: gateway.waiting.len(),
            next_slot_in,
            used_today: u32::try_from(used_today).unwrap_or(u32::MAX),
            daily_quota: daily_quota(),
            live: self.live(now),
        }
    }
}

/// The gateways the device URLs of an execution's actions name, each once.
pub(crate) fn gateways_of<'a>(device_urls: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut gateways: Vec<String> = Vec::new();
    for url in device_urls {
        if let Ok(url) = DeviceUrl::parse(url) {
            if !gateways.iter().any(|g| g == url.gateway_id()) {
                gateways.push(url.gateway_id().to_owned());
            }
        }
    }
    gateways
}

/// The gateways an action group's actions run on.
pub(crate) fn gateways_of_group(group: &types::ActionGroup) -> Vec<String> {
    gateways_of(
        group
            .actions
            .iter()
            .flatten()
            .filter_map(|a| a.device_url.as_deref()),
    )
}

/// The running executions of every gateway and the launches waiting for room,
/// shared by the clones of a client.
#[derive(Debug)]
pub(crate) struct ExecutionLedger {
    ledger: Mutex<Ledger>,
    /// Woken at every change that may free a slot or calls for a new read.
    changed: Notify,
    /// Held while reading `GET /exec/current`, so that launches share one read.
    pub(crate) read_lock: tokio::sync::Mutex<()>,
    /// The longest a launch waits for room.
    pub(crate) max_wait: Duration,
}

impl ExecutionLedger {
    /// An empty ledger whose launches wait at most `max_wait` for room.
    pub(crate) fn new(max_wait: Duration) -> ExecutionLedger {
        ExecutionLedger {
            ledger: Mutex::default(),
            changed: Notify::new(),
            read_lock: tokio::sync::Mutex::new(()),
            max_wait,
        }
    }

    /// The figures of `gateway_id` now.
    pub(crate) fn budget(&self, gateway_id: &str) -> ExecutionBudget {
        lock(&self.ledger).budget(gateway_id, Instant::now())
    }

    /// The figures of every gateway the ledger heard of, by gateway id.
    pub(crate) fn budgets(&self) -> Vec<ExecutionBudget> {
        let ledger = lock(&self.ledger);
        let now = Instant::now();
        ledger
            .gateways
            .keys()
            .map(|id| ledger.budget(id, now))
            .collect()
    }

    /// True when events keep the ledger current.
    pub(crate) fn live(&self) -> bool {
        lock(&self.ledger).live(Instant::now())
    }

    /// Whether a launch should read `GET /exec/current` before deciding: when no event
    /// stream keeps the ledger current, at most once per second.
    pub(crate) fn needs_read(&self) -> bool {
        let ledger = lock(&self.ledger);
        let now = Instant::now();
        !ledger.live(now)
            && ledger
                .read_started
                .is_none_or(|at| now.saturating_duration_since(at) >= READ_SPACING)
    }

    /// A read of `GET /exec/current` starts now; returns its start, for
    /// [`ExecutionLedger::read`].
    pub(crate) fn read_starting(&self) -> Instant {
        let now = Instant::now();
        lock(&self.ledger).read_started = Some(now);
        now
    }

    /// The answer of `GET /exec/current` sent at `started`: it replaces the running
    /// executions, except the ones heard of since it was sent.
    pub(crate) fn read(&self, started: Instant, executions: &[types::Execution]) {
        let mut ledger = lock(&self.ledger);
        ledger.running.retain(|_, r| r.since > started);
        for execution in executions {
            let Some(id) = execution.id.clone().filter(|id| !id.is_empty()) else {
                continue;
            };
            let urls = execution
                .action_group
                .iter()
                .flat_map(|g| g.actions.iter().flatten())
                .filter_map(|a| a.device_url.as_deref());
            let gateways = gateways_of(urls);
            ledger.start(id, gateways, started);
        }
        ledger.synced = true;
        drop(ledger);
        self.changed.notify_waiters();
    }

    /// Events fetched by an event stream of the client.
    pub(crate) fn events(&self, events: &[Event]) {
        let now = Instant::now();
        let mut ledger = lock(&self.ledger);
        ledger.last_fetch = Some(now);
        let mut changed = false;
        for event in events {
            match event {
                Event::ExecutionRegistered(registered) => {
                    let Some(id) = registered.exec_id.clone() else {
                        continue;
                    };
                    let urls = registered
                        .actions
                        .iter()
                        .flatten()
                        .filter_map(|a| a.device_url.as_deref());
                    let gateways = gateways_of(urls);
                    ledger.start(id, gateways, now);
                }
                Event::ExecutionStateChanged(change) => {
                    let ended = matches!(change.new_state.as_deref(), Some("COMPLETED" | "FAILED"));
                    if let (true, Some(id)) = (ended, change.exec_id.as_deref()) {
                        ledger.end(id, now);
                        changed = true;
                    }
                }
                _ => {}
            }
        }
        drop(ledger);
        if changed {
            self.changed.notify_waiters();
        }
    }

    /// An event stream of the client may have missed events: the ledger needs a read.
    pub(crate) fn gap(&self) {
        lock(&self.ledger).synced = false;
        self.changed.notify_waiters();
    }

    /// Counts a call of the `exec` category that reached the server.
    pub(crate) fn exec_call(&self) {
        let now = Instant::now();
        let mut ledger = lock(&self.ledger);
        if let Some(day_ago) = now.checked_sub(Duration::from_secs(86_400)) {
            while ledger.exec_calls.front().is_some_and(|at| *at <= day_ago) {
                ledger.exec_calls.pop_front();
            }
        }
        // Bounded even for a client launching without pause for a day.
        if ledger.exec_calls.len() >= 100_000 {
            ledger.exec_calls.pop_front();
        }
        ledger.exec_calls.push_back(now);
    }

    /// A future woken at the next change; create it *before* checking for room, so
    /// that a change in between is not missed.
    pub(crate) fn changed(&self) -> tokio::sync::futures::Notified<'_> {
        self.changed.notified()
    }

    /// Joins the queue of `gateways` (a launch's).
    pub(crate) fn enqueue(&self, gateways: Vec<String>) -> Ticket<'_> {
        let mut ledger = lock(&self.ledger);
        let number = ledger.next_ticket;
        ledger.next_ticket += 1;
        for gateway in &gateways {
            ledger.gateway(gateway).waiting.insert(number);
        }
        Ticket {
            ledger: self,
            number,
            gateways,
        }
    }
}

/// Why a launch cannot go yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct NoRoom {
    /// The first gateway without room for it.
    pub(crate) gateway_id: String,
    /// The executions running there.
    pub(crate) running: usize,
    /// The end of a back-off after a refusal, if one holds the launch.
    pub(crate) blocked_until: Option<Instant>,
}

/// A launch's place in the queues of its gateways; dropping it leaves them.
#[derive(Debug)]
pub(crate) struct Ticket<'a> {
    ledger: &'a ExecutionLedger,
    number: u64,
    gateways: Vec<String>,
}

impl<'a> Ticket<'a> {
    /// Takes a slot on every gateway of the launch if each has room for it (after
    /// the launches ahead of it), or says why not.
    pub(crate) fn take(self) -> Result<Launching<'a>, (Ticket<'a>, NoRoom)> {
        let now = Instant::now();
        let mut ledger = lock(&self.ledger.ledger);
        for id in &self.gateways {
            let running = ledger.running_on(id);
            let gateway = ledger.gateway(id);
            let running = running + gateway.launching;
            let ahead = gateway.waiting.range(..self.number).count();
            let blocked_until = gateway.blocked_until.filter(|until| *until > now);
            if blocked_until.is_some() || running + ahead >= EXECUTIONS_PER_GATEWAY {
                let no_room = NoRoom {
                    gateway_id: id.clone(),
                    running,
                    blocked_until,
                };
                drop(ledger);
                return Err((self, no_room));
            }
        }
        for id in &self.gateways {
            let gateway = ledger.gateway(id);
            gateway.waiting.remove(&self.number);
            gateway.launching += 1;
        }
        drop(ledger);
        // The ticket is used up: its drop would leave queues it already left.
        let mut this = std::mem::ManuallyDrop::new(self);
        Ok(Launching {
            ledger: this.ledger,
            number: this.number,
            gateways: std::mem::take(&mut this.gateways),
            settled: false,
        })
    }
}

impl Drop for Ticket<'_> {
    fn drop(&mut self) {
        let mut ledger = lock(&self.ledger.ledger);
        for id in &self.gateways {
            ledger.gateway(id).waiting.remove(&self.number);
        }
        drop(ledger);
        // The launches behind this one move up.
        self.ledger.changed.notify_waiters();
    }
}

/// A launch holding a slot on its gateways while it is sent. Dropped without an
/// answer (cancelled while on the wire), it gives the slot back and has the ledger
/// read again: the launch may have run.
#[derive(Debug)]
pub(crate) struct Launching<'a> {
    ledger: &'a ExecutionLedger,
    number: u64,
    gateways: Vec<String>,
    settled: bool,
}

impl<'a> Launching<'a> {
    fn release(&mut self, ledger: &mut Ledger) {
        self.settled = true;
        for id in &self.gateways {
            let gateway = ledger.gateway(id);
            gateway.launching = gateway.launching.saturating_sub(1);
        }
    }

    /// The launch runs as `exec_id`.
    pub(crate) fn launched(mut self, exec_id: String) {
        let mut ledger = lock(&self.ledger.ledger);
        self.release(&mut ledger);
        for id in &self.gateways {
            ledger.gateway(id).refusals = 0;
        }
        ledger.start(exec_id, self.gateways.clone(), Instant::now());
    }

    /// The server refused the launch for lack of room (nothing ran): the gateway it
    /// named (or every gateway of the launch) takes no launch for a back-off (1 s,
    /// doubling with each refusal in a row, at most 30 s, or the server's
    /// `Retry-After`) or until an execution there ends, and the ledger reads again.
    /// The launch goes back to its place in the queue.
    pub(crate) fn refused(
        mut self,
        gateway_id: Option<&str>,
        retry_after: Option<Duration>,
    ) -> Ticket<'a> {
        let now = Instant::now();
        let mut ledger = lock(&self.ledger.ledger);
        self.release(&mut ledger);
        ledger.synced = false;
        let named: Vec<String> = match gateway_id {
            Some(id) if self.gateways.iter().any(|g| g == id) => vec![id.to_owned()],
            _ => self.gateways.clone(),
        };
        for id in &named {
            let gateway = ledger.gateway(id);
            gateway.refusals = gateway.refusals.saturating_add(1);
            let backoff = Duration::from_secs(1)
                .saturating_mul(1 << gateway.refusals.saturating_sub(1).min(5))
                .min(MAX_REFUSAL_BACKOFF)
                .max(retry_after.unwrap_or_default().min(MAX_REFUSAL_BACKOFF));
            gateway.blocked_until = Some(now + backoff);
        }
        for id in &self.gateways {
            ledger.gateway(id).waiting.insert(self.number);
        }
        drop(ledger);
        Ticket {
            ledger: self.ledger,
            number: self.number,
            gateways: self.gateways.clone(),
        }
    }

    /// The launch failed; `may_have_run` when its outcome is unknown (the ledger
    /// then reads again).
    pub(crate) fn failed(mut self, may_have_run: bool) {
        let mut ledger = lock(&self.ledger.ledger);
        self.release(&mut ledger);
        if may_have_run {
            ledger.synced = false;
        }
        drop(ledger);
        self.ledger.changed.notify_waiters();
    }
}

impl Drop for Launching<'_> {
    fn drop(&mut self) {
        if self.settled {
            return;
        }
        let mut ledger = lock(&self.ledger.ledger);
        self.release(&mut ledger);
        ledger.synced = false;
        drop(ledger);
        self.ledger.changed.notify_waiters();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ledger() -> ExecutionLedger {
        ExecutionLedger::new(Duration::from_secs(1))
    }

    fn gw(id: &str) -> Vec<String> {
        vec![id.to_owned()]
    }

    #[test]
    fn the_daily_quota_is_the_documented_exec_limit() {
        assert_eq!(daily_quota(), 50);
    }

    #[test]
    fn gateways_come_from_device_urls() {
        let gateways = gateways_of([
            "io://1234-1234-5752/1",
            "rts://1234-1234-5752/2",
            "io://9999-9999-9999/3#1",
            "not a url",
        ]);
        assert_eq!(gateways, ["1234-1234-5752", "9999-9999-9999"]);
    }

    #[tokio::test]
    async fn launches_take_slots_in_order_and_a_dropped_ticket_frees_its_place() {
        let ledger = ledger();
        let started = ledger.read_starting();
        let others: Vec<types::Execution> = (0..8)
            .map(|i| types::Execution {
                id: Some(format!("other-{i}")),
                action_group: Some(types::ActionGroup {
                    actions: Some(vec![types::Action {
                        device_url: Some("io://A/1".into()),
                        ..types::Action::default()
                    }]),
                    ..types::ActionGroup::default()
                }),
                ..types::Execution::default()
            })
            .collect();
        ledger.read(started, &others);
        assert_eq!(ledger.budget("A").running, 8);
        let first = ledger.enqueue(gw("A"));
        let second = ledger.enqueue(gw("A"));
        let third = ledger.enqueue(gw("A"));
        assert_eq!(ledger.budget("A").queued, 3);
        // The third waits behind two launches: no room.
        let (third, no_room) = third.take().unwrap_err();
        assert_eq!(no_room.running, 8);
        let a = first.take().unwrap();
        let b = second.take().unwrap();
        assert_eq!(ledger.budget("A").running, 10);
        a.launched("mine-1".into());
        b.failed(false);
        assert_eq!(ledger.budget("A").running, 9);
        let c = third.take().expect("a slot freed");
        drop(c); // cancelled on the wire: counted again by the next read
        assert!(!lock(&ledger.ledger).synced);
        // A queued ticket dropped leaves the queue.
        let waiting = ledger.enqueue(gw("A"));
        assert_eq!(ledger.budget("A").queued, 1);
        drop(waiting);
        assert_eq!(ledger.budget("A").queued, 0);
    }

    #[tokio::test]
    async fn events_start_and_end_executions_and_a_refusal_blocks_until_one_ends() {
        let ledger = ledger();
        let registered: Event = serde_json::from_value(serde_json::json!({
            "name": "ExecutionRegisteredEvent", "execId": "e1",
            "actions": [{"deviceURL": "io://A/1", "commands": []}]
        }))
        .unwrap();
        let ended: Event = serde_json::from_value(serde_json::json!({
            "name": "ExecutionStateChangedEvent", "execId": "e1",
            "oldState": "IN_PROGRESS", "newState": "COMPLETED"
        }))
        .unwrap();
        ledger.events(std::slice::from_ref(&registered));
        assert_eq!(ledger.budget("A").running, 1);
        let refused = ledger
            .enqueue(gw("A"))
            .take()
            .unwrap()
            .refused(Some("A"), None);
        let (refused, no_room) = refused.take().unwrap_err();
        assert!(no_room.blocked_until.is_some());
        assert!(ledger.budget("A").next_slot_in.unwrap() > Duration::ZERO);
        ledger.events(&[ended]);
        assert_eq!(ledger.budget("A").running, 0);
        let launching = refused.take().expect("an end lifts the block");
        // The launch's answer arrives after the end of its execution: not counted.
        ledger.events(&[serde_json::from_value(serde_json::json!({
            "name": "ExecutionStateChangedEvent", "execId": "e2", "newState": "FAILED"
        }))
        .unwrap()]);
        launching.launched("e2".into());
        assert_eq!(ledger.budget("A").running, 0);
    }
}
