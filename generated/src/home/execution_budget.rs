//! Launching within the server's limits: a launch ([`Client::run`], and so
//! [`crate::ActionQueue`] and [`Client::run_and_wait`]) waits for room on its
//! gateways instead of provoking `EXEC_QUEUE_FULL`, a launch the server refuses for
//! lack of room is held and sent again when a slot frees, and
//! [`Client::execution_budget`] reports the figures. The counting itself is the
//! ledger's (`value/execution_ledger.rs`).

use std::future::Future;
use std::pin::pin;
use std::time::Duration;

use futures::future::{self, Either};
use tokio::time::Instant;

use crate::value::deadline;
use crate::value::execution_ledger::{gateways_of_group, ExecutionBudget, NoRoom};
use crate::value::operation::OperationInfo;
use crate::{types, Client, Error, ErrorKind};

/// How often a waiting launch looks again when no event stream keeps the figures
/// current (it reads `GET /exec/current`, which has no documented limit).
const POLL_WITHOUT_EVENTS: Duration = Duration::from_secs(1);

/// How often a waiting launch looks again while events keep the figures current (a
/// safety net: an execution's end wakes it at once).
const POLL_WITH_EVENTS: Duration = Duration::from_secs(10);

impl Client {
    /// The execution figures of gateway `gateway_id`: executions running on it (every
    /// app's, schedule's and user's, as `GET /exec/current` and the execution events
    /// tell), this client's launches waiting for room, when a slot is expected, and
    /// the `exec` calls of the last 24 hours against the documented daily quota.
    ///
    /// A gateway runs at most [`crate::EXECUTIONS_PER_GATEWAY`] (10) executions at
    /// once. [`Client::run`] (and what launches through it: [`crate::ActionQueue`],
    /// [`Client::run_and_wait`]) waits for a slot rather than be refused with
    /// `EXEC_QUEUE_FULL`, at most [`crate::ClientBuilder::execution_slot_wait`]; a
    /// launch dropped while it waits sends nothing and gives up its place. A launch the
    /// server refuses anyway (`EXEC_QUEUE_FULL`, "Too many executions": nothing ran)
    /// waits and is sent again when a slot frees. A launch that may have run is never
    /// sent again.
    ///
    /// The figures are kept current by every [`crate::EventStream`] of this client
    /// (and its clones) while it is polled, with nothing to wire; without one, a
    /// launch reads `GET /exec/current` first (at most once a second). These figures
    /// are what the client knew last: call [`Client::refresh_execution_budget`] to
    /// read them now.
    ///
    /// ```no_run
    /// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
    /// client.refresh_execution_budget().await?;
    /// let budget = client.execution_budget("1234-5678-9012");
    /// if budget.free() == 0 {
    ///     println!("full; next slot in {:?}", budget.next_slot_in);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn execution_budget(&self, gateway_id: &str) -> ExecutionBudget {
        self.inner.executions.budget(gateway_id)
    }

    /// The execution figures ([`Client::execution_budget`]) of every gateway the
    /// client heard of (through a launch, a read or an event), by gateway id.
    pub fn execution_budgets(&self) -> Vec<ExecutionBudget> {
        self.inner.executions.budgets()
    }

    /// Reads the running executions (`GET /exec/current`) into the execution figures
    /// now ([`Client::execution_budget`]).
    pub async fn refresh_execution_budget(&self) -> Result<(), Error> {
        self.read_running_executions().await.map(drop)
    }

    /// Reads the running executions (`GET /exec/current`) and feeds them to the
    /// execution figures: the one way the runtime reads them (the live home's reads
    /// keep the budget current too).
    pub(crate) async fn read_running_executions(&self) -> Result<Vec<types::Execution>, Error> {
        let _reading = self.inner.executions.read_lock.lock().await;
        let ledger = &self.inner.executions;
        let started = ledger.read_starting();
        let executions = self.get_exec_current().await?;
        ledger.read(started, &executions);
        Ok(executions)
    }

    /// Reads the running executions if the figures need it (shared by the launches
    /// deciding at the same time). A failed read leaves the figures as they are: the
    /// launch decides on what the client knows, and a refusal would hold it.
    async fn refresh_if_needed(&self) {
        let ledger = &self.inner.executions;
        // Taken even when no read is due: a read on the wire (another launch's) is
        // waited for, so that no launch decides on the figures it is replacing.
        let _reading = ledger.read_lock.lock().await;
        if !ledger.needs_read() {
            return;
        }
        let started = ledger.read_starting();
        match self.get_exec_current().await {
            Ok(executions) => ledger.read(started, &executions),
            Err(error) => {
                tracing::debug!(kind = ?error.kind(), "cannot read the running executions")
            }
        }
    }
}

/// True when the server's answer says it refused the launch for lack of room, so
/// nothing ran: an Overkiz error body (not a proxy's page) saying `EXEC_QUEUE_FULL`
/// or "Too many executions".
fn refused_for_room(error: &Error) -> bool {
    matches!(error, Error::Api { .. } | Error::RateLimited { .. })
        && matches!(
            error.kind(),
            ErrorKind::ExecutionQueueFull | ErrorKind::TooManyExecutions
        )
}

