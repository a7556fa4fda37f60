//! The HTTP side of live connections: `GET /_pulse/ws` (origin check, `connect` hook, upgrade,
//! frame loop), `GET /_pulse/client.js` and `POST /_pulse/set-cookies`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade, close_code};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use http::header::{CACHE_CONTROL, CONTENT_TYPE, ORIGIN, SET_COOKIE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode, Uri};
use tokio::sync::{oneshot, watch};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tracing::Instrument;

use crate::live::connection::{Connection, Identity};
use crate::live::hub::Subscriber;
use crate::live::protocol::{heartbeat_ack, is_heartbeat};
use crate::live::sessions::Revoke;
use crate::live::sockets::Open;
use crate::live::{CLIENT_JS, CLIENT_JS_PATH, Live, SET_COOKIES_PATH, WS_PATH};
use crate::outcome::ConnectResponse;
use crate::peer::ConnectionSlot;
use crate::request::Request;
use crate::server::session_cookie;
use crate::session::Session;
use crate::sessions::csrf::{parse_origin, same_origin};
use crate::sessions::request_and_session;

/// The close code of a socket whose session ended or changed id (the client reconnects, and
/// `connect` decides again who it is).
pub(crate) const SESSION_ENDED: u16 = 4001;

/// Bytes read from a socket at a time. tungstenite's default (128 KiB) is held by every idle
/// connection; messages of the protocol are small, and larger ones are read in several steps.
const READ_BUFFER: usize = 4 * 1024;

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
    if live.sockets.is_shutting_down() {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(CONTENT_TYPE, "application/json")],
            r#"{"error":"server is shutting down"}"#,
        )
            .into_response();
    }
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    // Header values copied, so the socket does not keep hyper's read buffer alive.
    let (request, loaded) = request_and_session(&owned_parts(&parts), live.scheme);
    // Each socket has its own handle on the session it was opened with: it acts as that
    // identity only, and is registered so that ending or rotating the session closes it.
    let session = loaded;
    let identity = live.server_sessions.clone().map(|sessions| {
        let mut identity = Identity {
            sessions,
            live: live.sessions.clone(),
            cookie: session_cookie(&parts.headers),
            revoke: Arc::new(Revoke::default()),
            registration: None,
            registered: None,
            checked: std::time::Instant::now(),
        };
        identity.register(&session);
        identity
    });
    match live.app.connect(&request, &session).await {
        ConnectResponse::Ok => {}
        ConnectResponse::Deny => return refuse("connection denied"),
        ConnectResponse::TooManyRequests(limited) => return limited.into_response(),
    }
    // The HTTP connection's slot under the server's connection limit, kept while the socket is
    // open.
    let slot = parts.extensions.get::<ConnectionSlot>().cloned();
    let open = live.sockets.open_one();
    let span = tracing::info_span!("pulse.socket", id = open.id, client = ?request.client());
    let limit = live.max_message_size;
    upgrade
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| {
            // Boxed: the task of an idle socket then holds only a pointer to its state.
            Box::pin(
                serve(
                    live,
                    socket,
                    request,
                    session,
                    identity,
                    Guards {
                        _open: open,
                        _slot: slot,
                    },
                )
                .instrument(span),
            )
        })
}

/// The parts of the upgrade request a socket keeps, with the target and header values copied:
/// hyper's point into its 8 KiB read buffer, which a kept value would keep alive for the
/// socket's life (4 KiB more per idle socket for the target alone).
fn owned_parts(parts: &Parts) -> Parts {
    let (mut owned, ()) = http::Request::new(()).into_parts();
    owned.method = parts.method.clone();
    owned.uri = Uri::try_from(parts.uri.to_string()).unwrap_or_else(|_| parts.uri.clone());
    owned.extensions = parts.extensions.clone();
    owned.headers = HeaderMap::with_capacity(parts.headers.len());
    for (name, value) in &parts.headers {
        let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.headers.append(name.clone(), copy);
    }
    owned
}

/// What an open socket holds until it is released.
struct Guards {
    _open: Open,
    _slot: Option<ConnectionSlot>,
}

/// How the frame loop ended.
enum End {
    /// The client sent Close: answer it.
    Answer,
    /// The server closes with this frame.
    Close(CloseFrame),
    /// The connection is gone (reset, end of stream, failed write): nothing to send.
    Gone,
}

