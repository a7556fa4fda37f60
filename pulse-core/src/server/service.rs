//! [`PulseService`]: the server's HTTP service, which [`Server::serve`](super::Server::serve)
//! runs for every request. A page request goes to the pages at once when no endpoint can
//! match its path; every other request through the axum router (whose fallback is the same
//! pages).

use std::convert::Infallible;
use std::fmt;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use axum::routing::future::RouteFuture;
use bytes::Bytes;
use http::header::UPGRADE;
use tower::{BoxError, Service};

use super::page::{DirectPages, PagesFuture};
use crate::peer::{self, ConnectionSlot};

/// A Pulse app as one tower service: what [`Server::serve`](super::Server::serve) runs for
/// every request, from [`Server::into_service`](super::Server::into_service), to serve the app
/// another way (hyper's own connection builders, a tower stack) or to call it in process.
///
/// It answers exactly as [`Server::into_router`](super::Server::into_router)'s router does, and
/// faster for pages when every endpoint was given with [`Server::route`](super::Server::route):
/// a request whose path no endpoint matches (nor a framework route, under `/_pulse/`) is a page
/// request and goes to the pages without passing through the router.
///
/// ```
/// use pulse_core as ps;
/// use tower::ServiceExt;
/// # async fn home(_: ps::PageContext) -> ps::Markup { ps::html! { h1 { "Home" } } }
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let app = ps::App::new(ps::Routes::new().route("/", home), ());
/// let service = app.server().into_service();
/// let request = http::Request::get("/").body(axum::body::Body::empty()).unwrap();
/// let response = service.oneshot(request).await.unwrap();
/// assert_eq!(response.status(), 200);
/// # }
/// ```
#[derive(Clone)]
pub struct PulseService {
    router: Router,
    direct: Option<DirectPages>,
}

impl fmt::Debug for PulseService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PulseService")
            .field("direct_pages", &self.direct.is_some())
            .finish_non_exhaustive()
    }
}

impl PulseService {
    pub(crate) fn new(router: Router, direct: Option<DirectPages>) -> PulseService {
        PulseService { router, direct }
    }

    /// The router alone, which answers every request the same way (pages through its fallback).
    pub(crate) fn into_router(self) -> Router {
        self.router
    }

    /// Answers `request`, which came from `peer` on a connection holding `slot`: the accept
    /// loop's per-request call (see `crate::peer` for how each path learns the peer).
    pub(crate) fn answer_from(
        &self,
        mut request: axum::extract::Request,
        peer: SocketAddr,
        slot: &ConnectionSlot,
    ) -> ResponseFuture {
        if let Some(direct) = self.pages_for(request.uri().path()) {
            return ResponseFuture(Answer::Page(peer::calling_from(peer, || {
                direct.call(request)
            })));
        }
        request.extensions_mut().insert(ConnectInfo(peer));
        // Only a request that asks for an upgrade (a WebSocket) can keep the connection past
        // its response: the others need no share of its slot.
        if request.headers().contains_key(UPGRADE) {
            request.extensions_mut().insert(slot.clone());
        }
        self.routed(request)
    }

    /// Answers `request` without taking a clone of the service (the router and the pages are
    /// always ready).
    pub(crate) fn answer(&self, request: axum::extract::Request) -> ResponseFuture {
        match self.pages_for(request.uri().path()) {
            Some(direct) => ResponseFuture(Answer::Page(direct.call(request))),
            None => self.routed(request),
        }
    }

    /// The pages to call directly for a request to `path`: `None` when the router must answer.
    fn pages_for(&self, path: &str) -> Option<&DirectPages> {
        self.direct.as_ref().filter(|direct| direct.take(path))
    }

    /// `request` through the router. axum's router is always ready: it is called at once,
    /// without a `Oneshot` (whose state would carry the request, making this future as large).
    fn routed(&self, request: axum::extract::Request) -> ResponseFuture {
        ResponseFuture(Answer::Routed(self.router.clone().call(request)))
    }
}

impl<B> Service<http::Request<B>> for PulseService
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response;
    type Error = Infallible;
    type Future = ResponseFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        // The router and the pages are always ready; each answer takes its own clone of them.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: http::Request<B>) -> ResponseFuture {
        self.answer(request.map(Body::new))
    }
}

/// The response future of [`PulseService`].
pub struct ResponseFuture(Answer);

impl fmt::Debug for ResponseFuture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture").finish_non_exhaustive()
    }
}

enum Answer {
    Page(PagesFuture),
    Routed(RouteFuture<Infallible>),
}

impl Future for ResponseFuture {
    type Output = Result<Response, Infallible>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        // Both futures are `Unpin` (the pages' is boxed or ready, the router's boxed), so no
        // projection is needed.
        match &mut self.get_mut().0 {
            Answer::Page(future) => Pin::new(future).poll(cx),
            Answer::Routed(future) => Pin::new(future).poll(cx),
        }
    }
}
