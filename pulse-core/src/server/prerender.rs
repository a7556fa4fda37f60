//! `POST /_pulse/prerender`: the JSON form of a page request (Pulse's wire shapes).

use std::collections::HashSet;
use std::sync::Arc;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::CACHE_CONTROL;
use http::request::Parts;
use serde::Serialize;
use serde_json::json;

use super::ServerState;
use super::page::PRIVATE;
use crate::dispatch::PrerenderError;
use crate::outcome::PrerenderResponse;
use crate::prerender::{Prerender, PrerenderPayload, View, Views};
use crate::sessions::request_and_session_owned;

/// `{"views": …, "directives": …, "title"?: …}`, `{"redirect": "/login"}` or
/// `{"notFound": true}` (200);
/// 429 with `Retry-After` and `{"error": "too many requests", "retryAfter": secs}` when limited;
/// 400 for a malformed body, empty `paths` or more distinct `paths` than the server's bound
/// ([`Server::max_prerender_paths`](super::Server::max_prerender_paths)), 404 for an unknown
/// path, 500 for a panic or a non-local redirect. Errors are `{"detail": "…"}`.
///
/// `title` is the document title a page request would put in `<title>`: the innermost view's
/// title (each view's own is its `title`) in the app's [`Head`](crate::Head) template, or the
/// app's title; absent when there is neither. It is text: a client sets `document.title` to it
/// as is.
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
            let page_title = page_title(&payload.paths, &prerender.views);
            let answer = Answer {
                title: state.app.head.document_title(page_title),
                prerender: &prerender,
            };
            ([(CACHE_CONTROL, PRIVATE)], Json(answer)).into_response()
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

/// The 200 answer: Pulse's `{views, directives}` and the document title.
#[derive(Serialize)]
struct Answer<'a> {
    #[serde(flatten)]
    prerender: &'a Prerender,
    #[serde(skip_serializing_if = "Option::is_none")]
    title: Option<String>,
}

/// The title the document of these views would take, as `server/document.rs` picks it: views
/// in `paths` order (outermost first), then those a `prerender` hook added; the innermost
/// view's title wins.
fn page_title<'a>(paths: &[Arc<str>], views: &'a Views) -> Option<&'a str> {
    // A path may omit its leading `/`; the views are keyed by the route's pattern.
    let find = |path: &Arc<str>| match views.get(path) {
        Some(found) => Some(found),
        None => views.get(&format!("/{path}")),
    };
    let listed: Vec<&View> = paths.iter().filter_map(find).collect();
    let added = views
        .values()
        .filter(|view| !listed.iter().any(|seen| seen.path == view.path));
    listed
        .iter()
        .copied()
        .chain(added)
        .fold(None, |title, view| view.title.as_deref().or(title))
}

/// Keeps the first of paths naming the same route (`users/:id` and `/users/:id` are one).
fn dedupe(paths: &mut Vec<Arc<str>>) {
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::page_title;
    use crate::prerender::{View, Views};

    fn views(titles: &[(&str, Option<&str>)]) -> Views {
        titles
            .iter()
            .map(|(path, title)| View {
                path: (*path).into(),
                html: String::new(),
                title: title.map(str::to_owned),
            })
            .collect()
    }

    #[test]
    fn the_innermost_titled_view_names_the_document() {
        let paths: [Arc<str>; 2] = ["/outer".into(), "inner".into()];
        let both = views(&[("/inner", Some("Inner")), ("/outer", Some("Outer"))]);
        assert_eq!(page_title(&paths, &both), Some("Inner"));
        let outer = views(&[("/inner", None), ("/outer", Some("Outer"))]);
        assert_eq!(page_title(&paths, &outer), Some("Outer"));
        let none = views(&[("/inner", None), ("/outer", None)]);
        assert_eq!(page_title(&paths, &none), None);
        // A view a `prerender` hook added comes after the listed ones, as in the document.
        let added = views(&[
            ("/a", Some("Added")),
            ("/inner", Some("Inner")),
            ("/outer", None),
        ]);
        assert_eq!(page_title(&paths, &added), Some("Added"));
    }
}
