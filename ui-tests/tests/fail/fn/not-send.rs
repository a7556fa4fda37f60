use pulse as ps;
use std::rc::Rc;

#[ps::middleware(connect)]
async fn reject(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    let counter = Rc::new(session.is_empty());
    let verdict = next.run().await;
    drop(counter);
    verdict
}

fn main() {}
