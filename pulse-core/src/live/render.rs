//! Rendering one live view through `prerender_route` (app-wide chain, then the route's group
//! middleware, then the component), so a view a user may not see cannot be attached.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use crate::app::App;
use crate::erased::{DynNext, ErasedMiddleware};
use crate::hook::PrerenderRouteArgs;
use crate::outcome::RoutePrerenderResponse;
use crate::page::{PageContext, ViewState};
use crate::prerender::View;
use crate::request::Request;
use crate::route::{RouteEntry, RouteInfo};
use crate::session::Session;

/// Runs `groups` (outermost first) around `terminal` for `prerender_route`.
fn through_groups<'a, F>(
    groups: &'a [Arc<dyn ErasedMiddleware>],
    args: PrerenderRouteArgs<'a>,
    terminal: F,
) -> BoxFuture<'a, RoutePrerenderResponse>
where
    F: Future<Output = RoutePrerenderResponse> + Send + 'a,
{
    match groups.split_first() {
        None => Box::pin(terminal),
        Some((first, rest)) => {
            first.prerender_route(args, DynNext(through_groups(rest, args, terminal)))
        }
    }
}

impl App {
    /// The route entry for a pattern, if the app has it.
    pub(crate) fn live_route(&self, pattern: &str) -> Option<&RouteEntry> {
        self.inner.routes.find(pattern)
    }

    /// Renders one attached view (the caller catches panics).
    pub(crate) async fn render_live(
        &self,
        entry: &RouteEntry,
        route_info: &RouteInfo,
        request: &Arc<Request>,
        session: &Session,
        state: &ViewState,
    ) -> RoutePrerenderResponse {
        let path = entry.pattern.as_str();
        let args = PrerenderRouteArgs {
            path,
            route_info,
            request,
            session,
        };
        let cx = PageContext::new(path, route_info.clone(), session.clone(), request.clone())
            .with_state(state.clone());
        let render = async move {
            let html = entry.component.render(cx).await.into_string();
            RoutePrerenderResponse::Ok(View {
                path: path.to_owned(),
                html,
            })
        };
        let terminal = through_groups(&entry.groups, args, render);
        self.inner
            .chain
            .prerender_route(args, DynNext(terminal))
            .await
    }
}
