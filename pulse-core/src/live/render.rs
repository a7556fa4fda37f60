//! Rendering one live view through `prerender_route` (app-wide chain, then the route's group
//! middleware, then the component), so a view a user may not see cannot be attached.

use crate::app::App;
use crate::outcome::RoutePrerenderResponse;
use crate::page::ViewState;
use crate::request::Request;
use crate::route::{RouteEntry, RouteInfo};
use crate::session::Session;

impl App {
    /// The route entry for a pattern, if the app has it.
    pub(crate) fn live_route(&self, pattern: &str) -> Option<&RouteEntry> {
        self.inner.routes.find(pattern)
    }

    /// Renders one attached view with its state, as a page request renders it (the caller
    /// catches panics).
    pub(crate) async fn render_live(
        &self,
        entry: &RouteEntry,
        route_info: &RouteInfo,
        request: &Request,
        session: &Session,
        state: &ViewState,
    ) -> RoutePrerenderResponse {
        self.inner
            .chain
            .route(entry, route_info, request, session, state.clone())
            .await
    }
}
