use pulse as ps;

#[ps::middleware(connect)]
async fn reject(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

fn main() {}
