use pulse as ps;

struct Audit;

#[ps::middleware]
impl Audit {
    const LIMIT: usize = 3;

    async fn connect(&self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
}

fn main() {}
