//! Lower-level helpers, for tests that handle cookies and sockets by hand: serve a
//! [`ps::Server`] (or a bare [`ps::Live`]) on a loopback port, an HTTP client that follows no
//! redirects and keeps no cookies, the session cookie a response sets, sign-in, and a raw
//! WebSocket [`Client`] that sends and reads JSON messages. Every wait is bounded: by
//! [`TIMEOUT`], and a [`Client`]'s reads by [`CLIENT_TIMEOUT`].
//!
//! ```no_run
//! use pulse_core as ps;
//! use serde_json::json;
//!
//! # async fn app_server() -> ps::Server { unimplemented!() }
//! # async fn test() {
//! let addr = pulse_test::serve(app_server().await).await;
//! let cookie = pulse_test::sign_in(
//!     &format!("http://{addr}/api/login"),
//!     &json!({"email": "ada@example.com", "password": "pulse"}),
//! )
//! .await;
//! let mut client = pulse_test::connect_with(addr, &[("cookie", &cookie)]).await;
//! let ack = client.attach("/dashboard").await;
//! assert_eq!(ack["type"], "attach_ack");
//! # }
//! ```

use std::fmt;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pulse_core as ps;
use reqwest::header::SET_COOKIE;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::TIMEOUT;

/// A session secret for tests (never use it anywhere else).
///
/// # Panics
/// Never: the secret is long enough.
pub fn secret() -> ps::Secret {
    ps::Secret::new("pulse-test secret, at least thirty-two bytes long").expect("a valid secret")
}

/// Serves `server` with its own accept loop ([`ps::Server::serve_on`]: its connection limit,
/// header timeout and shutdown) on a free `127.0.0.1` port, for as long as the test's runtime
/// runs; returns the address.
///
/// # Panics
/// When no loopback port can be bound.
pub async fn serve(server: ps::Server) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(server.serve_on(listener));
    addr
}

/// Serves the live endpoints of `live` alone ([`ps::Live::router`], no session layer: every
/// socket gets a fresh session) on a free `127.0.0.1` port; returns the address.
///
/// # Panics
/// When no loopback port can be bound.
pub async fn serve_live(live: ps::Live) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().expect("local address");
    let router = live.router::<()>();
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });
    addr
}

/// An HTTP client that follows no redirects and keeps no cookies (tests carry them by hand);
/// a response must come within [`TIMEOUT`].
///
/// # Panics
/// When the client cannot be built.
pub fn http_client() -> reqwest::Client {
    builder().build().expect("an HTTP client")
}

/// Like [`http_client`], with its connections made from `ip`: on Linux all of
/// `127.0.0.0/8` is loopback, so tests can act as several client addresses.
///
/// # Panics
/// When the client cannot be built.
pub fn http_client_from(ip: [u8; 4]) -> reqwest::Client {
    builder()
        .local_address(IpAddr::from(ip))
        .build()
        .expect("an HTTP client")
}

fn builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
}

/// The `Set-Cookie` headers of `response` for the session cookie (`pulse.sid`).
fn session_set_cookies(response: &reqwest::Response) -> impl Iterator<Item = &str> {
    let prefix = format!("{}=", ps::server::COOKIE_NAME);
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter(move |v| v.starts_with(&prefix))
}

/// The `pulse.sid=…` pair `response` sets, ready for a `Cookie` header; `None` when it sets
/// none.
///
/// # Panics
/// When the response sets the session cookie more than once.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    let cookies: Vec<&str> = session_set_cookies(response).collect();
    assert!(
        cookies.len() <= 1,
        "the session cookie set twice: {cookies:?}"
    );
    cookies
        .first()
        .map(|v| v.split(';').next().unwrap_or_default().to_owned())
}

/// The whole `Set-Cookie` header of the session cookie (with its attributes), if any.
pub fn set_cookie_header(response: &reqwest::Response) -> Option<String> {
    session_set_cookies(response).next().map(str::to_owned)
}

/// `POST url` with `body` as JSON, from a client without cookies.
///
/// # Panics
/// When the server does not answer within [`TIMEOUT`].
pub async fn post_json(http: &reqwest::Client, url: &str, body: &Value) -> reqwest::Response {
    http.post(url)
        .json(body)
        .send()
        .await
        .expect("the server answers")
}

/// `GET url` sending `cookie` (a `name=value` pair) in the `Cookie` header.
///
/// # Panics
/// When the server does not answer within the client's timeout.
pub async fn get_with_cookie(http: &reqwest::Client, url: &str, cookie: &str) -> reqwest::Response {
    http.get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .expect("the server answers")
}

/// Posts `body` to a sign-in endpoint at `url` and returns the session cookie it sets
/// (`pulse.sid=…`).
///
/// # Panics
/// When the endpoint answers with an error status or sets no session cookie.
pub async fn sign_in(url: &str, body: &Value) -> String {
    let response = post_json(&http_client(), url, body).await;
    assert!(
        response.status().is_success(),
        "sign-in at {url} failed with {}",
        response.status()
    );
    session_cookie(&response).expect("sign-in sets the session cookie")
}

