//! Page components: async fns from a [`PageContext`] to HTML.

use std::future::Future;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use maud::Markup;

use crate::request::Request;
use crate::route::RouteInfo;
use crate::session::Session;

/// What a page component is given: the URL, the session and the request.
#[derive(Clone, Debug)]
pub struct PageContext {
    pattern: Arc<str>,
    route: RouteInfo,
    session: Session,
    request: Arc<Request>,
}

impl PageContext {
    /// A context for rendering `pattern` at `route`.
    pub fn new(pattern: &str, route: RouteInfo, session: Session, request: Arc<Request>) -> Self {
        PageContext {
            pattern: pattern.into(),
            route,
            session,
            request,
        }
    }

    /// The route pattern being rendered (`/users/:id`).
    pub fn pattern(&self) -> &str {
        &self.pattern
    }

    /// The URL: pathname, params, query.
    pub fn route(&self) -> &RouteInfo {
        &self.route
    }

    /// A path parameter (`:id`).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.route.path_params.get(name).map(String::as_str)
    }

    /// A query parameter.
    pub fn query(&self, name: &str) -> Option<&str> {
        self.route.query_params.get(name).map(String::as_str)
    }

    /// The browser's session.
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The request.
    pub fn request(&self) -> &Request {
        &self.request
    }
}

/// A page: renders HTML for a [`PageContext`].
///
/// Implemented by every `async fn(ps::PageContext) -> ps::Markup`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a page component",
    label = "not a page component",
    note = "a page component is an `async fn(cx: ps::PageContext) -> ps::Markup`"
)]
pub trait Component: Send + Sync + 'static {
    /// Renders the page.
    fn render(&self, cx: PageContext) -> impl Future<Output = Markup> + Send;
}

impl<F, Fut> Component for F
where
    F: Fn(PageContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Markup> + Send + 'static,
{
    fn render(&self, cx: PageContext) -> impl Future<Output = Markup> + Send {
        self(cx)
    }
}

/// Object-safe form of [`Component`], for the route table.
pub(crate) trait ErasedComponent: Send + Sync {
    fn render(&self, cx: PageContext) -> BoxFuture<'_, Markup>;
}

impl<C: Component> ErasedComponent for C {
    fn render(&self, cx: PageContext) -> BoxFuture<'_, Markup> {
        Box::pin(Component::render(self, cx))
    }
}
