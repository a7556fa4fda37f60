//! The engine: how one request of each kind runs through the chain. A page request is a
//! [`PageJob`]: `prerender`, then [`render_route`] per route, each through the app-wide chain,
//! the route's group middleware and the page, run by [`run_page`] for a page's one route and by
//! [`run_pages`] for a batch. A live view re-renders through the same [`render_route`]. The
//! app's chain is stored behind [`erased`]'s `ErasedMiddleware`, the one place a chain is boxed.
//! [`App`](crate::App) is the public face of this module; the server and the live connections
//! only call `App`.

mod erased;

use std::any::Any;
use std::future::Future;
use std::ops::ControlFlow;
use std::pin::{Pin, pin};
use std::sync::Arc;

use futures_util::future::{BoxFuture, Either};
use pulse_route::Pattern;

use crate::hook::{ApiArgs, MessageArgs, PrerenderArgs, PrerenderRouteArgs, next_fn};
use crate::middleware::PulseMiddleware;
use crate::outcome::{ApiResponse, MessageResponse, PrerenderResponse, RoutePrerenderResponse};
use crate::page::{ErasedComponent, PageContext, ViewState};
use crate::prerender::{Prerender, PrerenderPayload, View, Views};
use crate::request::Request;
use crate::route_info::RouteInfo;
use crate::session::Session;

pub(crate) use erased::{DynNext, ErasedMiddleware, PinnedNext};

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

/// One route of the table: its pattern, its page and its scoped middleware. The route table
/// ([`Routes`](crate::Routes)) owns the entries; the engine runs them.
pub(crate) struct RouteEntry {
    pub(crate) pattern: Pattern,
    pub(crate) component: Arc<dyn ErasedComponent>,
    /// Scoped middleware, outermost first; runs after the app-wide chain.
    pub(crate) groups: Vec<Arc<dyn ErasedMiddleware>>,
}

/// An endpoint pattern (`api "/api/me"`): the group middleware its requests' `api` hook runs.
/// The route table owns the entries; [`App::api`](crate::App::api) runs them.
pub(crate) struct EndpointEntry {
    pub(crate) pattern: Pattern,
    /// Scoped middleware, outermost first; runs after the app-wide chain.
    pub(crate) groups: Vec<Arc<dyn ErasedMiddleware>>,
}

/// The run-time choke point of "a redirect must be local": every redirect and navigation the
/// engine hands to the server or to a live connection passes here. The rule itself is
/// [`pulse_route::is_local_path`], which the macros also apply to literal targets.
pub(crate) fn local_target(target: &str) -> Result<&str, PrerenderError> {
    if pulse_route::is_local_path(target) {
        Ok(target)
    } else {
        tracing::warn!(target, "refused a non-local redirect");
        Err(PrerenderError::UnsafeRedirect(target.to_owned()))
    }
}

/// The text of a caught panic, for the log.
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
        ) -> BoxFuture<'a, <crate::hook::$method as crate::hook::Hook>::Response>
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
}

/// An endpoint request through the middleware of the groups declaring its pattern (outermost
/// first, at least one), then `terminal`; the app-wide chain runs around this. `terminal` stays
/// pinned where the caller put it; each group but the innermost boxes the future of the groups
/// inside it.
pub(crate) fn api_through_groups<'a>(
    groups: &'a [Arc<dyn ErasedMiddleware>],
    args: ApiArgs<'a>,
    terminal: Pin<&'a mut (dyn Future<Output = ApiResponse> + Send + 'a)>,
) -> BoxFuture<'a, ApiResponse> {
    match groups {
        [] => Box::pin(terminal),
        [innermost] => innermost.api(args, PinnedNext(terminal)),
        [first, rest @ ..] => Box::pin(async move {
            let mut inner = api_through_groups(rest, args, terminal);
            first.api(args, PinnedNext(inner.as_mut())).await
        }),
    }
}

/// A client message through the middleware of the group owning its route (outermost first),
/// then `terminal`; the app-wide chain runs around this.
pub(crate) fn message_through_groups<'a, F>(
    groups: &'a [Arc<dyn ErasedMiddleware>],
    args: MessageArgs<'a>,
    terminal: F,
) -> BoxFuture<'a, MessageResponse>
where
    F: Future<Output = MessageResponse> + Send + 'a,
{
    through_groups!(groups, Message, args, terminal)
}

/// One page request for the chain to run: the routes to render and what hooks are given.
#[derive(Clone, Copy)]
pub(crate) struct PageJob<'a> {
    pub(crate) entries: &'a [&'a RouteEntry],
    pub(crate) payload: &'a PrerenderPayload,
    pub(crate) request: &'a Request,
    pub(crate) session: &'a Session,
}

