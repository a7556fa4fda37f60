//! The prerender payload (what is being rendered) and its result (views plus directives).

use std::fmt;
use std::ops::Index;
use std::sync::Arc;

use serde::de::{MapAccess, Visitor};
use serde::ser::SerializeMap;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};
use smallvec::SmallVec;

use crate::params::Params;
use crate::route_info::RouteInfo;

/// What a `prerender` hook is asked to render: route patterns and the URL (Pulse's
/// `PrerenderPayload`, the body of `POST /_pulse/prerender`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrerenderPayload {
    /// Route patterns to render, outermost first (`["/users/:id"]`); a page request's are
    /// shared with the route table (no string copied).
    pub paths: Vec<Arc<str>>,
    /// The URL being rendered, shared with the pages' contexts ([`PageContext::route`](crate::PageContext::route)):
    /// rendering a page copies none of it.
    #[serde(default)]
    pub route_info: Arc<RouteInfo>,
}

/// The rendered HTML of one route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// The route pattern this view renders (shared with the route table: a page's view copies
    /// no string for it).
    pub path: Arc<str>,
    /// The rendered markup (already escaped).
    pub html: String,
    /// The title the page set with [`PageContext::set_title`](crate::PageContext::set_title).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

/// The result of a page request: one view per route plus directives for the client, which a
/// `prerender` hook may edit after `next.run()`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Prerender {
    /// Rendered views by route pattern.
    pub views: Views,
    /// Instructions for the client.
    #[serde(default)]
    pub directives: Directives,
}

/// Instructions sent with a prerender result: headers and query parameters the client adds to
/// later requests, plus anything a middleware wants to pass along.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Directives {
    /// Headers for later prerender requests.
    #[serde(default)]
    pub headers: Params,
    /// Query parameters for later prerender requests and the WebSocket.
    #[serde(default)]
    pub query: Params,
    /// Anything else, sent as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// The views of a page by route pattern ([`View::path`]), in the order of their patterns: a
/// map from pattern to view, as on the wire (`"views": {"/users/:id": {…}}`).
///
/// A page request renders one route (or a few nested ones), so the views are kept inline in a
/// small sorted list: a page with one view allocates nothing for it.
///
/// ```
/// use pulse_core as ps;
///
/// let mut views = ps::Views::new();
/// views.insert(ps::View { path: "/users/:id".into(), html: "<h1>Ada</h1>".into(), title: None });
/// assert_eq!(views["/users/:id"].html, "<h1>Ada</h1>");
/// for view in views.values_mut() {
///     view.html.push_str("<!-- stamped -->");
/// }
/// assert!(views.get("/").is_none());
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Views {
    /// Sorted by `path`, without two views of one path.
    views: SmallVec<[View; 1]>,
}

impl Views {
    /// No views.
    pub fn new() -> Self {
        Views::default()
    }

    /// How many views there are.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    /// Whether there is no view.
    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// Where the view of `path` is, or where it would go. A linear search: a page has one view,
    /// or a few nested ones.
    fn position(&self, path: &str) -> Result<usize, usize> {
        match self.views.iter().position(|view| *view.path == *path) {
            Some(i) => Ok(i),
            None => Err(self
                .views
                .iter()
                .position(|view| &*view.path > path)
                .unwrap_or(self.views.len())),
        }
    }

    /// The view of the route pattern `path`.
    pub fn get(&self, path: &str) -> Option<&View> {
        self.position(path).ok().map(|i| &self.views[i])
    }

    /// The view of the route pattern `path`, to edit.
    pub fn get_mut(&mut self, path: &str) -> Option<&mut View> {
        self.position(path).ok().map(|i| &mut self.views[i])
    }

    /// Whether there is a view of the route pattern `path`.
    pub fn contains_key(&self, path: &str) -> bool {
        self.position(path).is_ok()
    }

    /// Adds `view` under its [`path`](View::path); returns the view it replaces, if any.
    pub fn insert(&mut self, view: View) -> Option<View> {
        match self.position(&view.path) {
            Ok(i) => Some(std::mem::replace(&mut self.views[i], view)),
            Err(i) => {
                self.views.insert(i, view);
                None
            }
        }
    }

    /// Removes the view of the route pattern `path`.
    pub fn remove(&mut self, path: &str) -> Option<View> {
        self.position(path).ok().map(|i| self.views.remove(i))
    }

    /// The route patterns, in order.
    pub fn keys(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        self.views.iter().map(|view| &*view.path)
    }

    /// The views, in the order of their patterns.
    pub fn values(&self) -> std::slice::Iter<'_, View> {
        self.views.iter()
    }

    /// The views, to edit. A view's `path` is its key: to file a view under another pattern,
    /// [`remove`](Views::remove) it and [`insert`](Views::insert) it again.
    pub fn values_mut(&mut self) -> std::slice::IterMut<'_, View> {
        self.views.iter_mut()
    }

    /// `(pattern, view)` pairs, in order.
    pub fn iter(&self) -> ViewsIter<'_> {
        self.into_iter()
    }
}

