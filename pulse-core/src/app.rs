//! [`App`]: routes plus the app-wide chain, driven in-process. The server is a thin adapter
//! over these entry points, and tests can call them without sockets.

use std::any::Any;
use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use futures_util::future::Either;
use serde_json::Value;

use crate::chain::Chain;
use crate::erased::{DynNext, ErasedMiddleware};
use crate::hook::{
    ApiArgs, ChannelArgs, ConnectArgs, MessageArgs, PrerenderArgs, PrerenderRouteArgs, next_fn,
};
use crate::message::{ChannelMessage, ClientMessage};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};
use crate::page::{Component, ErasedComponent, PageContext, ViewState};
use crate::prerender::{Prerender, PrerenderPayload, View};
use crate::request::Request;
use crate::route::{RouteEntry, RouteInfo, Routes};
use crate::session::Session;

/// Why a prerender could not produce a response; the server answers 400, 404 or 500.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PrerenderError {
    /// The payload named no path (400).
    #[error("'paths' must be a non-empty list")]
    EmptyPaths,
    /// The payload named a path that is not a route (404).
    #[error("unknown route `{0}`")]
    UnknownPath(String),
    /// A hook or a page panicked (500).
    #[error("a prerender hook or page panicked: {0}")]
    Panic(String),
    /// A hook redirected to something that is not a local path (500; never sent).
    #[error("refusing to redirect to `{0}`: redirect targets must be local paths")]
    UnsafeRedirect(String),
}

/// An app: its routes and its middleware chain.
///
/// Cheap to clone (a shared handle).
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
    pub(crate) not_found: Option<Arc<dyn ErasedComponent>>,
}

pub(crate) struct Inner {
    pub(crate) routes: Routes,
    pub(crate) chain: Box<dyn ErasedMiddleware>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("routes", &self.inner.routes)
            .finish_non_exhaustive()
    }
}

pub(crate) fn panic_message(payload: Box<dyn Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "non-string panic payload".to_owned())
}

/// Runs `groups` (outermost first) around `terminal` for one hook, boxing each step.
macro_rules! through_groups {
    ($groups:expr, $method:ident, $args:expr, $terminal:expr) => {{
        fn go<'a, F>(
            groups: &'a [Arc<dyn ErasedMiddleware>],
            args: <crate::hook::$method as crate::hook::Hook>::Args<'a>,
            terminal: F,
        ) -> futures_util::future::BoxFuture<'a, <crate::hook::$method as crate::hook::Hook>::Response>
        where
            F: Future<Output = <crate::hook::$method as crate::hook::Hook>::Response> + Send + 'a,
        {
            match groups.split_first() {
                None => Box::pin(terminal),
                Some((first, rest)) => {
                    through_groups!(@call first, $method, args, DynNext(go(rest, args, terminal)))
                }
            }
        }
        go($groups, $args, $terminal)
    }};
    (@call $mw:expr, PrerenderRoute, $args:expr, $next:expr) => { $mw.prerender_route($args, $next) };
    (@call $mw:expr, Message, $args:expr, $next:expr) => { $mw.message($args, $next) };
    (@call $mw:expr, Api, $args:expr, $next:expr) => { $mw.api($args, $next) };
}

impl App {
    /// An app from its routes and its app-wide middleware (a chain from `ps::middleware![…]`,
    /// a single middleware, or `()` for none).
    pub fn new(routes: Routes, middleware: impl PulseMiddleware) -> App {
        App {
            inner: Arc::new(Inner {
                routes,
                // A lone dev-only middleware is filtered like one inside a chain.
                chain: Box::new(Chain::new(middleware, ())),
            }),
            not_found: None,
        }
    }

    /// Uses `page` for "not found" answers (no route matched, or a hook returned `NotFound`).
    /// Without one, the server answers with a plain 404 page.
    pub fn not_found<C: Component>(mut self, page: C) -> App {
        self.not_found = Some(Arc::new(page));
        self
    }

    /// Renders the app's not-found page for `request`, if it has one. A panicking page yields
    /// `None` (the caller falls back to a plain page).
    pub async fn render_not_found(&self, request: &Request, session: &Session) -> Option<String> {
        let page = self.not_found.as_ref()?;
        let route_info = RouteInfo {
            pathname: request.path().to_owned(),
            query: request.query().to_owned(),
            query_params: form_urlencoded::parse(request.query().as_bytes())
                .into_owned()
                .collect(),
            ..RouteInfo::default()
        };
        let cx = PageContext::new("", route_info, session.clone(), request.clone());
        match AssertUnwindSafe(page.render(cx)).catch_unwind().await {
            Ok(markup) => Some(markup.into_string()),
            Err(panic) => {
                tracing::error!(panic = %panic_message(panic), "not-found page panicked");
                None
            }
        }
    }

