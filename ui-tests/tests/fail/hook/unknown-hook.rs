use pulse as ps;

#[ps::middleware(conect)]
async fn reject(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
