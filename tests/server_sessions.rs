//! Sessions over a real socket: the signed cookie, bad cookies, `Set-Cookie` only when needed,
//! size limits, the server-side store, and the production secret rule.

mod server_support;

use pulse as ps;
use reqwest::StatusCode;
use serde_json::{Value, json};
use server_support::*;

async fn session_of(base: &str, cookie: Option<&str>) -> (Value, Option<String>) {
    let response = get_with(base, "/api/session", cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    let set = session_cookie(&response);
    (response.json().await.unwrap(), set)
}

async fn logged_in(base: &str) -> String {
    let response = post_json(
        base,
        "/api/session",
        &json!({"user_email": "ada@example.com"}),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    session_cookie(&response).unwrap()
}

#[tokio::test]
async fn custom_endpoints_read_and_write_the_same_session_as_pages() {
    let base = spawn(server()).await;
    let cookie = logged_in(&base).await;
    let (data, set) = session_of(&base, Some(&cookie)).await;
    assert_eq!(data, json!({"user_email": "ada@example.com"}));
    assert_eq!(set, None, "an unchanged session sends no Set-Cookie");

    // A hook writes the session during a page request; the page sees it, the cookie carries it.
    let response = get_with(&base, "/count", Some(&cookie)).await;
    let cookie = session_cookie(&response).expect("a changed session is saved");
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains(r#"<p id="visits">1</p>"#)
    );
    let (data, _) = session_of(&base, Some(&cookie)).await;
    assert_eq!(data, json!({"user_email": "ada@example.com", "visits": 1}));
}

#[tokio::test]
async fn a_request_that_panics_saves_nothing() {
    let base = spawn(server()).await;
    let cookie = logged_in(&base).await;
    let response = get_with(&base, "/api/write-then-panic", Some(&cookie)).await;
    assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
    assert_eq!(set_cookie_header(&response), None);
}

#[tokio::test]
async fn writing_the_same_value_again_sends_no_cookie() {
    let base = spawn(server()).await;
    let cookie = logged_in(&base).await;
    let response = post_json(
        &base,
        "/api/session",
        &json!({"user_email": "ada@example.com"}),
        Some(&cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(set_cookie_header(&response), None);
}

#[tokio::test]
async fn tampered_malformed_and_foreign_cookies_give_a_fresh_empty_session() {
    let base = spawn(server()).await;
    let good = logged_in(&base).await;
    let value = good.trim_start_matches("pulse.sid=");
    let (payload, signature) = value.rsplit_once('.').unwrap();
    // Another app's cookie, signed with another secret.
    let foreign_base = spawn(
        app()
            .server()
            .routes(endpoints())
            .session_store(ps::CookieStore::new(ps::Secret::new([9u8; 32]).unwrap())),
    )
    .await;
    let foreign = logged_in(&foreign_base).await;
    let mut flipped = payload.to_owned().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    let bad = [
        format!(
            "pulse.sid={}.{signature}",
            String::from_utf8(flipped).unwrap()
        ),
        format!("pulse.sid={payload}"),
        format!("pulse.sid={}", &value[..value.len() / 2]),
        format!("pulse.sid={payload}.{}", &signature[..10]),
        format!("pulse.sid={}", value.replacen("v2.", "v3.", 1)),
        "pulse.sid=".to_owned(),
        "pulse.sid=garbage".to_owned(),
        "pulse.sid=v1..".to_owned(),
        "pulse.sid=v2.%%%.%%%".to_owned(),
        "pulse.sid=\"quoted\"".to_owned(),
        "pulse.sid".to_owned(),
        ";;;=;=pulse.sid==".to_owned(),
        format!("pulse.sid={}", "A".repeat(8000)),
        foreign,
    ];
    for cookie in &bad {
        let (data, set) = session_of(&base, Some(cookie)).await;
        assert_eq!(data, json!({}), "{cookie}");
        assert_eq!(set, None, "{cookie}");
        assert_eq!(
            get_with(&base, "/", Some(cookie)).await.status(),
            StatusCode::OK,
            "{cookie}"
        );
    }
    // Bytes outside visible ASCII in the header.
    let response = raw(
        &base,
        "GET /api/session HTTP/1.1\r\nHost: x\r\nCookie: pulse.sid=\u{e9}\u{ff}\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(raw_status(&response), 200, "{response}");
    // The good cookie still works afterwards.
    let (data, _) = session_of(&base, Some(&good)).await;
    assert_eq!(data, json!({"user_email": "ada@example.com"}));
}

#[tokio::test]
async fn a_session_too_large_for_a_cookie_is_refused_and_the_previous_data_kept() {
    let base = spawn(server()).await;
    let cookie = logged_in(&base).await;
    let big = "x".repeat(5000);
    let response = post_json(&base, "/api/session", &json!({"notes": big}), Some(&cookie)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(set_cookie_header(&response), None);
    let error: Value = response.json().await.unwrap();
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .contains("previous data kept"),
        "{error}"
    );
    let (data, _) = session_of(&base, Some(&cookie)).await;
    assert_eq!(data, json!({"user_email": "ada@example.com"}));

    // Up to the limit, it fits a cookie.
    let fits = "x".repeat(ps::server::COOKIE_DATA_LIMIT - 200);
    let response = post_json(
        &base,
        "/api/session",
        &json!({"notes": fits}),
        Some(&cookie),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = set_cookie_header(&response).unwrap();
    assert!(header.len() <= 4096, "{}", header.len());
    let (data, _) = session_of(&base, Some(&session_cookie(&response).unwrap())).await;
    assert_eq!(data["notes"].as_str().unwrap().len(), fits.len());
}

#[tokio::test]
async fn cookies_are_secure_over_https() {
    let base = spawn(server().scheme(ps::Scheme::Https)).await;
    let response = post_json(&base, "/api/session", &json!({"a": 1}), None).await;
    let header = set_cookie_header(&response).unwrap();
    assert!(header.contains("; Secure"), "{header}");
    let html = get_with(&base, "/", None).await.text().await.unwrap();
    assert!(html.contains(r#"<p id="scheme">https</p>"#));
}

#[tokio::test]
async fn the_memory_store_keeps_data_on_the_server_and_never_adopts_foreign_ids() {
    let store = ps::MemoryStore::new(secret());
    let base = spawn(
        app()
            .server()
            .routes(endpoints())
            .session_store(store.clone()),
    )
    .await;
    let cookie = logged_in(&base).await;
    assert!(cookie.starts_with("pulse.sid=m2."), "{cookie}");
    assert!(!cookie.contains("ada"), "{cookie}");
    assert_eq!(store.len(), 1);
    let (data, set) = session_of(&base, Some(&cookie)).await;
    assert_eq!(data, json!({"user_email": "ada@example.com"}));
    assert_eq!(set, None);

    let id_of = |cookie: &str| {
        cookie
            .trim_start_matches("pulse.sid=")
            .split('.')
            .nth(1)
            .unwrap()
            .to_owned()
    };
    let id = id_of(&cookie);
    // The cookie store's cookies, unsigned ids and forged signatures are all strangers.
    let cookie_store_cookie = logged_in(&spawn(server()).await).await;
    for stranger in [
        format!("pulse.sid={id}"),
        format!("pulse.sid=m2.{id}.AAAA"),
        "pulse.sid=m2.attacker-chosen.AAAA".to_owned(),
        cookie_store_cookie,
    ] {
        let response = post_json(&base, "/api/session", &json!({"x": 1}), Some(&stranger)).await;
        let issued = session_cookie(&response).unwrap();
        let issued_id = id_of(&issued);
        assert_ne!(issued_id, id, "{stranger}");
        assert_ne!(issued_id, "attacker-chosen", "{stranger}");
        let (data, _) = session_of(&base, Some(&issued)).await;
        assert_eq!(data, json!({"x": 1}), "{stranger}");
    }
}

#[tokio::test]
async fn routes_merged_after_building_have_no_session_and_say_so() {
    async fn needs_session(session: ps::Session) -> String {
        session.id().to_owned()
    }
    let router = server()
        .into_router()
        .merge(axum::Router::new().route("/late", axum::routing::get(needs_session)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await });
    assert_eq!(
        get_with(&base, "/late", None).await.status(),
        StatusCode::INTERNAL_SERVER_ERROR
    );
}

fn config(vars: &[(&str, &str)]) -> ps::Config {
    let vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    ps::Config::from_lookup(move |name| {
        vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    })
}

#[tokio::test]
async fn in_production_a_missing_secret_is_a_startup_error_naming_the_variable() {
    let prod = config(&[("PULSE_ENV", "prod")]);
    let error = prod.secret().unwrap_err();
    assert!(
        error.to_string().starts_with("PULSE_SECRET is not set"),
        "{error}"
    );
    let error = app()
        .server()
        .config(prod.clone())
        .try_into_router()
        .unwrap_err();
    assert!(error.to_string().contains("PULSE_SECRET"));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = app()
        .server()
        .config(prod)
        .serve_on(listener)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("PULSE_SECRET"), "{error}");

    // Set, it is used; too short, it is refused.
    let long = "a secret of at least thirty-two bytes!";
    assert!(
        config(&[("PULSE_ENV", "prod"), ("PULSE_SECRET", long)])
            .secret()
            .is_ok()
    );
    let error = config(&[("PULSE_ENV", "prod"), ("PULSE_SECRET", "short")])
        .secret()
        .unwrap_err();
    assert!(error.to_string().contains("at least 32 bytes"), "{error}");
    // An unknown environment name counts as prod.
    assert!(config(&[("PULSE_ENV", "production")]).secret().is_err());
}

#[tokio::test]
async fn outside_production_a_missing_secret_is_one_random_secret_per_process() {
    for env in ["dev", "ci"] {
        let cfg = config(&[("PULSE_ENV", env)]);
        assert_eq!(cfg.env().to_string(), env);
        assert!(cfg.secret().is_ok());
    }
    // Two servers of one process accept each other's cookies: the secret is per process.
    let dev = config(&[("PULSE_ENV", "dev")]);
    let a = spawn(app().server().routes(endpoints()).config(dev.clone())).await;
    let b = spawn(app().server().routes(endpoints()).config(dev)).await;
    let cookie = logged_in(&a).await;
    let (data, _) = session_of(&b, Some(&cookie)).await;
    assert_eq!(data, json!({"user_email": "ada@example.com"}));
}
