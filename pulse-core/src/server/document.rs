//! The HTML document around rendered views.
//!
//! The client script relies on this contract:
//! - each view is `<div data-pulse-view="{pattern}">{view html}</div>`, in route order;
//! - `<script id="pulse-state" type="application/json">{"paths":[…],"routeInfo":{…},"live":…}</script>`,
//!   whose JSON has `<`, `>` and `&` escaped as `\u003c`, `\u003e`, `\u0026`; `live` is `true`
//!   when a view of the page has live features ([`Component::is_live`](crate::Component::is_live)):
//!   only then does the client open a WebSocket on load (a page script that uses
//!   `pulse.channel(…)` opens one on first use);
//! - `<script src="/_pulse/client.js" defer></script>`.
//!
//! Around the views: the app's [`Head`] in `<head>` (with the innermost view's title) and its
//! [`Layout`] around the views in `<body>`.

use std::collections::BTreeMap;

use maud::PreEscaped;
use serde::Serialize;

use crate::head::{Head, Layout, LayoutContext};
use crate::prerender::View;
use crate::request::Request;
use crate::route_info::RouteInfo;
use crate::session::Session;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct State<'a> {
    paths: &'a [String],
    route_info: &'a RouteInfo,
    live: bool,
}

const HEAD: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";

/// What surrounds the views of one document: the app's head and layout, and the request they
/// are rendered for.
pub(crate) struct Frame<'a> {
    pub(crate) head: &'a Head,
    pub(crate) layout: Option<&'a Layout>,
    pub(crate) request: &'a Request,
    pub(crate) session: &'a Session,
}

impl Frame<'_> {
    /// The document up to the views' content: `<head>` with the title, `<body>` with the layout
    /// around `content`.
    fn open(&self, out: &mut String, page_title: Option<&str>, content: String) {
        let title = self.head.document_title(page_title);
        out.push_str(HEAD);
        out.push_str(&self.head.render(title.as_deref()).into_string());
        out.push_str("</head>\n<body>\n");
        match self.layout {
            Some(layout) => {
                let cx = LayoutContext {
                    request: self.request,
                    session: self.session,
                    title: title.as_deref(),
                };
                out.push_str(&layout.render(cx, PreEscaped(content)).into_string());
            }
            None => out.push_str(&content),
        }
        out.push('\n');
    }
}

/// A page: the views for `paths` (then any view a `prerender` hook added) inside the frame, the
/// state script and the client script; `live` when a view has live features.
pub(crate) fn page(
    frame: &Frame<'_>,
    paths: &[String],
    route_info: &RouteInfo,
    views: &BTreeMap<String, View>,
    live: bool,
) -> String {
    let size = views.values().map(|v| v.html.len() + 64).sum::<usize>();
    let mut content = String::with_capacity(size);
    let listed = paths.iter().filter_map(|path| views.get_key_value(path));
    let added = views.iter().filter(|(path, _)| !paths.contains(path));
    let mut title = None;
    for (pattern, view) in listed.chain(added) {
        // Outermost first: the innermost view's title wins.
        title = view.title.as_deref().or(title);
        content.push_str("<div data-pulse-view=\"");
        escape_attribute(&mut content, pattern);
        content.push_str("\">");
        content.push_str(&view.html);
        content.push_str("</div>\n");
    }
    let mut out = String::with_capacity(size + 1024);
    frame.open(&mut out, title, content);
    out.push_str("<script id=\"pulse-state\" type=\"application/json\">");
    let state = State {
        paths,
        route_info,
        live,
    };
    // Serialized straight into the document, escaped on the way (no intermediate string).
    // Serializing strings and maps cannot fail; if it did, the state would be empty.
    let mark = out.len();
    if serde_json::to_writer(ScriptJson(&mut out), &state).is_err() {
        out.truncate(mark);
        out.push_str("{}");
    }
    out.push_str(
        "</script>\n<script src=\"/_pulse/client.js\" defer></script>\n</body>\n</html>\n",
    );
    out
}

/// A page without client state (not found) inside the frame.
pub(crate) fn plain(frame: &Frame<'_>, title: Option<&str>, body: String) -> String {
    let mut out = String::with_capacity(body.len() + 1024);
    frame.open(&mut out, title, body);
    out.push_str("</body>\n</html>\n");
    out
}

/// A page with nothing of the app's (errors: the app's code may be what failed).
pub(crate) fn bare(title: &str, body: &str) -> String {
    let mut out = String::from(HEAD);
    out.push_str("<title>");
    escape_attribute(&mut out, title);
    out.push_str("</title>\n</head>\n<body>\n");
    out.push_str(body);
    out.push_str("\n</body>\n</html>\n");
    out
}

fn escape_attribute(out: &mut String, value: &str) {
    escape(out, value, |c| match c {
        '&' => Some("&amp;"),
        '"' => Some("&quot;"),
        '<' => Some("&lt;"),
        '>' => Some("&gt;"),
        _ => None,
    });
}

/// Writes what serde_json produces into a document, escaped by [`escape_script_json`].
struct ScriptJson<'a>(&'a mut String);

