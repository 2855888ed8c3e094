//! A local gateway that goes away and comes back: [`GatewayLink`] serves the local
//! API (plain HTTP, bearer tokens, under [`LOCAL_API_PREFIX`]) of a cloud-mode
//! simulator on a port of its own, over the same state as the cloud API, and can be
//! unplugged (connections refused, the open ones closed) and plugged in again (the
//! same port served again). For testing clients that use a gateway's local API first
//! and the cloud when the gateway is unreachable.
//!
//! Its calls are in [`Simulator::requests`] with [`RequestRecord::local`] set;
//! [`GatewayLink::requests`] lists them alone.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::shared::{RequestRecord, Shared};
use crate::{server, Simulator, LOCAL_API_PREFIX};

/// The local API of a simulator on a port of its own, which can be made unreachable
/// and reachable again ([`Simulator::gateway_link`]). Stops serving when dropped.
pub struct GatewayLink {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// The accept loop while plugged in.
    server: Mutex<Option<JoinHandle<()>>>,
}

impl Simulator {
    /// Serves this simulator's local API on another ephemeral port of 127.0.0.1, over
    /// the same state: a gateway on the local network whose reachability the test
    /// controls ([`GatewayLink::unplug`], [`GatewayLink::plug`]). Cloud mode only:
    /// fails in local API mode (the simulator is the gateway there).
    pub async fn gateway_link(&self) -> std::io::Result<GatewayLink> {
        if self.shared.gateway.is_some() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "a gateway link serves the local API of a cloud-mode simulator",
            ));
        }
        let listener = TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], 0))).await?;
        let addr = listener.local_addr()?;
        let server = tokio::spawn(server::serve(listener, self.shared.clone(), None));
        Ok(GatewayLink {
            addr,
            shared: self.shared.clone(),
            server: Mutex::new(Some(server)),
        })
    }
}

impl GatewayLink {
    /// The base URL of the local API behind this link
    /// (`http://127.0.0.1:PORT/enduser-mobile-web/1/enduserAPI`): for
    /// `overkiz::Server::custom` with `overkiz::Credentials::bearer` and a token of
    /// [`Simulator::add_token`].
    pub fn url(&self) -> String {
        format!("http://{}{LOCAL_API_PREFIX}", self.addr)
    }

    /// The address it listens on while plugged in.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Whether it serves now.
    pub fn is_plugged(&self) -> bool {
        self.lock().is_some()
    }

    /// Makes the gateway unreachable: closes the listening socket and every open
    /// connection, and returns once they are closed. A connection attempt is then
    /// refused. Does nothing when already unplugged.
    pub async fn unplug(&self) {
        let server = self.lock().take();
        if let Some(server) = server {
            server.abort();
            // Aborted: the listener and the connections are dropped when it ends.
            let _ = server.await;
        }
    }

    /// Serves the same port again. Does nothing when already plugged in. Fails when
    /// the port was taken meanwhile.
    pub async fn plug(&self) -> std::io::Result<()> {
        if self.is_plugged() {
            return Ok(());
        }
        let listener = TcpListener::bind(self.addr).await?;
        let server = tokio::spawn(server::serve(listener, self.shared.clone(), None));
        if let Some(raced) = self.lock().replace(server) {
            // Another `plug` won meanwhile; keep one server.
            raced.abort();
        }
        Ok(())
    }

    /// The calls of the local API received so far (by this link, or under
    /// [`LOCAL_API_PREFIX`] on the simulator's own port), in order.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|record| record.local)
            .cloned()
            .collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Option<JoinHandle<()>>> {
        self.server.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl std::fmt::Debug for GatewayLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayLink")
            .field("addr", &self.addr)
            .field("plugged", &self.is_plugged())
            .finish()
    }
}

impl Drop for GatewayLink {
    fn drop(&mut self) {
        if let Some(server) = self.lock().take() {
            server.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Unplugged, a connection is refused; plugged in again, the same port answers.
    #[tokio::test]
    async fn an_unplugged_link_refuses_connections_and_serves_again_once_plugged() {
        let sim = Simulator::start(serde_json::json!({"devices": [], "gateways": []}))
            .await
            .unwrap();
        let link = sim.gateway_link().await.unwrap();
        let connect = || tokio::net::TcpStream::connect(link.addr());
        let open = connect().await.unwrap();
        link.unplug().await;
        assert!(!link.is_plugged());
        let refused = connect().await.unwrap_err();
        assert_eq!(refused.kind(), std::io::ErrorKind::ConnectionRefused);
        // The connection open before is closed too.
        let mut buf = [0u8; 1];
        let read = tokio::time::timeout(std::time::Duration::from_secs(10), async {
            open.readable().await.ok();
            open.try_read(&mut buf)
        })
        .await
        .expect("the open connection is closed");
        assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
        link.plug().await.unwrap();
        connect().await.unwrap();
        assert!(link.requests().is_empty());
    }
}
