//! `guard: required` with every route and endpoint in a group (nested groups too) or marked
//! `public`.
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

#[ps::middleware(message)]
async fn admins_only(session: &ps::Session, next: ps::Next) -> ps::MessageResponse {
    if !session.contains("admin") {
        return ps::Deny;
    }
    next.run().await
}

fn main() {
    let app = ps::pulse_app! {
        routes: {
            public "/" => page,
            public "/login" => page,
            public api "/api/health",
            [require_login] {
                "/dashboard" => page,
                api "/api/me",
                [admins_only] { "/admin" => page },
            },
        },
        guard: required,
        not_found: page,
    };
    let _ = app;
}
