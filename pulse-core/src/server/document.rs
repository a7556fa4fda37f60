//! The HTML document around rendered views.
//!
//! The client script relies on this contract:
//! - each view is `<div data-pulse-view="{pattern}">{view html}</div>`, in route order;
//! - `<script id="pulse-state" type="application/json">{"paths":[…],"routeInfo":{…}}</script>`,
//!   whose JSON has `<`, `>` and `&` escaped as `\u003c`, `\u003e`, `\u0026`;
//! - `<script src="/_pulse/client.js" defer></script>`.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::prerender::View;
use crate::route_info::RouteInfo;

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct State<'a> {
    paths: &'a [String],
    route_info: &'a RouteInfo,
}

const HEAD: &str = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n</head>\n<body>\n";

/// A page: the views for `paths` (then any view a `prerender` hook added), the state script and
/// the client script.
pub(crate) fn page(
    paths: &[String],
    route_info: &RouteInfo,
    views: &BTreeMap<String, View>,
) -> String {
    let size = views.values().map(|v| v.html.len() + 64).sum::<usize>() + 512;
    let mut out = String::with_capacity(size);
    out.push_str(HEAD);
    let listed = paths.iter().filter_map(|path| views.get_key_value(path));
    let added = views.iter().filter(|(path, _)| !paths.contains(path));
    for (pattern, view) in listed.chain(added) {
        out.push_str("<div data-pulse-view=\"");
        escape_attribute(&mut out, pattern);
        out.push_str("\">");
        out.push_str(&view.html);
        out.push_str("</div>\n");
    }
    out.push_str("<script id=\"pulse-state\" type=\"application/json\">");
    let state = State { paths, route_info };
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

/// A page without client state (errors, not found).
pub(crate) fn plain(body: &str) -> String {
    format!("{HEAD}{body}\n</body>\n</html>\n")
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

    #[test]
    fn state_json_cannot_close_its_script() {
        let route_info = RouteInfo {
            pathname: "/</script><script>alert(1)</script>".to_owned(),
            ..RouteInfo::default()
        };
        let html = page(&["/".to_owned()], &route_info, &BTreeMap::new());
        assert_eq!(html.matches("</script>").count(), 2, "{html}");
        assert!(html.contains("\\u003c/script\\u003e"));
    }

    #[test]
    fn state_json_keeps_text_and_escapes_line_separators() {
        let route_info = RouteInfo {
            pathname: "/caf\u{e9}/\u{2028}/\"q\"&".to_owned(),
            ..RouteInfo::default()
        };
        let html = page(&["/".to_owned()], &route_info, &BTreeMap::new());
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
        };
        let views = BTreeMap::from([
            ("/a".to_owned(), view("/a")),
            ("/<layout>".to_owned(), view("/<layout>")),
        ]);
        let html = page(
            &["/<layout>".to_owned(), "/a".to_owned()],
            &RouteInfo::default(),
            &views,
        );
        let layout = html.find("data-pulse-view=\"/&lt;layout&gt;\"").unwrap();
        let a = html.find("data-pulse-view=\"/a\"><p>/a</p></div>").unwrap();
        assert!(layout < a);
    }
}
