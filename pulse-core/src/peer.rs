//! The TCP peer of the connection a request came on.
//!
//! `Server`'s accept loop runs each connection's task inside [`serve_from`], so everything the
//! connection's requests run while it is polled (routing, layers, handlers, hooks) can ask
//! [`peer`] for the client's address. Pages and the framework's own routes read it from there:
//! no `ConnectInfo` extension is built for them. The app's endpoints get axum's
//! `ConnectInfo<SocketAddr>` extension as before: the [`ConnectInfoLayer`] around them inserts it
//! when they are called. A router served some other way (`Server::into_router` given to
//! `axum::serve` with connect info) has the extension, which [`peer`] falls back to.

use std::net::SocketAddr;
use std::task::{Context, Poll};

use axum::extract::ConnectInfo;
use http::{Extensions, Request};
use tower::{Layer, Service};

tokio::task_local! {
    static PEER: SocketAddr;
}

/// Runs `connection` (a connection's whole task) with `peer` as its requests' client address.
pub(crate) fn serve_from<F: Future>(
    peer: SocketAddr,
    connection: F,
) -> impl Future<Output = F::Output> {
    PEER.scope(peer, connection)
}

/// The client address of the request being served: the connection's peer (inside
/// [`serve_from`]), else the `ConnectInfo` extension of a router served with connect info.
pub(crate) fn peer(extensions: &Extensions) -> Option<SocketAddr> {
    PEER.try_with(|peer| *peer).ok().or_else(|| {
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
        if let Ok(peer) = PEER.try_with(|peer| *peer)
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

    #[tokio::test]
    async fn the_connection_peer_comes_first_then_the_extension() {
        let connection: SocketAddr = ([127, 0, 0, 7], 4000).into();
        let extension: SocketAddr = ([127, 0, 0, 8], 5000).into();
        let mut extensions = Extensions::new();
        assert_eq!(peer(&extensions), None);
        extensions.insert(ConnectInfo(extension));
        assert_eq!(peer(&extensions), Some(extension));
        let inside = serve_from(connection, async { peer(&extensions) }).await;
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
        let answered = serve_from(connection, async { inside.call(Request::new(())).await }).await;
        assert_eq!(answered, Ok(Some(connection)));
    }
}
