//! Expansions use absolute paths: shadowing prelude names in the calling module changes nothing.
#![allow(dead_code, non_camel_case_types)]
use pulse as ps;

struct Option;
struct Result;
struct Some;
struct None;
struct Box;
struct Clone;
struct Default;
struct Send;
struct Future;
mod core {}
mod std {}
mod pulse_core {}
fn Ok() {}
fn drop() {}

#[ps::middleware(prerender_route)]
async fn guard(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if session.is_empty() {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

struct Audit;

#[ps::middleware]
impl Audit {
    async fn connect(&self, next: ps::Next) -> ps::ConnectResponse {
        next.run().await
    }
}

fn main() {
    let _ = ps::stack![guard, Audit];
}
