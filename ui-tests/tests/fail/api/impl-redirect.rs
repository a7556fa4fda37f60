use pulse as ps;

struct Guard;

#[ps::middleware]
impl Guard {
    async fn api(&self, session: &ps::Session, next: ps::Next) -> ps::ApiResponse {
        if session.is_empty() {
            return ps::Redirect::to("/login");
        }
        next.run().await
    }
}

fn main() {}
