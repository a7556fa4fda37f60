//! Static composition: [`Chain`] runs its head, then its tail, for every hook.
//!
//! `ps::stack![a, b, c]` builds `Chain<A, Chain<B, InEnv<C>>>`: the first listed is outermost
//! (it sees the request first and the result last), like Pulse's `ps.stack(a, b, c)`.
//! Dispatch is monomorphized and allocation-free; a chain is itself a middleware, so chains nest.
//!
//! A chain adds no code of its own to a dispatch: its hook *is* its head's hook, called with a
//! [`Link`] to the tail as `next`. There is no per-layer branch: dev-only middleware is decided
//! by the middleware itself, which asks its `next` for the chain's environment
//! ([`Next::env`]).
//!
//! # Why chains of any length build
//!
//! When rustc generates code for a chain it walks the chain's future twice, and both walks
//! count against `#![recursion_limit]` (128):
//! - it reveals the future's opaque types. A head's future is an `async fn`'s (or a
//!   pass-through default's `async` block), whose hidden type does not contain the next
//!   layer's, so this depth does not grow with the chain (it grew by ~5 per layer while a
//!   dev-only branch and the pass-through defaults returned the next layer's future directly);
//! - it lays the future out, and each middleware's future holds the next one's, ~3 queries
//!   per layer. [`Seam`] stops that nesting; `ps::stack!` puts one every [`Seam::RUN`]
//!   middlewares.

use std::future::Future;
use std::pin::{Pin, pin};

use crate::__private::check::AppRoutes;
use crate::env::Env;
use crate::hook::{
    self, ApiArgs, ChannelArgs, ConnectArgs, Hook, MessageArgs, Next, PrerenderArgs,
    PrerenderRouteArgs,
};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};
use crate::tables::for_each_hook;

/// The continuation that calls the next middleware of a chain.
#[derive(Debug)]
pub struct Link<'m, 'a, H: Hook, M: ?Sized, N> {
    middleware: &'m M,
    args: H::Args<'a>,
    next: N,
    env: Env,
}

impl<'m, 'a, H: Hook, M: ?Sized, N> Link<'m, 'a, H, M, N> {
    /// Continue into `middleware` with `args`, then into `next`, in a chain built for `env`.
    #[inline]
    pub fn new(middleware: &'m M, args: H::Args<'a>, next: N, env: Env) -> Self {
        Link {
            middleware,
            args,
            next,
            env,
        }
    }
}

/// Each hook's link calls the middleware's hook method directly: its future is the
/// middleware's own future, with no wrapper around it.
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

            #[inline]
            fn env(&self) -> Env {
                self.env
            }
        }
    )*};
}

for_each_hook!(link_next);

/// Two middlewares in sequence: `head` runs first and continues into `tail`.
///
/// The chain's environment (from `PULSE_ENV`, or given to [`Chain::new_in`]) reaches the head
/// through its `next` ([`Next::env`]); a dev-only head passes straight through outside
/// [`Env::Dev`].
///
/// ```
/// use pulse_core as ps;
///
/// // One middleware, then `()`, the empty chain (`ps::stack![a, b]` builds
/// // `Chain::new(a, InEnv::new(b))`: see `InEnv`).
/// let chain = ps::Chain::new(ps::LatencyMiddleware::default(), ());
/// let routes = ps::Routes::new().route("/", |_: ps::PageContext| async { ps::html! { "home" } });
/// let app = ps::App::new(routes, chain);
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct Chain<A, B> {
    head: A,
    tail: B,
    env: Env,
}

impl<A: PulseMiddleware, B: PulseMiddleware> Chain<A, B> {
    /// `head` then `tail`, in the environment of `PULSE_ENV`.
    pub fn new(head: A, tail: B) -> Self {
        Chain::new_in(Env::current(), head, tail)
    }

    /// `head` then `tail`, in the environment `env`.
    pub fn new_in(env: Env, head: A, tail: B) -> Self {
        Chain { head, tail, env }
    }

