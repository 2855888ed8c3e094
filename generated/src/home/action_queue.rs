//! Batching commands: [`ActionQueue`] gathers the actions sent within a short delay
//! into one action group, as pyoverkiz's action queue does. The `exec` operations
//! share a tight rate limit; a dashboard closing ten shutters one by one makes ten
//! calls, the queue makes one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures::future::{self, Either};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::home::command::{action_group_of, Action, ExecutionMode};
use crate::value::deadline;
use crate::{Client, Error};

/// What every caller of a batch gets: the execution id, or the batch's failure
/// (shared, since one call launched them all).
pub type QueuedResult = Result<String, Arc<Error>>;

/// Settings of an [`ActionQueue`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ActionQueueSettings {
    /// How long a batch waits for more actions after its first one (100 ms by
    /// default; `Duration::MAX`: until it is full or flushed).
    pub delay: Duration,
    /// A batch is sent at once when it holds this many actions (devices): 20 by
    /// default; at least 1.
    pub max_actions: usize,
}

impl Default for ActionQueueSettings {
    fn default() -> ActionQueueSettings {
        ActionQueueSettings {
            delay: Duration::from_millis(100),
            max_actions: 20,
        }
    }
}

/// The batch being gathered.
#[derive(Default)]
struct Pending {
    /// Increases each time a batch is taken, so that late flushers leave the next
    /// batch alone.
    generation: u64,
    actions: Vec<Action>,
    mode: ExecutionMode,
    label: Option<String>,
    deadline: Option<Instant>,
    waiters: Vec<oneshot::Sender<QueuedResult>>,
}

/// A batch taken from the queue, to send.
struct Batch {
    actions: Vec<Action>,
    mode: ExecutionMode,
    label: Option<String>,
    waiters: Vec<oneshot::Sender<QueuedResult>>,
}

/// Gathers actions into action groups: the actions added within
/// [`ActionQueueSettings::delay`] of a batch's first one go out together in one
/// `POST /exec/apply…` ([`Client::run`]), the commands of one device merged into one
/// action (gateways take one action per device and group). A batch goes out early
/// when it reaches [`ActionQueueSettings::max_actions`] devices, or when actions
/// arrive with another mode or label, or on [`ActionQueue::flush`].
///
/// Every caller of a batch gets its execution id, or its failure. Nothing runs in
/// the background: the callers waiting on a batch send it when its time comes (the
/// first of them to get there), so a batch whose callers were all dropped is never
/// sent (the actions of a dropped caller whose batch has other callers still go
/// out with it). A batch dropped while being sent leaves its other callers with
/// [`ErrorKind::OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown).
///
/// ```no_run
/// # async fn demo(client: overkiz::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use overkiz::{Action, ActionQueue, Command, ExecutionMode};
/// let queue = ActionQueue::new(client);
/// let (a, b) = tokio::join!(
///     queue.add([Action::new("io://1234-1234-5752/1", ["close"])], ExecutionMode::Normal),
///     queue.add([Action::new("io://1234-1234-5752/2", [Command::new("setClosure").arg(50)])], ExecutionMode::Normal),
/// );
/// assert_eq!(a?, b?); // one execution
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ActionQueue {
    client: Client,
    settings: ActionQueueSettings,
    pending: Arc<Mutex<Pending>>,
}

impl std::fmt::Debug for ActionQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActionQueue")
            .field("settings", &self.settings)
            .field("pending_actions", &self.pending_actions())
            .finish_non_exhaustive()
    }
}

impl ActionQueue {
    /// A queue with the default settings (100 ms, 20 devices).
    pub fn new(client: Client) -> ActionQueue {
        ActionQueue::with_settings(client, ActionQueueSettings::default())
    }

    /// A queue with these settings (`max_actions` 0 counts as 1).
    pub fn with_settings(client: Client, mut settings: ActionQueueSettings) -> ActionQueue {
        settings.max_actions = settings.max_actions.max(1);
        ActionQueue {
            client,
            settings,
            pending: Arc::default(),
        }
    }

    /// The settings.
    pub fn settings(&self) -> ActionQueueSettings {
        self.settings
    }

    /// How many actions (devices) wait in the current batch.
    pub fn pending_actions(&self) -> usize {
        self.lock().actions.len()
    }

