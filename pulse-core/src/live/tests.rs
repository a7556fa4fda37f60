//! In-process behaviour of the connection processor and the hub (no sockets).

use serde_json::{Value, json};

use super::connection::Connection;
use super::hub::{Hub, SocketLimits, Subscriber};
use crate::hook::{Channel, Message, PrerenderRoute};
use crate::{
    App, ChannelArgs, ChannelResponse, ClientMessage, MessageArgs, MessageResponse, Next, Page,
    PageContext, PrerenderRouteArgs, PulseMiddleware, Redirect, Request, RoutePrerenderResponse,
    Routes, Session, html,
};

async fn counter(cx: PageContext) -> crate::Markup {
    let count: i64 = cx.state().get("count").unwrap_or(0);
    html! { p { "count " (count) } }
}

async fn increment(cx: PageContext, args: Vec<Value>) {
    let by = args.first().and_then(Value::as_i64).unwrap_or(1);
    let count: i64 = cx.state().get("count").unwrap_or(0);
    cx.state().set("count", count + by);
}

async fn boom(_: PageContext, _: Vec<Value>) {
    panic!("callback exploded");
}

async fn leave(cx: PageContext, _: Vec<Value>) {
    cx.state().navigate_to("/");
}

/// Denies what its rules say; passes the rest.
struct Gate;

impl PulseMiddleware for Gate {
    async fn prerender_route(
        &self,
        args: PrerenderRouteArgs<'_>,
        next: impl Next<PrerenderRoute>,
    ) -> RoutePrerenderResponse {
        if args.path == "/secret" {
            return RoutePrerenderResponse::Redirect(Redirect::to("/login"));
        }
        next.run().await
    }
    async fn message(&self, args: MessageArgs<'_>, next: impl Next<Message>) -> MessageResponse {
        match args.data {
            ClientMessage::Callback { callback, .. } if callback == "forbidden" => {
                MessageResponse::Deny
            }
            ClientMessage::Callback { callback, .. } if callback == "hook_panics" => {
                panic!("hook exploded")
            }
            _ => next.run().await,
        }
    }
    async fn channel(&self, args: ChannelArgs<'_>, next: impl Next<Channel>) -> ChannelResponse {
        if args.channel_id.starts_with("admin:") {
            return ChannelResponse::Deny;
        }
        next.run().await
    }
}

/// Passes everything, like an audit middleware in front of the gate.
struct Outer;
impl PulseMiddleware for Outer {}

fn app() -> App {
    let page = Page::new(counter)
        .callback("increment", increment)
        .callback("forbidden", increment)
        .callback("hook_panics", increment)
        .callback("boom", boom)
        .callback("leave", leave);
    App::new(
        Routes::new()
            .route("/", page)
            .route("/secret", counter)
            .route("/login", counter),
        crate::Chain::new(Outer, crate::Chain::new(Gate, ())),
    )
}

fn limits(max_queue_bytes: usize) -> SocketLimits {
    SocketLimits {
        max_queue_bytes,
        max_subscriptions: 4,
        max_channel_name: 32,
    }
}

struct Client {
    connection: Connection,
    rx: Subscriber,
}

impl Client {
    fn new(app: &App, hub: &Hub) -> Client {
        let out = Subscriber::new(limits(1 << 30));
        let rx = out.clone();
        let request = Request::get("/_pulse/ws");
        let connection =
            Connection::new(app.clone(), hub.clone(), request, Session::new(), out, None);
        Client { connection, rx }
    }

    async fn send(&mut self, message: Value) {
        self.connection.handle(&message.to_string()).await;
    }

    fn recv(&mut self) -> Value {
        let text = self.rx.try_next().expect("a message was sent");
        serde_json::from_str(&text).expect("valid JSON")
    }

    fn is_quiet(&mut self) -> bool {
        self.rx.try_next().is_none()
    }

    async fn attach(&mut self, path: &str) -> Value {
        self.send(json!({"type": "attach", "path": path, "routeInfo": {"pathname": path}}))
            .await;
        self.recv()
    }
}

#[tokio::test]
async fn attach_then_callbacks_update_the_view() {
    let mut client = Client::new(&app(), &Hub::default());
    let ack = client.attach("/").await;
    assert_eq!(
        ack,
        json!({"type": "attach_ack", "path": "/", "html": "<p>count 0</p>"})
    );
    for (args, expected) in [(json!([]), 1), (json!([5]), 6)] {
        client
            .send(json!({"type": "callback", "path": "/", "callback": "increment", "args": args}))
            .await;
        let update = client.recv();
        assert_eq!(update["type"], "view_update");
        assert_eq!(update["html"], format!("<p>count {expected}</p>"));
    }
    assert!(client.is_quiet());
}

