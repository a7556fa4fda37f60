use pulse as ps;

#[ps::middleware(connect)]
async fn reject(session: &String, next: ps::Next) -> ps::ConnectResponse {
    let _ = session;
    next.run().await
}

fn main() {}
