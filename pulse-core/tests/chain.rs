//! Behaviour of static chains and of the app's entry points, hook by hook.
#![allow(missing_debug_implementations)]

mod common;

use common::*;
use pulse_core::{self as ps, Env};

fn app(middleware: impl ps::PulseMiddleware) -> ps::App {
    ps::App::new(
        ps::Routes::new().route("/", page).route("/users/:id", page),
        middleware,
    )
}

fn onion(log: &Log) -> impl ps::PulseMiddleware {
    ps::Chain::new_in(
        Env::Prod,
        Recorder::new("a", log),
        ps::Chain::new_in(Env::Prod, Recorder::new("b", log), ()),
    )
}

fn expect_onion(log: &Log, hook: &str, terminal: &str) {
    assert_eq!(
        entries(log),
        [
            format!("a-in:{hook}"),
            format!("b-in:{hook}"),
            terminal.to_owned(),
            format!("b-out:{hook}"),
            format!("a-out:{hook}"),
        ]
    );
}

#[tokio::test]
async fn connect_runs_as_an_onion_in_listed_order() {
    let log = log();
    let chain = onion(&log);
    let (request, session) = (ps::Request::get("/_pulse/ws"), ps::Session::new());
    let args = ps::ConnectArgs {
        request: &request,
        session: &session,
    };
    let verdict = ps::PulseMiddleware::connect(
        &chain,
        args,
        ps::next_fn(|| async {
            push(&log, "final");
            ps::ConnectResponse::Ok
        }),
    )
    .await;
    assert_eq!(verdict, ps::ConnectResponse::Ok);
    expect_onion(&log, "connect", "final");
}

