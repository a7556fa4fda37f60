use pulse as ps;

#[ps::middleware(message)]
async fn guard(session: &ps::Session, next: ps::Next) -> ps::MessageResponse {
    let stop = ps::Redirect::to("/login");
    if !session.contains("user_email") {
        return stop;
    }
    next.run().await
}

fn main() {}
