//! Following an execution to its end: the one follower ([`ExecutionFollower`], from
//! [`Client::follow`] and [`EventStream::follow`]) and the calls built on it
//! ([`Client::run_and_wait`], [`Client::wait_for_execution`] and their
//! [`EventStream`] forms).
//!
//! The rule lives here once: read the execution's state changes from the event
//! stream; when events were lost, listen again *then* look the execution up (so
//! nothing after the look-up is missed); wait out passing failures (including a lost
//! listener, which the stream registers again); look it up once more before
//! reporting a timeout; refuse an empty execution id.

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use futures::stream::{self, Stream, StreamExt};
use tokio::time::Instant;

use crate::follow::execution::{state_change, ExecutionOutcome, ExecutionState};
use crate::types::ActionGroup;
use crate::{operations, Client, Error, ErrorKind, EventStream, ExecutionMode, GapReason};

/// One step of an execution, as an [`ExecutionFollower`] yields it.
// `Finished` is the large one and comes once per follower: not worth a `Box` that
// every caller would have to open.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum ExecutionUpdate {
    /// The execution moved to a state that is not final (`TRANSMITTED`,
    /// `IN_PROGRESS`, ...).
    StateChanged(ExecutionState),
    /// Events were lost ([`GapReason`]); the follower listened again and looked the
    /// execution up: it had not ended. It goes on.
    EventsLost(GapReason),
    /// A failure the follower waits out: a retryable error (the stream backs off), a
    /// lost listener (the stream registers again), or a look-up that failed for now.
    Retrying(Error),
    /// The execution ended (completed or failed): the last item.
    Finished(ExecutionOutcome),
}

/// The state changes of one execution, ending in its outcome: a
/// `Stream<Item = Result<ExecutionUpdate, Error>>` from [`Client::follow`] or
/// [`EventStream::follow`].
///
/// The stream ends after [`ExecutionUpdate::Finished`] or after an `Err`, which is
/// always the last item:
/// - [`Error::ExecutionTimeout`] when time runs out (with the last state seen; the
///   execution may still be running);
/// - [`Error::Execution`], carrying the `execId`, for a failure waiting cannot cure
///   (bad credentials, an access refused, ...);
/// - [`Error::InvalidRequest`] for an empty execution id, before anything is sent.
///
/// A finished execution is never reported as timed out: after a gap
/// ([`ErrorKind::EventsLost`]) the follower registers again and looks the execution
/// up ([`Client::look_up_execution`]), and it looks it up once more when time runs
/// out. Use [`ExecutionFollower::outcome`] when only the end matters.
///
/// ```no_run
/// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
/// use std::time::Duration;
/// use futures::StreamExt;
/// use overkiz::{ExecutionMode, ExecutionUpdate};
/// // Listen first, then launch: events sent before the registration are never seen.
/// let mut events = client.events();
/// events.register().await?;
/// let exec_id = client.run(overkiz::Action::new("io://1234-5678-9012/1", ["open"]), ExecutionMode::Normal).await?;
/// let mut updates = events.follow(&exec_id, Duration::from_secs(60));
/// while let Some(update) = updates.next().await {
///     match update? {
///         ExecutionUpdate::StateChanged(state) => println!("{state}"),
///         ExecutionUpdate::Finished(outcome) => println!("ended {}", outcome.state),
///         other => eprintln!("{other:?}"),
///     }
/// }
/// # Ok(()) }
/// ```
#[must_use = "streams do nothing unless polled"]
pub struct ExecutionFollower<'a> {
    inner: Pin<Box<dyn Stream<Item = Result<ExecutionUpdate, Error>> + Send + 'a>>,
}

impl std::fmt::Debug for ExecutionFollower<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExecutionFollower").finish_non_exhaustive()
    }
}

