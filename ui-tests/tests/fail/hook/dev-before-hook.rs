use pulse as ps;

#[ps::middleware(dev, connect)]
async fn reject(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
