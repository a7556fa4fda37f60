//! Behaviour of `#[ps::middleware]` items driven through `ps::App`: listed order is execution
//! order, parameters arrive by name, results convert per hook, `dev` middleware is filtered.

use pulse as ps;

/// Appends `entry` to the session's `log`, so each test observes only its own requests.
fn log(session: &ps::Session, entry: impl Into<String>) {
    let mut entries: Vec<String> = session.get("log").unwrap_or_default();
    entries.push(entry.into());
    session.insert("log", entries).unwrap();
}

fn entries(session: &ps::Session) -> Vec<String> {
    session.get("log").unwrap_or_default()
}

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(format!("<h1>page {}</h1>", cx.pattern()))
}

#[ps::middleware(prerender)]
async fn outer(payload: &ps::PrerenderPayload, session: &ps::Session, next: ps::Next) {
    log(session, format!("outer-in:{}", payload.paths.join(",")));
    let out = next.run().await;
    log(session, "outer-out");
    out
}

#[ps::middleware(prerender_route)]
async fn require_login(
    path: &str,
    route_info: &ps::RouteInfo,
    session: &ps::Session,
    next: ps::Next,
) -> ps::RoutePrerenderResponse {
    log(session, format!("login:{path}:{}", route_info.pathname));
    if ["/", "/login"].contains(&path) {
        return next.run().await;
    }
    if !session.contains("user_email") {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

#[ps::middleware(prerender_route)]
async fn hide_drafts(route_info: &ps::RouteInfo, session: &ps::Session, next: ps::Next) {
    log(session, "drafts");
    match route_info.path_params.get("id").map(String::as_str) {
        Some("draft") => ps::NotFound,
        _ => next.run().await,
    }
}

#[ps::middleware(connect)]
async fn reject_anonymous(request: &ps::Request, session: &ps::Session, next: ps::Next) {
    log(session, format!("connect:{}", request.path()));
    if !session.contains("user_email") {
        return ps::Deny;
    }
    next.run().await
}

#[ps::middleware(message)]
async fn no_admin_callbacks(data: &ps::ClientMessage, session: &ps::Session, next: ps::Next) {
    log(session, format!("message:{}", data.kind()));
    if data.path() == Some("/admin") {
        ps::Deny
    } else {
        next.run().await
    }
}

#[ps::middleware(channel)]
async fn rooms(
    channel_id: &str,
    event: &str,
    request_id: Option<&str>,
    session: &ps::Session,
    next: ps::Next,
) -> ps::ChannelResponse {
    log(
        session,
        format!("channel:{channel_id}:{event}:{request_id:?}"),
    );
    if channel_id.starts_with("private:") {
        return ps::Deny;
    }
    next.run().await
}

#[ps::middleware(connect, dev)]
async fn dev_banner(session: &ps::Session, next: ps::Next) {
    log(session, "dev-banner");
    next.run().await
}

/// Several hooks in one type, with state.
struct Audit {
    name: &'static str,
}

#[ps::middleware]
impl Audit {
    async fn connect(&self, session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
        log(session, format!("{}-in:connect", self.name));
        let verdict = next.run().await;
        log(session, format!("{}-out:connect:{verdict:?}", self.name));
        verdict
    }

    async fn prerender_route(&self, path: &str, session: &ps::Session, next: ps::Next) {
        log(session, format!("{}:{path}", self.name));
        next.run().await
    }
}

fn app() -> ps::App {
    ps::App::new(
        ps::Routes::new()
            .route("/", page)
            .route("/login", page)
            .route("/posts/:id", page)
            .route("/admin", page),
        ps::stack![
            Audit { name: "audit" },
            outer,
            require_login,
            hide_drafts,
            reject_anonymous,
            no_admin_callbacks,
            rooms,
        ],
    )
}

fn callback(path: &str) -> ps::ClientMessage {
    ps::ClientMessage::from_json(serde_json::json!({
        "type": "callback", "path": path, "callback": "go", "args": []
    }))
    .unwrap()
}

#[tokio::test]
async fn prerender_hooks_run_in_listed_order_with_their_parameters() {
    let session = ps::Session::new();
    session.insert("user_email", "a@example.com").unwrap();
    let response = app()
        .prerender(&ps::Request::get("/posts/7"), &session)
        .await
        .unwrap();
    let ps::PrerenderResponse::Ok(prerender) = response else {
        panic!("expected views, got {response:?}");
    };
    assert_eq!(
        prerender.views["/posts/:id"].html,
        "<h1>page /posts/:id</h1>"
    );
    assert_eq!(
        entries(&session),
        [
            "outer-in:/posts/:id",
            "audit:/posts/:id",
            "login:/posts/:id:/posts/7",
            "drafts",
            "outer-out",
        ]
    );
}

#[tokio::test]
async fn a_literal_redirect_stops_the_chain() {
    let session = ps::Session::new();
    let response = app()
        .prerender(&ps::Request::get("/posts/7"), &session)
        .await
        .unwrap();
    assert_eq!(
        response,
        ps::PrerenderResponse::Redirect(ps::Redirect::to("/login"))
    );
    // `hide_drafts`, listed after `require_login`, never ran.
    assert_eq!(
        entries(&session),
        [
            "outer-in:/posts/:id",
            "audit:/posts/:id",
            "login:/posts/:id:/posts/7",
            "outer-out",
        ]
    );
}

#[tokio::test]
async fn a_tail_not_found_in_a_match_arm_converts() {
    let session = ps::Session::new();
    session.insert("user_email", "a@example.com").unwrap();
    let response = app()
        .prerender(&ps::Request::get("/posts/draft"), &session)
        .await
        .unwrap();
    assert_eq!(response, ps::PrerenderResponse::NotFound);
}

#[tokio::test]
async fn connect_denies_and_the_outer_middleware_sees_the_deny() {
    let session = ps::Session::new();
    let verdict = app()
        .connect(&ps::Request::get("/_pulse/ws"), &session)
        .await;
    assert_eq!(verdict, ps::ConnectResponse::Deny);
    assert_eq!(
        entries(&session),
        [
            "audit-in:connect",
            "connect:/_pulse/ws",
            "audit-out:connect:Deny"
        ]
    );

    let session = ps::Session::new();
    session.insert("user_email", "a@example.com").unwrap();
    let verdict = app()
        .connect(&ps::Request::get("/_pulse/ws"), &session)
        .await;
    assert_eq!(verdict, ps::ConnectResponse::Ok);
}

#[tokio::test]
async fn message_and_channel_hooks_get_their_parameters() {
    let session = ps::Session::new();
    let request = ps::Request::get("/_pulse/ws");
    let app = app();
    let ok = app
        .message(&callback("/"), &request, &session, || async {
            ps::MessageResponse::Ok
        })
        .await;
    assert_eq!(ok, ps::MessageResponse::Ok);
    let denied = app
        .message(&callback("/admin"), &request, &session, || async {
            panic!("a denied message must not execute")
        })
        .await;
    assert_eq!(denied, ps::MessageResponse::Deny);

    let public = ps::ChannelMessage {
        channel_id: "lobby".to_owned(),
        event: "say".to_owned(),
        payload: serde_json::json!({}),
        request_id: Some("r1".to_owned()),
    };
    let ok = app
        .channel(&public, &session, || async { ps::ChannelResponse::Ok })
        .await;
    assert_eq!(ok, ps::ChannelResponse::Ok);
    let private = ps::ChannelMessage {
        channel_id: "private:x".to_owned(),
        request_id: None,
        ..public
    };
    let denied = app
        .channel(&private, &session, || async { ps::ChannelResponse::Ok })
        .await;
    assert_eq!(denied, ps::ChannelResponse::Deny);
    assert_eq!(
        entries(&session),
        [
            "message:callback",
            "message:callback",
            "channel:lobby:say:Some(\"r1\")",
            "channel:private:x:say:None",
        ]
    );
}

#[tokio::test]
async fn dev_middleware_runs_only_in_dev() {
    use ps::PulseMiddleware as _;
    let session = ps::Session::new();
    session.insert("user_email", "a@example.com").unwrap();
    let request = ps::Request::get("/_pulse/ws");
    let args = ps::ConnectArgs {
        request: &request,
        session: &session,
    };
    let end = || ps::next_fn(|| async { ps::ConnectResponse::Ok });
    let prod = ps::Chain::new_in(ps::Env::Prod, dev_banner, ());
    assert_eq!(prod.connect(args, end()).await, ps::ConnectResponse::Ok);
    assert!(entries(&session).is_empty());
    let dev = ps::Chain::new_in(ps::Env::Dev, dev_banner, ());
    assert_eq!(dev.connect(args, end()).await, ps::ConnectResponse::Ok);
    assert_eq!(entries(&session), ["dev-banner"]);
}

#[tokio::test]
async fn nested_chains_keep_listed_order() {
    let session = ps::Session::new();
    let inner = ps::stack![Audit { name: "b" }, Audit { name: "c" }];
    let app = ps::App::new(
        ps::Routes::new().route("/", page),
        ps::stack![Audit { name: "a" }, inner],
    );
    assert_eq!(
        app.connect(&ps::Request::get("/_pulse/ws"), &session).await,
        ps::ConnectResponse::Ok
    );
    assert_eq!(
        entries(&session),
        [
            "a-in:connect",
            "b-in:connect",
            "c-in:connect",
            "c-out:connect:Ok",
            "b-out:connect:Ok",
            "a-out:connect:Ok",
        ]
    );
}
