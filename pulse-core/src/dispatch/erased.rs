//! Type erasure at the app boundary: the one place a chain is boxed.
//!
//! Chains built with `stack![…]` are static and allocation-free. The [`App`](crate::App)
//! stores its chain behind `dyn`, so each dispatch through an app costs one boxed future for the
//! chain and one for the framework's continuation.

use std::pin::Pin;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use super::{PageJob, RouteEntry, render_route, run_page, run_pages};
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
use crate::route_info::RouteInfo;
use crate::session::Session;
use crate::tables::for_each_hook;

/// A continuation behind a box.
pub(crate) struct DynNext<'a, H: Hook>(pub(crate) BoxFuture<'a, H::Response>);

impl<H: Hook> Next<H> for DynNext<'_, H> {
    fn run(self) -> impl Future<Output = H::Response> + Send {
        self.0
    }
}

/// A continuation pinned in its caller's future rather than boxed: the `api` hook's, whose
/// endpoint (or group middleware) future lives in the request's one boxed future.
pub(crate) struct PinnedNext<'a, H: Hook>(
    pub(crate) Pin<&'a mut (dyn Future<Output = H::Response> + Send + 'a)>,
);

impl<H: Hook> Next<H> for PinnedNext<'_, H> {
    fn run(self) -> impl Future<Output = H::Response> + Send {
        self.0
    }
}

macro_rules! erased {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident { $($facts:tt)* }; )*) => {
        /// Object-safe form of [`PulseMiddleware`].
        pub(crate) trait ErasedMiddleware: Send + Sync {
            /// A whole page request (`prerender`, then `prerender_route` per route, then the
            /// pages) in one boxed future, dispatched statically inside.
            fn page<'a>(&'a self, job: PageJob<'a>) -> BoxFuture<'a, PrerenderResponse>;

            /// One route through `prerender_route` and its page, with a view's state.
            fn route<'a>(
                &'a self,
                entry: &'a RouteEntry,
                route_info: &'a Arc<RouteInfo>,
                request: &'a Request,
                session: &'a Session,
                state: ViewState,
            ) -> BoxFuture<'a, RoutePrerenderResponse>;

            $( erased!(@declare $marker, $method, $args, $response); )*
        }

        impl<M: PulseMiddleware> ErasedMiddleware for M {
            fn page<'a>(&'a self, job: PageJob<'a>) -> BoxFuture<'a, PrerenderResponse> {
                match job.entries {
                    [entry] => Box::pin(run_page(self, job, entry)),
                    _ => Box::pin(run_pages(self, job)),
                }
            }

            fn route<'a>(
                &'a self,
                entry: &'a RouteEntry,
                route_info: &'a Arc<RouteInfo>,
                request: &'a Request,
                session: &'a Session,
                state: ViewState,
            ) -> BoxFuture<'a, RoutePrerenderResponse> {
                Box::pin(render_route(self, entry, route_info, request, session, state))
            }

            $( erased!(@define $marker, $method, $args, $response); )*
        }
    };
    // `prerender` only runs inside a page job (`page` above).
    (@declare Prerender, $($rest:tt)*) => {};
    (@define Prerender, $($rest:tt)*) => {};
    // `api` continues into a future pinned by its caller (`App::api`): the endpoint's is not
    // boxed again.
    (@declare Api, $method:ident, $args:ident, $response:ident) => {
        fn $method<'a>(
            &'a self,
            args: $args<'a>,
            next: PinnedNext<'a, hook::Api>,
        ) -> BoxFuture<'a, $response>;

        /// Whether a middleware of this chain may act in the `api` hook; when none does, the
        /// server calls endpoints directly, without building the hook's view of the request.
        fn has_api_hook(&self) -> bool;
    };
    (@define Api, $method:ident, $args:ident, $response:ident) => {
        fn $method<'a>(
            &'a self,
            args: $args<'a>,
            next: PinnedNext<'a, hook::Api>,
        ) -> BoxFuture<'a, $response> {
            Box::pin(PulseMiddleware::$method(self, args, next))
        }

        fn has_api_hook(&self) -> bool {
            PulseMiddleware::__acts_in(self, <hook::Api as Hook>::__BIT)
        }
    };
    (@declare $marker:ident, $method:ident, $args:ident, $response:ident) => {
        fn $method<'a>(
            &'a self,
            args: $args<'a>,
            next: DynNext<'a, hook::$marker>,
        ) -> BoxFuture<'a, $response>;
    };
    (@define $marker:ident, $method:ident, $args:ident, $response:ident) => {
        fn $method<'a>(
            &'a self,
            args: $args<'a>,
            next: DynNext<'a, hook::$marker>,
        ) -> BoxFuture<'a, $response> {
            Box::pin(PulseMiddleware::$method(self, args, next))
        }
    };
}

for_each_hook!(erased);
