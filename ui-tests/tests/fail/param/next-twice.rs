use pulse as ps;

#[ps::middleware(connect)]
async fn reject(next: ps::Next, _next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
