use pulse as ps;

#[ps::middleware(api)]
async fn require_token(request: &ps::Request, next: ps::Next) -> ps::ApiResponse {
    if request.header("authorization").is_none() {
        return ps::Unauthorized;
    }
    next.run().await
}

fn main() {
    let _ = ps::routes! {
        [require_token] {
            public api "/api/me",
        },
    };
}
