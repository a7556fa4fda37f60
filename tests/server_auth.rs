//! The flagship scenario (`examples/auth.rs`) over a real socket: anonymous redirect, login,
//! cookie, dashboard with the email, logout.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

mod server_support;

#[path = "../examples/auth.rs"]
mod auth;

use pulse as ps;
use reqwest::StatusCode;
use reqwest::header::{COOKIE, LOCATION};
use serde_json::{Value, json};
use server_support::*;

async fn start() -> String {
    spawn(auth::server(ps::Env::Ci).session_store(ps::CookieStore::new(secret()))).await
}

#[tokio::test]
async fn anonymous_visitors_see_public_pages_and_are_sent_to_login() {
    let base = start().await;
    let http = client();
    for public in ["/", "/login"] {
        let response = http.get(format!("{base}{public}")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{public}");
        assert_eq!(
            set_cookie_header(&response),
            None,
            "no cookie for a visitor who wrote nothing"
        );
    }
    let response = http.get(format!("{base}/dashboard")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[LOCATION], "/login");
}

#[tokio::test]
async fn login_sets_the_session_and_the_dashboard_shows_the_email_until_logout() {
    let base = start().await;
    let http = client();

    let response = http
        .post(format!("{base}/api/login"))
        .json(&json!({"email": "ada@example.com", "password": "pulse"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let header = set_cookie_header(&response).expect("login sets the session cookie");
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=604800"] {
        assert!(header.contains(attribute), "{header}");
    }
    assert!(!header.contains("Secure"), "plain http: {header}");
    let cookie = session_cookie(&response).unwrap();
    assert_eq!(response.json::<Value>().await.unwrap(), json!({"ok": true}));

    let response = pulse_test::get_with_cookie(&http, &format!("{base}/dashboard"), &cookie).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        set_cookie_header(&response),
        None,
        "unchanged session: no Set-Cookie"
    );
    let html = response.text().await.unwrap();
    assert!(
        html.contains(r#"<strong id="email">ada@example.com</strong>"#),
        "{html}"
    );

    let response = http
        .post(format!("{base}/api/logout"))
        .header(COOKIE, &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let logged_out = session_cookie(&response).expect("logout rewrites the cookie");

    let response =
        pulse_test::get_with_cookie(&http, &format!("{base}/dashboard"), &logged_out).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[LOCATION], "/login");
}

#[tokio::test]
async fn a_wrong_password_or_a_malformed_body_is_refused_with_json() {
    let base = start().await;
    let http = client();
    let response = http
        .post(format!("{base}/api/login"))
        .json(&json!({"email": "ada@example.com", "password": "nope"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(set_cookie_header(&response), None);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"error": "invalid email or password"})
    );

    let response = http
        .post(format!("{base}/api/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(response.json::<Value>().await.unwrap()["error"].is_string());
}

#[tokio::test]
async fn the_prerender_endpoint_redirects_anonymous_users_and_renders_for_logged_in_ones() {
    let base = start().await;
    let http = client();
    let body = json!({"paths": ["/dashboard"], "routeInfo": {"pathname": "/dashboard"}});
    let response = http
        .post(format!("{base}/_pulse/prerender"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.json::<Value>().await.unwrap(),
        json!({"redirect": "/login"})
    );

    let login = http
        .post(format!("{base}/api/login"))
        .json(&json!({"email": "ada@example.com", "password": "pulse"}))
        .send()
        .await
        .unwrap();
    let cookie = session_cookie(&login).unwrap();
    let response = http
        .post(format!("{base}/_pulse/prerender"))
        .header(COOKIE, cookie)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let json: Value = response.json().await.unwrap();
    let html = json["views"]["/dashboard"]["html"].as_str().unwrap();
    assert!(html.contains("ada@example.com"), "{json}");
}

#[tokio::test]
async fn anonymous_websockets_are_refused_by_the_connect_hook() {
    let app = auth::app(ps::Env::Ci);
    let request = ps::Request::get("/_pulse/ws");
    let session = ps::Session::new();
    assert_eq!(
        app.connect(&request, &session).await,
        ps::ConnectResponse::Deny
    );
    session.insert("user_email", "ada@example.com").unwrap();
    assert_eq!(
        app.connect(&request, &session).await,
        ps::ConnectResponse::Ok
    );
}
