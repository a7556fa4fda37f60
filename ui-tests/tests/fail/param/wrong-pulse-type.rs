use pulse as ps;

#[ps::middleware(prerender_route)]
async fn guard(path: &ps::Session, session: &ps::Request, next: ps::Next) -> ps::RoutePrerenderResponse {
    let _ = (path, session);
    next.run().await
}

fn main() {}