/// Completes when `revoke` fires; never without one.
async fn revoked(revoke: Option<Arc<Revoke>>) {
    match revoke {
        Some(revoke) => revoke.revoked().await,
        None => std::future::pending().await,
    }
}

fn session_ended() -> End {
    End::Close(CloseFrame {
        code: SESSION_ENDED,
        reason: "session ended".into(),
    })
}

async fn serve(
    live: Live,
    socket: WebSocket,
    request: Request,
    session: Session,
    identity: Option<Identity>,
    guards: Guards,
) {
    let (sink, mut stream) = socket.split();
    let out = Subscriber::new(live.limits);
    let (close, closing) = oneshot::channel();
    // Taken when the client's Close is answered (during a callback, or after the loop).
    let mut close = Some(close);
    let mut writer = tokio::spawn(write(sink, out.clone(), closing, live.ping_interval));
    let revoke = identity.as_ref().map(|identity| identity.revoke.clone());
    let mut connection = Connection::new(
        live.app.clone(),
        live.hub.clone(),
        request,
        session,
        out.clone(),
        identity,
    )
    .resuming(live.views.clone());
    connection.set_abuse_limit(live.abuse_limit);
    let mut shutdown = live.sockets.shutdown_signal();
    let heartbeat = Heartbeat::new(&live);
    // When the client was last heard from; the idle timer is moved up to it when it fires.
    let mut last_seen = Instant::now();
    let idle = tokio::time::sleep(heartbeat.idle_timeout);
    tokio::pin!(idle);
    // A frame read while a message was being handled: handled next.
    let mut held: Option<Message> = None;
    tracing::debug!("socket open");
    let end = loop {
        if connection.is_revoked() {
            break session_ended();
        }
        let frame = tokio::select! {
            biased;
            () = shutting_down(&mut shutdown) => {
                break End::Close(CloseFrame { code: close_code::RESTART, reason: "server restart".into() });
            }
            () = revoked(revoke.clone()) => break session_ended(),
            () = out.overflowed() => {
                tracing::warn!(
                    max_queue_bytes = live.limits.max_queue_bytes,
                    "socket closed: its client reads too slowly (outgoing queue over its bound)"
                );
                break End::Close(CloseFrame { code: close_code::POLICY, reason: "too slow".into() });
            }
            _ = &mut writer => break End::Gone,
            // A message read while the previous one was handled, before the next read
            // (and after the checks above, which a busy client cannot hold off).
            () = std::future::ready(()), if held.is_some() => {
                held.take().map(Ok::<Message, axum::Error>)
            }
            // Read before the idle timer: frames that arrived while a long message was
            // handled count.
            frame = stream.next() => frame,
            () = &mut idle, if heartbeat.idle_on() => {
                let due = last_seen + heartbeat.idle_timeout;
                if Instant::now() < due {
                    idle.as_mut().reset(due);
                    continue;
                }
                tracing::info!(
                    idle_timeout_ms = u64::try_from(heartbeat.idle_timeout.as_millis()).unwrap_or(u64::MAX),
                    "socket closed: nothing received (not even a Pong) within the idle timeout"
                );
                break End::Close(CloseFrame { code: close_code::AWAY, reason: "idle timeout".into() });
            }
        };
        if let Some(Ok(_)) = &frame {
            last_seen = Instant::now();
        }
        match frame {
            Some(Ok(Message::Text(text))) => {
                if heartbeat.answer(&text, &out) {
                    continue;
                }
                // Boxed: the handling of a message is large, and only one runs at a time.
                let meanwhile = Box::pin(handle_reading(
                    &mut connection,
                    text.as_str(),
                    &mut stream,
                    &heartbeat,
                    &out,
                    &mut close,
                    &mut last_seen,
                ))
                .await;
                if let Some(end) = meanwhile.end {
                    break end;
                }
                held = meanwhile.held;
                if connection.is_abusive() {
                    tracing::info!(target: "pulse::rate_limit", client = ?connection.client(), "closing a socket that keeps sending over its rate limit");
                    break End::Close(CloseFrame {
                        code: close_code::POLICY,
                        reason: "rate limit exceeded".into(),
                    });
                }
            }
            Some(Ok(Message::Binary(_))) => connection.reject_binary().await,
            Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
            Some(Ok(Message::Close(_))) => break End::Answer,
            None => break End::Gone,
            Some(Err(error)) => break read_error(error),
        }
    };
    // Release what the socket holds before the (bounded) close handshake.
    connection.close();
    drop(connection);
    // A socket closed for its session keeps what its last message answered (a
    // `refresh_cookies`, a navigation): the writer sends it before the Close.
    if !matches!(&end, End::Close(frame) if frame.code == SESSION_ENDED) {
        out.close();
    }
    let deadline = Instant::now() + live.close_timeout;
    match end {
        End::Gone => writer.abort(),
        End::Answer => {
            if let Some(close) = close.take() {
                let _ = close.send(None);
            }
            finish(writer, deadline).await;
        }
        End::Close(frame) => {
            let code = frame.code;
            if let Some(close) = close.take() {
                let _ = close.send(Some(frame));
            }
            if finish(writer, deadline).await {
                // Wait for the client's Close, so it sees a clean close.
                let _ = tokio::time::timeout_at(deadline, async {
                    while let Some(Ok(message)) = stream.next().await {
                        if matches!(message, Message::Close(_)) {
                            break;
                        }
                    }
                })
                .await;
            }
            tracing::debug!(code, "socket closed by the server");
        }
    }
    drop(guards);
}

