//! The flagship's pages as a newcomer's browser sees them (`examples/auth.rs`, over a real
//! socket): titles, the shared layout and its landmarks, labelled form fields, a sign-in form
//! that works without JavaScript, and a 404 page that helps a lost visitor on.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

mod server_support;

#[path = "../examples/auth.rs"]
mod auth;

use pulse as ps;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION};
use server_support::*;

async fn start() -> String {
    spawn(auth::server(ps::Env::Ci).session_store(ps::CookieStore::new(secret()))).await
}

async fn page(base: &str, path: &str, cookie: Option<&str>) -> (StatusCode, String) {
    let response = get_with(base, path, cookie).await;
    (response.status(), response.text().await.unwrap())
}

/// A form POST as a browser without JavaScript sends it.
async fn post_form(base: &str, body: &str) -> reqwest::Response {
    client()
        .post(format!("{base}/api/login"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn every_page_has_a_title_one_h1_and_the_layouts_landmarks() {
    let base = start().await;
    let response = post_form(&base, "email=ada%40example.com&password=pulse").await;
    let cookie = session_cookie(&response).unwrap();
    for (path, title, status) in [
        ("/", "Home", StatusCode::OK),
        ("/login", "Sign in", StatusCode::OK),
        ("/dashboard", "Dashboard", StatusCode::OK),
        ("/nowhere", "Page not found", StatusCode::NOT_FOUND),
    ] {
        let (got, html) = page(&base, path, Some(&cookie)).await;
        assert_eq!(got, status, "{path}");
        let expected = format!("<title>{title} · Pulse auth example</title>");
        assert!(html.contains(&expected), "{path}: {html}");
        assert!(
            html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"),
            "{path}"
        );
        assert_eq!(html.matches("<h1>").count(), 1, "{path}: {html}");
        assert_eq!(
            html.matches("<main id=\"main\">").count(),
            1,
            "{path}: {html}"
        );
        assert!(
            html.contains(r##"<a class="skip" href="#main">"##),
            "{path}"
        );
        assert!(html.contains(r#"<nav aria-label="Main">"#), "{path}");
        assert!(html.contains("<style>"), "{path}: the app's stylesheet");
    }
    // The current page is marked in the navigation.
    let (_, html) = page(&base, "/dashboard", Some(&cookie)).await;
    assert!(
        html.contains(r#"<a href="/dashboard" aria-current="page">Dashboard</a>"#),
        "{html}"
    );
}

#[tokio::test]
async fn the_sign_in_form_posts_labelled_fields_and_never_puts_the_password_in_a_url() {
    let base = start().await;
    let (_, html) = page(&base, "/login", None).await;
    assert!(
        html.contains(r#"<form method="post" action="/api/login">"#),
        "{html}"
    );
    // Each input sits inside its label (its accessible name).
    assert!(
        html.contains(r#"<label>Email<input name="email""#),
        "{html}"
    );
    assert!(
        html.contains(r#"<label>Password<input name="password" type="password""#),
        "{html}"
    );
    assert!(
        !html.contains("<script>"),
        "the form needs no script: {html}"
    );
}

#[tokio::test]
async fn signing_in_without_javascript_is_a_post_answered_with_303s() {
    let base = start().await;
    let response = post_form(&base, "email=ada%40example.com&password=pulse").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()[LOCATION], "/dashboard");
    let cookie = session_cookie(&response).expect("signed in");
    let (status, html) = page(&base, "/dashboard", Some(&cookie)).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("ada@example.com"), "{html}");
    assert!(
        html.contains(r#"<span id="count">0</span> times"#),
        "{html}"
    );

    for wrong in [
        "email=ada%40example.com&password=nope",
        "email=&password=pulse",
        "email=ada%40example.com",
        "%ff%fe=%00",
    ] {
        let response = post_form(&base, wrong).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{wrong}");
        assert_eq!(response.headers()[LOCATION], "/login?error=1", "{wrong}");
        assert_eq!(session_cookie(&response), None, "{wrong}");
    }
    let (_, html) = page(&base, "/login?error=1", None).await;
    assert!(
        html.contains(r#"<p id="error" role="alert">Invalid email or password.</p>"#),
        "{html}"
    );
    // Signed in, the navigation no longer offers "Sign in".
    let (_, html) = page(&base, "/", Some(&cookie)).await;
    assert!(!html.contains(r#"<a href="/login""#), "{html}");
}

#[tokio::test]
async fn a_lost_visitor_gets_the_layout_and_a_way_home() {
    let base = start().await;
    let response = client()
        .get(format!("{base}/dashbord"))
        .header(COOKIE, "")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.unwrap();
    assert!(html.contains("<code>/dashbord</code>"), "{html}");
    assert!(
        html.contains(r#"<a href="/">Go to the home page</a>"#),
        "{html}"
    );
    assert!(html.contains(r#"<nav aria-label="Main">"#), "{html}");
}