impl ExecutionFollower<'_> {
    /// Follows the execution to its end and returns its outcome (a failed execution
    /// is an `Ok` outcome with [`ExecutionOutcome::is_success`] false); the updates
    /// before it are dropped.
    pub async fn outcome(mut self) -> Result<ExecutionOutcome, Error> {
        while let Some(update) = self.next().await {
            if let ExecutionUpdate::Finished(outcome) = update? {
                return Ok(outcome);
            }
        }
        // The follower always ends with `Finished` or an error.
        Err(Error::config(
            "the execution follower ended without an outcome",
        ))
    }
}

impl Stream for ExecutionFollower<'_> {
    type Item = Result<ExecutionUpdate, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The event stream a follower reads: its own (unregistered at the end), or the
/// caller's (left registered, to go on with).
enum Events<'a> {
    Own(EventStream),
    Borrowed(&'a mut EventStream),
}

impl Events<'_> {
    fn stream(&mut self) -> &mut EventStream {
        match self {
            Events::Own(events) => events,
            Events::Borrowed(events) => events,
        }
    }
}

/// The follower's state between two updates.
struct Follow<'a> {
    events: Events<'a>,
    exec_id: String,
    timeout: Duration,
    deadline: Instant,
    /// The last state seen, for [`Error::ExecutionTimeout`].
    last_state: Option<String>,
    done: bool,
}

impl<'a> Follow<'a> {
    fn start(events: Events<'a>, exec_id: &str, timeout: Duration) -> ExecutionFollower<'a> {
        let follow = Follow {
            events,
            exec_id: exec_id.to_owned(),
            timeout,
            deadline: crate::value::deadline::from_now(timeout),
            last_state: None,
            done: false,
        };
        let inner = stream::unfold(follow, |mut follow| async move {
            if follow.done {
                return None;
            }
            let update = follow.next_update().await;
            if matches!(update, Ok(ExecutionUpdate::Finished(_)) | Err(_)) {
                follow.done = true;
                follow.release().await;
            }
            Some((update, follow))
        });
        ExecutionFollower {
            inner: Box::pin(inner),
        }
    }

    /// Unregisters the follower's own listener before the last item is yielded, so a
    /// next call's listener cannot be hit by a late unregistration.
    async fn release(&mut self) {
        if let Events::Own(events) = &mut self.events {
            if let Err(error) = events.unregister().await {
                tracing::debug!(kind = ?error.kind(), "cannot unregister the event listener");
            }
        }
    }

    fn wrap(&self, error: Error) -> Error {
        Error::Execution {
            exec_id: self.exec_id.clone(),
            source: Box::new(error),
        }
    }

    async fn next_update(&mut self) -> Result<ExecutionUpdate, Error> {
        if self.exec_id.is_empty() {
            return Err(Error::InvalidRequest {
                operation: &operations::GET_EXEC_CURRENT_BY_EXEC_ID,
                message: "empty execution id: there is no execution to follow".into(),
            });
        }
        loop {
            let next = tokio::time::timeout_at(self.deadline, self.events.stream().next()).await;
            let item = match next {
                Ok(Some(item)) => item,
                // The event stream never ends; should it, the wait ends like a timeout.
                Ok(None) | Err(_) => return self.timed_out().await,
            };
            match item {
                Ok(event) => {
                    if let Some(outcome) = ExecutionOutcome::from_event(&event, &self.exec_id) {
                        return Ok(ExecutionUpdate::Finished(outcome));
                    }
                    let Some(state) =
                        state_change(&event, &self.exec_id).and_then(|c| c.new_state.clone())
                    else {
                        continue;
                    };
                    tracing::debug!(state = state.as_str(), "execution state changed");
                    let update = ExecutionState::from(state.as_str());
                    self.last_state = Some(state);
                    return Ok(ExecutionUpdate::StateChanged(update));
                }
                Err(Error::EventsLost { reason }) => {
                    // The final event may be among the lost ones: listen again first
                    // (so nothing after the look-up is missed), then look it up.
                    tracing::debug!(%reason, "events lost while following an execution");
                    let events = self.events.stream();
                    let looked_up = async {
                        events.register().await?;
                        events.client().look_up_execution(&self.exec_id).await
                    };
                    return match tokio::time::timeout_at(self.deadline, looked_up).await {
                        Ok(Ok(Some(outcome))) => Ok(ExecutionUpdate::Finished(outcome)),
                        Ok(Ok(None)) => Ok(ExecutionUpdate::EventsLost(reason)),
                        Ok(Err(error)) if passing(&error) => Ok(ExecutionUpdate::Retrying(error)),
                        Ok(Err(error)) => Err(self.wrap(error)),
                        Err(_) => self.timed_out().await,
                    };
                }
                Err(error) if passing(&error) => {
                    tracing::debug!(kind = ?error.kind(), "event stream failure while following an execution");
                    return Ok(ExecutionUpdate::Retrying(error));
                }
                Err(error) => return Err(self.wrap(error)),
            }
        }
    }

    /// Out of time: an execution whose final event was missed must not be reported
    /// as timed out, so it is looked up once more.
    async fn timed_out(&mut self) -> Result<ExecutionUpdate, Error> {
        let client = self.events.stream().client().clone();
        match client.look_up_execution(&self.exec_id).await {
            Ok(Some(outcome)) => return Ok(ExecutionUpdate::Finished(outcome)),
            Ok(None) => {}
            Err(error) => {
                tracing::debug!(kind = ?error.kind(), "cannot look the execution up after the timeout");
            }
        }
        Err(Error::ExecutionTimeout {
            exec_id: self.exec_id.clone(),
            timeout: self.timeout,
            last_state: self.last_state.take(),
        })
    }
}

/// Failures the follower waits out: retryable ones, and a listener the stream
/// registers again.
fn passing(error: &Error) -> bool {
    error.is_retryable()
        || matches!(
            error.kind(),
            ErrorKind::InvalidEventListener | ErrorKind::NoRegisteredEventListener
        )
}

impl EventStream {
    /// Follows execution `exec_id` on this stream, for at most `timeout` (which
    /// includes registering the listener if the stream has none yet): its state
    /// changes, ending in its outcome (see [`ExecutionFollower`]).
    ///
    /// Launching commands (`POST /exec/apply`, `POST /exec/{actionGroupOID}`, ...)
    /// only returns an `execId`; the outcome arrives later as
    /// `ExecutionStateChangedEvent`s, e.g. `INITIALIZED → NOT_TRANSMITTED →
    /// TRANSMITTED → IN_PROGRESS → COMPLETED`. The listener must exist before the
    /// execution starts, or its events may be missed: call [`EventStream::register`]
    /// before launching ([`EventStream::run_and_wait`] does).
    ///
    /// The events read meanwhile are consumed; the stream stays registered and goes
    /// on after the follower ends. Any `timeout` is accepted: one too long for the
    /// clock (`Duration::MAX`) means no time limit.
    pub fn follow(&mut self, exec_id: &str, timeout: Duration) -> ExecutionFollower<'_> {
        Follow::start(Events::Borrowed(self), exec_id, timeout)
    }

