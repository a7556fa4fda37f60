use pulse as ps;

#[ps::middleware(prerender_route)]
async fn bounce(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("https://evil.example/login");
    }
    if session.contains("banned") {
        return ps::Redirect::to("//evil.example");
    }
    next.run().await
}

fn main() {}
