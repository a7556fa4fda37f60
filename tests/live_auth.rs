//! Live connections behind the HTTP server's session: the auth example refuses anonymous
//! sockets and accepts logged-in ones; session changes made over a socket reach the cookie
//! through `/_pulse/set-cookies`; channel hooks see the session.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

#[path = "../examples/auth.rs"]
mod auth;

use std::net::SocketAddr;

use axum::Router;
use axum::routing::{get, post};
use pulse as ps;
use pulse_test::{Client, connect_with, http_client, open, secret, serve, session_cookie, sign_in};
use serde_json::{Map, Value, json};

async fn login(addr: SocketAddr, body: Value) -> String {
    sign_in(&format!("http://{addr}/api/login"), &body).await
}

/// Uses a sign-out callback of the view at `path`: the server asks for a cookie refresh, then
/// sends the browser home; the refresh (with the old cookie) returns the signed-out cookie.
async fn sign_out_by_callback(
    addr: SocketAddr,
    client: &mut Client,
    path: &str,
    callback: &str,
    cookie: &str,
) -> String {
    let refresh = client.callback(path, callback, json!([])).await;
    assert_eq!(refresh["type"], "refresh_cookies", "{refresh}");
    assert_eq!(
        client.recv().await,
        json!({"type": "navigate_to", "path": "/", "replace": false})
    );
    let response = http_client()
        .post(format!("http://{addr}{}", refresh["url"].as_str().unwrap()))
        .header("cookie", cookie)
        .send()
        .await
        .unwrap();
    session_cookie(&response).expect("a new cookie")
}

// ---------------------------------------------------------------- the auth example

async fn start_auth_example() -> SocketAddr {
    serve(auth::server(ps::Env::Ci).session_store(ps::CookieStore::new(secret()))).await
}

#[tokio::test]
async fn the_auth_example_refuses_anonymous_sockets_and_accepts_logged_in_ones() {
    let addr = start_auth_example().await;
    let refused = open(addr, &[]).await.expect_err("anonymous socket refused");
    assert_eq!(refused.0, 403);
    assert_eq!(
        serde_json::from_str::<Value>(&refused.1).unwrap(),
        json!({"error": "connection denied"})
    );

    let cookie = login(
        addr,
        json!({"email": "ada@example.com", "password": "pulse"}),
    )
    .await;
    let mut client = connect_with(addr, &[("cookie", &cookie)]).await;
    let ack = client.attach("/dashboard").await;
    assert_eq!(ack["type"], "attach_ack");
    assert!(ack["html"].as_str().unwrap().contains("ada@example.com"));

    // A page of another site cannot use the cookie.
    let foreign = open(
        addr,
        &[("cookie", &cookie), ("origin", "https://evil.example")],
    )
    .await;
    assert_eq!(foreign.err().map(|(status, _)| status), Some(403));
}

