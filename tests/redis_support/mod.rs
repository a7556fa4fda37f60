//! A real `redis-server` for tests: started on a free 127.0.0.1 port with persistence off
//! (`--save "" --appendonly no`), answering `PING` before [`RedisServer::start`] returns, and
//! killed when dropped. Tests stop, pause and restart it to play outages.
//!
//! The binary is `redis-server` from `PATH` (Debian package `redis-server`), or the path in
//! `REDIS_SERVER`.

#![allow(dead_code, unreachable_pub)]

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// How long a started server may take to answer `PING`, or a stopped one to exit.
const READY_WITHIN: Duration = Duration::from_secs(10);

/// A `redis-server` process owned by the test.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    /// Working directory: the log, and the dump a [`stop`](Self::stop) writes.
    dir: PathBuf,
    child: Option<Child>,
    paused: bool,
}

impl RedisServer {
    /// Starts a server on a free port and waits until it answers.
    pub fn start() -> RedisServer {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "pulse-redis-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut server = RedisServer {
                port,
                dir: dir.clone(),
                child: None,
                paused: false,
            };
            if server.spawn() {
                return server;
            }
        }
        panic!(
            "redis-server did not start; its log:\n{}",
            std::fs::read_to_string(dir.join("redis.log")).unwrap_or_default()
        );
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// The port it listens on (kept across [`restart`](Self::restart)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Starts the process; `false` when it exited before answering (e.g. the port was taken).
    fn spawn(&mut self) -> bool {
        let binary = std::env::var_os("REDIS_SERVER").unwrap_or_else(|| "redis-server".into());
        let child = Command::new(&binary)
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .args(["--daemonize", "no", "--protected-mode", "yes"])
            .arg("--dir")
            .arg(&self.dir)
            .arg("--logfile")
            .arg(self.dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let mut child = match child {
            Ok(child) => child,
            Err(error) => panic!(
                "could not run {binary:?} ({error}); install it (`apt-get install -y redis-server`) or set REDIS_SERVER"
            ),
        };
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return false;
            }
            if self.command("PING").as_deref() == Some("+PONG") {
                self.child = Some(child);
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
        false
    }

    /// Sends one inline command and returns the raw reply (RESP, lines joined by `\n`), if the
    /// server answers within a second.
    pub fn command(&self, command: &str) -> Option<String> {
        let addr = ([127, 0, 0, 1], self.port).into();
        let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok()?;
        stream.set_read_timeout(Some(Duration::from_secs(1))).ok()?;
        stream.write_all(format!("{command}\r\n").as_bytes()).ok()?;
        let mut reply = Vec::new();
        let mut chunk = [0u8; 4096];
        // The first bytes within a second, then whatever follows without a pause.
        while let Ok(read @ 1..) = stream.read(&mut chunk) {
            reply.extend_from_slice(&chunk[..read]);
            stream
                .set_read_timeout(Some(Duration::from_millis(50)))
                .ok()?;
        }
        let reply = String::from_utf8_lossy(&reply)
            .trim_end()
            .replace("\r\n", "\n");
        (!reply.is_empty()).then_some(reply)
    }

    /// Whether the process is running and answering.
    pub fn is_up(&self) -> bool {
        self.child.is_some() && !self.paused && self.command("PING").as_deref() == Some("+PONG")
    }

    /// Stops the server, as an operator's restart would: its data is dumped first
    /// (`SHUTDOWN SAVE`, though nothing is saved while it runs) and loaded by
    /// [`restart`](Self::restart). Connections drop; the port stops answering.
    pub fn stop(&mut self) {
        self.resume();
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = self.command("SHUTDOWN SAVE");
        let deadline = Instant::now() + READY_WITHIN;
        while Instant::now() < deadline {
            if matches!(child.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Kills the server without saving: its data is gone.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_file(self.dir.join("dump.rdb"));
        self.paused = false;
    }

    /// Starts the server again on the same port (with the data of the last [`stop`](Self::stop)).
    pub fn restart(&mut self) {
        self.stop();
        assert!(
            self.spawn(),
            "redis-server did not restart on port {}; its log:\n{}",
            self.port,
            std::fs::read_to_string(self.dir.join("redis.log")).unwrap_or_default()
        );
    }

    /// How many times Redis ran `command` (lowercase, e.g. `hgetall`) since it started.
    pub fn calls(&self, command: &str) -> u64 {
        let stats = self.command("INFO commandstats").unwrap_or_default();
        let prefix = format!("cmdstat_{command}:calls=");
        stats
            .lines()
            .find_map(|line| line.strip_prefix(prefix.as_str()))
            .and_then(|rest| rest.split(',').next())
            .map_or(0, |calls| calls.parse().unwrap())
    }

    /// Freezes the process (`SIGSTOP`): connections stay open and nothing answers, as with a
    /// hung server or a dead network path.
    pub fn pause(&mut self) {
        if let Some(child) = &self.child {
            signal(child, "-STOP");
            self.paused = true;
        }
    }

    /// Thaws a [`pause`](Self::pause)d server.
    pub fn resume(&mut self) {
        if let (Some(child), true) = (&self.child, self.paused) {
            signal(child, "-CONT");
            self.paused = false;
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.resume();
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn signal(child: &Child, which: &str) {
    let status = Command::new("kill")
        .args([which, &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(status.success(), "kill {which} failed");
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("a free port")
}

// ---------------------------------------------------------------- app instances on one Redis

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::routing::{self, get};
use ps::redis::{RedisChannels, RedisConfig, RedisRevocations, RedisStore};
use pulse as ps;
use serde_json::{Map, Value, json};

/// The secret every instance shares (never used outside tests).
pub fn secret() -> ps::Secret {
    ps::Secret::new("redis test secret, at least thirty-two bytes").unwrap()
}

async fn home(cx: ps::PageContext) -> ps::Markup {
    let email: Option<String> = cx.session().get("user_email");
    ps::html! { p id="user" { (email.as_deref().unwrap_or("anonymous")) } }
}

/// Anonymous browsers get no socket.
#[ps::middleware(connect)]
async fn reject_anonymous(session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
    if !session.contains("user_email") {
        return ps::Deny;
    }
    next.run().await
}

/// `admin:` channels are closed to everyone.
#[ps::middleware(channel)]
async fn no_admin(channel_id: &str, next: ps::Next) -> ps::ChannelResponse {
    if channel_id.starts_with("admin:") {
        return ps::Deny;
    }
    next.run().await
}

pub fn app() -> ps::App {
    ps::pulse_app! {
        routes: { "/" => home },
        middleware: [reject_anonymous, no_admin],
    }
}

async fn login(session: ps::Session, Json(body): Json<Value>) -> Json<Value> {
    let email = body["email"].as_str().unwrap_or("ada@example.com");
    session.regenerate();
    session.insert("user_email", email).unwrap();
    Json(json!({"ok": true}))
}

async fn logout(session: ps::Session) -> Json<Value> {
    session.end();
    Json(json!({"ok": true}))
}

async fn read_session(session: ps::Session) -> Json<Map<String, Value>> {
    Json(session.to_map())
}

/// Stores each field of the JSON object body.
async fn write_session(session: ps::Session, Json(body): Json<Map<String, Value>>) -> Json<Value> {
    for (key, value) in body {
        session.insert(key, value).unwrap();
    }
    Json(json!({"ok": true}))
}

/// Publishes `{"n": …}` on channel `news` from the app (no hook), for `GET /api/news?n=…`.
fn endpoints(hub: ps::Hub) -> Router {
    Router::new()
        .route("/api/login", routing::post(login))
        .route("/api/logout", routing::post(logout))
        .route("/api/session", get(read_session).post(write_session))
        .route(
            "/api/news",
            routing::post(move |Json(body): Json<Value>| async move {
                hub.publish("news", "news", body);
                Json(json!({"ok": true}))
            }),
        )
}

/// One instance of the test app on a free 127.0.0.1 port, its sessions and channels on
/// `redis`.
#[derive(Debug)]
pub struct Instance {
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Instance {
    pub async fn start(redis: &RedisServer) -> Instance {
        Instance::start_with(&RedisConfig::new(redis.url())).await
    }

    /// An instance on the Redis (and settings) of `config`.
    pub async fn start_with(config: &RedisConfig) -> Instance {
        let config = config.clone();
        let app = app();
        let live = app
            .live()
            .channel_backend(RedisChannels::connect(&config).await.unwrap());
        let hub = live.hub().clone();
        let server = app
            .server()
            .live(live)
            .routes(endpoints(hub))
            .session_store(RedisStore::connect(&config, secret()).await.unwrap())
            .revocations(RedisRevocations::connect(&config).await.unwrap());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let task = tokio::spawn(server.serve_on(listener));
        Instance {
            base: format!("http://{addr}"),
            addr,
            task,
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A client without redirects or a cookie jar: tests carry cookies by hand.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap()
}

/// The `pulse.sid=…` pair from a response's `Set-Cookie`, if any.
pub fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("pulse.sid="))
        .map(|v| v.split(';').next().unwrap().to_owned())
}

/// `POST base+path` with a JSON body and an optional `Cookie`.
pub async fn post(base: &str, path: &str, body: Value, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client().post(format!("{base}{path}")).json(&body);
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// `GET base+path` with an optional `Cookie`.
pub async fn get_with(base: &str, path: &str, cookie: Option<&str>) -> reqwest::Response {
    let mut request = client().get(format!("{base}{path}"));
    if let Some(cookie) = cookie {
        request = request.header(reqwest::header::COOKIE, cookie);
    }
    request.send().await.unwrap()
}

/// Signs in on `base` and returns the session cookie.
pub async fn login_on(base: &str, email: &str) -> String {
    let response = post(base, "/api/login", json!({"email": email}), None).await;
    assert_eq!(response.status(), 200);
    session_cookie(&response).expect("a login sets the session cookie")
}
