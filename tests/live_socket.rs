//! Live connections over real sockets on 127.0.0.1: the upgrade (origin, `connect`), client
//! messages and their denials, malformed and oversized frames, ordering.

mod live_support;

use live_support::{Client, connect, open, serve};
use pulse as ps;
use serde_json::{Value, json};

async fn counter(cx: ps::PageContext) -> ps::Markup {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    ps::PreEscaped(format!("<p>count {count}</p>"))
}

async fn increment(cx: ps::PageContext, args: Vec<Value>) {
    let by = args.first().and_then(Value::as_i64).unwrap_or(1);
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + by);
}

/// Released by the test that holds a callback in flight.
static GATE: tokio::sync::Notify = tokio::sync::Notify::const_new();

async fn wait_for_gate(_: ps::PageContext, _: Vec<Value>) {
    GATE.notified().await;
}

/// Lets everything through; listed first, it sees every outcome of the one behind it.
struct Audit;
impl ps::PulseMiddleware for Audit {}

/// Denies sockets asking for it, callbacks named `forbidden`, `admin:` channels; panics on
/// callbacks named `explode` and on sockets asking for it.
struct Guard;

impl ps::PulseMiddleware for Guard {
    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        match args.request.header("x-test") {
            Some("deny") => ps::ConnectResponse::Deny,
            Some("panic") => panic!("connect hook exploded"),
            _ => next.run().await,
        }
    }

    async fn message(
        &self,
        args: ps::MessageArgs<'_>,
        next: impl ps::Next<ps::hook::Message>,
    ) -> ps::MessageResponse {
        match args.data {
            ps::ClientMessage::Callback { callback, .. } if callback == "forbidden" => {
                ps::MessageResponse::Deny
            }
            ps::ClientMessage::Callback { callback, .. } if callback == "explode" => {
                panic!("message hook exploded")
            }
            _ => next.run().await,
        }
    }

    async fn channel(
        &self,
        args: ps::ChannelArgs<'_>,
        next: impl ps::Next<ps::hook::Channel>,
    ) -> ps::ChannelResponse {
        if args.channel_id.starts_with("admin:") {
            return ps::ChannelResponse::Deny;
        }
        next.run().await
    }
}

fn app() -> ps::App {
    let page = ps::Page::new(counter)
        .callback("increment", increment)
        .callback("forbidden", increment)
        .callback("explode", increment)
        .callback("wait", wait_for_gate);
    ps::App::new(
        ps::Routes::new().route("/", page),
        ps::Chain::new(Audit, ps::Chain::new(Guard, ())),
    )
}

async fn start() -> std::net::SocketAddr {
    serve(app().live()).await
}

fn refusal(attempt: live_support::Attempt) -> (u16, Value) {
    match attempt {
        Ok(_) => panic!("the upgrade was accepted"),
        Err((status, body)) => (status, serde_json::from_str(&body).unwrap()),
    }
}

#[tokio::test]
async fn a_foreign_origin_is_refused_before_the_connect_hook() {
    let addr = start().await;
    let host = addr.to_string();
    let (status, body) = refusal(open(addr, &[("origin", "https://evil.example")]).await);
    assert_eq!(
        (status, body),
        (403, json!({"error": "origin not allowed"}))
    );
    let own = format!("http://{host}");
    assert!(open(addr, &[("origin", &own)]).await.is_ok());

    let allowed = serve(app().live().allow_origin("https://app.example")).await;
    assert!(
        open(allowed, &[("origin", "https://app.example")])
            .await
            .is_ok()
    );
    assert!(
        open(allowed, &[("origin", "https://evil.example")])
            .await
            .is_err()
    );
}

#[tokio::test]
async fn a_denying_or_panicking_connect_hook_refuses_the_upgrade() {
    let addr = start().await;
    for header in ["deny", "panic"] {
        let (status, body) = refusal(open(addr, &[("x-test", header)]).await);
        assert_eq!((status, body), (403, json!({"error": "connection denied"})));
    }
}

#[tokio::test]
async fn attach_and_callbacks_round_trip() {
    let mut client = connect(start().await).await;
    assert_eq!(
        client.attach("/").await,
        json!({"type": "attach_ack", "path": "/", "html": "<p>count 0</p>"})
    );
    let update = client.callback("/", "increment", json!([41])).await;
    assert_eq!(
        update,
        json!({"type": "view_update", "path": "/", "html": "<p>count 41</p>"})
    );
    assert_eq!(
        client.callback("/", "increment", json!([])).await["html"],
        "<p>count 42</p>"
    );
}

#[tokio::test]
async fn denials_from_the_inner_middleware_are_answered_and_the_socket_stays_open() {
    let mut client = connect(start().await).await;
    client.attach("/").await;
    assert_eq!(
        client.callback("/", "forbidden", json!([])).await,
        json!({"type": "server_error", "path": "/",
               "error": {"message": "request denied by server", "kind": "deny"}})
    );
    // A panicking message hook denies too.
    let answer = client.callback("/", "explode", json!([])).await;
    assert_eq!(answer["error"]["kind"], "deny");

    client
        .send(json!({"type": "channel_message", "channel": "admin:ops", "event": "x", "requestId": "r1"}))
        .await;
    assert_eq!(
        client.recv().await,
        json!({"type": "channel_message", "channel": "admin:ops", "responseTo": "r1", "payload": null,
               "error": {"message": "channel message denied by server", "kind": "deny"}})
    );
    client
        .send(json!({"type": "channel_message", "channel": "admin:ops", "event": "x"}))
        .await;
    let event = client.recv().await;
    assert_eq!(event["event"], "pulse:error");
    assert_eq!(event["error"]["kind"], "deny");

    // Neither denied callback ran, and the socket still works.
    assert_eq!(
        client.callback("/", "increment", json!([])).await["html"],
        "<p>count 1</p>"
    );
}

