//! What survives a reconnect, and what a page tells the client script, over real sockets: a
//! view attached again with its `viewId` by the same session gets its state back (within the
//! grace period); pages say whether they are live; pages are never stored by caches.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::post;
use pulse as ps;
use pulse_test::{Client, connect_with, http_client, pulse_state, secret, serve, sign_in};
use serde_json::{Value, json};

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    ps::PreEscaped(format!("<p>count {count}</p>"))
}

async fn increment(cx: ps::PageContext, _: Vec<Value>) {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

async fn plain(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped("<p>plain</p>".to_owned())
}

async fn login(session: ps::Session) -> &'static str {
    session.insert("user", "ada").unwrap();
    "ok"
}

fn app() -> ps::App {
    let routes = ps::Routes::new()
        .route("/", ps::Page::new(counter).callback("increment", increment))
        .route("/plain", plain);
    ps::App::new(routes, ())
}

async fn spawn(grace: Duration) -> SocketAddr {
    let app = app();
    let live = app.live().view_grace(grace);
    let server = app
        .server()
        .live(live)
        .routes(Router::new().route("/login", post(login)))
        .session_store(ps::CookieStore::new(secret()));
    serve(server).await
}

/// A session cookie of its own (`pulse.sid=…`).
async fn session(addr: SocketAddr) -> String {
    sign_in(&format!("http://{addr}/login"), &Value::Null).await
}

async fn connect(addr: SocketAddr, cookie: &str) -> Client {
    connect_with(addr, &[("cookie", cookie)]).await
}

async fn attach(client: &mut Client, view_id: Option<&str>) -> String {
    let mut message = json!({"type": "attach", "path": "/", "routeInfo": {"pathname": "/"}});
    if let Some(view_id) = view_id {
        message["viewId"] = json!(view_id);
    }
    client.send(message).await;
    let ack = client.recv().await;
    assert_eq!(ack["type"], "attach_ack", "{ack}");
    ack["html"].as_str().unwrap().to_owned()
}

async fn increment_twice(client: &mut Client) {
    for expected in 1..=2 {
        client
            .send(json!({"type": "callback", "path": "/", "callback": "increment"}))
            .await;
        let update = client.recv().await;
        assert_eq!(
            update["html"],
            format!("<p>count {expected}</p>"),
            "{update}"
        );
    }
}

/// Closes the socket as a browser leaving the page does (the view's state outlives it either
/// way: a view is shared while still attached, kept for the grace period once released).
async fn close(mut client: Client) {
    client.ws.close(None).await.unwrap();
}

#[tokio::test]
async fn a_view_attached_again_with_its_view_id_by_the_same_session_keeps_its_state() {
    let addr = spawn(ps::live::DEFAULT_VIEW_GRACE).await;
    let cookie = session(addr).await;
    let mut first = connect(addr, &cookie).await;
    assert_eq!(attach(&mut first, Some("page-1")).await, "<p>count 0</p>");
    increment_twice(&mut first).await;
    close(first).await;

    // The page reconnects: same session, same view id.
    let mut again = connect(addr, &cookie).await;
    assert_eq!(attach(&mut again, Some("page-1")).await, "<p>count 2</p>");
    again
        .send(json!({"type": "callback", "path": "/", "callback": "increment"}))
        .await;
    assert_eq!(again.recv().await["html"], "<p>count 3</p>");

    // Another page load (another view id, or none) starts afresh.
    let mut other = connect(addr, &cookie).await;
    assert_eq!(attach(&mut other, Some("page-2")).await, "<p>count 0</p>");
    assert_eq!(attach(&mut other, None).await, "<p>count 0</p>");

    // Another session cannot take the view over by naming its id.
    let stranger = session(addr).await;
    assert_ne!(stranger, cookie);
    let mut thief = connect(addr, &stranger).await;
    assert_eq!(attach(&mut thief, Some("page-1")).await, "<p>count 0</p>");
    close(thief).await;
    close(again).await;
    let mut back = connect(addr, &cookie).await;
    assert_eq!(attach(&mut back, Some("page-1")).await, "<p>count 3</p>");
}

