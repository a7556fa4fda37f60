//! The `api` hook over real HTTP: endpoints given to `Server::routes` pass the app-wide chain
//! and the middleware of the group declaring them (`api "/api/me"`), which may answer 401,
//! 403, 404 or 429 as JSON, or edit the endpoint's response; pages are not affected. Also
//! `ps::RateLimit` on page and api requests: 429 with `Retry-After`, per client address.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

mod server_support;

use axum::Router;
use axum::routing::{get, post};
use pulse as ps;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde_json::{Value, json};
use server_support::*;

async fn home(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped("<h1>Home</h1>".into())
}

/// A page guard and a socket guard: middleware without an `api` hook.
#[ps::middleware(prerender_route)]
async fn page_guard(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user") {
        return ps::NotFound;
    }
    next.run().await
}

#[ps::middleware]
impl SocketGuard {
    async fn connect(&self, session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
        if !session.contains("user") {
            return ps::Deny;
        }
        next.run().await
    }

    async fn message(&self, next: ps::Next) -> ps::MessageResponse {
        next.run().await
    }
}

#[derive(Clone)]
struct SocketGuard;

#[allow(non_upper_case_globals)]
const socket_guard: SocketGuard = SocketGuard;

/// `#[ps::middleware]` records the hooks a middleware defines, and a chain the union of its
/// parts': the server runs an endpoint request's `api` hook only when one acts in it. A
/// hand-written impl may act in any hook.
#[test]
fn middleware_record_their_hooks() {
    use ps::PulseMiddleware;
    use ps::hook::{Api, Connect, Hook, Message, PrerenderRoute};
    assert_eq!(
        <page_guard as PulseMiddleware>::__HOOKS,
        PrerenderRoute::__BIT
    );
    assert_eq!(<stamp as PulseMiddleware>::__HOOKS, Api::__BIT);
    assert_eq!(
        <SocketGuard as PulseMiddleware>::__HOOKS,
        Connect::__BIT | Message::__BIT
    );
    type Both = ps::Chain<SocketGuard, ps::Chain<page_guard, ()>>;
    assert_eq!(
        <Both as PulseMiddleware>::__HOOKS,
        Connect::__BIT | Message::__BIT | PrerenderRoute::__BIT
    );
    assert_eq!(<() as PulseMiddleware>::__HOOKS, 0);
    assert_eq!(
        <ps::LatencyMiddleware as PulseMiddleware>::__HOOKS,
        ps::hook::__ALL_HOOKS
    );
    assert_eq!(ps::hook::__ALL_HOOKS.count_ones(), 6);
}

/// A middleware's record narrowed by its configuration: a `RateLimit` acts only in the hooks it
/// has quotas for, so an app whose only `api`-capable middleware is a `RateLimit` without an
/// `api` quota calls its endpoints directly; a chain acts where one of its parts does.
#[test]
fn configured_middleware_act_only_in_their_hooks() {
    use ps::PulseMiddleware;
    use ps::hook::{Api, Connect, Hook, Message, PrerenderRoute};
    let messages = || ps::RateLimit::per_socket().message(ps::Quota::per_second(5));
    assert!(messages().__acts_in(Message::__BIT));
    assert!(!messages().__acts_in(Api::__BIT | Connect::__BIT));
    let endpoints = ps::RateLimit::per_session().api(ps::Quota::per_minute(60));
    assert!(endpoints.__acts_in(Api::__BIT));
    assert!(!endpoints.__acts_in(Message::__BIT));
    assert!(!ps::RateLimit::per_session().__acts_in(ps::hook::__ALL_HOOKS));
    let chain = ps::Chain::new(messages(), ps::Chain::new(page_guard, ()));
    assert!(!chain.__acts_in(Api::__BIT));
    assert!(chain.__acts_in(PrerenderRoute::__BIT));
    let chain = ps::Chain::new(messages(), ps::Chain::new(endpoints, ()));
    assert!(chain.__acts_in(Api::__BIT));
    // A type's record answers for the rest: `#[ps::middleware]` and hand-written impls.
    assert!(!page_guard.__acts_in(Api::__BIT));
    assert!(ps::LatencyMiddleware::default().__acts_in(Api::__BIT));
}

