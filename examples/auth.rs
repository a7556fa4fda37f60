//! The flagship example: pages behind a login, guarded by middleware declared with the macros.
//!
//! ```text
//! cargo run --example auth          # http://127.0.0.1:8000 (PORT to change)
//! ```
//!
//! With `PULSE_REDIS_URL` (and `--features redis`), sessions and channels live in Redis, so
//! several instances sharing it and `PULSE_SECRET` serve the same users (see the README).
//!
//! - `/` is public, `/login` is a form posted to `POST /api/login` (any email, password
//!   `pulse`; it works without JavaScript: a 303 to the dashboard, or back to the form with an
//!   error; JSON clients get JSON), `/dashboard` shows the logged-in email and a live counter;
//!   `POST /api/logout` (or the dashboard's "Sign out" button) ends the session.
//! - Every page shares `layout` (a skip link, the navigation, `main`) and the app's `Head`
//!   (title and a small stylesheet); pages set their own title with `cx.set_title` (the
//!   dashboard's shows its counter, updated in the browser tab by each click's re-render).
//! - `require_login` guards only the routes of its group: anonymous page requests to
//!   `/dashboard` are redirected to `/login`, with no list of public paths to keep in sync.
//! - `reject_anonymous` refuses WebSockets of anonymous browsers; `admin_channels` denies
//!   `admin:` channels unless the session has `is_admin`.
//! - `Logging` traces page requests, WebSockets and callbacks (with the user's email);
//!   `LatencyMiddleware` slows every hook in dev.
//! - The login group also guards the endpoint `GET /api/me` (`{"email": …}`): its `api` hook,
//!   `require_login_api`, answers anonymous requests with 401 JSON, not a redirect.
//! - Rate limits: failed sign-ins count per client address and per email (10 a minute, then
//!   429 with `Retry-After` until the allowance comes back; successful sign-ins count nothing),
//!   and callbacks are limited per socket to 20 a second (bursts of 40), which no human click
//!   reaches; an excess callback is answered `rate_limited` and the socket stays open.
//!
//! Every `Redirect::to("…")` literal of a middleware listed in `pulse_app!` is checked against
//! the routes at compile time: change `"/login"` below to `"/logn"` and the build fails there.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Json;
use axum::extract::{ConnectInfo, FromRequest, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, LOCATION};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use pulse as ps;
use serde::Deserialize;
use serde_json::{Value, json};

// ---------------------------------------------------------------- pages

/// The frame of every page, 404 included: a skip link, the navigation, and `main`.
fn layout(cx: ps::LayoutContext<'_>, content: ps::Markup) -> ps::Markup {
    let path = cx.request().path();
    let current = |href: &str| (path == href).then_some("page");
    ps::html! {
        a.skip href="#main" { "Skip to content" }
        header {
            nav aria-label="Main" {
                a href="/" aria-current=[current("/")] { "Home" }
                a href="/dashboard" aria-current=[current("/dashboard")] { "Dashboard" }
                @if !cx.session().contains("user_email") {
                    a href="/login" aria-current=[current("/login")] { "Sign in" }
                }
            }
        }
        main id="main" { (content) }
    }
}

