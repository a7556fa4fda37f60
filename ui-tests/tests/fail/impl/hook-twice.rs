use pulse as ps;

struct Audit;

#[ps::middleware]
impl Audit {
    async fn connect(&self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }

    async fn connect(&self, _next: ps::Next) -> ps::ConnectResponse {
        ps::ConnectResponse::Deny
    }
}

fn main() {}
