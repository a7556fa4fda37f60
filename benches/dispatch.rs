//! Hook dispatch through static chains of N pass-through middlewares, beside a hand-written
//! baseline of N nested async calls, in one run: `cargo bench --bench dispatch`.
//!
//! Futures are polled once with a no-op waker (`now_or_never`): every future here is ready on
//! its first poll, so the figures are the cost of the chain itself, with no executor around it.
//! Each module `nNN` holds the benches for N = NN layers; compare `*_chain` (hand-written
//! middleware) and `*_macro` (`#[ps::middleware]` fns and impl blocks in `ps::stack![]`) with
//! `*_baseline` in the same module.

use std::hint::black_box;

use futures_util::FutureExt;
use ps::hook;
use pulse as ps;

fn main() {
    divan::main();
}

/// A hand-written pass-through middleware.
struct Pass;

impl ps::PulseMiddleware for Pass {
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
}

/// Macro-generated pass-through middleware: `cN` are `#[ps::middleware(connect)]` fns, `MN`
/// are `#[ps::middleware]` impl blocks with a `message` hook (a chain lists each once).
macro_rules! macro_middleware {
    ($($connect:ident $message:ident),*) => {$(
        #[ps::middleware(connect)]
        async fn $connect(next: ps::Next) -> ps::ConnectResponse {
            next.run().await
        }

        struct $message;

        #[ps::middleware]
        impl $message {
            async fn message(&self, next: ps::Next) -> ps::MessageResponse {
                next.run().await
            }
        }
    )*};
}

macro_middleware!(c1 M1, c2 M2, c3 M3, c4 M4, c5 M5, c6 M6, c7 M7, c8 M8, c9 M9, c10 M10);