impl std::io::Write for ScriptJson<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // serde_json writes whole UTF-8 sequences (it only splits at ASCII characters).
        let text = std::str::from_utf8(buf)
            .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidData, error))?;
        escape_script_json(self.0, text);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON safe inside a `<script>` element: no `</script>`, `<!--` or `&` survives.
fn escape_script_json(out: &mut String, json: &str) {
    escape(out, json, |c| match c {
        '<' => Some("\\u003c"),
        '>' => Some("\\u003e"),
        '&' => Some("\\u0026"),
        '\u{2028}' => Some("\\u2028"),
        '\u{2029}' => Some("\\u2029"),
        _ => None,
    });
}

/// Copies `text` to `out`, replacing the characters `replacement` names, in runs.
fn escape(out: &mut String, text: &str, replacement: impl Fn(char) -> Option<&'static str>) {
    let mut start = 0;
    for (at, c) in text.char_indices() {
        if let Some(escaped) = replacement(c) {
            out.push_str(&text[start..at]);
            out.push_str(escaped);
            start = at + c.len_utf8();
        }
    }
    out.push_str(&text[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! frame {
        () => {
            frame!(Head::new(), None)
        };
        ($head:expr, $layout:expr) => {
            Frame {
                head: &$head,
                layout: $layout,
                request: &Request::get("/"),
                session: &Session::new(),
            }
        };
    }

    #[test]
    fn innermost_title_and_layout_frame_the_views() {
        let view = |p: &str, title: Option<&str>| View {
            path: p.to_owned(),
            html: format!("<p>{p}</p>"),
            title: title.map(str::to_owned),
        };
        let views = BTreeMap::from([
            ("/".to_owned(), view("/", Some("Outer"))),
            ("/a".to_owned(), view("/a", Some("A & <b>"))),
        ]);
        let layout = Layout::new(|cx, content| {
            maud::html! { main data-title=(cx.title().unwrap_or("-")) { (content) } }
        });
        let head = Head::new().title("App").style("p { color: red }");
        let html = page(
            &frame!(head, Some(&layout)),
            &["/".to_owned(), "/a".to_owned()],
            &RouteInfo::default(),
            &views,
            false,
        );
        assert!(
            html.contains("<title>A &amp; &lt;b&gt; · App</title>"),
            "{html}"
        );
        assert!(html.contains("<style>p { color: red }</style>"), "{html}");
        let main = html
            .find("<main data-title=\"A &amp; &lt;b&gt; · App\">")
            .unwrap();
        let view = html.find("<div data-pulse-view=\"/a\">").unwrap();
        let end = html.find("</main>").unwrap();
        assert!(main < view && view < end, "{html}");
        assert!(end < html.find("<script id=\"pulse-state\"").unwrap());
    }

    #[test]
    fn untitled_page_takes_the_app_title() {
        let head = Head::new().title("App");
        let html = plain(&frame!(head, None), None, "<h1>x</h1>".to_owned());
        assert!(html.contains("<title>App</title>"), "{html}");
        let html = plain(&frame!(), None, "<h1>x</h1>".to_owned());
        assert!(!html.contains("<title>"), "{html}");
    }

    #[test]
    fn state_json_cannot_close_its_script() {
        let route_info = RouteInfo {
            pathname: "/</script><script>alert(1)</script>".to_owned(),
            ..RouteInfo::default()
        };
        let html = page(
            &frame!(),
            &["/".to_owned()],
            &route_info,
            &BTreeMap::new(),
            false,
        );
        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        assert!(html.contains("\\u003c/script\\u003e"));
    }

    #[test]
    fn state_json_keeps_text_and_escapes_line_separators() {
        let route_info = RouteInfo {
            pathname: "/caf\u{e9}/\u{2028}/\"q\"&".to_owned(),
            ..RouteInfo::default()
        };
        let html = page(
            &frame!(),
            &["/".to_owned()],
            &route_info,
            &BTreeMap::new(),
            false,
        );
        let start = html.find("application/json\">").unwrap() + "application/json\">".len();
        let json = &html[start..html[start..].find("</script>").unwrap() + start];
        assert!(
            json.contains("\\u2028") && json.contains("\\u0026"),
            "{json}"
        );
        let state: serde_json::Value = serde_json::from_str(json).unwrap();
        assert_eq!(state["routeInfo"]["pathname"], route_info.pathname);
    }

    #[test]
    fn views_are_wrapped_in_route_order() {
        let view = |p: &str| View {
            path: p.to_owned(),
            html: format!("<p>{p}</p>"),
            title: None,
        };
        let views = BTreeMap::from([
            ("/a".to_owned(), view("/a")),
            ("/<layout>".to_owned(), view("/<layout>")),
        ]);
        let html = page(
            &frame!(),
            &["/<layout>".to_owned(), "/a".to_owned()],
            &RouteInfo::default(),
            &views,
            true,
        );
        let layout = html.find("data-pulse-view=\"/&lt;layout&gt;\"").unwrap();
        let a = html.find("data-pulse-view=\"/a\"><p>/a</p></div>").unwrap();
        assert!(layout < a);
    }
}
