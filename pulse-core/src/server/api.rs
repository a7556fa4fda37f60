//! The app's own endpoints (given to [`Server::routes`](super::Server::routes)) through the
//! `api` hook, and the HTTP answers of `api` results.

use axum::Json;
use axum::extract::{Request as AxumRequest, State};
use axum::middleware::Next as AxumNext;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use http::header::RETRY_AFTER;
use serde_json::json;

use super::ServerState;
use crate::outcome::{ApiResponse, TooManyRequests};
use crate::sessions::request_and_session;

/// The `api` hook around one endpoint request: the app-wide chain, then the group middleware
/// of the endpoint pattern it matches (`api "/api/me"` in `routes!`), then the endpoint.
pub(crate) async fn layer(
    State(state): State<ServerState>,
    request: AxumRequest,
    endpoint: AxumNext,
) -> Response {
    let (parts, body) = request.into_parts();
    let (pulse, session) = request_and_session(&parts, state.scheme);
    let request = AxumRequest::from_parts(parts, body);
    let outcome = state
        .app
        .api(&pulse, &session, move || endpoint.run(request))
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
