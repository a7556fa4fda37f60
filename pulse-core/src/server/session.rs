//! The session layer: loads the session before any request runs (pages, `/_pulse/*`, custom
//! endpoints), hands it to handlers through the [`Session`] extractor, and sends `Set-Cookie`
//! afterwards when the session changed or its cookie needs refreshing.

use std::panic::AssertUnwindSafe;

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::extract::{FromRequestParts, Request as AxumRequest};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use http::StatusCode;
use http::header::SET_COOKIE;
use http::request::Parts;
use tower::{Layer, Service};

use crate::dispatch::panic_message;
use crate::session::Session;
use crate::sessions::Sessions;
use crate::sessions::store::StoreError;

/// The answer when the session store is down: 503, never an anonymous session.
pub(crate) fn unavailable(error: &StoreError) -> Response {
    tracing::error!(%error, "session store unavailable; answering 503");
    let body = serde_json::json!({ "error": "session store unavailable, try again shortly" });
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(http::header::RETRY_AFTER, "1")],
        axum::Json(body),
    )
        .into_response()
}

/// The tower layer around every route: load the session, run the request (a panic becomes a
/// 500 and the session is not saved), then persist it.
#[derive(Clone)]
pub(crate) struct SessionLayer {
    sessions: Sessions,
}

impl SessionLayer {
    pub(crate) fn new(sessions: Sessions) -> SessionLayer {
        SessionLayer { sessions }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner,
            sessions: self.sessions.clone(),
        }
    }
}

/// The service [`SessionLayer`] wraps routes in.
#[derive(Clone)]
pub(crate) struct SessionService<S> {
    inner: S,
    sessions: Sessions,
}

impl<S> Service<AxumRequest> for SessionService<S>
where
    S: Service<AxumRequest, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut request: AxumRequest) -> Self::Future {
        // The clone is not ready; keep the ready service for this call (tower's usual dance).
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let sessions = self.sessions.clone();
        Box::pin(async move {
            let session = match sessions.load(request.headers()).await {
                Ok(session) => session,
                Err(error) => return Ok(unavailable(&error)),
            };
            request.extensions_mut().insert(session.clone());
            let mut response = match AssertUnwindSafe(inner.call(request)).catch_unwind().await {
                Ok(Ok(response)) => response,
                Err(panic) => {
                    tracing::error!(panic = %panic_message(panic), "request handler panicked");
                    return Ok(super::page::internal_error());
                }
            };
            match sessions.persist(&session).await {
                Ok(Some(cookie)) => {
                    response.headers_mut().append(SET_COOKIE, cookie);
                }
                Ok(None) => {}
                Err(error) => return Ok(unavailable(&error)),
            }
            Ok(response)
        })
    }
}

/// The browser's session in a custom endpoint:
///
/// ```
/// # use pulse_core as ps;
/// async fn login(session: ps::Session) -> &'static str {
///     let _ = session.insert("user_email", "ada@example.com");
///     "ok"
/// }
/// let endpoints: axum::Router = axum::Router::new().route("/api/login", axum::routing::post(login));
/// ```
///
/// Available on routes given to [`Server::routes`](super::Server::routes); elsewhere the
/// extractor answers 500 and logs why.
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = MissingSession;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Session>()
            .cloned()
            .ok_or(MissingSession)
    }
}

/// The [`Session`] extractor ran on a route the session layer does not cover.
#[derive(Debug)]
pub struct MissingSession;

impl IntoResponse for MissingSession {
    fn into_response(self) -> Response {
        tracing::error!(
            "the `Session` extractor ran on a route outside Pulse's session layer; add the route with `Server::routes` instead of merging it into the built router"
        );
        (StatusCode::INTERNAL_SERVER_ERROR, "session unavailable").into_response()
    }
}
