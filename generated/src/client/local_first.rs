//! Local first, cloud when needed: a [`Client`] of one gateway that sends the
//! operations its local API serves ([`crate::local_api`]) to the gateway and the others
//! to the cloud, falls back to the cloud while the gateway is unreachable, and goes
//! back to the gateway once a background probe finds it answering again.
//!
//! It is the ordinary [`Client`] (built by [`Client::local_first`]), so everything
//! built on a client (the event stream, the execution follower, the home layer) works
//! over it unchanged. The one rule it adds: a call that acts and may have reached the
//! gateway is never sent again through the cloud.

use std::fmt;
use std::sync::{Arc, Weak};
use std::time::Duration;

use tokio::sync::watch;

use crate::client::Client;
use crate::error::Error;
use crate::generated::local_api;
use crate::transport::request::{RawResponse, Request};
use crate::value::operation::Idempotency;

/// Where a local-first client sends the operations of the local API now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// To the gateway's local API.
    Local,
    /// To the cloud: the gateway did not answer, and a probe checks it in the
    /// background.
    Cloud,
}

impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Route::Local => "the local gateway",
            Route::Cloud => "the cloud",
        })
    }
}

/// Settings of a local-first client: how often the unreachable gateway is probed.
///
/// ```
/// use std::time::Duration;
/// use overkiz::LocalFirstConfig;
/// let config = LocalFirstConfig::default().with_probe_backoff(Duration::from_secs(2), Duration::from_secs(30));
/// assert_eq!(config.probe_initial(), Duration::from_secs(2));
/// assert_eq!(config.probe_max(), Duration::from_secs(30));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalFirstConfig {
    probe_initial: Duration,
    probe_max: Duration,
}

impl Default for LocalFirstConfig {
    /// The first probe 5 s after the gateway stopped answering, then doubling waits up
    /// to 5 minutes.
    fn default() -> LocalFirstConfig {
        LocalFirstConfig {
            probe_initial: Duration::from_secs(5),
            probe_max: Duration::from_secs(300),
        }
    }
}

impl LocalFirstConfig {
    /// Sets the wait before the first probe of an unreachable gateway (`initial`) and
    /// the longest wait between two probes (`max`); the wait doubles after each
    /// failed probe.
    pub fn with_probe_backoff(mut self, initial: Duration, max: Duration) -> LocalFirstConfig {
        self.probe_initial = initial;
        self.probe_max = max.max(initial);
        self
    }

    /// Wait before the first probe.
    pub fn probe_initial(&self) -> Duration {
        self.probe_initial
    }

    /// Longest wait between two probes.
    pub fn probe_max(&self) -> Duration {
        self.probe_max
    }
}

/// The route and how many times it switched: an event listener belongs to one
/// switch's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RouteState {
    route: Route,
    switches: u64,
}

/// Where an event listener is registered: the route of one period between two
/// switches. `None` for a client that is not local-first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EventSource(Option<RouteState>);

impl EventSource {
    /// The route it is on; `None` for a client that is not local-first.
    pub(crate) fn route(&self) -> Option<Route> {
        self.0.map(|state| state.route)
    }
}

/// What the clones of a local-first client share: both clients and the route.
pub(crate) struct LocalRoute {
    cloud: Client,
    local: Client,
    config: LocalFirstConfig,
    state: watch::Sender<RouteState>,
}

/// A client's tie to a local route: unpinned, the client routes each call; pinned,
/// it is one side of the route (its `inner`) and only reports the gateway's failures.
#[derive(Clone)]
pub(crate) struct Link {
    route: Arc<LocalRoute>,
    pinned: bool,
}

/// `Some(never_left)` when `error` says the gateway could not be reached or did not
/// answer: `never_left` is true when the request provably never left (connection
/// refused, name not resolved, TLS handshake or connect timeout: all before the
/// request is written), false when it may have reached the gateway. `None` for an
/// answer of the gateway.
fn unreachable(error: &Error) -> Option<bool> {
    match error {
        Error::Transport { source, .. } => Some(source.is_connect()),
        Error::Timeout { connect, .. } => Some(*connect),
        Error::OutcomeUnknown { cause, .. } => unreachable(cause).map(|_| false),
        _ => None,
    }
}

impl LocalRoute {
    fn current(&self) -> RouteState {
        *self.state.borrow()
    }

    /// Sends a call of the local-first client.
    async fn send(self: &Arc<Self>, request: Request) -> Result<RawResponse, Error> {
        let op = request.op;
        if !local_api::serves(op) || self.current().route == Route::Cloud {
            return self.cloud.send_direct(request).await;
        }
        let error = match self.local.send_direct(request.clone()).await {
            Ok(answer) => return Ok(answer),
            Err(error) => error,
        };
        let Some(never_left) = unreachable(&error) else {
            // The gateway answered (an error of its own): that is the answer.
            return Err(error);
        };
        self.gateway_unreachable(&error);
        if never_left || op.idempotency == Idempotency::SafeRead {
            tracing::debug!(
                method = op.method.as_str(),
                path = op.path,
                "local gateway unreachable; sending the call through the cloud"
            );
            self.cloud.send_direct(request).await
        } else {
            // It may have reached the gateway and acted: never sent twice.
            Err(error)
        }
    }

