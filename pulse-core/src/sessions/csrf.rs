//! Cross-site request protection, after Go 1.25's `http.CrossOriginProtection`: unsafe
//! requests (anything but `GET`, `HEAD`, `OPTIONS`) that a browser marks as coming from another
//! site are refused with 403, on the app's endpoints and the user's alike.

use std::convert::Infallible;
use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request as AxumRequest;
use axum::response::{IntoResponse, Response};
use futures_util::future::{Either, Ready, ready};
use http::header::{HOST, ORIGIN};
use http::{HeaderMap, HeaderName, Method, StatusCode};
use tower::{Layer, Service};

use crate::request::Scheme;

/// `Sec-Fetch-Site`, not among `http`'s standard names: made once, not parsed from a string
/// on each unsafe request.
const SEC_FETCH_SITE: HeaderName = HeaderName::from_static("sec-fetch-site");

/// The cross-site check every request passes before its session is loaded. On by default.
///
/// An unsafe request (`POST`, `PUT`, `PATCH`, `DELETE`, … anything but `GET`, `HEAD` and
/// `OPTIONS`) is refused with `403 {"error": "cross-site request refused"}` when:
/// - its `Sec-Fetch-Site` header is present and not `same-origin` or `none` (so `same-site`
///   and `cross-site` are refused), or
/// - without `Sec-Fetch-Site` (older browsers), its `Origin` is not the app's own origin
///   (scheme, host and port, from the server's [`Scheme`] and the `Host` header);
///
/// unless its `Origin` is exactly one of the [trusted](Self::trust) origins. Requests with
/// neither header (curl, server-to-server calls) pass: they carry no browser's ambient cookies
/// by another site's doing. Safe methods must not change state; they are never checked.
///
/// ```
/// # use pulse_core as ps;
/// let protection = ps::server::CrossOrigin::default()
///     .trust("https://admin.example.com")
///     .trust("http://localhost:5173");
/// # let _ = protection;
/// ```
#[derive(Clone, Default)]
pub struct CrossOrigin {
    trusted: Arc<Vec<String>>,
    off: bool,
}

impl fmt::Debug for CrossOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CrossOrigin")
            .field("trusted", &self.trusted)
            .field("off", &self.off)
            .finish()
    }
}

impl CrossOrigin {
    /// Also accepts unsafe requests from pages of `origin`, written `scheme://host[:port]`
    /// (no path, query or fragment; matched exactly, case aside).
    ///
    /// # Panics
    /// When `origin` is not of that form (a configuration mistake, caught at startup).
    pub fn trust(mut self, origin: &str) -> CrossOrigin {
        let normalized = parse_origin(origin)
            .unwrap_or_else(|| panic!("trusted origin {origin:?} is not `scheme://host[:port]`"));
        Arc::make_mut(&mut self.trusted).push(normalized);
        self
    }

    /// Turns the protection off. Only for apps whose unsafe endpoints all check something a
    /// cookie is not (a bearer token, a CSRF token of their own).
    pub fn disabled() -> CrossOrigin {
        CrossOrigin {
            off: true,
            ..CrossOrigin::default()
        }
    }

    /// Whether an unsafe request with these headers, to an app served on `scheme`, may pass.
    pub(crate) fn allows(&self, method: &Method, headers: &HeaderMap, scheme: Scheme) -> bool {
        if self.off || matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
            return true;
        }
        let origin = headers.get(ORIGIN).and_then(|v| v.to_str().ok());
        let trusted = || {
            origin
                .and_then(parse_origin)
                .is_some_and(|o| self.trusted.contains(&o))
        };
        if let Some(site) = headers.get(&SEC_FETCH_SITE) {
            return matches!(site.as_bytes(), b"same-origin" | b"none") || trusted();
        }
        match origin {
            None => true,
            Some(origin) => same_origin(origin, scheme, headers) || trusted(),
        }
    }

    pub(crate) fn layer(&self, scheme: Scheme) -> CrossOriginLayer {
        CrossOriginLayer {
            check: self.clone(),
            scheme,
        }
    }
}

/// Whether `origin` is the app's own: `scheme://host[:port]` equal to the server's scheme and
/// the request's `Host` (default ports made explicit on both sides).
pub(crate) fn same_origin(origin: &str, scheme: Scheme, headers: &HeaderMap) -> bool {
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    let Some(own) = parse_origin(&format!("{scheme}://{host}")) else {
        return false;
    };
    parse_origin(origin).is_some_and(|o| o == own)
}

