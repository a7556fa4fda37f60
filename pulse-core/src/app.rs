//! [`App`]: routes plus the app-wide chain, driven in-process. The server is a thin adapter
//! over these entry points, and tests can call them without sockets.

use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures_util::FutureExt;
use maud::Markup;

use crate::chain::InEnv;
use crate::dispatch::{
    DynNext, ErasedMiddleware, PageJob, PrerenderError, RouteEntry, api_through_groups,
    local_target, message_through_groups, panic_message,
};
use crate::head::{Head, Layout, LayoutContext};
use crate::hook::{ApiArgs, ChannelArgs, ConnectArgs, MessageArgs};
use crate::message::{ChannelMessage, ClientMessage};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse,
};
use crate::page::{Component, ErasedComponent, PageContext, ViewState};
use crate::prerender::{PrerenderPayload, View};
use crate::request::Request;
use crate::route::Routes;
use crate::route_info::RouteInfo;
use crate::session::Session;

/// An app: its routes and its middleware chain.
///
/// Cheap to clone (a shared handle).
///
/// ```
/// use pulse_core as ps;
///
/// async fn home(_: ps::PageContext) -> ps::Markup {
///     ps::html! { h1 { "Home" } }
/// }
///
/// # async fn run() -> std::io::Result<()> {
/// // Usually `ps::pulse_app!{ routes: { "/" => home } }`, which checks the routes at compile time.
/// let app = ps::App::new(ps::Routes::new().route("/", home), ps::LatencyMiddleware::default())
///     .head(ps::Head::new().title("My app"));
/// app.serve("127.0.0.1:8000").await
/// # }
/// ```
#[derive(Clone)]
pub struct App {
    pub(crate) inner: Arc<Inner>,
    pub(crate) not_found: Option<Arc<dyn ErasedComponent>>,
    pub(crate) head: Arc<Head>,
    pub(crate) layout: Option<Layout>,
}

pub(crate) struct Inner {
    pub(crate) routes: Routes,
    /// Whether a route has live features: when none has, no page looks its views up for it.
    pub(crate) any_live: bool,
    pub(crate) chain: Box<dyn ErasedMiddleware>,
}

impl fmt::Debug for App {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("App")
            .field("routes", &self.inner.routes)
            .finish_non_exhaustive()
    }
}

impl App {
    /// An app from its routes and its app-wide middleware (a chain from `ps::stack![…]`,
    /// a single middleware, or `()` for none).
    pub fn new(routes: Routes, middleware: impl PulseMiddleware) -> App {
        App {
            inner: Arc::new(Inner {
                any_live: routes.entries.iter().any(|entry| entry.component.is_live()),
                routes,
                // A lone dev-only middleware is filtered like one inside a chain.
                chain: Box::new(InEnv::new(middleware)),
            }),
            not_found: None,
            head: Arc::default(),
            layout: None,
        }
    }

    /// Uses `head` in every document of the app: a default title, a description, stylesheets.
    /// Pages set their own title with [`PageContext::set_title`].
    ///
    /// ```
    /// use pulse_core as ps;
    ///
    /// async fn home(cx: ps::PageContext) -> ps::Markup {
    ///     cx.set_title("Home"); // the document's title is "Home · My app"
    ///     ps::html! { h1 { "Home" } }
    /// }
    ///
    /// let app = ps::App::new(ps::Routes::new().route("/", home), ())
    ///     .head(ps::Head::new().title("My app").style("body { margin: 2rem; }"));
    /// # let _ = app;
    /// ```
    pub fn head(mut self, head: Head) -> App {
        self.head = Arc::new(head);
        self
    }