    /// The route table.
    pub fn routes(&self) -> &Routes {
        &self.inner.routes
    }

    /// A page request: resolves the request's URL, runs `prerender`, then `prerender_route` for
    /// the matched route, and renders. A URL matching no route is `NotFound` (no hook runs).
    pub async fn prerender(
        &self,
        request: &Request,
        session: &Session,
    ) -> Result<PrerenderResponse, PrerenderError> {
        let target = if request.query().is_empty() {
            request.path().to_owned()
        } else {
            format!("{}?{}", request.path(), request.query())
        };
        let Some((pattern, route_info)) = self.inner.routes.resolve(&target) else {
            return Ok(PrerenderResponse::NotFound);
        };
        let payload = PrerenderPayload {
            paths: vec![pattern.to_owned()],
            route_info,
        };
        self.prerender_payload(&payload, request, session).await
    }

    /// The JSON form of a page request (`POST /_pulse/prerender`): renders the given route
    /// patterns for the given URL.
    pub async fn prerender_payload(
        &self,
        payload: &PrerenderPayload,
        request: &Request,
        session: &Session,
    ) -> Result<PrerenderResponse, PrerenderError> {
        if payload.paths.is_empty() {
            return Err(PrerenderError::EmptyPaths);
        }
        let mut entries = Vec::with_capacity(payload.paths.len());
        for path in &payload.paths {
            let normalized = if path.starts_with('/') {
                path.clone()
            } else {
                format!("/{path}")
            };
            let entry = self
                .inner
                .routes
                .find(&normalized)
                .ok_or_else(|| PrerenderError::UnknownPath(path.clone()))?;
            entries.push(entry);
        }
        let job = PageJob {
            entries: &entries,
            payload,
            request,
            session,
        };
        let outcome = AssertUnwindSafe(self.inner.chain.page(job))
            .catch_unwind()
            .await
            .map_err(|panic| {
                let message = panic_message(panic);
                tracing::error!(panic = %message, "prerender hook or page panicked");
                PrerenderError::Panic(message)
            })?;
        match outcome {
            PrerenderResponse::Redirect(redirect) if !redirect.is_local() => {
                tracing::error!(target = redirect.path(), "refused a non-local redirect");
                Err(PrerenderError::UnsafeRedirect(redirect.path().to_owned()))
            }
            outcome => Ok(outcome),
        }
    }

    /// A WebSocket opening: runs `connect`. A panicking hook denies (fails closed).
    pub async fn connect(&self, request: &Request, session: &Session) -> ConnectResponse {
        let args = ConnectArgs { request, session };
        let next = DynNext(Box::pin(async { ConnectResponse::Ok }));
        AssertUnwindSafe(self.inner.chain.connect(args, next))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                tracing::error!(panic = %panic_message(panic), "connect hook panicked; denying");
                ConnectResponse::Deny
            })
    }

    /// A client message: runs `message` through the app-wide chain, then the middleware of the
    /// group owning the addressed route, then `execute` (the framework's handling of the
    /// message). A panic anywhere denies.
    pub async fn message<F, Fut>(
        &self,
        data: &ClientMessage,
        request: &Request,
        session: &Session,
        execute: F,
    ) -> MessageResponse
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = MessageResponse> + Send,
    {
        let args = MessageArgs {
            data,
            session,
            request,
        };
        let groups = data
            .path()
            .and_then(|path| self.inner.routes.find(path))
            .map_or(&[][..], |entry| &entry.groups[..]);
        let terminal = through_groups!(groups, Message, args, async move { execute().await });
        AssertUnwindSafe(self.inner.chain.message(args, DynNext(terminal)))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                tracing::error!(panic = %panic_message(panic), "message hook or handler panicked; denying");
                MessageResponse::Deny
            })
    }

    /// A channel message: runs `channel`, then `deliver` (publishing it). A panic denies.
    pub async fn channel<F, Fut>(
        &self,
        message: &ChannelMessage,
        session: &Session,
        deliver: F,
    ) -> ChannelResponse
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = ChannelResponse> + Send,
    {
        let args = ChannelArgs {
            channel_id: &message.channel_id,
            event: &message.event,
            payload: &message.payload,
            request_id: message.request_id.as_deref(),
            session,
        };
        let next = DynNext(Box::pin(async move { deliver().await }));
        AssertUnwindSafe(self.inner.chain.channel(args, next))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                tracing::error!(panic = %panic_message(panic), "channel hook panicked; denying");
                ChannelResponse::Deny
            })
    }

    /// A request to one of the app's own endpoints: runs `api` through the app-wide chain, then
    /// the middleware of the group whose endpoint pattern (`api "/api/me"`) matches the path,
    /// then `endpoint`. A panicking hook answers 500 (the endpoint does not run).
    pub async fn api<F, Fut>(
        &self,
        request: &Request,
        session: &Session,
        endpoint: F,
    ) -> ApiResponse
    where
        F: FnOnce() -> Fut + Send,
        Fut: Future<Output = axum::response::Response> + Send,
    {
        let args = ApiArgs { request, session };
        let groups = self
            .inner
            .routes
            .find_endpoint(request.path())
            .map_or(&[][..], |entry| &entry.groups[..]);
        let terminal = through_groups!(groups, Api, args, async move {
            ApiResponse::Ok(endpoint().await)
        });
        AssertUnwindSafe(self.inner.chain.api(args, DynNext(terminal)))
            .catch_unwind()
            .await
            .unwrap_or_else(|panic| {
                tracing::error!(panic = %panic_message(panic), "api hook or endpoint panicked");
                let body = axum::Json(serde_json::json!({ "error": "internal server error" }));
                let response = (http::StatusCode::INTERNAL_SERVER_ERROR, body);
                ApiResponse::Ok(axum::response::IntoResponse::into_response(response))
            })
    }
}

