//! The redirect targets of a `#[ps::middleware]` impl block are checked like a fn's.
use pulse as ps;

async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(cx.pattern().to_owned())
}

#[derive(Default)]
struct Gate;

#[ps::middleware]
impl Gate {
    async fn prerender_route(&self, session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
        if !session.contains("user_email") {
            return ps::Redirect::to("/dashbord");
        }
        next.run().await
    }

    async fn message(&self, next: ps::Next) -> ps::MessageResponse {
        next.run().await
    }
}

fn main() {
    let _app = ps::pulse_app! {
        routes: { "/" => page, "/dashboard" => page },
        middleware: [Gate::default()],
    };
}
