//! Middleware declared inside a fn body, as tests often do, and listed in an app there.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

fn main() {
    #[ps::middleware(prerender_route)]
    async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
        if !session.contains("user_email") {
            return ps::Redirect::to("/");
        }
        next.run().await
    }

    struct Audit;

    #[ps::middleware]
    impl Audit {
        async fn message(&self, next: ps::Next) -> ps::MessageResponse {
            next.run().await
        }
    }

    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            [require_login] { "/dashboard" => page },
        },
        middleware: [Audit],
    };
}
