use pulse as ps;

#[ps::middleware(connect)]
async fn reject(session: &ps::Request, next: ps::Next) -> ps::ConnectResponse {
    let _ = session;
    next.run().await
}

fn main() {}
