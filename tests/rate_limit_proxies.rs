//! `ps::ClientIp` behind reverse proxies, over real sockets: a forwarding header is believed
//! only from a peer in a trusted CIDR range, the right-most untrusted address is the client
//! (`X-Forwarded-For`, or RFC 7239 `Forwarded` with quoted IPv6 and ports), garbage falls back
//! to the peer and never breaks the server; and every limit is traced with the middleware, the
//! hook, the key kind, the client and the peer.
//!
//! Each test limits `GET /api/ip` to one request an hour per client: a 200 means "a key not
//! seen before", a 429 "the key of an earlier request". Any 127.0.0.0/8 address is loopback
//! on Linux, so clients bind different ones to be different peers.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

use std::net::IpAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use pulse as ps;
use pulse_test::TestServer;
use reqwest::StatusCode;
use reqwest::header::HeaderValue;
use serde_json::json;

async fn home(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped("<h1>Home</h1>".into())
}

async fn increment(_: ps::PageContext, _: Vec<serde_json::Value>) {}

fn app(limit: ps::RateLimit) -> ps::App {
    ps::pulse_app! {
        routes: {
            "/" => ps::Page::new(home).callback("increment", increment),
            api "/api/ip",
        },
        middleware: [limit.clone()],
    }
}

async fn start(limit: ps::RateLimit) -> TestServer {
    let endpoints = Router::new().route("/api/ip", get(|| async { "ok" }));
    TestServer::start(app(limit).server().routes(endpoints)).await
}

/// One `api` request an hour per client address, as `client_ip` tells it.
async fn start_limited(client_ip: ps::ClientIp) -> TestServer {
    start(ps::RateLimit::per_client_ip(client_ip).api(ps::Quota::per_hour(1))).await
}

/// `GET /api/ip` from the loopback address `peer` with `headers`; its status.
async fn status(server: &TestServer, peer: [u8; 4], headers: &[(&str, &[u8])]) -> StatusCode {
    let client = reqwest::Client::builder()
        .local_address(IpAddr::from(peer))
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let mut request = client.get(format!("{}/api/ip", server.origin()));
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_bytes(value).unwrap());
    }
    request.send().await.unwrap().status()
}

async fn xff(server: &TestServer, peer: [u8; 4], value: &str) -> StatusCode {
    status(server, peer, &[("x-forwarded-for", value.as_bytes())]).await
}

async fn forwarded(server: &TestServer, peer: [u8; 4], value: &str) -> StatusCode {
    status(server, peer, &[("forwarded", value.as_bytes())]).await
}

const NEW: StatusCode = StatusCode::OK;
const SEEN: StatusCode = StatusCode::TOO_MANY_REQUESTS;

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_range_and_read_from_the_right() {
    // Proxies: 127.0.0.8 – 127.0.0.15.
    let server = start_limited(ps::ClientIp::peer().trust_proxies(["127.0.0.8/29"])).await;

    assert_eq!(xff(&server, [127, 0, 0, 9], "203.0.113.1").await, NEW);
    assert_eq!(xff(&server, [127, 0, 0, 9], "203.0.113.1").await, SEEN);
    // The same client through another proxy of the range.
    assert_eq!(xff(&server, [127, 0, 0, 14], "203.0.113.1").await, SEEN);

    // The right-most address that is not a proxy is the client; what it wrote to the left of
    // it is never used.
    let chain = "6.6.6.6, 203.0.113.2, 127.0.0.10";
    assert_eq!(xff(&server, [127, 0, 0, 9], chain).await, NEW);
    assert_eq!(
        xff(&server, [127, 0, 0, 9], "7.7.7.7, 203.0.113.2").await,
        SEEN
    );
    // Several header lines are one list, in order.
    let lines: [(&str, &[u8]); 2] = [
        ("x-forwarded-for", b"203.0.113.3"),
        ("x-forwarded-for", b"127.0.0.11"),
    ];
    assert_eq!(status(&server, [127, 0, 0, 9], &lines).await, NEW);
    assert_eq!(xff(&server, [127, 0, 0, 12], "203.0.113.3").await, SEEN);

    // Peers just outside the range: the header is not believed, the peer is the key.
    assert_eq!(xff(&server, [127, 0, 0, 16], "203.0.113.4").await, NEW);
    assert_eq!(xff(&server, [127, 0, 0, 16], "203.0.113.5").await, SEEN);
    assert_eq!(xff(&server, [127, 0, 0, 7], "203.0.113.1").await, NEW);
    assert_eq!(xff(&server, [127, 0, 0, 7], "203.0.113.6").await, SEEN);
}

