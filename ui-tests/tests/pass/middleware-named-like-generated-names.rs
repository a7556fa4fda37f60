//! A middleware fn named like a name the checks generate (`message`), with a checked redirect,
//! listed app-wide and in a group, beside a route table type of the user's named `AppRoutes`.
use pulse as ps;

#[allow(dead_code)]
struct AppRoutes;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { (cx.pattern()) }
}

#[ps::middleware(prerender_route)]
async fn message(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/");
    }
    next.run().await
}

#[ps::middleware(prerender_route)]
async fn __pulse_entry(next: ps::Next) -> ps::RoutePrerenderResponse {
    next.run().await
}

fn main() {
    let _app = ps::pulse_app! {
        routes: { "/" => page, [message] { "/inbox" => page } },
        middleware: [__pulse_entry],
    };
}
