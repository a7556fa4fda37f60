//! Static composition: [`Chain`] runs its head, then its tail, for every hook.
//!
//! `ps::stack![a, b, c]` builds `Chain<A, Chain<B, Chain<C, ()>>>`: the first listed is
//! outermost (it sees the request first and the result last), like Pulse's `ps.stack(a, b, c)`.
//! Dispatch is monomorphized and allocation-free; a chain is itself a middleware, so chains nest.

use std::future::Future;

use futures_util::future::Either;

use crate::env::Env;
use crate::hook::{
    self, ChannelArgs, ConnectArgs, Hook, MessageArgs, Next, PrerenderArgs, PrerenderRouteArgs,
};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse, RoutePrerenderResponse,
};
use crate::tables::for_each_hook;

/// The continuation that calls the next middleware of a chain.
#[derive(Debug)]
pub struct Link<'m, 'a, H: Hook, M: ?Sized, N> {
    middleware: &'m M,
    args: H::Args<'a>,
    next: N,
}

impl<'m, 'a, H: Hook, M: ?Sized, N> Link<'m, 'a, H, M, N> {
    /// Continue into `middleware` with `args`, then into `next`.
    #[inline]
    pub fn new(middleware: &'m M, args: H::Args<'a>, next: N) -> Self {
        Link {
            middleware,
            args,
            next,
        }
    }
}

/// Each hook's link calls the middleware's hook method directly, so a chain nests one future
/// type fewer per middleware.
macro_rules! link_next {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident { $($facts:tt)* }; )*) => {$(
        impl<M, N> Next<hook::$marker> for Link<'_, '_, hook::$marker, M, N>
        where
            M: PulseMiddleware + ?Sized,
            N: Next<hook::$marker>,
        {
            #[inline]
            fn run(self) -> impl Future<Output = <hook::$marker as Hook>::Response> + Send {
                self.middleware.$method(self.args, self.next)
            }
        }
    )*};
}

for_each_hook!(link_next);

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
}

/// One hook of a chain: the head runs with the tail as its `next`, unless it is a dev-only
/// head outside dev. Written out per hook (no shared generic helper) so each link adds as few
/// nested future types as possible: rustc unfolds them all to lay out a chain's future.
macro_rules! chain_hooks {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident { $($facts:tt)* }; )*) => {$(
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
    )*};
}

impl<A: PulseMiddleware, B: PulseMiddleware> PulseMiddleware for Chain<A, B> {
    for_each_hook!(chain_hooks);
}
