use pulse as ps;

#[ps::middleware(api)]
async fn guard(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
