//! A middleware inside a nested `stack![]` is checked too; the note points at the stack entry.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(prerender_route)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/signin");
    }
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            "/login" => page,
            "/users/:id" => page,
        },
        middleware: [ps::stack![ps::LatencyMiddleware::default(), require_login]],
    };
}
