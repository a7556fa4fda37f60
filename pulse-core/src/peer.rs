//! The connection a request came on: its TCP peer and its slot under the connection limit.
//!
//! `Server`'s accept loop gives each request the peer's address in one of two ways:
//! - a page request it hands to the pages directly is called inside [`calling_from`]: the
//!   pages read the address (in [`peer`]) while they are called, before their future is
//!   returned, and no extension is built for it;
//! - every other request (the app's endpoints, the framework's routes, pages reached through
//!   axum's router) carries axum's `ConnectInfo<SocketAddr>` extension, which handlers extract,
//!   and, when it asks for an upgrade, a share of the connection's [`ConnectionSlot`], which a
//!   WebSocket keeps until it closes.
//!
//! A router served some other way (`Server::into_router` given to `axum::serve` with connect
//! info) has the extension too.

use std::cell::Cell;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::ConnectInfo;
use http::Extensions;
use tokio::sync::OwnedSemaphorePermit;

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

thread_local! {
    /// The peer of the request being called on this thread, inside [`calling_from`].
    static CALLING: Cell<Option<SocketAddr>> = const { Cell::new(None) };
}

/// Calls `call` (a service's `call`, which reads what it needs of the request before it
/// returns its future) with `peer` as the client address [`peer`] gives.
pub(crate) fn calling_from<R>(peer: SocketAddr, call: impl FnOnce() -> R) -> R {
    /// Puts the previous value back, even when `call` panics.
    struct Restore(Option<SocketAddr>);
    impl Drop for Restore {
        fn drop(&mut self) {
            CALLING.set(self.0);
        }
    }
    let _restore = Restore(CALLING.replace(Some(peer)));
    call()
}

/// The client address of the request being served: the peer given to [`calling_from`] while
/// inside it, else the request's `ConnectInfo` extension (`None` when it has neither, as in a
/// test calling the service in process).
pub(crate) fn peer(extensions: &Extensions) -> Option<SocketAddr> {
    CALLING.get().or_else(|| {
        extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| *addr)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_calling_peer_comes_first_then_the_extension() {
        let calling: SocketAddr = ([127, 0, 0, 7], 4000).into();
        let extension: SocketAddr = ([127, 0, 0, 8], 5000).into();
        let mut extensions = Extensions::new();
        assert_eq!(peer(&extensions), None);
        extensions.insert(ConnectInfo(extension));
        assert_eq!(peer(&extensions), Some(extension));
        assert_eq!(calling_from(calling, || peer(&extensions)), Some(calling));
        // Only while called.
        assert_eq!(peer(&extensions), Some(extension));
    }

    #[test]
    fn calls_nest_and_a_panicking_call_leaves_no_peer_behind() {
        let outer: SocketAddr = ([127, 0, 0, 7], 4000).into();
        let inner: SocketAddr = ([127, 0, 0, 8], 5000).into();
        let none = Extensions::new();
        let seen = calling_from(outer, || {
            let nested = calling_from(inner, || peer(&none));
            (nested, peer(&none))
        });
        assert_eq!(seen, (Some(inner), Some(outer)));
        let panicked = std::panic::catch_unwind(|| calling_from(inner, || panic!("call failed")));
        assert!(panicked.is_err());
        assert_eq!(peer(&none), None);
    }
}
