//! Chains nest, are middleware themselves, and may be empty.
use pulse as ps;

#[ps::middleware(connect)]
async fn a(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

#[ps::middleware(connect)]
async fn b(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {
    let inner = ps::stack![b, ps::LatencyMiddleware::default()];
    let _outer = ps::stack![a, inner, ps::stack![], ps::stack![b,],];
    let _empty: () = ps::stack![];
}
