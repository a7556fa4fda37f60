//! Two instances of one app sharing a real Redis (started per test): sessions, channels and
//! revocation across instances, and Redis outages.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

mod live_support;
mod redis_support;

#[path = "../examples/auth.rs"]
mod auth;

use std::time::Duration;

use pulse as ps;
use redis_support::*;
use serde_json::{Value, json};
use tokio::time::timeout;

/// Bounded wait for anything a test awaits.
const WITHIN: Duration = Duration::from_secs(5);

async fn socket(instance: &Instance, cookie: &str) -> live_support::Client {
    match live_support::open(instance.addr, &[("Cookie", cookie)]).await {
        Ok(client) => client,
        Err((status, body)) => panic!("socket refused with {status}: {body}"),
    }
}

async fn recv(client: &mut live_support::Client) -> Value {
    timeout(WITHIN, client.recv())
        .await
        .expect("a message in time")
}

async fn subscribe(client: &mut live_support::Client, channel: &str) {
    client
        .send(json!({"type": "channel_subscribe", "channel": channel, "requestId": "s"}))
        .await;
    let reply = recv(client).await;
    assert_eq!(reply["responseTo"], "s", "{reply}");
    assert_eq!(reply["error"], Value::Null, "{reply}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_channel_message_published_on_a_reaches_a_subscriber_on_b_in_order() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let b = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    let mut on_a = socket(&a, &cookie).await;
    let mut on_b = socket(&b, &cookie).await;
    subscribe(&mut on_b, "room").await;

    // A client's messages on A, and the app's own event on A, reach B in the order sent.
    for n in 0..50 {
        on_a.send(
            json!({"type": "channel_message", "channel": "room", "event": "said", "payload": n}),
        )
        .await;
    }
    for n in 0..50 {
        let event = recv(&mut on_b).await;
        assert_eq!(
            event,
            json!({"type": "channel_message", "channel": "room", "event": "said", "payload": n, "error": null})
        );
    }
    subscribe(&mut on_b, "news").await;
    let response = post(&a.base, "/api/news", json!({"n": 1}), None).await;
    assert_eq!(response.status(), 200);
    assert_eq!(recv(&mut on_b).await["payload"], json!({"n": 1}));

    // The `channel` hook runs on the sender's instance: a denied message reaches nobody.
    on_a.send(
        json!({"type": "channel_message", "channel": "admin:ops", "event": "e", "requestId": "d"}),
    )
    .await;
    assert_eq!(recv(&mut on_a).await["error"]["kind"], "deny");
    on_a.send(
        json!({"type": "channel_message", "channel": "room", "event": "after", "payload": 0}),
    )
    .await;
    assert_eq!(
        recv(&mut on_b).await["event"],
        "after",
        "nothing came in between"
    );

    // A channel with subscribers only on B is not unknown on A.
    on_a.send(
        json!({"type": "channel_message", "channel": "room", "event": "r", "requestId": "q"}),
    )
    .await;
    assert_eq!(recv(&mut on_a).await["error"], Value::Null);
}

async fn session_on(instance: &Instance, cookie: &str) -> reqwest::Response {
    get_with(&instance.base, "/api/session", Some(cookie)).await
}

async fn user_on(instance: &Instance, cookie: &str) -> Value {
    let response = session_on(instance, cookie).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["user_email"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_on_a_works_on_b_and_logout_on_b_holds_on_a() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let b = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    // The cookie carries a signed id, not the data.
    assert!(cookie.starts_with("pulse.sid=r1."), "{cookie}");
    assert!(!cookie.contains("ada"), "{cookie}");

    assert_eq!(user_on(&b, &cookie).await, "ada@example.com");
    let page = get_with(&b.base, "/", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(r#"<p id="user">ada@example.com</p>"#),
        "{page}"
    );

    let response = post(&b.base, "/api/logout", json!({}), Some(&cookie)).await;
    assert_eq!(response.status(), 200);
    // Replaying the signed-in cookie on A: not signed in.
    assert_eq!(user_on(&a, &cookie).await, Value::Null);
    let page = get_with(&a.base, "/", Some(&cookie))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(r#"<p id="user">anonymous</p>"#), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_an_instance_keeps_sessions() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    drop(a);
    let again = Instance::start(&redis).await;
    assert_eq!(user_on(&again, &cookie).await, "ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cookies_the_store_did_not_sign_are_never_adopted() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    let id = cookie
        .trim_start_matches("pulse.sid=r1.")
        .split('.')
        .next()
        .unwrap();
    for forged in [
        format!("pulse.sid=r1.{id}.AAAA"),
        format!("pulse.sid=r1.{id}"),
        "pulse.sid=r1..x".to_owned(),
        "pulse.sid=%%%".to_owned(),
    ] {
        assert_eq!(user_on(&a, &forged).await, Value::Null, "{forged}");
    }
    // Redis holds the id under the prefix, with an expiry.
    let ttl = redis.command(&format!("TTL pulse:session:{id}")).unwrap();
    let ttl: i64 = ttl.trim_start_matches(':').parse().unwrap();
    assert!(ttl > 6 * 24 * 3600 && ttl <= 7 * 24 * 3600, "{ttl}");
}

/// The flagship with `PULSE_REDIS_URL`: two instances share its sessions.
async fn flagship(redis: &RedisServer) -> String {
    let server = auth::on_redis(auth::server(ps::Env::Ci), &redis.url(), secret().into())
        .await
        .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(server.serve_on(listener));
    format!("http://{addr}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flagship_on_redis_signs_in_on_one_instance_for_all() {
    let redis = RedisServer::start();
    let a = flagship(&redis).await;
    let b = flagship(&redis).await;
    let response = post(
        &a,
        "/api/login",
        json!({"email": "ada@example.com", "password": "pulse"}),
        None,
    )
    .await;
    assert_eq!(response.status(), 200);
    let cookie = session_cookie(&response).unwrap();
    let response = get_with(&b, "/dashboard", Some(&cookie)).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    assert!(page.contains("ada@example.com"), "{page}");
    let response = get_with(&b, "/dashboard", None).await;
    assert_eq!(
        response.status(),
        302,
        "anonymous browsers are still sent to /login"
    );
}

/// The session `instance` serves for `cookie` once `done` holds for it, which must happen
/// within a second: a change made on another instance may take that long to reach this
/// instance's session cache. Fails with the last data served otherwise.
async fn seen_within_the_bound(
    instance: &Instance,
    cookie: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let started = std::time::Instant::now();
    loop {
        let response = session_on(instance, cookie).await;
        assert_eq!(response.status(), 200);
        let data = response.json::<Value>().await.unwrap();
        if done(&data) || started.elapsed() > Duration::from_secs(1) {
            return data;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Waits (bounded) until `instance` serves `cookie`'s session again.
async fn until_served(instance: &Instance, cookie: &str) -> Value {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let response = session_on(instance, cookie).await;
        if response.status() == 200 {
            return response.json::<Value>().await.unwrap();
        }
        assert_eq!(response.status(), 503);
        assert!(
            tokio::time::Instant::now() < deadline,
            "Redis is back but the session is not"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// While Redis is down or hung, a request that needs its session is a quick 503 without a
/// new cookie; never a page for an anonymous visitor. (The instance's session cache may serve
/// the signed-in session until the outage is noticed: at most a second.)
async fn unavailable(instance: &Instance, cookie: &str) {
    let started = std::time::Instant::now();
    let response = loop {
        let response = timeout(WITHIN, session_on(instance, cookie))
            .await
            .expect("no hang while Redis is out");
        if response.status() != 200 || started.elapsed() > Duration::from_secs(1) {
            break response;
        }
        let data = response.json::<Value>().await.unwrap();
        assert_eq!(data["user_email"], "ada@example.com", "{data}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(response.status(), 503);
    assert_eq!(
        session_cookie(&response),
        None,
        "the browser keeps its cookie"
    );
    let response = timeout(WITHIN, get_with(&instance.base, "/", Some(cookie)))
        .await
        .expect("no hang while Redis is out");
    assert_eq!(response.status(), 503);
    assert_eq!(session_cookie(&response), None);
    let body = response.text().await.unwrap();
    assert!(!body.contains("anonymous"), "{body}");
    assert!(started.elapsed() < WITHIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_and_restarted_is_survived() {
    let mut redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let b = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    let mut sender = socket(&a, &cookie).await;
    let mut listener = socket(&a, &cookie).await;
    subscribe(&mut listener, "local").await;

    redis.stop();
    unavailable(&a, &cookie).await;
    unavailable(&b, &cookie).await;
    // Channel events still reach the subscribers of the same instance.
    sender
        .send(json!({"type": "channel_message", "channel": "local", "event": "meanwhile"}))
        .await;
    assert_eq!(recv(&mut listener).await["event"], "meanwhile");
    drop((sender, listener));

    redis.restart();
    assert_eq!(
        until_served(&a, &cookie).await["user_email"],
        "ada@example.com"
    );
    assert_eq!(
        until_served(&b, &cookie).await["user_email"],
        "ada@example.com"
    );
    // Writes work again, and reach the other instance.
    let response = post(
        &b.base,
        "/api/session",
        json!({"theme": "dark"}),
        Some(&cookie),
    )
    .await;
    assert_eq!(response.status(), 200);
    let data = seen_within_the_bound(&a, &cookie, |data| data["theme"] == "dark").await;
    assert_eq!(data["user_email"], "ada@example.com");

    // Channels recover too: a subscriber on B hears A again.
    let mut on_a = socket(&a, &cookie).await;
    let mut on_b = socket(&b, &cookie).await;
    subscribe(&mut on_b, "room").await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        on_a.send(json!({"type": "channel_message", "channel": "room", "event": "ping"}))
            .await;
        if let Ok(event) = timeout(Duration::from_millis(300), on_b.recv()).await {
            assert_eq!(event["event"], "ping");
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "channels did not recover"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hung_redis_is_a_503_within_the_timeout_not_a_hang() {
    let mut redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    redis.pause();
    unavailable(&a, &cookie).await;
    redis.resume();
    assert_eq!(
        until_served(&a, &cookie).await["user_email"],
        "ada@example.com"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_writes_on_two_instances_lose_nothing() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let b = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    let mut writes = Vec::new();
    for n in 0..20 {
        let (instance, cookie) = (
            if n % 2 == 0 { &a } else { &b }.base.clone(),
            cookie.clone(),
        );
        writes.push(tokio::spawn(async move {
            post(
                &instance,
                "/api/session",
                json!({format!("k{n}"): n}),
                Some(&cookie),
            )
            .await
            .status()
        }));
    }
    for write in writes {
        assert_eq!(write.await.unwrap(), 200);
    }
    // (A may serve its cached copy until B's last write reaches it: within a second.)
    let data = seen_within_the_bound(&a, &cookie, |data| {
        (0..20).all(|n| data[format!("k{n}")] == n)
    })
    .await;
    for n in 0..20 {
        assert_eq!(data[format!("k{n}")], n, "{data}");
    }
    assert_eq!(data["user_email"], "ada@example.com");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_on_b_closes_the_sessions_sockets_on_a_within_a_second() {
    let redis = RedisServer::start();
    let a = Instance::start(&redis).await;
    let b = Instance::start(&redis).await;
    let cookie = login_on(&a.base, "ada@example.com").await;
    let other = login_on(&a.base, "bob@example.com").await;
    let mut on_a = socket(&a, &cookie).await;
    let mut also_on_a = socket(&a, &cookie).await;
    let mut bob_on_a = socket(&a, &other).await;
    subscribe(&mut on_a, "room").await;
    subscribe(&mut bob_on_a, "room").await;

    let response = post(&b.base, "/api/logout", json!({}), Some(&cookie)).await;
    assert_eq!(response.status(), 200);
    let started = std::time::Instant::now();
    for client in [&mut on_a, &mut also_on_a] {
        let code = timeout(Duration::from_secs(1), client.closed())
            .await
            .expect("closed within a second of the logout on the other instance");
        assert_eq!(code, Some(4001));
    }
    assert!(started.elapsed() < Duration::from_secs(1));
    // Another session's socket stays open, and the ended session cannot open a new one.
    bob_on_a
        .send(json!({"type": "channel_message", "channel": "room", "event": "still", "requestId": "x"}))
        .await;
    assert_eq!(recv(&mut bob_on_a).await["responseTo"], "x");
    // (Within the bound of A's session cache; the end was at the logout.)
    loop {
        match live_support::open(a.addr, &[("Cookie", &cookie)]).await {
            Ok(_) => assert!(
                started.elapsed() < Duration::from_secs(1),
                "a socket opened with a signed-out cookie"
            ),
            Err((status, _)) => break assert_eq!(status, 403),
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}
