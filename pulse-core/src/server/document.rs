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

use std::sync::Arc;

use maud::PreEscaped;
use serde::Serialize;
use smallvec::SmallVec;

use crate::head::{Head, Layout, LayoutContext};
use crate::params::Params;
use crate::prerender::{View, Views};
use crate::request::Request;
use crate::route_info::RouteInfo;
use crate::session::Session;

/// The state script's object ([`write_state`] writes it).
#[cfg(test)]
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct State<'a> {
    paths: &'a [Arc<str>],
    route_info: &'a RouteInfo,
    live: bool,
}

const HEAD: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
const STATE_OPEN: &str = "<script id=\"pulse-state\" type=\"application/json\">";
const TAIL: &str =
    "</script>\n<script src=\"/_pulse/client.js\" defer></script>\n</body>\n</html>\n";

/// What surrounds the views of one document: the app's head and layout, and the request they
/// are rendered for.
pub(crate) struct Frame<'a> {
    pub(crate) head: &'a Head,
    pub(crate) layout: Option<&'a Layout>,
    pub(crate) request: &'a Request,
    pub(crate) session: &'a Session,
}

impl Frame<'_> {
    /// The document up to `<body>`: `<head>` with the title.
    fn open(&self, out: &mut Vec<u8>, title: Option<&str>) {
        out.put(HEAD);
        if let Some(title) = title {
            out.put("<title>");
            escape_text(out, title);
            out.put("</title>");
        }
        out.put(self.head.rendered());
        out.put("</head>\n<body>\n");
    }

    /// The length of what [`Frame::open`] writes.
    fn open_len(&self, title: Option<&str>) -> usize {
        HEAD.len()
            + title.map_or(0, |title| {
                "<title>".len() + escaped_len(title) + "</title>".len()
            })
            + self.head.rendered().len()
            + "</head>\n<body>\n".len()
    }

    /// `content` (already HTML) inside `layout`.
    fn laid_out(&self, layout: &Layout, title: Option<&str>, content: String) -> String {
        let cx = LayoutContext {
            request: self.request,
            session: self.session,
            title,
        };
        layout.render(cx, PreEscaped(content)).0
    }
}

/// A page: the views for `paths` (then any view a `prerender` hook added) inside the frame, the
/// state script and the client script; `live` when a view has live features. Built in one
/// buffer of the document's exact length (the app's layout is rendered first), which becomes the
/// response body as is: a body whose buffer is full needs no second allocation to be shared.
pub(crate) fn page(
    frame: &Frame<'_>,
    paths: &[Arc<str>],
    route_info: &RouteInfo,
    views: &Views,
    live: bool,
) -> Vec<u8> {
    // Found once (a page has one view, or a few nested ones).
    let in_order: SmallVec<[&View; 4]> = match (paths, views.values().next()) {
        // The common page: one route and its view (an `Arc` comparison: the same pointer when
        // no hook replaced the view's path).
        ([path], Some(view)) if views.len() == 1 && *path == view.path => {
            smallvec::smallvec![view]
        }
        _ => {
            let listed = paths.iter().filter_map(|path| views.get(path));
            let added = views.values().filter(|view| !paths.contains(&view.path));
            listed.chain(added).collect()
        }
    };
    // Outermost first: the innermost view's title wins.
    let page_title = in_order
        .iter()
        .fold(None, |title, view| view.title.as_deref().or(title));
    let title = frame.head.document_title(page_title);
    let title = title.as_deref();
    const VIEW_OPEN: &str = "<div data-pulse-view=\"";
    const VIEW_BODY: &str = "\">";
    const VIEW_CLOSE: &str = "</div>\n";
    let views_len = in_order
        .iter()
        .map(|view| {
            VIEW_OPEN.len()
                + escaped_len(&view.path)
                + VIEW_BODY.len()
                + view.html.len()
                + VIEW_CLOSE.len()
        })
        .sum::<usize>();
    let write_views = |out: &mut Vec<u8>| {
        for view in &in_order {
            out.put(VIEW_OPEN);
            escape_attribute(out, &view.path);
            out.put(VIEW_BODY);
            out.put(&view.html);
            out.put(VIEW_CLOSE);
        }
    };
    let laid_out = frame.layout.map(|layout| {
        let mut content = Vec::with_capacity(views_len);
        write_views(&mut content);
        let content = String::from_utf8(content)
            .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
        frame.laid_out(layout, title, content)
    });
    let body_len = laid_out.as_ref().map_or(views_len, String::len) + "\n".len();
    let mut out = Vec::with_capacity(
        frame.open_len(title)
            + body_len
            + STATE_OPEN.len()
            + state_len(paths, route_info, live)
            + TAIL.len(),
    );
    frame.open(&mut out, title);
    match &laid_out {
        Some(html) => out.put(html),
        // Straight into the document.
        None => write_views(&mut out),
    }
    out.put("\n");
    out.put(STATE_OPEN);
    // Serializing strings and maps cannot fail; if it did, the state would be empty.
    let mark = out.len();
    if write_state(&mut out, paths, route_info, live).is_err() {
        out.truncate(mark);
        out.put("{}");
    }
    out.put(TAIL);
    out
}

