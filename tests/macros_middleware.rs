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

/// What an app's middleware logged while it let a WebSocket connect.
async fn connect_log(app: &ps::App) -> Vec<String> {
    let session = ps::Session::new();
    let verdict = app.connect(&ps::Request::get("/_pulse/ws"), &session).await;
    assert_eq!(verdict, ps::ConnectResponse::Ok);
    entries(&session)
}

/// The last middleware of a list runs in the list's environment like the others, whatever
/// `PULSE_ENV` (which the app reads) says: at the end of a short list, and at the end of the
/// first run of a list that `pulse_app!` cuts into runs joined by seams.
#[tokio::test]
async fn a_dev_only_middleware_listed_last_runs_in_the_apps_environment() {
    for env in [ps::Env::Dev, ps::Env::Prod] {
        let banner: &[&str] = if env == ps::Env::Dev {
            &["dev-banner"]
        } else {
            &[]
        };

        let short = ps::pulse_app! {
            routes: { "/" => page },
            middleware: [Audit { name: "a" }, dev_banner],
            env: env,
        };
        let mut expected = vec!["a-in:connect"];
        expected.extend(banner);
        expected.push("a-out:connect:Ok");
        assert_eq!(connect_log(&short).await, expected, "short list in {env:?}");

        // Eleven, the banner twelfth (the last of the first run of `ps::Seam::RUN`), one more.
        let long = ps::pulse_app! {
            routes: { "/" => page },
            middleware: [
                Audit { name: "1" }, Audit { name: "2" }, Audit { name: "3" }, Audit { name: "4" },
                Audit { name: "5" }, Audit { name: "6" }, Audit { name: "7" }, Audit { name: "8" },
                Audit { name: "9" }, Audit { name: "10" }, Audit { name: "11" }, dev_banner,
                Audit { name: "13" },
            ],
            env: env,
        };
        let mut expected: Vec<String> = (1..=11).map(|n| format!("{n}-in:connect")).collect();
        expected.extend(banner.iter().map(|entry| entry.to_string()));
        expected.extend(["13-in:connect".into(), "13-out:connect:Ok".into()]);
        expected.extend((1..=11).rev().map(|n| format!("{n}-out:connect:Ok")));
        assert_eq!(connect_log(&long).await, expected, "long list in {env:?}");
    }
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

/// Records `in:I` and `out:I` around every hook it sees, to follow order through long chains.
struct Rec<const I: usize>;

#[ps::middleware]
impl<const I: usize> Rec<I> {
    async fn connect(&self, session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
        log(session, format!("in:{I}"));
        let out = next.run().await;
        log(session, format!("out:{I}"));
        out
    }

    async fn prerender_route(
        &self,
        session: &ps::Session,
        next: ps::Next,
    ) -> ps::RoutePrerenderResponse {
        log(session, format!("in:{I}"));
        let out = next.run().await;
        log(session, format!("out:{I}"));
        out
    }
}

/// `in:i` for each of `ids` in order, then `out:i` in reverse.
fn onion(ids: impl Iterator<Item = usize> + Clone) -> Vec<String> {
    let ids: Vec<usize> = ids.collect();
    let ins = ids.iter().map(|i| format!("in:{i}"));
    let outs = ids.iter().rev().map(|i| format!("out:{i}"));
    ins.chain(outs).collect()
}

#[tokio::test]
async fn long_chains_keep_listed_order() {
    // 100 app-wide, 40 in a group: both longer than one run of `Chain`s, so joined by seams.
    let app = ps::pulse_app! {
        routes: {
            "/" => page,
            [
                Rec::<100>, Rec::<101>, Rec::<102>, Rec::<103>, Rec::<104>, Rec::<105>,
                Rec::<106>, Rec::<107>, Rec::<108>, Rec::<109>, Rec::<110>, Rec::<111>,
                Rec::<112>, Rec::<113>, Rec::<114>, Rec::<115>, Rec::<116>, Rec::<117>,
                Rec::<118>, Rec::<119>, Rec::<120>, Rec::<121>, Rec::<122>, Rec::<123>,
                Rec::<124>, Rec::<125>, Rec::<126>, Rec::<127>, Rec::<128>, Rec::<129>,
                Rec::<130>, Rec::<131>, Rec::<132>, Rec::<133>, Rec::<134>, Rec::<135>,
                Rec::<136>, Rec::<137>, Rec::<138>, Rec::<139>,
            ] {
                "/deep" => page,
            },
        },
        middleware: [
            Rec::<0>, Rec::<1>, Rec::<2>, Rec::<3>, Rec::<4>, Rec::<5>, Rec::<6>, Rec::<7>,
            Rec::<8>, Rec::<9>, Rec::<10>, Rec::<11>, Rec::<12>, Rec::<13>, Rec::<14>,
            Rec::<15>, Rec::<16>, Rec::<17>, Rec::<18>, Rec::<19>, Rec::<20>, Rec::<21>,
            Rec::<22>, Rec::<23>, Rec::<24>, Rec::<25>, Rec::<26>, Rec::<27>, Rec::<28>,
            Rec::<29>, Rec::<30>, Rec::<31>, Rec::<32>, Rec::<33>, Rec::<34>, Rec::<35>,
            Rec::<36>, Rec::<37>, Rec::<38>, Rec::<39>, Rec::<40>, Rec::<41>, Rec::<42>,
            Rec::<43>, Rec::<44>, Rec::<45>, Rec::<46>, Rec::<47>, Rec::<48>, Rec::<49>,
            Rec::<50>, Rec::<51>, Rec::<52>, Rec::<53>, Rec::<54>, Rec::<55>, Rec::<56>,
            Rec::<57>, Rec::<58>, Rec::<59>, Rec::<60>, Rec::<61>, Rec::<62>, Rec::<63>,
            Rec::<64>, Rec::<65>, Rec::<66>, Rec::<67>, Rec::<68>, Rec::<69>, Rec::<70>,
            Rec::<71>, Rec::<72>, Rec::<73>, Rec::<74>, Rec::<75>, Rec::<76>, Rec::<77>,
            Rec::<78>, Rec::<79>, Rec::<80>, Rec::<81>, Rec::<82>, Rec::<83>, Rec::<84>,
            Rec::<85>, Rec::<86>, Rec::<87>, Rec::<88>, Rec::<89>, Rec::<90>, Rec::<91>,
            Rec::<92>, Rec::<93>, Rec::<94>, Rec::<95>, Rec::<96>, Rec::<97>, Rec::<98>,
            Rec::<99>,
        ],
    };
    let session = ps::Session::new();
    let request = ps::Request::get("/_pulse/ws");
    assert_eq!(
        app.connect(&request, &session).await,
        ps::ConnectResponse::Ok
    );
    assert_eq!(entries(&session), onion(0..100));

    let session = ps::Session::new();
    let rendered = app
        .prerender(&ps::Request::get("/deep"), &session)
        .await
        .unwrap();
    assert!(matches!(rendered, ps::PrerenderResponse::Ok(_)));
    assert_eq!(entries(&session), onion(0..140));

    // `ps::stack!` of 100, nested in a chain between two more.
    let stack = ps::stack![
        Rec::<200>, Rec::<201>, Rec::<202>, Rec::<203>, Rec::<204>, Rec::<205>, Rec::<206>,
        Rec::<207>, Rec::<208>, Rec::<209>, Rec::<210>, Rec::<211>, Rec::<212>, Rec::<213>,
        Rec::<214>, Rec::<215>, Rec::<216>, Rec::<217>, Rec::<218>, Rec::<219>, Rec::<220>,
        Rec::<221>, Rec::<222>, Rec::<223>, Rec::<224>, Rec::<225>, Rec::<226>, Rec::<227>,
        Rec::<228>, Rec::<229>, Rec::<230>, Rec::<231>, Rec::<232>, Rec::<233>, Rec::<234>,
        Rec::<235>, Rec::<236>, Rec::<237>, Rec::<238>, Rec::<239>, Rec::<240>, Rec::<241>,
        Rec::<242>, Rec::<243>, Rec::<244>, Rec::<245>, Rec::<246>, Rec::<247>, Rec::<248>,
        Rec::<249>, Rec::<250>, Rec::<251>, Rec::<252>, Rec::<253>, Rec::<254>, Rec::<255>,
        Rec::<256>, Rec::<257>, Rec::<258>, Rec::<259>, Rec::<260>, Rec::<261>, Rec::<262>,
        Rec::<263>, Rec::<264>, Rec::<265>, Rec::<266>, Rec::<267>, Rec::<268>, Rec::<269>,
        Rec::<270>, Rec::<271>, Rec::<272>, Rec::<273>, Rec::<274>, Rec::<275>, Rec::<276>,
        Rec::<277>, Rec::<278>, Rec::<279>, Rec::<280>, Rec::<281>, Rec::<282>, Rec::<283>,
        Rec::<284>, Rec::<285>, Rec::<286>, Rec::<287>, Rec::<288>, Rec::<289>, Rec::<290>,
        Rec::<291>, Rec::<292>, Rec::<293>, Rec::<294>, Rec::<295>, Rec::<296>, Rec::<297>,
        Rec::<298>, Rec::<299>,
    ];
    let app = ps::App::new(
        ps::Routes::new().route("/", page),
        ps::stack![Rec::<199>, stack, Rec::<300>],
    );
    let session = ps::Session::new();
    assert_eq!(
        app.connect(&request, &session).await,
        ps::ConnectResponse::Ok
    );
    assert_eq!(entries(&session), onion(199..301));
}

/// The `pulse::chain` events emitted while `run` runs, one line each, without timestamps.
async fn chain_events<F: std::future::Future>(run: F) -> (F::Output, Vec<String>) {
    use std::sync::{Arc, Mutex};

    #[derive(Clone)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buffer {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    let buffer = Buffer(Arc::new(Mutex::new(Vec::new())));
    let writer = buffer.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter("pulse::chain=debug")
        .with_ansi(false)
        .without_time()
        .with_writer(move || writer.clone())
        .finish();
    let output = {
        let _guard = tracing::subscriber::set_default(subscriber);
        run.await
    };
    let text = String::from_utf8(buffer.0.lock().unwrap().clone()).unwrap();
    (output, text.lines().map(str::to_owned).collect())
}

#[ps::middleware(connect)]
async fn passes_on(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

#[ps::middleware(connect)]
async fn denies_banned(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if session.contains("banned") {
        return ps::Deny;
    }
    next.run().await
}

#[ps::middleware(connect)]
async fn denies_after(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    let out = next.run().await;
    if session.contains("late") {
        return ps::Deny;
    }
    out
}

#[ps::middleware(prerender_route)]
async fn sends_to_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    match session.contains("user_email") {
        true => next.run().await,
        false => ps::Redirect::to("/login"),
    }
}

#[tokio::test(flavor = "current_thread")]
async fn the_middleware_that_decided_is_traced() {
    let app = ps::pulse_app! {
        routes: { "/" => page, "/login" => page, [sends_to_login] { "/dashboard" => page } },
        middleware: [passes_on, denies_after, denies_banned],
    };
    let request = ps::Request::get("/_pulse/ws");

    // An allow emits nothing.
    let session = ps::Session::new();
    let (verdict, events) = chain_events(app.connect(&request, &session)).await;
    assert_eq!(verdict, ps::ConnectResponse::Ok);
    assert_eq!(events, Vec::<String>::new());

    // The deny is named once, at the middleware that produced it, not at the two before it
    // that passed it on.
    session.insert("banned", true).unwrap();
    let (verdict, events) = chain_events(app.connect(&request, &session)).await;
    assert_eq!(verdict, ps::ConnectResponse::Deny);
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains(
            r#"middleware="macros_middleware::denies_banned" hook="connect" outcome="deny""#
        ),
        "{}",
        events[0]
    );

    // A middleware that denies after the rest allowed is the one that decided.
    let session = ps::Session::new();
    session.insert("late", true).unwrap();
    let (verdict, events) = chain_events(app.connect(&request, &session)).await;
    assert_eq!(verdict, ps::ConnectResponse::Deny);
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains(r#"middleware="macros_middleware::denies_after""#),
        "{}",
        events[0]
    );

    // A redirect names its target.
    let (page, events) =
        chain_events(app.prerender(&ps::Request::get("/dashboard"), &ps::Session::new())).await;
    assert!(matches!(page, Ok(ps::PrerenderResponse::Redirect(_))));
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(
        events[0].contains(
            r#"middleware="macros_middleware::sends_to_login" hook="prerender_route" outcome="redirect" location="/login""#
        ),
        "{}",
        events[0]
    );
}
