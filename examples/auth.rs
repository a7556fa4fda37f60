//! The flagship example: pages behind a login, guarded by middleware declared with the macros.
//!
//! ```text
//! cargo run --example auth          # http://127.0.0.1:8000 (PORT to change)
//! ```
//!
//! - `/` is public, `/login` is a form posting JSON to `POST /api/login` (any email, password
//!   `pulse`), `/dashboard` shows the logged-in email and a live counter; `POST /api/logout`
//!   (or the dashboard's "Sign out" button) ends the session.
//! - `require_login` guards only the routes of its group: anonymous page requests to
//!   `/dashboard` are redirected to `/login`, with no list of public paths to keep in sync.
//! - `reject_anonymous` refuses WebSockets of anonymous browsers; `admin_channels` denies
//!   `admin:` channels unless the session has `is_admin`.
//! - `Logging` traces page requests, WebSockets and callbacks (with the user's email);
//!   `LatencyMiddleware` slows every hook in dev.
//!
//! Every `Redirect::to("…")` literal of a middleware listed in `pulse_app!` is checked against
//! the routes at compile time: change `"/login"` below to `"/logn"` and the build fails there.

use std::process::ExitCode;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use pulse as ps;
use serde::Deserialize;
use serde_json::{Value, json};

// ---------------------------------------------------------------- pages

async fn home(cx: ps::PageContext) -> ps::Markup {
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

const LOGIN_SCRIPT: &str = r#"
document.getElementById("login").addEventListener("submit", async (event) => {
  event.preventDefault();
  const form = event.target;
  const response = await fetch("/api/login", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ email: form.email.value, password: form.password.value }),
  });
  if (response.ok) {
    window.location.assign("/dashboard");
  } else {
    const body = await response.json().catch(() => ({}));
    document.getElementById("error").textContent = body.error || "Sign-in failed";
  }
});
"#;

async fn login(_: ps::PageContext) -> ps::Markup {
    ps::html! {
        h1 { "Sign in" }
        form id="login" {
            label { "Email " input name="email" type="email" required autocomplete="username"; }
            label { "Password " input name="password" type="password" required autocomplete="current-password"; }
            button type="submit" { "Sign in" }
        }
        p { small { "Any email works; the password is " code { "pulse" } "." } }
        p id="error" role="alert" {}
        script { (ps::PreEscaped(LOGIN_SCRIPT)) }
    }
}

/// The dashboard: the user's email, a counter kept by the live view, and "Sign out". The
/// buttons are callbacks: the client script sends them over the WebSocket and applies the
/// re-rendered view.
async fn dashboard(cx: ps::PageContext) -> ps::Markup {
    let email: String = cx.session().get("user_email").unwrap_or_default();
    let count: i64 = cx.state().get("count").unwrap_or(0);
    ps::html! {
        h1 { "Dashboard" }
        p { "Signed in as " strong id="email" { (email) } }
        p {
            button type="button" data-pulse-callback="increment" { "Clicked " span id="count" { (count) } " times" }
        }
        button type="button" data-pulse-callback="logout" { "Sign out" }
    }
}

async fn increment(cx: ps::PageContext, _args: Vec<Value>) {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

async fn logout(cx: ps::PageContext, _args: Vec<Value>) {
    cx.session().remove("user_email");
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

/// `POST /api/login` with `{"email", "password"}`: any email with the password `pulse`.
async fn api_login(
    session: ps::Session,
    credentials: Result<Json<Credentials>, JsonRejection>,
) -> Response {
    let Ok(Json(credentials)) = credentials else {
        return error(
            StatusCode::BAD_REQUEST,
            "expected JSON {\"email\", \"password\"}",
        );
    };
    let email = credentials.email.trim();
    if email.is_empty() || credentials.password != "pulse" {
        return error(StatusCode::UNAUTHORIZED, "invalid email or password");
    }
    match session.insert("user_email", email) {
        Ok(()) => Json(json!({ "ok": true })).into_response(),
        Err(err) => error(StatusCode::BAD_REQUEST, &err.to_string()),
    }
}

/// `POST /api/logout`: forgets the user.
async fn api_logout(session: ps::Session) -> Json<serde_json::Value> {
    session.remove("user_email");
    Json(json!({ "ok": true }))
}

fn endpoints() -> Router {
    Router::new()
        .route("/api/login", post(api_login))
        .route("/api/logout", post(api_logout))
}

// ---------------------------------------------------------------- the app

/// The pages and the middleware, checked at compile time; `env` decides whether dev-only
/// middleware (latency) runs.
pub fn app(env: ps::Env) -> ps::App {
    ps::pulse_app! {
        // Every route is in a group or marked `public`: a new page nobody guarded fails to build.
        guard: required,
        routes: {
            public "/" => home,
            public "/login" => login,
            [require_login] {
                "/dashboard" => ps::Page::new(dashboard)
                    .callback("increment", increment)
                    .callback("logout", logout),
            },
        },
        middleware: [
            Logging,
            reject_anonymous,
            admin_channels,
            ps::LatencyMiddleware::default(),
        ],
        env: env,
    }
}

/// The app with its endpoints.
pub fn server(env: ps::Env) -> ps::Server {
    app(env).server().routes(endpoints())
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
    let server = server(ps::Env::current());
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
