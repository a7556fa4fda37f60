//! Helpers for the server tests: a real server on an ephemeral 127.0.0.1 port, a client that
//! does not follow redirects, and raw HTTP for request targets a URL parser would normalize.

#![allow(dead_code, unreachable_pub)]

use pulse as ps;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A secret for tests (never used outside them).
pub fn secret() -> ps::Secret {
    ps::Secret::new("test secret, at least thirty-two bytes long").unwrap()
}

/// Serves `server` on 127.0.0.1 (an ephemeral port); returns `http://127.0.0.1:port`.
pub async fn spawn(server: ps::Server) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve_on(listener));
    format!("http://{addr}")
}

/// A client without redirects or a cookie jar: tests carry cookies by hand.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `pulse.sid=…` pair from a response's `Set-Cookie`, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    let cookies: Vec<_> = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .filter(|v| v.starts_with("pulse.sid="))
        .collect();
    assert!(cookies.len() <= 1, "{cookies:?}");
    cookies
        .first()
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// The full `Set-Cookie` header for `pulse.sid`, if any.
pub fn set_cookie_header(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("pulse.sid="))
}

/// Sends `request` (a raw HTTP/1.1 request) and returns the raw response head and body.
pub async fn raw(base: &str, request: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    stream.read_to_end(&mut out).await.unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

/// `GET target` with the request target sent byte for byte.
pub async fn raw_get(base: &str, target: &str) -> String {
    raw(
        base,
        &format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
    )
    .await
}

/// The status code of a raw response.
pub fn raw_status(response: &str) -> u16 {
    response
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP response: {response:?}"))
}

/// The `Location` header of a raw response, if any.
pub fn raw_location(response: &str) -> Option<String> {
    response
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("location")
                .then(|| value.trim().to_owned())
        })
}