/// The length of the state script's JSON, as [`write_state`] writes it.
fn state_len(paths: &[Arc<str>], route: &RouteInfo, live: bool) -> usize {
    let string = |value: &str| -> usize {
        if value.bytes().all(plain_json_byte) {
            value.len() + 2
        } else {
            json_string_len(value)
        }
    };
    // `{"key":"value",…}`.
    let map = |map: &Params| -> usize {
        map.iter()
            .map(|(key, value)| string(key) + ":".len() + string(value))
            .sum::<usize>()
            + map.len().saturating_sub(1)
            + 2
    };
    let list = |items: &mut dyn ExactSizeIterator<Item = usize>| -> usize {
        let count = items.len();
        items.sum::<usize>() + count.saturating_sub(1) + 2
    };
    "{\"paths\":".len()
        + list(&mut paths.iter().map(|path| string(path)))
        + ",\"routeInfo\":{\"pathname\":".len()
        + string(&route.pathname)
        + ",\"hash\":".len()
        + string(&route.hash)
        + ",\"query\":".len()
        + string(&route.query)
        + ",\"queryParams\":".len()
        + map(&route.query_params)
        + ",\"pathParams\":".len()
        + map(&route.path_params)
        + ",\"catchall\":".len()
        + list(&mut route.catchall.iter().map(|part| string(part)))
        + if live {
            "},\"live\":true}".len()
        } else {
            "},\"live\":false}".len()
        }
}

/// The state script's JSON, `{"paths":[…],"routeInfo":{…},"live":…}`, straight into the
/// document: the fixed keys and punctuation as they are, every value through serde_json with
/// [`ScriptSafe`] (the same as serializing [`State`], with far fewer writes; a test holds them
/// equal).
fn write_state(
    out: &mut Vec<u8>,
    paths: &[Arc<str>],
    route: &RouteInfo,
    live: bool,
) -> serde_json::Result<()> {
    fn json<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> serde_json::Result<()> {
        value.serialize(&mut serde_json::Serializer::with_formatter(out, ScriptSafe))
    }
    // Most values are short plain strings and empty maps: written as they are.
    fn string(out: &mut Vec<u8>, value: &str) -> serde_json::Result<()> {
        if value.is_empty() {
            out.put("\"\"");
            Ok(())
        } else if value.bytes().all(plain_json_byte) {
            out.push(b'"');
            out.put(value);
            out.push(b'"');
            Ok(())
        } else {
            json(out, value)
        }
    }
    fn map(out: &mut Vec<u8>, value: &Params) -> serde_json::Result<()> {
        if value.is_empty() {
            out.put("{}");
            Ok(())
        } else {
            json(out, value)
        }
    }
    out.put("{\"paths\":[");
    for (i, path) in paths.iter().enumerate() {
        if i > 0 {
            out.put(",");
        }
        string(out, path)?;
    }
    let RouteInfo {
        pathname,
        hash,
        query,
        query_params,
        path_params,
        catchall,
    } = route;
    out.put("],\"routeInfo\":{\"pathname\":");
    string(out, pathname)?;
    out.put(",\"hash\":");
    string(out, hash)?;
    out.put(",\"query\":");
    string(out, query)?;
    out.put(",\"queryParams\":");
    map(out, query_params)?;
    out.put(",\"pathParams\":");
    map(out, path_params)?;
    out.put(",\"catchall\":");
    if catchall.is_empty() {
        out.put("[]");
    } else {
        json(out, catchall)?;
    }
    out.put(if live {
        "},\"live\":true}"
    } else {
        "},\"live\":false}"
    });
    Ok(())
}

