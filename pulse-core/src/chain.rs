//! Static composition: [`Chain`] runs its head, then its tail, for every hook.
//!
//! `ps::stack![a, b, c]` builds `Chain<A, Chain<B, Chain<C, ()>>>`: the first listed is
//! outermost (it sees the request first and the result last), like Pulse's `ps.stack(a, b, c)`.
//! Dispatch is monomorphized and allocation-free; a chain is itself a middleware, so chains nest.

use std::future::Future;

use futures_util::future::Either;

use crate::env::Env;
use crate::hook::{
    self, ApiArgs, ChannelArgs, ConnectArgs, Link, MessageArgs, Next, PrerenderArgs,
    PrerenderRouteArgs,
};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
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
}

/// One hook of a chain: the head runs with the tail as its `next`, unless it is a dev-only
/// head outside dev. Written out per hook (no shared generic helper) so each link adds as few
/// nested future types as possible: rustc unfolds them all to lay out a chain's future.
macro_rules! chain_hook {
    ($method:ident, $marker:ident, $args:ident, $response:ty) => {
        #[inline]
        fn $method(
            &self,
            args: $args<'_>,
            next: impl Next<hook::$marker>,
        ) -> impl Future<Output = $response> + Send {
            let rest = Link::<hook::$marker, B, _>::new(&self.tail, args, next);
            // `dev_only()` of an ordinary middleware inlines to `false`, so this branch folds
            // away; only dev-only heads pay for the test.
            if !self.head.dev_only() || self.head_active {
                Either::Left(self.head.$method(args, rest))
            } else {
                Either::Right(rest.run())
            }
        }
    };
}

impl<A: PulseMiddleware, B: PulseMiddleware> PulseMiddleware for Chain<A, B> {
    chain_hook!(prerender, Prerender, PrerenderArgs, PrerenderResponse);
    chain_hook!(
        prerender_route,
        PrerenderRoute,
        PrerenderRouteArgs,
        RoutePrerenderResponse
    );
    chain_hook!(connect, Connect, ConnectArgs, ConnectResponse);
    chain_hook!(message, Message, MessageArgs, MessageResponse);
    chain_hook!(channel, Channel, ChannelArgs, ChannelResponse);
    chain_hook!(api, Api, ApiArgs, ApiResponse);
}
