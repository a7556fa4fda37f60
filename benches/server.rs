//! A page request through Pulse's server (session layer, a chain of three middlewares, routing,
//! rendering, the HTML document) beside the same page from a bare axum handler, in one run.
//!
//! In-process through tower's `oneshot`, so the numbers are the framework's cost without the
//! network. Run with `cargo bench --bench server`; throughput ratio = axum time / Pulse time.
//! divan's allocation profiler prints the heap allocations per request beside each time
//! (`alloc` count and bytes), so the allocations of each path are counted in the same run.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::response::Html;
use axum::routing::get;
use pulse as ps;
use tower::ServiceExt;

#[global_allocator]
static ALLOC: divan::AllocProfiler = divan::AllocProfiler::system();

fn main() {
    divan::Divan::from_args().sample_count(1000).main();
}

async fn home(cx: ps::PageContext) -> ps::Markup {
    page_markup(cx.route().pathname.as_str())
}

fn page_markup(path: &str) -> ps::Markup {
    ps::html! {
        h1 { "Home" }
        p { "You are at " (path) "." }
        ul { @for i in 0..10 { li { "item " (i) } } }
    }
}

/// Three pass-through middlewares touching the hooks a page request runs.
struct Logging;
impl ps::PulseMiddleware for Logging {
    async fn prerender(
        &self,
        args: ps::PrerenderArgs<'_>,
        next: impl ps::Next<ps::hook::Prerender>,
    ) -> ps::PrerenderResponse {
        let _ = divan::black_box(args.payload.route_info.pathname.len());
        next.run().await
    }
}

struct Auth;
impl ps::PulseMiddleware for Auth {
    async fn prerender_route(
        &self,
        args: ps::PrerenderRouteArgs<'_>,
        next: impl ps::Next<ps::hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        if args.path != "/" && !args.session.contains("user_email") {
            return ps::Redirect::to("/login").into();
        }
        next.run().await
    }
}

struct Audit;
impl ps::PulseMiddleware for Audit {
    async fn prerender_route(
        &self,
        args: ps::PrerenderRouteArgs<'_>,
        next: impl ps::Next<ps::hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        let _ = divan::black_box(args.request.method());
        next.run().await
    }
}

fn pulse_router() -> Router {
    let chain = ps::Chain::new_in(
        ps::Env::Prod,
        Logging,
        ps::Chain::new_in(
            ps::Env::Prod,
            Auth,
            ps::Chain::new_in(ps::Env::Prod, Audit, ()),
        ),
    );
    ps::App::new(ps::Routes::new().route("/", home), chain)
        .server()
        .session_store(ps::CookieStore::new(
            ps::Secret::new("benchmark secret, at least 32 bytes long").unwrap(),
        ))
        .into_router()
}

/// The same document, rendered by hand.
async fn bare(request: Request<Body>) -> Html<String> {
    let view = page_markup(request.uri().path()).into_string();
    Html(format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n</head>\n<body>\n<div data-pulse-view=\"/\">{view}</div>\n<script id=\"pulse-state\" type=\"application/json\">{{\"paths\":[\"/\"],\"routeInfo\":{{\"pathname\":\"/\",\"hash\":\"\",\"query\":\"\",\"queryParams\":{{}},\"pathParams\":{{}},\"catchall\":[]}}}}</script>\n<script src=\"/_pulse/client.js\" defer></script>\n</body>\n</html>\n"
    ))
}

fn bare_router() -> Router {
    Router::new().route("/", get(bare))
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

async fn run(router: &Router, cookie: Option<&str>) -> usize {
    let response = router.clone().oneshot(request(cookie)).await.unwrap();
    assert!(response.status().is_success());
    axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap()
        .len()
}

#[divan::bench]
fn axum_bare_handler(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let router = bare_router();
    bencher.bench_local(|| rt.block_on(run(&router, None)));
}

#[divan::bench]
fn pulse_three_middlewares(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let router = pulse_router();
    bencher.bench_local(|| rt.block_on(run(&router, None)));
}

/// With a signed session cookie to verify and decode on each request.
#[divan::bench]
fn pulse_three_middlewares_with_session(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let router = pulse_router();
    let cookie = rt.block_on(async {
        let login = Router::new().route(
            "/login",
            get(|session: ps::Session| async move {
                let _ = session.insert("user_email", "ada@example.com");
            }),
        );
        let router = ps::App::new(ps::Routes::new(), ())
            .server()
            .routes(login)
            .session_store(ps::CookieStore::new(
                ps::Secret::new("benchmark secret, at least 32 bytes long").unwrap(),
            ))
            .into_router();
        let response = router
            .oneshot(Request::get("/login").body(Body::empty()).unwrap())
            .await
            .unwrap();
        let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
        set.split(';').next().unwrap().to_owned()
    });
    bencher.bench_local(|| rt.block_on(run(&router, Some(&cookie))));
}

/// The engine alone (`App::prerender`: resolve, chain, render), without HTTP or sessions: the
/// part of the server's cost that is not the server's.
#[divan::bench]
fn pulse_engine_only(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let chain = ps::Chain::new_in(
        ps::Env::Prod,
        Logging,
        ps::Chain::new_in(
            ps::Env::Prod,
            Auth,
            ps::Chain::new_in(ps::Env::Prod, Audit, ()),
        ),
    );
    let app = ps::App::new(ps::Routes::new().route("/", home), chain);
    let (parts, ()) = request(None).map(|_| ()).into_parts();
    bencher.bench_local(|| {
        rt.block_on(async {
            let request = ps::Request::from_parts(&parts, None, ps::Scheme::Http);
            let session = ps::Session::new();
            app.prerender(&request, &session).await.unwrap()
        })
    });
}

/// The bare handler inside Pulse's session layer (no cookie: a fresh session each request):
/// the layer's own cost.
#[divan::bench]
fn axum_bare_handler_in_session_layer(bencher: divan::Bencher<'_, '_>) {
    let rt = runtime();
    let router = ps::App::new(ps::Routes::new(), ())
        .server()
        .routes(bare_router())
        .session_store(ps::CookieStore::new(
            ps::Secret::new("benchmark secret, at least 32 bytes long").unwrap(),
        ))
        .into_router();
    bencher.bench_local(|| rt.block_on(run(&router, None)));
}