#[tokio::test]
async fn message_and_channel_run_as_an_onion_through_the_app() {
    let log = log();
    let app = app(onion(&log));
    let (request, session) = (ps::Request::get("/_pulse/ws"), ps::Session::new());
    let verdict = app
        .message(&callback("/"), &request, &session, || async {
            push(&log, "final");
            ps::MessageResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::MessageResponse::Ok);
    expect_onion(&log, "message", "final");

    log.lock().unwrap().clear();
    let verdict = app
        .channel(&channel_message("room"), &session, || async {
            push(&log, "final");
            ps::ChannelResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::ChannelResponse::Ok);
    expect_onion(&log, "channel", "final");
}

#[tokio::test]
async fn prerender_wraps_prerender_route_which_wraps_the_page() {
    let log = log();
    let app = app(onion(&log));
    let response = app
        .prerender(&ps::Request::get("/users/7"), &ps::Session::new())
        .await
        .unwrap();
    assert_eq!(
        entries(&log),
        [
            "a-in:prerender",
            "b-in:prerender",
            "a-in:prerender_route",
            "b-in:prerender_route",
            "b-out:prerender_route",
            "a-out:prerender_route",
            "b-out:prerender",
            "a-out:prerender",
        ]
    );
    let ps::PrerenderResponse::Ok(prerender) = response else {
        panic!("expected views, got {response:?}");
    };
    assert_eq!(
        prerender.views["/users/:id"].html,
        "<h1>page /users/:id</h1>"
    );
}

#[tokio::test]
async fn each_hook_short_circuits_without_running_downstream() {
    let log = log();
    let stopper_first = ps::Chain::new_in(
        Env::Prod,
        Stopper { log: log.clone() },
        ps::Chain::new_in(Env::Prod, Recorder::new("inner", &log), ()),
    );
    let app = app(stopper_first);
    let (request, session) = (ps::Request::get("/"), ps::Session::new());

    let page = app.prerender(&request, &session).await.unwrap();
    assert_eq!(
        page,
        ps::PrerenderResponse::Redirect(ps::Redirect::to("/login"))
    );
    assert_eq!(
        app.connect(&request, &session).await,
        ps::ConnectResponse::Deny
    );
    let ran = std::sync::atomic::AtomicBool::new(false);
    let verdict = app
        .message(&callback("/"), &request, &session, || async {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
            ps::MessageResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::MessageResponse::Deny);
    let verdict = app
        .channel(&channel_message("c"), &session, || async {
            ran.store(true, std::sync::atomic::Ordering::SeqCst);
            ps::ChannelResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::ChannelResponse::Deny);
    assert!(!ran.load(std::sync::atomic::Ordering::SeqCst));
    assert_eq!(
        entries(&log),
        [
            "stop:prerender",
            "stop:connect",
            "stop:message",
            "stop:channel"
        ]
    );
}

#[tokio::test]
async fn prerender_route_short_circuit_stops_the_page() {
    let log = log();
    // Recorder outside, stopper inside: prerender runs, prerender_route says NotFound.
    struct RouteOnly(Stopper);
    impl ps::PulseMiddleware for RouteOnly {
        fn prerender_route(
            &self,
            args: ps::PrerenderRouteArgs<'_>,
            next: impl ps::Next<ps::hook::PrerenderRoute>,
        ) -> impl Future<Output = ps::RoutePrerenderResponse> + Send {
            self.0.prerender_route(args, next)
        }
    }
    let app = app(RouteOnly(Stopper { log: log.clone() }));
    let response = app
        .prerender(&ps::Request::get("/"), &ps::Session::new())
        .await
        .unwrap();
    assert_eq!(response, ps::PrerenderResponse::NotFound);
    assert_eq!(entries(&log), ["stop:prerender_route"]);
}

#[tokio::test]
async fn inner_deny_through_a_pass_through_outer_stays_deny() {
    // Pulse's stack turns this into an allow; ours must not.
    let log = log();
    let chain = ps::Chain::new_in(
        Env::Prod,
        Recorder::new("outer", &log),
        ps::Chain::new_in(Env::Prod, Stopper { log: log.clone() }, ()),
    );
    let app = app(chain);
    let (request, session) = (ps::Request::get("/"), ps::Session::new());
    let verdict = app
        .message(&callback("/"), &request, &session, || async {
            ps::MessageResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::MessageResponse::Deny);
    let verdict = app
        .channel(&channel_message("c"), &session, || async {
            ps::ChannelResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::ChannelResponse::Deny);
    assert_eq!(
        app.connect(&request, &session).await,
        ps::ConnectResponse::Deny
    );
}

struct Writer;
impl ps::PulseMiddleware for Writer {
    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        args.session.insert("ip", "127.0.0.1").unwrap();
        let verdict = next.run().await;
        // Sees what the inner middleware wrote on the way back.
        assert_eq!(args.session.get::<String>("inner"), Some("yes".to_owned()));
        verdict
    }
}
struct Reader;
impl ps::PulseMiddleware for Reader {
    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        if args.session.get::<String>("ip").as_deref() != Some("127.0.0.1") {
            return ps::ConnectResponse::Deny;
        }
        args.session.insert("inner", "yes").unwrap();
        next.run().await
    }
}

#[tokio::test]
async fn session_writes_are_seen_downstream_and_after() {
    let app = app(ps::Chain::new_in(
        Env::Prod,
        Writer,
        ps::Chain::new_in(Env::Prod, Reader, ()),
    ));
    let session = ps::Session::new();
    assert!(!session.is_changed());
    assert_eq!(
        app.connect(&ps::Request::get("/"), &session).await,
        ps::ConnectResponse::Ok
    );
    assert!(session.is_changed());
    // The same handle (as the next request of this browser would load it) keeps the data.
    assert_eq!(session.get::<String>("ip").as_deref(), Some("127.0.0.1"));
}

struct DevOnlyDeny;
impl ps::PulseMiddleware for DevOnlyDeny {
    async fn connect(
        &self,
        _: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        if !next.env().is_dev() {
            return next.run().await;
        }
        ps::ConnectResponse::Deny
    }
}

#[tokio::test]
async fn dev_only_middleware_runs_only_in_dev() {
    let (request, session) = (ps::Request::get("/"), ps::Session::new());
    for (env, expected) in [
        (Env::Dev, ps::ConnectResponse::Deny),
        (Env::Ci, ps::ConnectResponse::Ok),
        (Env::Prod, ps::ConnectResponse::Ok),
    ] {
        let chain = ps::Chain::new_in(env, DevOnlyDeny, ());
        assert_eq!(chain.env(), env);
        let verdict = ps::PulseMiddleware::connect(
            &chain,
            ps::ConnectArgs {
                request: &request,
                session: &session,
            },
            ps::next_fn(|| async { ps::ConnectResponse::Ok }),
        )
        .await;
        assert_eq!(verdict, expected, "{env}");
    }
}

#[test]
fn pulse_env_values() {
    assert_eq!(Env::from_value(Some("dev")), Env::Dev);
    assert_eq!(Env::from_value(Some("DEV")), Env::Dev);
    assert_eq!(Env::from_value(Some("ci")), Env::Ci);
    assert_eq!(Env::from_value(Some("prod")), Env::Prod);
    // A typo never turns dev-only middleware on.
    assert_eq!(Env::from_value(Some("production")), Env::Prod);
    let unset = if cfg!(debug_assertions) {
        Env::Dev
    } else {
        Env::Prod
    };
    assert_eq!(Env::from_value(None), unset);
    assert_eq!(Env::from_value(Some("")), unset);
}

#[tokio::test(start_paused = true)]
async fn latency_sleeps_per_hook_on_the_paused_clock() {
    let latency = ps::LatencyMiddleware::default();
    let chain = ps::Chain::new_in(Env::Dev, latency, ());
    let app = app(chain);
    let (request, session) = (ps::Request::get("/"), ps::Session::new());
    let start = tokio::time::Instant::now();
    let _ = app.connect(&request, &session).await;
    assert_eq!(start.elapsed().as_millis(), 40);
    let start = tokio::time::Instant::now();
    let _ = app
        .message(&callback("/"), &request, &session, || async {
            ps::MessageResponse::Ok
        })
        .await;
    assert_eq!(start.elapsed().as_millis(), 25);
    let start = tokio::time::Instant::now();
    let _ = app
        .channel(&channel_message("c"), &session, || async {
            ps::ChannelResponse::Ok
        })
        .await;
    assert_eq!(start.elapsed().as_millis(), 20);
    let start = tokio::time::Instant::now();
    let _ = app.prerender(&request, &session).await.unwrap();
    assert_eq!(start.elapsed().as_millis(), 80 + 60);

    // Outside dev it is skipped entirely.
    let app = self::app(ps::Chain::new_in(Env::Prod, latency, ()));
    let start = tokio::time::Instant::now();
    let _ = app.connect(&request, &session).await;
    assert_eq!(start.elapsed().as_millis(), 0);
}

struct Stamp;
impl ps::PulseMiddleware for Stamp {
    async fn prerender(
        &self,
        _: ps::PrerenderArgs<'_>,
        next: impl ps::Next<ps::hook::Prerender>,
    ) -> ps::PrerenderResponse {
        let mut result = next.run().await;
        if let ps::PrerenderResponse::Ok(prerender) = &mut result {
            prerender
                .directives
                .headers
                .insert("x-stamp".into(), "1".into());
            for view in prerender.views.values_mut() {
                view.html.push_str("<!-- stamped -->");
            }
        }
        result
    }
}

#[tokio::test]
async fn prerender_hook_edits_the_result_after_next() {
    let app = app(Stamp);
    let response = app
        .prerender(&ps::Request::get("/"), &ps::Session::new())
        .await
        .unwrap();
    let ps::PrerenderResponse::Ok(prerender) = response else {
        panic!("expected views");
    };
    assert_eq!(prerender.directives.headers["x-stamp"], "1");
    assert!(prerender.views["/"].html.ends_with("<!-- stamped -->"));
}

struct Panics;
impl ps::PulseMiddleware for Panics {
    async fn prerender(
        &self,
        _: ps::PrerenderArgs<'_>,
        _: impl ps::Next<ps::hook::Prerender>,
    ) -> ps::PrerenderResponse {
        panic!("boom in prerender")
    }
    async fn connect(
        &self,
        _: ps::ConnectArgs<'_>,
        _: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        panic!("boom in connect")
    }
    async fn message(
        &self,
        _: ps::MessageArgs<'_>,
        _: impl ps::Next<ps::hook::Message>,
    ) -> ps::MessageResponse {
        panic!("boom in message")
    }
    async fn channel(
        &self,
        _: ps::ChannelArgs<'_>,
        _: impl ps::Next<ps::hook::Channel>,
    ) -> ps::ChannelResponse {
        panic!("boom in channel")
    }
}

#[tokio::test]
async fn panics_fail_closed() {
    let app = app(Panics);
    let (request, session) = (ps::Request::get("/"), ps::Session::new());
    assert_eq!(
        app.connect(&request, &session).await,
        ps::ConnectResponse::Deny
    );
    let verdict = app
        .message(&callback("/"), &request, &session, || async {
            ps::MessageResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::MessageResponse::Deny);
    let verdict = app
        .channel(&channel_message("c"), &session, || async {
            ps::ChannelResponse::Ok
        })
        .await;
    assert_eq!(verdict, ps::ChannelResponse::Deny);
    let err = app.prerender(&request, &session).await.unwrap_err();
    assert!(
        matches!(&err, ps::PrerenderError::Panic(m) if m == "boom in prerender"),
        "{err:?}"
    );

    // A panicking terminal (the framework's own work) also denies.
    let app = self::app(());
    let verdict = app
        .message(&callback("/"), &request, &session, || async {
            panic!("handler")
        })
        .await;
    assert_eq!(verdict, ps::MessageResponse::Deny);
}

#[tokio::test]
async fn a_panicking_page_is_an_error_not_a_page() {
    async fn broken(_: ps::PageContext) -> ps::Markup {
        panic!("page exploded")
    }
    let app = ps::App::new(ps::Routes::new().route("/", broken), ());
    let err = app
        .prerender(&ps::Request::get("/"), &ps::Session::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ps::PrerenderError::Panic(_)));
}

struct Offsite;
impl ps::PulseMiddleware for Offsite {
    async fn prerender(
        &self,
        _: ps::PrerenderArgs<'_>,
        _: impl ps::Next<ps::hook::Prerender>,
    ) -> ps::PrerenderResponse {
        ps::Redirect::to("//evil.example/").into()
    }
}

#[tokio::test]
async fn non_local_redirects_are_refused() {
    let app = app(Offsite);
    let err = app
        .prerender(&ps::Request::get("/"), &ps::Session::new())
        .await
        .unwrap_err();
    assert!(matches!(err, ps::PrerenderError::UnsafeRedirect(t) if t == "//evil.example/"));
}

#[tokio::test]
async fn payloads_are_validated() {
    let app = app(());
    let (request, session) = (ps::Request::get("/_pulse/prerender"), ps::Session::new());
    let empty = ps::PrerenderPayload::default();
    assert!(matches!(
        app.prerender_payload(&empty, &request, &session).await,
        Err(ps::PrerenderError::EmptyPaths)
    ));
    let unknown = ps::PrerenderPayload {
        paths: vec!["/nope".into()],
        ..Default::default()
    };
    assert!(matches!(
        app.prerender_payload(&unknown, &request, &session).await,
        Err(ps::PrerenderError::UnknownPath(p)) if p == "/nope"
    ));
    // Relative paths are normalised, as Pulse does.
    let relative = ps::PrerenderPayload {
        paths: vec!["users/:id".into()],
        ..Default::default()
    };
    assert!(matches!(
        app.prerender_payload(&relative, &request, &session).await,
        Ok(ps::PrerenderResponse::Ok(_))
    ));
    // An unmatched URL is NotFound without running any hook.
    let response = app
        .prerender(&ps::Request::get("/missing"), &session)
        .await
        .unwrap();
    assert_eq!(response, ps::PrerenderResponse::NotFound);
}
