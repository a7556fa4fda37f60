//! `GET <path>`: a page request, answered with an HTML document, a redirect or a 404.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request as AxumRequest, State};
use axum::response::{Html, IntoResponse, Response};
use http::header::{ALLOW, CACHE_CONTROL, LOCATION};
use http::{HeaderValue, Method, StatusCode};

use super::ServerState;
use super::document;
use crate::app::PrerenderError;
use crate::outcome::PrerenderResponse;
use crate::prerender::PrerenderPayload;
use crate::request::Request;
use crate::session::Session;

/// Builds the hooks' view of an HTTP request (client address from the TCP peer, when the server
/// was started with connect info).
pub(crate) fn pulse_request(parts: &http::request::Parts, state: &ServerState) -> Request {
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    Request::from_parts(parts, client, state.scheme)
}

/// The session the layer loaded (a fresh one if the layer is missing, which `Server` prevents).
pub(crate) fn request_session(parts: &http::request::Parts) -> Session {
    parts
        .extensions
        .get::<Session>()
        .cloned()
        .unwrap_or_default()
}

/// Pages depend on the session: no cache keeps them, not even the browser's, so Back after
/// signing out loads the page again (and its guards run) instead of showing the signed-in page.
pub(crate) const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

pub(crate) async fn handle(State(state): State<ServerState>, request: AxumRequest) -> Response {
    let (parts, _body) = request.into_parts();
    if parts.method != Method::GET && parts.method != Method::HEAD {
        let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
        return response;
    }
    let request = pulse_request(&parts, &state);
    let session = request_session(&parts);
    let target = parts.uri.path_and_query().map_or("/", |pq| pq.as_str());
    let Some((pattern, route_info)) = state.app.routes().resolve(target) else {
        return not_found(&state, &request, &session).await;
    };
    let payload = PrerenderPayload {
        paths: vec![pattern.to_owned()],
        route_info,
    };
    match state
        .app
        .prerender_payload(&payload, &request, &session)
        .await
    {
        Ok(PrerenderResponse::Ok(prerender)) => {
            // The document opens a WebSocket only when one of its views has live features.
            let live = prerender.views.keys().any(|pattern| {
                state
                    .app
                    .live_route(pattern)
                    .is_some_and(|entry| entry.component.is_live())
            });
            (
                [(CACHE_CONTROL, PRIVATE)],
                Html(document::page(
                    &payload.paths,
                    &payload.route_info,
                    &prerender.views,
                    live,
                )),
            )
                .into_response()
        }
        Ok(PrerenderResponse::Redirect(redirect)) => redirect_to(redirect.path()),
        Ok(PrerenderResponse::NotFound) => not_found(&state, &request, &session).await,
        Err(PrerenderError::UnknownPath(_) | PrerenderError::EmptyPaths) => {
            not_found(&state, &request, &session).await
        }
        Err(_) => internal_error(),
    }
}

/// A 302 to `target` when it is a local path; anything else is refused with a 500.
pub(crate) fn redirect_to(target: &str) -> Response {
    match HeaderValue::from_str(target) {
        Ok(location) if pulse_route::is_local_path(target) => {
            (StatusCode::FOUND, [(LOCATION, location)]).into_response()
        }
        _ => {
            tracing::error!(target, "refused a redirect to a non-local target");
            internal_error()
        }
    }
}

async fn not_found(state: &ServerState, request: &Request, session: &Session) -> Response {
    let body = match state.app.render_not_found(request, session).await {
        Some(html) => html,
        None => "<h1>404 Not Found</h1>".to_owned(),
    };
    (
        StatusCode::NOT_FOUND,
        [(CACHE_CONTROL, PRIVATE)],
        Html(document::plain(&body)),
    )
        .into_response()
}

/// The 500 page.
pub(crate) fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(document::plain("<h1>500 Internal Server Error</h1>")),
    )
        .into_response()
}
