//! The servers of the loopback benchmark (`bash benches/loopback.sh` drives them with `wrk`).
//!
//! `cargo bench --bench loopback -- --serve` starts, on one current-thread tokio runtime (one
//! thread; the script pins the process to one core), a bare axum server and a Pulse server
//! (`ps::Server` with its session layer and three pass-through middlewares) answering the same
//! page, then prints their addresses (`bare <addr>`, `pulse <addr>`) and serves until killed.
//!
//! - `GET /` on both: the same HTML document (bare axum renders it by hand);
//! - `GET /login` on Pulse: sets a session value and returns the session cookie (for the
//!   "page with a session" case);
//! - `POST /_pulse/prerender` on both: the JSON form (bare axum answers the same JSON by hand).
//!
//! Without `--serve` it prints how to run the benchmark and exits (so `cargo bench` runs it
//! quickly).

use axum::Router;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use pulse as ps;

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
        std::hint::black_box(args.payload.route_info.pathname.len());
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
        std::hint::black_box(args.request.method());
        next.run().await
    }
}

const STATE: &str = "{\"paths\":[\"/\"],\"routeInfo\":{\"pathname\":\"/\",\"hash\":\"\",\"query\":\"\",\"queryParams\":{},\"pathParams\":{},\"catchall\":[]}}";

/// The same document as Pulse's, rendered by hand.
async fn bare_page() -> impl IntoResponse {
    let view = page_markup("/").into_string();
    (
        [(axum::http::header::CACHE_CONTROL, "private, no-cache")],
        Html(format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n</head>\n<body>\n<div data-pulse-view=\"/\">{view}</div>\n<script id=\"pulse-state\" type=\"application/json\">{STATE}</script>\n<script src=\"/_pulse/client.js\" defer></script>\n</body>\n</html>\n"
        )),
    )
}

/// The same JSON as Pulse's prerender answer, by hand (the body is parsed, as Pulse does).
async fn bare_prerender(body: axum::body::Bytes) -> impl IntoResponse {
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let path = payload["routeInfo"]["pathname"].as_str().unwrap_or("/");
    let view = page_markup(path).into_string();
    (
        [(axum::http::header::CACHE_CONTROL, "private, no-cache")],
        axum::Json(serde_json::json!({
            "views": { "/": { "path": "/", "html": view } },
            "directives": { "headers": {}, "query": {} },
        })),
    )
}

async fn serve() {
    let bare = Router::new()
        .route("/", get(bare_page))
        .route("/_pulse/prerender", post(bare_prerender));
    let bare_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let pulse_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    println!("bare {}", bare_listener.local_addr().unwrap());
    println!("pulse {}", pulse_listener.local_addr().unwrap());

    let chain = ps::Chain::new(Logging, ps::Chain::new(Auth, ps::Chain::new(Audit, ())));
    let login = Router::new().route(
        "/login",
        get(|session: ps::Session| async move {
            let _ = session.insert("user_email", "ada@example.com");
        }),
    );
    let server = ps::App::new(ps::Routes::new().route("/", home), chain)
        .server()
        .routes(login)
        .session_store(ps::CookieStore::new(
            ps::Secret::new("loopback benchmark secret, at least 32 bytes").unwrap(),
        ));
    tokio::spawn(async move { axum::serve(bare_listener, bare).await.unwrap() });
    server.serve_on(pulse_listener).await.unwrap();
}

fn main() {
    if std::env::args().any(|a| a == "--serve") {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(serve());
    } else {
        println!("loopback: the servers of `bash benches/loopback.sh` (run that script)");
    }
}
