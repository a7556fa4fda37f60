//! A page request through Pulse's server (session layer, a chain of three middlewares, routing,
//! rendering, the HTML document) beside the same page from a bare axum handler, in one run.
//!
//! In-process through tower's `oneshot`, so the numbers are the framework's cost without the
//! network. Pulse's cases call the service `ps::Server::serve` runs for each request
//! (`Server::into_service`; its router, `Server::into_router`, answers the same). Run with
//! `cargo bench --bench server`; throughput ratio = axum time / Pulse time, where the page with
//! a session compares with bare axum given the same request, cookie included
//! (`axum_bare_handler_with_cookie`).
//! divan's allocation profiler prints the heap allocations per request beside each time
//! (`alloc` count and bytes), so the allocations of each path are counted in the same run.
//! The servers are `benches/common/mod.rs`'s, shared with the loopback benchmark; before
//! timing, `main` checks that both answer `GET /` with the same document.

mod common;

use std::convert::Infallible;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::response::Response;
use pulse as ps;
use tower::{Service, ServiceExt};

/// What the cases time: bare axum's router, or the service Pulse's server runs.
trait Served: Service<Request<Body>, Response = Response, Error = Infallible> + Clone {}
impl<S: Service<Request<Body>, Response = Response, Error = Infallible> + Clone> Served for S {}

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    same_document();
    divan::Divan::from_args().sample_count(1000).main();
}

/// The baseline writes the very document Pulse sends.
fn same_document() {
    let rt = runtime();
    let (bare, pulse, routed) = rt.block_on(async {
        let bare = body(&common::bare_router(), None).await;
        let pulse = body(&common::pulse_server().into_service(), None).await;
        let routed = body(&common::pulse_server().into_router(), None).await;
        (bare, pulse, routed)
    });
    assert_eq!(
        String::from_utf8_lossy(&bare),
        String::from_utf8_lossy(&pulse),
        "bare axum and Pulse must answer with the same document"
    );
    assert_eq!(
        pulse, routed,
        "Pulse's service and router must answer alike"
    );
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap()
}

fn request(cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::get("/")
        .header(header::HOST, "127.0.0.1")
        .header(header::USER_AGENT, "bench");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).unwrap()
}

async fn body(router: &impl Served, cookie: Option<&str>) -> axum::body::Bytes {
    let response = router.clone().oneshot(request(cookie)).await.unwrap();
    assert!(response.status().is_success());
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
}

async fn run(router: &impl Served, cookie: Option<&str>) -> usize {
    body(router, cookie).await.len()
}

/// Times `GET /` through `router` (with `cookie`, when given) on a current-thread runtime.
fn bench_get(bencher: divan::Bencher<'_, '_>, router: impl Served, cookie: Option<&str>) {
    let rt = runtime();
    bencher.bench_local(|| rt.block_on(run(&router, cookie)));
}

#[divan::bench]
fn axum_bare_handler(bencher: divan::Bencher<'_, '_>) {
    bench_get(bencher, common::bare_router(), None);
}

#[divan::bench]
fn pulse_three_middlewares(bencher: divan::Bencher<'_, '_>) {
    bench_get(bencher, common::pulse_server().into_service(), None);
}

/// The same page through the server's axum router (`Server::into_router`): the path of a server
/// given a whole router (`Server::routes`), whose endpoint paths it does not know.
#[divan::bench]
fn pulse_three_middlewares_through_router(bencher: divan::Bencher<'_, '_>) {
    bench_get(bencher, common::pulse_server().into_router(), None);
}

/// `POST /_pulse/prerender` (the JSON form of the page, as the client script sends it).
fn prerender_request() -> Request<Body> {
    Request::post("/_pulse/prerender")
        .header(header::HOST, "127.0.0.1")
        .header(header::USER_AGENT, "bench")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(common::PRERENDER_BODY))
        .unwrap()
}

async fn run_prerender(router: &impl Served) -> usize {
    let response = router.clone().oneshot(prerender_request()).await.unwrap();
    assert!(response.status().is_success());
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .len()
}

