//! What every page of an app shares: the document's [`Head`] (title, description, stylesheets)
//! and a [`Layout`] around the page's views (header, navigation, footer).

use std::fmt;
use std::sync::{Arc, OnceLock};

use maud::{Markup, PreEscaped, html};

use crate::request::Request;
use crate::session::Session;

/// The `<head>` of an app's documents: a default title, a description, stylesheets. Set it with
/// [`App::head`](crate::App::head); a page sets its own title with
/// [`PageContext::set_title`](crate::PageContext::set_title).
///
/// ```
/// use pulse_core as ps;
///
/// const CSS: &str = "body { font-family: system-ui, sans-serif; max-width: 40rem; margin: auto; }";
///
/// let head = ps::Head::new()
///     .title("Pulse app")
///     .description("A server-driven app")
///     .style(CSS)
///     .stylesheet("/assets/print.css");
/// # let _ = head;
/// ```
#[derive(Clone, Debug, Default)]
pub struct Head {
    title: Option<String>,
    description: Option<String>,
    stylesheets: Vec<String>,
    styles: Vec<String>,
    /// [`Head::rendered`], rendered on first use.
    rendered: OnceLock<String>,
}

impl Head {
    /// An empty head: untitled pages, no stylesheet.
    pub fn new() -> Head {
        Head::default()
    }

    /// The title of pages that set none (and the suffix of those that do: `Page · App`).
    pub fn title(mut self, title: impl Into<String>) -> Head {
        self.title = Some(title.into());
        self
    }

    /// `<meta name="description">`.
    pub fn description(mut self, description: impl Into<String>) -> Head {
        self.description = Some(description.into());
        self.rendered = OnceLock::new();
        self
    }

    /// A `<link rel="stylesheet" href="…">` (serve the file with
    /// [`Server::routes`](crate::Server::routes)).
    pub fn stylesheet(mut self, href: impl Into<String>) -> Head {
        self.stylesheets.push(href.into());
        self.rendered = OnceLock::new();
        self
    }

    /// An inline `<style>` element with `css` (trusted: written by the app, not by visitors).
    pub fn style(mut self, css: impl Into<String>) -> Head {
        self.styles.push(css.into());
        self.rendered = OnceLock::new();
        self
    }

    /// The document title for a page whose own title is `page` (`None` when it set none).
    pub(crate) fn document_title(&self, page: Option<&str>) -> Option<String> {
        match (page, self.title.as_deref()) {
            (Some(page), Some(app)) if page != app => Some(format!("{page} · {app}")),
            (Some(page), _) => Some(page.to_owned()),
            (None, app) => app.map(str::to_owned),
        }
    }

    /// The elements after the charset and viewport metas and the title, the same in every
    /// document: rendered once.
    pub(crate) fn rendered(&self) -> &str {
        self.rendered.get_or_init(|| {
            html! {
                @if let Some(description) = &self.description {
                    meta name="description" content=(description);
                }
                @for href in &self.stylesheets { link rel="stylesheet" href=(href); }
                // `</style` inside the CSS would end the element early: app-written, but cheap to rule out.
                @for css in &self.styles { style { (PreEscaped(css.replace("</", "<\\/"))) } }
            }
            .into_string()
        })
    }
}

/// What a [`Layout`] is given: the request, its session, and the document's title.
/// See [`Layout`] for an example.
#[derive(Debug)]
pub struct LayoutContext<'a> {
    pub(crate) request: &'a Request,
    pub(crate) session: &'a Session,
    pub(crate) title: Option<&'a str>,
}

impl LayoutContext<'_> {
    /// The request (its path marks the current navigation link).
    pub fn request(&self) -> &Request {
        self.request
    }

    /// The browser's session (to show "Sign in" or "Sign out").
    pub fn session(&self) -> &Session {
        self.session
    }

    /// The document's title, if the page or the app's [`Head`] set one.
    pub fn title(&self) -> Option<&str> {
        self.title
    }
}

/// The markup around every page of an app, including its 404 page: a function from the
/// [`LayoutContext`] and the page's content to the `<body>`'s content. Set it with
/// [`App::layout`](crate::App::layout).
///
/// The content holds the page's live views; the layout itself is rendered once per document
/// request and is not updated by callbacks.
///
/// ```
/// use pulse_core as ps;
///
/// fn layout(cx: ps::LayoutContext<'_>, content: ps::Markup) -> ps::Markup {
///     ps::html! {
///         header { nav aria-label="Main" { a href="/" { "Home" } } }
///         main { (content) }
///     }
/// }
///
/// async fn home(cx: ps::PageContext) -> ps::Markup {
///     cx.set_title("Home");
///     ps::html! { h1 { "Hello" } }
/// }
///
/// let app = ps::App::new(ps::Routes::new().route("/", home), ())
///     .head(ps::Head::new().title("My app"))
///     .layout(layout);
/// # let _ = app;
/// ```
#[derive(Clone)]
pub struct Layout(Arc<LayoutFn>);

type LayoutFn = dyn Fn(LayoutContext<'_>, Markup) -> Markup + Send + Sync;

impl Layout {
    /// A layout rendered by `render`.
    pub fn new<F>(render: F) -> Layout
    where
        F: Fn(LayoutContext<'_>, Markup) -> Markup + Send + Sync + 'static,
    {
        Layout(Arc::new(render))
    }

    pub(crate) fn render(&self, cx: LayoutContext<'_>, content: Markup) -> Markup {
        (self.0)(cx, content)
    }
}

impl fmt::Debug for Layout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Layout(..)")
    }
}
