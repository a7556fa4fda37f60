use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

#[ps::middleware(prerender_route)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/");
    }
    next.run().await
}

fn main() {
    let _ = ps::routes! {
        "/" => page,
        [require_login] {
            public "/dashboard" => page,
        },
    };
}
