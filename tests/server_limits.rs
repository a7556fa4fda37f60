//! The HTTP layer's bounds over real sockets: slow clients are cut after the header-read
//! timeout while others are served (each request of a kept-alive connection gets the whole
//! timeout; a slow page, a slowly streamed answer and a WebSocket are not cut by it), the
//! connection limit holds (WebSockets included), the
//! listen backlog takes a burst of connections, and `POST /_pulse/prerender` is capped,
//! deduplicated and stops when its client goes away.

mod server_support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pulse as ps;
use serde_json::{Value, json};
use server_support::{client, secret};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;

async fn home(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped("<p>home</p>".to_owned())
}

fn server(app: ps::App) -> ps::Server {
    app.server().session_store(ps::CookieStore::new(secret()))
}

fn home_app() -> ps::App {
    ps::App::new(ps::Routes::new().route("/", home), ())
}

async fn spawn(server: ps::Server) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve_on(listener));
    addr
}

/// `GET /` answered within `wait`, or `None`.
async fn get_within(addr: SocketAddr, wait: Duration) -> Option<u16> {
    let request = client().get(format!("http://{addr}/")).send();
    match timeout(wait, request).await {
        Ok(Ok(response)) => Some(response.status().as_u16()),
        _ => None,
    }
}

/// Reads until the server closes the connection; `true` when it did within `wait`.
async fn closed_within(stream: &mut TcpStream, wait: Duration) -> bool {
    let mut buffer = [0; 1024];
    timeout(wait, async {
        loop {
            match stream.read(&mut buffer).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    })
    .await
    .is_ok()
}

#[tokio::test]
async fn slow_header_senders_are_cut_while_others_are_served() {
    let addr = spawn(server(home_app()).header_read_timeout(Duration::from_millis(500))).await;
    // Twenty clients start a request and send one header byte every 100 ms (slowloris).
    let slow: Vec<_> = (0..20)
        .map(|_| {
            tokio::spawn(async move {
                let mut stream = TcpStream::connect(addr).await.unwrap();
                stream
                    .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    .await
                    .unwrap();
                let dribble = async {
                    for _ in 0..100 {
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        if stream.write_all(b"X").await.is_err() {
                            return;
                        }
                    }
                };
                // Cut well before the 10 s the dribble would take.
                timeout(Duration::from_secs(5), dribble).await.is_ok()
            })
        })
        .collect();
    // An idle connection that never sends anything is cut too.
    let mut idle = TcpStream::connect(addr).await.unwrap();
    for _ in 0..5 {
        assert_eq!(get_within(addr, Duration::from_secs(5)).await, Some(200));
    }
    for client in slow {
        assert!(client.await.unwrap(), "a slow client was not cut");
    }
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await);
    assert_eq!(get_within(addr, Duration::from_secs(5)).await, Some(200));
}