#[tokio::test]
async fn forwarded_is_parsed_with_quoted_ipv6_and_ports_and_x_forwarded_for_then_ignored() {
    let client_ip = ps::ClientIp::peer()
        .trust_proxies(["127.0.0.20/32"])
        .proxy_header(ps::rate_limit::ProxyHeader::Forwarded);
    let server = start_limited(client_ip).await;
    let proxy = [127, 0, 0, 20];

    let v6 = r#"for="[2001:db8:cafe::17]:4711";proto=http"#;
    assert_eq!(forwarded(&server, proxy, v6).await, NEW);
    // IPv6 clients are counted per /64.
    assert_eq!(
        forwarded(&server, proxy, r#"for="[2001:db8:cafe::99]""#).await,
        SEEN
    );
    let chain = r#"For=198.51.100.7, for="[2001:db8:cafe:1::17]:4711";by=127.0.0.20"#;
    assert_eq!(forwarded(&server, proxy, chain).await, NEW);
    assert_eq!(forwarded(&server, proxy, "for=203.0.113.9:8080").await, NEW);
    assert_eq!(forwarded(&server, proxy, "for=203.0.113.9").await, SEEN);

    // Only the chosen header is read: X-Forwarded-For counts as the proxy itself.
    assert_eq!(xff(&server, proxy, "203.0.113.60").await, NEW);
    assert_eq!(xff(&server, proxy, "203.0.113.61").await, SEEN);
}

#[tokio::test]
async fn garbage_forwarding_headers_fall_back_to_the_peer_and_never_break_the_server() {
    let long = ",".repeat(4000);
    let garbage: Vec<&[u8]> = vec![
        b"nonsense",
        b"",
        b",,,",
        b"unknown",
        b"\"",
        b"[::1",
        b"2001:db8::1]:80",
        b"999.0.0.1",
        b"1.2.3.4:99999",
        b"for=",
        b"for=_hidden",
        b"for=\"[2001:db8::1\"",
        b"for=\"\xff\xfe\"",
        b"203.0.113.7, \xc3\x28",
        long.as_bytes(),
    ];
    for header in [
        ps::rate_limit::ProxyHeader::XForwardedFor,
        ps::rate_limit::ProxyHeader::Forwarded,
    ] {
        let client_ip = ps::ClientIp::peer()
            .trust_proxies(["127.0.0.24/30"])
            .proxy_header(header);
        let server = start_limited(client_ip).await;
        let name = match header {
            ps::rate_limit::ProxyHeader::Forwarded => "forwarded",
            _ => "x-forwarded-for",
        };
        let mut statuses = Vec::new();
        for value in &garbage {
            statuses.push(status(&server, [127, 0, 0, 25], &[(name, value)]).await);
        }
        // Every garbage header is keyed by the proxy: its first request passes, the rest are
        // limited; nothing fails.
        assert_eq!(statuses[0], NEW, "{header:?}");
        assert!(
            statuses[1..].iter().all(|s| *s == SEEN),
            "{header:?}: {statuses:?}"
        );
        // The server still serves, and reads good headers.
        let good = match header {
            ps::rate_limit::ProxyHeader::Forwarded => "for=203.0.113.8",
            _ => "203.0.113.8",
        };
        let good = [(name, good.as_bytes())];
        assert_eq!(status(&server, [127, 0, 0, 25], &good).await, NEW);
        assert_eq!(status(&server, [127, 0, 0, 26], &good).await, SEEN);
    }
}

#[tokio::test]
async fn a_socket_through_a_proxy_is_counted_as_its_forwarded_client() {
    // The test's sockets come from 127.0.0.1: here it is the proxy.
    let client_ip = ps::ClientIp::peer().trust_proxies(["127.0.0.1/32"]);
    let limit = ps::RateLimit::per_client_ip(client_ip).message(ps::Quota::per_hour(2));
    let server = start(limit).await;
    let open = |client: &'static str| {
        let browser = server.browser();
        async move {
            browser
                .socket_with(&[("x-forwarded-for", client)])
                .await
                .expect("the socket opens")
        }
    };
    // Attaching is a message too: the first of the two.
    let mut first = open("203.0.113.30").await;
    assert_eq!(first.attach("/").await["type"], "attach_ack");
    assert_eq!(
        first.callback("/", "increment", json!([])).await["type"],
        "view_update"
    );
    let limited = first.callback("/", "increment", json!([])).await;
    assert_eq!(limited["error"]["kind"], "rate_limited", "{limited}");
    // A second socket of the same client shares its count; another client has its own.
    let mut again = open("203.0.113.30").await;
    let limited = again.attach("/").await;
    assert_eq!(limited["error"]["kind"], "rate_limited", "{limited}");
    let mut other = open("203.0.113.31").await;
    assert_eq!(other.attach("/").await["type"], "attach_ack");
    assert_eq!(
        other.callback("/", "increment", json!([])).await["type"],
        "view_update"
    );
}