    /// The environment the head runs in.
    pub fn env(&self) -> Env {
        self.env
    }
}

/// One hook of a chain: the head, with the tail as its `next`.
macro_rules! chain_hooks {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident { $($facts:tt)* }; )*) => {$(
        #[inline]
        fn $method(
            &self,
            args: $args<'_>,
            next: impl Next<hook::$marker>,
        ) -> impl Future<Output = $response> + Send {
            self.head.$method(
                args,
                Link::<hook::$marker, B, _>::new(&self.tail, args, next, self.env),
            )
        }
    )*};
}

/// The compile-time checks of `pulse_app!` reach every middleware of a nested chain.
macro_rules! forward_checks {
    ($chain:ident) => {
        #[inline]
        fn __check_redirects<R: AppRoutes>(self) -> Self {
            $chain {
                head: self.head.__check_redirects::<R>(),
                tail: self.tail.__check_redirects::<R>(),
                env: self.env,
            }
        }

        #[inline]
        fn __check_group<G>(self) -> Self {
            $chain {
                head: self.head.__check_group::<G>(),
                tail: self.tail.__check_group::<G>(),
                env: self.env,
            }
        }
    };
}

impl<A: PulseMiddleware, B: PulseMiddleware> PulseMiddleware for Chain<A, B> {
    const __HOOKS: u8 = A::__HOOKS | B::__HOOKS;

    fn __acts_in(&self, hooks: u8) -> bool {
        self.head.__acts_in(hooks) || self.tail.__acts_in(hooks)
    }

    for_each_hook!(chain_hooks);
    forward_checks!(Chain);
}

/// A middleware on its own in an environment: a [`Chain`] with an empty tail, without the
/// [`Link`] to that tail. Its hooks are the middleware's, given the `next` they are called with,
/// in its environment. A link would carry each hook's arguments once more, in the future of
/// every layer of the chain around it; this adds only the environment. `ps::stack!` ends each
/// run of middlewares with one, and the app-wide chain and each route group run in one.
///
/// ```
/// use pulse_core as ps;
///
/// // A lone middleware that runs as in development, whatever `PULSE_ENV` says.
/// let latency = ps::InEnv::new_in(ps::Env::Dev, ps::LatencyMiddleware::default());
/// let routes = ps::Routes::new().route("/", |_: ps::PageContext| async { ps::html! { "home" } });
/// let app = ps::App::new(routes, latency);
/// # let _ = app;
/// ```
#[derive(Clone, Debug)]
pub struct InEnv<M> {
    middleware: M,
    env: Env,
}

impl<M: PulseMiddleware> InEnv<M> {
    /// `middleware` in the environment of `PULSE_ENV`.
    pub fn new(middleware: M) -> Self {
        InEnv::new_in(Env::current(), middleware)
    }

    /// `middleware` in the environment `env`.
    pub fn new_in(env: Env, middleware: M) -> Self {
        InEnv { middleware, env }
    }
}

/// The `next` an [`InEnv`] middleware is given: the one it was called with, in its environment.
#[derive(Debug)]
pub(crate) struct WithEnv<N> {
    next: N,
    env: Env,
}

impl<H: Hook, N: Next<H>> Next<H> for WithEnv<N> {
    #[inline]
    fn run(self) -> impl Future<Output = H::Response> + Send {
        self.next.run()
    }

    #[inline]
    fn env(&self) -> Env {
        self.env
    }
}

/// One hook of a middleware in its environment.
macro_rules! in_env_hooks {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident { $($facts:tt)* }; )*) => {$(
        #[inline]
        fn $method(
            &self,
            args: $args<'_>,
            next: impl Next<hook::$marker>,
        ) -> impl Future<Output = $response> + Send {
            let next = WithEnv {
                next,
                env: self.env,
            };
            self.middleware.$method(args, next)
        }
    )*};
}

