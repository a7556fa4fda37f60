//! The route table: patterns (parsed by `pulse-route`, the same parser the macros use), page
//! components, scoped middleware groups, and the matcher that turns a URL into a [`RouteInfo`].

use std::fmt;
use std::sync::Arc;

use percent_encoding::percent_decode_str;
use pulse_route::{Conflict, Pattern, PatternError};

use crate::chain::InEnv;
use crate::dispatch::{EndpointEntry, ErasedMiddleware, RouteEntry};
use crate::env::Env;
use crate::middleware::PulseMiddleware;
use crate::page::IsPage;
use crate::params::Params;
use crate::route_info::RouteInfo;

/// Why a route could not be added.
#[derive(Debug, thiserror::Error)]
pub enum RouteError {
    /// The pattern is malformed.
    #[error("invalid route pattern `{pattern}`: {error}")]
    Pattern {
        /// The pattern.
        pattern: String,
        /// What is wrong.
        error: PatternError,
    },
    /// The same pattern twice.
    #[error("duplicate route `{0}`")]
    Duplicate(String),
    /// Two patterns matching the same URLs with equal precedence.
    #[error("routes `{0}` and `{1}` match the same URLs; rename one so they differ")]
    Ambiguous(String, String),
    /// An endpoint pattern that is also a page.
    #[error("`{0}` is declared both as a page and as an endpoint")]
    PageAndEndpoint(String),
    /// A pattern under the reserved `/_pulse` prefix ([`pulse_route::check_not_reserved`]).
    #[error("{}", pulse_route::Reserved(.0))]
    Reserved(String),
}

/// The app's pages: patterns mapped to components, possibly inside scoped middleware groups.
///
/// Usually built with `ps::routes!{…}`, which checks every pattern at compile time. Built by
/// hand, [`Routes::route`] panics on a bad pattern, as axum's router does; [`Routes::try_route`]
/// returns the error.
///
/// Endpoints the app serves with [`Server::routes`](crate::Server::routes) can be declared
/// here too ([`Routes::endpoint`]): inside a group, their `api` hook also runs the group's
/// middleware, so one group guards pages and endpoints alike.
///
/// ```
/// use pulse_core as ps;
///
/// async fn home(_: ps::PageContext) -> ps::Markup { ps::html! { h1 { "Home" } } }
/// async fn user(cx: ps::PageContext) -> ps::Markup { ps::html! { h1 { (cx.param("id").unwrap_or("?")) } } }
///
/// // Group middleware (usually a `#[ps::middleware(prerender_route)]` fn) runs only for the
/// // group's routes.
/// let routes = ps::Routes::new()
///     .route("/", home)
///     .group(ps::LatencyMiddleware::default(), ps::Routes::new().route("/users/:id", user));
/// assert_eq!(routes.patterns().collect::<Vec<_>>(), ["/", "/users/:id"]);
/// let (pattern, route) = routes.resolve("/users/42?tab=a").unwrap();
/// assert_eq!((pattern, route.path_params["id"].as_str()), ("/users/:id", "42"));
/// assert!(ps::Routes::new().try_route("no-slash", home).is_err());
/// ```
#[derive(Default)]
pub struct Routes {
    pub(crate) entries: Vec<RouteEntry>,
    pub(crate) endpoints: Vec<EndpointEntry>,
}

impl Routes {
    /// An empty table.
    pub fn new() -> Routes {
        Routes::default()
    }

    /// Adds a page: an `async fn(cx: ps::PageContext) -> ps::Markup`, or a
    /// [`Page`](crate::Page) (a render fn with callbacks), or any other [`Component`](crate::Component).
    ///
    /// The bound is written with a hidden trait every `Component` implements (`M` is
    /// inferred), so that a fn of the wrong shape gets one error at the argument saying what a
    /// page is, not rustc's "expected a closure that takes 1 argument" (E0593).
    ///
    /// # Panics
    /// When the pattern is malformed or conflicts with a route already added.
    #[track_caller]
    pub fn route<C: IsPage<M>, M>(self, pattern: &str, component: C) -> Routes {
        match self.try_route(pattern, component) {
            Ok(routes) => routes,
            Err(error) => panic!("{error}"),
        }
    }

    /// Adds a page, or says why it cannot be added. The page is checked like
    /// [`Routes::route`]'s.
    pub fn try_route<C: IsPage<M>, M>(
        mut self,
        pattern: &str,
        component: C,
    ) -> Result<Routes, RouteError> {
        let parsed = Pattern::parse(pattern).map_err(|error| RouteError::Pattern {
            pattern: pattern.to_owned(),
            error,
        })?;
        self.push(RouteEntry {
            pattern: parsed,
            component: Arc::new(component),
            groups: Vec::new(),
        })?;
        Ok(self)
    }

