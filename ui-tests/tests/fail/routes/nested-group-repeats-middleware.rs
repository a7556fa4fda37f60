use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[ps::middleware(prerender_route)]
async fn require_login(next: ps::Next) -> ps::RoutePrerenderResponse {
    next.run().await
}

fn main() {
    let _ = ps::routes! {
        [require_login] {
            "/dashboard" => page,
            [require_login] { "/admin" => page },
        },
    };
}
