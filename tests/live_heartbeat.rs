//! Heartbeat and idle timeout of live sockets over real connections: the server pings every
//! `Live::ping_interval` and closes a socket silent for `Live::idle_timeout` (releasing it);
//! a client that answers stays open; the client heartbeat is answered, also while a long
//! callback runs; and a Close sent during a long callback is answered before it ends.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pulse as ps;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Gates the `wait` callback blocks on, by name (its first argument), so each test holds its
/// own callback as long as it likes.
static GATES: LazyLock<Mutex<HashMap<String, Arc<Semaphore>>>> = LazyLock::new(Mutex::default);
/// Set by the `wait` callback once its gate opened: the callback ran to its end.
static FINISHED: LazyLock<Mutex<HashMap<String, Arc<AtomicBool>>>> = LazyLock::new(Mutex::default);

fn gate(name: &str) -> Arc<Semaphore> {
    let mut gates = GATES.lock().unwrap_or_else(PoisonError::into_inner);
    gates
        .entry(name.to_owned())
        .or_insert_with(|| Arc::new(Semaphore::new(0)))
        .clone()
}

fn finished(name: &str) -> Arc<AtomicBool> {
    let mut finished = FINISHED.lock().unwrap_or_else(PoisonError::into_inner);
    finished.entry(name.to_owned()).or_default().clone()
}

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: u64 = cx.state().get("count").unwrap_or(0);
    ps::PreEscaped(format!("<p>{count}</p>"))
}

