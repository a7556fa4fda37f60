//! The route table: precedence, decoding, query parameters, conflicts.

use pulse_core as ps;

async fn page(_: ps::PageContext) -> ps::Markup {
    ps::html! { "page" }
}

fn table() -> ps::Routes {
    ps::Routes::new()
        .route("/", page)
        .route("/users/new", page)
        .route("/users/:id", page)
        .route("/users/:id/tabs/:tab?", page)
        .route("/files/*", page)
}

#[test]
fn the_most_specific_route_wins() {
    let routes = table();
    let pattern = |url: &str| routes.resolve(url).map(|(p, _)| p.to_owned());
    assert_eq!(pattern("/").as_deref(), Some("/"));
    assert_eq!(pattern("/users/new").as_deref(), Some("/users/new"));
    assert_eq!(pattern("/users/42").as_deref(), Some("/users/:id"));
    assert_eq!(pattern("/users/42/").as_deref(), Some("/users/:id"));
    assert_eq!(
        pattern("/users/42/tabs").as_deref(),
        Some("/users/:id/tabs/:tab?")
    );
    assert_eq!(
        pattern("/users/42/tabs/posts").as_deref(),
        Some("/users/:id/tabs/:tab?")
    );
    assert_eq!(pattern("/files").as_deref(), Some("/files/*"));
    assert_eq!(pattern("/files/a/b").as_deref(), Some("/files/*"));
    assert_eq!(pattern("/nope"), None);
    assert_eq!(pattern("/users"), None);
}

#[test]
fn route_info_is_decoded_and_complete() {
    let routes = table();
    let (_, info) = routes
        .resolve("/users/j%C3%B6rg%20x/tabs/posts?sort=new&q=a%20b&q=last#frag")
        .unwrap();
    assert_eq!(info.pathname, "/users/j%C3%B6rg%20x/tabs/posts");
    assert_eq!(info.path_params["id"], "jörg x");
    assert_eq!(info.path_params["tab"], "posts");
    assert_eq!(info.query, "sort=new&q=a%20b&q=last");
    assert_eq!(info.query_params["sort"], "new");
    assert_eq!(
        info.query_params["q"], "last",
        "one value per key, the last wins"
    );
    assert_eq!(info.hash, "frag");
    let (_, info) = routes.resolve("/files/docs/a%2Fb.txt").unwrap();
    assert_eq!(info.catchall, ["docs", "a/b.txt"]);
    // Invalid UTF-8 in a parameter does not fail the request.
    let (_, info) = routes.resolve("/users/%FF").unwrap();
    assert_eq!(info.path_params["id"], "\u{FFFD}");
}

#[test]
fn route_info_uses_pulse_wire_names() {
    let (_, info) = table().resolve("/users/7?x=1").unwrap();
    let json = serde_json::to_value(&info).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "pathname": "/users/7", "hash": "", "query": "x=1",
            "queryParams": {"x": "1"}, "pathParams": {"id": "7"}, "catchall": []
        })
    );
}

#[test]
fn conflicting_or_malformed_routes_are_refused() {
    let err = |r: Result<ps::Routes, ps::RouteError>| r.unwrap_err().to_string();
    assert_eq!(
        err(ps::Routes::new().route("/a", page).try_route("/a", page)),
        "duplicate route `/a`"
    );
    assert_eq!(
        err(ps::Routes::new()
            .route("/users/:id", page)
            .try_route("/users/:name", page)),
        "routes `/users/:id` and `/users/:name` match the same URLs; rename one so they differ"
    );
    assert_eq!(
        err(ps::Routes::new().try_route("users", page)),
        "invalid route pattern `users`: a route pattern must start with `/`"
    );
    assert!(err(ps::Routes::new().try_route("/_pulse/ws", page)).contains("reserves"));
    // A group's routes are checked against the rest of the table too.
    let grouped = ps::Routes::new()
        .route("/a", page)
        .try_group((), ps::Routes::new().route("/a", page));
    assert_eq!(err(grouped), "duplicate route `/a`");
}

#[test]
#[should_panic(expected = "duplicate route `/a`")]
fn route_panics_like_axum_on_a_conflict() {
    let _ = ps::Routes::new().route("/a", page).route("/a", page);
}
