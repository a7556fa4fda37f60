//! `env:` decides which dev-only middleware runs, app-wide and in groups, evaluated once.

use pulse as ps;

#[ps::middleware(connect, dev)]
async fn dev_gate(_next: ps::Next) -> ps::ConnectResponse {
    ps::Deny.into()
}

#[ps::middleware(prerender_route, dev)]
async fn dev_page_gate(_next: ps::Next) -> ps::RoutePrerenderResponse {
    ps::NotFound.into()
}

async fn page(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(String::from("page"))
}

fn app(env: ps::Env) -> ps::App {
    ps::pulse_app! {
        env: env,
        routes: { "/" => page, [dev_page_gate] { "/dev" => page } },
        middleware: [dev_gate],
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let (request, session) = (ps::Request::get("/dev"), ps::Session::new());
    let prod = app(ps::Env::Prod);
    assert_eq!(prod.connect(&request, &session).await, ps::ConnectResponse::Ok);
    assert!(matches!(prod.prerender(&request, &session).await, Ok(ps::PrerenderResponse::Ok(_))));
    let dev = app(ps::Env::Dev);
    assert_eq!(dev.connect(&request, &session).await, ps::ConnectResponse::Deny);
    assert!(matches!(dev.prerender(&request, &session).await, Ok(ps::PrerenderResponse::NotFound)));
}