async fn increment(cx: ps::PageContext, _: Vec<Value>) {
    let count: u64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

/// Waits until the test opens the gate named by its first argument, then counts.
async fn wait(cx: ps::PageContext, args: Vec<Value>) {
    let name = args[0].as_str().unwrap().to_owned();
    let permit = gate(&name).acquire_owned().await.unwrap();
    permit.forget();
    finished(&name).store(true, Ordering::SeqCst);
    increment(cx, args).await;
}

/// Takes a moment (the socket reads meanwhile), then counts.
async fn pause(cx: ps::PageContext, args: Vec<Value>) {
    tokio::time::sleep(Duration::from_millis(2)).await;
    increment(cx, args).await;
}

fn app() -> ps::App {
    ps::App::new(
        ps::Routes::new().route(
            "/",
            ps::Page::new(counter)
                .callback("increment", increment)
                .callback("pause", pause)
                .callback("wait", wait),
        ),
        (),
    )
}

/// Serves `live` (with its settings) on a free port.
async fn serve(live: ps::Live) -> SocketAddr {
    let server = live
        .app()
        .clone()
        .server()
        .session_store(ps::CookieStore::new(pulse_test::secret()))
        .live(live);
    pulse_test::serve(server).await
}

async fn connect(addr: SocketAddr) -> Ws {
    pulse_test::connect(addr).await.ws
}

/// A socket to the app served with the given heartbeat settings.
async fn socket(ping_interval: Duration, idle_timeout: Duration) -> (ps::Live, Ws) {
    let live = app()
        .live()
        .ping_interval(ping_interval)
        .idle_timeout(idle_timeout);
    let addr = serve(live.clone()).await;
    (live, connect(addr).await)
}

async fn send(ws: &mut Ws, message: Value) {
    ws.send(Message::text(message.to_string())).await.unwrap();
}

/// The next frame, failing after 5 s.
async fn next(ws: &mut Ws) -> Message {
    timeout(Duration::from_secs(5), ws.next())
        .await
        .expect("a frame in time")
        .expect("the socket is open")
        .expect("a frame")
}

/// The next JSON message (Pings and Pongs skipped).
async fn recv(ws: &mut Ws) -> Value {
    loop {
        match next(ws).await {
            Message::Text(text) => return serde_json::from_str(&text).unwrap(),
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

/// Waits (at most 5 s) until the server holds `count` sockets.
async fn connections(live: &ps::Live, count: usize) {
    let waited = timeout(Duration::from_secs(5), async {
        while live.connections() != count {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "{} sockets open, expected {count}",
        live.connections()
    );
}

#[tokio::test]
async fn a_client_that_never_answers_pings_is_closed_after_the_idle_timeout() {
    let live = app()
        .live()
        .ping_interval(Duration::from_millis(100))
        .idle_timeout(Duration::from_secs(1));
    let addr = serve(live.clone()).await;
    // The upgrade by hand over a plain TCP connection, which then reads nothing and answers
    // nothing: a peer that is gone without a FIN, as the server sees it.
    let mut tcp = TcpStream::connect(addr).await.unwrap();
    tcp.write_all(
        format!(
            "GET /_pulse/ws HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\n\
             Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
             Sec-WebSocket-Version: 13\r\n\r\n"
        )
        .as_bytes(),
    )
    .await
    .unwrap();
    connections(&live, 1).await;
    connections(&live, 0).await;
    // What the server sent: its 101, Pings (0x89, empty), then Close 1001 "idle timeout".
    let mut received = Vec::new();
    timeout(Duration::from_secs(5), tcp.read_to_end(&mut received))
        .await
        .expect("the server closed the connection")
        .unwrap();
    let head_end = received
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP response")
        + 4;
    assert!(received.starts_with(b"HTTP/1.1 101"));
    let mut frames = &received[head_end..];
    let mut pings = 0;
    while let [0x89, 0, rest @ ..] = frames {
        pings += 1;
        frames = rest;
    }
    assert!(pings >= 2, "{pings} Pings before the idle timeout");
    let close = [&[0x88, 14, 0x03, 0xE9][..], b"idle timeout"].concat();
    assert_eq!(frames, close, "then Close 1001 and nothing else");
}

#[tokio::test]
async fn a_client_that_answers_pings_stays_open_across_several_intervals() {
    let (live, mut ws) = socket(Duration::from_millis(100), Duration::from_millis(500)).await;
    // Reading answers every Ping (tungstenite queues the Pong and sends it on the next read).
    let mut pings = 0;
    while pings < 15 {
        match next(&mut ws).await {
            Message::Ping(_) => pings += 1,
            other => panic!("unexpected {other:?} while only Pings were due"),
        }
    }
    assert_eq!(live.connections(), 1);
    send(
        &mut ws,
        json!({"type": "attach", "path": "/", "routeInfo": {"pathname": "/"}}),
    )
    .await;
    let ack = recv(&mut ws).await;
    assert_eq!(ack["type"], "attach_ack", "{ack}");
}

#[tokio::test]
async fn client_heartbeats_keep_a_socket_open_and_are_answered_with_the_interval() {
    let (live, mut ws) = socket(Duration::from_millis(100), Duration::from_millis(500)).await;
    // Heartbeats every 100 ms and nothing read until the end (no Pong): the heartbeats alone
    // keep the socket open across several idle timeouts.
    for _ in 0..20 {
        send(&mut ws, json!({"type": "heartbeat"})).await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(live.connections(), 1);
    let mut acks = 0;
    while acks < 20 {
        let ack = recv(&mut ws).await;
        assert_eq!(ack, json!({"type": "heartbeat_ack", "intervalMs": 100}));
        acks += 1;
    }
}

#[tokio::test]
async fn with_no_ping_interval_no_pings_are_sent_and_the_ack_says_so() {
    let (live, mut ws) = socket(Duration::ZERO, Duration::ZERO).await;
    send(&mut ws, json!({"type": "heartbeat"})).await;
    // The first frame is the answer: no Ping came first.
    assert_eq!(
        next(&mut ws).await,
        Message::text(r#"{"intervalMs":0,"type":"heartbeat_ack"}"#)
    );
    assert_eq!(live.connections(), 1);
}

/// A socket (default settings) with the view at `/` attached.
async fn attached() -> (ps::Live, Ws) {
    let (live, mut ws) = socket(
        ps::live::DEFAULT_PING_INTERVAL,
        ps::live::DEFAULT_IDLE_TIMEOUT,
    )
    .await;
    send(
        &mut ws,
        json!({"type": "attach", "path": "/", "routeInfo": {"pathname": "/"}}),
    )
    .await;
    assert_eq!(recv(&mut ws).await["type"], "attach_ack");
    (live, ws)
}

/// A socket (default settings) whose view runs the `wait` callback on gate `name`.
async fn waiting_on(name: &str) -> (ps::Live, Ws) {
    let (live, mut ws) = attached().await;
    send(
        &mut ws,
        json!({"type": "callback", "path": "/", "callback": "wait", "args": [name]}),
    )
    .await;
    (live, ws)
}

#[tokio::test]
async fn pings_and_heartbeats_are_answered_while_a_callback_runs_and_messages_wait_for_it() {
    let name = "answered-meanwhile";
    let (live, mut ws) = waiting_on(name).await;
    // The callback waits on its gate; meanwhile the socket answers a Ping and a heartbeat.
    ws.send(Message::Ping("are you there".into()))
        .await
        .unwrap();
    assert_eq!(next(&mut ws).await, Message::Pong("are you there".into()));
    send(&mut ws, json!({"type": "heartbeat"})).await;
    assert_eq!(recv(&mut ws).await["type"], "heartbeat_ack");
    // Another message waits for the callback: answered after its update.
    send(
        &mut ws,
        json!({"type": "callback", "path": "/", "callback": "increment"}),
    )
    .await;
    assert!(!finished(name).load(Ordering::SeqCst));
    gate(name).add_permits(1);
    let first = recv(&mut ws).await;
    assert_eq!(first["type"], "view_update", "{first}");
    assert_eq!(first["html"], "<p>1</p>");
    let second = recv(&mut ws).await;
    assert_eq!(second["html"], "<p>2</p>", "{second}");
    assert_eq!(live.connections(), 1);
}

#[tokio::test]
async fn a_close_during_a_long_callback_is_answered_before_the_callback_ends() {
    let name = "closed-meanwhile";
    let (live, mut ws) = waiting_on(name).await;
    ws.close(None).await.unwrap();
    // The server's Close comes while the callback still waits on its gate.
    loop {
        match next(&mut ws).await {
            Message::Close(_) => break,
            Message::Ping(_) | Message::Pong(_) => {}
            other => panic!("unexpected {other:?} before the close answer"),
        }
    }
    assert!(!finished(name).load(Ordering::SeqCst));
    assert_eq!(live.connections(), 1, "released only after the callback");
    // The callback runs to its end, then the socket is released.
    gate(name).add_permits(1);
    connections(&live, 0).await;
    assert!(finished(name).load(Ordering::SeqCst));
}

#[tokio::test]
async fn an_idle_close_is_logged_in_the_socket_s_span() {
    let (logs, _guard) = pulse_test::Logs::capture(tracing::Level::INFO);
    let (live, _ws) = socket(Duration::from_millis(100), Duration::from_millis(500)).await;
    // Never read: no Pong goes back.
    connections(&live, 1).await;
    connections(&live, 0).await;
    let text = logs.text();
    assert!(
        text.lines().any(|line| line.contains("pulse.socket{id=")
            && line.contains("within the idle timeout")
            && line.contains("idle_timeout_ms=500")),
        "{text}"
    );
}

#[tokio::test]
async fn a_client_that_never_stops_sending_is_still_closed_on_shutdown() {
    let (live, ws) = attached().await;
    let (mut sink, mut stream) = ws.split();
    // Callbacks back to back: each one's successor arrives while it runs.
    let pause =
        Message::text(json!({"type": "callback", "path": "/", "callback": "pause"}).to_string());
    let sending = tokio::spawn(async move { while sink.send(pause.clone()).await.is_ok() {} });
    let reading = tokio::spawn(async move {
        let mut updates = 0_u64;
        loop {
            match stream.next().await {
                Some(Ok(Message::Close(frame))) => {
                    return (updates, frame.map(|f| u16::from(f.code)));
                }
                Some(Ok(_)) => updates += 1,
                _ => return (updates, None),
            }
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    timeout(Duration::from_secs(5), live.shutdown())
        .await
        .expect("the busy socket is closed and released");
    let (updates, code) = timeout(Duration::from_secs(5), reading)
        .await
        .unwrap()
        .unwrap();
    sending.abort();
    assert!(updates > 0, "the callbacks ran");
    assert_eq!(code, Some(1012));
}
