use pulse as ps;

struct Audit;

#[ps::middleware]
impl Audit {
    async fn connect(&mut self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
}

fn main() {}
