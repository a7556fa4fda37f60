//! The [`PulseMiddleware`] trait: six hooks, each passing through unless overridden.

use std::future::Future;

use crate::__private::check::AppRoutes;
use crate::hook::{
    self, ApiArgs, ChannelArgs, ConnectArgs, MessageArgs, Next, PrerenderArgs, PrerenderRouteArgs,
};
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};
use crate::tables::not_a_middleware;

not_a_middleware! {
/// Code that runs at Pulse's six hook points and may continue (`next.run().await`) or stop
/// with a result that fits the hook.
///
/// A hook left out passes through, in an `async` block of its own: an `async` boundary per
/// layer keeps the types of long chains within rustc's limits (see [`Chain`](crate::Chain)).
///
/// A dev-only middleware (`#[ps::middleware(hook, dev)]`) passes straight through unless its
/// chain runs in [`Env::Dev`](crate::Env::Dev); written by hand, it asks `next.env()` (see
/// [`Next::env`]).
///
/// Usually written with [`#[ps::middleware]`](../pulse/attr.middleware.html); the attribute
/// generates an impl of this trait. Writing it by hand works the same way: implement any subset
/// of the hooks, the others pass through.
///
/// ```
/// use pulse_core as ps;
///
/// struct RejectAnonymous;
///
/// impl ps::PulseMiddleware for RejectAnonymous {
///     async fn connect(
///         &self,
///         args: ps::ConnectArgs<'_>,
///         next: impl ps::Next<ps::hook::Connect>,
///     ) -> ps::ConnectResponse {
///         if !args.session.contains("user_email") {
///             return ps::ConnectResponse::Deny;
///         }
///         next.run().await
///     }
/// }
/// ```
// The hook methods are written out (not generated from the hook table): users read them in
// compile errors and in rustdoc. `tables::for_each_hook!` lists the same hooks.
pub trait PulseMiddleware: Send + Sync + 'static {
    /// Once per page request, around the rendering of all matched routes.
    fn prerender(
        &self,
        args: PrerenderArgs<'_>,
        next: impl Next<hook::Prerender>,
    ) -> impl Future<Output = PrerenderResponse> + Send {
        let _ = args;
        async move { next.run().await }
    }

    /// Once per matched route, inside `prerender`.
    fn prerender_route(
        &self,
        args: PrerenderRouteArgs<'_>,
        next: impl Next<hook::PrerenderRoute>,
    ) -> impl Future<Output = RoutePrerenderResponse> + Send {
        let _ = args;
        async move { next.run().await }
    }

    /// When a WebSocket opens, before it is accepted.
    fn connect(
        &self,
        args: ConnectArgs<'_>,
        next: impl Next<hook::Connect>,
    ) -> impl Future<Output = ConnectResponse> + Send {
        let _ = args;
        async move { next.run().await }
    }

    /// For each client message.
    fn message(
        &self,
        args: MessageArgs<'_>,
        next: impl Next<hook::Message>,
    ) -> impl Future<Output = MessageResponse> + Send {
        let _ = args;
        async move { next.run().await }
    }

    /// For each pub/sub channel message.
    fn channel(
        &self,
        args: ChannelArgs<'_>,
        next: impl Next<hook::Channel>,
    ) -> impl Future<Output = ChannelResponse> + Send {
        let _ = args;
        async move { next.run().await }
    }

    /// For each request to an endpoint given to [`Server::routes`](crate::Server::routes).
    fn api(
        &self,
        args: ApiArgs<'_>,
        next: impl Next<hook::Api>,
    ) -> impl Future<Output = ApiResponse> + Send {
        let _ = args;
        next.run()
    }

    /// Not public API: `pulse_app!` calls it on each middleware it lists (which it passes
    /// through), and `#[ps::middleware]` overrides it with a compile-time check of each
    /// `Redirect::to("…")` literal against the app's routes `R` (see `__private::check`).
    #[doc(hidden)]
    #[inline]
    fn __check_redirects<R: AppRoutes>(self) -> Self
    where
        Self: Sized,
    {
        self
    }

    /// Not public API: the hooks this middleware may act in, one bit per hook
    /// ([`Hook::__BIT`](crate::hook::Hook)). `#[ps::middleware]` records the hooks it defines;
    /// a hand-written impl may override any hook, so its record has them all; a chain's is the
    /// union of its parts'. The server skips work for a hook no middleware acts in: an endpoint
    /// request runs the `api` hook (and builds its view of the request) only when one does.
    #[doc(hidden)]
    const __HOOKS: u8 = crate::hook::__ALL_HOOKS;

    /// Not public API: whether this middleware, as configured, may act in one of `hooks` (bits
    /// of [`Hook::__BIT`](crate::hook::Hook)); asked when the server is built. [`Self::__HOOKS`]
    /// answers for the type; a built-in middleware whose hooks depend on its configuration
    /// narrows it ([`RateLimit`](crate::RateLimit) acts only in the hooks it has quotas for); a
    /// chain asks its parts.
    #[doc(hidden)]
    fn __acts_in(&self, hooks: u8) -> bool {
        Self::__HOOKS & hooks != 0
    }

    /// Not public API: `pulse_app!` and `routes!` call it on each middleware of a group (which
    /// it passes through), and `#[ps::middleware]` overrides it with a compile-time error for
    /// each hook that does not run for a group (`G` only delays the check until it is called).
    #[doc(hidden)]
    #[inline]
    fn __check_group<G>(self) -> Self
    where
        Self: Sized,
    {
        self
    }
}
}

/// The empty chain, and the end of every chain: every hook passes through, with no future of
/// its own.
impl PulseMiddleware for () {
    const __HOOKS: u8 = 0;

    #[inline]
    fn prerender(
        &self,
        _: PrerenderArgs<'_>,
        next: impl Next<hook::Prerender>,
    ) -> impl Future<Output = PrerenderResponse> + Send {
        next.run()
    }

    #[inline]
    fn prerender_route(
        &self,
        _: PrerenderRouteArgs<'_>,
        next: impl Next<hook::PrerenderRoute>,
    ) -> impl Future<Output = RoutePrerenderResponse> + Send {
        next.run()
    }

    #[inline]
    fn connect(
        &self,
        _: ConnectArgs<'_>,
        next: impl Next<hook::Connect>,
    ) -> impl Future<Output = ConnectResponse> + Send {
        next.run()
    }

    #[inline]
    fn message(
        &self,
        _: MessageArgs<'_>,
        next: impl Next<hook::Message>,
    ) -> impl Future<Output = MessageResponse> + Send {
        next.run()
    }

    #[inline]
    fn channel(
        &self,
        _: ChannelArgs<'_>,
        next: impl Next<hook::Channel>,
    ) -> impl Future<Output = ChannelResponse> + Send {
        next.run()
    }
}
