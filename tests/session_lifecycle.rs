//! Sessions over time, over real sockets: a new id on sign-in, sign-out that is final (a
//! replayed cookie is anonymous) and reaches open sockets in other tabs within a second, one
//! identity per socket, no lockout, idle and absolute expiry under a controllable clock, key
//! rotation that keeps users signed in, cross-site protection, and a store outage answered 503.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

#[path = "../examples/auth.rs"]
mod auth;

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::Router;
use axum::routing::{get, post};
use futures_util::future::BoxFuture;
use pulse as ps;
use pulse_test::{Browser, TestServer};
use serde_json::{Map, Value, json};

const DAY: Duration = Duration::from_secs(24 * 60 * 60);

fn secret() -> ps::Secret {
    ps::Secret::new("session lifecycle test secret, 32+ bytes").unwrap()
}

fn ada() -> Value {
    json!({"email": "ada@example.com", "password": "pulse"})
}

// ---------------------------------------------------------------- a test app

/// Shows who the session is; callbacks sign out, sign in (rotating the id), and report.
async fn me(cx: ps::PageContext) -> ps::Markup {
    let user: String = cx.session().get("user").unwrap_or_else(|| "nobody".into());
    ps::PreEscaped(format!("<p>user {user}</p>"))
}

async fn sign_out(cx: ps::PageContext, _: Vec<Value>) {
    cx.session().end();
    cx.state().navigate_to("/");
}

async fn become_admin(cx: ps::PageContext, _: Vec<Value>) {
    cx.session().regenerate();
    cx.session().insert("admin", true).unwrap();
}

async fn set_theme(cx: ps::PageContext, args: Vec<Value>) {
    let theme = args.first().and_then(Value::as_str).unwrap_or("dark");
    cx.session().insert("theme", theme).unwrap();
}

struct RequireUser;

impl ps::PulseMiddleware for RequireUser {
    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        if !args.session.contains("user") {
            return ps::ConnectResponse::Deny;
        }
        next.run().await
    }
}

/// `POST /api/login {"user"}`: a new id, then the user.
async fn login(session: ps::Session, axum::Json(body): axum::Json<Value>) -> &'static str {
    session.regenerate();
    session.insert("user", body["user"].clone()).unwrap();
    "ok"
}

/// `POST /api/set-user {"user"}`: changes the user without rotating the id (a careless app).
async fn set_user(session: ps::Session, axum::Json(body): axum::Json<Value>) -> &'static str {
    session.insert("user", body["user"].clone()).unwrap();
    "ok"
}

async fn logout(session: ps::Session) -> &'static str {
    session.end();
    "ok"
}

async fn whoami(session: ps::Session) -> axum::Json<Value> {
    axum::Json(json!({"id": session.id(), "data": session.to_map()}))
}

async fn write(session: ps::Session, axum::Json(body): axum::Json<Map<String, Value>>) {
    for (key, value) in body {
        session.insert(key, value).unwrap();
    }
}

fn test_app() -> ps::Server {
    let app = ps::App::new(
        ps::Routes::new().route(
            "/me",
            ps::Page::new(me)
                .callback("sign_out", sign_out)
                .callback("become_admin", become_admin)
                .callback("theme", set_theme),
        ),
        RequireUser,
    );
    let endpoints = Router::new()
        .route("/api/login", post(login))
        .route("/api/set-user", post(set_user))
        .route("/api/logout", post(logout))
        .route("/api/whoami", get(whoami))
        .route("/api/write", post(write));
    app.server().routes(endpoints)
}

async fn whoami_of(browser: &Browser) -> (String, Value) {
    let page = browser.get("/api/whoami").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let body = page.json();
    (
        body["id"].as_str().unwrap().to_owned(),
        body["data"].clone(),
    )
}

/// A `tower-sessions` store in a map, with `create` refusing existing ids.
#[derive(Debug, Default)]
struct TowerMap(
    Mutex<HashMap<tower_sessions_core::session::Id, tower_sessions_core::session::Record>>,
);

