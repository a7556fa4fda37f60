use pulse as ps;

#[ps::middleware]
async fn reject(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
