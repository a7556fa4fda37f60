//! `POST /_pulse/prerender`: the JSON form of a page request (Pulse's wire shapes).

use std::collections::HashSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CACHE_CONTROL;
use http::request::Parts;
use serde_json::json;

use super::ServerState;
use super::page::PRIVATE;
use crate::dispatch::PrerenderError;
use crate::outcome::PrerenderResponse;
use crate::prerender::PrerenderPayload;
use crate::sessions::request_and_session_owned;

/// `{"views": …, "directives": …}`, `{"redirect": "/login"}` or `{"notFound": true}` (200);
/// 429 with `Retry-After` and `{"error": "too many requests", "retryAfter": secs}` when limited;
/// 400 for a malformed body, empty `paths` or more distinct `paths` than the server's bound
/// ([`Server::max_prerender_paths`](super::Server::max_prerender_paths)), 404 for an unknown
/// path, 500 for a panic or a non-local redirect. Errors are `{"detail": "…"}`.
///
/// Duplicate paths are rendered once. When the client goes away, hyper drops this future and
/// the rendering stops with it.
pub(crate) async fn handle(
    State(state): State<ServerState>,
    parts: Parts,
    body: Bytes,
) -> Response {
    let mut payload: PrerenderPayload = match serde_json::from_slice(&body) {
        Ok(payload) => payload,
        Err(error) => {
            return detail(
                StatusCode::BAD_REQUEST,
                format!("invalid prerender payload: {error}"),
            );
        }
    };
    dedupe(&mut payload.paths);
    if payload.paths.len() > state.max_prerender_paths {
        return detail(
            StatusCode::BAD_REQUEST,
            format!(
                "too many paths: at most {} per request",
                state.max_prerender_paths
            ),
        );
    }
    let (request, session) = request_and_session_owned(parts, state.scheme);
    match state
        .app
        .prerender_payload(&payload, &request, &session)
        .await
    {
        Ok(PrerenderResponse::Ok(prerender)) => {
            ([(CACHE_CONTROL, PRIVATE)], Json(prerender)).into_response()
        }
        // The app refuses a non-local redirect (an error below).
        Ok(PrerenderResponse::Redirect(redirect)) => {
            Json(json!({ "redirect": redirect.path() })).into_response()
        }
        Ok(PrerenderResponse::NotFound) => Json(json!({ "notFound": true })).into_response(),
        Ok(PrerenderResponse::TooManyRequests(limited)) => limited.into_response(),
        Err(error @ PrerenderError::EmptyPaths) => {
            detail(StatusCode::BAD_REQUEST, error.to_string())
        }
        Err(error @ PrerenderError::UnknownPath(_)) => {
            detail(StatusCode::NOT_FOUND, error.to_string())
        }
        // Panics and refused redirects are logged by the app; their details stay on the server.
        Err(_) => detail(StatusCode::INTERNAL_SERVER_ERROR, "internal server error"),
    }
}

/// Keeps the first of paths naming the same route (`users/:id` and `/users/:id` are one).
fn dedupe(paths: &mut Vec<String>) {
    if paths.len() < 2 {
        // A page request names one route: nothing to compare, nothing to allocate.
        return;
    }
    let mut seen = HashSet::with_capacity(paths.len());
    paths.retain(|path| seen.insert(path.strip_prefix('/').unwrap_or(path).to_owned()));
}

fn detail(status: StatusCode, detail: impl Into<String>) -> Response {
    (status, Json(json!({ "detail": detail.into() }))).into_response()
}
