use pulse as ps;

#[ps::middleware(connect)]
async fn reject(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {
    let _chain = ps::stack![reject, "audit"];
}
