//! The session layer: loads the session before any request runs (pages, `/_pulse/*`, custom
//! endpoints), hands it to handlers through the [`Session`] extractor, and sends `Set-Cookie`
//! afterwards when the session changed or its cookie needs refreshing.

use std::convert::Infallible;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use axum::extract::{FromRequestParts, Request as AxumRequest};
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, CatchUnwind};
use http::header::SET_COOKIE;
use http::request::Parts;
use http::{HeaderValue, StatusCode};
use pin_project_lite::pin_project;
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
///
/// As a [`Layer`] it puts the session in the request's extensions (see [`InExtensions`]), where
/// handlers find it with the [`Session`] extractor; [`SessionLayer::around`] hands it to a
/// service of Pulse's own directly.
#[derive(Clone)]
pub(crate) struct SessionLayer {
    sessions: Sessions,
}

impl SessionLayer {
    pub(crate) fn new(sessions: Sessions) -> SessionLayer {
        SessionLayer { sessions }
    }

    /// The layer around `inner`, which takes each request's session as an argument
    /// ([`TakesSession`]) rather than from the request's extensions: no trip through them.
    pub(crate) fn around<S: TakesSession>(&self, inner: S) -> SessionService<S> {
        SessionService {
            inner,
            sessions: self.sessions.clone(),
        }
    }
}

impl<S> Layer<S> for SessionLayer {
    type Service = SessionService<InExtensions<S>>;

    fn layer(&self, inner: S) -> Self::Service {
        SessionService {
            inner: InExtensions(inner),
            sessions: self.sessions.clone(),
        }
    }
}

/// A service the session layer hands each request's session to, beside the request.
pub(crate) trait TakesSession: Service<AxumRequest> {
    /// [`Service::call`] with the request's session (the one the layer saves afterwards).
    fn call_with(&mut self, request: AxumRequest, session: Session) -> Self::Future;
}

/// A service that finds the session in the request's extensions (a handler's [`Session`]
/// extractor): [`TakesSession`] puts it there.
#[derive(Clone, Debug)]
pub(crate) struct InExtensions<S>(pub(crate) S);

impl<S: Service<AxumRequest>> Service<AxumRequest> for InExtensions<S> {
    type Response = S::Response;
    type Error = S::Error;
    type Future = S::Future;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: AxumRequest) -> S::Future {
        self.0.call(request)
    }
}

impl<S: Service<AxumRequest>> TakesSession for InExtensions<S> {
    fn call_with(&mut self, mut request: AxumRequest, session: Session) -> S::Future {
        request.extensions_mut().insert(session);
        self.0.call(request)
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
    S: TakesSession
        + Service<AxumRequest, Response = Response, Error = Infallible>
        + Clone
        + Send
        + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = SessionFuture<S::Future>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: AxumRequest) -> Self::Future {
        // Each arm builds the future where it is returned: the request's future (a few hundred
        // bytes) is not copied once more through a local.
        match self.sessions.load_now(request.headers()) {
            // No cookie, or a store that answers at once (the cookie store): the request runs
            // now, on the service made ready by `poll_ready`.
            Some(Ok(session)) => SessionFuture {
                phase: Phase::Running {
                    inner: AssertUnwindSafe(self.inner.call_with(request, session.clone()))
                        .catch_unwind(),
                    sessions: self.sessions.clone(),
                    session,
                },
            },
            Some(Err(error)) => SessionFuture {
                phase: Phase::Done {
                    response: Some(unavailable(&error)),
                },
            },
            // A store to wait for: the request runs after it, on the ready service (a clone
            // takes its place: tower's usual dance).
            None => {
                let clone = self.inner.clone();
                let inner = std::mem::replace(&mut self.inner, clone);
                SessionFuture {
                    phase: Phase::Waiting {
                        future: Box::pin(load_then_run(self.sessions.clone(), inner, request)),
                    },
                }
            }
        }
    }
}

/// The whole request when the store must be awaited: load, run, persist.
async fn load_then_run<S>(
    sessions: Sessions,
    mut inner: S,
    request: AxumRequest,
) -> Result<Response, Infallible>
where
    S: TakesSession + Service<AxumRequest, Response = Response, Error = Infallible>,
{
    let session = match sessions.load(request.headers()).await {
        Ok(session) => session,
        Err(error) => return Ok(unavailable(&error)),
    };
    match AssertUnwindSafe(inner.call_with(request, session.clone()))
        .catch_unwind()
        .await
    {
        Ok(Ok(response)) => Ok(persist_into(&sessions, &session, response).await),
        Err(panic) => Ok(panicked(panic)),
    }
}

/// Saves `session` after its request and adds the `Set-Cookie` to `response` (503 when the
/// store is down).
async fn persist_into(sessions: &Sessions, session: &Session, response: Response) -> Response {
    finish(sessions.persist(session).await, response)
}

