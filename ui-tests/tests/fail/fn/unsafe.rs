use pulse as ps;

#[ps::middleware(connect)]
async unsafe fn reject(next: ps::Next) -> ps::ConnectResponse {
    next.run().await
}

fn main() {}
