//! A page whose session lives in Redis beside the same page with the signed-cookie session, in
//! one run (`cargo bench --features redis --bench redis_session`; starts its own
//! `redis-server`). Throughput ratio = cookie-store time / Redis-store time.
//!
//! - `http_*`: over loopback HTTP with a keep-alive client, as a browser sees it;
//! - `in_process_*`: through the router in process (tower `oneshot`), where the Redis round
//!   trip is all of the difference.
//!
//! `*_redis_store` uses the store as configured by default (its read cache on: a page is
//! served from the instance's cache while Redis's client tracking keeps it in step);
//! `*_redis_uncached` turns the cache off (`session_cache(0, 0)`), one Redis read per page.

#[path = "../tests/redis_support/mod.rs"]
mod redis_support;

use std::sync::{Mutex, OnceLock};

use axum::Router;
use axum::body::Body;
use axum::http::{Request, header};
use axum::routing::get;
use pulse as ps;
use redis_support::RedisServer;
use tower::ServiceExt;

/// The Redis server every benchmark of the run shares (statics are never dropped: `main`
/// stops it).
static REDIS: Mutex<Option<RedisServer>> = Mutex::new(None);

fn main() {
    divan::Divan::from_args().sample_count(500).main();
    drop(REDIS.lock().unwrap().take());
}

/// The URL of the shared Redis server, started on first use.
fn redis_url() -> String {
    REDIS
        .lock()
        .unwrap()
        .get_or_insert_with(RedisServer::start)
        .url()
}

fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
    })
}

fn secret() -> ps::Secret {
    ps::Secret::new("benchmark secret, at least 32 bytes long").unwrap()
}

async fn home(cx: ps::PageContext) -> ps::Markup {
    let email: Option<String> = cx.session().get("user_email");
    ps::html! {
        h1 { "Home" }
        p { "Signed in as " (email.unwrap_or_default()) "." }
        ul { @for i in 0..10 { li { "item " (i) } } }
    }
}

async fn login(session: ps::Session) {
    let _ = session.insert("user_email", "ada@example.com");
}

fn router(store: impl ps::SessionStore) -> Router {
    ps::App::new(ps::Routes::new().route("/", home), ())
        .server()
        .routes(Router::new().route("/login", get(login)))
        .session_store(store)
        .into_router()
}

async fn cookie_router() -> Router {
    router(ps::CookieStore::new(secret()))
}

async fn redis_router() -> Router {
    redis_router_with(ps::redis::RedisConfig::new(redis_url())).await
}

async fn redis_uncached_router() -> Router {
    redis_router_with(ps::redis::RedisConfig::new(redis_url()).session_cache(0, 0)).await
}

async fn redis_router_with(config: ps::redis::RedisConfig) -> Router {
    router(
        ps::redis::RedisStore::connect(&config, secret())
            .await
            .unwrap(),
    )
}

fn request(path: &str, cookie: Option<&str>) -> Request<Body> {
    let mut builder = Request::get(path).header(header::HOST, "127.0.0.1");
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    builder.body(Body::empty()).unwrap()
}

/// Signs in through `router` and returns the session cookie.
async fn signed_in(router: &Router) -> String {
    let response = router
        .clone()
        .oneshot(request("/login", None))
        .await
        .unwrap();
    let set = response.headers()[header::SET_COOKIE].to_str().unwrap();
    set.split(';').next().unwrap().to_owned()
}

async fn page_in_process(router: &Router, cookie: &str) -> usize {
    let response = router
        .clone()
        .oneshot(request("/", Some(cookie)))
        .await
        .unwrap();
    assert!(response.status().is_success());
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    assert!(body.windows(3).any(|w| w == b"ada"));
    body.len()
}

fn bench_in_process(bencher: divan::Bencher<'_, '_>, router: Router) {
    let rt = runtime();
    let cookie = rt.block_on(signed_in(&router));
    bencher.bench_local(|| rt.block_on(page_in_process(&router, &cookie)));
}

fn bench_http(bencher: divan::Bencher<'_, '_>, router: Router) {
    let rt = runtime();
    let cookie = rt.block_on(signed_in(&router));
    let base = rt.block_on(async {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        format!("http://{addr}/")
    });
    let client = reqwest::Client::new();
    bencher.bench_local(|| {
        rt.block_on(async {
            let response = client
                .get(&base)
                .header(header::COOKIE, &cookie)
                .send()
                .await
                .unwrap();
            assert!(response.status().is_success());
            response.bytes().await.unwrap().len()
        })
    });
}

#[divan::bench]
fn http_cookie_store(bencher: divan::Bencher<'_, '_>) {
    bench_http(bencher, runtime().block_on(cookie_router()));
}

#[divan::bench]
fn http_redis_store(bencher: divan::Bencher<'_, '_>) {
    bench_http(bencher, runtime().block_on(redis_router()));
}

#[divan::bench]
fn http_redis_uncached(bencher: divan::Bencher<'_, '_>) {
    bench_http(bencher, runtime().block_on(redis_uncached_router()));
}

#[divan::bench]
fn in_process_cookie_store(bencher: divan::Bencher<'_, '_>) {
    bench_in_process(bencher, runtime().block_on(cookie_router()));
}

#[divan::bench]
fn in_process_redis_store(bencher: divan::Bencher<'_, '_>) {
    bench_in_process(bencher, runtime().block_on(redis_router()));
}

#[divan::bench]
fn in_process_redis_uncached(bencher: divan::Bencher<'_, '_>) {
    bench_in_process(bencher, runtime().block_on(redis_uncached_router()));
}
