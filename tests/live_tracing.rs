//! Logs show who decided what: a `pulse.http` span per TCP connection, a `pulse.socket` span
//! per WebSocket and a `pulse.hook` span per hook dispatch with its outcome.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use pulse as ps;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

async fn page(_: ps::PageContext) -> ps::Markup {
    ps::PreEscaped("<p>page</p>".to_owned())
}

async fn poke(_: ps::PageContext, _: Vec<Value>) {}

/// Denies every callback.
struct NoCallbacks;

impl ps::PulseMiddleware for NoCallbacks {
    async fn message(
        &self,
        args: ps::MessageArgs<'_>,
        next: impl ps::Next<ps::hook::Message>,
    ) -> ps::MessageResponse {
        if args.data.kind() == "callback" {
            return ps::MessageResponse::Deny;
        }
        next.run().await
    }
}

#[tokio::test]
async fn spans_name_the_connection_the_socket_the_hook_and_the_outcome() {
    // This test's runtime is single-threaded: the server's tasks log through it too.
    let (logs, _guard) = pulse_test::Logs::capture(tracing::Level::DEBUG);

    let app = ps::App::new(
        ps::Routes::new().route("/", ps::Page::new(page).callback("poke", poke)),
        NoCallbacks,
    );
    let server = app
        .server()
        .session_store(ps::CookieStore::new(pulse_test::secret()));
    let addr = pulse_test::serve(server).await;

    let (mut ws, _) = tokio_tungstenite::connect_async(format!("ws://{addr}/_pulse/ws"))
        .await
        .unwrap();
    let mut ask = async |message: Value| {
        ws.send(Message::text(message.to_string())).await.unwrap();
        let answer = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .unwrap();
        let answer = answer.unwrap().unwrap();
        serde_json::from_str::<Value>(answer.to_text().unwrap()).unwrap()
    };
    let ack = ask(json!({"type": "attach", "path": "/"})).await;
    assert_eq!(ack["type"], "attach_ack");
    let denied = ask(json!({"type": "callback", "path": "/", "callback": "poke"})).await;
    assert_eq!(denied["error"]["kind"], "deny");
    ws.close(None).await.unwrap();
    while let Some(Ok(_)) = ws.next().await {}
    // The socket's span closes once the server released it.
    tokio::time::timeout(Duration::from_secs(5), async {
        while !logs.text().contains("pulse.socket{id=1") || !logs.text().contains("socket open") {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the socket's span is logged");

    let text = logs.text();
    let hook_line = |kind: &str, outcome: &str| {
        text.lines().any(|line| {
            line.contains("pulse.http{conn=1 client=127.0.0.1:")
                && line.contains("pulse.socket{id=1")
                && line.contains(&format!(
                    r#"pulse.hook{{hook="message" kind="{kind}" path="/" outcome="{outcome}"}}"#
                ))
        })
    };
    assert!(hook_line("attach", "ok"), "{text}");
    assert!(hook_line("callback", "deny"), "{text}");
}
