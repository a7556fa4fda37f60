//! The app's own endpoints (given to [`Server::routes`](super::Server::routes)) through the
//! `api` hook, and the HTTP answers of `api` results.

use std::convert::Infallible;
use std::task::{Context, Poll};

use axum::Json;
use axum::extract::Request as AxumRequest;
use axum::response::{IntoResponse, Response};
use axum::routing::Route;
use axum::routing::future::RouteFuture;
use futures_util::future::{BoxFuture, Either};
use http::StatusCode;
use http::header::RETRY_AFTER;
use serde_json::json;
use tower::{Layer, Service};

use super::ServerState;
use crate::outcome::{ApiResponse, TooManyRequests};
use crate::request::Request;
use crate::session::Session;
use crate::sessions::request_and_session;

/// The `api` hook as a tower layer around the app's own endpoints (a named service rather than
/// `axum::middleware::from_fn`, which boxes the endpoint again for its `Next` on every request).
#[derive(Clone)]
pub(crate) struct ApiLayer {
    state: ServerState,
    hooks: bool,
}

impl ApiLayer {
    pub(crate) fn new(state: ServerState) -> ApiLayer {
        let hooks = state.app.has_api_hooks();
        ApiLayer { state, hooks }
    }
}

impl Layer<Route> for ApiLayer {
    type Service = ApiService;

    fn layer(&self, endpoint: Route) -> ApiService {
        ApiService {
            endpoint,
            state: self.state.clone(),
            hooks: self.hooks,
        }
    }
}

/// An endpoint behind the `api` hook (see [`ApiLayer`]). The endpoint is axum's [`Route`],
/// which `Router::route_layer` hands the layer: its `call` only clones the route's service into
/// the future it returns, so nothing of the endpoint runs before that future is polled.
#[derive(Clone)]
pub(crate) struct ApiService {
    endpoint: Route,
    state: ServerState,
    /// [`App::has_api_hooks`](crate::App::has_api_hooks): without, requests go straight to the
    /// endpoint.
    hooks: bool,
}

impl Service<AxumRequest> for ApiService {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<RouteFuture<Infallible>, BoxFuture<'static, Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Service::<AxumRequest>::poll_ready(&mut self.endpoint, cx)
    }

    fn call(&mut self, request: AxumRequest) -> Self::Future {
        if !self.hooks {
            return Either::Left(self.endpoint.call(request));
        }
        let (parts, body) = request.into_parts();
        let (pulse, session) = request_and_session(&parts, self.state.scheme);
        // The endpoint's future now, on the route made ready by `poll_ready` (no clone of the
        // route to move into the future); it runs when the hook continues, or is dropped
        // unpolled when the hook answers instead.
        let mut endpoint = self.endpoint.call(AxumRequest::from_parts(parts, body));
        let state = self.state.clone();
        Either::Right(Box::pin(async move {
            Ok(run(&state, &pulse, &session, &mut endpoint).await)
        }))
    }
}

/// The `api` hook around one endpoint request: the app-wide chain, then the group middleware
/// of the endpoint pattern it matches (`api "/api/me"` in `routes!`), then the endpoint.
///
/// The endpoint's future stays where it is (in the request's boxed future) and the hook is
/// handed a reference to it: moved into each future of the chain's, it would be copied into each, and
/// the request's boxed future would grow past what the allocator serves fast.
async fn run(
    state: &ServerState,
    pulse: &Request,
    session: &Session,
    endpoint: &mut RouteFuture<Infallible>,
) -> Response {
    let outcome = state
        .app
        .api(pulse, session, move || async move {
            match endpoint.await {
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

#[cfg(test)]
mod tests {
    use crate::{App, LatencyMiddleware, Routes};

    /// Middleware written by hand may act in any hook; `tests/api_hook.rs` checks that the
    /// record of `#[ps::middleware]` lists only the hooks it defines.
    #[test]
    fn only_apps_with_middleware_that_may_act_in_api_run_the_api_hook() {
        assert!(!App::new(Routes::new(), ()).has_api_hooks());
        assert!(!App::new(Routes::new().endpoint("/api/*"), ()).has_api_hooks());
        assert!(App::new(Routes::new(), LatencyMiddleware::default()).has_api_hooks());
        let guarded = Routes::new().group(
            LatencyMiddleware::default(),
            Routes::new().endpoint("/api/me"),
        );
        assert!(App::new(guarded, ()).has_api_hooks());
    }
}
