//! `RedisStore`'s read cache over a real Redis (started per test), with two instances: pages
//! read their session from the instance's cache, and a change or end on the other instance, a
//! lost connection or the cache's bounds drop the copy in time.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

mod redis_support;

use std::time::{Duration, Instant};

use ps::redis::RedisConfig;
use pulse as ps;
use redis_support::*;
use serde_json::{Value, json};

/// How long a change on one instance may stay unseen on another (the revocation bound).
const BOUND: Duration = Duration::from_secs(1);

async fn session_on(instance: &Instance, cookie: &str) -> (u16, Value) {
    let response = get_with(&instance.base, "/api/session", Some(cookie)).await;
    let status = response.status().as_u16();
    let body = if status == 200 {
        response.json().await.unwrap()
    } else {
        Value::Null
    };
    (status, body)
}

/// Reads the session on `instance` until a read costs Redis no `HGETALL` (the cache is on and
/// holds it); bounded.
async fn warm(redis: &RedisServer, instance: &Instance, cookie: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let before = redis.calls("hgetall");
        let (status, data) = session_on(instance, cookie).await;
        assert_eq!(status, 200);
        if redis.calls("hgetall") == before {
            return data;
        }
        assert!(
            Instant::now() < deadline,
            "the session never came from the cache"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Reads the session on `instance` until `done` holds for it, returning how long that took;
/// fails after `within`. 503s (an instance reconnecting) are allowed meanwhile.
async fn until(
    instance: &Instance,
    cookie: &str,
    within: Duration,
    done: impl Fn(&Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let (status, data) = session_on(instance, cookie).await;
        assert!(status == 200 || status == 503, "{status}");
        if status == 200 && done(&data) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < within,
            "not seen within {within:?}; last: {status} {data}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The Redis key of the session a `pulse.sid=r1.<id>.<signature>` cookie names.
fn redis_key(cookie: &str) -> String {
    let id = cookie
        .trim_start_matches("pulse.sid=r1.")
        .split('.')
        .next()
        .unwrap();
    format!("pulse:session:{id}")
}

async fn write_on(instance: &Instance, cookie: &str, data: Value) {
    let response = post(&instance.base, "/api/session", data, Some(cookie)).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_read_their_session_from_the_instances_cache() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    assert_eq!(
        warm(&redis, &a, &cookie).await["user_email"],
        "ada@example.com"
    );

    let before = redis.calls("hgetall");
    for _ in 0..20 {
        let page = get_with(&a.base, "/", Some(&cookie)).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(
            page.contains(r#"<p id="user">ada@example.com</p>"#),
            "{page}"
        );
    }
    assert_eq!(
        redis.calls("hgetall"),
        before,
        "20 pages, no read from Redis"
    );

    // A write on the same instance is seen by its next request at once.
    write_on(&a, &cookie, json!({"theme": "dark"})).await;
    assert_eq!(session_on(&a, &cookie).await.1["theme"], "dark");

    // With the cache off, every request reads Redis.
    let uncached = Instance::start_with(&RedisConfig::new(redis.url()).session_cache(0, 0)).await;
    let before = redis.calls("hgetall");
    for _ in 0..5 {
        assert_eq!(session_on(&uncached, &cookie).await.1["theme"], "dark");
    }
    assert_eq!(redis.calls("hgetall"), before + 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_write_on_b_is_seen_on_a_within_the_bound() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let b = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    write_on(&a, &cookie, json!({"theme": "light"})).await;
    for round in 0..5 {
        assert!(warm(&redis, &a, &cookie).await["theme"].is_string());
        let theme = format!("theme {round}");
        write_on(&b, &cookie, json!({"theme": theme})).await;
        let took = until(&a, &cookie, BOUND, |data| data["theme"] == theme).await;
        assert!(took < BOUND, "{took:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ending_a_session_on_b_drops_its_cached_copy_on_a() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let b = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    let other = login_on(&a.base, "bob@example.com").await;
    warm(&redis, &a, &cookie).await;
    warm(&redis, &a, &other).await;

    let response = post(&b.base, "/api/logout", json!({}), Some(&cookie)).await;
    assert_eq!(response.status(), 200);
    let took = until(&a, &cookie, BOUND, |data| data["user_email"].is_null()).await;
    assert!(took < BOUND, "{took:?}");
    let page = get_with(&a.base, "/", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<p id="user">anonymous</p>"#), "{page}");
    // The other session's copy is untouched.
    let before = redis.calls("hgetall");
    assert_eq!(
        session_on(&a, &other).await.1["user_email"],
        "bob@example.com"
    );
    assert_eq!(
        redis.calls("hgetall"),
        before,
        "still served from the cache"
    );

    // A sign-in on B (a new id) replacing the session: the old id is gone on A too.
    warm(&redis, &a, &other).await;
    let response = post(
        &b.base,
        "/api/login",
        json!({"email": "eve@example.com"}),
        Some(&other),
    )
    .await;
    assert_eq!(response.status(), 200);
    until(&a, &other, BOUND, |data| data["user_email"].is_null()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn losing_the_connection_to_redis_empties_the_cache_until_tracking_is_back() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    write_on(&a, &cookie, json!({"theme": "light"})).await;
    assert_eq!(warm(&redis, &a, &cookie).await["theme"], "light");

    // Every plain connection is cut, then the session changes behind the instance's back:
    // Redis tracks keys per connection, so no invalidation will ever come for this change.
    let killed = redis.command("CLIENT KILL TYPE normal").unwrap();
    let killed: u32 = killed.trim_start_matches(':').parse().unwrap();
    assert!(killed >= 1, "{killed}");
    let key = redis_key(&cookie);
    assert_eq!(
        redis
            .command(&format!(r#"HSET {key} d:theme "\"dark\"""#))
            .as_deref(),
        Some(":0")
    );
    // Reconnecting takes a backoff step (100 ms); the copy from before must not survive it.
    until(&a, &cookie, Duration::from_secs(3), |data| {
        data["theme"] == "dark"
    })
    .await;

    // Tracking is back on the new connection: the next change behind its back is seen too,
    // once the cache holds the session again.
    assert_eq!(warm(&redis, &a, &cookie).await["theme"], "dark");
    redis.command(&format!(r#"HSET {key} d:theme "\"blue\"""#));
    let took = until(&a, &cookie, BOUND, |data| data["theme"] == "blue").await;
    assert!(took < BOUND, "{took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_stops_the_cache_within_the_bound() {
    let mut redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    warm(&redis, &a, &cookie).await;
    redis.pause();
    // The copy may serve while the connection is trusted (600 ms), then requests need Redis:
    // a 503 at the timeout, never a hang and never a session older than the bound.
    let paused = Instant::now();
    loop {
        let (status, data) = session_on(&a, &cookie).await;
        if status == 503 {
            break;
        }
        assert_eq!(data["user_email"], "ada@example.com");
        assert!(paused.elapsed() < BOUND, "the cache outlived a hung Redis");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    redis.resume();
    until(&a, &cookie, Duration::from_secs(15), |data| {
        data["user_email"] == "ada@example.com"
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cache_keeps_within_its_bounds() {
    let redis = RedisServer::start();
    // At most two sessions.
    let a = Instance::start_with(&RedisConfig::new(redis.url()).session_cache(2, 1 << 20)).await;
    let mut cookies = Vec::new();
    for n in 0..3 {
        cookies.push(login_on(&a.base, &format!("user{n}@example.com")).await);
    }
    for cookie in &cookies {
        warm(&redis, &a, cookie).await;
    }
    let before = redis.calls("hgetall");
    session_on(&a, &cookies[2]).await;
    session_on(&a, &cookies[1]).await;
    assert_eq!(
        redis.calls("hgetall"),
        before,
        "the two most recent are cached"
    );
    session_on(&a, &cookies[0]).await;
    assert_eq!(redis.calls("hgetall"), before + 1, "the oldest was dropped");

    // At most 4 KiB of session data: a 10 KiB session is never cached, small ones are.
    let b = Instance::start_with(&RedisConfig::new(redis.url()).session_cache(100, 4096)).await;
    let big = login_on(&b.base, "big@example.com").await;
    write_on(&b, &big, json!({"notes": "x".repeat(10 * 1024)})).await;
    let before = redis.calls("hgetall");
    for _ in 0..5 {
        assert_eq!(
            session_on(&b, &big).await.1["notes"]
                .as_str()
                .unwrap()
                .len(),
            10 * 1024
        );
    }
    assert_eq!(redis.calls("hgetall"), before + 5);
    warm(&redis, &b, &cookies[0]).await;
}