    /// Reads this stream until `exec_id` reaches a final state, for at most `timeout`:
    /// [`EventStream::follow`] to its end ([`ExecutionFollower::outcome`]).
    ///
    /// ```no_run
    /// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
    /// use std::time::Duration;
    /// let mut events = client.events();
    /// events.register().await?;
    /// let launched = client.post_exec_by_action_group_oid("an-action-group-oid").await?;
    /// let exec_id = launched.exec_id.unwrap_or_default();
    /// let outcome = events.wait_for_execution(&exec_id, Duration::from_secs(60)).await?;
    /// println!("{} ({:?})", outcome.state, outcome.failure_type);
    /// # Ok(()) }
    /// ```
    pub async fn wait_for_execution(
        &mut self,
        exec_id: &str,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        self.follow(exec_id, timeout).outcome().await
    }

    /// Registers this stream's listener if needed, launches `actions` in `mode`
    /// ([`Client::run`]: an [`crate::Action`], several, or an [`ActionGroup`]) and
    /// waits for the outcome ([`EventStream::wait_for_execution`]). `timeout` bounds
    /// the wait once the execution is launched; registering and launching are bounded
    /// by the client's request timeout. The launch is never resent once it may have
    /// reached the server.
    ///
    /// A failed execution is an `Ok` outcome with [`ExecutionOutcome::is_success`]
    /// false; `Err` means the commands could not be launched or followed (then
    /// [`Error::exec_id`] gives the execution, if it was launched).
    pub async fn run_and_wait(
        &mut self,
        actions: impl Into<ActionGroup>,
        mode: ExecutionMode,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        self.register().await?;
        let exec_id = self.client().run(actions, mode).await?;
        tracing::debug!("execution launched; waiting for its outcome");
        // A session renewed by the launch killed the listener: the follower sees the
        // gap, registers again and looks the execution up.
        self.wait_for_execution(&exec_id, timeout).await
    }

