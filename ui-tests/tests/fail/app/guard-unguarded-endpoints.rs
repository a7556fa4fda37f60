//! `guard: required` names every endpoint (`api "/p"`) that no group guards and that is not
//! marked `public`, beside the routes.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

#[ps::middleware(api)]
async fn require_token(request: &ps::Request, next: ps::Next) -> ps::ApiResponse {
    if request.header("authorization").is_none() {
        return ps::Unauthorized;
    }
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        guard: required,
        routes: {
            public "/" => page,
            public api "/api/health",
            [require_token] {
                api "/api/me",
            },
            api "/api/orders/:id",
            "/settings" => page,
            api "/api/admin/*",
        },
    };
}