#[tokio::test]
async fn attaching_a_page_the_user_may_not_see_navigates_away() {
    let mut client = Client::new(&app(), &Hub::default());
    assert_eq!(client.attach("/gone").await, json!({"type": "reload"}));
    let answer = client.attach("/secret").await;
    assert_eq!(
        answer,
        json!({"type": "navigate_to", "path": "/login", "replace": true})
    );
    client
        .send(json!({"type": "callback", "path": "/secret", "callback": "increment"}))
        .await;
    assert_eq!(client.recv()["error"]["kind"], "not_found");
}

#[tokio::test]
async fn a_denial_by_the_inner_middleware_is_answered() {
    let mut client = Client::new(&app(), &Hub::default());
    client.attach("/").await;
    client
        .send(json!({"type": "callback", "path": "/", "callback": "forbidden"}))
        .await;
    assert_eq!(
        client.recv(),
        json!({"type": "server_error", "path": "/", "error": {"message": "request denied by server", "kind": "deny"}})
    );
    // The denied callback did not run.
    client
        .send(json!({"type": "callback", "path": "/", "callback": "increment"}))
        .await;
    assert_eq!(client.recv()["html"], "<p>count 1</p>");
}

#[tokio::test]
async fn panics_deny_and_are_reported() {
    let mut client = Client::new(&app(), &Hub::default());
    client.attach("/").await;
    client
        .send(json!({"type": "callback", "path": "/", "callback": "hook_panics"}))
        .await;
    assert_eq!(client.recv()["error"]["kind"], "deny");
    client
        .send(json!({"type": "callback", "path": "/", "callback": "boom"}))
        .await;
    assert_eq!(client.recv()["error"]["kind"], "internal");
    client
        .send(json!({"type": "callback", "path": "/", "callback": "nope"}))
        .await;
    assert_eq!(client.recv()["error"]["kind"], "not_found");
    client
        .send(json!({"type": "callback", "path": "/", "callback": "leave"}))
        .await;
    assert_eq!(
        client.recv(),
        json!({"type": "navigate_to", "path": "/", "replace": false})
    );
}

#[tokio::test]
async fn bad_requests_are_answered() {
    let mut client = Client::new(&app(), &Hub::default());
    for frame in [
        "{not json",
        "[1, 2]",
        r#"{"path": "/"}"#,
        r#"{"type": "teleport", "path": "/"}"#,
        r#"{"type": "callback", "path": "/"}"#,
        r#"{"type": "attach"}"#,
        r#"{"type": "channel_message", "channel": "c"}"#,
        r#"{"type": "channel_message", "channel": "c", "event": "pulse:subscribe"}"#,
        r#"{"type": "channel_subscribe", "channel": 3}"#,
    ] {
        client.connection.handle(frame).await;
        let answer = client.recv();
        assert_eq!(answer["type"], "server_error", "{frame}");
        assert_eq!(answer["error"]["kind"], "bad_request", "{frame}");
    }
    assert_eq!(client.attach("/").await["type"], "attach_ack");
}

#[tokio::test]
async fn channels_reach_other_subscribers_and_answer_every_request() {
    let (app, hub) = (app(), Hub::default());
    hub.handle("echo", |event: super::ChannelEvent| async move {
        match event.event.as_str() {
            "fail" => Err("no thanks".to_owned()),
            _ => Ok(json!({"echo": event.payload})),
        }
    });
    let (mut alice, mut bob) = (Client::new(&app, &hub), Client::new(&app, &hub));
    for client in [&mut alice, &mut bob] {
        client
            .send(json!({"type": "channel_subscribe", "channel": "room", "requestId": "s"}))
            .await;
        assert_eq!(client.recv()["responseTo"], "s");
    }
    alice
        .send(json!({"type": "channel_message", "channel": "room", "event": "hi", "payload": 1, "requestId": "r1"}))
        .await;
    assert_eq!(
        alice.recv(),
        json!({"type": "channel_message", "channel": "room", "responseTo": "r1", "payload": null, "error": null})
    );
    assert_eq!(
        bob.recv(),
        json!({"type": "channel_message", "channel": "room", "event": "hi", "payload": 1, "error": null})
    );
    assert!(alice.is_quiet() && bob.is_quiet());

    alice
        .send(json!({"type": "channel_message", "channel": "echo", "event": "e", "payload": 2, "requestId": "r2"}))
        .await;
    assert_eq!(alice.recv()["payload"], json!({"echo": 2}));
    alice
        .send(json!({"type": "channel_message", "channel": "echo", "event": "fail", "requestId": "r3"}))
        .await;
    assert_eq!(alice.recv()["error"]["kind"], "rejected");

    // Unknown channels and denials: a reply with `requestId`, an error event without.
    for (channel, kind) in [("nowhere", "not_found"), ("admin:ops", "deny")] {
        alice
            .send(json!({"type": "channel_message", "channel": channel, "event": "e", "requestId": "r"}))
            .await;
        let reply = alice.recv();
        assert_eq!(
            (
                reply["responseTo"].as_str(),
                reply["error"]["kind"].as_str()
            ),
            (Some("r"), Some(kind))
        );
        alice
            .send(json!({"type": "channel_message", "channel": channel, "event": "e"}))
            .await;
        let event = alice.recv();
        assert_eq!(
            (event["event"].as_str(), event["error"]["kind"].as_str()),
            (Some("pulse:error"), Some(kind))
        );
        assert!(alice.is_quiet());
    }
    alice
        .send(json!({"type": "channel_subscribe", "channel": "admin:ops", "requestId": "s2"}))
        .await;
    assert_eq!(alice.recv()["error"]["kind"], "deny");
    assert_eq!(hub.subscribers("admin:ops"), 0);

    bob.connection.close();
    assert_eq!(hub.subscribers("room"), 1);
    assert_eq!(hub.publish("room", "server", json!(3)), 1);
    assert_eq!(alice.recv()["event"], "server");
}