#[async_trait::async_trait]
impl tower_sessions_core::SessionStore for TowerMap {
    async fn create(
        &self,
        record: &mut tower_sessions_core::session::Record,
    ) -> tower_sessions_core::session_store::Result<()> {
        let mut map = self.0.lock().unwrap();
        while map.contains_key(&record.id) {
            record.id = tower_sessions_core::session::Id::default();
        }
        map.insert(record.id, record.clone());
        Ok(())
    }
    async fn save(
        &self,
        record: &tower_sessions_core::session::Record,
    ) -> tower_sessions_core::session_store::Result<()> {
        self.0.lock().unwrap().insert(record.id, record.clone());
        Ok(())
    }
    async fn load(
        &self,
        id: &tower_sessions_core::session::Id,
    ) -> tower_sessions_core::session_store::Result<Option<tower_sessions_core::session::Record>>
    {
        Ok(self.0.lock().unwrap().get(id).cloned())
    }
    async fn delete(
        &self,
        id: &tower_sessions_core::session::Id,
    ) -> tower_sessions_core::session_store::Result<()> {
        self.0.lock().unwrap().remove(id);
        Ok(())
    }
}

/// Every store the server ships or adapts, each a revocable setup.
fn stores() -> Vec<(&'static str, ps::Server)> {
    vec![
        (
            "cookie",
            test_app().session_store(ps::CookieStore::new(secret())),
        ),
        (
            "encrypted cookie",
            test_app().session_store(ps::CookieStore::encrypted(secret())),
        ),
        (
            "memory",
            test_app().session_store(ps::MemoryStore::new(secret())),
        ),
        (
            "tower-sessions",
            test_app().session_store(ps::server::TowerStore::new(TowerMap::default(), secret())),
        ),
    ]
}

// ---------------------------------------------------------------- login and logout

#[tokio::test]
async fn the_id_differs_after_login_and_a_replayed_cookie_is_anonymous_after_logout() {
    for (name, server) in stores() {
        let server = TestServer::start(server).await;
        let browser = server.browser();
        // An anonymous session with data: the id an attacker could have planted.
        browser
            .post_json("/api/write", json!({"theme": "dark"}))
            .await;
        let (before, _) = whoami_of(&browser).await;
        let planted = browser.session_cookie().expect("a session cookie");
        browser.sign_in("/api/login", json!({"user": "ada"})).await;
        let (after, data) = whoami_of(&browser).await;
        assert_ne!(before, after, "{name}: a new id on login");
        assert_eq!(
            data,
            json!({"theme": "dark", "user": "ada"}),
            "{name}: data kept"
        );
        // The planted cookie does not follow the user in.
        let attacker = server.browser();
        attacker.set_cookie("pulse.sid", Some(&planted));
        let (_, data) = whoami_of(&attacker).await;
        assert_eq!(data, json!({}), "{name}: the old id is revoked");

        let signed_in = browser.session_cookie().unwrap();
        let page = browser.post_json("/api/logout", json!({})).await;
        assert_eq!(
            page.session_cookie().as_deref(),
            Some(""),
            "{name}: cookie removed"
        );
        assert_eq!(browser.session_cookie(), None, "{name}");
        // Replaying the signed-in cookie after logout: anonymous, and no socket.
        let thief = server.browser();
        thief.set_cookie("pulse.sid", Some(&signed_in));
        let (_, data) = whoami_of(&thief).await;
        assert_eq!(data, json!({}), "{name}: replay after logout fails");
        assert_eq!(thief.socket().await.err().map(|e| e.0), Some(403), "{name}");
    }
}

