use pulse as ps;

#[ps::middleware(connect)]
async fn reject(session: ps::Session, next: ps::Next) -> ps::ConnectResponse {
    let _ = session;
    next.run().await
}

fn main() {}
