use pulse as ps;

#[ps::middleware(api)]
async fn audit(path: &str, next: ps::Next) -> ps::ApiResponse {
    let _ = path;
    next.run().await
}

fn main() {}