const STYLE: &str = "
body { font: 1rem/1.5 system-ui, sans-serif; max-width: 40rem; margin: 0 auto; padding: 0 1rem; color: #1a1a1a; }
header nav { display: flex; gap: 1rem; padding: 1rem 0; border-bottom: 1px solid #ddd; }
a { color: #0b57d0; } a[aria-current=page] { font-weight: 600; text-decoration: none; }
.skip { position: absolute; left: -999px; } .skip:focus { left: 1rem; top: 1rem; }
form { display: grid; gap: .75rem; max-width: 20rem; }
label { display: grid; gap: .25rem; }
input, button { font: inherit; padding: .4rem .6rem; }
[role=alert]:empty { display: none; } [role=alert] { color: #b3261e; }
";

async fn home(cx: ps::PageContext) -> ps::Markup {
    cx.set_title("Home");
    let email: Option<String> = cx.session().get("user_email");
    ps::html! {
        h1 { "Pulse" }
        p { "A server-driven app whose pages are guarded by middleware." }
        @match email {
            Some(email) => p { "Signed in as " (email) ". " a href="/dashboard" { "Dashboard" } },
            None => p { a href="/login" { "Sign in" } " to see the dashboard." },
        }
    }
}

/// The sign-in form: a plain form POST (no JavaScript needed, the password never lands in a
/// URL); `POST /api/login` sends the browser back here with `?error=1` when it fails.
async fn login(cx: ps::PageContext) -> ps::Markup {
    cx.set_title("Sign in");
    let failed = cx.query("error").is_some();
    ps::html! {
        h1 { "Sign in" }
        form method="post" action="/api/login" {
            label { "Email" input name="email" type="email" required autocomplete="username"; }
            label { "Password" input name="password" type="password" required autocomplete="current-password"; }
            button type="submit" { "Sign in" }
        }
        p { small { "Any email works; the password is " code { "pulse" } "." } }
        p id="error" role="alert" { @if failed { "Invalid email or password." } }
    }
}

/// "Clicked 1 time", "Clicked 2 times".
fn clicks(count: i64) -> &'static str {
    if count == 1 { "time" } else { "times" }
}

/// The dashboard: the user's email, a counter kept by the live view, and "Sign out". The
/// buttons are callbacks: the client script sends them over the WebSocket and applies the
/// re-rendered view.
async fn dashboard(cx: ps::PageContext) -> ps::Markup {
    let email: String = cx.session().get("user_email").unwrap_or_default();
    let count: i64 = cx.state().get("count").unwrap_or(0);
    // A callback's re-render sends the title too: the browser tab shows the count.
    cx.set_title(match count {
        0 => "Dashboard".to_owned(),
        n => format!("Dashboard ({n})"),
    });
    ps::html! {
        h1 { "Dashboard" }
        p { "Signed in as " strong id="email" { (email) } }
        p {
            button type="button" data-pulse-callback="increment" { "Clicked " span id="count" { (count) } " " (clicks(count)) }
        }
        button type="button" data-pulse-callback="logout" { "Sign out" }
    }
}

async fn increment(cx: ps::PageContext, _args: Vec<Value>) {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

/// Ends the session: its cookie is revoked (a copy no longer signs in) and every socket of it,
/// in every tab, closes; the client then stores the removal and goes home.
async fn logout(cx: ps::PageContext, _args: Vec<Value>) {
    cx.session().end();
    cx.state().navigate_to("/");
}

// ---------------------------------------------------------------- middleware

/// Redirects anonymous page requests to `/login`. Listed on a group in `app()`, so it runs only
/// for the group's routes (their `prerender_route`, and messages addressed to them).
#[ps::middleware(prerender_route)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

/// The same guard for the group's endpoints (`api "/api/me"`): scripts get 401 JSON, since
/// they would not follow a redirect to the login page.
#[ps::middleware(api)]
async fn require_login_api(session: &ps::Session, next: ps::Next) -> ps::ApiResponse {
    if !session.contains("user_email") {
        return ps::Unauthorized;
    }
    next.run().await
}

/// Refuses WebSockets of anonymous browsers, before the upgrade is accepted.
#[ps::middleware(connect)]
async fn reject_anonymous(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if !session.contains("user_email") {
        return ps::Deny;
    }
    next.run().await
}

/// Only admins may use `admin:` channels.
#[ps::middleware(channel)]
async fn admin_channels(
    channel_id: &str,
    session: &ps::Session,
    next: ps::Next,
) -> ps::ChannelResponse {
    let admin = session.get::<bool>("is_admin").unwrap_or(false);
    if channel_id.starts_with("admin:") && !admin {
        return ps::Deny;
    }
    next.run().await
}

/// Traces each page request with its outcome, each WebSocket opening, and each callback with
/// the user who made it.
struct Logging;

#[ps::middleware]
impl Logging {
    async fn prerender(
        &self,
        payload: &ps::PrerenderPayload,
        request: &ps::Request,
        next: ps::Next,
    ) -> ps::PrerenderResponse {
        let response = next.run().await;
        let outcome = match &response {
            ps::PrerenderResponse::Ok(_) => "ok",
            ps::PrerenderResponse::Redirect(_) => "redirect",
            ps::PrerenderResponse::NotFound => "not found",
            ps::PrerenderResponse::TooManyRequests(_) => "too many requests",
        };
        tracing::info!(
            method = %request.method(),
            path = %payload.route_info.pathname,
            client = ?request.client(),
            outcome,
            "page"
        );
        response
    }

    async fn connect(&self, request: &ps::Request, next: ps::Next) -> ps::ConnectResponse {
        let verdict = next.run().await;
        tracing::info!(client = ?request.client(), denied = verdict.is_deny(), "websocket");
        verdict
    }

    async fn message(
        &self,
        data: &ps::ClientMessage,
        session: &ps::Session,
        next: ps::Next,
    ) -> ps::MessageResponse {
        if let ps::ClientMessage::Callback { path, callback, .. } = data {
            let user: Option<String> = session.get("user_email");
            tracing::info!(
                path,
                callback,
                user = user.as_deref().unwrap_or("anonymous"),
                "callback"
            );
        }
        next.run().await
    }
}

// ---------------------------------------------------------------- endpoints

#[derive(Deserialize)]
struct Credentials {
    email: String,
    password: String,
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// How many failed sign-ins a client address, and an email, may make: 10 a minute.
pub const SIGN_IN_FAILURES: u32 = 10;

/// Failed sign-ins, counted per client address and per email. A client over either limit is
/// refused (429 with `Retry-After`) before its password is even checked, so guessing on does
/// not tell right from wrong; a successful sign-in counts nothing.
#[derive(Clone, Debug)]
pub struct SignInLimits {
    per_ip: ps::Limiter,
    per_email: ps::Limiter,
    /// Behind reverse proxies, trust them here: `ps::ClientIp::peer().trust_proxies(["10.0.0.0/8"])`.
    client_ip: ps::ClientIp,
}

impl SignInLimits {
    fn new() -> SignInLimits {
        let quota = ps::Quota::per_minute(SIGN_IN_FAILURES);
        SignInLimits {
            per_ip: ps::Limiter::new(quota),
            per_email: ps::Limiter::new(quota),
            client_ip: ps::ClientIp::peer(),
        }
    }
}

/// `POST /api/login`: the sign-in form (`application/x-www-form-urlencoded`, answered with a
/// 303 to `/dashboard`, or back to `/login?error=1`) or JSON `{"email", "password"}` (answered
/// with JSON); any email with the password `pulse`. Failed sign-ins are limited
/// per client address and per email ([`SignInLimits`]).
async fn api_login(
    State(limits): State<SignInLimits>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    session: ps::Session,
    request: axum::extract::Request,
) -> Response {
    let headers = request.headers().clone();
    let form = headers.get(CONTENT_TYPE).is_some_and(|value| {
        value
            .as_bytes()
            .starts_with(b"application/x-www-form-urlencoded")
    });
    let credentials = if form {
        read_form(request).await
    } else {
        Json::<Credentials>::from_request(request, &())
            .await
            .ok()
            .map(|Json(credentials)| credentials)
    };
    let see_other = |to: &'static str| (StatusCode::SEE_OTHER, [(LOCATION, to)]).into_response();
    let Some(credentials) = credentials else {
        if form {
            return see_other("/login?error=1");
        }
        return error(
            StatusCode::BAD_REQUEST,
            "expected JSON {\"email\", \"password\"}",
        );
    };
    let email = credentials.email.trim();
    let account = email.to_lowercase();
    let ip = limits.client_ip.resolve(Some(peer), &headers);
    if let Err(limited) = limits.per_ip.peek(&ip).and(limits.per_email.peek(&account)) {
        tracing::info!(client = ?ip, email, "sign-in refused: too many failures");
        return limited.into_response();
    }
    if email.is_empty() || credentials.password != "pulse" {
        // Count the failure against both; the next attempt over a limit gets 429.
        let by_ip = limits.per_ip.check(&ip);
        let by_email = limits.per_email.check(&account);
        if let Err(limited) = by_ip.and(by_email) {
            return limited.into_response();
        }
        if form {
            return see_other("/login?error=1");
        }
        return error(StatusCode::UNAUTHORIZED, "invalid email or password");
    }
    // A new id on sign-in: an id planted or copied before cannot follow the user in.
    session.regenerate();
    match session.insert("user_email", email) {
        Ok(()) if form => see_other("/dashboard"),
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(err) => error(StatusCode::BAD_REQUEST, &err.to_string()),
    }
}

/// `GET /api/me`: the signed-in user. Guarded by the login group's `api` hook, so only
/// signed-in sessions get here.
async fn api_me(session: ps::Session) -> Response {
    match session.get::<String>("user_email") {
        Some(email) => Json(json!({ "email": email })).into_response(),
        None => error(StatusCode::UNAUTHORIZED, "unauthorized"),
    }
}

/// The sign-in form's fields (a body of at most 16 KiB).
async fn read_form(request: axum::extract::Request) -> Option<Credentials> {
    let body = axum::body::to_bytes(request.into_body(), 16 * 1024)
        .await
        .ok()?;
    let (mut email, mut password) = (None, None);
    for (name, value) in form_urlencoded::parse(&body) {
        match &*name {
            "email" => email = Some(value.into_owned()),
            "password" => password = Some(value.into_owned()),
            _ => {}
        }
    }
    Some(Credentials {
        email: email?,
        password: password?,
    })
}

/// `POST /api/logout`: ends the session, here and on every open socket of it.
async fn api_logout(session: ps::Session) -> Json<serde_json::Value> {
    session.end();
    Json(json!({ "ok": true }))
}

/// The endpoints, one by one: a server that knows every endpoint's path sends page requests to
/// the pages directly.
fn with_endpoints(server: ps::Server) -> ps::Server {
    server
        .route(
            "/api/login",
            post(api_login).with_state(SignInLimits::new()),
        )
        .route("/api/logout", post(api_logout))
        .route("/api/me", get(api_me))
}

// ---------------------------------------------------------------- the app

/// Client messages (callbacks, attaches) one socket may send per second on average…
pub const CALLBACKS_PER_SECOND: u32 = 20;
/// …and at once.
pub const CALLBACK_BURST: u32 = 40;

/// The pages and the middleware, checked at compile time; `env` decides whether dev-only
/// middleware (latency) runs.
pub fn app(env: ps::Env) -> ps::App {
    ps::pulse_app! {
        // Every route and endpoint is in a group or marked `public`: a new page or endpoint
        // nobody guarded fails to build.
        guard: required,
        routes: {
            public "/" => home,
            public "/login" => login,
            public api "/api/login",
            public api "/api/logout",
            [require_login, require_login_api] {
                "/dashboard" => ps::Page::new(dashboard)
                    .callback("increment", increment)
                    .callback("logout", logout),
                api "/api/me",
            },
        },
        middleware: [
            // No human clicks 20 times a second: a script hammering callbacks is slowed down
            // (listed first, so a limited message costs nothing further).
            ps::RateLimit::per_socket().message(ps::Quota::per_second(CALLBACKS_PER_SECOND).burst(CALLBACK_BURST)),
            Logging,
            reject_anonymous,
            admin_channels,
            ps::LatencyMiddleware::default(),
        ],
        env: env,
    }
    .head(ps::Head::new().title("Pulse auth example").style(STYLE))
    .layout(layout)
}

/// The app with its endpoints.
pub fn server(env: ps::Env) -> ps::Server {
    with_endpoints(app(env).server())
}

/// `server` with its sessions, channels and revocations in the Redis at `url`, shared by every
/// instance started with the same `url` and secrets.
#[cfg(feature = "redis")]
pub async fn on_redis(
    server: ps::Server,
    url: &str,
    keys: ps::server::KeyRing,
) -> Result<ps::Server, Box<dyn std::error::Error>> {
    let redis = ps::redis::RedisConfig::new(url);
    Ok(server
        .session_store(ps::redis::RedisStore::connect(&redis, keys).await?)
        .channel_backend(ps::redis::RedisChannels::connect(&redis).await?)
        .revocations(ps::redis::RedisRevocations::connect(&redis).await?))
}

/// `PULSE_REDIS_URL` set: sessions, channels and revocations in Redis (several instances).
async fn scale_out(server: ps::Server) -> Result<ps::Server, Box<dyn std::error::Error>> {
    let Some(url) = std::env::var_os("PULSE_REDIS_URL") else {
        return Ok(server);
    };
    #[cfg(feature = "redis")]
    {
        let url = url
            .into_string()
            .map_err(|_| "PULSE_REDIS_URL is not UTF-8")?;
        if std::env::var_os("PULSE_SECRET").is_none() {
            return Err("PULSE_REDIS_URL needs PULSE_SECRET, the same on every instance".into());
        }
        on_redis(server, &url, ps::Config::from_env().keys()?).await
    }
    #[cfg(not(feature = "redis"))]
    {
        drop((server, url));
        Err("PULSE_REDIS_URL is set: run with `--features redis`".into())
    }
}

/// `PULSE_PING_MS` set: live sockets are pinged (and browsers send heartbeats) every that many
/// milliseconds, and closed after three silent intervals (default: 25 s and 60 s).
fn heartbeat(live: ps::Live) -> Result<ps::Live, Box<dyn std::error::Error>> {
    let Ok(ms) = std::env::var("PULSE_PING_MS") else {
        return Ok(live);
    };
    let ms: u64 = ms
        .parse()
        .map_err(|_| format!("PULSE_PING_MS is not a number of milliseconds: {ms:?}"))?;
    let interval = std::time::Duration::from_millis(ms);
    Ok(live.ping_interval(interval).idle_timeout(interval * 3))
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = match std::env::var("PORT") {
        Ok(port) => port
            .parse()
            .map_err(|_| format!("PORT is not a port number: {port:?}"))?,
        Err(_) => 8000,
    };
    let app = app(ps::Env::current());
    let live = heartbeat(app.live())?;
    let server = scale_out(with_endpoints(app.server().live(live))).await?;
    // Checked first, so a missing PULSE_SECRET in production stops the app before it listens.
    server.check()?;
    let listener = server.bind(("127.0.0.1", port)).await?;
    println!("Pulse auth example on http://{}", listener.local_addr()?);
    // On Ctrl-C or SIGTERM: stop accepting, close live sockets with 1012 (browsers reconnect
    // to the next instance), let in-flight requests finish, exit within 10 s.
    // (`server.try_into_router()` gives a plain axum router to serve yourself instead.)
    server
        .serve_with_shutdown(listener, ps::shutdown_signal())
        .await?;
    Ok(())
}