    /// Declares an endpoint pattern (`/api/me`, `/api/orders/:id`, `/api/admin/*`) of the
    /// routes given to [`Server::routes`](crate::Server::routes). Outside a group it only
    /// documents the endpoint; inside one, requests to matching paths run the group's
    /// middleware in their `api` hook (the most specific pattern wins, as for pages).
    ///
    /// # Panics
    /// When the pattern is malformed, is declared twice, or is also a page.
    #[track_caller]
    pub fn endpoint(self, pattern: &str) -> Routes {
        match self.try_endpoint(pattern) {
            Ok(routes) => routes,
            Err(error) => panic!("{error}"),
        }
    }

    /// Declares an endpoint pattern, or says why it cannot be declared.
    pub fn try_endpoint(mut self, pattern: &str) -> Result<Routes, RouteError> {
        let parsed = Pattern::parse(pattern).map_err(|error| RouteError::Pattern {
            pattern: pattern.to_owned(),
            error,
        })?;
        self.push_endpoint(EndpointEntry {
            pattern: parsed,
            groups: Vec::new(),
        })?;
        Ok(self)
    }

    /// Adds `routes` inside a scoped group: `middleware` runs after the app-wide chain, only for
    /// these routes (their `prerender_route`, and `message`s addressed to them) and endpoints
    /// (their `api` hook).
    ///
    /// # Panics
    /// When a route of the group conflicts with one already added.
    #[track_caller]
    pub fn group<M: PulseMiddleware>(self, middleware: M, routes: Routes) -> Routes {
        match self.try_group(middleware, routes) {
            Ok(routes) => routes,
            Err(error) => panic!("{error}"),
        }
    }

    /// Adds a scoped group, or says why it cannot be added.
    pub fn try_group<M: PulseMiddleware>(
        self,
        middleware: M,
        routes: Routes,
    ) -> Result<Routes, RouteError> {
        self.try_group_in(Env::current(), middleware, routes)
    }

    /// [`Routes::group`] for the environment `env` instead of `PULSE_ENV` (a dev-only group
    /// middleware runs only in [`Env::Dev`]).
    ///
    /// # Panics
    /// When a route of the group conflicts with one already added.
    #[track_caller]
    pub fn group_in<M: PulseMiddleware>(self, env: Env, middleware: M, routes: Routes) -> Routes {
        match self.try_group_in(env, middleware, routes) {
            Ok(routes) => routes,
            Err(error) => panic!("{error}"),
        }
    }

    /// [`Routes::try_group`] for the environment `env`.
    pub fn try_group_in<M: PulseMiddleware>(
        mut self,
        env: Env,
        middleware: M,
        routes: Routes,
    ) -> Result<Routes, RouteError> {
        // In its own environment `env` (see `Next::env`).
        let middleware: Arc<dyn ErasedMiddleware> = Arc::new(InEnv::new_in(env, middleware));
        for mut entry in routes.entries {
            entry.groups.insert(0, middleware.clone());
            self.push(entry)?;
        }
        for mut entry in routes.endpoints {
            entry.groups.insert(0, middleware.clone());
            self.push_endpoint(entry)?;
        }
        Ok(self)
    }

    fn push_endpoint(&mut self, entry: EndpointEntry) -> Result<(), RouteError> {
        let source = entry.pattern.as_str();
        if pulse_route::check_not_reserved(source).is_err() {
            return Err(RouteError::Reserved(source.to_owned()));
        }
        let pages = self.entries.iter().map(|e| (&e.pattern, true));
        let endpoints = self.endpoints.iter().map(|e| (&e.pattern, false));
        for (other, is_page) in pages.chain(endpoints) {
            match pulse_route::conflict(other, &entry.pattern) {
                Some(Conflict::Duplicate) if is_page => {
                    return Err(RouteError::PageAndEndpoint(source.to_owned()));
                }
                Some(Conflict::Duplicate) => return Err(RouteError::Duplicate(source.to_owned())),
                Some(Conflict::Ambiguous) if !is_page => {
                    return Err(RouteError::Ambiguous(
                        other.as_str().to_owned(),
                        source.to_owned(),
                    ));
                }
                _ => {}
            }
        }
        self.endpoints.push(entry);
        Ok(())
    }

    /// The declared endpoint patterns, in declaration order.
    pub fn endpoint_patterns(&self) -> impl Iterator<Item = &str> {
        self.endpoints.iter().map(|e| e.pattern.as_str())
    }

    /// The endpoint pattern matching `path` best, if any.
    pub(crate) fn find_endpoint(&self, path: &str) -> Option<&EndpointEntry> {
        let mut best: Option<(&EndpointEntry, u64)> = None;
        for entry in &self.endpoints {
            if let Some(found) = entry.pattern.matches(path)
                && best.as_ref().is_none_or(|(_, rank)| found.rank > *rank)
            {
                best = Some((entry, found.rank));
            }
        }
        best.map(|(entry, _)| entry)
    }

