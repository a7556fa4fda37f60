use pulse as ps;

#[ps::middleware(connect)]
fn reject(_next: ps::Next) -> ps::ConnectResponse {
    ps::ConnectResponse::Deny
}

fn main() {}
