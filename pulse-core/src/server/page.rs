//! `GET <path>`: a page request, answered with an HTML document, a redirect or a 404.

use std::convert::Infallible;
use std::future::{Ready, ready};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::body::Body;
use axum::extract::Request as AxumRequest;
use axum::response::{Html, IntoResponse, Response};
use futures_util::future::{BoxFuture, Either};
use http::header::{ALLOW, CACHE_CONTROL, CONTENT_TYPE, LOCATION};
use http::{HeaderValue, Method, StatusCode};
use tower::Service;

use super::ServerState;
use super::document;
use super::session::{SessionService, TakesSession};
use crate::dispatch::PrerenderError;
use crate::outcome::PrerenderResponse;
use crate::request::Request;
use crate::session::Session;
use crate::sessions::csrf::CrossOriginService;
use crate::sessions::request_owned;

/// Pages depend on the session: no cache keeps them, not even the browser's, so Back after
/// signing out loads the page again (and its guards run) instead of showing the signed-in page.
pub(crate) const PRIVATE: HeaderValue = HeaderValue::from_static("private, no-store");

/// An HTML document's type, as axum's `Html` sets it.
const HTML: HeaderValue = HeaderValue::from_static("text/html; charset=utf-8");

/// The pages: the server router's fallback, a tower service of its own (no extractors to run,
/// no request to take apart and put back together). A page's future is boxed once, and holds
/// only what the page needs while it renders: the rare answers that await (the 404 page) are
/// boxed on their own, and a wrong method is answered without a future to box.
#[derive(Clone)]
pub(crate) struct Pages(pub(crate) ServerState);

impl Service<AxumRequest> for Pages {
    type Response = Response;
    type Error = Infallible;
    type Future = Either<
        Ready<Result<Response, Infallible>>,
        BoxFuture<'static, Result<Response, Infallible>>,
    >;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    /// A page without the session layer around it (which `Server` never builds): a fresh
    /// session, as for a handler that finds none.
    fn call(&mut self, mut request: AxumRequest) -> Self::Future {
        let session = request.extensions_mut().remove().unwrap_or_default();
        self.call_with(request, session)
    }
}

/// The pages with the cross-site check and the session layer around them: the router's fallback.
pub(crate) type PagesService = CrossOriginService<SessionService<Pages>>;

/// The future of a [`PagesService`] call.
pub(crate) type PagesFuture = <PagesService as Service<AxumRequest>>::Future;

/// Pages as the server's accept loop calls them directly, without axum's router, for a request
/// whose path none of the app's endpoints (nor the framework's, all under `/_pulse/`) matches:
/// where axum's router would have called its fallback. Built only when every endpoint's path is
/// known ([`Server::route`](super::Server::route)).
#[derive(Clone)]
pub(crate) struct DirectPages {
    /// The same service as the router's fallback: the cross-site check, the session layer and
    /// the pages.
    pub(crate) pages: PagesService,
    /// The app's endpoint paths.
    pub(crate) endpoints: Arc<matchit::Router<()>>,
}

impl DirectPages {
    /// Whether a request for `path` is a page request: axum's router would find no route for it.
    pub(crate) fn take(&self, path: &str) -> bool {
        !path.starts_with("/_pulse/") && self.endpoints.at(path).is_err()
    }

    /// Answers a page request. A `HEAD` request's answer needs nothing of axum's: hyper sends
    /// its headers, `Content-Length` from the body's exact size included, and no body.
    pub(crate) fn call(&self, request: AxumRequest) -> PagesFuture {
        // Always ready (the cross-site check, the session layer and the pages wait for
        // nothing before a request): called at once, without a `Oneshot` around the future.
        self.pages.clone().call(request)
    }
}

/// The session layer hands pages their session directly (not through the request's extensions).
impl TakesSession for Pages {
    fn call_with(&mut self, request: AxumRequest, session: Session) -> Self::Future {
        let (parts, _body) = request.into_parts();
        if parts.method != Method::GET && parts.method != Method::HEAD {
            let mut response = StatusCode::METHOD_NOT_ALLOWED.into_response();
            response
                .headers_mut()
                .insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
            return Either::Left(ready(Ok(response)));
        }
        let request = request_owned(parts, self.0.scheme);
        let state = self.0.clone();
        Either::Right(Box::pin(async move {
            let answered = answer(&state, &request, &session).await;
            Ok(match answered {
                Some(response) => response,
                None => Box::pin(not_found(&state, &request, &session)).await,
            })
        }))
    }
}

