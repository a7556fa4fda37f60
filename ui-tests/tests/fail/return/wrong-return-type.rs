use pulse as ps;

#[ps::middleware(connect)]
async fn reject(next: ps::Next) -> ps::RoutePrerenderResponse {
    next.run().await
}

fn main() {}
