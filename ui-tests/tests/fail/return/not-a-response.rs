use pulse as ps;

#[ps::middleware(message)]
async fn audit(next: ps::Next) -> Result<(), String> {
    next.run().await
}

fn main() {}