#[tokio::test]
async fn the_flagship_rotates_on_login_and_a_replay_after_logout_fails() {
    let server = TestServer::start(auth::server(ps::Env::Ci).config(ps::Config::from_lookup(
        |name| (name == "PULSE_SECRET").then(|| "flagship test secret of 32+ bytes!".to_owned()),
    )))
    .await;
    let browser = server.browser();
    browser.sign_in("/api/login", ada()).await;
    let first = browser.session_cookie().unwrap();
    // Signing in again rotates the id again: the first cookie is dead.
    browser.sign_in("/api/login", ada()).await;
    let second = browser.session_cookie().unwrap();
    let replay = server.browser();
    replay.set_cookie("pulse.sid", Some(&first));
    assert_eq!(replay.get("/dashboard").await.location(), Some("/login"));
    assert_eq!(browser.get("/dashboard").await.status, 200);

    browser.post_json("/api/logout", json!({})).await;
    assert_eq!(browser.get("/dashboard").await.location(), Some("/login"));
    replay.set_cookie("pulse.sid", Some(&second));
    assert_eq!(replay.get("/dashboard").await.location(), Some("/login"));
    assert_eq!(replay.socket().await.err().map(|e| e.0), Some(403));
}

// ---------------------------------------------------------------- sockets

#[tokio::test]
async fn an_http_logout_in_one_tab_closes_the_sessions_sockets_in_another_within_a_second() {
    let server =
        TestServer::start(auth::server(ps::Env::Ci).session_store(ps::CookieStore::new(secret())))
            .await;
    let browser = server.browser();
    browser.sign_in("/api/login", ada()).await;
    let tab = browser.tab();
    let mut socket = tab.socket().await.unwrap();
    let mut other = tab.socket().await.unwrap();
    socket.attach("/dashboard").await;
    assert!(socket.view("/dashboard").contains("ada@example.com"));
    // Another user's socket is left alone.
    let bob = server.browser();
    bob.sign_in(
        "/api/login",
        json!({"email": "bob@example.com", "password": "pulse"}),
    )
    .await;
    let mut bobs = bob.socket().await.unwrap();

    browser.post_json("/api/logout", json!({})).await;
    for socket in [&mut socket, &mut other] {
        let closed = socket
            .closed_within(Duration::from_secs(1))
            .await
            .expect("closed within 1 s");
        assert_eq!(closed.code, Some(4001));
        assert_eq!(closed.reason, "session ended");
    }
    // The client reconnects: `connect` runs again, and the signed-out browser is refused.
    assert_eq!(tab.socket().await.err().map(|e| e.0), Some(403));
    assert!(
        bobs.closed_within(Duration::from_millis(300))
            .await
            .is_none()
    );
    assert!(
        bobs.attach("/dashboard").await["html"]
            .as_str()
            .unwrap()
            .contains("bob@example.com")
    );
}

#[tokio::test]
async fn a_sign_out_callback_ends_the_session_everywhere_and_never_locks_the_browser_out() {
    for (name, server) in stores() {
        let server = TestServer::start(server).await;
        let browser = server.browser();
        browser.sign_in("/api/login", json!({"user": "ada"})).await;
        let signed_in = browser.session_cookie().unwrap();
        let mut here = browser.socket().await.unwrap();
        let mut there = browser.tab().socket().await.unwrap();
        here.attach("/me").await;
        there.attach("/me").await;
        // The callback's answers come first, then the socket closes: 4001.
        let refresh = here
            .send(json!({"type": "callback", "path": "/me", "callback": "sign_out", "args": []}));
        refresh.await;
        let first = here.recv_raw().await;
        assert_eq!(first["type"], "refresh_cookies", "{name}: {first}");
        assert_eq!(here.recv_raw().await["type"], "navigate_to", "{name}");
        assert_eq!(here.closed().await.code, Some(4001), "{name}");
        assert_eq!(there.closed().await.code, Some(4001), "{name}");
        // The browser never fetched its new cookie (the socket was gone first): the old one is
        // revoked all the same, so it is anonymous, and signing in again works.
        let thief = server.browser();
        thief.set_cookie("pulse.sid", Some(&signed_in));
        assert_eq!(whoami_of(&thief).await.1, json!({}), "{name}");
        assert_eq!(
            browser.socket().await.err().map(|e| e.0),
            Some(403),
            "{name}"
        );
        browser.sign_in("/api/login", json!({"user": "bob"})).await;
        let mut again = browser.socket().await.expect("no lockout");
        again.attach("/me").await;
        assert_eq!(again.view("/me"), "<p>user bob</p>", "{name}");
        // The stale refresh URL, claimed late, changes nothing for the new identity.
        let page = here.refresh(&first).await;
        assert_eq!(page.session_cookie(), None, "{name}");
        assert_eq!(whoami_of(&browser).await.1["user"], "bob", "{name}");
    }
}

