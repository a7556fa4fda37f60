//! The `api` hook: every result it allows, its parameters, a group guarding a page and an
//! endpoint alike, and `TooManyRequests`, which every hook allows.
use std::time::Duration;

use pulse as ps;

async fn dashboard(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped(String::new())
}

#[ps::middleware(api)]
async fn every_result(request: &ps::Request, session: &ps::Session, next: ps::Next) -> ps::ApiResponse {
    match request.path() {
        "/api/anonymous" if session.is_empty() => return ps::Unauthorized,
        "/api/admin" => return ps::Deny,
        "/api/hidden" => return ps::NotFound,
        "/api/slow" => return ps::TooManyRequests { retry_after: Duration::from_secs(1) },
        "/api/custom" => return axum::http::StatusCode::IM_A_TEAPOT.into_response(),
        "/api/ok" => return ps::Ok(axum::http::StatusCode::OK.into_response()),
        _ => {}
    }
    let mut response = next.run().await;
    if let ps::ApiResponse::Ok(response) = &mut response {
        response.headers_mut().insert("x-audited", axum::http::HeaderValue::from_static("1"));
    }
    response
}

use axum::response::IntoResponse;

#[ps::middleware(api)]
async fn subset(_next: ps::Next) {
    ps::Unauthorized
}

#[ps::middleware(prerender_route)]
async fn require_login(session: &ps::Session, next: ps::Next) -> ps::RoutePrerenderResponse {
    if !session.contains("user_email") {
        return ps::Redirect::to("/");
    }
    next.run().await
}

#[ps::middleware(api)]
async fn require_login_api(session: &ps::Session, next: ps::Next) -> ps::ApiResponse {
    if !session.contains("user_email") {
        return ps::Unauthorized;
    }
    next.run().await
}

const LATER: ps::TooManyRequests = ps::TooManyRequests { retry_after: Duration::from_secs(2) };

#[ps::middleware(prerender)]
async fn limited_prerender(_next: ps::Next) -> ps::PrerenderResponse {
    LATER
}

#[ps::middleware(prerender_route)]
async fn limited_route(_next: ps::Next) -> ps::RoutePrerenderResponse {
    LATER
}

#[ps::middleware(connect)]
async fn limited_connect(_next: ps::Next) -> ps::ConnectResponse {
    LATER
}

#[ps::middleware(message)]
async fn limited_message(_next: ps::Next) -> ps::MessageResponse {
    LATER
}

#[ps::middleware(channel)]
async fn limited_channel(_next: ps::Next) -> ps::ChannelResponse {
    LATER
}

struct Both;

#[ps::middleware]
impl Both {
    async fn prerender_route(&self, next: ps::Next) -> ps::RoutePrerenderResponse {
        next.run().await
    }

    async fn api(&self, request: &ps::Request, next: ps::Next) -> ps::ApiResponse {
        if request.method() == axum::http::Method::DELETE {
            return ps::Deny;
        }
        next.run().await
    }
}

fn main() {
    let _ = ps::pulse_app! {
        routes: {
            "/" => dashboard,
            api "/api/health",
            [require_login, require_login_api, Both] {
                "/dashboard" => dashboard,
                api "/api/me",
                api "/api/orders/:id",
                api "/api/admin/*",
            },
        },
        middleware: [
            every_result,
            subset,
            limited_prerender,
            limited_route,
            limited_connect,
            limited_message,
            limited_channel,
            ps::RateLimit::per_socket().message(ps::Quota::per_second(20)),
        ],
    };
}
