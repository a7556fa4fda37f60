//! A local variable holding a `#[middleware]` fn's value is checked like the fn itself: the
//! error is at the literal, with a note at the entry.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(prerender_route)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/logn");
    }
    next.run().await
}

fn main() {
    let guard = require_login;
    let latency = ps::LatencyMiddleware::default();
    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            "/login" => page,
        },
        middleware: [latency, guard],
    };
}
