//! A hook dispatch through a static chain makes no heap allocation, for all five hooks, through
//! short chains and through 100 middlewares joined by seams.
//!
//! One test in its own binary, without libtest's harness (`harness = false`): the counting
//! allocator sees every thread of the process, so no other thread may run beside it — not even
//! libtest's, which allocates when it reports a test running for over 60 seconds.

use futures_util::FutureExt;
use ps::hook;
use pulse as ps;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};
use std::alloc::System;

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Passes through every hook, reading its arguments so they are really used.
struct Pass;

impl ps::PulseMiddleware for Pass {
    async fn prerender(
        &self,
        args: ps::PrerenderArgs<'_>,
        next: impl ps::Next<hook::Prerender>,
    ) -> ps::PrerenderResponse {
        std::hint::black_box(args.payload.paths.len());
        next.run().await
    }
    async fn prerender_route(
        &self,
        args: ps::PrerenderRouteArgs<'_>,
        next: impl ps::Next<hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        std::hint::black_box(args.path);
        next.run().await
    }
    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<hook::Connect>,
    ) -> ps::ConnectResponse {
        if args.request.path().is_empty() {
            return ps::ConnectResponse::Deny;
        }
        next.run().await
    }
    async fn message(
        &self,
        args: ps::MessageArgs<'_>,
        next: impl ps::Next<hook::Message>,
    ) -> ps::MessageResponse {
        std::hint::black_box(args.data.kind());
        next.run().await
    }
    async fn channel(
        &self,
        args: ps::ChannelArgs<'_>,
        next: impl ps::Next<hook::Channel>,
    ) -> ps::ChannelResponse {
        if args.channel_id.starts_with("admin:") {
            return ps::ChannelResponse::Deny;
        }
        next.run().await
    }
}