    /// Switches to the cloud (unless already there) and starts probing the gateway.
    fn gateway_unreachable(self: &Arc<Self>, error: &Error) {
        let switched = self.state.send_if_modified(|state| {
            if state.route == Route::Local {
                state.route = Route::Cloud;
                state.switches += 1;
                true
            } else {
                false
            }
        });
        if !switched {
            return;
        }
        tracing::info!(kind = ?error.kind(), "local gateway unreachable; using the cloud");
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            // No runtime to probe from: keep trying the gateway call by call.
            self.back_to_local();
            return;
        };
        runtime.spawn(probe(Arc::downgrade(self)));
    }

    fn back_to_local(&self) {
        self.state.send_modify(|state| {
            state.route = Route::Local;
            state.switches += 1;
        });
    }
}

/// Probes the gateway (`GET /apiVersion`) with a doubling wait until it answers, then
/// switches back to it. Ends early when every client of the route is gone.
async fn probe(route: Weak<LocalRoute>) {
    let Some(config) = route.upgrade().map(|r| r.config) else {
        return;
    };
    let mut wait = config.probe_initial;
    loop {
        tokio::time::sleep(wait).await;
        let Some(route) = route.upgrade() else {
            return;
        };
        // `GET /apiVersion`, the first of the list: a read that needs no token.
        let probe = local_api::OPERATIONS
            .iter()
            .filter_map(|local| local.operation())
            .find(|op| op.idempotency == Idempotency::SafeRead);
        let answer = match probe {
            Some(op) => route.local.send_direct(Request::new(op)).await.map(drop),
            // No read to probe with: let the calls try the gateway again.
            None => Ok(()),
        };
        match answer {
            Ok(()) => {
                tracing::info!("local gateway answers again; using it");
                route.back_to_local();
                return;
            }
            Err(error) => {
                tracing::debug!(kind = ?error.kind(), wait_ms = wait.as_millis() as u64, "local gateway still unreachable");
            }
        }
        wait = wait.saturating_mul(2).min(config.probe_max);
    }
}

/// The route of a local-first client as it changes ([`Client::route_watch`]).
#[derive(Debug, Clone)]
pub struct RouteWatch {
    receiver: watch::Receiver<RouteState>,
}

impl RouteWatch {
    /// The route now.
    pub fn route(&self) -> Route {
        self.receiver.borrow().route
    }

    /// Waits for the next switch and returns the new route; `None` when every client
    /// of the route is gone.
    pub async fn changed(&mut self) -> Option<Route> {
        self.receiver.changed().await.ok()?;
        Some(self.route())
    }

    /// Waits until the route is `route` (at once if it is); false when every client
    /// of the route is gone first.
    pub async fn wait_for(&mut self, route: Route) -> bool {
        self.receiver
            .wait_for(|state| state.route == route)
            .await
            .is_ok()
    }
}

impl Client {
    /// A client of one gateway, local first: the operations the gateway's local API
    /// serves ([`crate::local_api::OPERATIONS`]) go to `local` (e.g. [`Client::local`]),
    /// the others to `cloud`, with [`LocalFirstConfig::default`]. See
    /// [`Client::local_first_with`].
    pub fn local_first(cloud: Client, local: Client) -> Client {
        Client::local_first_with(cloud, local, LocalFirstConfig::default())
    }

    /// A client of one gateway, local first, cloud when needed:
    ///
    /// - The operations the gateway's local API serves go to `local`, the others to
    ///   `cloud`. Everything else ([`Client::server`], sessions, the cloud's
    ///   sign-in) is `cloud`'s.
    /// - When the gateway cannot be reached, the client switches to the cloud for
    ///   every operation and probes the gateway in the background (`GET /apiVersion`,
    ///   after [`LocalFirstConfig::probe_initial`], doubling up to
    ///   [`LocalFirstConfig::probe_max`]); once it answers, local operations go to it
    ///   again. Calls are not probes: while on the cloud, no call tries the gateway.
    /// - The call that found the gateway unreachable is sent through the cloud when
    ///   it provably never left (connection refused, name not resolved, TLS
    ///   handshake, connect timeout) or is a safe read. A call that acts and may have
    ///   reached the gateway (a timeout or a broken connection after sending) is
    ///   never sent again: it fails with [`crate::ErrorKind::OutcomeUnknown`].
    /// - An error answer of the gateway is returned as it is (no fallback).
    /// - Events come from one source at a time: the [`crate::EventStream`] of this
    ///   client registers on the route in force, and when the route switches it
    ///   reports a gap ([`crate::GapReason::SourceChanged`]) and registers on the new
    ///   one.
    ///
    /// Build the local client with the gateway in mind: its
    /// [`crate::ClientBuilder::connect_timeout`] (a gateway switched off answers
    /// nothing, and the fallback waits for the timeout), its
    /// [`crate::ClientBuilder::timeout`] and its [`crate::RetryPolicy`] (its resends
    /// of a refused connection come before the fallback) set how soon a call falls
    /// back.
    ///
    /// ```no_run
    /// # async fn demo(cloud: overkiz::Client, token: overkiz::Secret) -> Result<(), overkiz::Error> {
    /// use overkiz::{Client, LocalFirstConfig, Route};
    /// let local = Client::local("1234-5678-9012", token)?;
    /// let client = Client::local_first_with(cloud, local, LocalFirstConfig::default());
    /// let devices = client.get_setup_devices().await?; // from the gateway while it answers
    /// let groups = client.get_action_groups().await?; // from the cloud: not a local operation
    /// let mut route = client.route_watch().expect("a local-first client");
    /// if route.route() == Route::Cloud {
    ///     route.wait_for(Route::Local).await; // a probe found the gateway again
    /// }
    /// # let _ = (devices, groups); Ok(()) }
    /// ```
    pub fn local_first_with(cloud: Client, local: Client, config: LocalFirstConfig) -> Client {
        let cloud = cloud.direct();
        let (state, _) = watch::channel(RouteState {
            route: Route::Local,
            switches: 0,
        });
        let route = Arc::new(LocalRoute {
            cloud: cloud.clone(),
            local: local.direct(),
            config,
            state,
        });
        Client {
            inner: cloud.inner,
            link: Some(Link {
                route,
                pinned: false,
            }),
        }
    }