/// A page without client state (not found) inside the frame.
pub(crate) fn plain(frame: &Frame<'_>, title: Option<&str>, body: String) -> Vec<u8> {
    let title = frame.head.document_title(title);
    let title = title.as_deref();
    let body = match frame.layout {
        Some(layout) => frame.laid_out(layout, title, body),
        None => body,
    };
    const CLOSE: &str = "\n</body>\n</html>\n";
    let mut out = Vec::with_capacity(frame.open_len(title) + body.len() + CLOSE.len());
    frame.open(&mut out, title);
    out.put(&body);
    out.put(CLOSE);
    out
}

/// A page with nothing of the app's (errors: the app's code may be what failed).
pub(crate) fn bare(title: &str, body: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEAD.len() + title.len() + body.len() + 64);
    out.put(HEAD);
    out.put("<title>");
    escape_text(&mut out, title);
    out.put("</title>\n</head>\n<body>\n");
    out.put(body);
    out.put("\n</body>\n</html>\n");
    out
}

/// Appending text to a document buffer.
trait Put {
    fn put(&mut self, text: &str);
}

impl Put for Vec<u8> {
    #[inline]
    fn put(&mut self, text: &str) {
        self.extend_from_slice(text.as_bytes());
    }
}

fn escape_attribute(out: &mut Vec<u8>, value: &str) {
    escape(out, value, |b| match b {
        b'&' => Some("&amp;"),
        b'"' => Some("&quot;"),
        b'<' => Some("&lt;"),
        b'>' => Some("&gt;"),
        _ => None,
    });
}

/// The length of `value` as a JSON string written with [`ScriptSafe`]: serde_json's escapes
/// (`\"`, `\\`, `\n` and the like, `\u00XX` for other control characters) and the script's
/// (`<`, `>`, `&`, U+2028 and U+2029 as `\uXXXX`).
fn json_string_len(value: &str) -> usize {
    "\"\"".len()
        + value
            .chars()
            .map(|c| match c {
                '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
                '<' | '>' | '&' | '\u{2028}' | '\u{2029}' => 6,
                c if (c as u32) < 0x20 => 6,
                c => c.len_utf8(),
            })
            .sum::<usize>()
}

/// The length of `value` escaped by [`escape_attribute`].
fn escaped_len(value: &str) -> usize {
    value.len()
        + value
            .bytes()
            .map(|b| match b {
                b'&' => "&amp;".len() - 1,
                b'"' => "&quot;".len() - 1,
                b'<' | b'>' => "&lt;".len() - 1,
                _ => 0,
            })
            .sum::<usize>()
}

/// Text inside an element, escaped as maud escapes it.
fn escape_text(out: &mut Vec<u8>, value: &str) {
    escape_attribute(out, value);
}

/// serde_json's compact output, with `<`, `>`, `&`, U+2028 and U+2029 inside strings written
/// as `\u` escapes: no `</script>`, `<!--` or `&` survives, so the JSON is safe inside a
/// `<script>` element. Outside strings JSON has none of these characters.
struct ScriptSafe;

