use pulse as ps;

struct Audit;

#[ps::middleware]
impl Audit {
    async fn prerender(&self, session: &ps::Session, next: ps::Next) -> ps::PrerenderResponse {
        if session.is_empty() {
            return ps::Deny;
        }
        next.run().await
    }
}

fn main() {}