/// `prerender` around `prerender_route` around the page of a request's one route, through
/// `chain`.
///
/// Its own future, not a branch of [`run_pages`] (whose locals padded this one's layout by 56
/// bytes): this future is boxed on every page request, in one allocation of its size, which
/// stays under the 1 KiB up to which allocators are fastest (glibc's thread cache) for a chain
/// of a few middlewares.
pub(crate) async fn run_page<M: PulseMiddleware>(
    chain: &M,
    job: PageJob<'_>,
    entry: &RouteEntry,
) -> PrerenderResponse {
    let args = PrerenderArgs {
        payload: job.payload,
        request: job.request,
        session: job.session,
    };
    // The route's future is pinned here, beside the `prerender` chain's rather than boxed
    // inside it; the chain's `next` holds a pinned reference.
    let route = pin!(render_route(
        chain,
        entry,
        &job.payload.route_info,
        job.request,
        job.session,
        ViewState::default(),
    ));
    let render_one = || async move {
        let mut views = Views::new();
        if let ControlFlow::Break(stop) = add_view(&mut views, entry, route.await) {
            return stop;
        }
        PrerenderResponse::Ok(Prerender {
            views,
            directives: Default::default(),
        })
    };
    chain.prerender(args, next_fn(render_one)).await
}

/// `prerender` around `prerender_route` per route around each page, through `chain`, for a
/// batch of routes (`POST /_pulse/prerender` with nested layouts). The first `Redirect` or
/// `NotFound` ends the batch.
pub(crate) async fn run_pages<M: PulseMiddleware>(
    chain: &M,
    job: PageJob<'_>,
) -> PrerenderResponse {
    let args = PrerenderArgs {
        payload: job.payload,
        request: job.request,
        session: job.session,
    };
    let render_all = || async move {
        let mut views = Views::new();
        for entry in job.entries {
            let route_info = &job.payload.route_info;
            // Each route renders in its own boxed future: dispatching `prerender_route` statically
            // inside the `prerender` chain nests their types deeply enough to exceed rustc's
            // recursion limit in users' crates for longer chains.
            let state = ViewState::default();
            let outcome =
                ErasedMiddleware::route(chain, entry, route_info, job.request, job.session, state)
                    .await;
            if let ControlFlow::Break(stop) = add_view(&mut views, entry, outcome) {
                return stop;
            }
        }
        PrerenderResponse::Ok(Prerender {
            views,
            directives: Default::default(),
        })
    };
    chain.prerender(args, next_fn(render_all)).await
}

/// Adds a route's view to a page's `views`, or says how the page ends instead: the first
/// `Redirect` or `NotFound` (or a rate limit) ends the batch.
fn add_view(
    views: &mut Views,
    entry: &RouteEntry,
    outcome: RoutePrerenderResponse,
) -> ControlFlow<PrerenderResponse> {
    match outcome {
        RoutePrerenderResponse::Ok(mut view) => {
            // Filed under the route's pattern, whatever a hook made of the view's `path`.
            if *view.path != *entry.pattern.as_str() {
                view.path = entry.pattern.shared();
            }
            views.insert(view);
            ControlFlow::Continue(())
        }
        RoutePrerenderResponse::Redirect(redirect) => {
            ControlFlow::Break(PrerenderResponse::Redirect(redirect))
        }
        RoutePrerenderResponse::NotFound => ControlFlow::Break(PrerenderResponse::NotFound),
        RoutePrerenderResponse::TooManyRequests(limited) => {
            ControlFlow::Break(PrerenderResponse::TooManyRequests(limited))
        }
    }
}

/// One route through `prerender_route`: the app-wide `chain`, then the route's group
/// middleware (boxed, only when there is some), then the page, rendered with `state` (empty for
/// a page request, the live view's own while it is attached over a WebSocket).
pub(crate) async fn render_route<M: PulseMiddleware>(
    chain: &M,
    entry: &RouteEntry,
    route_info: &Arc<RouteInfo>,
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
    // The page's context is built when the page runs: the chain's futures carry references
    // only, and a chain that stops first copies nothing.
    let render = async move {
        let cx = PageContext::with_parts(
            entry.pattern.shared(),
            Arc::clone(route_info),
            session.clone(),
            request.clone(),
            state,
        );
        let title = cx.title_slot();
        let html = entry.component.render(cx).await.into_string();
        let title = title.take_title();
        RoutePrerenderResponse::Ok(View {
            path: entry.pattern.shared(),
            html,
            title,
        })
    };
    let terminal = pin!(if entry.groups.is_empty() {
        Either::Left(render)
    } else {
        Either::Right(through_groups!(&entry.groups, PrerenderRoute, args, render))
    });
    // The chain's links carry a pinned reference to the page's future, not the future itself:
    // each layer's future keeps its `next`, so a future passed by value would be copied once
    // per layer into the chain's future (and into the box of the erased page job).
    chain.prerender_route(args, next_fn(|| terminal)).await
}