#[tokio::test]
async fn a_socket_acts_only_as_the_identity_it_was_opened_with() {
    let server = TestServer::start(test_app().session_store(ps::MemoryStore::new(secret()))).await;
    let browser = server.browser();
    browser.sign_in("/api/login", json!({"user": "ada"})).await;
    let mut ada = browser.socket().await.unwrap();
    ada.attach("/me").await;
    // A careless app changes the user without rotating the id: the open socket stays ada,
    // a new socket is bob; neither renders as the other.
    browser
        .post_json("/api/set-user", json!({"user": "bob"}))
        .await;
    let mut bob = browser.socket().await.unwrap();
    bob.attach("/me").await;
    assert_eq!(bob.view("/me"), "<p>user bob</p>");
    ada.callback("/me", "theme", json!(["dark"])).await;
    assert_eq!(ada.view("/me"), "<p>user ada</p>");
    bob.callback("/me", "theme", json!(["light"])).await;
    assert_eq!(bob.view("/me"), "<p>user bob</p>");
}

#[tokio::test]
async fn regenerating_over_a_socket_hands_the_browser_its_new_cookie_and_reconnects_it() {
    let server = TestServer::start(test_app().session_store(ps::CookieStore::new(secret()))).await;
    let browser = server.browser();
    browser.sign_in("/api/login", json!({"user": "ada"})).await;
    let (old_id, _) = whoami_of(&browser).await;
    let old_cookie = browser.session_cookie().unwrap();
    let mut socket = browser.socket().await.unwrap();
    socket.attach("/me").await;
    socket
        .send(json!({"type": "callback", "path": "/me", "callback": "become_admin", "args": []}))
        .await;
    // `closed` follows the refresh on the way, as the client script does.
    assert_eq!(socket.closed().await.code, Some(4001));
    let (new_id, data) = whoami_of(&browser).await;
    assert_ne!(new_id, old_id);
    assert_eq!(data, json!({"user": "ada", "admin": true}));
    let replay = server.browser();
    replay.set_cookie("pulse.sid", Some(&old_cookie));
    assert_eq!(whoami_of(&replay).await.1, json!({}));
    let mut again = browser
        .socket()
        .await
        .expect("reconnects as the new identity");
    assert_eq!(again.attach("/me").await["type"], "attach_ack");
}

// ---------------------------------------------------------------- expiry

#[tokio::test]
async fn the_absolute_lifetime_holds_however_active_and_the_idle_timeout_slides() {
    let clock = ps::server::ManualClock::starting_now();
    let config = ps::server::SessionConfig::default().clock(clock.clone());
    let server = TestServer::start(
        test_app()
            .session_store(ps::CookieStore::new(secret()))
            .session_config(config),
    )
    .await;
    let browser = server.browser();
    browser.sign_in("/api/login", json!({"user": "ada"})).await;
    let copied = browser.session_cookie().unwrap();
    // Active every 6 days: the idle timeout (7 days) slides, the cookie is re-issued.
    for _ in 0..4 {
        clock.advance(6 * DAY);
        let page = browser.get("/api/whoami").await;
        assert!(
            page.session_cookie().is_some(),
            "re-issued to slide the idle timeout"
        );
        assert_eq!(page.json()["data"]["user"], "ada");
    }
    // A copy taken at sign-in died 7 idle days in, whatever the browser did since.
    let thief = server.browser();
    thief.set_cookie("pulse.sid", Some(&copied));
    assert_eq!(whoami_of(&thief).await.1, json!({}));
    // Day 29: still in; past day 30 the session ends although it never went idle.
    clock.advance(5 * DAY);
    assert_eq!(whoami_of(&browser).await.1["user"], "ada");
    clock.advance(DAY + Duration::from_secs(1));
    assert_eq!(whoami_of(&browser).await.1, json!({}));
}

