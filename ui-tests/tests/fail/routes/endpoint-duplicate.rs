use pulse as ps;

#[ps::middleware(api)]
async fn guard(next: ps::Next) -> ps::ApiResponse {
    next.run().await
}

fn main() {
    let _ = ps::routes! {
        api "/api/me",
        [guard] {
            api "/api/me",
        },
    };
}
