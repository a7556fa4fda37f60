use pulse as ps;

struct Audit;

#[ps::middleware(connect)]
impl Audit {
    async fn connect(&self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
}

fn main() {}