#[allow(dead_code)]
fn _assert_send(app: &App, r: &Request, s: &Session, m: &ClientMessage, c: &ChannelMessage) {
    fn send<T: Send>(_: T) {}
    send(app.prerender(r, s));
    send(app.connect(r, s));
    send(app.message(m, r, s, || async { MessageResponse::Ok }));
    send(app.channel(c, s, || async { ChannelResponse::Ok }));
    let _: Option<Value> = None;
}

/// One page request for the chain to run: the routes to render and what hooks are given.
#[derive(Clone, Copy)]
pub(crate) struct PageJob<'a> {
    pub(crate) entries: &'a [&'a RouteEntry],
    pub(crate) payload: &'a PrerenderPayload,
    pub(crate) request: &'a Request,
    pub(crate) session: &'a Session,
}

/// `prerender` around `prerender_route` per route around each page, through `chain`. The
/// first `Redirect` or `NotFound` ends the batch.
pub(crate) async fn run_page<M: PulseMiddleware>(chain: &M, job: PageJob<'_>) -> PrerenderResponse {
    let args = PrerenderArgs {
        payload: job.payload,
        request: job.request,
        session: job.session,
    };
    let render_all = || async move {
        let mut views = BTreeMap::new();
        for entry in job.entries {
            let route_info = &job.payload.route_info;
            // Each route renders in its own boxed future: dispatching `prerender_route` statically
            // inside the `prerender` chain nests their types deeply enough to exceed rustc's
            // recursion limit in users' crates for longer chains.
            let state = ViewState::default();
            match ErasedMiddleware::route(chain, entry, route_info, job.request, job.session, state)
                .await
            {
                RoutePrerenderResponse::Ok(view) => {
                    views.insert(entry.pattern.as_str().to_owned(), view);
                }
                RoutePrerenderResponse::Redirect(redirect) => {
                    return PrerenderResponse::Redirect(redirect);
                }
                RoutePrerenderResponse::NotFound => return PrerenderResponse::NotFound,
                RoutePrerenderResponse::TooManyRequests(limited) => {
                    return PrerenderResponse::TooManyRequests(limited);
                }
            }
        }
        PrerenderResponse::Ok(Prerender {
            views,
            directives: Default::default(),
        })
    };
    chain.prerender(args, next_fn(render_all)).await
}

/// One route through `prerender_route`: the app-wide `chain`, then the route's group
/// middleware (boxed, only when there is some), then the page, rendered with `state` (empty for
/// a page request, the live view's own while it is attached over a WebSocket).
pub(crate) async fn render_route<M: PulseMiddleware>(
    chain: &M,
    entry: &RouteEntry,
    route_info: &RouteInfo,
    request: &Request,
    session: &Session,
    state: ViewState,
) -> RoutePrerenderResponse {
    let path = entry.pattern.as_str();
    let args = PrerenderRouteArgs {
        path,
        route_info,
        request,
        session,
    };
    let cx = PageContext::new(path, route_info.clone(), session.clone(), request.clone())
        .with_state(state);
    let render = async move {
        let html = entry.component.render(cx).await.into_string();
        RoutePrerenderResponse::Ok(View {
            path: path.to_owned(),
            html,
        })
    };
    let terminal = if entry.groups.is_empty() {
        Either::Left(render)
    } else {
        Either::Right(through_groups!(&entry.groups, PrerenderRoute, args, render))
    };
    chain.prerender_route(args, next_fn(|| terminal)).await
}
