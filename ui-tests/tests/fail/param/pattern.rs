use pulse as ps;

#[ps::middleware(connect)]
async fn reject((a, b): (u8, u8), next: ps::Next) -> ps::ConnectResponse {
    let _ = (a, b);
    next.run().await
}

fn main() {}
