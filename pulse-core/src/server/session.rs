//! The session layer: loads the session before any request runs (pages, `/_pulse/*`, custom
//! endpoints), hands it to handlers through the [`Session`] extractor, and sends `Set-Cookie`
//! afterwards when the session changed or its cookie needs refreshing.

use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::task::{Context, Poll};

use axum::extract::{ConnectInfo, FromRequestParts, Request as AxumRequest};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use http::header::{COOKIE, SET_COOKIE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};
use tower::{Layer, Service};

use super::store::{LoadedSession, SessionStore};
use crate::dispatch::panic_message;
use crate::request::{Request, Scheme};
use crate::session::Session;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "pulse.sid";

/// The one constructor of what a framework endpoint (a page, `POST /_pulse/prerender`, the
/// WebSocket upgrade) hands the engine: the hooks' view of the HTTP request (client address
/// from the TCP peer, when the server was started with connect info) and the session the layer
/// loaded (a fresh one if the layer is missing, which `Server` prevents).
pub(crate) fn request_and_session(parts: &Parts, scheme: Scheme) -> (Request, Session) {
    let client = parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| *addr);
    let session = parts
        .extensions
        .get::<Session>()
        .cloned()
        .unwrap_or_default();
    (Request::from_parts(parts, client, scheme), session)
}

/// The app's sessions: a store plus the cookie's attributes. Cheap to clone.
///
/// Crate-visible so other server parts (the WebSocket upgrade, `/_pulse/set-cookies`) load and
/// persist sessions exactly as the layer does.
#[derive(Clone)]
pub(crate) struct Sessions {
    store: Arc<dyn SessionStore>,
    secure: bool,
}

impl Sessions {
    pub(crate) fn new(store: Arc<dyn SessionStore>, scheme: Scheme) -> Sessions {
        Sessions {
            store,
            secure: scheme == Scheme::Https,
        }
    }

    /// The session named by the request's `pulse.sid` cookie (the first one sent), or a fresh one.
    pub(crate) async fn load(&self, headers: &HeaderMap) -> LoadedSession {
        self.store.load(session_cookie(headers).as_deref()).await
    }

    /// Saves the session when it changed or its cookie needs refreshing, returning the
    /// `Set-Cookie` header to send. A failed save is logged and sends nothing: the browser
    /// keeps its previous cookie.
    pub(crate) async fn persist(&self, loaded: &LoadedSession) -> Option<HeaderValue> {
        let session = &loaded.session;
        if !session.is_changed() && !loaded.refresh {
            return None;
        }
        match self.store.save(session).await {
            Ok(value) => {
                session.mark_saved();
                self.set_cookie(&value)
            }
            Err(error) => {
                tracing::error!(%error, "could not save the session; its changes are lost");
                None
            }
        }
    }

    fn set_cookie(&self, value: &str) -> Option<HeaderValue> {
        let max_age = self.store.max_age().as_secs();
        let cookie = cookie::Cookie::build((COOKIE_NAME, value))
            .http_only(true)
            .same_site(cookie::SameSite::Lax)
            .path("/")
            .max_age(cookie::time::Duration::seconds(
                i64::try_from(max_age).unwrap_or(i64::MAX),
            ))
            .secure(self.secure)
            .build();
        HeaderValue::try_from(cookie.to_string())
            .inspect_err(|error| tracing::error!(%error, "session cookie is not a valid header"))
            .ok()
    }
}

fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| cookie::Cookie::split_parse(value).flatten())
        .find(|cookie| cookie.name() == COOKIE_NAME)
        .map(|cookie| cookie.value().to_owned())
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
            let loaded = sessions.load(request.headers()).await;
            request.extensions_mut().insert(loaded.session.clone());
            let mut response = match AssertUnwindSafe(inner.call(request)).catch_unwind().await {
                Ok(Ok(response)) => response,
                Err(panic) => {
                    tracing::error!(panic = %panic_message(panic), "request handler panicked");
                    return Ok(super::page::internal_error());
                }
            };
            if let Some(cookie) = sessions.persist(&loaded).await {
                response.headers_mut().append(SET_COOKIE, cookie);
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