    fn push(&mut self, entry: RouteEntry) -> Result<(), RouteError> {
        let source = entry.pattern.as_str();
        if pulse_route::check_not_reserved(source).is_err() {
            return Err(RouteError::Reserved(source.to_owned()));
        }
        for other in &self.entries {
            match pulse_route::conflict(&other.pattern, &entry.pattern) {
                Some(Conflict::Duplicate) => return Err(RouteError::Duplicate(source.to_owned())),
                Some(Conflict::Ambiguous) => {
                    return Err(RouteError::Ambiguous(
                        other.pattern.as_str().to_owned(),
                        source.to_owned(),
                    ));
                }
                None => {}
            }
        }
        self.entries.push(entry);
        Ok(())
    }

    /// The patterns, in declaration order.
    pub fn patterns(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|e| e.pattern.as_str())
    }

    /// Number of routes.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there is no route.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn find(&self, pattern: &str) -> Option<&RouteEntry> {
        self.entries.iter().find(|e| e.pattern.as_str() == pattern)
    }

    /// Matches a URL (`/users/42?tab=1`) to the best route by precedence, returning the route's
    /// pattern and the [`RouteInfo`].
    pub fn resolve(&self, target: &str) -> Option<(&str, RouteInfo)> {
        let (target, hash) = target.split_once('#').unwrap_or((target, ""));
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        self.resolve_parts(path, query, hash)
    }

    /// [`Routes::resolve`] for a URL already split into path, query and fragment.
    pub(crate) fn resolve_parts(
        &self,
        path: &str,
        query: &str,
        hash: &str,
    ) -> Option<(&str, RouteInfo)> {
        self.resolve_entry(path, query, hash)
            .map(|(entry, info)| (entry.pattern.as_str(), info))
    }

    /// [`Routes::resolve_parts`] with the matched entry itself.
    pub(crate) fn resolve_entry(
        &self,
        path: &str,
        query: &str,
        hash: &str,
    ) -> Option<(&RouteEntry, RouteInfo)> {
        // The highest rank wins; on a tie, the route declared first.
        let mut best: Option<(&RouteEntry, pulse_route::Match<'_, '_>)> = None;
        for entry in &self.entries {
            if let Some(found) = entry.pattern.matches(path)
                && best.as_ref().is_none_or(|(_, b)| found.rank > b.rank)
            {
                best = Some((entry, found));
            }
        }
        let (entry, found) = best?;
        // Most URLs have no query and no parameters: nothing to parse for them.
        let query_params = if query.is_empty() {
            Params::new()
        } else {
            // The last of a repeated query key wins.
            form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect()
        };
        let path_params = if found.params.is_empty() {
            Params::new()
        } else {
            found
                .params
                .iter()
                .map(|(name, value)| ((*name).to_owned(), decode(value)))
                .collect()
        };
        let info = RouteInfo {
            pathname: path.to_owned(),
            hash: hash.to_owned(),
            query: query.to_owned(),
            query_params,
            path_params,
            catchall: found.catchall.iter().map(|s| decode(s)).collect(),
        };
        Some((entry, info))
    }
}

fn decode(raw: &str) -> String {
    percent_decode_str(raw).decode_utf8_lossy().into_owned()
}

impl fmt::Debug for Routes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.patterns())
            .entries(self.endpoint_patterns().map(|p| format!("api {p}")))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::Params;

    #[test]
    fn a_resolved_url_has_its_parameters_decoded_and_the_last_of_a_repeated_query_key() {
        let routes = Routes::new()
            .route("/", |_: crate::PageContext| async {
                maud::html! {}
            })
            .route("/users/:id/*", |_: crate::PageContext| async {
                maud::html! {}
            });
        let (pattern, info) = routes
            .resolve("/users/a%20b/x/y%2Fz?tab=1&q=%3C&tab=2#top")
            .unwrap();
        assert_eq!(pattern, "/users/:id/*");
        assert_eq!(info.pathname, "/users/a%20b/x/y%2Fz");
        assert_eq!(info.query, "tab=1&q=%3C&tab=2");
        assert_eq!(info.hash, "top");
        assert_eq!(
            info.query_params,
            Params::from([
                ("q".to_owned(), "<".to_owned()),
                ("tab".to_owned(), "2".to_owned())
            ])
        );
        assert_eq!(
            info.path_params,
            Params::from([("id".to_owned(), "a b".to_owned())])
        );
        assert_eq!(info.catchall, ["x", "y/z"]);
        let (_, home) = routes.resolve("/").unwrap();
        assert_eq!(
            home,
            RouteInfo {
                pathname: "/".to_owned(),
                ..RouteInfo::default()
            }
        );
    }
}
