//! [`RouteInfo`]: the concrete URL being rendered, as hooks, pages and the wire see it.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// The concrete URL being rendered (Pulse's `RouteInfo`, camelCase on the wire).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RouteInfo {
    /// The path (`/users/42`).
    pub pathname: String,
    /// The fragment, without `#` (browsers do not send it to servers).
    pub hash: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Query parameters, one value per key (the last one wins).
    pub query_params: BTreeMap<String, String>,
    /// Path parameters, percent-decoded.
    pub path_params: BTreeMap<String, String>,
    /// Segments captured by a catch-all `*`, percent-decoded.
    pub catchall: Vec<String>,
}
