//! `GET <path>` over a real socket: the HTML document, 404s, redirects (local only), panics.

mod server_support;

use pulse_test::pulse_state;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::json;
use server_support::*;

#[tokio::test]
async fn a_page_is_a_document_with_wrapped_views_state_and_the_client_script() {
    let base = spawn(server()).await;
    let response = get_with(&base, "/users/42?tab=a%3Cb", None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8");
    assert_eq!(response.headers()["cache-control"], "private, no-store");
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{html}");
    assert!(
        html.contains(r#"<div data-pulse-view="/users/:id"><p>user 42</p></div>"#),
        "{html}"
    );
    assert!(html.contains(r#"<script src="/_pulse/client.js" defer></script>"#));
    // The query holds `<`: escaped in the script element, intact once parsed.
    assert!(!html.contains("a<b"), "{html}");
    let state = pulse_state(&html);
    assert_eq!(state["paths"], json!(["/users/:id"]));
    assert_eq!(state["routeInfo"]["pathname"], "/users/42");
    assert_eq!(state["routeInfo"]["pathParams"], json!({"id": "42"}));
    assert_eq!(state["routeInfo"]["queryParams"], json!({"tab": "a<b"}));
    // No view of this page has callbacks: the client opens no socket.
    assert_eq!(state["live"], false, "{state}");
    assert_eq!(state.as_object().unwrap().len(), 3, "{state}");
}

/// Pages and the app's endpoints (through axum's `ConnectInfo` extractor) see the peer of the
/// connection the request came on, request after request on a kept-alive connection: pages
/// reached directly and through axum's router alike.
#[tokio::test]
async fn pages_and_endpoints_see_the_connection_peer() {
    for base in [spawn(server()).await, spawn(routed_server()).await] {
        see_the_connection_peer(&base).await;
    }
}

async fn see_the_connection_peer(base: &str) {
    for ip in [[127, 0, 0, 7], [127, 0, 0, 8]] {
        let http = pulse_test::http_client_from(ip);
        let expected = format!("{}.{}.{}.{}", ip[0], ip[1], ip[2], ip[3]);
        for _ in 0..2 {
            let html = http.get(format!("{base}/")).send().await.unwrap();
            let html = html.text().await.unwrap();
            let client = format!(r#"<p id="client">{expected}</p>"#);
            assert!(html.contains(&client), "{client} in {html}");
            let endpoint = http.get(format!("{base}/api/peer")).send().await.unwrap();
            assert_eq!(endpoint.status(), StatusCode::OK);
            assert_eq!(endpoint.text().await.unwrap(), expected);
        }
    }
}

#[tokio::test]
async fn pages_see_the_request_method_headers_cookies_query_client_and_scheme() {
    let base = spawn(server()).await;
    let html = client()
        .get(format!("{base}/?a=1&b=2"))
        .header("user-agent", "pulse-test")
        .header("cookie", "theme=dark; other=1")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for expected in [
        r#"<p id="client">127.0.0.1</p>"#,
        r#"<p id="scheme">http</p>"#,
        r#"<p id="method">GET</p>"#,
        r#"<p id="agent">pulse-test</p>"#,
        r#"<p id="theme">dark</p>"#,
        r#"<p id="query">a=1&amp;b=2</p>"#,
    ] {
        assert!(html.contains(expected), "{expected} in {html}");
    }
}

#[tokio::test]
async fn unknown_paths_and_not_found_hooks_answer_404_with_the_apps_page() {
    let base = spawn(server()).await;
    for path in ["/nope", "/users/1/extra", "/gone", "/_pulse/nope"] {
        let response = get_with(&base, path, None).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{path}");
        let html = response.text().await.unwrap();
        assert!(html.contains("<h1>Nothing at "), "{path}: {html}");
        assert!(!html.contains("pulse-state"), "{html}");
    }
}

#[tokio::test]
async fn without_a_not_found_page_the_404_names_the_path_and_links_home() {
    let base = spawn(ps_server_without_not_found()).await;
    let response = get_with(&base, "/nope%3Cb", None).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let html = response.text().await.unwrap();
    assert!(html.contains("<title>Page not found</title>"), "{html}");
    assert!(html.contains("<code>/nope%3Cb</code>"), "{html}");
    assert!(
        html.contains(r#"<a href="/">Go to the home page</a>"#),
        "{html}"
    );
}

fn ps_server_without_not_found() -> pulse::Server {
    async fn home(_: pulse::PageContext) -> pulse::Markup {
        pulse::html! { "home" }
    }
    pulse::App::new(pulse::Routes::new().route("/", home), ())
        .server()
        .session_store(pulse::CookieStore::new(secret()))
}

#[tokio::test]
async fn local_redirects_are_302s_and_offsite_ones_are_refused() {
    let base = spawn(server()).await;
    let response = get_with(&base, "/bounce?to=/users/7", None).await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(response.headers()[LOCATION], "/users/7");

    for target in [
        "//evil.example/",
        "/\\evil.example",
        "https://evil.example/",
        "/\r\nSet-Cookie: x=y",
        "",
    ] {
        let path = format!("/bounce?to={}", urlencode(target));
        let response = get_with(&base, &path, None).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{target}"
        );
        assert!(response.headers().get(LOCATION).is_none(), "{target}");
    }
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

#[tokio::test]
async fn crafted_request_targets_never_redirect_offsite() {
    let base = spawn(server()).await;
    for target in [
        "//evil.example/",
        "//evil.example",
        "/\\evil.example",
        "/\\/evil.example/",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "///evil.example",
    ] {
        let response = raw_get(&base, target).await;
        let status = raw_status(&response);
        assert!(status == 404 || status == 400, "{target}: {response}");
        if let Some(location) = raw_location(&response) {
            assert!(
                pulse::Redirect::to(location.clone()).is_local(),
                "{target}: {location}"
            );
        }
    }
    // An encoded `//` is a parameter's value, never a host.
    let response = raw_get(&base, "/users/%2F%2Fevil.example").await;
    assert_eq!(raw_status(&response), 200, "{response}");
}

#[tokio::test]
async fn a_panicking_hook_or_page_is_a_500_and_the_server_keeps_serving() {
    let base = spawn(server()).await;
    for path in ["/boom-hook", "/boom-page", "/api/panic"] {
        let response = get_with(&base, path, None).await;
        assert_eq!(
            response.status(),
            StatusCode::INTERNAL_SERVER_ERROR,
            "{path}"
        );
        let body = response.text().await.unwrap();
        assert!(
            !body.contains("exploded"),
            "panic details stay on the server: {body}"
        );
        assert_eq!(get_with(&base, "/", None).await.status(), StatusCode::OK);
    }
}

#[tokio::test]
async fn pages_answer_get_and_head_only() {
    let base = spawn(server()).await;
    let response = client().head(format!("{base}/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.unwrap().is_empty());
    let response = client().post(format!("{base}/")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(response.headers()["allow"], "GET, HEAD");
}

/// A raw response with what differs between two servers taken out: the `Date` header and the
/// values of session cookies (random ids), headers sorted (hyper and axum set `Content-Length`
/// at different places).
fn comparable(response: &str) -> String {
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((response, ""));
    let mut lines = head.lines();
    let status = lines.next().unwrap_or_default().to_owned();
    let mut headers: Vec<String> = lines
        .filter(|line| !line.to_ascii_lowercase().starts_with("date:"))
        .map(|line| match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("set-cookie") => {
                let (cookie, attributes) = value.split_once(';').unwrap_or((value, ""));
                let name = cookie.split('=').next().unwrap_or_default();
                format!("set-cookie: {name}=…;{attributes}")
            }
            _ => line.to_ascii_lowercase(),
        })
        .collect();
    headers.sort();
    format!("{status}\n{}\n\n{body}", headers.join("\n"))
}

/// A server given its endpoints one by one (`Server::route`) sends a page request to the pages
/// directly; one given a router (`Server::routes`) passes every request through axum's router,
/// pages being its fallback. Both answer every request alike, byte for byte: pages, `HEAD`
/// (headers with the length, no body), other methods, 404s, redirects (and a refused open
/// redirect), a panic, the endpoints and their wrong methods, the framework's routes and
/// unknown paths under them, odd paths.
#[tokio::test]
async fn pages_answer_alike_whether_the_endpoint_paths_are_known_or_not() {
    let direct = spawn(server()).await;
    let routed = spawn(routed_server()).await;
    let requests = [
        ("GET", "/"),
        ("HEAD", "/"),
        ("GET", "/users/42?tab=a"),
        ("HEAD", "/users/42"),
        ("GET", "/users/42/"),
        ("GET", "/%75sers/42"),
        ("GET", "//users/42"),
        ("GET", "/count"),
        ("GET", "/gone"),
        ("GET", "/bounce?to=/users/1"),
        ("GET", "/bounce?to=//evil.example"),
        ("GET", "/boom-page"),
        ("POST", "/"),
        ("DELETE", "/users/1"),
        ("GET", "/nowhere"),
        ("HEAD", "/nowhere"),
        ("GET", "/favicon.ico"),
        ("GET", "/api/session"),
        ("HEAD", "/api/session"),
        ("PUT", "/api/session"),
        ("GET", "/api/peer"),
        ("GET", "/api/nowhere"),
        ("GET", "/api"),
        ("GET", "/_pulse/client.js"),
        ("GET", "/_pulse/nowhere"),
        ("GET", "/_pulse/prerender"),
        ("GET", "/_pulse"),
    ];
    for (method, target) in requests {
        let request = format!(
            "{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        );
        let (direct, routed) = (raw(&direct, &request).await, raw(&routed, &request).await);
        assert!(
            direct.starts_with("HTTP/1.1 "),
            "{method} {target}: {direct}"
        );
        assert_eq!(
            comparable(&direct),
            comparable(&routed),
            "{method} {target}"
        );
        if method == "HEAD" {
            assert!(direct.ends_with("\r\n\r\n"), "{method} {target}: {direct}");
        }
    }
    // A `HEAD` page tells the length of the `GET` page's body (a page that does not show the
    // method).
    let request = |method| {
        format!("{method} /users/42 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
    };
    let page = raw(&direct, &request("GET")).await;
    let head = raw(&direct, &request("HEAD")).await;
    let body = page.split_once("\r\n\r\n").unwrap().1;
    assert!(body.contains("user 42"), "{page}");
    let length = format!("content-length: {}\r\n", body.len());
    assert!(
        head.to_ascii_lowercase().contains(&length),
        "{length} in {head}"
    );
}

/// "No route matched" belongs to pages: a router of the app's own with a fallback is refused
/// when the server is built (as `Server::routes` says), not silently replaced by the pages.
#[tokio::test]
async fn endpoints_with_a_fallback_of_their_own_are_refused() {
    let endpoints = || axum::Router::new().route("/api/x", axum::routing::get(|| async { "x" }));
    let with_fallback = || endpoints().fallback(|| async { "mine" });
    let built = std::panic::catch_unwind(|| server().routes(with_fallback()).into_router());
    assert!(
        built.is_err(),
        "a fallback among the endpoints must be refused"
    );
    // The same endpoints without it are served beside the pages, which answer the rest.
    let base = spawn(server().routes(endpoints())).await;
    let endpoint = get_with(&base, "/api/x", None).await;
    assert_eq!(endpoint.status(), StatusCode::OK);
    assert_eq!(endpoint.text().await.unwrap(), "x");
    let page = get_with(&base, "/users/7", None).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("user 7"));
    assert_eq!(
        get_with(&base, "/api/nothing-here", None).await.status(),
        StatusCode::NOT_FOUND
    );
}
