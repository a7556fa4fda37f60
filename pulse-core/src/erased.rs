//! Type erasure at the app boundary: the one place a chain is boxed.
//!
//! Chains built with `middleware![…]` are static and allocation-free. The [`App`](crate::App)
//! stores its chain behind `dyn`, so each dispatch through an app costs one boxed future for the
//! chain and one for the framework's continuation.

use futures_util::future::BoxFuture;

use crate::app::{PageJob, render_route, run_page};
use crate::hook::{
    self, ApiArgs, ChannelArgs, ConnectArgs, Hook, MessageArgs, Next, PrerenderRouteArgs,
};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};
use crate::page::ViewState;
use crate::request::Request;
use crate::route::{RouteEntry, RouteInfo};
use crate::session::Session;

/// A continuation behind a box.
pub(crate) struct DynNext<'a, H: Hook>(pub(crate) BoxFuture<'a, H::Response>);

impl<H: Hook> Next<H> for DynNext<'_, H> {
    fn run(self) -> impl Future<Output = H::Response> + Send {
        self.0
    }
}

macro_rules! erased {
    ($($method:ident: $args:ident, $marker:ident, $response:ty;)*) => {
        /// Object-safe form of [`PulseMiddleware`].
        pub(crate) trait ErasedMiddleware: Send + Sync {
            /// A whole page request (`prerender`, then `prerender_route` per route, then the
            /// pages) in one boxed future, dispatched statically inside.
            fn page<'a>(&'a self, job: PageJob<'a>) -> BoxFuture<'a, PrerenderResponse>;

            /// One route through `prerender_route` and its page, with a view's state.
            fn route<'a>(
                &'a self,
                entry: &'a RouteEntry,
                route_info: &'a RouteInfo,
                request: &'a Request,
                session: &'a Session,
                state: ViewState,
            ) -> BoxFuture<'a, RoutePrerenderResponse>;

            $(
                fn $method<'a>(
                    &'a self,
                    args: $args<'a>,
                    next: DynNext<'a, hook::$marker>,
                ) -> BoxFuture<'a, $response>;
            )*
        }

        impl<M: PulseMiddleware> ErasedMiddleware for M {
            fn page<'a>(&'a self, job: PageJob<'a>) -> BoxFuture<'a, PrerenderResponse> {
                Box::pin(run_page(self, job))
            }

            fn route<'a>(
                &'a self,
                entry: &'a RouteEntry,
                route_info: &'a RouteInfo,
                request: &'a Request,
                session: &'a Session,
                state: ViewState,
            ) -> BoxFuture<'a, RoutePrerenderResponse> {
                Box::pin(render_route(self, entry, route_info, request, session, state))
            }

            $(
                fn $method<'a>(
                    &'a self,
                    args: $args<'a>,
                    next: DynNext<'a, hook::$marker>,
                ) -> BoxFuture<'a, $response> {
                    Box::pin(PulseMiddleware::$method(self, args, next))
                }
            )*
        }
    };
}

erased! {
    prerender_route: PrerenderRouteArgs, PrerenderRoute, RoutePrerenderResponse;
    connect: ConnectArgs, Connect, ConnectResponse;
    message: MessageArgs, Message, MessageResponse;
    channel: ChannelArgs, Channel, ChannelResponse;
    api: ApiArgs, Api, ApiResponse;
}
