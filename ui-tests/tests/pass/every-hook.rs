//! Each hook with every parameter it provides, in unusual orders, and with subsets.
use pulse as ps;

#[ps::middleware(prerender)]
async fn all_prerender(
    session: &ps::Session,
    next: ps::Next,
    request: &ps::Request,
    payload: &ps::PrerenderPayload,
) -> ps::PrerenderResponse {
    let _ = (session, request, payload);
    next.run().await
}

#[ps::middleware(prerender_route)]
async fn all_prerender_route(
    route_info: &ps::RouteInfo,
    path: &str,
    request: &ps::Request,
    session: &ps::Session,
    next: ps::Next,
) -> ps::RoutePrerenderResponse {
    let _ = (route_info, request, session);
    match path {
        "/secret" => ps::NotFound.into(),
        "/old" => return ps::Redirect::to("/new"),
        _ => next.run().await,
    }
}

#[ps::middleware(connect)]
async fn all_connect(next: ps::Next, session: &ps::Session, request: &ps::Request) {
    let _ = request;
    if session.is_empty() { ps::Deny } else { next.run().await }
}

#[ps::middleware(message)]
async fn all_message(
    request: &ps::Request,
    data: &ps::ClientMessage,
    session: &ps::Session,
    next: ps::Next,
) -> ps::MessageResponse {
    let _ = (request, session);
    if data.kind() == "callback" {
        return ps::Ok(());
    }
    next.run().await
}

#[ps::middleware(channel)]
async fn all_channel(
    request_id: Option<&str>,
    payload: &serde_json::Value,
    event: &str,
    channel_id: &str,
    session: &ps::Session,
    next: ps::Next,
) -> ps::ChannelResponse {
    let _ = (request_id, payload, event, session);
    if channel_id.starts_with("admin:") {
        return ps::Deny;
    }
    next.run().await
}

/// A gate that never continues still names `next`, as `_next`.
#[ps::middleware(connect, dev)]
async fn closed(_next: ps::Next) -> ps::ConnectResponse {
    ps::Deny
}

#[ps::middleware(message)]
pub(crate) async fn only_next(next: ps::Next) {
    let verdict = next.run().await;
    verdict
}

fn main() {
    let _ = ps::stack![
        all_prerender,
        all_prerender_route,
        all_connect,
        all_message,
        all_channel,
        closed,
        only_next,
    ];
}