/// The one `rate limited` line.
fn limited_line(logs: &pulse_test::Logs) -> String {
    let log = logs.text();
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("rate limited")).collect();
    assert_eq!(lines.len(), 1, "{log}");
    lines[0].to_owned()
}

fn assert_has(line: &str, parts: &[&str]) {
    for part in parts {
        assert!(line.contains(part), "{part} missing from {line}");
    }
}

// Current-thread runtimes: the server's tasks run on this thread, under this subscriber.
#[tokio::test(flavor = "current_thread")]
async fn a_limit_behind_a_proxy_is_traced_with_the_forwarded_client_and_the_peer() {
    let (logs, _guard) = pulse_test::Logs::capture(tracing::Level::INFO);
    let server = start_limited(ps::ClientIp::peer().trust_proxies(["127.0.0.32/30"])).await;
    assert_eq!(xff(&server, [127, 0, 0, 33], "203.0.113.70").await, NEW);
    assert_eq!(xff(&server, [127, 0, 0, 33], "203.0.113.70").await, SEEN);
    assert_has(
        &limited_line(&logs),
        &[
            "pulse::rate_limit",
            "middleware=\"RateLimit\"",
            "hook=\"api\"",
            "key=\"client_ip\"",
            "client=203.0.113.70",
            "peer=127.0.0.33:",
            "path=\"/api/ip\"",
            "retry_after_ms=",
        ],
    );
}

#[tokio::test(flavor = "current_thread")]
async fn a_limited_message_is_traced_at_debug_with_the_session_key_and_the_client() {
    let (logs, _guard) = pulse_test::Logs::capture(tracing::Level::DEBUG);
    let server = start(ps::RateLimit::per_session().message(ps::Quota::per_hour(1))).await;
    let mut socket = server.browser().socket().await.expect("the socket opens");
    // The attach is the one message allowed.
    socket.attach("/").await;
    let limited = socket.callback("/", "increment", json!([])).await;
    assert_eq!(limited["error"]["kind"], "rate_limited", "{limited}");
    let line = limited_line(&logs);
    assert_has(
        &line,
        &[
            "DEBUG",
            "middleware=\"RateLimit\"",
            "hook=\"message\"",
            "key=\"session\"",
            "client=127.0.0.1",
            "peer=127.0.0.1:",
        ],
    );
}