impl serde_json::ser::Formatter for ScriptSafe {
    fn write_string_fragment<W: ?Sized + std::io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        let bytes = fragment.as_bytes();
        let mut start = 0;
        let mut at = 0;
        while at < bytes.len() {
            let escaped = match bytes[at] {
                b'<' => "\\u003c",
                b'>' => "\\u003e",
                b'&' => "\\u0026",
                // U+2028 and U+2029 are E2 80 A8 and E2 80 A9 in UTF-8.
                0xE2 if bytes.get(at + 1) == Some(&0x80) => match bytes.get(at + 2) {
                    Some(0xA8) => "\\u2028",
                    Some(0xA9) => "\\u2029",
                    _ => {
                        at += 1;
                        continue;
                    }
                },
                _ => {
                    at += 1;
                    continue;
                }
            };
            writer.write_all(&bytes[start..at])?;
            writer.write_all(escaped.as_bytes())?;
            at += if bytes[at] == 0xE2 { 3 } else { 1 };
            start = at;
        }
        writer.write_all(&bytes[start..])
    }
}

/// A byte JSON writes as itself inside a string, and the script element keeps as it is: not
/// `"`, `\\`, a control character, `<`, `>`, `&`, or a byte of a non-ASCII character (U+2028 and
/// U+2029 are escaped, so all of them go through [`ScriptSafe`]).
fn plain_json_byte(b: u8) -> bool {
    matches!(b, 0x20..=0x7E) && !matches!(b, b'"' | b'\\' | b'<' | b'>' | b'&')
}

