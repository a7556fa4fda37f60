//! The six hook points, what each one is given, and [`Next`], the continuation.
//!
//! Each hook has a marker type ([`Prerender`], [`PrerenderRoute`], [`Connect`], [`Message`],
//! [`Channel`], [`Api`]) implementing [`Hook`]: its arguments, its response type and how to call
//! it on a middleware. Chains are generic over the hook, so one piece of code composes all six.

use std::future::Future;

use serde_json::Value;

use crate::env::Env;
use crate::message::ClientMessage;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};
use crate::prerender::PrerenderPayload;
use crate::request::Request;
use crate::route_info::RouteInfo;
use crate::session::Session;
use crate::tables::for_each_hook;

/// A hook point: its name, its arguments and its response.
///
/// Implemented by the six marker types of this module; sealed.
pub trait Hook: Sized + Send + Sync + 'static + sealed::Sealed {
    /// The hook's name as users write it (`"prerender_route"`).
    const NAME: &'static str;
    /// What the hook is given, a `Copy` bundle of references.
    type Args<'a>: Copy + Send + Sync;
    /// What the hook returns.
    type Response: Send + 'static;
    /// Not public API: the hook's bit in a middleware's record of its hooks
    /// ([`PulseMiddleware::__HOOKS`](crate::PulseMiddleware)), one bit per hook in table order.
    #[doc(hidden)]
    const __BIT: u8;
}

/// Not public API: every hook's bit set (the record of a middleware that may act in any hook).
#[doc(hidden)]
pub const __ALL_HOOKS: u8 = (1 << Position::COUNT) - 1;

mod sealed {
    pub trait Sealed {}
}

/// The continuation handed to a hook: `next.run().await` runs the rest of the chain and the
/// framework's own work, and returns their full outcome. Not calling it stops the chain.
///
/// Because `run` returns the downstream outcome unchanged, an inner `Deny` reaches the outer
/// middleware as `Deny`; nothing converts it into an allow.
pub trait Next<H: Hook>: Send + Sized {
    /// Runs the rest of the chain.
    fn run(self) -> impl Future<Output = H::Response> + Send;

    /// The environment of the chain this continuation belongs to, fixed when the chain was
    /// built ([`Chain::new_in`](crate::Chain::new_in)). A dev-only middleware passes straight
    /// through when it is not [`Env::Dev`]; `#[ps::middleware(hook, dev)]` generates that
    /// test. Outside a chain (a middleware called directly) it is [`Env::current`].
    ///
    /// ```
    /// # use pulse_core as ps;
    /// struct DevBanner;
    ///
    /// impl ps::PulseMiddleware for DevBanner {
    ///     async fn connect(
    ///         &self,
    ///         args: ps::ConnectArgs<'_>,
    ///         next: impl ps::Next<ps::hook::Connect>,
    ///     ) -> ps::ConnectResponse {
    ///         if !next.env().is_dev() {
    ///             return next.run().await;
    ///         }
    ///         let _ = args.session.insert("banner", "dev build");
    ///         next.run().await
    ///     }
    /// }
    /// ```
    fn env(&self) -> Env {
        Env::current()
    }
}

/// The end of a chain: the framework's own work, as a closure returning a future.
///
/// ```
/// # use pulse_core as ps;
/// # async fn demo(chain: &impl ps::PulseMiddleware, request: &ps::Request, session: &ps::Session) {
/// let args = ps::ConnectArgs { request, session };
/// let verdict = chain
///     .connect(args, ps::next_fn(|| async { ps::ConnectResponse::Ok }))
///     .await;
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct NextFn<F>(F);

/// Makes the end of a chain from a closure.
#[inline]
pub fn next_fn<F>(f: F) -> NextFn<F> {
    NextFn(f)
}

impl<H, F, Fut> Next<H> for NextFn<F>
where
    H: Hook,
    F: FnOnce() -> Fut + Send,
    Fut: Future<Output = H::Response> + Send,
{
    #[inline]
    fn run(self) -> impl Future<Output = H::Response> + Send {
        (self.0)()
    }
}

/// What the `prerender` hook is given: once per page request.
#[derive(Clone, Copy, Debug)]
pub struct PrerenderArgs<'a> {
    /// The route patterns being rendered and the URL.
    pub payload: &'a PrerenderPayload,
    /// The HTTP request.
    pub request: &'a Request,
    /// The browser's session.
    pub session: &'a Session,
}

/// What the `prerender_route` hook is given: once per matched route.
#[derive(Clone, Copy, Debug)]
pub struct PrerenderRouteArgs<'a> {
    /// The route's pattern as declared (`/users/:id`).
    pub path: &'a str,
    /// The concrete URL: pathname, params, query.
    pub route_info: &'a RouteInfo,
    /// The HTTP request.
    pub request: &'a Request,
    /// The browser's session.
    pub session: &'a Session,
}

/// What the `connect` hook is given: when a WebSocket opens, before it is accepted.
#[derive(Clone, Copy, Debug)]
pub struct ConnectArgs<'a> {
    /// The upgrade request.
    pub request: &'a Request,
    /// The browser's session.
    pub session: &'a Session,
}

/// What the `message` hook is given: for each client message.
#[derive(Clone, Copy, Debug)]
pub struct MessageArgs<'a> {
    /// The message.
    pub data: &'a ClientMessage,
    /// The browser's session.
    pub session: &'a Session,
    /// The WebSocket's upgrade request.
    pub request: &'a Request,
}

/// What the `api` hook is given: for each request to an endpoint given to
/// [`Server::routes`](crate::Server::routes).
#[derive(Clone, Copy, Debug)]
pub struct ApiArgs<'a> {
    /// The HTTP request (its body goes to the endpoint).
    pub request: &'a Request,
    /// The browser's session.
    pub session: &'a Session,
}

/// What the `channel` hook is given: for each pub/sub channel message.
#[derive(Clone, Copy, Debug)]
pub struct ChannelArgs<'a> {
    /// The channel's name.
    pub channel_id: &'a str,
    /// The event name.
    pub event: &'a str,
    /// The message's payload.
    pub payload: &'a Value,
    /// Set when the client waits for exactly one reply.
    pub request_id: Option<&'a str>,
    /// The browser's session.
    pub session: &'a Session,
}

/// The marker types, from the hook table.
macro_rules! markers {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident {
        when: $when:literal, $($facts:tt)*
    }; )*) => {
        $(
            #[doc = concat!("The `", $name, "` hook: ", $when, ".")]
            #[derive(Clone, Copy, Debug, Default)]
            pub struct $marker;

            impl sealed::Sealed for $marker {}

            impl Hook for $marker {
                const NAME: &'static str = $name;
                type Args<'a> = $args<'a>;
                type Response = $response;
                const __BIT: u8 = 1 << Position::$marker as u8;
            }
        )*

        /// Each hook's position in the table: its bit in a record of hooks.
        #[derive(Clone, Copy)]
        enum Position {
            $($marker,)*
        }

        impl Position {
            const COUNT: usize = [$(Position::$marker),*].len();
        }
    };
}

for_each_hook!(markers);
