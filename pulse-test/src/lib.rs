//! # pulse-test: a test kit for Pulse apps
//!
//! Start an app on an ephemeral loopback port, browse it with a client that keeps cookies like
//! a browser (and sends same-origin headers on unsafe requests), sign in, open live sockets,
//! attach pages, run callbacks and read the rendered views — with no boilerplate, over real
//! sockets, every wait bounded so a hang fails fast.
//!
//! ```no_run
//! use pulse_core as ps;
//! use serde_json::json;
//!
//! # async fn app_server() -> ps::Server { unimplemented!() }
//! # async fn test() {
//! let server = pulse_test::TestServer::start(app_server().await).await;
//! let browser = server.browser();
//! browser.sign_in("/api/login", json!({"email": "ada@example.com", "password": "pulse"})).await;
//! let mut socket = browser.socket().await.expect("the socket opens");
//! socket.attach("/dashboard").await;
//! socket.callback("/dashboard", "increment", json!([])).await;
//! assert!(socket.view("/dashboard").contains("Clicked 1 times"));
//! # }
//! ```
//!
//! For tests that carry cookies and sockets by hand, the [lower-level helpers](raw) serve an
//! app ([`serve`]), make an HTTP client ([`http_client`]), read the session cookie a response
//! sets ([`session_cookie`]), sign in ([`sign_in`]) and open raw sockets ([`open`], [`connect`],
//! [`Client`]).

pub mod raw;

pub use raw::{
    Attempt, CLIENT_TIMEOUT, Client, Logs, connect, connect_with, get_with_cookie, http_client,
    http_client_from, open, post_json, pulse_state, secret, serve, serve_live, session_cookie,
    set_cookie_header, sign_in,
};

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pulse_core as ps;
use reqwest::header::{HeaderMap, SET_COOKIE};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long any single wait (a response, a socket message) may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// An app served on `127.0.0.1` at an ephemeral port, until dropped.
#[derive(Debug)]
pub struct TestServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl TestServer {
    /// Serves `server` on a free loopback port.
    ///
    /// # Panics
    /// When the port cannot be bound or the server's configuration is invalid.
    pub async fn start(server: ps::Server) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("local address");
        let router = server
            .try_into_router()
            .expect("the server's configuration is valid");
        let task = tokio::spawn(async move {
            let service = router.into_make_service_with_connect_info::<SocketAddr>();
            let _ = axum::serve(listener, service).await;
        });
        TestServer { addr, task }
    }

    /// The address served.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:<port>`: the app's origin.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// A new browser with an empty cookie jar.
    pub fn browser(&self) -> Browser {
        Browser::new(self.addr)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A browser: a cookie jar shared by its requests, its tabs ([`Browser::tab`]) and its
/// sockets. Unsafe requests carry `Origin` and `Sec-Fetch-Site: same-origin`, as a page of the
/// app would send them; [`Browser::cross_site_post`] makes requests another site's page would make.
#[derive(Clone)]
pub struct Browser {
    addr: SocketAddr,
    http: reqwest::Client,
    jar: Arc<Mutex<BTreeMap<String, String>>>,
}

impl fmt::Debug for Browser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Browser")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

/// A response read whole: status, headers and body.
#[derive(Debug)]
pub struct Page {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body as text.
    pub body: String,
}

impl Page {
    /// The body as JSON (`Value::Null` when it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// The `Location` header of a redirect.
    pub fn location(&self) -> Option<&str> {
        self.headers.get("location").and_then(|v| v.to_str().ok())
    }

    /// The `pulse.sid` value this response set (`Some("")` for a removal).
    pub fn session_cookie(&self) -> Option<String> {
        set_cookies(&self.headers)
            .into_iter()
            .find(|(name, _, _)| name == ps::server::COOKIE_NAME)
            .map(|(_, value, _)| value)
    }
}

/// `(name, value, removed)` for each `Set-Cookie` header.
fn set_cookies(headers: &HeaderMap) -> Vec<(String, String, bool)> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|header| {
            let mut parts = header.split(';');
            let (name, value) = parts.next()?.trim().split_once('=')?;
            let removed = parts.any(|attr| attr.trim().eq_ignore_ascii_case("max-age=0"));
            Some((name.to_owned(), value.to_owned(), removed))
        })
        .collect()
}

