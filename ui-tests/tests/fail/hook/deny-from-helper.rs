use pulse as ps;

fn refuse() -> ps::Deny {
    ps::Deny
}

#[ps::middleware(prerender)]
async fn guard(session: &ps::Session, next: ps::Next) -> ps::PrerenderResponse {
    if !session.contains("user_email") {
        return refuse();
    }
    next.run().await
}

fn main() {}
