use pulse as ps;

#[ps::middleware(connect, dev, dev)]
async fn reject(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
