//! [`Request`]: what hooks know about the HTTP request (or the WebSocket upgrade request).

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use http::{HeaderMap, HeaderName, HeaderValue, Method, Uri};

/// `http` or `https`, as the app was reached.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    #[default]
    Http,
    /// HTTP over TLS.
    Https,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        })
    }
}

/// An HTTP request as hooks see it: method, path, query, headers, cookies, client address and
/// scheme. Built by the server for each page request and each WebSocket upgrade.
///
/// A cheap handle: cloning shares the data. Cookies are parsed on first use.
///
/// ```
/// use pulse_core as ps;
/// use http::header::{COOKIE, USER_AGENT};
///
/// // The server builds it; tests build their own.
/// let request = ps::Request::get("/users/42?tab=a")
///     .with_header(USER_AGENT, http::HeaderValue::from_static("curl/8"))
///     .with_header(COOKIE, http::HeaderValue::from_static("theme=dark"));
/// assert_eq!(request.path(), "/users/42");
/// assert_eq!(request.query(), "tab=a");
/// assert_eq!(request.header("user-agent"), Some("curl/8"));
/// assert_eq!(request.cookie("theme"), Some("dark"));
/// assert_eq!(request.scheme(), ps::Scheme::Http);
/// assert_eq!(request.client(), None); // set by the server from the socket
/// ```
#[derive(Clone, Debug, Default)]
pub struct Request {
    inner: Arc<Inner>,
}

#[derive(Clone, Debug, Default)]
struct Inner {
    id: u64,
    method: Method,
    target: Target,
    headers: HeaderMap,
    cookies: OnceLock<BTreeMap<String, String>>,
    client: Option<SocketAddr>,
    scheme: Scheme,
    /// The rate limiter's client key, resolved once per request (a socket's messages share
    /// its upgrade request): which `ClientIp` resolved it, and the key.
    client_key: OnceLock<(u64, Option<u128>)>,
}

/// Where the request's path and query live: the request's own URI (the server's requests, taken
/// over without copying), or strings (requests built by hand).
#[derive(Clone, Debug)]
enum Target {
    Uri(Uri),
    Parts { path: String, query: String },
}

impl Default for Target {
    fn default() -> Target {
        Target::Parts {
            path: String::new(),
            query: String::new(),
        }
    }
}

/// The id of the next request built (0 is left to `Request::default()`).
fn next_id() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Request {
    /// A request for `target`, a path with an optional query (`/users/1?tab=2`).
    pub fn new(method: Method, target: &str) -> Request {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            inner: Arc::new(Inner {
                id: next_id(),
                method,
                target: Target::Parts {
                    path: path.to_owned(),
                    query: query.to_owned(),
                },
                ..Inner::default()
            }),
        }
    }

    /// A `GET` request for `target`.
    pub fn get(target: &str) -> Request {
        Request::new(Method::GET, target)
    }

    /// Builds a request from the parts of an `http` request.
    pub fn from_parts(
        parts: &http::request::Parts,
        client: Option<SocketAddr>,
        scheme: Scheme,
    ) -> Request {
        Request::from_head(
            parts.method.clone(),
            parts.uri.clone(),
            parts.headers.clone(),
            client,
            scheme,
        )
    }

    /// Builds a request from the head of an `http` request, taking it over (the server's path:
    /// nothing is copied).
    pub(crate) fn from_head(
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        client: Option<SocketAddr>,
        scheme: Scheme,
    ) -> Request {
        Request {
            inner: Arc::new(Inner {
                id: next_id(),
                method,
                target: Target::Uri(uri),
                headers,
                cookies: OnceLock::new(),
                client,
                scheme,
                client_key: OnceLock::new(),
            }),
        }
    }

    fn inner_mut(&mut self) -> &mut Inner {
        let inner = Arc::make_mut(&mut self.inner);
        inner.client_key = OnceLock::new();
        inner
    }

    /// See `Inner::client_key`.
    pub(crate) fn client_key(&self) -> &OnceLock<(u64, Option<u128>)> {
        &self.inner.client_key
    }

    /// Adds a header (and re-reads cookies when it is `Cookie`).
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Request {
        let inner = self.inner_mut();
        inner.headers.append(name, value);
        inner.cookies = OnceLock::new();
        self
    }

    /// Sets the client address.
    pub fn with_client(mut self, client: SocketAddr) -> Request {
        self.inner_mut().client = Some(client);
        self
    }

    /// Sets the scheme.
    pub fn with_scheme(mut self, scheme: Scheme) -> Request {
        self.inner_mut().scheme = scheme;
        self
    }

    /// A number unique to this request within the process (clones share it). A WebSocket's
    /// hooks all see its upgrade request, so in `connect` and `message` hooks this identifies
    /// the socket (what [`RateLimit::per_socket`](crate::RateLimit::per_socket) keys by).
    pub fn id(&self) -> u64 {
        self.inner.id
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.inner.method
    }

    /// The path, without query (`/users/1`).
    pub fn path(&self) -> &str {
        match &self.inner.target {
            Target::Uri(uri) => uri.path(),
            Target::Parts { path, .. } => path,
        }
    }

    /// The raw query string, without `?` (empty when there is none).
    pub fn query(&self) -> &str {
        match &self.inner.target {
            Target::Uri(uri) => uri.query().unwrap_or(""),
            Target::Parts { query, .. } => query,
        }
    }

    /// The headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.inner.headers
    }

    /// A header's value, if present and valid UTF-8.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.inner.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The cookies sent with the request, by name.
    pub fn cookies(&self) -> &BTreeMap<String, String> {
        self.inner
            .cookies
            .get_or_init(|| parse_cookies(&self.inner.headers))
    }

    /// One cookie's value.
    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies().get(name).map(String::as_str)
    }

    /// The TCP peer's address, when known.
    pub fn client(&self) -> Option<SocketAddr> {
        self.inner.client
    }

    /// `http` or `https`.
    pub fn scheme(&self) -> Scheme {
        self.inner.scheme
    }
}

/// Parses every `Cookie` header; malformed pairs are skipped, the first of two equal names wins.
fn parse_cookies(headers: &HeaderMap) -> BTreeMap<String, String> {
    let mut cookies = BTreeMap::new();
    for value in headers.get_all(http::header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for cookie in cookie::Cookie::split_parse_encoded(value).flatten() {
            cookies
                .entry(cookie.name().to_owned())
                .or_insert_with(|| cookie.value().to_owned());
        }
    }
    cookies
}