#[tokio::test]
async fn malformed_messages_are_bad_requests_and_the_socket_stays_open() {
    let mut client = connect(start().await).await;
    for frame in [
        "{\"type\": \"attach\", ",
        "42",
        r#"{"type": "launch_missiles", "path": "/"}"#,
        r#"{"type": "callback", "path": "/"}"#,
        r#"{"type": "attach", "routeInfo": {}}"#,
        r#"{"type": "channel_message", "event": "x"}"#,
        r#"{"type": "channel_message", "channel": "c", "event": "x", "requestId": 7}"#,
    ] {
        client.send_text(frame.to_owned()).await;
        let answer = client.recv().await;
        assert_eq!(answer["type"], "server_error", "{frame}");
        assert_eq!(answer["error"]["kind"], "bad_request", "{frame}");
    }
    client
        .ws
        .send(tokio_tungstenite::tungstenite::Message::binary(vec![
            1, 2, 3,
        ]))
        .await
        .unwrap();
    assert_eq!(client.recv().await["error"]["kind"], "bad_request");
    assert_eq!(client.attach("/").await["type"], "attach_ack");
}

use futures_util::SinkExt;

#[tokio::test]
async fn an_oversized_message_closes_with_1009() {
    // The default limit: 1 MiB.
    let mut client = connect(start().await).await;
    client.attach("/").await;
    let big = format!(
        r#"{{"type":"callback","path":"/","callback":"increment","args":["{}"]}}"#,
        "x".repeat(1 << 20)
    );
    client.send_text(big).await;
    assert_eq!(client.closed().await, Some(1009));

    // A configured limit.
    let addr = serve(app().live().max_message_size(1024)).await;
    let mut client = connect(addr).await;
    let fits = format!(
        r#"{{"type":"attach","path":"/","pad":"{}"}}"#,
        "x".repeat(900)
    );
    client.send_text(fits).await;
    assert_eq!(client.recv().await["error"]["kind"], "bad_request");
    client.send_text("x".repeat(1025)).await;
    assert_eq!(client.closed().await, Some(1009));
}

#[tokio::test]
async fn a_thousand_messages_are_answered_in_order() {
    let mut client = connect(start().await).await;
    client.attach("/").await;
    for _ in 0..1000 {
        client
            .send(json!({"type": "callback", "path": "/", "callback": "increment"}))
            .await;
    }
    for n in 1..=1000 {
        assert_eq!(client.recv().await["html"], format!("<p>count {n}</p>"));
    }
}

#[tokio::test]
async fn two_clients_share_a_channel() {
    let live = app()
        .live()
        .on_channel("room", |event: ps::ChannelEvent| async move {
            Ok(json!({"seen": event.payload}))
        });
    let addr = serve(live).await;
    let (mut alice, mut bob): (Client, Client) = (connect(addr).await, connect(addr).await);
    for client in [&mut alice, &mut bob] {
        client
            .send(json!({"type": "channel_subscribe", "channel": "room", "requestId": "s"}))
            .await;
        assert_eq!(client.recv().await["responseTo"], "s");
    }
    alice
        .send(json!({"type": "channel_message", "channel": "room", "event": "hello", "payload": {"from": "alice"}, "requestId": "r"}))
        .await;
    assert_eq!(
        bob.recv().await,
        json!({"type": "channel_message", "channel": "room", "event": "hello",
               "payload": {"from": "alice"}, "error": null})
    );
    assert_eq!(
        alice.recv().await,
        json!({"type": "channel_message", "channel": "room", "responseTo": "r",
               "payload": {"seen": {"from": "alice"}}, "error": null})
    );
    // An unknown channel is answered, never left hanging.
    bob.send(
        json!({"type": "channel_message", "channel": "nowhere", "event": "x", "requestId": "q"}),
    )
    .await;
    let reply = bob.recv().await;
    assert_eq!(reply["responseTo"], "q");
    assert_eq!(reply["error"]["kind"], "not_found");
}

#[tokio::test]
async fn the_client_script_is_served() {
    let addr = start().await;
    let response = reqwest::get(format!("http://{addr}/_pulse/client.js"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    assert!(response.text().await.unwrap().contains("/_pulse/ws"));
}

#[tokio::test]
async fn a_busy_connection_does_not_hold_up_others() {
    let addr = start().await;
    let (mut busy, mut other) = (connect(addr).await, connect(addr).await);
    busy.attach("/").await;
    busy.send(json!({"type": "callback", "path": "/", "callback": "wait"}))
        .await;
    busy.send(json!({"type": "callback", "path": "/", "callback": "increment"}))
        .await;
    // While `busy` waits inside a callback, `other` is served.
    assert_eq!(other.attach("/").await["type"], "attach_ack");
    assert_eq!(
        other.callback("/", "increment", json!([])).await["html"],
        "<p>count 1</p>"
    );
    GATE.notify_one();
    // `busy` then answers its two messages in order.
    assert_eq!(busy.recv().await["html"], "<p>count 0</p>");
    assert_eq!(busy.recv().await["html"], "<p>count 1</p>");
}
