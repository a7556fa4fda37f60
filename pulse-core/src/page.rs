//! Page components: async fns from a [`PageContext`] to HTML, and [`Page`], a component with
//! callbacks (the buttons of a live view).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use futures_util::future::BoxFuture;
use maud::Markup;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::request::Request;
use crate::route_info::RouteInfo;
use crate::session::Session;
use crate::tables::not_a_component;

/// What a page component is given: the URL, the session and the request.
///
/// ```
/// use pulse_core as ps;
///
/// /// `/users/:id?tab=…`
/// async fn user(cx: ps::PageContext) -> ps::Markup {
///     let id = cx.param("id").unwrap_or_default().to_owned();
///     let tab = cx.query("tab").unwrap_or("profile").to_owned();
///     let viewer: Option<String> = cx.session().get("user_email");
///     let agent = cx.request().header("user-agent").unwrap_or("?").to_owned();
///     cx.set_title(format!("User {id}"));
///     ps::html! {
///         h1 { "User " (id) }
///         p { "Tab " (tab) ", seen by " (viewer.unwrap_or_default()) " with " (agent) }
///         p { "Rendered for " (cx.pattern()) " at " (cx.route().pathname) }
///     }
/// }
/// # let _ = ps::Routes::new().route("/users/:id", user);
/// ```
#[derive(Clone, Debug)]
pub struct PageContext {
    pattern: Arc<str>,
    route: Arc<RouteInfo>,
    session: Session,
    request: Request,
    /// The view's state, which also holds the title a render set (no second shared slot).
    state: ViewState,
}

impl PageContext {
    /// A context for rendering `pattern` at `route` (a [`RouteInfo`], or one shared with an
    /// `Arc`), with a fresh [`ViewState`].
    pub fn new(
        pattern: &str,
        route: impl Into<Arc<RouteInfo>>,
        session: Session,
        request: Request,
    ) -> Self {
        PageContext::with_parts(
            pattern.into(),
            route.into(),
            session,
            request,
            ViewState::default(),
        )
    }

    /// A context over a given `state` (no fresh state allocated and dropped).
    pub(crate) fn with_parts(
        pattern: Arc<str>,
        route: Arc<RouteInfo>,
        session: Session,
        request: Request,
        state: ViewState,
    ) -> Self {
        PageContext {
            pattern,
            route,
            session,
            request,
            state,
        }
    }

    /// Sets the document's `<title>` (shown in the tab, the history and by screen readers when
    /// the page loads). With a title in the app's [`Head`](crate::Head), the document's title
    /// is `"{title} · {app title}"`. When several views of a document set one, the innermost
    /// route's wins. A live view's re-render over the WebSocket sends its title too
    /// (`attach_ack`/`view_update` `title`), and the browser's `document.title` follows.
    ///
    /// ```
    /// use pulse_core as ps;
    ///
    /// async fn user(cx: ps::PageContext) -> ps::Markup {
    ///     let name = cx.param("name").unwrap_or("someone").to_owned();
    ///     cx.set_title(format!("Profile of {name}"));
    ///     ps::html! { h1 { "Profile of " (name) } }
    /// }
    /// # let _ = ps::Routes::new().route("/users/:name", user);
    /// ```
    pub fn set_title(&self, title: impl Into<String>) {
        self.state.lock().title = Some(title.into());
    }

    /// Where [`PageContext::set_title`] writes, read once the render is done
    /// ([`ViewState::take_title`]).
    pub(crate) fn title_slot(&self) -> ViewState {
        self.state.clone()
    }

    /// The same context over `state` (a live view keeps one state across renders).
    pub fn with_state(mut self, state: ViewState) -> Self {
        self.state = state;
        self
    }

    /// The view's state: empty on a plain page request; kept across callbacks and re-renders
    /// while the view is attached over a WebSocket.
    pub fn state(&self) -> &ViewState {
        &self.state
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

not_a_component! {
/// A page: renders HTML for a [`PageContext`].
///
/// Implemented by every `async fn(ps::PageContext) -> ps::Markup` and by [`Page`] (a render fn
/// plus callbacks).
pub trait Component: Send + Sync + 'static {
    /// Renders the page.
    fn render(&self, cx: PageContext) -> impl Future<Output = Markup> + Send;

    /// Runs the callback `name` (a `data-pulse-callback` element was used) with its `args`,
    /// or returns `None` when the page has no such callback. After it ran, the view is
    /// rendered again and the update sent to the browser.
    ///
    /// The default has no callbacks; [`Page`] maps names to async fns.
    fn callback(
        &self,
        name: &str,
        cx: PageContext,
        args: Vec<Value>,
    ) -> Option<BoxFuture<'static, ()>> {
        let _ = (name, cx, args);
        None
    }

    /// Whether the page has live features: its document then opens a WebSocket when the
    /// client script runs. The default is `false` (a plain page opens no socket); [`Page`]
    /// answers whether it has callbacks. A component that implements
    /// [`callback`](Component::callback) itself returns `true` here.
    fn is_live(&self) -> bool {
        false
    }
}
}