/// The heartbeat settings of a socket, and its answer to a client `heartbeat`.
struct Heartbeat {
    idle_timeout: std::time::Duration,
    ack: Utf8Bytes,
}

impl Heartbeat {
    fn new(live: &Live) -> Heartbeat {
        Heartbeat {
            idle_timeout: live.idle_timeout,
            ack: heartbeat_ack(live.ping_interval).into(),
        }
    }

    /// Whether silent sockets are closed.
    fn idle_on(&self) -> bool {
        !self.idle_timeout.is_zero()
    }

    /// Answers `text` when it is a client heartbeat; `false` for any other message.
    fn answer(&self, text: &str, out: &Subscriber) -> bool {
        if !is_heartbeat(text) {
            return false;
        }
        out.offer(self.ack.clone());
        true
    }
}

/// What the socket read while a message was handled.
#[derive(Default)]
struct Meanwhile {
    /// A message to handle next (reading stops until then).
    held: Option<Message>,
    /// The socket ends once the message is handled: the client's Close (answered already), a
    /// reset, a read error.
    end: Option<End>,
}

/// Handles `text` while reading the socket: Pings are answered (by tungstenite, on the next
/// read), heartbeats answered, a Close answered at once — the client sees its close handshake
/// finish even when a callback takes long; the callback still runs to its end, and what it
/// sends is dropped. The first other message waits for the callback (reading stops).
async fn handle_reading(
    connection: &mut Connection,
    text: &str,
    stream: &mut SplitStream<WebSocket>,
    heartbeat: &Heartbeat,
    out: &Subscriber,
    close: &mut Option<oneshot::Sender<Option<CloseFrame>>>,
    last_seen: &mut Instant,
) -> Meanwhile {
    let handling = connection.handle(text);
    tokio::pin!(handling);
    let mut meanwhile = Meanwhile::default();
    loop {
        let reading = meanwhile.held.is_none() && meanwhile.end.is_none();
        tokio::select! {
            biased;
            () = &mut handling => return meanwhile,
            frame = stream.next(), if reading => match frame {
                Some(Ok(message)) => {
                    *last_seen = Instant::now();
                    match message {
                        Message::Ping(_) | Message::Pong(_) => {}
                        Message::Text(text) if heartbeat.answer(&text, out) => {}
                        Message::Close(_) => {
                            if let Some(close) = close.take() {
                                let _ = close.send(None);
                            }
                            tracing::debug!("client closed the socket during a callback: answered, the callback finishes");
                            meanwhile.end = Some(End::Answer);
                        }
                        other => meanwhile.held = Some(other),
                    }
                }
                None => meanwhile.end = Some(End::Gone),
                Some(Err(error)) => meanwhile.end = Some(read_error(error)),
            },
        }
    }
}

/// Completes when the server shuts down.
async fn shutting_down(shutdown: &mut watch::Receiver<bool>) {
    if shutdown.wait_for(|down| *down).await.is_err() {
        std::future::pending::<()>().await;
    }
}

/// Waits for the writer until `deadline`, then stops it; `true` when it finished in time.
async fn finish(mut writer: JoinHandle<()>, deadline: Instant) -> bool {
    match tokio::time::timeout_at(deadline, &mut writer).await {
        Ok(_) => true,
        Err(_) => {
            writer.abort();
            false
        }
    }
}