fn finish(persisted: Result<Option<HeaderValue>, StoreError>, mut response: Response) -> Response {
    match persisted {
        Ok(Some(cookie)) => {
            response.headers_mut().append(SET_COOKIE, cookie);
            response
        }
        Ok(None) => response,
        Err(error) => unavailable(&error),
    }
}

/// A panicking handler: 500, and nothing of the request is saved.
fn panicked(panic: Box<dyn std::any::Any + Send>) -> Response {
    tracing::error!(panic = %panic_message(panic), "request handler panicked");
    super::page::internal_error()
}

pin_project! {
    /// The response future of [`SessionService`]. A named type, not a boxed future: with no
    /// cookie or the cookie store, and nothing to save, a request costs no allocation here.
    pub(crate) struct SessionFuture<F> {
        #[pin]
        phase: Phase<F>,
    }
}

pin_project! {
    #[project = PhaseProj]
    enum Phase<F> {
        /// The session is loaded and the request runs; then the session is persisted, at once
        /// when the store has nothing to do.
        Running {
            #[pin]
            inner: CatchUnwind<AssertUnwindSafe<F>>,
            sessions: Sessions,
            session: Session,
        },
        /// The store must be awaited (loading, or saving after the request).
        Waiting {
            future: BoxFuture<'static, Result<Response, Infallible>>,
        },
        /// Answered (the store was unavailable).
        Done {
            response: Option<Response>,
        },
    }
}

impl<F> Future for SessionFuture<F>
where
    F: Future<Output = Result<Response, Infallible>>,
{
    type Output = Result<Response, Infallible>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        loop {
            let next = match self.as_mut().project().phase.project() {
                PhaseProj::Running {
                    inner,
                    sessions,
                    session,
                } => {
                    let response = match ready!(inner.poll(cx)) {
                        Ok(Ok(response)) => response,
                        Err(panic) => return Poll::Ready(Ok(panicked(panic))),
                    };
                    match sessions.persist_now(session) {
                        Some(persisted) => return Poll::Ready(Ok(finish(persisted, response))),
                        None => {
                            let (sessions, session) = (sessions.clone(), session.clone());
                            Phase::Waiting {
                                future: Box::pin(async move {
                                    Ok(persist_into(&sessions, &session, response).await)
                                }),
                            }
                        }
                    }
                }
                PhaseProj::Waiting { future } => return future.as_mut().poll(cx),
                PhaseProj::Done { response } => {
                    let response = response.take().unwrap_or_else(super::page::internal_error);
                    return Poll::Ready(Ok(response));
                }
            };
            self.as_mut().project().phase.set(next);
        }
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

#[cfg(test)]
mod tests {
    use std::future::{Ready, ready};
    use std::sync::Arc;

    use axum::body::Body;
    use tower::ServiceExt;

    use super::*;
    use crate::request::Scheme;
    use crate::sessions::config::{Secret, SessionConfig};
    use crate::sessions::revocation::LocalRevocations;
    use crate::sessions::store::CookieStore;

    fn layer() -> SessionLayer {
        let secret = Secret::new([7u8; 32]).unwrap();
        let sessions = Sessions::new(
            Arc::new(CookieStore::new(secret)),
            SessionConfig::default(),
            Arc::new(LocalRevocations::default()),
            Scheme::Http,
        );
        SessionLayer::new(sessions)
    }

    /// Signs in, with the session it is handed, or the one in the request's extensions.
    #[derive(Clone)]
    struct SignIn;

    fn sign_in(session: &Session) -> Ready<Result<Response, Infallible>> {
        session.insert("user", "ada").unwrap();
        ready(Ok(Response::new(Body::empty())))
    }

    impl Service<AxumRequest> for SignIn {
        type Response = Response;
        type Error = Infallible;
        type Future = Ready<Result<Response, Infallible>>;

        fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
            Poll::Ready(Ok(()))
        }

        fn call(&mut self, request: AxumRequest) -> Self::Future {
            sign_in(
                request
                    .extensions()
                    .get::<Session>()
                    .expect("in the extensions"),
            )
        }
    }

    impl TakesSession for SignIn {
        fn call_with(&mut self, request: AxumRequest, session: Session) -> Self::Future {
            assert!(
                request.extensions().get::<Session>().is_none(),
                "handed over"
            );
            sign_in(&session)
        }
    }

    #[tokio::test]
    async fn the_session_handed_to_a_service_or_put_in_extensions_is_the_one_saved() {
        let request = || AxumRequest::new(Body::empty());
        let direct = layer().around(SignIn).oneshot(request()).await.unwrap();
        let through = layer().layer(SignIn).oneshot(request()).await.unwrap();
        for response in [direct, through] {
            let cookie = response.headers()[SET_COOKIE].to_str().unwrap();
            assert!(cookie.starts_with("pulse.sid=v2."), "{cookie}");
        }
    }
}
