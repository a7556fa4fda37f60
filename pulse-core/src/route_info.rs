//! [`RouteInfo`]: the concrete URL being rendered, as hooks, pages and the wire see it.

use serde::{Deserialize, Serialize};

use crate::params::Params;

/// The concrete URL being rendered (Pulse's `RouteInfo`, camelCase on the wire: a JSON object,
/// every field optional).
///
/// ```
/// use pulse_core as ps;
///
/// let routes = ps::Routes::new().route("/users/:id", |_: ps::PageContext| async { ps::html! {} });
/// let (_, info) = routes.resolve("/users/7?tab=posts").unwrap();
/// assert_eq!(info.pathname, "/users/7");
/// assert_eq!(info.path_params["id"], "7");
/// assert_eq!(info.query_params["tab"], "posts");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RouteInfo {
    /// The path (`/users/42`).
    pub pathname: String,
    /// The fragment, without `#` (browsers do not send it to servers).
    pub hash: String,
    /// The raw query string, without `?`.
    pub query: String,
    /// Query parameters, one value per key (the last one wins).
    pub query_params: Params,
    /// Path parameters, percent-decoded.
    pub path_params: Params,
    /// Segments captured by a catch-all `*`, percent-decoded.
    pub catchall: Vec<String>,
}

/// `RouteInfo` as it arrives: only a JSON object. A derived `Deserialize` would also take an
/// array of the fields in order, so `"routeInfo": []` would pass as an empty URL.
impl<'de> Deserialize<'de> for RouteInfo {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Default, Deserialize)]
        #[serde(rename_all = "camelCase", default)]
        struct Fields {
            pathname: String,
            hash: String,
            query: String,
            query_params: Params,
            path_params: Params,
            catchall: Vec<String>,
        }

        struct ObjectOnly;

        impl<'de> serde::de::Visitor<'de> for ObjectOnly {
            type Value = Fields;

            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a routeInfo object")
            }

            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Fields, A::Error> {
                Fields::deserialize(serde::de::value::MapAccessDeserializer::new(map))
            }
        }

        let f = deserializer.deserialize_map(ObjectOnly)?;
        Ok(RouteInfo {
            pathname: f.pathname,
            hash: f.hash,
            query: f.query,
            query_params: f.query_params,
            path_params: f.path_params,
            catchall: f.catchall,
        })
    }
}
