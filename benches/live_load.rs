//! Load program for live connections (run with `cargo bench --bench live_load`).
//!
//! Starts the server (`ps::Server`, with its session layer) in a child process, so its memory
//! and open files can be measured alone, then on loopback:
//!
//! 1. **Idle sockets**: opens 10,000 WebSockets, attaches a view on each, and reports the
//!    server's memory per idle socket (RSS growth / sockets) and its open files; then closes
//!    them all and checks the server's open files return to where they were.
//! 2. **Churn**: 10,000 open/attach/close cycles (100 at a time; a clean Close, a TCP reset or
//!    a dropped connection in turn), then checks the server's open files return to baseline.
//! 3. **Throughput**: 1,000 sockets each send 100 callbacks through three middlewares; every
//!    answer must arrive, in order. Prints messages per second.
//!
//! Options: `--idle N` (10000), `--churn N` (10000), `--connections N` (1000),
//! `--messages M` (100). Raises this process's open-file limit to its hard limit (each socket
//! is a file on both sides).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use pulse as ps;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: u64 = cx.state().get("count").unwrap_or(0);
    ps::PreEscaped(format!("<p>{count}</p>"))
}

async fn increment(cx: ps::PageContext, _: Vec<Value>) {
    let count: u64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

/// Counts messages.
struct Count(Arc<AtomicU64>);
impl ps::PulseMiddleware for Count {
    async fn message(
        &self,
        _: ps::MessageArgs<'_>,
        next: impl ps::Next<ps::hook::Message>,
    ) -> ps::MessageResponse {
        self.0.fetch_add(1, Ordering::Relaxed);
        next.run().await
    }
}

/// Denies messages addressed to no route.
struct KnownPath;
impl ps::PulseMiddleware for KnownPath {
    async fn message(
        &self,
        args: ps::MessageArgs<'_>,
        next: impl ps::Next<ps::hook::Message>,
    ) -> ps::MessageResponse {
        if args.data.path() != Some("/") {
            return ps::MessageResponse::Deny;
        }
        next.run().await
    }
}

/// Reads the session, as an auth check would.
struct SessionCheck;
impl ps::PulseMiddleware for SessionCheck {
    async fn message(
        &self,
        args: ps::MessageArgs<'_>,
        next: impl ps::Next<ps::hook::Message>,
    ) -> ps::MessageResponse {
        if args.session.contains("banned") {
            return ps::MessageResponse::Deny;
        }
        next.run().await
    }
}

fn serve() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let app = ps::App::new(
            ps::Routes::new().route("/", ps::Page::new(counter).callback("increment", increment)),
            ps::Chain::new(
                Count(Arc::default()),
                ps::Chain::new(KnownPath, ps::Chain::new(SessionCheck, ())),
            ),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        println!("{}", listener.local_addr().unwrap());
        let secret = ps::Secret::new("load program secret, at least thirty-two bytes").unwrap();
        app.server()
            .session_store(ps::CookieStore::new(secret))
            .serve_on(listener)
            .await
            .unwrap();
    });
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn open_files(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// Opens a socket and attaches the counter view.
async fn open_attached(addr: SocketAddr) -> Ws {
    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/_pulse/ws"))
        .await
        .unwrap();
    let attach = json!({"type": "attach", "path": "/"}).to_string();
    ws.send(Message::text(attach)).await.unwrap();
    let ack = ws.next().await.unwrap().unwrap();
    assert!(ack.to_text().unwrap().contains("attach_ack"));
    ws
}

/// Opens `count` attached sockets, 200 at a time.
async fn open_many(addr: SocketAddr, count: usize) -> Vec<Ws> {
    let mut sockets = Vec::with_capacity(count);
    for start in (0..count).step_by(200) {
        let batch = (start..count.min(start + 200)).map(|_| open_attached(addr));
        sockets.extend(futures_util::future::join_all(batch).await);
    }
    sockets
}

/// Waits (at most 10 s) until the server's open files are back to `files`; returns them.
async fn settled_files(pid: u32, files: usize) -> usize {
    let deadline = Instant::now() + Duration::from_secs(10);
    while open_files(pid) > files && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    open_files(pid)
}

async fn idle_phase(addr: SocketAddr, pid: u32, idle: usize) {
    let before = rss_kib(pid);
    let files_before = open_files(pid);
    let sockets = open_many(addr, idle).await;
    // Let the server settle (upgrade tasks finish, buffers shrink).
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let files_idle = open_files(pid);
    let per_socket = after.saturating_sub(before) as f64 / idle as f64;
    println!("idle: {idle} sockets, each with an attached view");
    println!(
        "  server RSS {before} KiB before, {after} KiB with the sockets open: {per_socket:.1} KiB per idle socket"
    );
    for mut ws in sockets {
        let _ = ws.close(None).await;
    }
    let files_after = settled_files(pid, files_before).await;
    println!(
        "  server open files: {files_before} before, {files_idle} with the sockets open, {files_after} after closing them{}",
        if files_after <= files_before {
            ""
        } else {
            "  ** LEAK **"
        }
    );
}

async fn churn_phase(addr: SocketAddr, pid: u32, cycles: usize) {
    let files_before = open_files(pid);
    let rss_before = rss_kib(pid);
    let start = Instant::now();
    for round in 0..cycles.div_ceil(100) {
        let batch = (round * 100..cycles.min(round * 100 + 100)).map(|n| async move {
            let mut ws = open_attached(addr).await;
            match n % 3 {
                0 => {
                    ws.close(None).await.unwrap();
                    while let Some(Ok(message)) = ws.next().await {
                        if message.is_close() {
                            break;
                        }
                    }
                }
                1 => {
                    if let tokio_tungstenite::MaybeTlsStream::Plain(tcp) = ws.get_ref() {
                        #[allow(deprecated, reason = "a reset is what this cycle sends")]
                        let _ = tcp.set_linger(Some(Duration::ZERO));
                    }
                }
                _ => {}
            }
            drop(ws);
        });
        futures_util::future::join_all(batch).await;
    }
    let elapsed = start.elapsed();
    let files_after = settled_files(pid, files_before).await;
    println!(
        "churn: {cycles} open/attach/close cycles (clean close, reset, dropped) in {:.2} s",
        elapsed.as_secs_f64()
    );
    println!(
        "  server open files: {files_before} before, {files_after} after{}; RSS {rss_before} KiB before, {} KiB after",
        if files_after <= files_before {
            ""
        } else {
            "  ** LEAK **"
        },
        rss_kib(pid)
    );
}

fn option(args: &[String], name: &str, default: usize) -> usize {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--serve") {
        return serve();
    }
    let connections = option(&args, "--connections", 1000);
    let messages = option(&args, "--messages", 100);
    let idle = option(&args, "--idle", 10_000);
    let churn = option(&args, "--churn", 10_000);
    // Each socket is an open file in both processes (the child inherits the raised limit).
    if let Err(error) = rlimit::increase_nofile_limit(u64::MAX) {
        eprintln!("could not raise the open-file limit: {error}");
    }

    let mut child = Command::new(std::env::current_exe().unwrap())
        .arg("--serve")
        .stdout(Stdio::piped())
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr: SocketAddr = line.trim().parse().unwrap();
    let pid = child.id();

    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async move {
        // Warm the server up with one connection so the baseline includes its runtime.
        let (mut warm, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/_pulse/ws"))
            .await
            .unwrap();
        warm.send(Message::text(
            json!({"type":"attach","path":"/"}).to_string(),
        ))
        .await
        .unwrap();
        warm.next().await.unwrap().unwrap();

        if idle > 0 {
            idle_phase(addr, pid, idle).await;
        }
        if churn > 0 {
            churn_phase(addr, pid, churn).await;
        }

        let sockets = open_many(addr, connections).await;

        let start = Instant::now();
        let tasks: Vec<_> = sockets
            .into_iter()
            .map(|ws| {
                tokio::spawn(async move {
                    let (mut sink, mut stream) = ws.split();
                    let send = async move {
                        let callback =
                            json!({"type": "callback", "path": "/", "callback": "increment"})
                                .to_string();
                        for _ in 0..messages {
                            sink.send(Message::text(callback.clone())).await.unwrap();
                        }
                        sink
                    };
                    let receive = async move {
                        for n in 1..=messages {
                            let message = stream.next().await.unwrap().unwrap();
                            let value: Value =
                                serde_json::from_str(message.to_text().unwrap()).unwrap();
                            assert_eq!(
                                value["html"],
                                format!("<p>{n}</p>"),
                                "out of order or lost"
                            );
                        }
                    };
                    let (_sink, ()) = tokio::join!(send, receive);
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = start.elapsed();
        let total = connections * messages;
        println!(
            "live_load: {connections} connections x {messages} messages through 3 middlewares"
        );
        println!("  all {total} answers received, in order per connection");
        println!(
            "  {:.0} messages/s ({:.2} s)",
            total as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
        );
        drop(warm);
    });
    let _ = child.kill();
    let _ = child.wait();
}