struct Fixture {
    request: ps::Request,
    session: ps::Session,
    data: ps::ClientMessage,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture {
            request: ps::Request::get("/_pulse/ws"),
            session: ps::Session::new(),
            data: ps::ClientMessage::from_json(serde_json::json!({
                "type": "callback", "path": "/", "callback": "increment", "args": []
            }))
            .expect("valid message"),
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
}

#[inline(never)]
async fn connect_terminal(_: ps::ConnectArgs<'_>) -> ps::ConnectResponse {
    ps::ConnectResponse::Ok
}

#[inline(never)]
async fn message_terminal(_: ps::MessageArgs<'_>) -> ps::MessageResponse {
    ps::MessageResponse::Ok
}

/// `Chain<Pass, Chain<Pass, …()>>`, one link per token, built for `Env::Prod`.
macro_rules! chain {
    () => { () };
    ($head:tt $($rest:tt)*) => {
        ps::Chain::new_in(ps::Env::Prod, Pass, chain!($($rest)*))
    };
}

/// The baseline: one plain async fn per layer, each awaiting the next, then the terminal.
macro_rules! nested {
    ($terminal:ident, $args:ty, $response:ty, $first:ident, []) => {
        pub(super) async fn $first(args: $args) -> $response {
            $terminal(black_box(args)).await
        }
    };
    ($terminal:ident, $args:ty, $response:ty, $first:ident, [$next:ident $($rest:ident)*]) => {
        pub(super) async fn $first(args: $args) -> $response {
            $next(black_box(args)).await
        }
        nested!($terminal, $args, $response, $next, [$($rest)*]);
    };
}

macro_rules! layers {
    ($module:ident, [$($link:ident)*], [$($connect:ident)*], [$($message:ident)*]) => {
        mod $module {
            use super::*;

            mod connect_layers {
                use super::*;
                nested!(connect_terminal, ps::ConnectArgs<'_>, ps::ConnectResponse, entry, [$($link)*]);
            }

            mod message_layers {
                use super::*;
                nested!(message_terminal, ps::MessageArgs<'_>, ps::MessageResponse, entry, [$($link)*]);
            }

            #[divan::bench]
            fn connect_baseline(b: divan::Bencher<'_, '_>) {
                let f = Fixture::new();
                let args = f.connect();
                b.bench_local(|| connect_layers::entry(black_box(args)).now_or_never());
            }

            #[divan::bench]
            fn connect_chain(b: divan::Bencher<'_, '_>) {
                let f = Fixture::new();
                let args = f.connect();
                let chain = chain!($($link)*);
                b.bench_local(|| {
                    ps::PulseMiddleware::connect(
                        black_box(&chain),
                        black_box(args),
                        ps::next_fn(|| connect_terminal(args)),
                    )
                    .now_or_never()
                });
            }

            #[divan::bench]
            fn connect_macro(b: divan::Bencher<'_, '_>) {
                let f = Fixture::new();
                let args = f.connect();
                let chain = ps::stack![$($connect),*];
                b.bench_local(|| {
                    ps::PulseMiddleware::connect(
                        black_box(&chain),
                        black_box(args),
                        ps::next_fn(|| connect_terminal(args)),
                    )
                    .now_or_never()
                });
            }

            #[divan::bench]
            fn message_macro(b: divan::Bencher<'_, '_>) {
                let f = Fixture::new();
                let args = f.message();
                let chain = ps::stack![$($message),*];
                b.bench_local(|| {
                    ps::PulseMiddleware::message(
                        black_box(&chain),
                        black_box(args),
                        ps::next_fn(|| message_terminal(args)),
                    )
                    .now_or_never()
                });
            }

            #[divan::bench]
            fn message_baseline(b: divan::Bencher<'_, '_>) {
                let f = Fixture::new();
                let args = f.message();
                b.bench_local(|| message_layers::entry(black_box(args)).now_or_never());
            }

            #[divan::bench]
            fn message_chain(b: divan::Bencher<'_, '_>) {
                let f = Fixture::new();
                let args = f.message();
                let chain = chain!($($link)*);
                b.bench_local(|| {
                    ps::PulseMiddleware::message(
                        black_box(&chain),
                        black_box(args),
                        ps::next_fn(|| message_terminal(args)),
                    )
                    .now_or_never()
                });
            }
        }
    };
}

layers!(n00, [], [], []);
layers!(n01, [l1], [c1], [M1]);
layers!(n03, [l1 l2 l3], [c1 c2 c3], [M1 M2 M3]);
layers!(
    n10,
    [l1 l2 l3 l4 l5 l6 l7 l8 l9 l10],
    [c1 c2 c3 c4 c5 c6 c7 c8 c9 c10],
    [M1 M2 M3 M4 M5 M6 M7 M8 M9 M10]
);

/// The cost of [`ps::RateLimit`] per dispatch: a `message` through one pass-through
/// middleware (`pass`) beside the same through a `RateLimit` keyed each way, with a quota
/// never reached (`*_allowed`: the common case) and one always exceeded (`limited`). The
/// limiter's cost is the difference to `pass` in the same run.
mod rate_limit {
    use super::*;

    /// A quota a benchmark never exhausts.
    fn roomy() -> ps::Quota {
        ps::Quota::per_second(1_000_000).burst(u32::MAX)
    }

    fn fixture() -> Fixture {
        let mut f = Fixture::new();
        f.request = f.request.with_client(([203, 0, 113, 7], 4000).into());
        f
    }

    fn bench(b: divan::Bencher<'_, '_>, middleware: impl ps::PulseMiddleware) {
        let f = fixture();
        let args = f.message();
        let chain = ps::Chain::new_in(ps::Env::Prod, middleware, ());
        b.bench_local(|| {
            ps::PulseMiddleware::message(
                black_box(&chain),
                black_box(args),
                ps::next_fn(|| message_terminal(args)),
            )
            .now_or_never()
        });
    }

    #[divan::bench]
    fn pass(b: divan::Bencher<'_, '_>) {
        bench(b, Pass);
    }

    #[divan::bench]
    fn per_socket_allowed(b: divan::Bencher<'_, '_>) {
        bench(b, ps::RateLimit::per_socket().message(roomy()));
    }

    #[divan::bench]
    fn per_session_allowed(b: divan::Bencher<'_, '_>) {
        bench(b, ps::RateLimit::per_session().message(roomy()));
    }

    #[divan::bench]
    fn per_client_ip_allowed(b: divan::Bencher<'_, '_>) {
        bench(
            b,
            ps::RateLimit::per_client_ip(ps::ClientIp::peer()).message(roomy()),
        );
    }

    #[divan::bench]
    fn per_socket_limited(b: divan::Bencher<'_, '_>) {
        bench(
            b,
            ps::RateLimit::per_socket().message(ps::Quota::per_hour(1)),
        );
    }

    #[divan::bench]
    fn other_hook_unlimited(b: divan::Bencher<'_, '_>) {
        // A quota on `api` only: `message` passes through without touching a limiter.
        bench(b, ps::RateLimit::per_socket().api(roomy()));
    }
}
