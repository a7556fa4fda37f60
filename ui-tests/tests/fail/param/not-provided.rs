use pulse as ps;

#[ps::middleware(connect)]
async fn reject(path: &str, next: ps::Next) -> ps::ConnectResponse {
    let _ = path;
    next.run().await
}

fn main() {}
