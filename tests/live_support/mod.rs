//! Shared helpers for the live-connection tests: serve an app on 127.0.0.1 and talk to it with
//! a real WebSocket client.

#![allow(dead_code, unreachable_pub, missing_debug_implementations)]

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use pulse as ps;
use serde_json::Value;
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// Serves the live endpoints of `live` on a free loopback port.
pub async fn serve(live: ps::Live) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let router = live.router::<()>();
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    addr
}

/// How a connection attempt ended: a socket, or the HTTP status and body of the refusal.
pub type Attempt = Result<Client, (u16, String)>;

/// Opens `/_pulse/ws` with extra headers (`Origin`, `Cookie`…).
pub async fn open(addr: SocketAddr, headers: &[(&str, &str)]) -> Attempt {
    let mut request = format!("ws://{addr}/_pulse/ws")
        .into_client_request()
        .unwrap();
    for (name, value) in headers {
        request.headers_mut().insert(
            tungstenite::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
    }
    match tokio_tungstenite::connect_async(request).await {
        Ok((ws, _)) => Ok(Client { ws }),
        Err(tungstenite::Error::Http(response)) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).into_owned())
                .unwrap_or_default();
            Err((status, body))
        }
        Err(error) => panic!("websocket connect failed: {error}"),
    }
}

/// Opens `/_pulse/ws` and expects the upgrade to be accepted.
pub async fn connect(addr: SocketAddr) -> Client {
    match open(addr, &[]).await {
        Ok(client) => client,
        Err((status, body)) => panic!("refused with {status}: {body}"),
    }
}

pub struct Client {
    pub ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Client {
    pub async fn send(&mut self, message: Value) {
        self.send_text(message.to_string()).await;
    }

    pub async fn send_text(&mut self, text: String) {
        self.ws.send(Message::text(text)).await.unwrap();
    }

    /// The next JSON message; panics when the socket closes first.
    pub async fn recv(&mut self) -> Value {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Text(text))) => return serde_json::from_str(&text).unwrap(),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                other => panic!("expected a message, got {other:?}"),
            }
        }
    }

    /// Reads until the server closes, returning the close code.
    pub async fn closed(&mut self) -> Option<u16> {
        loop {
            match self.ws.next().await {
                Some(Ok(Message::Close(frame))) => return frame.map(|f| u16::from(f.code)),
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return None,
            }
        }
    }

    pub async fn attach(&mut self, path: &str) -> Value {
        self.send(serde_json::json!({
            "type": "attach", "path": path, "routeInfo": {"pathname": path}
        }))
        .await;
        self.recv().await
    }

    pub async fn callback(&mut self, path: &str, name: &str, args: Value) -> Value {
        self.send(serde_json::json!({
            "type": "callback", "path": path, "callback": name, "args": args
        }))
        .await;
        self.recv().await
    }
}
