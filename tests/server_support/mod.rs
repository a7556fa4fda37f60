//! Helpers for the server tests: a real server on an ephemeral 127.0.0.1 port, a client that
//! does not follow redirects, and raw HTTP for request targets a URL parser would normalize.

#![allow(dead_code, unused_imports, unreachable_pub)]

use pulse as ps;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A secret for tests, a client without redirects or a cookie jar (tests carry cookies by
/// hand), the `pulse.sid=…` pair and the full `Set-Cookie` header a response sets: from the
/// `pulse-test` crate.
pub use pulse_test::{http_client as client, secret, session_cookie, set_cookie_header};

/// Serves `server` on 127.0.0.1 (an ephemeral port); returns `http://127.0.0.1:port`.
pub async fn spawn(server: ps::Server) -> String {
    format!("http://{}", pulse_test::serve(server).await)
}

/// Sends `request` (a raw HTTP/1.1 request) and returns the raw response head and body.
pub async fn raw(base: &str, request: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET target` with the request target sent byte for byte.
pub async fn raw_get(base: &str, target: &str) -> String {
    raw(
        base,
        &format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// The status code of a raw response.
pub fn raw_status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

/// The `Location` header of a raw response, if any.
pub fn raw_location(response: &str) -> Option<String> {
    response
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        })
}

// ---------------------------------------------------------------- a test app

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::extract::ConnectInfo;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, get};
use serde_json::{Map, Value, json};

async fn page(cx: ps::PageContext) -> ps::Markup {
    let visits: u64 = cx.session().get("visits").unwrap_or(0);
    ps::html! {
        h1 { "page " (cx.pattern()) }
        p id="visits" { (visits) }
        p id="client" { (cx.request().client().map(|a| a.ip().to_string()).unwrap_or_default()) }
        p id="scheme" { (cx.request().scheme()) }
        p id="method" { (cx.request().method()) }
        p id="agent" { (cx.request().header("user-agent").unwrap_or_default()) }
        p id="theme" { (cx.request().cookie("theme").unwrap_or_default()) }
        p id="query" { (cx.request().query()) }
    }
}

async fn user(cx: ps::PageContext) -> ps::Markup {
    ps::html! { p { "user " (cx.param("id").unwrap_or("?")) } }
}

async fn exploding(_: ps::PageContext) -> ps::Markup {
    panic!("page exploded")
}

async fn custom_not_found(cx: ps::PageContext) -> ps::Markup {
    ps::html! { h1 { "Nothing at " (cx.route().pathname) } }
}

/// Hooks driven by the path: `/boom-hook` panics, `/gone` is not found, `/bounce?to=…`
/// redirects to `to` (whatever it is), `/count` adds one to the session's `visits`.
pub struct Hooks;

impl ps::PulseMiddleware for Hooks {
    async fn prerender_route(
        &self,
        args: ps::PrerenderRouteArgs<'_>,
        next: impl ps::Next<ps::hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        match args.path {
            "/boom-hook" => panic!("hook exploded"),
            "/gone" => ps::NotFound.into(),
            "/bounce" => {
                let to = args.route_info.query_params.get("to").cloned();
                ps::Redirect::to(to.unwrap_or_default()).into()
            }
            "/count" => {
                let visits: u64 = args.session.get("visits").unwrap_or(0);
                args.session.insert("visits", visits + 1).unwrap();
                next.run().await
            }
            _ => next.run().await,
        }
    }
}

pub fn app() -> ps::App {
    let routes = ps::Routes::new()
        .route("/", page)
        .route("/users/:id", user)
        .route("/count", page)
        .route("/gone", page)
        .route("/bounce", page)
        .route("/boom-hook", page)
        .route("/boom-page", exploding);
    ps::App::new(routes, Hooks).not_found(custom_not_found)
}

async fn read_session(session: ps::Session) -> Json<Map<String, Value>> {
    Json(session.to_map())
}

/// Stores each field of the JSON object body; 413 with the error when one does not fit.
async fn write_session(session: ps::Session, Json(body): Json<Map<String, Value>>) -> Response {
    for (key, value) in body {
        if let Err(error) = session.insert(key, value) {
            return (
                StatusCode::PAYLOAD_TOO_LARGE,
                Json(json!({"error": error.to_string()})),
            )
                .into_response();
        }
    }
    Json(json!({"ok": true})).into_response()
}

async fn explode() -> &'static str {
    panic!("endpoint exploded")
}

async fn write_then_explode(session: ps::Session) -> &'static str {
    session.insert("half_done", true).unwrap();
    panic!("endpoint exploded after writing")
}

/// The client address axum's `ConnectInfo` extractor gives an endpoint.
async fn peer(ConnectInfo(addr): ConnectInfo<SocketAddr>) -> String {
    addr.ip().to_string()
}

/// The test app's endpoints, each path with its method router.
fn endpoint_routes() -> [(&'static str, MethodRouter); 4] {
    [
        ("/api/session", get(read_session).post(write_session)),
        ("/api/peer", get(peer)),
        ("/api/panic", get(explode)),
        ("/api/write-then-panic", get(write_then_explode)),
    ]
}

/// The test app's endpoints as one router.
pub fn endpoints() -> Router {
    endpoint_routes()
        .into_iter()
        .fold(Router::new(), |router, (path, route)| {
            router.route(path, route)
        })
}

/// The test app with its endpoints (given one by one: page requests go to the pages directly)
/// and a cookie store keyed by [`secret`].
pub fn server() -> ps::Server {
    endpoint_routes()
        .into_iter()
        .fold(app().server(), |server, (path, route)| {
            server.route(path, route)
        })
        .session_store(ps::CookieStore::new(secret()))
}

/// [`server`] given its endpoints as one router ([`endpoints`]): every request passes axum's
/// router, pages as its fallback.
pub fn routed_server() -> ps::Server {
    app()
        .server()
        .routes(endpoints())
        .session_store(ps::CookieStore::new(secret()))
}

/// `GET base+path` with an optional `Cookie` header.
pub async fn get_with(base: &str, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("{base}{path}"));
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// `POST base+path` with a JSON body and an optional `Cookie` header.
pub async fn post_json(
    base: &str,
    path: &str,
    body: &Value,
    cookie: Option<&str>,
) -> reqwest::Response {
    let mut request = client().post(format!("{base}{path}")).json(body);
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    request.send().await.unwrap()
}
