//! The flagship example: pages behind a login, guarded by middleware.
//!
//! ```text
//! cargo run --example auth          # http://127.0.0.1:8000 (PORT to change)
//! ```
//!
//! - `/` is public, `/login` is a form posting JSON to `POST /api/login` (any email, password
//!   `pulse`), `/dashboard` shows the logged-in email; `POST /api/logout` ends the session.
//! - `Auth` redirects anonymous page requests to `/login` and refuses anonymous WebSockets.
//! - `Logging` traces every page request and WebSocket; `LatencyMiddleware` slows hooks in dev.
//!
//! The middleware is written against `ps::PulseMiddleware` by hand; each item maps one to one
//! onto a `#[ps::middleware]` item.

use std::net::SocketAddr;
use std::process::ExitCode;

use axum::Json;
use axum::Router;
use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use pulse as ps;
use serde::Deserialize;
use serde_json::json;

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

const LOGOUT_SCRIPT: &str = r#"
document.getElementById("logout").addEventListener("click", async () => {
  await fetch("/api/logout", { method: "POST" });
  window.location.assign("/");
});
"#;

async fn dashboard(cx: ps::PageContext) -> ps::Markup {
    let email: String = cx.session().get("user_email").unwrap_or_default();
    ps::html! {
        h1 { "Dashboard" }
        p { "Signed in as " strong id="email" { (email) } }
        button id="logout" type="button" { "Sign out" }
        script { (ps::PreEscaped(LOGOUT_SCRIPT)) }
    }
}

fn routes() -> ps::Routes {
    ps::Routes::new()
        .route("/", home)
        .route("/login", login)
        .route("/dashboard", dashboard)
}

// ---------------------------------------------------------------- middleware: Auth

/// Pages anyone may see.
const PUBLIC_PATHS: [&str; 3] = ["/", "/login", "/signup"];

/// Redirects anonymous page requests to `/login`; refuses anonymous WebSockets.
struct Auth;

impl ps::PulseMiddleware for Auth {
    async fn prerender_route(
        &self,
        args: ps::PrerenderRouteArgs<'_>,
        next: impl ps::Next<ps::hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        if PUBLIC_PATHS.contains(&args.path) {
            return next.run().await;
        }
        if !args.session.contains("user_email") {
            return ps::Redirect::to("/login").into();
        }
        next.run().await
    }

    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        if !args.session.contains("user_email") {
            return ps::Deny.into();
        }
        next.run().await
    }
}

// ---------------------------------------------------------------- middleware: Logging

/// Traces each page request with its outcome, and each WebSocket opening.
struct Logging;

impl ps::PulseMiddleware for Logging {
    async fn prerender(
        &self,
        args: ps::PrerenderArgs<'_>,
        next: impl ps::Next<ps::hook::Prerender>,
    ) -> ps::PrerenderResponse {
        let response = next.run().await;
        let outcome = match &response {
            ps::PrerenderResponse::Ok(_) => "ok",
            ps::PrerenderResponse::Redirect(_) => "redirect",
            ps::PrerenderResponse::NotFound => "not found",
        };
        tracing::info!(
            method = %args.request.method(),
            path = %args.payload.route_info.pathname,
            client = ?args.request.client(),
            outcome,
            "page"
        );
        response
    }

    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        let verdict = next.run().await;
        tracing::info!(client = ?args.request.client(), denied = verdict.is_deny(), "websocket");
        verdict
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

/// The pages and the middleware; `env` decides whether dev-only middleware (latency) runs.
pub fn app(env: ps::Env) -> ps::App {
    let middleware = ps::Chain::new_in(
        env,
        Logging,
        ps::Chain::new_in(
            env,
            Auth,
            ps::Chain::new_in(env, ps::LatencyMiddleware::default(), ()),
        ),
    );
    ps::App::new(routes(), middleware)
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
    // Built first, so a missing PULSE_SECRET in production stops the app before it listens.
    let router = server(ps::Env::current()).try_into_router()?;
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    println!("Pulse auth example on http://{}", listener.local_addr()?);
    // The router is a plain axum router: serve it with axum (connect info gives hooks the
    // client address), add tower layers, or nest it.
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
