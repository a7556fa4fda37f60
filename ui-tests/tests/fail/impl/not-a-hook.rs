use pulse as ps;

struct Audit;

#[ps::middleware]
impl Audit {
    async fn conect(&self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
}

fn main() {}
