//! A local variable is listed bare, like any other middleware: in the app-wide chain, in a
//! group, and inside a nested `stack![]`, with a local of a `#[middleware]` type whose
//! redirect targets are checked like the fn's own.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(prerender_route)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/login?next=/dashboard");
    }
    next.run().await
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let latency = ps::LatencyMiddleware::default();
    let timing = ps::LatencyMiddleware::default();
    let guard = require_login;
    let dev_tools = ps::stack![ps::LatencyMiddleware::default()];
    let app = ps::pulse_app! {
        routes: {
            "/" => page,
            "/login" => page,
            [guard, timing] { "/dashboard" => page },
        },
        middleware: [latency, dev_tools],
    };
    // The local `guard` runs for its group.
    let session = ps::Session::new();
    let outcome = app.prerender(&ps::Request::get("/dashboard"), &session).await;
    match outcome {
        Ok(ps::PrerenderResponse::Redirect(to)) => assert_eq!(to.path(), "/login?next=/dashboard"),
        _ => panic!("expected the group's redirect"),
    }
    assert!(matches!(
        app.prerender(&ps::Request::get("/"), &session).await,
        Ok(ps::PrerenderResponse::Ok(_))
    ));
}
