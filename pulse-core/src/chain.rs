//! Static composition: [`Chain`] runs its head, then its tail, for every hook.
//!
//! `ps::stack![a, b, c]` builds `Chain<A, Chain<B, Chain<C, ()>>>`: the first listed is
//! outermost (it sees the request first and the result last), like Pulse's `ps.stack(a, b, c)`.
//! Dispatch is monomorphized and allocation-free; a chain is itself a middleware, so chains nest.

use std::future::Future;

use futures_util::future::Either;

use crate::env::Env;
use crate::hook::{
    self, ChannelArgs, ConnectArgs, Hook, Link, MessageArgs, Next, PrerenderArgs,
    PrerenderRouteArgs,
};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse, RoutePrerenderResponse,
};

/// Two middlewares in sequence: `head` runs first and continues into `tail`.
///
/// A dev-only head is skipped (the chain continues straight into `tail`) unless the
/// environment given at construction is [`Env::Dev`].
#[derive(Clone, Debug)]
pub struct Chain<A, B> {
    head: A,
    tail: B,
    head_active: bool,
}

impl<A: PulseMiddleware, B: PulseMiddleware> Chain<A, B> {
    /// `head` then `tail`, filtering dev-only middleware for the current `PULSE_ENV`.
    pub fn new(head: A, tail: B) -> Self {
        Chain::new_in(Env::current(), head, tail)
    }

    /// `head` then `tail`, filtering dev-only middleware for `env`.
    pub fn new_in(env: Env, head: A, tail: B) -> Self {
        let head_active = env.is_dev() || !head.dev_only();
        Chain {
            head,
            tail,
            head_active,
        }
    }

    /// Whether the head runs (false for a dev-only head outside `dev`).
    pub fn head_active(&self) -> bool {
        self.head_active
    }

    #[inline]
    fn dispatch<H: Hook>(
        &self,
        args: H::Args<'_>,
        next: impl Next<H>,
    ) -> impl Future<Output = H::Response> + Send {
        let rest = Link::<H, B, _>::new(&self.tail, args, next);
        // `dev_only()` of an ordinary middleware inlines to `false`, so this branch folds away
        // and the chain compiles to straight nested calls; only dev-only heads pay for the test.
        if !self.head.dev_only() || self.head_active {
            Either::Left(H::call(&self.head, args, rest))
        } else {
            Either::Right(rest.run())
        }
    }
}

impl<A: PulseMiddleware, B: PulseMiddleware> PulseMiddleware for Chain<A, B> {
    #[inline]
    fn prerender(
        &self,
        args: PrerenderArgs<'_>,
        next: impl Next<hook::Prerender>,
    ) -> impl Future<Output = PrerenderResponse> + Send {
        self.dispatch::<hook::Prerender>(args, next)
    }

    #[inline]
    fn prerender_route(
        &self,
        args: PrerenderRouteArgs<'_>,
        next: impl Next<hook::PrerenderRoute>,
    ) -> impl Future<Output = RoutePrerenderResponse> + Send {
        self.dispatch::<hook::PrerenderRoute>(args, next)
    }

    #[inline]
    fn connect(
        &self,
        args: ConnectArgs<'_>,
        next: impl Next<hook::Connect>,
    ) -> impl Future<Output = ConnectResponse> + Send {
        self.dispatch::<hook::Connect>(args, next)
    }

    #[inline]
    fn message(
        &self,
        args: MessageArgs<'_>,
        next: impl Next<hook::Message>,
    ) -> impl Future<Output = MessageResponse> + Send {
        self.dispatch::<hook::Message>(args, next)
    }

    #[inline]
    fn channel(
        &self,
        args: ChannelArgs<'_>,
        next: impl Next<hook::Channel>,
    ) -> impl Future<Output = ChannelResponse> + Send {
        self.dispatch::<hook::Channel>(args, next)
    }
}