#[tokio::test]
async fn a_thousand_callbacks_are_answered_in_order() {
    let mut client = Client::new(&app(), &Hub::default());
    client.attach("/").await;
    for _ in 0..1000 {
        client
            .send(json!({"type": "callback", "path": "/", "callback": "increment"}))
            .await;
    }
    for n in 1..=1000 {
        assert_eq!(client.recv()["html"], format!("<p>count {n}</p>"));
    }
}

#[tokio::test]
async fn a_subscriber_that_falls_behind_is_dropped_not_waited_for() {
    let app = app();
    let hub = Hub::default();
    // Room for one event in bytes.
    let rx = Subscriber::new(limits(120));
    let slow = rx.clone();
    let request = Request::get("/_pulse/ws");
    let mut slow = Connection::new(
        app.clone(),
        hub.clone(),
        request,
        Session::new(),
        slow,
        None,
    );
    slow.handle(r#"{"type": "channel_subscribe", "channel": "room"}"#)
        .await;
    assert_eq!(hub.publish("room", "a", json!(1)), 1);
    // The queue is full: the publisher does not wait, and the slow connection is told to close.
    assert_eq!(hub.publish("room", "b", json!(2)), 0);
    rx.overflowed().await;
    assert!(rx.next().await.unwrap().contains(r#""event":"a""#));
}

#[tokio::test]
async fn subscriptions_past_the_cap_are_refused_with_a_clear_error() {
    let hub = Hub::default();
    let mut client = Client::new(&app(), &hub);
    for n in 0..4 {
        let channel = format!("room{n}");
        client
            .send(json!({"type": "channel_subscribe", "channel": channel, "requestId": "s"}))
            .await;
        assert_eq!(client.recv()["error"], Value::Null);
    }
    // Subscribing again to a channel it is on takes no further slot.
    client
        .send(json!({"type": "channel_subscribe", "channel": "room0", "requestId": "again"}))
        .await;
    assert_eq!(client.recv()["error"], Value::Null);
    client
        .send(json!({"type": "channel_subscribe", "channel": "room4", "requestId": "s5"}))
        .await;
    let refused = client.recv();
    assert_eq!(refused["responseTo"], "s5");
    assert_eq!(refused["error"]["kind"], "limit_exceeded");
    assert_eq!(hub.subscribers("room4"), 0);
    // Leaving frees everything the connection held in the hub.
    client.connection.close();
    for n in 0..4 {
        assert_eq!(hub.subscribers(&format!("room{n}")), 0);
    }
}

#[tokio::test]
async fn an_over_long_channel_name_is_refused_and_not_echoed_in_full() {
    let hub = Hub::default();
    let mut client = Client::new(&app(), &hub);
    let long = "x".repeat(10_000);
    for kind in ["channel_subscribe", "channel_message"] {
        client
            .send(json!({"type": kind, "channel": long, "event": "e", "requestId": "r"}))
            .await;
        let refused = client.recv();
        assert_eq!(refused["error"]["kind"], "limit_exceeded", "{kind}");
        assert_eq!(refused["channel"].as_str().unwrap().len(), 32, "{kind}");
    }
    assert_eq!(hub.subscribers(&long), 0);
}