    /// [`EventStream::run_and_wait`] in [`ExecutionMode::Normal`].
    #[deprecated(
        since = "0.1.0",
        note = "use `run_and_wait(actions, ExecutionMode::Normal, timeout)`, which takes what `Client::run` takes"
    )]
    pub async fn execute_and_wait(
        &mut self,
        action_group: &ActionGroup,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        self.run_and_wait(action_group.clone(), ExecutionMode::Normal, timeout)
            .await
    }
}

impl Client {
    /// Follows execution `exec_id` through a new event listener, for at most
    /// `timeout`: its state changes, ending in its outcome (see
    /// [`ExecutionFollower`]). The listener is registered on the first poll and
    /// unregistered before the last item; it invalidates any other listener of the
    /// session (with a stream already open, use [`EventStream::follow`]).
    ///
    /// An execution that ended before the listener existed is found in the history
    /// when the follower looks it up (at the latest when time runs out). To follow an
    /// execution you launch, register first ([`EventStream::register`]) or use
    /// [`Client::run_and_wait`].
    // `#[inline]`: see `DecodeEvents` in `event_stream`.
    #[inline]
    pub fn follow(&self, exec_id: &str, timeout: Duration) -> ExecutionFollower<'static> {
        Follow::start(Events::Own(self.events()), exec_id, timeout)
    }

    /// Waits until execution `exec_id` reaches a final state, for at most `timeout`:
    /// [`Client::follow`] to its end ([`ExecutionFollower::outcome`]).
    pub async fn wait_for_execution(
        &self,
        exec_id: &str,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        self.follow(exec_id, timeout).outcome().await
    }

    /// Registers an event listener, launches `actions` in `mode` ([`Client::run`])
    /// and waits for the outcome, for at most `timeout` once launched; see
    /// [`EventStream::run_and_wait`]. The new listener invalidates any other listener
    /// of the session (with a stream already open, use its method instead); it is
    /// unregistered before this returns.
    ///
    /// ```no_run
    /// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
    /// use std::time::Duration;
    /// use overkiz::{Action, ExecutionMode};
    /// let close = Action::new("io://1234-5678-9012/12345678", ["close"]);
    /// let outcome = client.run_and_wait(close, ExecutionMode::Normal, Duration::from_secs(60)).await?;
    /// assert!(outcome.is_success(), "{:?}", outcome.failure_type);
    /// # Ok(()) }
    /// ```
    pub async fn run_and_wait(
        &self,
        actions: impl Into<ActionGroup>,
        mode: ExecutionMode,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        let mut events = self.events();
        let result = events.run_and_wait(actions, mode, timeout).await;
        if let Err(error) = events.unregister().await {
            tracing::debug!(kind = ?error.kind(), "cannot unregister the event listener");
        }
        result
    }

    /// [`Client::run_and_wait`] in [`ExecutionMode::Normal`].
    #[deprecated(
        since = "0.1.0",
        note = "use `run_and_wait(actions, ExecutionMode::Normal, timeout)`, which takes what `Client::run` takes"
    )]
    pub async fn execute_and_wait(
        &self,
        action_group: &ActionGroup,
        timeout: Duration,
    ) -> Result<ExecutionOutcome, Error> {
        self.run_and_wait(action_group.clone(), ExecutionMode::Normal, timeout)
            .await
    }
}
