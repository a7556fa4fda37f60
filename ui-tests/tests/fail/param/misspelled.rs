use pulse as ps;

#[ps::middleware(connect)]
async fn reject(sesion: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    let _ = sesion;
    next.run().await
}

fn main() {}