/// The gateway an `EXEC_QUEUE_FULL` answer names ("Execution queue is full on
/// gateway: #1234-5678-9012 (soft limit: 10)").
fn gateway_named(error: &Error) -> Option<&str> {
    let message = error.api_error()?.message();
    let rest = &message[message.find("gateway: #")? + "gateway: #".len()..];
    let id = rest.split([' ', '(', ')', ',']).next()?;
    (!id.is_empty()).then_some(id)
}

/// Launches `group` within its gateways' execution budgets: waits for a slot,
/// sends it with `send` (the launch `operation`), and sends it again only when the
/// server refused it for lack of room, once a slot frees.
pub(crate) async fn launch<F, Fut>(
    client: &Client,
    operation: &'static OperationInfo,
    group: &types::ActionGroup,
    send: F,
) -> Result<types::ExecIdResponse, Error>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<types::ExecIdResponse, Error>>,
{
    let gateways = gateways_of_group(group);
    if gateways.is_empty() {
        // No device URL names a gateway: nothing to count it against.
        return send().await;
    }
    let ledger = &client.inner.executions;
    let started = Instant::now();
    let until = deadline::after(started, ledger.max_wait);
    let mut ticket = ledger.enqueue(gateways);
    loop {
        let launching = loop {
            client.refresh_if_needed().await;
            let mut changed = pin!(ledger.changed());
            changed.as_mut().enable();
            let no_room = match ticket.take() {
                Ok(launching) => break launching,
                Err((waiting, no_room)) => {
                    ticket = waiting;
                    no_room
                }
            };
            let now = Instant::now();
            if now >= until {
                let NoRoom {
                    gateway_id,
                    running,
                    ..
                } = no_room;
                return Err(Error::NoExecutionSlot {
                    operation,
                    gateway_id,
                    waited: now.saturating_duration_since(started),
                    running,
                });
            }
            let poll = if ledger.live() {
                POLL_WITH_EVENTS
            } else {
                POLL_WITHOUT_EVENTS
            };
            let mut wake = deadline::after(now, poll).min(until);
            if let Some(blocked_until) = no_room.blocked_until {
                wake = wake.min(blocked_until);
            }
            tracing::debug!(
                gateway = no_room.gateway_id.as_str(),
                running = no_room.running,
                "no execution slot; waiting"
            );
            let sleep = pin!(tokio::time::sleep_until(wake));
            if let Either::Left(((), _)) = future::select(changed, sleep).await {
                continue;
            }
        };
        match send().await {
            Ok(answer) => {
                match answer.exec_id.clone().filter(|id| !id.is_empty()) {
                    Some(exec_id) => launching.launched(exec_id),
                    None => launching.failed(true),
                }
                return Ok(answer);
            }
            Err(error) if refused_for_room(&error) => {
                tracing::debug!(
                    kind = ?error.kind(),
                    "launch refused for lack of room; held until a slot frees"
                );
                if Instant::now() >= until {
                    launching.failed(false);
                    return Err(error);
                }
                ticket = launching.refused(gateway_named(&error), error.retry_after());
            }
            Err(error) => {
                // Any other failure is the caller's: an answer that may have acted is
                // never sent again.
                launching.failed(error.kind() == ErrorKind::OutcomeUnknown);
                return Err(error);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{operations, ApiError, ErrorCode};

    fn api(status: u16, code: &str, message: &str) -> Error {
        let error = ApiError::new(status, Some(ErrorCode::from(code)), message);
        if error.kind().is_rate_limit() {
            Error::RateLimited {
                operation: &operations::POST_EXEC_APPLY,
                error,
                retry_after: None,
            }
        } else {
            Error::Api {
                operation: &operations::POST_EXEC_APPLY,
                error,
            }
        }
    }

    #[test]
    fn only_the_servers_refusals_for_room_are_held() {
        let full = api(
            400,
            "EXEC_QUEUE_FULL",
            "Execution queue is full on gateway: #1234-5678-9012 (soft limit: 10)",
        );
        assert!(refused_for_room(&full));
        assert_eq!(gateway_named(&full), Some("1234-5678-9012"));
        let busy = api(
            503,
            "RESOURCE_ACCESS_DENIED",
            "Server busy, please try again later. (Too many executions)",
        );
        assert!(refused_for_room(&busy));
        assert_eq!(gateway_named(&busy), None);
        let unknown = Error::OutcomeUnknown {
            operation: &operations::POST_EXEC_APPLY,
            cause: Box::new(full),
        };
        assert!(!refused_for_room(&unknown), "may have run: never resent");
        let proxy = Error::Unavailable {
            operation: &operations::POST_EXEC_APPLY,
            status: 503,
            maintenance: false,
            retry_after: None,
        };
        assert!(!refused_for_room(&proxy));
        assert!(!refused_for_room(&api(
            400,
            "NO_SUCH_COMMAND",
            "No such command : x"
        )));
    }
}