#[tokio::test]
async fn expiry_limits_are_configurable_for_server_side_stores_too() {
    let clock = ps::server::ManualClock::starting_now();
    let config = ps::server::SessionConfig::default()
        .clock(clock.clone())
        .idle_timeout(Duration::from_secs(60 * 60))
        .lifetime(Duration::from_secs(3 * 60 * 60));
    let store = ps::MemoryStore::with_clock(secret(), clock.clone());
    let server = TestServer::start(test_app().session_store(store).session_config(config)).await;
    let browser = server.browser();
    browser.sign_in("/api/login", json!({"user": "ada"})).await;
    let page = browser.get("/api/whoami").await;
    assert_eq!(page.json()["data"]["user"], "ada");
    clock.advance(Duration::from_secs(61 * 60));
    assert_eq!(whoami_of(&browser).await.1, json!({}), "idle past an hour");
}

// ---------------------------------------------------------------- key rotation

fn keyed(current: &str, previous: Option<&str>) -> ps::Config {
    let (current, previous) = (current.to_owned(), previous.map(str::to_owned));
    ps::Config::from_lookup(move |name| match name {
        "PULSE_ENV" => Some("ci".into()),
        "PULSE_SECRET" => Some(current.clone()),
        "PULSE_SECRET_PREVIOUS" => previous.clone(),
        _ => None,
    })
}

#[tokio::test]
async fn a_key_rotation_keeps_users_signed_in() {
    let old = "the old secret, at least thirty-two bytes";
    let new = "the new secret, at least thirty-two bytes";
    let before = TestServer::start(auth::server(ps::Env::Ci).config(keyed(old, None))).await;
    let browser = before.browser();
    browser.sign_in("/api/login", ada()).await;
    let old_cookie = browser.session_cookie().unwrap();

    // Deploy: the new secret signs, the old one still verifies.
    let during = TestServer::start(auth::server(ps::Env::Ci).config(keyed(new, Some(old)))).await;
    let rotated = during.browser();
    rotated.set_cookie("pulse.sid", Some(&old_cookie));
    let page = rotated.get("/dashboard").await;
    assert_eq!(page.status, 200, "still signed in");
    assert!(page.body.contains("ada@example.com"));
    let reissued = page
        .session_cookie()
        .expect("re-signed with the newest key");
    assert_ne!(reissued, old_cookie);
    let mut socket = rotated.socket().await.expect("sockets too");
    assert_eq!(socket.attach("/dashboard").await["type"], "attach_ack");

    // Later the old key is dropped: the re-signed cookie lives on, an old one does not.
    let after = TestServer::start(auth::server(ps::Env::Ci).config(keyed(new, None))).await;
    let later = after.browser();
    later.set_cookie("pulse.sid", Some(&reissued));
    assert_eq!(later.get("/dashboard").await.status, 200);
    later.set_cookie("pulse.sid", Some(&old_cookie));
    assert_eq!(later.get("/dashboard").await.location(), Some("/login"));

    // A short previous secret is a startup error naming the variable.
    let error = keyed(new, Some(&format!("{old}\nshort")))
        .keys()
        .unwrap_err();
    assert!(
        error
            .to_string()
            .starts_with("line 2 of PULSE_SECRET_PREVIOUS"),
        "{error}"
    );
}

// ---------------------------------------------------------------- cross-site requests

