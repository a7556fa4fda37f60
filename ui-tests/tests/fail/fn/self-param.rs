use pulse as ps;

#[ps::middleware(connect)]
async fn reject(&self, next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
