//! The cost of [`ps::RateLimit`] per dispatch, in one run: `cargo bench --bench rate_limit`.
//!
//! Each bench sends one `message` through a one-middleware chain: `pass` is a pass-through
//! middleware, the others a `RateLimit` keyed each way with a quota never reached (`*_allowed`:
//! the common case), one always exceeded (`*_limited`), or a quota on another hook only. The
//! limiter's cost per dispatch is the difference to `pass` in the same run.
//!
//! Futures are polled once with a no-op waker (`now_or_never`): every future here is ready on
//! its first poll, so the figures are the cost of the middleware, with no executor around it.

use std::hint::black_box;

use futures_util::FutureExt;
use ps::hook;
use pulse as ps;

fn main() {
    divan::main();
}

/// A quota a benchmark never exhausts.
fn roomy() -> ps::Quota {
    ps::Quota::per_second(1_000_000).burst(u32::MAX)
}

/// A socket's upgrade request from `client`, with `headers`, and a session loaded from a cookie.
struct Fixture {
    request: ps::Request,
    session: ps::Session,
    data: ps::ClientMessage,
}

impl Fixture {
    fn new(client: [u8; 4], headers: &[(&'static str, &'static str)]) -> Fixture {
        let mut request = ps::Request::get("/_pulse/ws").with_client((client, 4000).into());
        for (name, value) in headers {
            request = request.with_header(
                axum::http::HeaderName::from_static(name),
                axum::http::HeaderValue::from_static(value),
            );
        }
        Fixture {
            request,
            session: ps::Session::restore(
                "l8u0Cj2Ra1bMwVOQxyqz7w".into(),
                serde_json::Map::new(),
                1_700_000_000,
                1_700_000_000,
            ),
            data: ps::ClientMessage::from_json(serde_json::json!({
                "type": "callback", "path": "/", "callback": "increment", "args": []
            }))
            .expect("valid message"),
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
async fn terminal(_: ps::MessageArgs<'_>) -> ps::MessageResponse {
    ps::MessageResponse::Ok
}

/// A hand-written pass-through middleware: the baseline.
struct Pass;

impl ps::PulseMiddleware for Pass {
    async fn message(
        &self,
        _: ps::MessageArgs<'_>,
        next: impl ps::Next<hook::Message>,
    ) -> ps::MessageResponse {
        next.run().await
    }
}

fn bench_with(b: divan::Bencher<'_, '_>, f: &Fixture, middleware: impl ps::PulseMiddleware) {
    let args = f.message();
    let chain = ps::Chain::new_in(ps::Env::Prod, middleware, ());
    b.bench_local(|| {
        ps::PulseMiddleware::message(
            black_box(&chain),
            black_box(args),
            ps::next_fn(|| terminal(args)),
        )
        .now_or_never()
    });
}

/// A client talking to the server directly.
fn bench(b: divan::Bencher<'_, '_>, middleware: impl ps::PulseMiddleware) {
    bench_with(b, &Fixture::new([203, 0, 113, 7], &[]), middleware);
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

const FORWARDED: &[(&str, &str)] = &[("x-forwarded-for", "198.51.100.1, 203.0.113.7, 10.0.0.3")];

fn behind_proxies() -> ps::RateLimit {
    ps::RateLimit::per_client_ip(ps::ClientIp::peer().trust_proxies(["10.0.0.0/8"]))
        .message(roomy())
}

/// Through two proxies in a trusted range, messages on one socket: the forwarding header is
/// read once per socket (its upgrade request).
#[divan::bench]
fn per_client_ip_proxied_allowed(b: divan::Bencher<'_, '_>) {
    let f = Fixture::new([10, 0, 0, 2], FORWARDED);
    bench_with(b, &f, behind_proxies());
}

/// The same as for a new request (page and `api` requests): the header is read on every
/// dispatch. (Another `ClientIp` took the request's one cache slot first.)
#[divan::bench]
fn per_client_ip_proxied_uncached(b: divan::Bencher<'_, '_>) {
    let f = Fixture::new([10, 0, 0, 2], FORWARDED);
    let other = ps::RateLimit::per_client_ip(ps::ClientIp::peer().trust_proxies(["10.0.0.2"]))
        .message(roomy());
    let args = f.message();
    let _ =
        ps::PulseMiddleware::message(&other, args, ps::next_fn(|| terminal(args))).now_or_never();
    bench_with(b, &f, behind_proxies());
}

#[divan::bench]
fn per_key_allowed(b: divan::Bencher<'_, '_>) {
    bench(
        b,
        ps::RateLimit::per_key(|args: ps::rate_limit::KeyArgs<'_>| {
            args.request.map(ps::Request::path).map(str::len)
        })
        .message(roomy()),
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