#[tokio::test]
async fn a_view_is_forgotten_once_the_grace_period_is_over() {
    let addr = spawn(Duration::from_millis(50)).await;
    let cookie = session(addr).await;
    let mut first = connect(addr, &cookie).await;
    attach(&mut first, Some("page-1")).await;
    increment_twice(&mut first).await;
    close(first).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut late = connect(addr, &cookie).await;
    assert_eq!(attach(&mut late, Some("page-1")).await, "<p>count 0</p>");
}

#[tokio::test]
async fn a_view_that_navigated_away_is_not_resumed() {
    let addr = spawn(ps::live::DEFAULT_VIEW_GRACE).await;
    let cookie = session(addr).await;
    let mut first = connect(addr, &cookie).await;
    attach(&mut first, Some("page-1")).await;
    increment_twice(&mut first).await;
    first.send(json!({"type": "detach", "path": "/"})).await;
    close(first).await;
    let mut again = connect(addr, &cookie).await;
    assert_eq!(attach(&mut again, Some("page-1")).await, "<p>count 0</p>");
}

#[tokio::test]
async fn a_view_id_must_be_a_short_string() {
    let addr = spawn(ps::live::DEFAULT_VIEW_GRACE).await;
    let cookie = session(addr).await;
    let mut client = connect(addr, &cookie).await;
    for view_id in [json!(7), json!(""), json!("x".repeat(65))] {
        client
            .send(json!({"type": "attach", "path": "/", "routeInfo": {"pathname": "/"}, "viewId": view_id}))
            .await;
        let error = client.recv().await;
        assert_eq!(error["type"], "server_error", "{error}");
        assert_eq!(error["error"]["kind"], "bad_request", "{error}");
        assert!(
            error["error"]["message"]
                .as_str()
                .unwrap()
                .contains("viewId"),
            "{error}"
        );
    }
    // The connection stays usable; 64 characters are fine.
    assert_eq!(
        attach(&mut client, Some(&"x".repeat(64))).await,
        "<p>count 0</p>"
    );
}

#[tokio::test]
async fn pages_say_whether_they_are_live_and_no_cache_stores_them() {
    let addr = spawn(ps::live::DEFAULT_VIEW_GRACE).await;
    let cookie = session(addr).await;
    for (path, live) in [("/", true), ("/plain", false)] {
        for cookie in [None, Some(&cookie)] {
            let mut request = http_client().get(format!("http://{addr}{path}"));
            if let Some(cookie) = cookie {
                request = request.header("cookie", cookie);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            assert_eq!(response.headers()["cache-control"], "private, no-store");
            let state = pulse_state(&response.text().await.unwrap());
            assert_eq!(state["live"], live, "{path}: {state}");
        }
    }
    let missing = http_client()
        .get(format!("http://{addr}/nowhere"))
        .header("cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(missing.headers()["cache-control"], "private, no-store");
}

#[tokio::test]
async fn an_app_without_an_icon_answers_the_browser_s_icon_request_with_no_content() {
    let addr = spawn(ps::live::DEFAULT_VIEW_GRACE).await;
    let icon = http_client()
        .get(format!("http://{addr}/favicon.ico"))
        .send()
        .await
        .unwrap();
    // Not a 404, which browsers log as an error on the console of every page.
    assert_eq!(icon.status(), 204);
}

#[tokio::test]
async fn the_client_script_stores_session_changes_with_post() {
    let addr = spawn(ps::live::DEFAULT_VIEW_GRACE).await;
    let script = http_client()
        .get(format!("http://{addr}/_pulse/client.js"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        script.contains(r#"method: "POST""#),
        "set-cookies is POSTed"
    );
    let cookie = session(addr).await;
    let stored = http_client()
        .post(format!("http://{addr}/_pulse/set-cookies"))
        .header("cookie", &cookie)
        .header("origin", format!("http://{addr}"))
        .send()
        .await
        .unwrap();
    assert_eq!(stored.status(), 204);
}