/// Bare axum answering the JSON form by hand (it parses the body as a `serde_json::Value`).
#[divan::bench]
fn axum_bare_prerender_json(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let router = common::bare_router();
    bencher.bench_local(|| rt.block_on(run_prerender(&router)));
}

/// Pulse's `POST /_pulse/prerender` for the same page (against the row above).
#[divan::bench]
fn pulse_prerender_json(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let router = common::pulse_server().into_service();
    bencher.bench_local(|| rt.block_on(run_prerender(&router)));
}

/// The session cookie Pulse's `GET /login` sets (`name=value`).
fn session_cookie(rt: &tokio::runtime::Runtime, router: &impl Served) -> String {
    rt.block_on(async {
        let response = router
            .clone()
            .oneshot(Request::get("/login").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    })
}

/// With a signed session cookie to verify and decode on each request.
#[divan::bench]
fn pulse_three_middlewares_with_session(bencher: divan::Bencher<'_, '_>) {
    let router = common::pulse_server().into_service();
    let cookie = session_cookie(&runtime(), &router);
    bench_get(bencher, router, Some(&cookie));
}

/// Bare axum given the very request of the case above, session cookie included (which it
/// ignores): the baseline of "a page with a session", the same request through both.
#[divan::bench]
fn axum_bare_handler_with_cookie(bencher: divan::Bencher<'_, '_>) {
    let cookie = session_cookie(&runtime(), &common::pulse_server().into_service());
    bench_get(bencher, common::bare_router(), Some(&cookie));
}

/// The engine alone (`App::prerender`: resolve, chain, render), without HTTP or sessions: the
/// part of the server's cost that is not the server's.
#[divan::bench]
fn pulse_engine_only(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let app = common::app();
    let (parts, ()) = request(None).map(|_| ()).into_parts();
    bencher.bench_local(|| {
        rt.block_on(async {
            let request = ps::Request::from_parts(&parts, None, ps::Scheme::Http);
            let session = ps::Session::new();
            app.prerender(&request, &session).await.unwrap()
        })
    });
}

/// The bare handler behind Pulse's session layer and `api` hook (no cookie: a fresh session
/// each request): what an endpoint of the app's own costs.
#[divan::bench]
fn axum_bare_handler_in_session_layer(bencher: divan::Bencher<'_, '_>) {
    bench_get(bencher, endpoint_router(()), None);
}

/// Bare axum's `GET /` as an endpoint of a Pulse app with `middleware` (and no pages).
fn endpoint_router(middleware: impl ps::PulseMiddleware) -> Router {
    ps::App::new(ps::Routes::new(), middleware)
        .server()
        .routes(common::bare_page_router())
        .session_store(common::cookie_store())
        .into_router()
}

/// A page guard declared with the macro: its record says it has no `api` hook.
#[ps::middleware(prerender_route)]
async fn page_guard(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if session.contains("banned") {
        return ps::NotFound;
    }
    next.run().await
}

/// The bare handler as an endpoint of an app whose middleware has no `api` hook (a page guard
/// made with `#[ps::middleware]`): the endpoint is called directly, as in an app without
/// middleware.
#[divan::bench]
fn axum_bare_handler_behind_page_middleware(bencher: divan::Bencher<'_, '_>) {
    bench_get(bencher, endpoint_router(page_guard), None);
}

/// A pass-through `api` hook (an app's middleware usually has one: logging, an auth guard).
struct ApiPassThrough;
impl ps::PulseMiddleware for ApiPassThrough {
    async fn api(
        &self,
        args: ps::ApiArgs<'_>,
        next: impl ps::Next<ps::hook::Api>,
    ) -> ps::ApiResponse {
        std::hint::black_box(args.request.path());
        next.run().await
    }
}

/// The bare handler as an endpoint of an app whose middleware has an `api` hook: the hook runs
/// (in the cases above no middleware acts in `api`, and their endpoints skip it).
#[divan::bench]
fn axum_bare_handler_behind_api_hook(bencher: divan::Bencher<'_, '_>) {
    bench_get(bencher, endpoint_router(ApiPassThrough), None);
}
