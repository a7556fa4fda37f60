//! The connection a request came on: its TCP peer and its slot under the connection limit.
//!
//! `Server`'s accept loop runs each connection's task inside [`serve_from`], so everything the
//! connection's requests run while it is polled (routing, layers, handlers, hooks) can ask
//! [`peer`] for the client's address, and a WebSocket upgrade can take a share of the
//! connection's [`slot`]: nothing is added to each request for either. Pages and the
//! framework's own routes read the address from there, without a `ConnectInfo` extension. The
//! app's endpoints get axum's `ConnectInfo<SocketAddr>` extension as before: the
//! [`ConnectInfoLayer`] around them inserts it when they are called. A router served some other
//! way (`Server::into_router` given to `axum::serve` with connect info) has the extension, which
//! [`peer`] falls back to.

use std::net::SocketAddr;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::ConnectInfo;
use http::{Extensions, Request};
use tokio::sync::OwnedSemaphorePermit;
use tower::{Layer, Service};

/// A connection's slot under the connection limit. A WebSocket upgraded from the connection
/// keeps a share of it until the socket closes.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionSlot(
    #[allow(dead_code, reason = "held, never read")] Arc<OwnedSemaphorePermit>,
);

impl ConnectionSlot {
    pub(crate) fn new(permit: OwnedSemaphorePermit) -> ConnectionSlot {
        ConnectionSlot(Arc::new(permit))
    }
}

/// What the connection being served gives its requests.
struct Connection {
    peer: SocketAddr,
    slot: ConnectionSlot,
}

tokio::task_local! {
    static CONNECTION: Connection;
}

/// Runs `connection` (a connection's whole task) with `peer` as its requests' client address
/// and `slot` as the slot its WebSockets share.
pub(crate) fn serve_from<F: Future>(
    peer: SocketAddr,
    slot: ConnectionSlot,
    connection: F,
) -> impl Future<Output = F::Output> {
    CONNECTION.scope(Connection { peer, slot }, connection)
}

/// A share of the slot of the connection being served (`None` outside [`serve_from`]: a router
/// served some other way is under no connection limit of Pulse's).
pub(crate) fn slot() -> Option<ConnectionSlot> {
    CONNECTION
        .try_with(|connection| connection.slot.clone())
        .ok()
}

/// The peer of the connection being served.
fn connection_peer() -> Option<SocketAddr> {
    CONNECTION.try_with(|connection| connection.peer).ok()
}

/// The client address of the request being served: the connection's peer (inside
/// [`serve_from`]), else the `ConnectInfo` extension of a router served with connect info.
pub(crate) fn peer(extensions: &Extensions) -> Option<SocketAddr> {
    connection_peer().or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr)
    })
}

/// Gives the requests of the routes it wraps axum's `ConnectInfo<SocketAddr>` extension, so
/// the app's handlers can extract it.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ConnectInfoLayer;

impl<S> Layer<S> for ConnectInfoLayer {
    type Service = AddConnectInfo<S>;

    fn layer(&self, inner: S) -> AddConnectInfo<S> {
        AddConnectInfo(inner)
    }
}

/// The service of [`ConnectInfoLayer`].
#[derive(Clone, Debug)]
pub(crate) struct AddConnectInfo<S>(S);

impl<S, B> Service<Request<B>> for AddConnectInfo<S>
where
    S: Service<Request<B>>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: Request<B>) -> S::Future {
        if let Some(peer) = connection_peer()
            && request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .is_none()
        {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        self.0.call(request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A slot of a limit of one connection.
    fn a_slot() -> ConnectionSlot {
        let permits = Arc::new(tokio::sync::Semaphore::new(1));
        ConnectionSlot::new(permits.try_acquire_owned().unwrap())
    }

    #[tokio::test]
    async fn a_share_of_the_slot_holds_it_after_the_connection() {
        let permits = Arc::new(tokio::sync::Semaphore::new(1));
        let taken = ConnectionSlot::new(Arc::clone(&permits).try_acquire_owned().unwrap());
        let peer: SocketAddr = ([127, 0, 0, 7], 4000).into();
        assert!(slot().is_none());
        let share = serve_from(peer, taken, async { slot() }).await;
        // The connection's own share is gone with its task; the socket's keeps the permit.
        assert_eq!(permits.available_permits(), 0);
        drop(share);
        assert_eq!(permits.available_permits(), 1);
    }

    #[tokio::test]
    async fn the_connection_peer_comes_first_then_the_extension() {
        let connection: SocketAddr = ([127, 0, 0, 7], 4000).into();
        let extension: SocketAddr = ([127, 0, 0, 8], 5000).into();
        let mut extensions = Extensions::new();
        assert_eq!(peer(&extensions), None);
        extensions.insert(ConnectInfo(extension));
        assert_eq!(peer(&extensions), Some(extension));
        let inside = serve_from(connection, a_slot(), async { peer(&extensions) }).await;
        assert_eq!(inside, Some(connection));
    }

    #[tokio::test]
    async fn endpoints_get_the_extension_inside_a_connection_only() {
        let connection: SocketAddr = ([127, 0, 0, 7], 4000).into();
        let seen = |request: Request<()>| async move {
            Ok::<_, std::convert::Infallible>(
                request
                    .extensions()
                    .get::<ConnectInfo<SocketAddr>>()
                    .map(|ConnectInfo(addr)| *addr),
            )
        };
        let mut outside = ConnectInfoLayer.layer(tower::service_fn(seen));
        assert_eq!(outside.call(Request::new(())).await, Ok(None));
        let mut inside = ConnectInfoLayer.layer(tower::service_fn(seen));
        let answered = serve_from(connection, a_slot(), async {
            inside.call(Request::new(())).await
        })
        .await;
        assert_eq!(answered, Ok(Some(connection)));
    }
}