impl Browser {
    fn new(addr: SocketAddr) -> Browser {
        Browser {
            addr,
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(TIMEOUT)
                .build()
                .expect("an HTTP client"),
            jar: Arc::default(),
        }
    }

    /// Another tab of this browser: the same cookie jar.
    pub fn tab(&self) -> Browser {
        self.clone()
    }

    /// The `pulse.sid` cookie the browser holds.
    pub fn session_cookie(&self) -> Option<String> {
        self.cookie(ps::server::COOKIE_NAME)
    }

    /// A cookie the browser holds.
    pub fn cookie(&self, name: &str) -> Option<String> {
        self.jar().get(name).cloned()
    }

    /// Sets (or with `None` removes) a cookie, e.g. to replay an old `pulse.sid`.
    pub fn set_cookie(&self, name: &str, value: Option<&str>) {
        match value {
            Some(value) => self.jar().insert(name.to_owned(), value.to_owned()),
            None => self.jar().remove(name),
        };
    }

    fn jar(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.jar.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn cookie_header(&self) -> Option<String> {
        let jar = self.jar();
        (!jar.is_empty()).then(|| {
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    fn store(&self, headers: &HeaderMap) {
        let mut jar = self.jar();
        for (name, value, removed) in set_cookies(headers) {
            if removed || value.is_empty() {
                jar.remove(&name);
            } else {
                jar.insert(name, value);
            }
        }
    }

    /// `http://127.0.0.1:<port><path>`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// Sends a request with the browser's cookies and `headers`, stores the cookies it sets.
    ///
    /// # Panics
    /// When the server does not answer within [`TIMEOUT`].
    pub async fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        headers: &[(&str, &str)],
        body: Option<&Value>,
    ) -> Page {
        let mut request = self.http.request(method, self.url(path));
        if let Some(cookies) = self.cookie_header() {
            request = request.header("cookie", cookies);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = response.text().await.unwrap_or_default();
        self.store(&headers);
        Page {
            status,
            headers,
            body,
        }
    }

    fn same_origin(&self) -> [(&'static str, String); 2] {
        [
            ("origin", format!("http://{}", self.addr)),
            ("sec-fetch-site", "same-origin".to_owned()),
        ]
    }

    /// `GET path`.
    pub async fn get(&self, path: &str) -> Page {
        self.request(reqwest::Method::GET, path, &[], None).await
    }

    /// `POST path` with a JSON body, from a page of the app.
    pub async fn post_json(&self, path: &str, body: Value) -> Page {
        let headers = self.same_origin();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.request(reqwest::Method::POST, path, &headers, Some(&body))
            .await
    }

    /// `POST path` with a JSON body from a page of another site (`https://evil.example`),
    /// with this browser's cookies, as a cross-site form or `fetch` would send it.
    pub async fn cross_site_post(&self, path: &str, body: Value) -> Page {
        let headers = [
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ];
        self.request(reqwest::Method::POST, path, &headers, Some(&body))
            .await
    }

    /// Posts `credentials` to a sign-in endpoint and expects success.
    ///
    /// # Panics
    /// When the endpoint answers with an error status.
    pub async fn sign_in(&self, path: &str, credentials: Value) -> Page {
        let page = self.post_json(path, credentials).await;
        assert!(
            (200..300).contains(&page.status),
            "sign-in at {path} failed with {}: {}",
            page.status,
            page.body
        );
        page
    }

    /// Opens `/_pulse/ws` with the browser's cookies and the app's `Origin`; `Err` holds the
    /// status and body of a refused upgrade.
    pub async fn socket(&self) -> Result<Socket, (u16, String)> {
        let origin = format!("http://{}", self.addr);
        self.socket_with(&[("origin", &origin)]).await
    }

    /// Opens `/_pulse/ws` with extra headers (another `Origin`, …).
    pub async fn socket_with(&self, headers: &[(&str, &str)]) -> Result<Socket, (u16, String)> {
        let cookies = self.cookie_header();
        let mut all = headers.to_vec();
        if let Some(cookies) = &cookies {
            all.push(("cookie", cookies));
        }
        let client = open(self.addr, &all).await?;
        Ok(Socket {
            ws: client.ws,
            browser: self.clone(),
            views: HashMap::new(),
        })
    }
}

/// A live socket of a [`Browser`]. It acts like the client script: `refresh_cookies` messages
/// are followed (the browser's jar gets the new cookie) and rendered views are kept by path.
pub struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    browser: Browser,
    views: HashMap<String, String>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("views", &self.views.keys())
            .finish_non_exhaustive()
    }
}

/// How a socket ended, as [`Socket::closed`] saw it.
#[derive(Debug, PartialEq, Eq)]
pub struct Closed {
    /// The close code (`None`: the connection dropped without a close frame).
    pub code: Option<u16>,
    /// The close reason.
    pub reason: String,
}

impl Socket {
    /// Sends a JSON message.
    pub async fn send(&mut self, message: Value) {
        self.ws
            .send(Message::text(message.to_string()))
            .await
            .expect("the socket is open");
    }

    /// The next message, raw (`refresh_cookies` included); panics when the socket closes or
    /// nothing arrives within [`TIMEOUT`].
    pub async fn recv_raw(&mut self) -> Value {
        let message = raw::next_json(&mut self.ws, TIMEOUT).await;
        if let (Some("attach_ack" | "view_update"), Some(path), Some(html)) = (
            message["type"].as_str(),
            message["path"].as_str(),
            message["html"].as_str(),
        ) {
            self.views.insert(path.to_owned(), html.to_owned());
        }
        message
    }

    /// The next message that is not a `refresh_cookies`; those are followed first, as the
    /// client script does (`POST` to their URL, storing the cookie it sets).
    pub async fn recv(&mut self) -> Value {
        loop {
            let message = self.recv_raw().await;
            if message["type"] == "refresh_cookies" {
                self.refresh(&message).await;
                continue;
            }
            return message;
        }
    }

    /// Follows a `refresh_cookies` message.
    pub async fn refresh(&self, message: &Value) -> Page {
        let url = message["url"].as_str().expect("refresh_cookies has a url");
        let headers = self.browser.same_origin();
        let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
        self.browser
            .request(reqwest::Method::POST, url, &headers, None)
            .await
    }

    /// Attaches the view at `path`; returns the answer (`attach_ack`, or a navigation).
    pub async fn attach(&mut self, path: &str) -> Value {
        self.send(json!({"type": "attach", "path": path, "routeInfo": {"pathname": path}}))
            .await;
        self.recv().await
    }

    /// Runs callback `name` of the view at `path`; returns the answer (`view_update`,
    /// `navigate_to`, `server_error`), cookie refreshes followed on the way.
    pub async fn callback(&mut self, path: &str, name: &str, args: Value) -> Value {
        self.send(json!({"type": "callback", "path": path, "callback": name, "args": args}))
            .await;
        self.recv().await
    }

    /// The last HTML rendered for the view at `path` (empty when none).
    pub fn view(&self, path: &str) -> &str {
        self.views.get(path).map_or("", String::as_str)
    }

    /// Reads until the server closes the socket (within [`TIMEOUT`]), following cookie
    /// refreshes on the way; returns how it closed.
    pub async fn closed(&mut self) -> Closed {
        self.closed_within(TIMEOUT)
            .await
            .expect("the socket closes in time")
    }

    /// Like [`closed`](Self::closed), `None` when the socket is still open after `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> Option<Closed> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .ok()?;
            match next {
                Some(Ok(Message::Close(frame))) => {
                    return Some(Closed {
                        code: frame.as_ref().map(|f| u16::from(f.code)),
                        reason: frame.map(|f| f.reason.to_string()).unwrap_or_default(),
                    });
                }
                Some(Ok(Message::Text(text))) => {
                    let message: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                    if message["type"] == "refresh_cookies" {
                        self.refresh(&message).await;
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => {
                    return Some(Closed {
                        code: None,
                        reason: String::new(),
                    });
                }
            }
        }
    }
}
