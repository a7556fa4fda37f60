use pulse as ps;

#[ps::middleware(connect)]
async fn reject(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if !session.contains("user_email") {
        return ps::Unauthorized;
    }
    next.run().await
}

fn main() {}