/// How a read error ends the socket: 1009 for a message over the limit, 1007 for text that is
/// not UTF-8, 1002 for another protocol error; nothing to send when the connection is gone.
fn read_error(error: axum::Error) -> End {
    let inner = error.into_inner();
    let Some(error) = inner.downcast_ref::<tungstenite::Error>() else {
        tracing::debug!(error = %inner, "websocket read failed");
        return End::Gone;
    };
    let (code, reason) = match error {
        tungstenite::Error::Capacity(_) => (close_code::SIZE, "message too big"),
        tungstenite::Error::Utf8(_) => (close_code::INVALID, "invalid UTF-8"),
        tungstenite::Error::Protocol(
            tungstenite::error::ProtocolError::ResetWithoutClosingHandshake,
        )
        | tungstenite::Error::Io(_)
        | tungstenite::Error::ConnectionClosed
        | tungstenite::Error::AlreadyClosed => return End::Gone,
        other => {
            tracing::debug!(error = %other, "websocket protocol error");
            (close_code::PROTOCOL, "protocol error")
        }
    };
    End::Close(CloseFrame {
        code,
        reason: reason.into(),
    })
}

/// Writes queued messages until asked to close: then sends the given Close frame, or (with
/// `None`) flushes the answer to the client's Close.
async fn write(
    mut sink: SplitSink<WebSocket, Message>,
    out: Subscriber,
    mut closing: oneshot::Receiver<Option<CloseFrame>>,
    ping_interval: std::time::Duration,
) {
    // The first Ping one interval after the upgrade; a late tick is not made up for.
    let mut ping = (!ping_interval.is_zero()).then(|| {
        let mut ping = tokio::time::interval_at(Instant::now() + ping_interval, ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping
    });
    loop {
        tokio::select! {
            biased;
            frame = &mut closing => {
                let frame = frame.ok().flatten();
                if frame.as_ref().is_some_and(|f| f.code == SESSION_ENDED) {
                    while let Some(text) = out.try_next() {
                        if sink.send(Message::Text(text)).await.is_err() {
                            return;
                        }
                    }
                }
                return close_with(&mut sink, frame).await;
            }
            // Before the queue: a client busy reading must still be pinged (and answer).
            _ = tick(&mut ping) => {
                if sink.send(Message::Ping(Bytes::new())).await.is_err() {
                    return;
                }
            }
            text = out.next() => match text {
                Some(text) => {
                    if sink.send(Message::Text(text)).await.is_err() {
                        return;
                    }
                }
                None => return close_with(&mut sink, closing.await.ok().flatten()).await,
            },
        }
    }
}

/// The next tick of `ping`; never without one.
async fn tick(ping: &mut Option<tokio::time::Interval>) {
    match ping {
        Some(ping) => {
            ping.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn close_with(sink: &mut SplitSink<WebSocket, Message>, frame: Option<CloseFrame>) {
    let _ = match frame {
        Some(frame) => sink.send(Message::Close(Some(frame))).await,
        None => sink.close().await,
    };
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
    if let Some(handoff) = live.sessions.claim(&token)
        && let Some(cookie) = sessions.apply(handoff, session)
    {
        response.headers_mut().append(SET_COOKIE, cookie);
    }
    response
}

#[cfg(test)]
mod tests {
    use axum::body::Bytes;
    use http::{HeaderValue, Uri};

    use super::owned_parts;

    /// hyper hands the target and header values out as slices of its read buffer: what a socket
    /// keeps must not hold that buffer for the socket's life.
    #[test]
    fn a_socket_keeps_nothing_of_the_read_buffer() {
        let buffer = Bytes::from(b"/_pulse/ws?v=1 example.com pulse.sid=abc".to_vec());
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.uri = Uri::from_maybe_shared(buffer.slice(0..14)).unwrap();
        parts.headers.insert(
            http::header::HOST,
            HeaderValue::from_maybe_shared(buffer.slice(15..26)).unwrap(),
        );
        parts.headers.insert(
            http::header::COOKIE,
            HeaderValue::from_maybe_shared(buffer.slice(27..)).unwrap(),
        );
        assert!(
            !buffer.is_unique(),
            "the parts share the buffer, as hyper's do"
        );
        let kept = owned_parts(&parts);
        drop(parts);
        assert!(
            buffer.is_unique(),
            "the kept parts still point into the read buffer"
        );
        assert_eq!(kept.uri, "/_pulse/ws?v=1");
        assert_eq!(kept.headers[http::header::HOST], "example.com");
        assert_eq!(kept.headers[http::header::COOKIE], "pulse.sid=abc");
    }
}
