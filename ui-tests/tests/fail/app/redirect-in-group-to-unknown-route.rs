use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

mod auth {
    use pulse as ps;

    #[ps::middleware(prerender_route)]
    pub async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
        if !session.contains("user_email") {
            return ps::Redirect::to("/sign-in?next=/dashboard");
        }
        next.run().await
    }
}

fn main() {
    let _app = ps::pulse_app! {
        routes: {
            "/" => page,
            [auth::require_login] {
                "/dashboard" => page,
            },
        },
    };
}
