use pulse as ps;

#[ps::middleware(api)]
async fn closed(session: &ps::Session) -> ps::ApiResponse {
    let _ = session;
    ps::Deny
}

fn main() {}
