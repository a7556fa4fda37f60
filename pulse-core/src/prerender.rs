//! The prerender payload (what is being rendered) and its result (views plus directives).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::route_info::RouteInfo;

/// What a `prerender` hook is asked to render: route patterns and the URL (Pulse's
/// `PrerenderPayload`, the body of `POST /_pulse/prerender`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PrerenderPayload {
    /// Route patterns to render, outermost first (`["/users/:id"]`).
    pub paths: Vec<String>,
    /// The URL being rendered.
    #[serde(default)]
    pub route_info: RouteInfo,
}

/// The rendered HTML of one route.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct View {
    /// The route pattern this view renders.
    pub path: String,
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
    pub views: BTreeMap<String, View>,
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
    pub headers: BTreeMap<String, String>,
    /// Query parameters for later prerender requests and the WebSocket.
    #[serde(default)]
    pub query: BTreeMap<String, String>,
    /// Anything else, sent as is.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}