#[diagnostic::do_not_recommend]
impl<F, Fut> Component for F
where
    F: Fn(PageContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Markup> + Send + 'static,
{
    fn render(&self, cx: PageContext) -> impl Future<Output = Markup> + Send {
        self(cx)
    }
}

not_a_component! {
/// Proves that a value is a page, with the message of [`Component`] whatever its shape.
///
/// A bound `F: Component` on an `async fn` of the wrong arity makes rustc answer with E0593
/// ("function is expected to take 1 argument") and no word of what a page is. With two
/// candidate impls (the second one never holds), rustc reports this trait's own message
/// instead. Not public API: `ps::routes!`, `ps::pulse_app!` and [`Page::new`] use it.
#[doc(hidden)]
pub trait IsPage<Marker>: Component {}
}

/// The marker of the impls that hold. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub enum Holds {}

/// The marker of the impls that never hold. Not public API.
#[doc(hidden)]
#[derive(Debug)]
pub enum NeverHolds {}

/// Implemented by no type: the bound of the impls that never hold. Not public API.
#[doc(hidden)]
pub trait Unimplemented {
    /// Cannot be called: no type implements the trait.
    fn unreachable(&self) -> BoxFuture<'static, ()>;
}

#[diagnostic::do_not_recommend]
impl<C: Component> IsPage<Holds> for C {}

#[diagnostic::do_not_recommend]
impl<C: Component + Unimplemented> IsPage<NeverHolds> for C {}

/// A page callback: `async fn(ps::PageContext, Vec<serde_json::Value>)`. Not public API (see
/// [`IsPage`] for why the marker).
#[doc(hidden)]
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a page callback",
    label = "not a page callback",
    note = "a callback is an `async fn(cx: ps::PageContext, args: Vec<serde_json::Value>)`: it changes the view's state or the session, then the page renders again"
)]
pub trait IsCallback<Marker>: Send + Sync + 'static {
    /// Runs the callback.
    fn call(&self, cx: PageContext, args: Vec<Value>) -> BoxFuture<'static, ()>;
}

#[diagnostic::do_not_recommend]
impl<F, Fut> IsCallback<Holds> for F
where
    F: Fn(PageContext, Vec<Value>) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    fn call(&self, cx: PageContext, args: Vec<Value>) -> BoxFuture<'static, ()> {
        Box::pin(self(cx, args))
    }
}

#[diagnostic::do_not_recommend]
impl<F: Unimplemented + Send + Sync + 'static> IsCallback<NeverHolds> for F {
    fn call(&self, _: PageContext, _: Vec<Value>) -> BoxFuture<'static, ()> {
        self.unreachable()
    }
}

/// Object-safe form of [`Component`], for the route table.
pub(crate) trait ErasedComponent: Send + Sync {
    fn render(&self, cx: PageContext) -> BoxFuture<'_, Markup>;
    fn callback(
        &self,
        name: &str,
        cx: PageContext,
        args: Vec<Value>,
    ) -> Option<BoxFuture<'static, ()>>;
    fn is_live(&self) -> bool;
}

impl<C: Component> ErasedComponent for C {
    fn render(&self, cx: PageContext) -> BoxFuture<'_, Markup> {
        Box::pin(Component::render(self, cx))
    }
    fn callback(
        &self,
        name: &str,
        cx: PageContext,
        args: Vec<Value>,
    ) -> Option<BoxFuture<'static, ()>> {
        Component::callback(self, name, cx, args)
    }
    fn is_live(&self) -> bool {
        Component::is_live(self)
    }
}

type Callback = Arc<dyn Fn(PageContext, Vec<Value>) -> BoxFuture<'static, ()> + Send + Sync>;

/// A page with callbacks: a render fn plus named async fns run when the browser uses an element
/// marked `data-pulse-callback="name"` (arguments from `data-pulse-args`, a JSON array).
///
/// A callback changes state — the view's [`ViewState`] or the [`Session`] — and the view is
/// rendered again through `prerender_route`, so a callback that logs the user out loses the view.
///
/// ```
/// use pulse_core as ps;
///
/// async fn counter(cx: ps::PageContext) -> ps::Markup {
///     let count: i64 = cx.state().get("count").unwrap_or(0);
///     ps::html! {
///         p { "Clicked " (count) " times" }
///         button data-pulse-callback="increment" { "+1" }
///     }
/// }
///
/// async fn increment(cx: ps::PageContext, _args: Vec<serde_json::Value>) {
///     let count: i64 = cx.state().get("count").unwrap_or(0);
///     cx.state().set("count", count + 1);
/// }
///
/// let routes = ps::Routes::new().route("/", ps::Page::new(counter).callback("increment", increment));
/// # let _ = routes;
/// ```
pub struct Page<R> {
    render: R,
    callbacks: HashMap<String, Callback>,
}

