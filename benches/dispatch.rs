//! Hook dispatch through static chains of N pass-through middlewares, beside a hand-written
//! baseline of N nested async calls, for every hook, in one run: `cargo bench --bench dispatch`.
//!
//! Futures are polled once with a no-op waker (`now_or_never`): every future here is ready on
//! its first poll, so the figures are the cost of the chain itself, with no executor around it.
//! Each module `nNNN` holds the benches for N = NNN layers; per hook, compare `*_chain`
//! (hand-written middleware in `ps::stack![]`) and `*_macro` (`#[ps::middleware]` items in
//! `ps::stack![]`) with `*_base` in the same module. Module `decided` measures a chain whose
//! innermost middleware denies, with the "which middleware decided" event disabled and enabled.

// Only the baseline needs this: 100 nested async fns are 100 nested futures, past rustc's
// default layout depth. `ps::stack!` cuts its chains into runs joined by seams instead.
#![recursion_limit = "512"]

use std::future::Future;
use std::hint::black_box;
use std::marker::PhantomData;

use futures_util::FutureExt;
use ps::hook;
use pulse as ps;

fn main() {
    divan::main();
}

/// What every hook is given.
struct Fixture {
    request: ps::Request,
    session: ps::Session,
    payload: ps::PrerenderPayload,
    data: ps::ClientMessage,
    event_payload: serde_json::Value,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            request: ps::Request::get("/_pulse/ws"),
            session: ps::Session::new(),
            payload: ps::PrerenderPayload {
                paths: vec!["/".into()],
                route_info: Default::default(),
            },
            data: ps::ClientMessage::from_json(serde_json::json!({
                "type": "callback", "path": "/", "callback": "increment", "args": []
            }))
            .expect("valid message"),
            event_payload: serde_json::Value::Null,
        }
    }

    fn prerender(&self) -> ps::PrerenderArgs<'_> {
        ps::PrerenderArgs {
            payload: &self.payload,
            request: &self.request,
            session: &self.session,
        }
    }

    fn prerender_route(&self) -> ps::PrerenderRouteArgs<'_> {
        ps::PrerenderRouteArgs {
            path: "/",
            route_info: &self.payload.route_info,
            request: &self.request,
            session: &self.session,
        }
    }

    fn connect(&self) -> ps::ConnectArgs<'_> {
        ps::ConnectArgs {
            request: &self.request,
            session: &self.session,
        }
    }

    fn message(&self) -> ps::MessageArgs<'_> {
        ps::MessageArgs {
            data: &self.data,
            session: &self.session,
            request: &self.request,
        }
    }

    fn channel(&self) -> ps::ChannelArgs<'_> {
        ps::ChannelArgs {
            channel_id: "room",
            event: "say",
            payload: &self.event_payload,
            request_id: None,
            session: &self.session,
        }
    }
}

/// The framework's work at the end of every chain: allow, without allocating.
mod terminal {
    use super::*;

    #[inline(never)]
    pub(crate) async fn prerender(_: ps::PrerenderArgs<'_>) -> ps::PrerenderResponse {
        ps::PrerenderResponse::Ok(ps::Prerender::default())
    }
    #[inline(never)]
    pub(crate) async fn prerender_route(
        _: ps::PrerenderRouteArgs<'_>,
    ) -> ps::RoutePrerenderResponse {
        ps::RoutePrerenderResponse::Ok(ps::View::default())
    }
    #[inline(never)]
    pub(crate) async fn connect(_: ps::ConnectArgs<'_>) -> ps::ConnectResponse {
        ps::ConnectResponse::Ok
    }
    #[inline(never)]
    pub(crate) async fn message(_: ps::MessageArgs<'_>) -> ps::MessageResponse {
        ps::MessageResponse::Ok
    }
    #[inline(never)]
    pub(crate) async fn channel(_: ps::ChannelArgs<'_>) -> ps::ChannelResponse {
        ps::ChannelResponse::Ok
    }
}