/// Copies `text` to `out`, replacing the ASCII characters `replacement` names, in runs.
fn escape(out: &mut Vec<u8>, text: &str, replacement: impl Fn(u8) -> Option<&'static str>) {
    let bytes = text.as_bytes();
    let mut start = 0;
    for (at, &b) in bytes.iter().enumerate() {
        if let Some(escaped) = replacement(b) {
            out.extend_from_slice(&bytes[start..at]);
            out.put(escaped);
            start = at + 1;
        }
    }
    out.extend_from_slice(&bytes[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prerender::View;

    fn text(document: Vec<u8>) -> String {
        String::from_utf8(document).unwrap()
    }

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
            path: p.into(),
            html: format!("<p>{p}</p>"),
            title: title.map(str::to_owned),
        };
        let views = Views::from_iter([view("/", Some("Outer")), view("/a", Some("A & <b>"))]);
        let layout = Layout::new(|cx, content| {
            maud::html! { main data-title=(cx.title().unwrap_or("-")) { (content) } }
        });
        let head = Head::new().title("App").style("p { color: red }");
        let html = text(page(
            &frame!(head, Some(&layout)),
            &["/".into(), "/a".into()],
            &RouteInfo::default(),
            &views,
            false,
        ));
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

    /// A URL with every part: a fragment, a query and its parameters, a path parameter and the
    /// catch-all's segments.
    fn full_route_info(pathname: &str, catchall: &[&str]) -> RouteInfo {
        RouteInfo {
            pathname: pathname.into(),
            hash: "top".to_owned(),
            query: "tab=posts&x=1".to_owned(),
            query_params: Params::from([
                ("tab".to_owned(), "posts".to_owned()),
                ("x".to_owned(), "1".to_owned()),
            ]),
            path_params: Params::from([("id".to_owned(), "7".to_owned())]),
            catchall: catchall.iter().map(|&part| part.to_owned()).collect(),
        }
    }

    /// A document is built in a buffer of its exact length (the response body then shares it
    /// without another allocation), whatever its strings need escaped.
    #[test]
    fn documents_are_built_in_a_buffer_of_their_length() {
        let view = |p: &str, html: &str, title: Option<&str>| View {
            path: p.into(),
            html: html.to_owned(),
            title: title.map(str::to_owned),
        };
        let views = Views::from_iter([
            view("/", "<p>outer</p>", Some("Outer")),
            view(
                "/users/:id",
                "<p>\"quoted\" & <b>bold</b></p>",
                Some("A & <b> \"c\""),
            ),
        ]);
        let paths: [Arc<str>; 2] = ["/".into(), "/users/:id".into()];
        let plain = full_route_info("/users/7", &["a", "b"]);
        let layout = Layout::new(|cx, content| {
            maud::html! { main data-title=(cx.title().unwrap_or("-")) { (content) } }
        });
        let head = Head::new().title("App & <co>").style("p { color: red }");
        for (frame, live) in [
            (frame!(), false),
            (frame!(head, None), true),
            (frame!(head, Some(&layout)), false),
        ] {
            for route_info in [RouteInfo::default(), plain.clone()] {
                let document = page(&frame, &paths, &route_info, &views, live);
                assert_eq!(document.len(), document.capacity(), "{}", text(document));
            }
            let escaped = RouteInfo {
                pathname: "/a\"b<c>\u{2028}é\\\n\u{1}\u{7f}".to_owned(),
                query_params: Params::from([("<".to_owned(), "\u{2029}\t".to_owned())]),
                catchall: vec!["&".to_owned(), "\u{c}\u{8}\r".to_owned()],
                ..plain.clone()
            };
            let document = page(&frame, &paths, &escaped, &views, live);
            assert_eq!(document.len(), document.capacity(), "{}", text(document));
            let document = super::plain(&frame, Some("Not & found"), "<h1>x</h1>".to_owned());
            assert_eq!(document.len(), document.capacity(), "{}", text(document));
        }
    }

    #[test]
    fn untitled_page_takes_the_app_title() {
        let head = Head::new().title("App");
        let html = text(plain(&frame!(head, None), None, "<h1>x</h1>".to_owned()));
        assert!(html.contains("<title>App</title>"), "{html}");
        let html = text(plain(&frame!(), None, "<h1>x</h1>".to_owned()));
        assert!(!html.contains("<title>"), "{html}");
    }

    #[test]
    fn state_json_cannot_close_its_script() {
        let route_info = RouteInfo {
            pathname: "/</script><script>alert(1)</script>".into(),
            ..RouteInfo::default()
        };
        let html = text(page(
            &frame!(),
            &["/".into()],
            &route_info,
            &Views::new(),
            false,
        ));
        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        assert!(html.contains("\\u003c/script\\u003e"));
    }

    #[test]
    fn state_json_keeps_text_and_escapes_line_separators() {
        let route_info = RouteInfo {
            pathname: "/caf\u{e9}/\u{2028}/\"q\"&".to_owned(),
            ..RouteInfo::default()
        };
        let html = text(page(
            &frame!(),
            &["/".into()],
            &route_info,
            &Views::new(),
            false,
        ));
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
    fn the_state_is_what_serde_writes() {
        let route_info = full_route_info("/users/7/a b", &["a b", "c\"d"]);
        // Every string slot with a character JSON or the script element escapes.
        let escaped = RouteInfo {
            pathname: "/a\"b\\c<d>&e\u{2028}f\u{7f}é\n".to_owned(),
            hash: "</script>".to_owned(),
            query: "q=\u{2029}&r=<".to_owned(),
            query_params: Params::from([("<k>".to_owned(), "\"v\"".to_owned())]),
            path_params: Params::from([("id".to_owned(), "\t".to_owned())]),
            catchall: Vec::new(),
        };
        for route_info in [route_info, escaped, RouteInfo::default()] {
            for live in [false, true] {
                let paths: [Arc<str>; 3] = ["/".into(), "/users/:id/*".into(), "/\"<&>".into()];
                let mut written = Vec::new();
                write_state(&mut written, &paths, &route_info, live).unwrap();
                let state = State {
                    paths: &paths,
                    route_info: &route_info,
                    live,
                };
                let mut serialized = Vec::new();
                let mut json = serde_json::Serializer::with_formatter(&mut serialized, ScriptSafe);
                state.serialize(&mut json).unwrap();
                assert_eq!(
                    String::from_utf8(written).unwrap(),
                    String::from_utf8(serialized).unwrap()
                );
            }
        }
    }

    #[test]
    fn views_are_wrapped_in_route_order() {
        let view = |p: &str| View {
            path: p.into(),
            html: format!("<p>{p}</p>"),
            title: None,
        };
        let views = Views::from_iter([view("/a"), view("/<layout>")]);
        let html = text(page(
            &frame!(),
            &["/<layout>".into(), "/a".into()],
            &RouteInfo::default(),
            &views,
            true,
        ));
        let layout = html.find("data-pulse-view=\"/&lt;layout&gt;\"").unwrap();
        let a = html.find("data-pulse-view=\"/a\"><p>/a</p></div>").unwrap();
        assert!(layout < a);
    }
}
