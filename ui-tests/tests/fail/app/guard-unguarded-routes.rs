//! `guard: required` names every route that no group guards and that is not marked `public`.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

#[ps::middleware(prerender_route)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        guard: required,
        routes: {
            public "/" => page,
            public "/login" => page,
            [require_login] {
                "/dashboard" => page,
            },
            "/settings" => page,
            "/billing/:id" => page,
        },
    };
}