/// Sends `GET path` on a kept-alive connection and reads the answer until it ends with `end`
/// (within 5 s, the connection staying open).
async fn answer_on(stream: &mut TcpStream, path: &str, end: &[u8]) -> String {
    stream
        .write_all(format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut answer = Vec::new();
    let mut buffer = [0; 4096];
    timeout(Duration::from_secs(5), async {
        while !answer.ends_with(end) {
            let read = stream.read(&mut buffer).await.unwrap();
            assert!(read > 0, "the connection closed mid-answer");
            answer.extend_from_slice(&buffer[..read]);
        }
    })
    .await
    .expect("the whole answer within 5 s");
    String::from_utf8(answer).unwrap()
}

/// Sends `GET path` on a kept-alive connection and reads its whole document; the status line.
async fn get_on(stream: &mut TcpStream, path: &str) -> String {
    let answer = answer_on(stream, path, b"</html>\n").await;
    answer.lines().next().unwrap().to_owned()
}

/// The header-read deadline starts again for each request of a kept-alive connection: one
/// that sends a request every 0.6 timeouts is served on and on, and cut once it goes idle.
#[tokio::test]
async fn each_request_of_a_kept_alive_connection_gets_the_whole_header_timeout() {
    let addr = spawn(server(home_app()).header_read_timeout(Duration::from_secs(1))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    for _ in 0..4 {
        assert_eq!(get_on(&mut stream, "/").await, "HTTP/1.1 200 OK");
        // 2.4 s in all: past the first deadline, never past a request's own.
        tokio::time::sleep(Duration::from_millis(600)).await;
    }
    assert_eq!(get_on(&mut stream, "/").await, "HTTP/1.1 200 OK");
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
}

/// A page that takes longer than the header-read timeout is answered: the deadline covers
/// reading the head, not the request's run.
#[tokio::test]
async fn a_slow_page_outlives_the_header_timeout() {
    async fn slow(_: ps::PageContext) -> ps::Markup {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        ps::PreEscaped("<p>slow</p>".to_owned())
    }
    let app = ps::App::new(ps::Routes::new().route("/", home).route("/slow", slow), ());
    let addr = spawn(server(app).header_read_timeout(Duration::from_millis(500))).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    assert_eq!(get_on(&mut stream, "/slow").await, "HTTP/1.1 200 OK");
    // The connection's timer fired during the run; the next request gets a deadline again.
    assert_eq!(get_on(&mut stream, "/").await, "HTTP/1.1 200 OK");
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
}

/// An answer streamed for longer than the header-read timeout reaches its client whole: the
/// deadline starts again once the answer is sent, and then cuts the idle connection.
#[tokio::test]
async fn a_slowly_streamed_answer_outlives_the_header_timeout() {
    async fn stream() -> axum::body::Body {
        let chunks = futures_util::stream::unfold(0, |sent| async move {
            if sent == 4 {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
            Some((Ok::<_, std::io::Error>(format!("chunk {sent};")), sent + 1))
        });
        axum::body::Body::from_stream(chunks)
    }
    let endpoints = axum::Router::new().route("/stream", axum::routing::get(stream));
    let server = server(home_app())
        .routes(endpoints)
        .header_read_timeout(Duration::from_millis(400));
    let addr = spawn(server).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    // The chunked encoding's last chunk ends the answer.
    let answer = answer_on(&mut stream, "/stream", b"\r\n0\r\n\r\n").await;
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    for sent in 0..4 {
        assert!(answer.contains(&format!("chunk {sent};")), "{answer}");
    }
    assert!(closed_within(&mut stream, Duration::from_secs(5)).await);
}

/// A WebSocket is not a connection waiting for a request's head: it stays open past the
/// header-read timeout, and is answered.
#[tokio::test]
async fn a_websocket_outlives_the_header_timeout() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;

    let addr = spawn(server(home_app()).header_read_timeout(Duration::from_millis(200))).await;
    let url = format!("ws://{addr}/_pulse/ws");
    let (mut socket, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    tokio::time::sleep(Duration::from_secs(1)).await;
    socket
        .send(Message::text(r#"{"type":"heartbeat"}"#))
        .await
        .unwrap();
    let answer = timeout(Duration::from_secs(5), async {
        loop {
            match socket.next().await {
                Some(Ok(Message::Text(text))) => {
                    return serde_json::from_str::<Value>(&text).unwrap();
                }
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("the socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("an answer within 5 s");
    assert_eq!(answer["type"], "heartbeat_ack", "{answer}");
}

#[tokio::test]
async fn the_connection_limit_holds_and_frees_slots_on_close() {
    let addr = spawn(server(home_app()).max_connections(3)).await;
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        // A complete request on a kept-alive connection: the server has accepted it.
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut head = [0; 12];
        stream.read_exact(&mut head).await.unwrap();
        assert_eq!(&head, b"HTTP/1.1 200");
        held.push(stream);
    }
    // A fourth connection waits in the backlog, unserved.
    assert_eq!(get_within(addr, Duration::from_millis(500)).await, None);
    drop(held.pop());
    assert_eq!(get_within(addr, Duration::from_secs(5)).await, Some(200));
}

#[tokio::test]
async fn open_websockets_count_against_the_connection_limit() {
    let addr = spawn(server(home_app()).max_connections(2)).await;
    let url = format!("ws://{addr}/_pulse/ws");
    let (first, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    let (mut second, _) = tokio_tungstenite::connect_async(&url).await.unwrap();
    assert_eq!(get_within(addr, Duration::from_millis(500)).await, None);
    second.close(None).await.unwrap();
    drop(second);
    assert_eq!(get_within(addr, Duration::from_secs(5)).await, Some(200));
    drop(first);
}

#[tokio::test]
async fn the_listen_backlog_takes_a_burst_of_connections() {
    let server = server(home_app()).backlog(1024);
    // Bound but not serving yet: the kernel completes handshakes up to the backlog. With
    // tokio's default (128) the rest would be dropped and retried a second later.
    let listener = server.bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let connects: Vec<_> = (0..400)
        .map(|_| {
            tokio::spawn(timeout(
                Duration::from_millis(900),
                TcpStream::connect(addr),
            ))
        })
        .collect();
    let mut connected = Vec::new();
    for connect in connects {
        match connect.await.unwrap() {
            Ok(Ok(stream)) => connected.push(stream),
            other => panic!("a connection in the burst did not complete: {other:?}"),
        }
    }
    drop(connected);
    tokio::spawn(server.serve_on(listener));
    assert_eq!(get_within(addr, Duration::from_secs(5)).await, Some(200));
}

async fn prerender(addr: SocketAddr, body: Value) -> (u16, Value) {
    let response = client()
        .post(format!("http://{addr}/_pulse/prerender"))
        .json(&body)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

#[tokio::test]
async fn prerender_paths_are_deduplicated_and_capped() {
    let renders = Arc::new(AtomicUsize::new(0));
    let counted = renders.clone();
    let page = move |_: ps::PageContext| {
        let counted = counted.clone();
        async move {
            counted.fetch_add(1, Ordering::SeqCst);
            ps::PreEscaped("<p>counted</p>".to_owned())
        }
    };
    let app = ps::App::new(ps::Routes::new().route("/", page), ());
    let addr = spawn(server(app).max_prerender_paths(4)).await;
    let (status, body) = prerender(addr, json!({"paths": ["/", "/", "", "/"]})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(renders.load(Ordering::SeqCst), 1, "duplicates render once");
    let many: Vec<String> = (0..5).map(|n| format!("/p{n}")).collect();
    let (status, body) = prerender(addr, json!({"paths": many})).await;
    assert_eq!(status, 400);
    assert_eq!(body["detail"], "too many paths: at most 4 per request");
    // Ten thousand copies of one path are one path.
    let (status, _) = prerender(addr, json!({"paths": vec!["/"; 10_000]})).await;
    assert_eq!(status, 200);
    assert_eq!(renders.load(Ordering::SeqCst), 2);
}

/// Counts renders that were dropped before they finished.
struct Dropped(Arc<AtomicUsize>);

impl Drop for Dropped {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn prerender_stops_when_the_client_goes_away() {
    let started = Arc::new(tokio::sync::Notify::new());
    let dropped = Arc::new(AtomicUsize::new(0));
    let finished = Arc::new(AtomicUsize::new(0));
    let page = {
        let (started, dropped, finished) = (started.clone(), dropped.clone(), finished.clone());
        move |_: ps::PageContext| {
            let (started, dropped, finished) = (started.clone(), dropped.clone(), finished.clone());
            async move {
                let guard = Dropped(dropped);
                started.notify_one();
                tokio::time::sleep(Duration::from_secs(3)).await;
                finished.fetch_add(1, Ordering::SeqCst);
                std::mem::forget(guard);
                ps::PreEscaped(String::new())
            }
        }
    };
    let app = ps::App::new(ps::Routes::new().route("/", page), ());
    let addr = spawn(server(app)).await;
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let body = r#"{"paths": ["/"]}"#;
    let request = format!(
        "POST /_pulse/prerender HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    started.notified().await;
    drop(stream);
    timeout(Duration::from_secs(2), async {
        while dropped.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the render is dropped when the client goes away");
    assert_eq!(finished.load(Ordering::SeqCst), 0);
}
