//! The life of a live socket over real connections: the close handshake, resets and cut-off
//! frames release everything (task, file descriptor, subscriptions), a client that reads
//! nothing is closed instead of growing the server's memory, and shutdown closes sockets with
//! 1012 while in-flight requests finish.
//!
//! The tests count this process's open files, so they run one at a time.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pulse as ps;
use pulse_test::secret;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The tests count open files: one at a time, each on its own runtime made after the lock is
/// taken (a runtime holds files too).
static SERIAL: Mutex<()> = Mutex::new(());

fn run(test: impl Future<Output = ()>) {
    let _serial = SERIAL.lock().unwrap_or_else(PoisonError::into_inner);
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(test);
}

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: u64 = cx.state().get("count").unwrap_or(0);
    ps::PreEscaped(format!("<p>{count}</p>"))
}

async fn increment(cx: ps::PageContext, _: Vec<Value>) {
    let count: u64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

fn app() -> ps::App {
    ps::App::new(
        ps::Routes::new().route("/", ps::Page::new(counter).callback("increment", increment)),
        (),
    )
}

/// Serves `live`'s app on a free port (with `live`'s settings); returns the address.
async fn serve(live: ps::Live, server: impl FnOnce(ps::Server) -> ps::Server) -> SocketAddr {
    let server = server(
        live.app()
            .clone()
            .server()
            .session_store(ps::CookieStore::new(secret()))
            .live(live),
    );
    pulse_test::serve(server).await
}

async fn connect(addr: SocketAddr) -> Ws {
    let (ws, _) = timeout(
        Duration::from_secs(5),
        tokio_tungstenite::connect_async(format!("ws://{addr}/_pulse/ws")),
    )
    .await
    .expect("connect in time")
    .expect("upgrade accepted");
    ws
}

fn open_files() -> usize {
    std::fs::read_dir("/proc/self/fd").unwrap().count()
}

fn file_list() -> Vec<String> {
    std::fs::read_dir("/proc/self/fd")
        .unwrap()
        .filter_map(|entry| std::fs::read_link(entry.ok()?.path()).ok())
        .map(|target| target.display().to_string())
        .collect()
}

/// Waits (at most 5 s) until the server holds no socket and this process's open files are back
/// to `files`.
async fn released(live: &ps::Live, files: usize) {
    let waited = timeout(Duration::from_secs(5), async {
        while live.connections() != 0 || open_files() > files {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    assert!(
        waited.is_ok(),
        "not released: {} sockets open, {} files open (baseline {files}): {:?}",
        live.connections(),
        open_files(),
        file_list()
    );
}

/// The next frame, failing after 2 s.
async fn next(ws: &mut Ws) -> Option<Result<Message, tokio_tungstenite::tungstenite::Error>> {
    timeout(Duration::from_secs(2), ws.next())
        .await
        .expect("an answer within 2 s")
}

#[test]
fn a_close_frame_is_answered_and_the_socket_released() {
    run(async {
        let live = app().live();
        let addr = serve(live.clone(), |s| s).await;
        let files = open_files();

        let mut ws = connect(addr).await;
        ws.send(Message::text(
            json!({"type": "attach", "path": "/"}).to_string(),
        ))
        .await
        .unwrap();
        assert!(
            next(&mut ws)
                .await
                .unwrap()
                .unwrap()
                .to_text()
                .unwrap()
                .contains("attach_ack")
        );
        assert_eq!(live.connections(), 1);
        ws.send(Message::Close(Some(CloseFrame {
            code: CloseCode::Away,
            reason: "tab closed".into(),
        })))
        .await
        .unwrap();
        // The server answers within a second, then closes the TCP connection.
        match next(&mut ws).await {
            Some(Ok(Message::Close(_))) => {}
            other => panic!("expected the server's Close, got {other:?}"),
        }
        assert!(matches!(next(&mut ws).await, None | Some(Err(_))));
        drop(ws);
        released(&live, files).await;
    });
}

/// How a churned socket ends.
#[derive(Clone, Copy, Debug)]
enum Ending {
    /// A Close frame, answered.
    Clean,
    /// A TCP reset, no Close frame.
    Reset,
    /// Half a frame, then the connection closes.
    MidMessage,
    /// The TCP connection closes without a Close frame.
    Dropped,
}

async fn churn_one(addr: SocketAddr, ending: Ending) {
    let mut ws = connect(addr).await;
    ws.send(Message::text(
        json!({"type": "attach", "path": "/"}).to_string(),
    ))
    .await
    .unwrap();
    ws.send(Message::text(
        json!({"type": "channel_subscribe", "channel": "room", "requestId": "s"}).to_string(),
    ))
    .await
    .unwrap();
    // The attach and subscription answers: the socket is fully set up.
    for _ in 0..2 {
        assert!(matches!(next(&mut ws).await, Some(Ok(Message::Text(_)))));
    }
    match ending {
        Ending::Clean => {
            ws.close(None).await.unwrap();
            loop {
                match next(&mut ws).await {
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => break,
                    Some(Ok(_)) => {}
                }
            }
        }
        Ending::Reset => {
            let MaybeTlsStream::Plain(tcp) = ws.get_ref() else {
                unreachable!("plain TCP")
            };
            #[allow(deprecated, reason = "a reset is what this test sends")]
            tcp.set_linger(Some(Duration::ZERO)).unwrap();
        }
        Ending::MidMessage => {
            let MaybeTlsStream::Plain(tcp) = ws.get_mut() else {
                unreachable!("plain TCP")
            };
            // A masked text frame announcing 100 bytes, of which 10 arrive.
            let mut frame = vec![0x81, 0x80 | 100, 1, 2, 3, 4];
            frame.extend_from_slice(&[b'x'; 10]);
            tcp.write_all(&frame).await.unwrap();
        }
        Ending::Dropped => {}
    }
    drop(ws);
}

#[test]
fn thousands_of_closes_resets_and_cut_frames_leave_nothing_behind() {
    run(async {
        let live = app().live();
        let addr = serve(live.clone(), |s| s).await;
        // Warm up (runtime threads, the listener's first connection) before the baseline.
        churn_one(addr, Ending::Clean).await;
        released(&live, usize::MAX).await;
        let files = open_files();

        let endings = [
            Ending::Clean,
            Ending::Reset,
            Ending::MidMessage,
            Ending::Dropped,
        ];
        let total = 2000;
        let batch = 50;
        for round in 0..total / batch {
            let sockets = (0..batch).map(|n| churn_one(addr, endings[(round * batch + n) % 4]));
            futures_util::future::join_all(sockets).await;
        }
        released(&live, files).await;
        assert_eq!(live.hub().subscribers("room"), 0);
    });
}

#[test]
fn a_client_that_reads_nothing_is_closed_not_buffered() {
    run(async {
        let live = app().live().max_queue_bytes(64 * 1024);
        let addr = serve(live.clone(), |s| s).await;
        let files = open_files();
        let mut ws = connect(addr).await;
        ws.send(Message::text(
            json!({"type": "channel_subscribe", "channel": "firehose", "requestId": "s"})
                .to_string(),
        ))
        .await
        .unwrap();
        assert!(matches!(next(&mut ws).await, Some(Ok(Message::Text(_)))));
        // The client reads nothing while 256 MiB are published; the publisher never waits, and the
        // server gives up on the socket once its queue holds more than 64 KiB.
        let payload = Value::String("x".repeat(64 * 1024));
        let mut reached = 0;
        for _ in 0..4096 {
            reached += live.hub().publish("firehose", "data", payload.clone());
            if live.hub().subscribers("firehose") == 0 {
                break;
            }
            tokio::task::yield_now().await;
        }
        assert!(reached < 4096, "every event was queued: {reached}");
        timeout(Duration::from_secs(5), async {
            while live.hub().subscribers("firehose") != 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the slow socket leaves its channels");
        // Reading now gives what was written before the close, then the end: 1008, or the end of
        // the stream when the close frame could not be written past the unread data.
        let ending = timeout(Duration::from_secs(5), async {
            loop {
                match ws.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                    Some(Ok(_)) => {}
                    None | Some(Err(_)) => return None,
                }
            }
        })
        .await
        .expect("the server closed the socket");
        assert!(matches!(ending, Some(1008) | None), "{ending:?}");
        drop(ws);
        released(&live, files).await;
    });
}

#[test]
fn a_client_asking_for_more_than_it_reads_is_closed() {
    run(async {
        // A small queue and a client that asks for big views without reading the answers.
        async fn big(_: ps::PageContext) -> ps::Markup {
            ps::PreEscaped("y".repeat(256 * 1024))
        }
        let app = ps::App::new(ps::Routes::new().route("/", big), ());
        let live = app.live().max_queue_bytes(512 * 1024);
        let addr = serve(live.clone(), |s| s).await;
        let files = open_files();
        let ws = connect(addr).await;
        let (mut sink, stream) = ws.split();
        let attach = json!({"type": "attach", "path": "/"}).to_string();
        // Sends until the server stops reading or closes; bounded.
        let _ = timeout(Duration::from_secs(10), async {
            for _ in 0..2000 {
                if sink.send(Message::text(attach.clone())).await.is_err() {
                    break;
                }
                if live.connections() == 0 {
                    break;
                }
            }
        })
        .await;
        timeout(Duration::from_secs(5), async {
            while live.connections() != 0 {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the socket is closed");
        drop((sink, stream));
        released(&live, files).await;
    });
}

#[test]
fn shutdown_closes_sockets_with_1012_and_finishes_in_flight_requests() {
    run(async {
        let started = Arc::new(tokio::sync::Notify::new());
        let finished = Arc::new(AtomicUsize::new(0));
        let slow = {
            let started = started.clone();
            let finished = finished.clone();
            axum::routing::get(move || {
                let started = started.clone();
                let finished = finished.clone();
                async move {
                    started.notify_one();
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    finished.fetch_add(1, Ordering::SeqCst);
                    "done"
                }
            })
        };
        let live = app().live();
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let server = app()
            .server()
            .session_store(ps::CookieStore::new(secret()))
            .routes(axum::Router::new().route("/slow", slow))
            .live(live.clone())
            .shutdown_timeout(Duration::from_secs(5));
        let serving = tokio::spawn(server.serve_with_shutdown(listener, async {
            let _ = stopped.await;
        }));

        let mut sockets = Vec::new();
        for _ in 0..3 {
            sockets.push(connect(addr).await);
        }
        let request = tokio::spawn(async move {
            let response = reqwest::get(format!("http://{addr}/slow")).await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        });
        started.notified().await;
        stop.send(()).unwrap();

        for ws in &mut sockets {
            match next(ws).await {
                Some(Ok(Message::Close(Some(frame)))) => assert_eq!(u16::from(frame.code), 1012),
                other => panic!("expected Close 1012, got {other:?}"),
            }
        }
        let (status, body) = timeout(Duration::from_secs(5), request)
            .await
            .expect("the in-flight request completes")
            .unwrap();
        assert_eq!((status, body.as_str()), (200, "done"));
        timeout(Duration::from_secs(5), serving)
            .await
            .expect("the server returns")
            .unwrap()
            .unwrap();
        assert_eq!(live.connections(), 0);
        // It no longer accepts.
        assert!(TcpStream::connect(addr).await.is_err());
    });
}