/// The baseline: a hand-written chain of nested async calls. `Layer<T>` is one async fn per
/// hook awaiting the same hook of `T`; `End` calls the terminal. Like the middlewares below, a
/// layer does nothing else (the arguments are `black_box`ed once, at the entry, as for the
/// chains), so the compiler may see through both alike.
trait Base {
    fn prerender(a: ps::PrerenderArgs<'_>) -> impl Future<Output = ps::PrerenderResponse>;
    fn prerender_route(
        a: ps::PrerenderRouteArgs<'_>,
    ) -> impl Future<Output = ps::RoutePrerenderResponse>;
    fn connect(a: ps::ConnectArgs<'_>) -> impl Future<Output = ps::ConnectResponse>;
    fn message(a: ps::MessageArgs<'_>) -> impl Future<Output = ps::MessageResponse>;
    fn channel(a: ps::ChannelArgs<'_>) -> impl Future<Output = ps::ChannelResponse>;
}

struct End;
struct Layer<T>(PhantomData<T>);

impl Base for End {
    async fn prerender(a: ps::PrerenderArgs<'_>) -> ps::PrerenderResponse {
        terminal::prerender(a).await
    }
    async fn prerender_route(a: ps::PrerenderRouteArgs<'_>) -> ps::RoutePrerenderResponse {
        terminal::prerender_route(a).await
    }
    async fn connect(a: ps::ConnectArgs<'_>) -> ps::ConnectResponse {
        terminal::connect(a).await
    }
    async fn message(a: ps::MessageArgs<'_>) -> ps::MessageResponse {
        terminal::message(a).await
    }
    async fn channel(a: ps::ChannelArgs<'_>) -> ps::ChannelResponse {
        terminal::channel(a).await
    }
}

impl<T: Base> Base for Layer<T> {
    async fn prerender(a: ps::PrerenderArgs<'_>) -> ps::PrerenderResponse {
        T::prerender(a).await
    }
    async fn prerender_route(a: ps::PrerenderRouteArgs<'_>) -> ps::RoutePrerenderResponse {
        T::prerender_route(a).await
    }
    async fn connect(a: ps::ConnectArgs<'_>) -> ps::ConnectResponse {
        T::connect(a).await
    }
    async fn message(a: ps::MessageArgs<'_>) -> ps::MessageResponse {
        T::message(a).await
    }
    async fn channel(a: ps::ChannelArgs<'_>) -> ps::ChannelResponse {
        T::channel(a).await
    }
}

/// `Layer<Layer<…End>>`, one layer per token (`base!(@ Terminal; …)` for another end).
macro_rules! base {
    (@ $end:ty;) => { $end };
    (@ $end:ty; $head:tt $($rest:tt)*) => { Layer<base!(@ $end; $($rest)*)> };
    ($($i:tt)*) => { base!(@ End; $($i)*) };
}

/// A hand-written pass-through middleware for every hook; `I` tells them apart in a stack.
struct Pass<const I: usize>;

impl<const I: usize> ps::PulseMiddleware for Pass<I> {
    async fn prerender(
        &self,
        _: ps::PrerenderArgs<'_>,
        next: impl ps::Next<hook::Prerender>,
    ) -> ps::PrerenderResponse {
        next.run().await
    }
    async fn prerender_route(
        &self,
        _: ps::PrerenderRouteArgs<'_>,
        next: impl ps::Next<hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        next.run().await
    }
    async fn connect(
        &self,
        _: ps::ConnectArgs<'_>,
        next: impl ps::Next<hook::Connect>,
    ) -> ps::ConnectResponse {
        next.run().await
    }
    async fn message(
        &self,
        _: ps::MessageArgs<'_>,
        next: impl ps::Next<hook::Message>,
    ) -> ps::MessageResponse {
        next.run().await
    }
    async fn channel(
        &self,
        _: ps::ChannelArgs<'_>,
        next: impl ps::Next<hook::Channel>,
    ) -> ps::ChannelResponse {
        next.run().await
    }
}

/// The same middleware written with `#[ps::middleware]`.
struct Mw<const I: usize>;

#[ps::middleware]
impl<const I: usize> Mw<I> {
    async fn prerender(&self, next: ps::Next) -> ps::PrerenderResponse {
        next.run().await
    }
    async fn prerender_route(&self, next: ps::Next) -> ps::RoutePrerenderResponse {
        next.run().await
    }
    async fn connect(&self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
    async fn message(&self, next: ps::Next) -> ps::MessageResponse {
        next.run().await
    }
    async fn channel(&self, next: ps::Next) -> ps::ChannelResponse {
        next.run().await
    }
}

/// base, chain and macro benches of one hook.
macro_rules! hook_benches {
    ($hook:ident, $base:ident, $chain:ident, $macro:ident, [$($i:tt)*]) => {
        #[divan::bench]
        fn $base(b: divan::Bencher<'_, '_>) {
            let f = Fixture::new();
            let args = f.$hook();
            b.bench_local(|| <base!($($i)*) as Base>::$hook(black_box(args)).now_or_never());
        }

        #[divan::bench]
        fn $chain(b: divan::Bencher<'_, '_>) {
            let f = Fixture::new();
            let args = f.$hook();
            let chain = ps::stack![$(Pass::<$i>),*];
            b.bench_local(|| {
                ps::PulseMiddleware::$hook(
                    black_box(&chain),
                    black_box(args),
                    ps::next_fn(|| terminal::$hook(args)),
                )
                .now_or_never()
            });
        }

        #[divan::bench]
        fn $macro(b: divan::Bencher<'_, '_>) {
            let f = Fixture::new();
            let args = f.$hook();
            let chain = ps::stack![$(Mw::<$i>),*];
            b.bench_local(|| {
                ps::PulseMiddleware::$hook(
                    black_box(&chain),
                    black_box(args),
                    ps::next_fn(|| terminal::$hook(args)),
                )
                .now_or_never()
            });
        }
    };
}

macro_rules! layers {
    ($module:ident, [$($i:tt)*]) => {
        mod $module {
            use super::*;

            hook_benches!(prerender, prerender_base, prerender_chain, prerender_macro, [$($i)*]);
            hook_benches!(
                prerender_route,
                prerender_route_base,
                prerender_route_chain,
                prerender_route_macro,
                [$($i)*]
            );
            hook_benches!(connect, connect_base, connect_chain, connect_macro, [$($i)*]);
            hook_benches!(message, message_base, message_chain, message_macro, [$($i)*]);
            hook_benches!(channel, channel_base, channel_chain, channel_macro, [$($i)*]);
        }
    };
}

layers!(n000, []);
layers!(n001, [1]);
layers!(n003, [1 2 3]);
layers!(n010, [1 2 3 4 5 6 7 8 9 10]);
layers!(
    n100,
    [
        1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33
        34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63
        64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93
        94 95 96 97 98 99 100
    ]
);

/// The stop path, and the event naming the middleware that decided: N=10 pass-through layers,
/// then a layer that denies `connect`. `decided_*_off` runs with no subscriber (the event's
/// level is disabled); `decided_macro_on` with a subscriber that formats it (to a sink).
mod decided {
    use super::*;

    /// Denies `connect` at the end of the baseline.
    struct DenyEnd;

    impl Base for DenyEnd {
        async fn prerender(a: ps::PrerenderArgs<'_>) -> ps::PrerenderResponse {
            terminal::prerender(a).await
        }
        async fn prerender_route(a: ps::PrerenderRouteArgs<'_>) -> ps::RoutePrerenderResponse {
            terminal::prerender_route(a).await
        }
        #[inline(never)]
        async fn connect(a: ps::ConnectArgs<'_>) -> ps::ConnectResponse {
            black_box(a);
            ps::ConnectResponse::Deny
        }
        async fn message(a: ps::MessageArgs<'_>) -> ps::MessageResponse {
            terminal::message(a).await
        }
        async fn channel(a: ps::ChannelArgs<'_>) -> ps::ChannelResponse {
            terminal::channel(a).await
        }
    }

    #[ps::middleware(connect)]
    async fn deny(request: &ps::Request, _next: ps::Next) -> ps::ConnectResponse {
        black_box(request);
        ps::Deny
    }

    fn run(b: divan::Bencher<'_, '_>) {
        let f = Fixture::new();
        let args = f.connect();
        let chain = ps::stack![
            Mw::<1>, Mw::<2>, Mw::<3>, Mw::<4>, Mw::<5>, Mw::<6>, Mw::<7>, Mw::<8>, Mw::<9>,
            Mw::<10>, deny
        ];
        b.bench_local(|| {
            ps::PulseMiddleware::connect(
                black_box(&chain),
                black_box(args),
                ps::next_fn(|| terminal::connect(args)),
            )
            .now_or_never()
        });
    }

    #[divan::bench]
    fn decided_base_off(b: divan::Bencher<'_, '_>) {
        let f = Fixture::new();
        let args = f.connect();
        b.bench_local(|| {
            <base!(@ DenyEnd; 1 2 3 4 5 6 7 8 9 10) as Base>::connect(black_box(args))
                .now_or_never()
        });
    }

    #[divan::bench]
    fn decided_macro_off(b: divan::Bencher<'_, '_>) {
        run(b);
    }

    #[divan::bench]
    fn decided_macro_on(b: divan::Bencher<'_, '_>) {
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("pulse::chain=debug")
            .with_writer(std::io::sink)
            .finish();
        tracing::subscriber::with_default(subscriber, || run(b));
    }
}