    /// Adds `actions` to the batch of `mode` and waits until the batch is sent;
    /// returns its execution id. An empty `actions` returns at once with an
    /// [`Error::InvalidRequest`].
    pub async fn add(
        &self,
        actions: impl IntoIterator<Item = Action>,
        mode: ExecutionMode,
    ) -> QueuedResult {
        self.add_labelled(actions, mode, None).await
    }

    /// [`ActionQueue::add`] with a label for the action group; actions with another
    /// label go in another batch.
    pub async fn add_labelled(
        &self,
        actions: impl IntoIterator<Item = Action>,
        mode: ExecutionMode,
        label: Option<String>,
    ) -> QueuedResult {
        let actions: Vec<Action> = actions.into_iter().collect();
        if actions.is_empty() {
            return Err(Arc::new(Error::InvalidRequest {
                operation: mode.operation(),
                message: "no action to queue".into(),
            }));
        }
        let (sender, receiver) = oneshot::channel();
        let mut now = Vec::new();
        let (generation, deadline) = {
            let mut pending = self.lock();
            discard_if_abandoned(&mut pending);
            if !pending.actions.is_empty() && (pending.mode != mode || pending.label != label) {
                now.push(take(&mut pending));
            }
            if pending.actions.is_empty() {
                pending.mode = mode;
                pending.label = label;
                pending.deadline = Some(deadline::from_now(self.settings.delay));
            }
            pending.actions.extend(actions);
            merge_in_place(&mut pending.actions);
            pending.waiters.push(sender);
            let generation = pending.generation;
            let deadline = pending.deadline;
            if pending.actions.len() >= self.settings.max_actions {
                now.push(take(&mut pending));
            }
            (generation, deadline)
        };
        for batch in now {
            self.send(batch).await;
        }
        let mut receiver = receiver;
        if let Some(deadline) = deadline {
            // Sent early (full batch, change of mode, flush) or due now.
            let due = std::pin::pin!(tokio::time::sleep_until(deadline));
            if let Either::Left((result, _)) = future::select(&mut receiver, due).await {
                return result.unwrap_or_else(|_| Err(Arc::new(abandoned(mode))));
            }
        }
        let due = {
            let mut pending = self.lock();
            (pending.generation == generation && !pending.actions.is_empty())
                .then(|| take(&mut pending))
        };
        if let Some(batch) = due {
            self.send(batch).await;
        }
        receiver
            .await
            .unwrap_or_else(|_| Err(Arc::new(abandoned(mode))))
    }

    /// Sends the current batch now, if there is one, and waits for the launch.
    pub async fn flush(&self) {
        let batch = {
            let mut pending = self.lock();
            discard_if_abandoned(&mut pending);
            (!pending.actions.is_empty()).then(|| take(&mut pending))
        };
        if let Some(batch) = batch {
            self.send(batch).await;
        }
    }

    async fn send(&self, batch: Batch) {
        let group = action_group_of(batch.label, batch.actions);
        let result = self.client.run(group, batch.mode).await.map_err(Arc::new);
        for waiter in batch.waiters {
            // A waiter that went away no longer wants the answer.
            let _ = waiter.send(result.clone());
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        // The data stays consistent even if a holder panicked: it only moves vectors.
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// Drops the current batch if every caller that added to it went away: nobody
/// wants it sent any more (it would otherwise go out with a later batch).
fn discard_if_abandoned(pending: &mut Pending) {
    if !pending.actions.is_empty() && pending.waiters.iter().all(|w| w.is_closed()) {
        let _ = take(pending);
    }
}

/// Takes the current batch and starts a new generation.
fn take(pending: &mut Pending) -> Batch {
    pending.generation += 1;
    pending.deadline = None;
    Batch {
        actions: std::mem::take(&mut pending.actions),
        mode: pending.mode,
        label: pending.label.take(),
        waiters: std::mem::take(&mut pending.waiters),
    }
}

/// One action per device, commands in order.
fn merge_in_place(actions: &mut Vec<Action>) {
    let mut merged: Vec<Action> = Vec::with_capacity(actions.len());
    for action in actions.drain(..) {
        match merged
            .iter_mut()
            .find(|a| a.device_url() == action.device_url())
        {
            Some(existing) => existing.extend(action),
            None => merged.push(action),
        }
    }
    *actions = merged;
}

/// The error of callers whose batch was dropped while it was being sent.
fn abandoned(mode: ExecutionMode) -> Error {
    Error::OutcomeUnknown {
        operation: mode.operation(),
        cause: Box::new(Error::Config {
            message: "the call sending this batch was cancelled; it may have reached the server"
                .into(),
        }),
    }
}
