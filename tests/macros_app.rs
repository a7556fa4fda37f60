//! Behaviour of `pulse_app!` and `routes!`: the route table, the app-wide chain, and scoped
//! groups whose middleware runs after the app-wide chain, only for the group's routes.

use pulse as ps;

fn log(session: &ps::Session, entry: impl Into<String>) {
    let mut entries: Vec<String> = session.get("log").unwrap_or_default();
    entries.push(entry.into());
    session.insert("log", entries).unwrap();
}

fn entries(session: &ps::Session) -> Vec<String> {
    session.get("log").unwrap_or_default()
}

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(format!("<h1>{}</h1>", cx.pattern()))
}

async fn missing(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(format!("<h1>no page at {}</h1>", cx.route().pathname))
}

#[ps::middleware(prerender_route)]
async fn app_wide(path: &str, session: &ps::Session, next: ps::Next) {
    log(session, format!("app:{path}"));
    next.run().await
}

#[ps::middleware(prerender_route)]
async fn require_login(path: &str, session: &ps::Session, next: ps::Next) {
    log(session, format!("login:{path}"));
    if !session.contains("user_email") {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

#[ps::middleware(message)]
async fn admins_only(data: &ps::ClientMessage, session: &ps::Session, next: ps::Next) {
    log(
        session,
        format!("admin-message:{}", data.path().unwrap_or("")),
    );
    if !session.contains("admin") {
        return ps::Deny;
    }
    next.run().await
}

#[ps::middleware(prerender_route)]
async fn admin_pages(path: &str, session: &ps::Session, next: ps::Next) {
    log(session, format!("admin:{path}"));
    if !session.contains("admin") {
        return ps::Redirect::to("/dashboard?denied=1");
    }
    next.run().await
}

fn app() -> ps::App {
    ps::pulse_app! {
        routes: {
            "/" => page,
            "/login" => page,
            [require_login] {
                "/dashboard" => page,
                "/users/:id" => page,
                [admin_pages, admins_only] {
                    "/admin" => page,
                },
            },
        },
        middleware: [app_wide],
        not_found: missing,
    }
}

fn signed_in() -> ps::Session {
    let session = ps::Session::new();
    session.insert("user_email", "a@example.com").unwrap();
    session
}

async fn render(app: &ps::App, url: &str, session: &ps::Session) -> ps::PrerenderResponse {
    app.prerender(&ps::Request::get(url), session)
        .await
        .unwrap()
}

fn callback(path: &str) -> ps::ClientMessage {
    ps::ClientMessage::from_json(serde_json::json!({
        "type": "callback", "path": path, "callback": "go", "args": []
    }))
    .unwrap()
}

#[tokio::test]
async fn routes_outside_a_group_skip_its_middleware() {
    let app = app();
    let session = ps::Session::new();
    let response = render(&app, "/login", &session).await;
    assert!(
        matches!(response, ps::PrerenderResponse::Ok(_)),
        "{response:?}"
    );
    assert_eq!(entries(&session), ["app:/login"]);
}

#[tokio::test]
async fn group_middleware_runs_after_the_app_wide_chain_for_its_routes() {
    let app = app();
    let session = ps::Session::new();
    assert_eq!(
        render(&app, "/users/7", &session).await,
        ps::PrerenderResponse::Redirect(ps::Redirect::to("/login"))
    );
    assert_eq!(entries(&session), ["app:/users/:id", "login:/users/:id"]);

    let session = signed_in();
    let response = render(&app, "/dashboard", &session).await;
    let ps::PrerenderResponse::Ok(prerender) = response else {
        panic!("expected views, got {response:?}");
    };
    assert_eq!(prerender.views["/dashboard"].html, "<h1>/dashboard</h1>");
    assert_eq!(entries(&session), ["app:/dashboard", "login:/dashboard"]);
}

#[tokio::test]
async fn nested_groups_run_outer_group_first() {
    let app = app();
    let session = signed_in();
    assert_eq!(
        render(&app, "/admin", &session).await,
        ps::PrerenderResponse::Redirect(ps::Redirect::to("/dashboard?denied=1"))
    );
    assert_eq!(
        entries(&session),
        ["app:/admin", "login:/admin", "admin:/admin"]
    );
}

#[tokio::test]
async fn group_message_hooks_run_only_for_messages_to_its_routes() {
    let app = app();
    let session = signed_in();
    let request = ps::Request::get("/_pulse/ws");
    let execute = || async { ps::MessageResponse::Ok };
    assert_eq!(
        app.message(&callback("/dashboard"), &request, &session, execute)
            .await,
        ps::MessageResponse::Ok
    );
    assert_eq!(
        app.message(&callback("/admin"), &request, &session, execute)
            .await,
        ps::MessageResponse::Deny
    );
    assert_eq!(entries(&session), ["admin-message:/admin"]);
}

#[tokio::test]
async fn unknown_urls_render_the_not_found_page() {
    let app = app();
    let request = ps::Request::get("/nowhere");
    let session = ps::Session::new();
    assert_eq!(
        app.prerender(&request, &session).await.unwrap(),
        ps::PrerenderResponse::NotFound
    );
    assert_eq!(
        app.render_not_found(&request, &session).await.as_deref(),
        Some("<h1>no page at /nowhere</h1>")
    );
}

#[test]
fn routes_macro_builds_the_table_in_declaration_order() {
    let routes = ps::routes! {
        "/" => page,
        "/files/*" => page,
        [require_login] {
            "/users/:id" => page,
            "/settings/:tab?" => page,
        },
    };
    assert_eq!(
        routes.patterns().collect::<Vec<_>>(),
        ["/", "/files/*", "/users/:id", "/settings/:tab?"]
    );
    let app = app();
    assert_eq!(
        app.routes().patterns().collect::<Vec<_>>(),
        ["/", "/login", "/dashboard", "/users/:id", "/admin"]
    );
}
