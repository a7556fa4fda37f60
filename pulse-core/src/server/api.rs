//! The app's own endpoints (given to [`Server::routes`](super::Server::routes)) through the
//! `api` hook, and the HTTP answers of `api` results.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::Json;
use axum::extract::Request as AxumRequest;
use axum::response::{IntoResponse, Response};
use futures_util::future::BoxFuture;
use http::StatusCode;
use http::header::RETRY_AFTER;
use serde_json::json;
use tower::{Layer, Service};

use super::ServerState;
use crate::outcome::{ApiResponse, TooManyRequests};
use crate::sessions::request_and_session;

/// The `api` hook as a tower layer around the app's own endpoints (a named service rather than
/// `axum::middleware::from_fn`, which boxes the endpoint again for its `Next` on every request).
#[derive(Clone)]
pub(crate) struct ApiLayer {
    state: ServerState,
}

impl ApiLayer {
    pub(crate) fn new(state: ServerState) -> ApiLayer {
        ApiLayer { state }
    }
}

impl<S> Layer<S> for ApiLayer {
    type Service = ApiService<S>;

    fn layer(&self, endpoint: S) -> ApiService<S> {
        ApiService {
            endpoint,
            state: self.state.clone(),
        }
    }
}

/// An endpoint behind the `api` hook (see [`ApiLayer`]).
#[derive(Clone)]
pub(crate) struct ApiService<S> {
    endpoint: S,
    state: ServerState,
}

impl<S> Service<AxumRequest> for ApiService<S>
where
    S: Service<AxumRequest, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = BoxFuture<'static, Result<Response, Infallible>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.endpoint.poll_ready(cx)
    }

    fn call(&mut self, request: AxumRequest) -> Self::Future {
        // The service made ready by `poll_ready` runs the request; a clone takes its place.
        let clone = self.endpoint.clone();
        let endpoint = std::mem::replace(&mut self.endpoint, clone);
        let state = self.state.clone();
        Box::pin(async move { Ok(run(state, request, endpoint).await) })
    }
}

/// The `api` hook around one endpoint request: the app-wide chain, then the group middleware
/// of the endpoint pattern it matches (`api "/api/me"` in `routes!`), then the endpoint.
async fn run<S>(state: ServerState, request: AxumRequest, mut endpoint: S) -> Response
where
    S: Service<AxumRequest, Response = Response, Error = Infallible> + Send,
    S::Future: Send,
{
    let (parts, body) = request.into_parts();
    let (pulse, session) = request_and_session(&parts, state.scheme);
    let request = AxumRequest::from_parts(parts, body);
    let outcome = state
        .app
        .api(&pulse, &session, move || async move {
            match endpoint.call(request).await {
                Ok(response) => response,
                Err(never) => match never {},
            }
        })
        .await;
    if !outcome.is_ok() {
        tracing::info!(
            target: "pulse::api",
            method = %pulse.method(),
            path = pulse.path(),
            client = ?pulse.client(),
            status = outcome.status().as_u16(),
            "api request stopped by middleware"
        );
    }
    outcome.into_response()
}

fn error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// 429 with `Retry-After` (whole seconds) and `{"error": "too many requests", "retryAfter": secs}`.
impl IntoResponse for TooManyRequests {
    fn into_response(self) -> Response {
        let secs = self.retry_after_secs();
        (
            StatusCode::TOO_MANY_REQUESTS,
            [(RETRY_AFTER, secs.to_string())],
            Json(json!({ "error": "too many requests", "retryAfter": secs })),
        )
            .into_response()
    }
}

/// The endpoint's response, or a JSON refusal (see [`ApiResponse`]).
impl IntoResponse for ApiResponse {
    fn into_response(self) -> Response {
        match self {
            ApiResponse::Ok(response) => response,
            ApiResponse::Unauthorized => error(StatusCode::UNAUTHORIZED, "unauthorized"),
            ApiResponse::Deny => error(StatusCode::FORBIDDEN, "forbidden"),
            ApiResponse::NotFound => error(StatusCode::NOT_FOUND, "not found"),
            ApiResponse::TooManyRequests(limited) => limited.into_response(),
        }
    }
}