/// App-wide: stamps every endpoint response; panics on `/api/panic`.
#[ps::middleware(api)]
async fn stamp(request: &ps::Request, next: ps::Next) -> ps::ApiResponse {
    if request.path() == "/api/panic" {
        panic!("a broken api middleware");
    }
    let mut response = next.run().await;
    if let ps::ApiResponse::Ok(response) = &mut response {
        response
            .headers_mut()
            .insert("x-stamp", axum::http::HeaderValue::from_static("1"));
    }
    response
}

#[ps::middleware(api)]
async fn require_user(session: &ps::Session, next: ps::Next) -> ps::ApiResponse {
    if !session.contains("user") {
        return ps::Unauthorized;
    }
    next.run().await
}

#[ps::middleware(api)]
async fn admins_only(
    session: &ps::Session,
    request: &ps::Request,
    next: ps::Next,
) -> ps::ApiResponse {
    if request.path().starts_with("/api/admin/secret") {
        return ps::NotFound;
    }
    if !session.get::<bool>("admin").unwrap_or(false) {
        return ps::Deny;
    }
    next.run().await
}

fn app(limit: ps::RateLimit) -> ps::App {
    ps::pulse_app! {
        routes: {
            "/" => home,
            api "/api/public",
            [require_user] {
                api "/api/me",
                [admins_only] {
                    api "/api/admin/*",
                },
            },
        },
        middleware: [limit.clone(), stamp],
    }
}

async fn login(session: ps::Session) -> &'static str {
    let _ = session.insert("user", "ada");
    "ok"
}

async fn me(session: ps::Session) -> axum::Json<Value> {
    axum::Json(json!({ "user": session.get::<String>("user") }))
}

fn endpoints() -> Router {
    Router::new()
        .route("/api/login", post(login))
        .route("/api/public", get(|| async { "public" }))
        .route("/api/me", get(me))
        .route("/api/admin/stats", get(|| async { "stats" }))
        .route("/api/admin/secret", get(|| async { "secret" }))
        .route("/api/panic", get(|| async { "unreachable" }))
}

async fn start(limit: ps::RateLimit) -> String {
    let server = app(limit)
        .server()
        .session_store(ps::CookieStore::new(secret()))
        .routes(endpoints());
    spawn(server).await
}

fn unlimited() -> ps::RateLimit {
    ps::RateLimit::per_session()
}

/// A client whose connections come from `ip` (127.0.0.0/8 is all loopback on Linux).
use pulse_test::http_client_from as client_from;

#[tokio::test]
async fn group_middleware_guards_the_endpoints_it_declares() {
    let base = start(unlimited()).await;
    let http = client();

    let response = http.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(response.headers()["content-type"], "application/json");
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "unauthorized"})
    );

    let response = http.post(format!("{base}/api/login")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let cookie = session_cookie(&response).unwrap();

    let response = pulse_test::get_with_cookie(&http, &format!("{base}/api/me"), &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["x-stamp"],
        "1",
        "the app-wide chain edits responses"
    );
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"user": "ada"})
    );

    // A nested group: signed in, but not an admin; catch-all patterns cover sub-paths.
    let response =
        pulse_test::get_with_cookie(&http, &format!("{base}/api/admin/stats"), &cookie).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "forbidden"})
    );
    let response =
        pulse_test::get_with_cookie(&http, &format!("{base}/api/admin/secret"), &cookie).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "not found"})
    );

    // Outside the groups: only the app-wide chain runs.
    let response = http.get(format!("{base}/api/public")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-stamp"], "1");
    assert_eq!(response.text().await.unwrap(), "public");

    // Pages do not pass the `api` hook.
    let response = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.headers().get("x-stamp").is_none());
}

