use pulse as ps;

fn to_login() -> ps::Redirect {
    ps::Redirect::to("/login")
}

#[ps::middleware(api)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::ApiResponse {
    if !session.contains("user_email") {
        return to_login();
    }
    next.run().await
}

fn main() {}