    /// For a local-first client, where local operations go now; `None` for other
    /// clients.
    pub fn route(&self) -> Option<Route> {
        self.link.as_ref().map(|link| link.route.current().route)
    }

    /// For a local-first client, its route as it changes; `None` for other clients.
    pub fn route_watch(&self) -> Option<RouteWatch> {
        self.link.as_ref().map(|link| RouteWatch {
            receiver: link.route.state.subscribe(),
        })
    }

    /// For a local-first client, its client of the gateway's local API; `None` for
    /// other clients.
    pub fn local_gateway(&self) -> Option<&Client> {
        self.link.as_ref().map(|link| &link.route.local)
    }

    /// This client without its local route: the server it was built for.
    fn direct(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            link: None,
        }
    }

    /// Sends one request and returns its raw successful answer: the one path every
    /// call takes (generated methods through [`crate::Call`], raw calls through
    /// [`crate::RawCall`]). A local-first client routes it; other clients send it to
    /// their server ([`Client::send_direct`]).
    pub(crate) async fn send_request(&self, request: Request) -> Result<RawResponse, Error> {
        let Some(link) = &self.link else {
            return self.send_direct(request).await;
        };
        if !link.pinned {
            return link.route.send(request).await;
        }
        let answer = self.send_direct(request).await;
        if let Err(error) = &answer {
            let gateway = Arc::ptr_eq(&self.inner, &link.route.local.inner);
            if gateway && unreachable(error).is_some() {
                link.route.gateway_unreachable(error);
            }
        }
        answer
    }

    /// The source events come from now ([`EventSource`]).
    pub(crate) fn event_source(&self) -> EventSource {
        EventSource(
            self.link
                .as_ref()
                .filter(|link| !link.pinned)
                .map(|link| link.route.current()),
        )
    }

    /// The client that talks to `source` alone: the gateway or the cloud, with no
    /// fallback (an event listener lives on one server). A failure to reach the
    /// gateway still switches the route.
    pub(crate) fn pinned(&self, source: EventSource) -> Client {
        match (&self.link, source.0) {
            (Some(link), Some(state)) if !link.pinned => {
                let side = match state.route {
                    Route::Local => &link.route.local,
                    Route::Cloud => &link.route.cloud,
                };
                Client {
                    inner: side.inner.clone(),
                    link: Some(Link {
                        route: link.route.clone(),
                        pinned: true,
                    }),
                }
            }
            _ => self.clone(),
        }
    }
}

impl fmt::Debug for Link {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRoute")
            .field("local", self.route.local.server())
            .field("route", &self.route.current().route)
            .field("pinned", &self.pinned)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Credentials, Server};

    #[test]
    fn debug_shows_the_route_and_no_token() {
        let cloud = Client::new(
            Server::custom("http://127.0.0.1:1/cloud").unwrap(),
            Credentials::bearer("cloud-SECRET"),
        )
        .unwrap();
        let local = Client::new(
            Server::custom("http://127.0.0.1:1/local").unwrap(),
            Credentials::bearer("local-SECRET"),
        )
        .unwrap();
        let client = Client::local_first(cloud, local);
        let debug = format!("{client:?}");
        assert!(!debug.contains("SECRET"), "{debug}");
        assert!(
            debug.contains("/local") && debug.contains("Local"),
            "{debug}"
        );
        assert_eq!(client.route(), Some(Route::Local));
        assert_eq!(client.server().base_url(), "http://127.0.0.1:1/cloud");
        assert!(Client::new(Server::somfy_europe(), Credentials::none())
            .unwrap()
            .route()
            .is_none());
    }

    #[test]
    fn probe_waits_never_shrink_below_the_first() {
        let config = LocalFirstConfig::default()
            .with_probe_backoff(Duration::from_secs(10), Duration::from_secs(1));
        assert_eq!(config.probe_max(), Duration::from_secs(10));
    }
}