impl<M: PulseMiddleware> PulseMiddleware for InEnv<M> {
    const __HOOKS: u8 = M::__HOOKS;

    fn __acts_in(&self, hooks: u8) -> bool {
        self.middleware.__acts_in(hooks)
    }

    for_each_hook!(in_env_hooks);

    #[inline]
    fn __check_redirects<R: AppRoutes>(self) -> Self {
        InEnv {
            middleware: self.middleware.__check_redirects::<R>(),
            env: self.env,
        }
    }

    #[inline]
    fn __check_group<G>(self) -> Self {
        InEnv {
            middleware: self.middleware.__check_group::<G>(),
            env: self.env,
        }
    }
}

/// Two chains in sequence, like [`Chain`], with the tail's future kept *beside* the head's
/// instead of inside it: the head's `next` is the tail's future, pinned and seen through
/// `dyn Future` ([`Rest`]).
///
/// A chain's future holds each middleware's future inside the previous one's, and rustc's
/// layout of such a future recurses once per layer; past about 30 layers it exceeds the
/// query depth limit ("queries overflow the depth limit", E0275). A seam stops that nesting
/// at the cost of one dynamic call per dispatch, with no allocation. `ps::stack!` and
/// `pulse_app!` cut lists longer than [`Seam::RUN`] into runs of plain [`Chain`]s joined by a
/// balanced tree of seams, so a chain of any length builds and short chains pay nothing.
///
/// The tail's hook is called (its future created, not run) before the head runs; as with every
/// middleware, a hook's work belongs in its future.
#[derive(Clone, Debug)]
pub struct Seam<A, B> {
    head: A,
    tail: B,
    env: Env,
}

impl<A: PulseMiddleware, B: PulseMiddleware> Seam<A, B> {
    /// How many middlewares `ps::stack!` puts in one run of plain [`Chain`]s.
    pub const RUN: usize = 12;

    /// `head` then `tail`, in the environment of `PULSE_ENV`.
    pub fn new(head: A, tail: B) -> Self {
        Seam::new_in(Env::current(), head, tail)
    }

    /// `head` then `tail`, in the environment `env`.
    pub fn new_in(env: Env, head: A, tail: B) -> Self {
        Seam { head, tail, env }
    }
}

/// The `next` a [`Seam`]'s head is given: the tail's future, pinned beside the head's.
pub struct Rest<'p, R> {
    future: Pin<&'p mut (dyn Future<Output = R> + Send + 'p)>,
    env: Env,
}

impl<R> std::fmt::Debug for Rest<'_, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Rest")
            .field("env", &self.env)
            .finish_non_exhaustive()
    }
}

impl<H: Hook> Next<H> for Rest<'_, H::Response> {
    #[inline]
    fn run(self) -> impl Future<Output = H::Response> + Send {
        self.future
    }

    #[inline]
    fn env(&self) -> Env {
        self.env
    }
}

/// One hook of a seam: the tail's future, pinned in this future, is the head's `next`.
macro_rules! seam_hooks {
    ($( $marker:ident = $name:literal, $method:ident($args:ident) -> $response:ident { $($facts:tt)* }; )*) => {$(
        #[inline]
        fn $method(
            &self,
            args: $args<'_>,
            next: impl Next<hook::$marker>,
        ) -> impl Future<Output = $response> + Send {
            async move {
                let tail = pin!(self.tail.$method(args, next));
                let rest = Rest {
                    future: tail,
                    env: self.env,
                };
                self.head.$method(args, rest).await
            }
        }
    )*};
}

impl<A: PulseMiddleware, B: PulseMiddleware> PulseMiddleware for Seam<A, B> {
    const __HOOKS: u8 = A::__HOOKS | B::__HOOKS;

    fn __acts_in(&self, hooks: u8) -> bool {
        self.head.__acts_in(hooks) || self.tail.__acts_in(hooks)
    }

    for_each_hook!(seam_hooks);
    forward_checks!(Seam);
}
