//! A middleware fn named like a prelude macro is still checked, through its hidden callback.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

#[ps::middleware(prerender_route)]
async fn format(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/logn");
    }
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        routes: { "/login" => page, [format] { "/" => page } },
    };
}
