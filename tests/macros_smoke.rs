use pulse as ps;

#[ps::middleware(prerender_route)]
async fn require_login(path: &str, session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if ["/", "/login", "/signup"].contains(&path) {
        return next.run().await;
    }
    if !session.contains("user_email") {
        return ps::Redirect::to("/login");
    }
    next.run().await
}

#[ps::middleware(connect)]
async fn reject_anonymous(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if !session.contains("user_email") {
        return ps::Deny;
    }
    next.run().await
}

struct Audit;
#[ps::middleware]
impl Audit {
    async fn connect(&self, request: &ps::Request, _session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
        let _ = request.path();
        next.run().await
    }
    async fn message(&self, data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse {
        if data.kind() == "x" { ps::Deny } else { next.run().await }
    }
}

#[test]
fn builds() {
    let _chain = ps::stack![Audit, require_login, reject_anonymous, ps::LatencyMiddleware::default()];
}