#[tokio::test]
async fn a_cross_site_post_to_login_is_refused_while_the_same_origin_page_works() {
    let server =
        TestServer::start(auth::server(ps::Env::Ci).session_store(ps::CookieStore::new(secret())))
            .await;
    let browser = server.browser();
    assert_eq!(browser.get("/login").await.status, 200);
    let refused = browser.cross_site_post("/api/login", ada()).await;
    assert_eq!(refused.status, 403);
    assert_eq!(
        refused.json(),
        json!({"error": "cross-site request refused"})
    );
    assert_eq!(refused.session_cookie(), None);
    browser.sign_in("/api/login", ada()).await;
    // Logout by another site, with the user's cookie: refused, the user stays signed in.
    assert_eq!(
        browser
            .cross_site_post("/api/logout", json!({}))
            .await
            .status,
        403
    );
    assert_eq!(browser.get("/dashboard").await.status, 200);
    // Without Sec-Fetch-Site, Origin decides: another port or scheme is another origin.
    let port = server.addr().port();
    for origin in [
        format!("http://127.0.0.1:{}", port + 1),
        format!("https://127.0.0.1:{port}"),
        "null".to_owned(),
    ] {
        let page = browser
            .request(
                reqwest::Method::POST,
                "/api/logout",
                &[("origin", &origin)],
                None,
            )
            .await;
        assert_eq!(page.status, 403, "{origin}");
    }
    let own = server.origin();
    let page = browser
        .request(
            reqwest::Method::POST,
            "/_pulse/prerender",
            &[("origin", &own)],
            Some(&json!({"paths": ["/"], "routeInfo": {"pathname": "/"}})),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    // The cookie refresh is a POST under the same check.
    let page = browser
        .cross_site_post("/_pulse/set-cookies?token=x", json!({}))
        .await;
    assert_eq!(page.status, 403);
    // WebSockets compare scheme, host and port.
    for origin in [
        format!("https://127.0.0.1:{port}"),
        format!("http://127.0.0.1:{}", port + 1),
    ] {
        let refused = browser.socket_with(&[("origin", &origin)]).await;
        assert_eq!(refused.err().map(|e| e.0), Some(403), "{origin}");
    }
    assert!(browser.socket().await.is_ok());
}

#[tokio::test]
async fn trusted_origins_pass_and_the_check_covers_the_apps_own_endpoints() {
    let server = TestServer::start(
        test_app()
            .session_store(ps::CookieStore::new(secret()))
            .cross_origin(ps::server::CrossOrigin::default().trust("https://admin.example")),
    )
    .await;
    let browser = server.browser();
    let page = browser
        .request(
            reqwest::Method::POST,
            "/api/login",
            &[
                ("origin", "https://admin.example"),
                ("sec-fetch-site", "cross-site"),
            ],
            Some(&json!({"user": "ada"})),
        )
        .await;
    assert_eq!(page.status, 200);
    let page = browser
        .request(
            reqwest::Method::POST,
            "/api/login",
            &[("sec-fetch-site", "same-site")],
            Some(&json!({"user": "eve"})),
        )
        .await;
    assert_eq!(page.status, 403, "same-site is another origin");
    // PUT, PATCH, DELETE are unsafe too, on any path.
    for method in [
        reqwest::Method::PUT,
        reqwest::Method::PATCH,
        reqwest::Method::DELETE,
    ] {
        let page = browser
            .request(
                method.clone(),
                "/api/whoami",
                &[("sec-fetch-site", "cross-site")],
                None,
            )
            .await;
        assert_eq!(page.status, 403, "{method}");
    }
}

// ---------------------------------------------------------------- store outage

/// A store that is down.
struct DownStore;

impl ps::SessionStore for DownStore {
    fn load<'a>(
        &'a self,
        _: &'a str,
    ) -> BoxFuture<'a, Result<Option<ps::Session>, ps::server::StoreError>> {
        Box::pin(async {
            Err(ps::server::StoreError::Unavailable(
                "connection refused".into(),
            ))
        })
    }
    fn save<'a>(
        &'a self,
        _: &'a ps::Session,
        _: u64,
    ) -> BoxFuture<'a, Result<String, ps::server::StoreError>> {
        Box::pin(async {
            Err(ps::server::StoreError::Unavailable(
                "connection refused".into(),
            ))
        })
    }
    fn delete<'a>(
        &'a self,
        _: &'a str,
        _: u64,
    ) -> BoxFuture<'a, Result<(), ps::server::StoreError>> {
        Box::pin(async {
            Err(ps::server::StoreError::Unavailable(
                "connection refused".into(),
            ))
        })
    }
}

