use pulse as ps;

#[ps::middleware(api)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::ApiResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

fn main() {}
