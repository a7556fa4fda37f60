//! The servers `benches/server.rs` (in process) and `benches/loopback.rs` (over sockets) both
//! measure: a bare axum handler writing a page's HTML document by hand, and Pulse serving the
//! same page through its session layer and three middlewares.

use axum::Router;
use axum::http::{Uri, header};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use pulse as ps;

/// The page both servers render.
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

/// The app: one page behind the three middlewares, stacked as apps stack them.
pub(crate) fn app() -> ps::App {
    ps::App::new(
        ps::Routes::new().route("/", home),
        ps::stack![Logging, Auth, Audit],
    )
}

/// Pulse's server for [`app`], with the default signed-cookie store, and `GET /login`, which
/// writes a session value (its `Set-Cookie` is the "page with a session" cases' cookie).
pub(crate) fn pulse_server() -> ps::Server {
    let login = get(|session: ps::Session| async move {
        let _ = session.insert("user_email", "ada@example.com");
    });
    app()
        .server()
        .route("/login", login)
        .session_store(cookie_store())
}

/// The signed-cookie store every Pulse server of the benchmarks uses.
pub(crate) fn cookie_store() -> ps::CookieStore {
    ps::CookieStore::new(ps::Secret::new("benchmark secret, at least 32 bytes long").unwrap())
}

/// The body of `POST /_pulse/prerender` for the page, as the client script sends it.
pub(crate) const PRERENDER_BODY: &str = "{\"paths\":[\"/\"],\"routeInfo\":{\"pathname\":\"/\",\"hash\":\"\",\"query\":\"\",\"queryParams\":{},\"pathParams\":{},\"catchall\":[]}}";

const STATE: &str = "{\"paths\":[\"/\"],\"routeInfo\":{\"pathname\":\"/\",\"hash\":\"\",\"query\":\"\",\"queryParams\":{},\"pathParams\":{},\"catchall\":[]},\"live\":false}";

/// The same document as Pulse's page, rendered by hand, with the same `Cache-Control`.
async fn bare_page(uri: Uri) -> impl IntoResponse {
    let view = page_markup(uri.path()).into_string();
    (
        [(header::CACHE_CONTROL, "private, no-store")],
        Html(format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n</head>\n<body>\n<div data-pulse-view=\"/\">{view}</div>\n\n<script id=\"pulse-state\" type=\"application/json\">{STATE}</script>\n<script src=\"/_pulse/client.js\" defer></script>\n</body>\n</html>\n"
        )),
    )
}

/// The same JSON as Pulse's prerender answer, by hand (the body is parsed, as Pulse does).
async fn bare_prerender(body: axum::body::Bytes) -> impl IntoResponse {
    let payload: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
    let path = payload["routeInfo"]["pathname"].as_str().unwrap_or("/");
    let view = page_markup(path).into_string();
    (
        [(header::CACHE_CONTROL, "private, no-store")],
        axum::Json(serde_json::json!({
            "views": { "/": { "path": "/", "html": view } },
            "directives": { "headers": {}, "query": {} },
        })),
    )
}

/// Bare axum: `GET /` (the page) and `POST /_pulse/prerender` (its JSON form).
pub(crate) fn bare_router() -> Router {
    bare_page_router()
        .route("/_pulse/prerender", post(bare_prerender))
        // What `axum::serve` serves, as Pulse's router does: handlers already turned into routes.
        .with_state(())
}

/// Bare axum's `GET /` alone.
pub(crate) fn bare_page_router() -> Router {
    Router::new().route("/", get(bare_page))
}