#[tokio::test]
async fn the_dashboard_counter_counts_per_view_and_logs_the_user_out() {
    let addr = start_auth_example().await;
    let cookie = login(
        addr,
        json!({"email": "ada@example.com", "password": "pulse"}),
    )
    .await;
    let mut client = connect_with(addr, &[("cookie", &cookie)]).await;
    let ack = client.attach("/dashboard").await;
    assert!(
        ack["html"]
            .as_str()
            .unwrap()
            .contains(r#"<span id="count">0</span>"#),
        "{ack}"
    );
    for expected in 1..=3 {
        let update = client.callback("/dashboard", "increment", json!([])).await;
        assert_eq!(update["type"], "view_update", "{update}");
        let html = update["html"].as_str().unwrap();
        assert!(
            html.contains(&format!(r#"<span id="count">{expected}</span>"#)),
            "{html}"
        );
        let noun = if expected == 1 { "time" } else { "times" };
        assert!(html.contains(&format!("</span> {noun}</button>")), "{html}");
    }
    // Another view of the same user starts from zero: the count is the view's, not the session's.
    let mut other = connect_with(addr, &[("cookie", &cookie)]).await;
    let ack = other.attach("/dashboard").await;
    assert!(
        ack["html"]
            .as_str()
            .unwrap()
            .contains(r#"<span id="count">0</span>"#)
    );

    // "Sign out" is a callback: the session is stored, then the browser is sent home.
    let signed_out = sign_out_by_callback(addr, &mut client, "/dashboard", "logout", &cookie).await;
    let dashboard = http_client()
        .get(format!("http://{addr}/dashboard"))
        .header("cookie", &signed_out)
        .send()
        .await
        .unwrap();
    assert_eq!(dashboard.status(), 302);
    assert_eq!(dashboard.headers()["location"], "/login");
}

#[tokio::test]
async fn the_auth_example_denies_admin_channels_to_non_admins() {
    let addr = start_auth_example().await;
    let cookie = login(
        addr,
        json!({"email": "bob@example.com", "password": "pulse"}),
    )
    .await;
    let mut client = connect_with(addr, &[("cookie", &cookie)]).await;
    client
        .send(json!({"type": "channel_message", "channel": "admin:ops", "event": "purge", "requestId": "7"}))
        .await;
    let reply = client.recv().await;
    assert_eq!(reply["responseTo"], "7", "{reply}");
    assert_eq!(reply["error"]["kind"], "deny", "{reply}");
    // Without a requestId the denial is still answered, as an error event.
    client
        .send(json!({"type": "channel_message", "channel": "admin:ops", "event": "purge"}))
        .await;
    let event = client.recv().await;
    assert_eq!(event["type"], "channel_message", "{event}");
    assert_eq!(event["error"]["kind"], "deny", "{event}");
}

#[test]
fn every_redirect_literal_of_the_example_matches_a_route() {
    // The build already proves it (pulse_app! checks the literals); this test also catches a
    // literal in code the macros do not see.
    let code: String = include_str!("../examples/auth.rs")
        .lines()
        .filter(|line| !line.trim_start().starts_with("//"))
        .collect();
    let app = auth::app(ps::Env::Ci);
    let mut found = 0;
    for piece in code.split("Redirect::to(\"").skip(1) {
        let target = &piece[..piece.find('"').unwrap()];
        assert!(
            app.routes().resolve(target).is_some(),
            "{target} matches no route"
        );
        found += 1;
    }
    assert!(found >= 1, "the example redirects somewhere");
}

#[tokio::test]
async fn pages_load_the_client_script_the_server_serves() {
    let addr = start_auth_example().await;
    let page = http_client()
        .get(format!("http://{addr}/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/_pulse/client.js"), "{page}");
    let script = http_client()
        .get(format!("http://{addr}/_pulse/client.js"))
        .send()
        .await
        .unwrap();
    assert_eq!(script.status(), 200);
    assert!(script.text().await.unwrap().contains("pulse-state"));
}

// ---------------------------------------------------------------- a test app

async fn prefs(cx: ps::PageContext) -> ps::Markup {
    let theme: String = cx.session().get("theme").unwrap_or_else(|| "light".into());
    ps::PreEscaped(format!("<p>theme {theme}</p>"))
}

async fn set_theme(cx: ps::PageContext, args: Vec<Value>) {
    let theme = args
        .first()
        .and_then(Value::as_str)
        .unwrap_or("dark")
        .to_owned();
    cx.session().insert("theme", theme).unwrap();
}

async fn sign_out(cx: ps::PageContext, _: Vec<Value>) {
    cx.session().remove("user_email");
    cx.state().navigate_to("/");
}

/// Refuses anonymous sockets; denies `admin:` channels unless the session has `is_admin`.
struct Guard;

impl ps::PulseMiddleware for Guard {
    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        if !args.session.contains("user_email") {
            return ps::ConnectResponse::Deny;
        }
        next.run().await
    }

    async fn channel(
        &self,
        args: ps::ChannelArgs<'_>,
        next: impl ps::Next<ps::hook::Channel>,
    ) -> ps::ChannelResponse {
        let admin = args.session.get::<bool>("is_admin").unwrap_or(false);
        if args.channel_id.starts_with("admin:") && !admin {
            return ps::ChannelResponse::Deny;
        }
        next.run().await
    }
}

async fn write_session(session: ps::Session, axum::Json(body): axum::Json<Map<String, Value>>) {
    for (key, value) in body {
        session.insert(key, value).unwrap();
    }
}

async fn read_session(session: ps::Session) -> axum::Json<Map<String, Value>> {
    axum::Json(session.to_map())
}

async fn start_app() -> SocketAddr {
    let app = ps::App::new(
        ps::Routes::new().route(
            "/prefs",
            ps::Page::new(prefs)
                .callback("theme", set_theme)
                .callback("sign_out", sign_out),
        ),
        Guard,
    );
    let live = app
        .live()
        .on_channel("admin:*", |event: ps::ChannelEvent| async move {
            Ok(json!({"ran": event.event}))
        });
    let endpoints = Router::new()
        .route("/api/login", post(write_session))
        .route("/api/session", get(read_session));
    serve(
        app.server()
            .routes(endpoints)
            .live(live)
            .session_store(ps::CookieStore::new(secret())),
    )
    .await
}

#[tokio::test]
async fn session_changes_over_a_socket_reach_the_cookie() {
    let addr = start_app().await;
    let cookie = login(addr, json!({"user_email": "ada@example.com"})).await;
    let mut client = connect_with(addr, &[("cookie", &cookie)]).await;
    assert_eq!(client.attach("/prefs").await["html"], "<p>theme light</p>");
    // The refresh comes first, so a client can store the session before acting on the answer.
    let refresh = client.callback("/prefs", "theme", json!(["dark"])).await;
    assert_eq!(refresh["type"], "refresh_cookies", "{refresh}");
    let url = refresh["url"].as_str().unwrap().to_owned();
    assert!(url.starts_with("/_pulse/set-cookies?token="), "{url}");
    assert_eq!(client.recv().await["html"], "<p>theme dark</p>");

    // The browser posts to the URL with its (old) cookie and gets the new one.
    let response = http_client()
        .post(format!("http://{addr}{url}"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    let fresh = session_cookie(&response).expect("a new cookie");
    let session: Value = http_client()
        .get(format!("http://{addr}/api/session"))
        .header("cookie", &fresh)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        session,
        json!({"user_email": "ada@example.com", "theme": "dark"})
    );

    // Nothing changed since: no refresh is asked for, and the token works once only.
    assert_eq!(
        client.callback("/prefs", "theme", json!(["dark"])).await["type"],
        "view_update"
    );
    let response = http_client()
        .post(format!("http://{addr}{url}"))
        .header("cookie", &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 204);
    assert_eq!(session_cookie(&response), None);
    // The old GET is gone.
    let response = http_client()
        .get(format!("http://{addr}{url}"))
        .header("cookie", &fresh)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 405);
}

#[tokio::test]
async fn admin_channels_need_an_admin_session() {
    let addr = start_app().await;
    let user = login(addr, json!({"user_email": "bob@example.com"})).await;
    let admin = login(
        addr,
        json!({"user_email": "ada@example.com", "is_admin": true}),
    )
    .await;
    let request = json!({"type": "channel_message", "channel": "admin:ops", "event": "purge", "requestId": "1"});

    let mut client = connect_with(addr, &[("cookie", &user)]).await;
    client.send(request.clone()).await;
    let reply = client.recv().await;
    assert_eq!(
        (
            reply["responseTo"].as_str(),
            reply["error"]["kind"].as_str()
        ),
        (Some("1"), Some("deny"))
    );

    let mut client = connect_with(addr, &[("cookie", &admin)]).await;
    client.send(request).await;
    assert_eq!(
        client.recv().await,
        json!({"type": "channel_message", "channel": "admin:ops", "responseTo": "1",
               "payload": {"ran": "purge"}, "error": null})
    );
}

#[tokio::test]
async fn signing_out_in_a_callback_stores_the_session_before_navigating() {
    let addr = start_app().await;
    let cookie = login(addr, json!({"user_email": "ada@example.com"})).await;
    let mut client = connect_with(addr, &[("cookie", &cookie)]).await;
    client.attach("/prefs").await;
    let signed_out = sign_out_by_callback(addr, &mut client, "/prefs", "sign_out", &cookie).await;
    // The signed-out cookie no longer opens a socket.
    let refused = open(addr, &[("cookie", &signed_out)]).await;
    assert_eq!(refused.err().map(|(status, _)| status), Some(403));
}
