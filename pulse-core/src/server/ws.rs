//! The HTTP side of live connections: `GET /_pulse/ws` (origin check, `connect` hook, upgrade,
//! frame loop), `GET /_pulse/client.js` and `GET /_pulse/set-cookies`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use futures_util::{SinkExt, StreamExt};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, HOST, ORIGIN};
use http::request::Parts;
use http::{HeaderMap, StatusCode};
use tokio::sync::{Notify, mpsc, oneshot};

use super::session::request_and_session;
use crate::live::connection::Connection;
use crate::live::hub::Subscriber;
use crate::live::sessions::Held;
use crate::live::{CLIENT_JS, CLIENT_JS_PATH, Live, QUEUE, SET_COOKIES_PATH, WS_PATH};
use crate::request::Request;
use crate::session::Session;

/// Bytes read from a socket at a time. tungstenite's default (128 KiB) is held by every idle
/// connection; messages of the protocol are small, and larger ones are read in several steps.
const READ_BUFFER: usize = 8 * 1024;

impl Live {
    /// The live endpoints as an axum router: `GET /_pulse/ws`, `GET /_pulse/client.js`,
    /// `GET /_pulse/set-cookies`. The [`Server`](crate::Server) mounts it inside its session
    /// layer (see [`Server::live`](crate::Server::live)); the socket and the cookie refresh take
    /// the browser's [`Session`] from the request's extensions, and a router served without
    /// that layer gives every socket a fresh session.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route(WS_PATH, get(upgrade))
            .route(CLIENT_JS_PATH, get(client_js))
            .route(SET_COOKIES_PATH, get(set_cookies))
            .with_state(self.clone())
    }

    /// Whether a socket opened by a page of `Origin` may connect: no `Origin` (not a browser),
    /// the app's own host, or an allowed origin.
    fn origin_allowed(&self, headers: &HeaderMap) -> bool {
        let Some(origin) = headers.get(ORIGIN) else {
            return true;
        };
        if self.any_origin {
            return true;
        }
        let Ok(origin) = origin.to_str() else {
            return false;
        };
        let origin = origin.trim_end_matches('/').to_ascii_lowercase();
        if self.allowed_origins.contains(&origin) {
            return true;
        }
        let host = headers.get(HOST).and_then(|h| h.to_str().ok());
        let authority = origin
            .strip_prefix("http://")
            .or_else(|| origin.strip_prefix("https://"));
        matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
    }
}

fn refuse(reason: &str) -> Response {
    let body = serde_json::json!({ "error": reason }).to_string();
    (
        StatusCode::FORBIDDEN,
        [(CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}

async fn upgrade(
    State(live): State<Live>,
    parts: Parts,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> Response {
    if !live.origin_allowed(&parts.headers) {
        return refuse("origin not allowed");
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let (request, loaded) = request_and_session(&parts, live.scheme);
    let held = live.sessions.hold(loaded);
    if live.app.connect(&request, &held.session).await.is_deny() {
        return refuse("connection denied");
    }
    let limit = live.max_message_size;
    upgrade
        .read_buffer_size(READ_BUFFER)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(live, socket, request, held))
}

async fn serve(live: Live, socket: WebSocket, request: Request, held: Held) {
    let (sink, mut stream) = socket.split();
    let (queue, outgoing) = mpsc::channel(QUEUE);
    let lagged = Arc::new(Notify::new());
    let (close, closing) = oneshot::channel();
    let writer = tokio::spawn(write(sink, outgoing, closing));
    let out = Subscriber {
        queue,
        lagged: lagged.clone(),
    };
    let mut connection = Connection::new(
        live.app.clone(),
        live.hub.clone(),
        request,
        held.session.clone(),
        out,
        Some(SET_COOKIES_PATH.to_owned()),
    );
    connection.sync_session().await;
    let frame = loop {
        tokio::select! {
            () = lagged.notified() => {
                break Some(CloseFrame { code: close_code::POLICY, reason: "too slow".into() });
            }
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(text))) => connection.handle(text.as_str()).await,
                Some(Ok(Message::Binary(_))) => connection.reject_binary().await,
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break None,
                Some(Err(error)) => break Some(error_frame(error)),
            }
        }
    };
    connection.close();
    drop(connection);
    if let Some(frame) = frame {
        let _ = close.send(frame);
    }
    let _ = writer.await;
    drop(held);
}

/// The close frame for a read error: 1009 for a message over the limit, 1002 otherwise.
fn error_frame(error: axum::Error) -> CloseFrame {
    let inner = error.into_inner();
    let too_big = matches!(
        inner.downcast_ref::<tungstenite::Error>(),
        Some(tungstenite::Error::Capacity(_))
    );
    if too_big {
        CloseFrame {
            code: close_code::SIZE,
            reason: "message too big".into(),
        }
    } else {
        tracing::debug!(error = %inner, "websocket read failed");
        CloseFrame {
            code: close_code::PROTOCOL,
            reason: "protocol error".into(),
        }
    }
}

/// Writes queued messages until the queue ends or a close frame is asked for.
async fn write(
    mut sink: futures_util::stream::SplitSink<WebSocket, Message>,
    mut outgoing: mpsc::Receiver<String>,
    mut closing: oneshot::Receiver<CloseFrame>,
) {
    loop {
        tokio::select! {
            biased;
            frame = &mut closing => {
                if let Ok(frame) = frame {
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    return;
                }
                // No close frame to send: drain what is queued, then stop.
                while let Some(text) = outgoing.recv().await {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                let _ = sink.close().await;
                return;
            }
            text = outgoing.recv() => match text {
                Some(text) => {
                    if sink.send(Message::Text(text.into())).await.is_err() {
                        return;
                    }
                }
                None => {
                    if let Ok(frame) = closing.await {
                        let _ = sink.send(Message::Close(Some(frame))).await;
                    }
                    return;
                }
            },
        }
    }
}

async fn client_js() -> Response {
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-cache"),
        ],
        CLIENT_JS,
    )
        .into_response()
}

/// Stores what the browser's sockets changed in its session: the session layer around this
/// endpoint then sends the new cookie.
async fn set_cookies(State(live): State<Live>, parts: Parts) -> Response {
    if let Some(session) = parts.extensions.get::<Session>() {
        live.sessions.store_into(session);
    }
    (StatusCode::NO_CONTENT, [(CACHE_CONTROL, "no-store")]).into_response()
}
