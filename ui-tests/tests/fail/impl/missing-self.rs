use pulse as ps;

struct Audit;

#[ps::middleware]
impl Audit {
    async fn connect(next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
}

fn main() {}