#[tokio::test]
async fn a_panicking_api_hook_answers_500_and_the_server_keeps_serving() {
    let base = start(unlimited()).await;
    let http = client();
    let response = http.get(format!("{base}/api/panic")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    let response = http.get(format!("{base}/api/public")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn limited_api_requests_get_429_with_retry_after_per_client_address() {
    let limit = ps::RateLimit::per_client_ip(ps::ClientIp::peer()).api(ps::Quota::per_minute(3));
    let base = start(limit).await;
    let noisy = client_from([127, 0, 0, 2]);
    for _ in 0..3 {
        let response = noisy
            .get(format!("{base}/api/public"))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = noisy
        .get(format!("{base}/api/public"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()[RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=20).contains(&retry),
        "one request comes back every 20 s: {retry}"
    );
    let body = response.json::<Value>().await.unwrap();
    assert_eq!(body["error"], "too many requests");
    assert_eq!(body["retryAfter"], retry);

    // Another client address is counted apart.
    let quiet = client_from([127, 0, 0, 3]);
    let response = quiet
        .get(format!("{base}/api/public"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    // Pages have no quota here.
    let response = noisy.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn limited_page_requests_get_429_with_retry_after() {
    let limit =
        ps::RateLimit::per_client_ip(ps::ClientIp::peer()).prerender(ps::Quota::per_minute(2));
    let base = start(limit).await;
    let http = client_from([127, 0, 0, 4]);
    for _ in 0..2 {
        let response = http.get(format!("{base}/")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
    }
    let response = http.get(format!("{base}/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(RETRY_AFTER));
    assert!(response.text().await.unwrap().contains("429"));
    // The JSON form of a page request is limited the same way.
    let response = http
        .post(format!("{base}/_pulse/prerender"))
        .json(&json!({"paths": ["/"], "routeInfo": {"pathname": "/"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key(RETRY_AFTER));
}

#[tokio::test]
async fn forwarded_addresses_count_only_behind_a_trusted_proxy() {
    // The test client is the "proxy" at 127.0.0.5; X-Forwarded-For names the clients.
    let proxy = ps::ClientIp::peer().trust_proxy([127, 0, 0, 5].into());
    let limit = ps::RateLimit::per_client_ip(proxy).api(ps::Quota::per_minute(1));
    let base = start(limit).await;
    let through_proxy = client_from([127, 0, 0, 5]);
    let get = |client: &reqwest::Client, forwarded_for: &str| {
        client
            .get(format!("{base}/api/public"))
            .header("x-forwarded-for", forwarded_for)
            .send()
    };
    assert_eq!(
        get(&through_proxy, "203.0.113.1").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&through_proxy, "203.0.113.1").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client behind the proxy; a spoofed left-hand entry changes nothing.
    assert_eq!(
        get(&through_proxy, "203.0.113.2").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&through_proxy, "9.9.9.9, 203.0.113.2")
            .await
            .unwrap()
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Not through the proxy: the header is not believed, the peer is the key.
    let direct = client_from([127, 0, 0, 6]);
    assert_eq!(
        get(&direct, "203.0.113.3").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        get(&direct, "203.0.113.4").await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

/// Collects what the `fmt` subscriber writes.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Captured {
        self.clone()
    }
}

// A current-thread runtime: the server's tasks run on this thread, under this subscriber.
#[tokio::test(flavor = "current_thread")]
async fn limits_and_refusals_are_traced_with_the_client() {
    let captured = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(captured.clone())
        .with_ansi(false)
        .with_max_level(tracing::Level::INFO)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let limit = ps::RateLimit::per_client_ip(ps::ClientIp::peer()).api(ps::Quota::per_hour(1));
    let base = start(limit).await;
    let http = client_from([127, 0, 0, 7]);
    let response = http.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let response = http.get(format!("{base}/api/me")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);

    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<&str> = log.lines().collect();
    let limited = lines
        .iter()
        .find(|l| l.contains("rate limited"))
        .unwrap_or_else(|| panic!("no rate-limit event in {log}"));
    for part in [
        "RateLimit",
        "hook=\"api\"",
        "127.0.0.7",
        "/api/me",
        "key=\"client_ip\"",
    ] {
        assert!(limited.contains(part), "{part} missing from {limited}");
    }
    let stopped: Vec<&&str> = lines
        .iter()
        .filter(|l| l.contains("api request stopped"))
        .collect();
    assert_eq!(stopped.len(), 2, "{log}");
    assert!(
        stopped[0].contains("status=401") && stopped[0].contains("127.0.0.7"),
        "{log}"
    );
    assert!(stopped[1].contains("status=429"), "{log}");
}

/// Without app-wide middleware, the middleware of the groups declaring endpoint patterns still
/// guards them; an app with no middleware at all, or whose middleware has no `api` hook (its
/// endpoints go straight to the handler), still gives them their session and saves what they
/// write.
/// A `RateLimit` with an `api` quota, the app's only middleware, still limits its endpoints (its
/// record says it acts in `api`, so the server runs the hook).
#[tokio::test]
async fn an_api_quota_alone_limits_the_endpoints() {
    let limit = ps::RateLimit::per_client_ip(ps::ClientIp::peer()).api(ps::Quota::per_minute(2));
    let server = ps::App::new(ps::Routes::new().route("/", home), limit)
        .server()
        .session_store(ps::CookieStore::new(secret()))
        .routes(endpoints());
    let base = spawn(server).await;
    let http = client();
    for expected in [
        StatusCode::OK,
        StatusCode::OK,
        StatusCode::TOO_MANY_REQUESTS,
    ] {
        let response = http.get(format!("{base}/api/public")).send().await.unwrap();
        assert_eq!(response.status(), expected);
    }
}

#[tokio::test]
async fn endpoints_without_app_wide_middleware() {
    let guarded = ps::pulse_app! {
        routes: {
            "/" => home,
            [require_user] {
                api "/api/me",
            },
        },
    };
    let bare = ps::App::new(ps::Routes::new().route("/", home), ());
    let pages_only = ps::pulse_app! {
        routes: {
            "/" => home,
            [page_guard] {
                "/private" => home,
                api "/api/me",
            },
        },
        middleware: [socket_guard],
    };
    // A rate limit with no `api` quota: endpoints are called without the `api` hook.
    let socket_limit = ps::App::new(
        ps::Routes::new().route("/", home),
        ps::RateLimit::per_socket().message(ps::Quota::per_second(5)),
    );
    let http = client();
    for (app, guarded) in [
        (guarded, true),
        (bare, false),
        (pages_only, false),
        (socket_limit, false),
    ] {
        let server = app
            .server()
            .session_store(ps::CookieStore::new(secret()))
            .routes(endpoints());
        let base = spawn(server).await;

        let response = http.get(format!("{base}/api/me")).send().await.unwrap();
        let expected = if guarded {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::OK
        };
        assert_eq!(response.status(), expected, "guarded: {guarded}");
        assert!(session_cookie(&response).is_none(), "nothing to save yet");

        let response = http.post(format!("{base}/api/login")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        let cookie = session_cookie(&response).expect("the endpoint's session is saved");
        let response = pulse_test::get_with_cookie(&http, &format!("{base}/api/me"), &cookie).await;
        assert_eq!(response.status(), StatusCode::OK, "guarded: {guarded}");
        assert_eq!(
            response.json::<Value>().await.unwrap(),
            json!({"user": "ada"})
        );
        // The cross-site check still runs before the session layer.
        let response = http
            .post(format!("{base}/api/login"))
            .header("sec-fetch-site", "cross-site")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
}
