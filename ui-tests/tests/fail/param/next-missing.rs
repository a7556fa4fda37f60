use pulse as ps;

#[ps::middleware(connect)]
async fn reject(session: &ps::Session) -> ps::ConnectResponse {
    let _ = session;
    ps::ConnectResponse::Deny
}

fn main() {}