    /// Wraps every page of the app, its 404 page included, in `layout`: a
    /// `fn(ps::LayoutContext<'_>, ps::Markup) -> ps::Markup` given the page's content (see
    /// [`Layout`] for an example).
    pub fn layout<F>(mut self, layout: F) -> App
    where
        F: Fn(LayoutContext<'_>, Markup) -> Markup + Send + Sync + 'static,
    {
        self.layout = Some(Layout::new(layout));
        self
    }

    /// Uses `page` for "not found" answers (no route matched, or a hook returned `NotFound`),
    /// inside the app's [layout](App::layout). Without one, the server answers with a short
    /// page that links home.
    ///
    /// ```
    /// use pulse_core as ps;
    ///
    /// async fn home(_: ps::PageContext) -> ps::Markup {
    ///     ps::html! { h1 { "Home" } }
    /// }
    ///
    /// async fn lost(cx: ps::PageContext) -> ps::Markup {
    ///     cx.set_title("Not found");
    ///     ps::html! {
    ///         h1 { "Nothing at " code { (cx.route().pathname) } }
    ///         p { a href="/" { "Back to the home page" } }
    ///     }
    /// }
    ///
    /// let app = ps::App::new(ps::Routes::new().route("/", home), ()).not_found(lost);
    /// # let _ = app;
    /// ```
    pub fn not_found<C: Component>(mut self, page: C) -> App {
        self.not_found = Some(Arc::new(page));
        self
    }

    /// Renders the app's not-found page for `request`, if it has one. A panicking page yields
    /// `None` (the caller falls back to a plain page).
    pub async fn render_not_found(&self, request: &Request, session: &Session) -> Option<String> {
        self.not_found_view(request, session)
            .await
            .map(|view| view.html)
    }

    /// [`App::render_not_found`] with the title the page set.
    pub(crate) async fn not_found_view(
        &self,
        request: &Request,
        session: &Session,
    ) -> Option<View> {
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
        let title = cx.title_slot();
        match AssertUnwindSafe(page.render(cx)).catch_unwind().await {
            Ok(markup) => Some(View {
                path: "".into(),
                html: markup.into_string(),
                title: title.take_title(),
            }),
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
        Ok(match self.page(request, session).await? {
            Some((_, outcome)) => outcome,
            None => PrerenderResponse::NotFound,
        })
    }

    /// [`App::prerender`] with the payload the URL resolved to (the server's HTML document
    /// needs it); `None` when no route matches. The one path of a page request, for the server
    /// and for in-process callers alike.
    pub(crate) async fn page(
        &self,
        request: &Request,
        session: &Session,
    ) -> Result<Option<(PrerenderPayload, PrerenderResponse)>, PrerenderError> {
        let routes = &self.inner.routes;
        let Some((entry, route_info)) = routes.resolve_entry(request.path(), request.query(), "")
        else {
            return Ok(None);
        };
        let payload = PrerenderPayload {
            paths: vec![entry.pattern.shared()],
            route_info: Arc::new(route_info),
        };
        // The entry is at hand: no second lookup of its pattern.
        let outcome = self.run(&[entry], &payload, request, session).await?;
        Ok(Some((payload, outcome)))
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
        let find = |path: &Arc<str>| {
            let found = if path.starts_with('/') {
                self.inner.routes.find(path)
            } else {
                self.inner.routes.find(&format!("/{path}"))
            };
            found.ok_or_else(|| PrerenderError::UnknownPath(path.to_string()))
        };
        // A page request names one route: no list to allocate for it.
        let one;
        let many;
        let entries: &[&RouteEntry] = if let [path] = &payload.paths[..] {
            one = [find(path)?];
            &one
        } else {
            many = payload
                .paths
                .iter()
                .map(find)
                .collect::<Result<Vec<_>, _>>()?;
            &many
        };
        self.run(entries, payload, request, session).await
    }

    /// `prerender` and the pages of `entries` through the chain; a panic or a non-local redirect
    /// is an error.
    async fn run(
        &self,
        entries: &[&RouteEntry],
        payload: &PrerenderPayload,
        request: &Request,
        session: &Session,
    ) -> Result<PrerenderResponse, PrerenderError> {
        let job = PageJob {
            entries,
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
        if let PrerenderResponse::Redirect(redirect) = &outcome {
            local_target(redirect.path())?;
        }
        Ok(outcome)
    }

    /// Whether one of `patterns` is a route with live features (the document then opens a
    /// WebSocket).
    pub(crate) fn any_live<'a>(&self, mut patterns: impl Iterator<Item = &'a str>) -> bool {
        self.inner.any_live
            && patterns.any(|pattern| {
                self.live_route(pattern)
                    .is_some_and(|entry| entry.component.is_live())
            })
    }

    /// The route entry for a pattern, if the app has it.
    pub(crate) fn live_route(&self, pattern: &str) -> Option<&RouteEntry> {
        self.inner.routes.find(pattern)
    }

    /// Renders one attached live view with its state, as a page request renders a route
    /// (through `prerender_route`, so a view a user may not see cannot be attached). A panic or
    /// a non-local redirect is an error, as for [`App::prerender_payload`].
    pub(crate) async fn render_live(
        &self,
        entry: &RouteEntry,
        route_info: &Arc<RouteInfo>,
        request: &Request,
        session: &Session,
        state: &ViewState,
    ) -> Result<RoutePrerenderResponse, PrerenderError> {
        let render = self
            .inner
            .chain
            .route(entry, route_info, request, session, state.clone());
        let outcome = AssertUnwindSafe(render)
            .catch_unwind()
            .await
            .map_err(|panic| {
                let message = panic_message(panic);
                tracing::error!(path = entry.pattern.as_str(), panic = %message, "page panicked");
                PrerenderError::Panic(message)
            })?;
        if let RoutePrerenderResponse::Redirect(redirect) = &outcome {
            local_target(redirect.path())?;
        }
        Ok(outcome)
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
        let terminal = message_through_groups(groups, args, async move { execute().await });
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

    /// Whether a request to one of the app's own endpoints may run middleware: false when no
    /// middleware of the app's chain, nor of a group on an endpoint pattern, acts in the `api`
    /// hook (see `PulseMiddleware::__acts_in`: a middleware's record, narrowed by its
    /// configuration for a `RateLimit`), whose chain would only call the endpoint.
    pub(crate) fn has_api_hooks(&self) -> bool {
        self.inner.chain.has_api_hook()
            || self
                .inner
                .routes
                .endpoints
                .iter()
                .any(|entry| entry.groups.iter().any(|group| group.has_api_hook()))
    }

    /// A request to one of the app's own endpoints: runs `api` through the app-wide chain, then
    /// the middleware of the groups whose endpoint pattern (`api "/api/me"`) matches the path,
    /// then `endpoint`. A panicking hook or endpoint is not caught here: the server's session
    /// layer answers 500 and saves nothing of the request, as for any endpoint.
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
        // The endpoint's future stays in this one, pinned: no box of its own.
        let terminal = std::pin::pin!(async move { ApiResponse::Ok(endpoint().await) });
        if groups.is_empty() {
            return self
                .inner
                .chain
                .api(args, crate::dispatch::PinnedNext(terminal))
                .await;
        }
        let mut inner = api_through_groups(groups, args, terminal);
        self.inner
            .chain
            .api(args, crate::dispatch::PinnedNext(inner.as_mut()))
            .await
    }
}

#[allow(dead_code)]
fn _assert_send(app: &App, r: &Request, s: &Session, m: &ClientMessage, c: &ChannelMessage) {
    fn send<T: Send>(_: T) {}
    send(app.prerender(r, s));
    send(app.connect(r, s));
    send(app.message(m, r, s, || async { MessageResponse::Ok }));
    send(app.channel(c, s, || async { ChannelResponse::Ok }));
}
