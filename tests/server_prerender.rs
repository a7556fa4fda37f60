//! `POST /_pulse/prerender` over a real socket: Pulse's JSON shapes and error statuses.

mod server_support;

use reqwest::StatusCode;
use serde_json::{Value, json};
use server_support::*;

async fn prerender(base: &str, body: &str) -> (StatusCode, Value) {
    let response = client()
        .post(format!("{base}/_pulse/prerender"))
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn renders_views_with_directives() {
    let base = spawn(server()).await;
    let body = json!({
        "paths": ["/users/:id"],
        "routeInfo": {"pathname": "/users/7", "pathParams": {"id": "7"}},
        "ttlSeconds": 30, "renderId": "ignored"
    });
    let (status, json) = prerender(&base, &body.to_string()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        json,
        json!({
            "views": {"/users/:id": {"path": "/users/:id", "html": "<p>user 7</p>"}},
            "directives": {"headers": {}, "query": {}}
        })
    );
    // A leading `/` may be omitted, as in Pulse.
    let (status, json) = prerender(
        &base,
        r#"{"paths": ["users/:id"], "routeInfo": {"pathParams": {"id": "8"}}}"#,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{json}");
}

#[tokio::test]
async fn answers_redirect_and_not_found_as_json() {
    let base = spawn(server()).await;
    let (status, json) = prerender(
        &base,
        r#"{"paths": ["/bounce"], "routeInfo": {"pathname": "/bounce", "queryParams": {"to": "/login"}}}"#,
    )
    .await;
    assert_eq!(
        (status, json),
        (StatusCode::OK, json!({"redirect": "/login"}))
    );
    let (status, json) = prerender(&base, r#"{"paths": ["/gone"]}"#).await;
    assert_eq!((status, json), (StatusCode::OK, json!({"notFound": true})));
}

#[tokio::test]
async fn bad_payloads_are_400s_and_unknown_paths_404s() {
    let base = spawn(server()).await;
    let (status, json) = prerender(&base, r#"{"paths": []}"#).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(json, json!({"detail": "'paths' must be a non-empty list"}));
    for body in [
        "",
        "{not json",
        "[]",
        "null",
        r#"{"paths": "/"}"#,
        r#"{"paths": [1]}"#,
        r#"{"routeInfo": {}}"#,
        r#"{"paths": ["/"], "routeInfo": {"pathname": 5}}"#,
    ] {
        let (status, json) = prerender(&base, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert!(
            json["detail"]
                .as_str()
                .unwrap()
                .starts_with("invalid prerender payload"),
            "{json}"
        );
    }
    let (status, json) = prerender(&base, r#"{"paths": ["/nope"]}"#).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(json, json!({"detail": "unknown route `/nope`"}));
}

/// A derived `Deserialize` also reads a struct from an array of its fields, so `[]` once passed
/// as an empty URL; `routeInfo` is an object or nothing.
#[tokio::test]
async fn route_info_that_is_not_an_object_is_a_400() {
    let base = spawn(server()).await;
    for route_info in ["[]", r#"["/users/7"]"#, r#""/""#, "7", "null"] {
        let body = format!(r#"{{"paths": ["/"], "routeInfo": {route_info}}}"#);
        let (status, json) = prerender(&base, &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        let detail = json["detail"].as_str().unwrap();
        assert!(
            detail.starts_with("invalid prerender payload") && detail.contains("routeInfo object"),
            "{json}"
        );
    }
    let (status, _) = prerender(&base, r#"{"paths": ["/"], "routeInfo": {}}"#).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn panics_and_offsite_redirects_are_500s_and_the_server_keeps_serving() {
    let base = spawn(server()).await;
    let offsite =
        r#"{"paths": ["/bounce"], "routeInfo": {"queryParams": {"to": "//evil.example/"}}}"#;
    for body in [
        r#"{"paths": ["/boom-hook"]}"#,
        r#"{"paths": ["/boom-page"]}"#,
        offsite,
    ] {
        let (status, json) = prerender(&base, body).await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR, "{body}");
        assert_eq!(json, json!({"detail": "internal server error"}));
        let (status, _) = prerender(&base, r#"{"paths": ["/"]}"#).await;
        assert_eq!(status, StatusCode::OK);
    }
}

#[tokio::test]
async fn only_post_is_allowed() {
    let base = spawn(server()).await;
    let response = client()
        .get(format!("{base}/_pulse/prerender"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
}
