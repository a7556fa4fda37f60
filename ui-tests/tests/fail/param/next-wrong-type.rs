use pulse as ps;

#[ps::middleware(connect)]
async fn reject(next: ps::Session) -> ps::ConnectResponse {
    let _ = next;
    ps::ConnectResponse::Ok
}

fn main() {}