/// The `(pattern, view)` pairs of [`Views`], in order ([`Views::iter`]).
#[derive(Clone, Debug)]
pub struct ViewsIter<'a>(std::slice::Iter<'a, View>);

impl<'a> Iterator for ViewsIter<'a> {
    type Item = (&'a str, &'a View);

    fn next(&mut self) -> Option<Self::Item> {
        self.0.next().map(|view| (&*view.path, view))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.0.size_hint()
    }
}

impl DoubleEndedIterator for ViewsIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.0.next_back().map(|view| (&*view.path, view))
    }
}

impl ExactSizeIterator for ViewsIter<'_> {}

impl<'a> IntoIterator for &'a Views {
    type Item = (&'a str, &'a View);
    type IntoIter = ViewsIter<'a>;

    fn into_iter(self) -> ViewsIter<'a> {
        ViewsIter(self.views.iter())
    }
}

impl IntoIterator for Views {
    type Item = View;
    type IntoIter = smallvec::IntoIter<[View; 1]>;

    fn into_iter(self) -> Self::IntoIter {
        self.views.into_iter()
    }
}

impl FromIterator<View> for Views {
    fn from_iter<I: IntoIterator<Item = View>>(iter: I) -> Self {
        let mut views = Views::new();
        views.extend(iter);
        views
    }
}

impl Extend<View> for Views {
    fn extend<I: IntoIterator<Item = View>>(&mut self, iter: I) {
        for view in iter {
            self.insert(view);
        }
    }
}

impl Index<&str> for Views {
    type Output = View;

    /// The view of the route pattern `path`; panics when there is none.
    fn index(&self, path: &str) -> &View {
        self.get(path)
            .unwrap_or_else(|| panic!("no view of the route `{path}`"))
    }
}

impl fmt::Debug for Views {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Views {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (path, view) in self {
            map.serialize_entry(path, view)?;
        }
        map.end()
    }
}

/// A JSON object of views by pattern; each view is filed under its key, which becomes its
/// `path`.
impl<'de> Deserialize<'de> for Views {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ViewsVisitor;

        impl<'de> Visitor<'de> for ViewsVisitor {
            type Value = Views;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an object of views by route pattern")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Views, A::Error> {
                let mut views = Views::new();
                while let Some((path, mut view)) = map.next_entry::<Arc<str>, View>()? {
                    view.path = path;
                    views.insert(view);
                }
                Ok(views)
            }
        }

        deserializer.deserialize_map(ViewsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    fn view(path: &str, html: &str) -> View {
        View {
            path: path.into(),
            html: html.to_owned(),
            title: None,
        }
    }

    #[test]
    fn views_are_kept_by_pattern_in_order_and_replaced_by_pattern() {
        let mut views = Views::new();
        assert!(views.insert(view("/users/:id", "inner")).is_none());
        assert!(views.insert(view("/", "outer")).is_none());
        assert!(views.insert(view("/b", "b")).is_none());
        assert_eq!(views.keys().collect::<Vec<_>>(), ["/", "/b", "/users/:id"]);
        let replaced = views.insert(view("/b", "b2")).unwrap();
        assert_eq!(replaced.html, "b");
        assert_eq!(views.len(), 3);
        assert_eq!(views["/b"].html, "b2");
        views.get_mut("/").unwrap().html.push('!');
        assert_eq!(views.get("/").unwrap().html, "outer!");
        assert!(views.contains_key("/users/:id") && !views.contains_key("/users"));
        assert_eq!(views.remove("/b").unwrap().html, "b2");
        assert!(views.remove("/b").is_none());
        let pairs: Vec<(&str, &str)> = views.iter().map(|(k, v)| (k, v.html.as_str())).collect();
        assert_eq!(pairs, [("/", "outer!"), ("/users/:id", "inner")]);
        assert_eq!(views.iter().next_back().unwrap().0, "/users/:id");
    }

    #[test]
    #[should_panic(expected = "no view of the route `/missing`")]
    fn indexing_a_missing_view_names_it() {
        let _ = &Views::new()["/missing"];
    }

    /// The wire shape is the one a map of views by pattern had: an object in pattern order.
    #[test]
    fn views_serialize_as_an_object_by_pattern_and_read_back() {
        let views: Views = [view("/z", "<p>z</p>"), view("/a", "a")]
            .into_iter()
            .collect();
        let map: BTreeMap<&str, &View> = views.iter().collect();
        let json = serde_json::to_string(&views).unwrap();
        assert_eq!(json, serde_json::to_string(&map).unwrap());
        assert_eq!(
            json,
            r#"{"/a":{"path":"/a","html":"a"},"/z":{"path":"/z","html":"<p>z</p>"}}"#
        );
        let back: Views = serde_json::from_str(&json).unwrap();
        assert_eq!(back, views);
        // A view is filed under its key.
        let keyed: Views = serde_json::from_str(r#"{"/k":{"path":"/other","html":""}}"#).unwrap();
        assert_eq!(keyed.keys().collect::<Vec<_>>(), ["/k"]);
        assert_eq!(&*keyed["/k"].path, "/k");
        assert!(serde_json::from_str::<Views>("[]").is_err());
    }
}
