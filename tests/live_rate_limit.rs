//! `ps::RateLimit` on live connections, over real WebSockets: a burst held to the configured
//! rate with every excess message answered `rate_limited` while the socket stays open, abusive
//! sockets closed with 1008, limited channel messages and limited connections.

#![allow(dead_code, missing_debug_implementations, unreachable_pub)]

mod live_support;

use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use live_support::{connect, open, serve};
use pulse as ps;
use serde_json::{Value, json};
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;

/// Bound on every wait, so a hang fails fast.
const WAIT: Duration = Duration::from_secs(60);

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    ps::PreEscaped(format!("<p>{count}</p>"))
}

async fn increment(cx: ps::PageContext, _: Vec<Value>) {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + 1);
}

fn app(limit: ps::RateLimit) -> ps::App {
    let page = ps::Page::new(counter).callback("increment", increment);
    ps::App::new(ps::Routes::new().route("/", page), limit)
}

fn callback() -> String {
    json!({"type": "callback", "path": "/", "callback": "increment", "args": []}).to_string()
}

fn is_rate_limited(reply: &Value) -> bool {
    reply["type"] == "server_error" && reply["error"]["kind"] == "rate_limited"
}

const RATE: u32 = 200;
const BURST: u32 = 100;
const MESSAGES: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_on_one_socket_is_held_to_the_rate_and_the_socket_stays_open() {
    let limit = ps::RateLimit::per_socket().message(ps::Quota::per_second(RATE).burst(BURST));
    let addr = serve(app(limit).live()).await;
    let started = Instant::now();
    let mut client = connect(addr).await;
    // The attach passes the `message` hook too: one of the burst.
    assert_eq!(client.attach("/").await["type"], "attach_ack");

    let (mut sink, mut stream) = client.ws.split();
    let sender = tokio::spawn(async move {
        let text = callback();
        for _ in 0..MESSAGES {
            sink.send(Message::text(text.clone())).await.unwrap();
        }
        sink
    });
    let (mut allowed, mut limited, mut last_retry) = (0u64, 0u64, 0u64);
    while (allowed + limited) < MESSAGES as u64 {
        let frame = timeout(WAIT, stream.next()).await.expect("a reply in time");
        let Some(Ok(Message::Text(text))) = frame else {
            panic!("the socket closed after {allowed} allowed and {limited} limited: {frame:?}");
        };
        let reply: Value = serde_json::from_str(&text).unwrap();
        if reply["type"] == "view_update" {
            allowed += 1;
        } else if is_rate_limited(&reply) {
            limited += 1;
            last_retry = reply["error"]["retryAfterMs"]
                .as_u64()
                .expect("retryAfterMs");
            assert!(last_retry >= 1, "{reply}");
            assert_eq!(reply["path"], "/", "{reply}");
        } else {
            panic!("unexpected reply {reply}");
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!("{allowed} allowed, {limited} answered rate_limited, in {elapsed:.2}s");
    // GCRA: the burst (less the attach) at once, then one message per 1/RATE s.
    let most = u64::from(BURST) - 1 + (f64::from(RATE) * elapsed).ceil() as u64 + 1;
    assert!(
        allowed <= most,
        "{allowed} allowed in {elapsed:.2}s; at most {most} fit the quota"
    );
    assert!(
        allowed >= u64::from(BURST) - 1,
        "the burst passes: {allowed}"
    );
    assert_eq!(
        allowed + limited,
        MESSAGES as u64,
        "every message is answered"
    );
    assert!(limited > 0);

    // Still open: after the advised wait, a callback goes through.
    let mut sink = sender.await.unwrap();
    tokio::time::sleep(Duration::from_millis(last_retry + 20)).await;
    sink.send(Message::text(callback())).await.unwrap();
    let frame = timeout(WAIT, stream.next()).await.unwrap();
    let Some(Ok(Message::Text(text))) = frame else {
        panic!("expected a view update, got {frame:?}");
    };
    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reply["type"], "view_update", "{reply}");
    let count = allowed + 1;
    assert_eq!(
        reply["html"],
        format!("<p>{count}</p>"),
        "only allowed callbacks ran"
    );
}

#[tokio::test]
async fn a_socket_that_keeps_sending_over_its_limit_is_closed_with_1008() {
    let limit = ps::RateLimit::per_socket().message(ps::Quota::per_hour(1));
    let addr = serve(app(limit).live().abuse_limit(50)).await;
    let mut client = connect(addr).await;
    assert_eq!(client.attach("/").await["type"], "attach_ack");
    for _ in 0..50 {
        client.send_text(callback()).await;
        assert!(is_rate_limited(&client.recv().await));
    }
    // The 51st limited message in a minute is one too many.
    client.send_text(callback()).await;
    let code = timeout(WAIT, client.closed()).await.unwrap();
    assert_eq!(code, Some(1008));
}

#[tokio::test]
async fn sockets_are_counted_apart() {
    let limit = ps::RateLimit::per_socket().message(ps::Quota::per_hour(2));
    let addr = serve(app(limit).live()).await;
    let mut first = connect(addr).await;
    assert_eq!(first.attach("/").await["type"], "attach_ack");
    assert_eq!(
        first.callback("/", "increment", json!([])).await["type"],
        "view_update"
    );
    assert!(is_rate_limited(
        &first.callback("/", "increment", json!([])).await
    ));
    let mut second = connect(addr).await;
    assert_eq!(second.attach("/").await["type"], "attach_ack");
    assert_eq!(
        second.callback("/", "increment", json!([])).await["type"],
        "view_update"
    );
}

#[tokio::test]
async fn limited_channel_messages_get_a_rate_limited_reply() {
    let limit = ps::RateLimit::per_socket().channel(ps::Quota::per_hour(2));
    let addr = serve(app(limit).live()).await;
    let mut client = connect(addr).await;
    let publish = |id: &str| json!({"type": "channel_message", "channel": "room", "event": "say", "payload": 1, "requestId": id});
    client.send(publish("1")).await;
    let first = client.recv().await;
    assert_eq!(first["responseTo"], "1", "{first}");
    assert!(
        first["error"].is_null() || first["error"]["kind"] != "rate_limited",
        "{first}"
    );
    client.send(publish("2")).await;
    assert_eq!(client.recv().await["responseTo"], "2");
    client.send(publish("3")).await;
    let limited = client.recv().await;
    assert_eq!(limited["responseTo"], "3", "{limited}");
    assert_eq!(limited["error"]["kind"], "rate_limited", "{limited}");
    assert!(
        limited["error"]["retryAfterMs"].as_u64().unwrap() > 1000,
        "{limited}"
    );
    // A subscription is a channel message too, and is not made when limited.
    client
        .send(json!({"type": "channel_subscribe", "channel": "room", "requestId": "4"}))
        .await;
    assert_eq!(client.recv().await["error"]["kind"], "rate_limited");
}

#[tokio::test]
async fn limited_connections_are_refused_with_429() {
    let limit = ps::RateLimit::per_client_ip(ps::ClientIp::peer()).connect(ps::Quota::per_hour(2));
    let addr = serve(app(limit).live()).await;
    let _first = connect(addr).await;
    let _second = connect(addr).await;
    let (status, body) = match open(addr, &[]).await {
        Ok(_) => panic!("a third socket within the hour is refused"),
        Err(refusal) => refusal,
    };
    assert_eq!(status, 429);
    let body: Value = serde_json::from_str(&body).unwrap();
    assert!(body["retryAfter"].as_u64().unwrap() >= 1, "{body}");
}
