//! Load program for live connections (run with `cargo bench --bench live_load`).
//!
//! Starts the server (`ps::Server`, with its session layer) in a child process (so its memory can be measured alone), opens 1,000
//! WebSocket connections on loopback, attaches a view on each, measures the server's RSS per
//! idle connection, then has every connection send 100 callbacks through three middlewares and
//! checks that every answer arrives, in order. Prints messages per second.
//!
//! Options: `--connections N` (1000), `--messages M` (100).

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

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
        warm.send(Message::text(json!({"type":"attach","path":"/"}).to_string()))
            .await
            .unwrap();
        warm.next().await.unwrap().unwrap();
        let before = rss_kib(pid);

        let mut sockets = Vec::with_capacity(connections);
        for chunk in 0..connections.div_ceil(100) {
            let batch = (chunk * 100..connections.min(chunk * 100 + 100)).map(|_| async move {
                let (mut ws, _) =
                    tokio_tungstenite::connect_async(format!("ws://{addr}/_pulse/ws"))
                        .await
                        .unwrap();
                let attach = json!({"type": "attach", "path": "/"}).to_string();
                ws.send(Message::text(attach)).await.unwrap();
                let ack = ws.next().await.unwrap().unwrap();
                assert!(ack.to_text().unwrap().contains("attach_ack"));
                ws
            });
            sockets.extend(futures_util::future::join_all(batch).await);
        }
        let idle = rss_kib(pid);
        let per_connection = (idle.saturating_sub(before) * 1024) as f64 / connections as f64;

        let start = Instant::now();
        let tasks: Vec<_> = sockets
            .into_iter()
            .map(|ws| {
                tokio::spawn(async move {
                    let (mut sink, mut stream) = ws.split();
                    let send = async move {
                        let callback = json!({"type": "callback", "path": "/", "callback": "increment"})
                            .to_string();
                        for _ in 0..messages {
                            sink.send(Message::text(callback.clone())).await.unwrap();
                        }
                        sink
                    };
                    let receive = async move {
                        for n in 1..=messages {
                            let message = stream.next().await.unwrap().unwrap();
                            let value: Value = serde_json::from_str(message.to_text().unwrap()).unwrap();
                            assert_eq!(value["html"], format!("<p>{n}</p>"), "out of order or lost");
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
        println!("live_load: {connections} connections x {messages} messages through 3 middlewares");
        println!("  all {total} answers received, in order per connection");
        println!(
            "  {:.0} messages/s ({:.2} s); server RSS {} KiB idle-before, {} KiB with {connections} idle connections",
            total as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64(),
            before,
            idle
        );
        println!("  memory per idle connection: {:.1} KiB", per_connection / 1024.0);
        drop(warm);
    });
    let _ = child.kill();
    let _ = child.wait();
}
