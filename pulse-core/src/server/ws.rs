//! The HTTP side of live connections: `GET /_pulse/ws` (origin check, `connect` hook, upgrade,
//! frame loop), `GET /_pulse/client.js` and `POST /_pulse/set-cookies`.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade, close_code};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::{SinkExt, StreamExt};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ORIGIN, SET_COOKIE};
use http::request::Parts;
use http::{HeaderMap, StatusCode};
use tokio::sync::{Notify, mpsc, oneshot};

use super::session::request_and_session;
use crate::live::connection::{Connection, Identity};
use crate::live::hub::Subscriber;
use crate::live::sessions::Revoke;
use crate::live::{CLIENT_JS, CLIENT_JS_PATH, Live, QUEUE, SET_COOKIES_PATH, WS_PATH};
use crate::request::Request;
use crate::server::csrf::{parse_origin, same_origin};
use crate::server::session_cookie;
use crate::session::Session;

/// The close code of a socket whose session ended or changed id (the client reconnects, and
/// `connect` decides again who it is).
pub(crate) const SESSION_ENDED: u16 = 4001;

/// Bytes read from a socket at a time. tungstenite's default (128 KiB) is held by every idle
/// connection; messages of the protocol are small, and larger ones are read in several steps.
const READ_BUFFER: usize = 8 * 1024;

impl Live {
    /// The live endpoints as an axum router: `GET /_pulse/ws`, `GET /_pulse/client.js`,
    /// `POST /_pulse/set-cookies`. The [`Server`](crate::Server) mounts it inside its session
    /// layer (see [`Server::live`](crate::Server::live)); the socket and the cookie refresh take
    /// the browser's [`Session`] from the request's extensions, and a router served without
    /// that layer gives every socket a fresh session.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> Router<S> {
        Router::new()
            .route(WS_PATH, get(upgrade))
            .route(CLIENT_JS_PATH, get(client_js))
            .route(SET_COOKIES_PATH, post(set_cookies))
            .with_state(self.clone())
    }

    /// Whether a socket opened by a page of `Origin` may connect: no `Origin` (not a browser),
    /// the app's own origin (scheme, host and port), or an allowed origin.
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
        if same_origin(origin, self.scheme, headers) {
            return true;
        }
        parse_origin(origin).is_some_and(|origin| self.allowed_origins.contains(&origin))
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
    // Each socket has its own handle on the session it was opened with: it acts as that
    // identity only, and is registered so that ending or rotating the session closes it.
    let (request, session) = request_and_session(&parts, live.scheme);
    let identity = live.server_sessions.clone().map(|sessions| {
        let mut identity = Identity {
            sessions,
            live: live.sessions.clone(),
            cookie: session_cookie(&parts.headers),
            revoke: Arc::new(Revoke::default()),
            registration: None,
            registered: None,
        };
        identity.register(&session);
        identity
    });
    if live.app.connect(&request, &session).await.is_deny() {
        return refuse("connection denied");
    }
    let limit = live.max_message_size;
    upgrade
        .read_buffer_size(READ_BUFFER)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| serve(live, socket, request, session, identity))
}

/// Completes when `revoke` fires; never without one.
async fn revoked(revoke: Option<Arc<Revoke>>) {
    match revoke {
        Some(revoke) => revoke.revoked().await,
        None => std::future::pending().await,
    }
}

fn session_ended() -> CloseFrame {
    CloseFrame {
        code: SESSION_ENDED,
        reason: "session ended".into(),
    }
}

async fn serve(
    live: Live,
    socket: WebSocket,
    request: Request,
    session: Session,
    identity: Option<Identity>,
) {
    let (sink, mut stream) = socket.split();
    let (queue, outgoing) = mpsc::channel(QUEUE);
    let lagged = Arc::new(Notify::new());
    let (close, closing) = oneshot::channel();
    let writer = tokio::spawn(write(sink, outgoing, closing));
    let out = Subscriber {
        queue,
        lagged: lagged.clone(),
    };
    let revoke = identity.as_ref().map(|identity| identity.revoke.clone());
    let mut connection = Connection::new(
        live.app.clone(),
        live.hub.clone(),
        request,
        session,
        out,
        identity,
    );
    let frame = loop {
        if connection.is_revoked() {
            break Some(session_ended());
        }
        tokio::select! {
            () = revoked(revoke.clone()) => break Some(session_ended()),
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
                    if frame.code == SESSION_ENDED {
                        // What the last message answered (a `refresh_cookies`, a navigation)
                        // goes out before the close.
                        while let Ok(text) = outgoing.try_recv() {
                            if sink.send(Message::Text(text.into())).await.is_err() {
                                return;
                            }
                        }
                    }
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

/// `POST /_pulse/set-cookies?token=…`: gives the browser the cookie a socket's session change
/// left for it (one-time token, sent over that socket in `refresh_cookies`). Key changes are
/// applied to the browser's session, which the session layer then saves; a replaced or ended
/// session sets or removes the cookie here. A change for a browser that is someone else by now
/// is dropped. Cross-site requests never get here (the cross-origin check refuses them).
async fn set_cookies(State(live): State<Live>, parts: Parts) -> Response {
    let mut response = (StatusCode::NO_CONTENT, [(CACHE_CONTROL, "no-store")]).into_response();
    let token = form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
        .find(|(name, _)| name == "token")
        .map(|(_, value)| value.into_owned());
    let (Some(token), Some(session), Some(sessions)) = (
        token,
        parts.extensions.get::<Session>(),
        live.server_sessions.as_ref(),
    ) else {
        return response;
    };
    if let Some(handoff) = live.sessions.claim(&token) {
        if let Some(cookie) = sessions.apply(handoff, session) {
            response.headers_mut().append(SET_COOKIE, cookie);
        }
    }
    response
}