impl<R> Page<R> {
    /// A page rendered by `render`, an `async fn(ps::PageContext) -> ps::Markup`, without
    /// callbacks yet.
    pub fn new<M>(render: R) -> Self
    where
        R: IsPage<M>,
    {
        Page {
            render,
            callbacks: HashMap::new(),
        }
    }

    /// Adds the callback `name`: `async fn(cx: ps::PageContext, args: Vec<serde_json::Value>)`.
    pub fn callback<F, M>(mut self, name: impl Into<String>, callback: F) -> Self
    where
        F: IsCallback<M>,
    {
        let callback: Callback = Arc::new(move |cx, args| callback.call(cx, args));
        self.callbacks.insert(name.into(), callback);
        self
    }
}

impl<R> fmt::Debug for Page<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<_> = self.callbacks.keys().collect();
        names.sort();
        f.debug_struct("Page").field("callbacks", &names).finish()
    }
}

impl<R: Component> Component for Page<R> {
    fn render(&self, cx: PageContext) -> impl Future<Output = Markup> + Send {
        self.render.render(cx)
    }

    fn callback(
        &self,
        name: &str,
        cx: PageContext,
        args: Vec<Value>,
    ) -> Option<BoxFuture<'static, ()>> {
        self.callbacks.get(name).map(|callback| callback(cx, args))
    }

    fn is_live(&self) -> bool {
        !self.callbacks.is_empty() || self.render.is_live()
    }
}

/// A live view's own state: JSON values by key, kept on the server while the view is attached
/// (like a component's state), shared by its renders and callbacks. Cheap to clone (a handle).
///
/// A view can also ask the browser to go elsewhere with [`ViewState::navigate_to`].
///
/// ```
/// use pulse_core as ps;
///
/// async fn wizard(cx: ps::PageContext) -> ps::Markup {
///     let step: u32 = cx.state().get("step").unwrap_or(1);
///     ps::html! { p { "Step " (step) } button data-pulse-callback="next" { "Next" } }
/// }
///
/// async fn next(cx: ps::PageContext, _args: Vec<serde_json::Value>) {
///     let step: u32 = cx.state().get("step").unwrap_or(1);
///     if step == 3 {
///         cx.state().navigate_to("/done"); // the browser loads /done after this callback
///     } else {
///         cx.state().set("step", step + 1);
///     }
/// }
/// # let _ = ps::Page::new(wizard).callback("next", next);
/// ```
#[derive(Clone, Default)]
pub struct ViewState {
    inner: Arc<Mutex<StateData>>,
}

#[derive(Default)]
struct StateData {
    /// `None` until a value is set: a page request's state, never written, has no map to drop.
    values: Option<Map<String, Value>>,
    navigate_to: Option<String>,
    /// The title the current render set ([`PageContext::set_title`]).
    title: Option<String>,
}

impl ViewState {
    fn lock(&self) -> MutexGuard<'_, StateData> {
        // No user code runs while the lock is held.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The value at `key` as `T`; `None` when absent or not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        let value = self.lock().values.as_ref()?.get(key).cloned()?;
        serde_json::from_value(value).ok()
    }

    /// Stores `value` at `key`. A value that is not JSON stores `null`.
    pub fn set<T: Serialize>(&self, key: impl Into<String>, value: T) {
        let value = serde_json::to_value(value).unwrap_or(Value::Null);
        self.lock()
            .values
            .get_or_insert_with(Map::new)
            .insert(key.into(), value);
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        self.lock().values.as_mut()?.remove(key)
    }

    /// Asks the browser to load `path` (a local path) once the current callback is done; the
    /// view is detached. Ignored outside a live view.
    pub fn navigate_to(&self, path: impl Into<String>) {
        self.lock().navigate_to = Some(path.into());
    }

    /// Takes the pending navigation, if any.
    pub(crate) fn take_navigation(&self) -> Option<String> {
        self.lock().navigate_to.take()
    }

    /// Takes the title the render set, if any.
    pub(crate) fn take_title(&self) -> Option<String> {
        self.lock().title.take()
    }
}

impl fmt::Debug for ViewState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let data = self.lock();
        f.debug_struct("ViewState")
            .field(
                "keys",
                &data.values.iter().flat_map(Map::keys).collect::<Vec<_>>(),
            )
            .field("navigate_to", &data.navigate_to)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::ViewState;

    /// A state holds no map until a value is set; reading or removing before that finds nothing.
    #[test]
    fn a_view_state_reads_and_writes_values() {
        let state = ViewState::default();
        assert_eq!(state.get::<u32>("count"), None);
        assert_eq!(state.remove("count"), None);
        state.set("count", 2);
        state.set("name", "ada");
        assert_eq!(state.get::<u32>("count"), Some(2));
        assert_eq!(state.get::<String>("count"), None, "not a string");
        assert_eq!(state.remove("count"), Some(serde_json::json!(2)));
        assert_eq!(state.get::<u32>("count"), None);
        assert_eq!(
            format!("{state:?}"),
            r#"ViewState { keys: ["name"], navigate_to: None }"#
        );
    }
}