/// The page's answer, or `None` for the 404 page.
async fn answer(state: &ServerState, request: &Request, session: &Session) -> Option<Response> {
    // The same entry point as `App::prerender`: in-process tests run the server's path.
    Some(match state.app.page(request, session).await {
        Ok(Some((payload, PrerenderResponse::Ok(prerender)))) => {
            // The document opens a WebSocket only when one of its views has live features.
            let live = state.app.any_live(prerender.views.keys());
            let document = document::page(
                &frame(state, request, session),
                &payload.paths,
                &payload.route_info,
                &prerender.views,
                live,
            );
            // The headers `([(CACHE_CONTROL, PRIVATE)], Html(document))` would give, set
            // directly (without the response-parts machinery, on every page).
            let mut response = Response::new(Body::from(document));
            let headers = response.headers_mut();
            headers.insert(CONTENT_TYPE, HTML);
            headers.insert(CACHE_CONTROL, PRIVATE);
            response
        }
        Ok(Some((_, PrerenderResponse::Redirect(redirect)))) => redirect_to(redirect.path()),
        Ok(None | Some((_, PrerenderResponse::NotFound))) => return None,
        Ok(Some((_, PrerenderResponse::TooManyRequests(limited)))) => too_many_requests(limited),
        Err(PrerenderError::UnknownPath(_) | PrerenderError::EmptyPaths) => return None,
        Err(_) => internal_error(),
    })
}

/// A 302 to `target`, which the app has checked is a local path (a value that cannot be a
/// header is refused with a 500).
fn redirect_to(target: &str) -> Response {
    match HeaderValue::from_str(target) {
        Ok(location) => (StatusCode::FOUND, [(LOCATION, location)]).into_response(),
        Err(_) => {
            tracing::error!(target, "refused a redirect that is not a header value");
            internal_error()
        }
    }
}
/// The app's head and layout around a document for `request`.
fn frame<'a>(
    state: &'a ServerState,
    request: &'a Request,
    session: &'a Session,
) -> document::Frame<'a> {
    document::Frame {
        head: &state.app.head,
        layout: state.app.layout.as_ref(),
        request,
        session,
    }
}

/// The 404 page: the app's `not_found` page, or a short one that links home; in the app's
/// layout either way.
async fn not_found(state: &ServerState, request: &Request, session: &Session) -> Response {
    // Browsers ask for an icon on their own: an app without one answers "no content" instead
    // of a 404 that every browser logs on the console of every page. An icon served by a route
    // or an endpoint of the app is found before this.
    if request.path() == "/favicon.ico" {
        return (
            StatusCode::NO_CONTENT,
            [(
                CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            )],
        )
            .into_response();
    }
    let (title, body) = match state.app.not_found_view(request, session).await {
        Some(view) => (view.title, view.html),
        None => (
            Some("Page not found".to_owned()),
            maud::html! {
                h1 { "Page not found" }
                p { "There is no page at " code { (request.path()) } "." }
                p { a href="/" { "Go to the home page" } }
            }
            .into_string(),
        ),
    };
    let html = document::plain(&frame(state, request, session), title.as_deref(), body);
    (
        StatusCode::NOT_FOUND,
        [(CACHE_CONTROL, PRIVATE)],
        Html(Body::from(html)),
    )
        .into_response()
}

/// The 429 page, with `Retry-After`.
fn too_many_requests(limited: crate::outcome::TooManyRequests) -> Response {
    (
        StatusCode::TOO_MANY_REQUESTS,
        [(
            http::header::RETRY_AFTER,
            limited.retry_after_secs().to_string(),
        )],
        Html(Body::from(document::bare(
            "Too many requests",
            "<h1>429 Too Many Requests</h1>\n<p>Please wait a moment and try again.</p>",
        ))),
    )
        .into_response()
}

/// The 500 page (without the app's layout: the app's code may be what failed).
pub(crate) fn internal_error() -> Response {
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Html(Body::from(document::bare(
            "Server error",
            "<h1>Server error</h1>\n<p>Something went wrong on our side. <a href=\"/\">Go to the home page</a>.</p>",
        ))),
    )
        .into_response()
}