/// `scheme://host[:port]` lowercased with the port made explicit, or `None` when `origin` is
/// not of that form (a path, userinfo, `null`, an unknown scheme).
pub(crate) fn parse_origin(origin: &str) -> Option<String> {
    let origin = origin.trim_end_matches('/').to_ascii_lowercase();
    let (scheme, authority) = origin.split_once("://")?;
    let default_port = match scheme {
        "http" => 80,
        "https" => 443,
        _ => return None,
    };
    if authority.is_empty() || authority.contains(['/', '?', '#', '@', ' ']) {
        return None;
    }
    let authority: http::uri::Authority = authority.parse().ok()?;
    let port = authority.port_u16().unwrap_or(default_port);
    Some(format!("{scheme}://{}:{port}", authority.host()))
}

fn refuse() -> Response {
    (
        StatusCode::FORBIDDEN,
        axum::Json(serde_json::json!({ "error": "cross-site request refused" })),
    )
        .into_response()
}

/// The layer applying [`CrossOrigin`] around the whole router.
#[derive(Clone, Debug)]
pub(crate) struct CrossOriginLayer {
    check: CrossOrigin,
    scheme: Scheme,
}

impl<S> Layer<S> for CrossOriginLayer {
    type Service = CrossOriginService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        CrossOriginService {
            inner,
            layer: self.clone(),
        }
    }
}

/// The service [`CrossOriginLayer`] wraps the router in.
#[derive(Clone, Debug)]
pub(crate) struct CrossOriginService<S> {
    inner: S,
    layer: CrossOriginLayer,
}

impl<S> Service<AxumRequest> for CrossOriginService<S>
where
    S: Service<AxumRequest, Response = Response, Error = Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Either<S::Future, Ready<Result<Response, Infallible>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: AxumRequest) -> Self::Future {
        let layer = &self.layer;
        if layer
            .check
            .allows(request.method(), request.headers(), layer.scheme)
        {
            return Either::Left(self.inner.call(request));
        }
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            origin = ?request.headers().get(ORIGIN),
            sec_fetch_site = ?request.headers().get(&SEC_FETCH_SITE),
            "refused a cross-site request"
        );
        Either::Right(ready(Ok(refuse())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    #[test]
    fn follows_the_go_algorithm() {
        let check = CrossOrigin::default().trust("https://trusted.example");
        let post = Method::POST;
        let host = ("host", "app.example:8000");
        let cases: &[(&[(&str, &str)], bool)] = &[
            (&[host], true),
            (&[host, ("sec-fetch-site", "same-origin")], true),
            (&[host, ("sec-fetch-site", "none")], true),
            (&[host, ("sec-fetch-site", "same-site")], false),
            (&[host, ("sec-fetch-site", "cross-site")], false),
            (
                &[
                    host,
                    ("sec-fetch-site", "cross-site"),
                    ("origin", "https://trusted.example"),
                ],
                true,
            ),
            (&[host, ("origin", "http://app.example:8000")], true),
            (&[host, ("origin", "https://app.example:8000")], false),
            (&[host, ("origin", "http://app.example:8001")], false),
            (&[host, ("origin", "http://evil.example")], false),
            (&[host, ("origin", "null")], false),
            (&[host, ("origin", "https://trusted.example:443")], true),
        ];
        for (pairs, allowed) in cases {
            assert_eq!(
                check.allows(&post, &headers(pairs), Scheme::Http),
                *allowed,
                "{pairs:?}"
            );
        }
        let evil = headers(&[host, ("sec-fetch-site", "cross-site")]);
        assert!(check.allows(&Method::GET, &evil, Scheme::Http));
        assert!(!check.allows(&Method::DELETE, &evil, Scheme::Http));
        assert!(CrossOrigin::disabled().allows(&post, &evil, Scheme::Http));
        // Default ports are the same origin written either way.
        let https = headers(&[
            ("host", "app.example"),
            ("origin", "https://app.example:443"),
        ]);
        assert!(check.allows(&post, &https, Scheme::Https));
        assert!(!check.allows(&post, &https, Scheme::Http));
    }

    #[test]
    #[should_panic(expected = "not `scheme://host[:port]`")]
    fn a_trusted_origin_with_a_path_is_refused() {
        let _ = CrossOrigin::default().trust("https://example.com/app");
    }
}
