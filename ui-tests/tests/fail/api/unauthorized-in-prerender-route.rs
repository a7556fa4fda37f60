use pulse as ps;

#[ps::middleware(prerender_route)]
async fn guard(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Unauthorized;
    }
    next.run().await
}

fn main() {}