#[tokio::test]
async fn a_store_outage_is_a_503_never_an_anonymous_session() {
    let server = TestServer::start(test_app().session_store(DownStore)).await;
    let browser = server.browser();
    browser.set_cookie("pulse.sid", Some("some-session"));
    for path in ["/me", "/api/whoami"] {
        let page = browser.get(path).await;
        assert_eq!(page.status, 503, "{path}");
        assert_eq!(page.headers["retry-after"], "1");
        assert_eq!(page.session_cookie(), None);
        assert!(
            page.json()["error"]
                .as_str()
                .unwrap()
                .contains("unavailable")
        );
    }
    assert_eq!(browser.socket().await.err().map(|e| e.0), Some(503));
    // Without a cookie there is nothing to load: the app serves anonymous visitors.
    assert_eq!(server.browser().get("/me").await.status, 200);
    // A sign-in that cannot be stored is not answered as a success.
    let signing_in = server
        .browser()
        .post_json("/api/login", json!({"user": "ada"}))
        .await;
    assert_eq!(signing_in.status, 503);
    assert_eq!(signing_in.session_cookie(), None);
}

// ---------------------------------------------------------------- the README's test kit example

#[tokio::test]
async fn the_readme_test_kit_example_runs_against_the_flagship() {
    let server = TestServer::start(auth::server(ps::Env::Ci)).await;
    let browser = server.browser();
    browser
        .sign_in(
            "/api/login",
            json!({"email": "ada@example.com", "password": "pulse"}),
        )
        .await;
    assert_eq!(browser.get("/dashboard").await.status, 200);
    let mut socket = browser.socket().await.expect("the socket opens");
    socket.attach("/dashboard").await;
    socket.callback("/dashboard", "increment", json!([])).await;
    assert!(
        socket
            .view("/dashboard")
            .contains(r#"<span id="count">1</span>"#)
    );
    browser.post_json("/api/logout", json!({})).await;
    assert_eq!(socket.closed().await.code, Some(4001));
}

#[tokio::test]
async fn signing_in_again_over_http_closes_the_sockets_of_the_previous_id() {
    let server = TestServer::start(test_app().session_store(ps::MemoryStore::new(secret()))).await;
    let browser = server.browser();
    browser.sign_in("/api/login", json!({"user": "ada"})).await;
    let mut socket = browser.tab().socket().await.unwrap();
    socket.attach("/me").await;
    browser.sign_in("/api/login", json!({"user": "bob"})).await;
    let closed = socket.closed_within(Duration::from_secs(1)).await;
    assert_eq!(closed.map(|c| c.code), Some(Some(4001)));
    let mut again = browser.socket().await.unwrap();
    again.attach("/me").await;
    assert_eq!(again.view("/me"), "<p>user bob</p>");
}

#[tokio::test]
async fn a_revocation_missed_by_another_instance_is_caught_by_the_sockets_recheck() {
    // Two instances share a store but no revocation bus: a logout on one cannot reach the
    // other's sockets by message, only through the re-check.
    let store = ps::MemoryStore::new(secret());
    let config = ps::server::SessionConfig::default().socket_recheck(Duration::ZERO);
    let one = TestServer::start(test_app().session_store(store.clone())).await;
    let two = TestServer::start(test_app().session_store(store).session_config(config)).await;
    let browser = one.browser();
    browser.sign_in("/api/login", json!({"user": "ada"})).await;
    let elsewhere = two.browser();
    elsewhere.set_cookie("pulse.sid", browser.session_cookie().as_deref());
    let mut socket = elsewhere.socket().await.unwrap();
    assert_eq!(socket.attach("/me").await["type"], "attach_ack");
    browser.post_json("/api/logout", json!({})).await;
    // The next message does not run: the socket closes instead.
    socket
        .send(json!({"type": "callback", "path": "/me", "callback": "theme", "args": ["x"]}))
        .await;
    assert_eq!(socket.closed().await.code, Some(4001));
}
