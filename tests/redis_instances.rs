//! Two instances of one app sharing a real Redis (started per test): sessions, channels and
//! revocation across instances, and Redis outages.

mod live_support;
mod redis_support;

use std::time::Duration;

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