/// Macro-generated middleware for every hook: a `#[ps::middleware]` impl block per index
/// (prerender, connect, channel) and fns (prerender_route, message).
macro_rules! macro_middleware {
    ($($ty:ident $route:ident $message:ident),*) => {$(
        struct $ty;

        #[ps::middleware]
        impl $ty {
            async fn prerender(&self, payload: &ps::PrerenderPayload, next: ps::Next) -> ps::PrerenderResponse {
                std::hint::black_box(payload.paths.len());
                next.run().await
            }
            async fn connect(&self, request: &ps::Request, next: ps::Next) -> ps::ConnectResponse {
                if request.path().is_empty() {
                    return ps::Deny;
                }
                next.run().await
            }
            async fn channel(&self, channel_id: &str, next: ps::Next) -> ps::ChannelResponse {
                if channel_id.starts_with("admin:") {
                    return ps::Deny;
                }
                next.run().await
            }
        }

        #[ps::middleware(prerender_route)]
        async fn $route(path: &str, session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
            if path == "/secret" && !session.contains("user_email") {
                return ps::Redirect::to("/login");
            }
            next.run().await
        }

        #[ps::middleware(message)]
        async fn $message(data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse {
            std::hint::black_box(data.kind());
            next.run().await
        }
    )*};
}

macro_middleware!(A1 r1 m1, A2 r2 m2, A3 r3 m3, A4 r4 m4, A5 r5 m5, A6 r6 m6);

/// Macro middleware for every hook, told apart by `I`: long stacks list `Every::<0>`, …
struct Every<const I: usize>;

#[ps::middleware]
impl<const I: usize> Every<I> {
    async fn prerender(
        &self,
        payload: &ps::PrerenderPayload,
        next: ps::Next,
    ) -> ps::PrerenderResponse {
        std::hint::black_box(payload.paths.len());
        next.run().await
    }
    async fn prerender_route(&self, path: &str, next: ps::Next) -> ps::RoutePrerenderResponse {
        std::hint::black_box(path);
        next.run().await
    }
    async fn connect(&self, request: &ps::Request, next: ps::Next) -> ps::ConnectResponse {
        if request.path().is_empty() {
            return ps::Deny;
        }
        next.run().await
    }
    async fn message(&self, data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse {
        std::hint::black_box(data.kind());
        next.run().await
    }
    async fn channel(&self, channel_id: &str, next: ps::Next) -> ps::ChannelResponse {
        if channel_id.starts_with("admin:") {
            return ps::Deny;
        }
        next.run().await
    }
}

/// Denies every connect: the stop path, with its "which middleware decided" event.
#[ps::middleware(connect)]
async fn deny_all(_next: ps::Next) -> ps::ConnectResponse {
    ps::Deny
}

/// `ps::stack![Every::<0>, …]`, one entry per index.
macro_rules! every {
    ($($i:literal)*) => { ps::stack![$(Every::<$i>),*] };
}

macro_rules! chain {
    () => { () };
    ($head:tt $($rest:tt)*) => { ps::Chain::new_in(ps::Env::Prod, Pass, chain!($($rest)*)) };
}

/// Dispatches every hook once through `chain` and returns the allocations it made.
fn allocations_per_dispatch(chain: &impl ps::PulseMiddleware) -> usize {
    let request = ps::Request::get("/dashboard");
    let session = ps::Session::new();
    let payload = ps::PrerenderPayload {
        paths: vec!["/dashboard".into()],
        route_info: Default::default(),
    };
    let data = ps::ClientMessage::from_json(serde_json::json!({"type": "detach", "path": "/"}))
        .expect("valid message");
    let event_payload = serde_json::Value::Null;

    let region = Region::new(GLOBAL);
    let prerender = chain
        .prerender(
            ps::PrerenderArgs {
                payload: &payload,
                request: &request,
                session: &session,
            },
            ps::next_fn(|| async { ps::PrerenderResponse::NotFound }),
        )
        .now_or_never();
    let route = chain
        .prerender_route(
            ps::PrerenderRouteArgs {
                path: "/dashboard",
                route_info: &payload.route_info,
                request: &request,
                session: &session,
            },
            ps::next_fn(|| async { ps::RoutePrerenderResponse::NotFound }),
        )
        .now_or_never();
    let connect = chain
        .connect(
            ps::ConnectArgs {
                request: &request,
                session: &session,
            },
            ps::next_fn(|| async { ps::ConnectResponse::Ok }),
        )
        .now_or_never();
    let message = chain
        .message(
            ps::MessageArgs {
                data: &data,
                session: &session,
                request: &request,
            },
            ps::next_fn(|| async { ps::MessageResponse::Ok }),
        )
        .now_or_never();
    let channel = chain
        .channel(
            ps::ChannelArgs {
                channel_id: "room",
                event: "say",
                payload: &event_payload,
                request_id: Some("1"),
                session: &session,
            },
            ps::next_fn(|| async { ps::ChannelResponse::Ok }),
        )
        .now_or_never();
    let stats = region.change();

    // The dispatches really ran to the end of the chain.
    assert_eq!(prerender, Some(ps::PrerenderResponse::NotFound));
    assert_eq!(route, Some(ps::RoutePrerenderResponse::NotFound));
    assert_eq!(connect, Some(ps::ConnectResponse::Ok));
    assert_eq!(message, Some(ps::MessageResponse::Ok));
    assert_eq!(channel, Some(ps::ChannelResponse::Ok));
    stats.allocations + stats.reallocations
}

fn main() {
    static_chains_dispatch_every_hook_without_allocating();
    println!("alloc: static chains dispatch every hook without allocating ... ok");
}

fn static_chains_dispatch_every_hook_without_allocating() {
    // The counter works: something that allocates is seen.
    let region = Region::new(GLOBAL);
    let boxed = std::hint::black_box(Box::new(7u64));
    assert!(region.change().allocations >= 1);
    drop(boxed);

    assert_eq!(allocations_per_dispatch(&chain!()), 0, "empty chain");
    assert_eq!(allocations_per_dispatch(&chain!(a)), 0, "1 middleware");
    assert_eq!(allocations_per_dispatch(&chain!(a b c)), 0, "3 middlewares");
    assert_eq!(
        allocations_per_dispatch(&chain!(a b c d e f g h i j)),
        0,
        "10 middlewares"
    );
    // Chains of macro-generated middleware: fns and impl blocks, every hook.
    assert_eq!(
        allocations_per_dispatch(&ps::stack![A1, r1, m1]),
        0,
        "3 macro middlewares"
    );
    let many = ps::stack![
        A1,
        ps::stack![r1, m1, A2, r2, m2],
        A3,
        r3,
        m3,
        ps::stack![A4, r4, m4, A5, r5, m5],
        A6,
        r6,
        m6
    ];
    assert_eq!(
        allocations_per_dispatch(&many),
        0,
        "18 macro middlewares, nested stacks"
    );
    // 100 macro middlewares: runs of `Chain`s joined by seams.
    let long = every!(0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31 32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60 61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89 90 91 92 93 94 95 96 97 98 99);
    assert_eq!(allocations_per_dispatch(&long), 0, "100 macro middlewares");
    // The stop path through them: the deciding middleware's event (no subscriber) allocates
    // nothing either.
    use ps::PulseMiddleware as _;
    let stopped = ps::stack![long, deny_all];
    let (request, session) = (ps::Request::get("/"), ps::Session::new());
    let region = Region::new(GLOBAL);
    let verdict = stopped
        .connect(
            ps::ConnectArgs {
                request: &request,
                session: &session,
            },
            ps::next_fn(|| async { ps::ConnectResponse::Ok }),
        )
        .now_or_never();
    let stats = region.change();
    assert_eq!(verdict, Some(ps::ConnectResponse::Deny));
    assert_eq!(
        stats.allocations + stats.reallocations,
        0,
        "100 then a deny"
    );

    // A dev-only head, active and skipped, allocates nothing either.
    let latency = ps::LatencyMiddleware {
        prerender: Default::default(),
        prerender_route: Default::default(),
        connect: Default::default(),
        message: Default::default(),
        channel: Default::default(),
        api: Default::default(),
    };
    assert_eq!(
        allocations_per_dispatch(&ps::Chain::new_in(ps::Env::Dev, latency, chain!(a))),
        0
    );
    assert_eq!(
        allocations_per_dispatch(&ps::Chain::new_in(ps::Env::Prod, latency, chain!(a))),
        0
    );
}