/// The JSON state a page carries for the client script (the `<script id="pulse-state">`
/// element: `paths`, `routeInfo`, `live`).
///
/// # Panics
/// When `html` has no such element or its content is not JSON.
pub fn pulse_state(html: &str) -> Value {
    let start = html
        .find(r#"<script id="pulse-state" type="application/json">"#)
        .expect("a pulse-state script");
    let rest = &html[start..];
    let end = rest.find("</script>").expect("the pulse-state script ends");
    let open = rest.find('>').expect("the pulse-state tag ends") + 1;
    serde_json::from_str(&rest[open..end]).expect("pulse-state is JSON")
}

/// How long a [`Client`] waits for a message or for the server's Close before the test fails:
/// generous, for tests that wait on the server's own timers (wrap a call in a shorter
/// `tokio::time::timeout` to assert a bound).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(60);

/// The next JSON message on `ws` (Pings and Pongs skipped).
///
/// # Panics
/// When the socket closes first or sends something else, or nothing arrives within `wait`.
pub(crate) async fn next_json(
    ws: &mut WebSocketStream<MaybeTlsStream<TcpStream>>,
    wait: Duration,
) -> Value {
    loop {
        let next = tokio::time::timeout(wait, ws.next())
            .await
            .expect("a message arrives in time");
        match next {
            Some(Ok(Message::Text(text))) => {
                return serde_json::from_str(&text).expect("a JSON message");
            }
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// How a connection attempt ended: a socket, or the HTTP status and body of the refusal.
pub type Attempt = Result<Client, (u16, String)>;

/// Opens `/_pulse/ws` at `addr` with extra headers (`Origin`, `Cookie`…).
///
/// # Panics
/// When the handshake does not finish within [`TIMEOUT`], or fails other than with an HTTP
/// refusal.
pub async fn open(addr: SocketAddr, headers: &[(&str, &str)]) -> Attempt {
    let mut request = format!("ws://{addr}{}", ps::live::WS_PATH)
        .into_client_request()
        .expect("a WebSocket request");
    for (name, value) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(name.as_bytes()).expect("header name"),
            tungstenite::http::HeaderValue::from_str(value).expect("header value"),
        );
    }
    let connected = tokio::time::timeout(TIMEOUT, tokio_tungstenite::connect_async(request))
        .await
        .expect("the WebSocket handshake finishes in time");
    match connected {
        Ok((ws, _)) => Ok(Client { ws }),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err((status, body))
        }
        Err(error) => panic!("websocket connect failed: {error}"),
    }
}

/// Opens `/_pulse/ws` and expects the upgrade to be accepted.
///
/// # Panics
/// When the upgrade is refused (or as [`open`]).
pub async fn connect(addr: SocketAddr) -> Client {
    connect_with(addr, &[]).await
}

/// Opens `/_pulse/ws` with extra headers and expects the upgrade to be accepted.
///
/// # Panics
/// When the upgrade is refused (or as [`open`]).
pub async fn connect_with(addr: SocketAddr, headers: &[(&str, &str)]) -> Client {
    match open(addr, headers).await {
        Ok(client) => client,
        Err((status, body)) => panic!("refused with {status}: {body}"),
    }
}

/// A raw live socket: JSON messages in and out, nothing followed on its own (unlike
/// [`Socket`](crate::Socket), `refresh_cookies` is returned like any message).
pub struct Client {
    /// The WebSocket, for frames the helpers do not cover (Close, Ping, binary).
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// Sends `message` as a text frame.
    ///
    /// # Panics
    /// When the socket is closed.
    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    /// Sends `text` as a text frame, JSON or not.
    ///
    /// # Panics
    /// When the socket is closed.
    pub async fn send_text(&mut self, text: String) {
        self.ws
            .send(Message::text(text))
            .await
            .expect("the socket is open");
    }

    /// The next JSON message (Pings and Pongs skipped).
    ///
    /// # Panics
    /// When the socket closes first, or nothing arrives within [`CLIENT_TIMEOUT`].
    pub async fn recv(&mut self) -> Value {
        next_json(&mut self.ws, CLIENT_TIMEOUT).await
    }

    /// Reads until the server closes the socket; returns the close code (`None`: dropped
    /// without a Close frame).
    ///
    /// # Panics
    /// When the socket is still open after [`CLIENT_TIMEOUT`].
    pub async fn closed(&mut self) -> Option<u16> {
        let closing = async {
            loop {
                match self.ws.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => return None,
                }
            }
        };
        tokio::time::timeout(CLIENT_TIMEOUT, closing)
            .await
            .expect("the socket closes in time")
    }

    /// Attaches the view at `path`; returns the answer.
    pub async fn attach(&mut self, path: &str) -> Value {
        self.send(json!({"type": "attach", "path": path, "routeInfo": {"pathname": path}}))
            .await;
        self.recv().await
    }

    /// Runs callback `name` of the view at `path` with `args`; returns the answer.
    pub async fn callback(&mut self, path: &str, name: &str, args: Value) -> Value {
        self.send(json!({"type": "callback", "path": path, "callback": name, "args": args}))
            .await;
        self.recv().await
    }
}

/// What a `tracing` subscriber wrote, for tests that assert log lines (events, and spans as
/// they close, without colours).
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let (logs, _guard) = pulse_test::Logs::capture(tracing::Level::INFO);
/// tracing::info!(answer = 42, "hello");
/// assert!(logs.text().contains("hello answer=42"));
/// # }
/// ```
#[derive(Clone, Debug, Default)]
pub struct Logs(Arc<Mutex<Vec<u8>>>);

impl Logs {
    /// Captures what is logged at `level` and above on this thread until the guard drops. In a
    /// single-threaded runtime (`#[tokio::test]`'s default) the server's tasks log through it
    /// too.
    pub fn capture(level: tracing::Level) -> (Logs, tracing::subscriber::DefaultGuard) {
        let logs = Logs::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(level)
            .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(PoisonError::into_inner)).into_owned()
    }
}

impl std::io::Write for Logs {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
