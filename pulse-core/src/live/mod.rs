//! Live connections: client messages, pub/sub channels, page callbacks and the client script.
//! The HTTP endpoints that carry them (`GET /_pulse/ws`, `GET /_pulse/client.js`, the cookie
//! refresh) are in the server (`server/ws.rs`, `Live::router`).
//!
//! [`Live`] holds the live half of an [`App`]: its [`Hub`] of channels and the socket settings
//! (message size limit, allowed origins). The wire protocol is described in
//! [`protocol`] and in the client script.
//!
//! A view's re-render (an attach, an `update`, a callback) sends its HTML and the document
//! title it asks for, computed as for the first document's `<title>` (the view's
//! [`set_title`](crate::PageContext::set_title) in the app's [`Head`](crate::Head) template);
//! the client script sets `document.title` to it, so the tab, the history and screen readers
//! follow the view.
//!
//! Every client message passes the `message` hook and every channel message the `channel` hook;
//! a `Deny` is always answered (`server_error` of kind `deny`, or a channel error reply/event),
//! and the connection stays open.
//!
//! # Bounds and close codes
//!
//! Everything a client can grow is bounded; each bound has a setter on [`Live`]:
//!
//! | bound | default | setter | over it |
//! |---|---|---|---|
//! | message (and frame) size | 1 MiB ([`DEFAULT_MAX_MESSAGE_SIZE`]) | [`Live::max_message_size`] | close 1009 |
//! | outgoing queue per socket | 4 MiB ([`DEFAULT_MAX_QUEUE_BYTES`]) | [`Live::max_queue_bytes`] | close 1008, logged |
//! | subscriptions per socket | 256 ([`DEFAULT_MAX_SUBSCRIPTIONS`]) | [`Live::max_subscriptions`] | error reply `limit_exceeded` |
//! | channel-name length | 256 bytes ([`DEFAULT_MAX_CHANNEL_NAME`]) | [`Live::max_channel_name`] | error reply `limit_exceeded` |
//! | close handshake | 1 s ([`DEFAULT_CLOSE_TIMEOUT`]) | [`Live::close_timeout`] | connection dropped |
//! | silence (nothing received, not even a Pong) | 60 s ([`DEFAULT_IDLE_TIMEOUT`]) | [`Live::idle_timeout`] | close 1001, logged |
//!
//! # Heartbeat
//!
//! The server sends a WebSocket Ping every [`Live::ping_interval`] (default 25 s,
//! [`DEFAULT_PING_INTERVAL`]); browsers answer Pings on their own. A socket that has sent
//! nothing at all (no Pong, no message) for [`Live::idle_timeout`] (default 60 s, more than two
//! intervals) is closed with 1001 (going away) and released like any other closed socket: a
//! peer that vanished without closing its TCP connection (a phone that lost its network, a
//! machine that was switched off) holds nothing for longer than that.
//!
//! The client script sends its own heartbeat, `{"type":"heartbeat"}`, when the socket opens and
//! then at the interval the server's answer (`heartbeat_ack` with `intervalMs`) names; when the
//! previous one is still unanswered at the next beat, it takes the connection for dead (a
//! half-open connection to a server that is gone or hung), closes it and reconnects with its
//! backoff. Heartbeats pass no hook and are answered even while a callback runs.
//!
//! The socket reads with a 4 KiB buffer, grown only for a larger message, and writes each
//! message as it is dequeued (no write buffering; unmasked client frames are refused, as the
//! protocol requires). A Close frame from the client is answered at once, even while a
//! callback of the socket runs (the callback finishes; what it sends is dropped), and
//! everything the socket held (its task, its file descriptor, its subscriptions, its session
//! handle) is released, as on a reset or a read error. Pings are answered and heartbeats
//! counted while a callback runs too; another message waits for the callback.
//! [`Live::shutdown`] closes every socket with 1012 (service restart) so clients reconnect.

mod backend;
pub(crate) mod connection;
pub(crate) mod hub;
pub mod protocol;
pub(crate) mod resume;
pub(crate) mod sessions;
pub(crate) mod sockets;
#[cfg(test)]
mod tests;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde_json::Value;

use crate::app::App;
use crate::request::Scheme;
use crate::sessions::Sessions;
use hub::SocketLimits;
use resume::Views;
use sessions::LiveSessions;
use sockets::Sockets;

pub use backend::{ChannelBackend, HubGone, InProcess, Inbox};
pub use hub::{ChannelEvent, Hub};
pub use protocol::{ErrorBody, ErrorKind};
pub use resume::{DEFAULT_MAX_VIEWS, DEFAULT_VIEW_GRACE};

/// The default largest client message: 1 MiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 1 << 20;

/// How many `rate_limited` answers a socket may get within a minute before it is closed with
/// 1008 (policy): far more than a client that backs off ever gets. See
/// [`Live::abuse_limit`].
pub const DEFAULT_ABUSE_LIMIT: u32 = 20_000;

/// The path of the WebSocket endpoint.
pub const WS_PATH: &str = "/_pulse/ws";
/// The path of the client script.
pub const CLIENT_JS_PATH: &str = "/_pulse/client.js";
/// The path the client posts to (with the one-time token of a `refresh_cookies` message) to
/// store a session changed over the WebSocket.
pub const SET_COOKIES_PATH: &str = "/_pulse/set-cookies";

/// The default bound of one socket's outgoing queue: 4 MiB of messages.
pub const DEFAULT_MAX_QUEUE_BYTES: usize = 4 << 20;
/// The default number of channels one socket may subscribe to.
pub const DEFAULT_MAX_SUBSCRIPTIONS: usize = 256;
/// The default longest channel name, in bytes.
pub const DEFAULT_MAX_CHANNEL_NAME: usize = 256;
/// The default time a close handshake may take before the connection is dropped.
pub const DEFAULT_CLOSE_TIMEOUT: Duration = Duration::from_secs(1);
/// The default time between two Pings the server sends on a socket (and between two client
/// heartbeats): 25 s, under the 30–60 s after which common proxies and load balancers drop a
/// quiet connection. See [`Live::ping_interval`].
pub const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(25);
/// The default time a socket may stay silent (no Pong, no message) before the server closes it:
/// 60 s, two missed Pings and some slack, as Phoenix's default socket timeout. See
/// [`Live::idle_timeout`].
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// The client script, served at [`CLIENT_JS_PATH`].
pub(crate) const CLIENT_JS: &str = include_str!("client.js");

/// The live half of an app: WebSocket settings and the pub/sub [`Hub`]. Cheap to clone.
///
/// [`Server`](crate::Server) serves `app.live()` by default; configure it and hand it over with
/// [`Server::live`](crate::Server::live):
///
/// ```no_run
/// # use pulse_core as ps;
/// # async fn home(_: ps::PageContext) -> ps::Markup { ps::PreEscaped(String::new()) }
/// # async fn run() -> std::io::Result<()> {
/// let app = ps::App::new(ps::Routes::new().route("/", home), ());
/// let live = app
///     .live()
///     .max_message_size(64 * 1024)
///     .allow_origin("https://admin.example.com")
///     .on_channel("chat", |event: ps::ChannelEvent| async move {
///         // Reaches every subscriber, the sender included; the value is the sender's reply.
///         event.hub().publish("chat:log", &event.event, event.payload.clone());
///         Ok(serde_json::json!({"stored": true}))
///     });
/// app.server().live(live).serve("127.0.0.1:8000").await
/// # }
/// ```
#[derive(Clone)]
pub struct Live {
    pub(crate) app: App,
    pub(crate) hub: Hub,
    pub(crate) sessions: LiveSessions,
    /// The HTTP server's sessions, when served by one: socket changes are stored through them.
    pub(crate) server_sessions: Option<Sessions>,
    pub(crate) views: Views,
    pub(crate) max_message_size: usize,
    pub(crate) limits: SocketLimits,
    pub(crate) close_timeout: Duration,
    pub(crate) ping_interval: Duration,
    pub(crate) idle_timeout: Duration,
    pub(crate) sockets: Sockets,
    pub(crate) allowed_origins: Vec<String>,
    pub(crate) any_origin: bool,
    pub(crate) scheme: Scheme,
    pub(crate) abuse_limit: u32,
}

impl fmt::Debug for Live {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Live")
            .field("max_message_size", &self.max_message_size)
            .field("max_queue_bytes", &self.limits.max_queue_bytes)
            .field("max_subscriptions", &self.limits.max_subscriptions)
            .field("max_channel_name", &self.limits.max_channel_name)
            .field("close_timeout", &self.close_timeout)
            .field("ping_interval", &self.ping_interval)
            .field("idle_timeout", &self.idle_timeout)
            .field("connections", &self.connections())
            .field("allowed_origins", &self.allowed_origins)
            .field("any_origin", &self.any_origin)
            .finish_non_exhaustive()
    }
}

impl Live {
    /// The live half of `app` with the defaults: 1 MiB messages, same-origin sockets only, and
    /// the bounds listed in the [module docs](self).
    pub fn new(app: App) -> Live {
        Live {
            app,
            hub: Hub::default(),
            sessions: LiveSessions::default(),
            server_sessions: None,
            views: Views::default(),
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            limits: SocketLimits {
                max_queue_bytes: DEFAULT_MAX_QUEUE_BYTES,
                max_subscriptions: DEFAULT_MAX_SUBSCRIPTIONS,
                max_channel_name: DEFAULT_MAX_CHANNEL_NAME,
            },
            close_timeout: DEFAULT_CLOSE_TIMEOUT,
            ping_interval: DEFAULT_PING_INTERVAL,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            sockets: Sockets::default(),
            allowed_origins: Vec::new(),
            any_origin: false,
            scheme: Scheme::Http,
            abuse_limit: DEFAULT_ABUSE_LIMIT,
        }
    }

    /// Sets the largest client message (and frame) in bytes (default 1 MiB); a larger one
    /// closes the connection with 1009.
    pub fn max_message_size(mut self, bytes: usize) -> Live {
        self.max_message_size = bytes;
        self
    }

    /// How long a view's state is kept after its socket closed, for the page to reconnect and
    /// resume it (default [`DEFAULT_VIEW_GRACE`], 2 minutes). The client attaches each view
    /// with a random view id drawn once per page load; an `attach` with the same view id from
    /// the same session within this time gets the view's [`ViewState`](crate::ViewState) back.
    /// State is kept in this process only: after a restart views start afresh (keep what must
    /// survive in the [`Session`](crate::Session) or a store). `Duration::ZERO` keeps nothing
    /// past the socket.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// # use std::time::Duration;
    /// # async fn home(_: ps::PageContext) -> ps::Markup { ps::PreEscaped(String::new()) }
    /// let app = ps::App::new(ps::Routes::new().route("/", home), ());
    /// let live = app.live().view_grace(Duration::from_secs(30)).max_views(10_000);
    /// # let _ = live;
    /// ```
    pub fn view_grace(mut self, grace: Duration) -> Live {
        self.views.grace = grace;
        self
    }

    /// The most views kept, attached or waiting for a reconnect (default
    /// [`DEFAULT_MAX_VIEWS`]). When full, the view whose socket closed longest ago is dropped;
    /// views attached beyond it work but do not survive a reconnect.
    pub fn max_views(mut self, max: usize) -> Live {
        self.views.max = max;
        self
    }

    /// Sets how many bytes of messages may wait to be written to one socket (default 4 MiB).
    /// A socket whose client reads too slowly to stay under it is closed with 1008 and a
    /// warning is logged; publishers never wait for it.
    pub fn max_queue_bytes(mut self, bytes: usize) -> Live {
        self.limits.max_queue_bytes = bytes;
        self
    }

    /// Sets how many channels one socket may subscribe to (default 256); one more is answered
    /// with an error of kind `limit_exceeded`.
    pub fn max_subscriptions(mut self, count: usize) -> Live {
        self.limits.max_subscriptions = count;
        self
    }

    /// Sets the longest channel name in bytes (default 256); a longer one is answered with an
    /// error of kind `limit_exceeded`.
    pub fn max_channel_name(mut self, bytes: usize) -> Live {
        self.limits.max_channel_name = bytes;
        self
    }

    /// Sets how long a close handshake may take (default 1 s): after it the connection is
    /// dropped even if the client never answers or never reads.
    pub fn close_timeout(mut self, timeout: Duration) -> Live {
        self.close_timeout = timeout;
        self
    }

    /// Sets how often the server sends a WebSocket Ping on each socket (default 25 s,
    /// [`DEFAULT_PING_INTERVAL`]); the client script sends its heartbeat at the same interval
    /// and takes a connection whose heartbeat is still unanswered one interval later for dead.
    /// `Duration::ZERO` sends no Pings and tells clients to send no heartbeats. Keep it well
    /// under [`idle_timeout`](Self::idle_timeout), so that a live client answers in time.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// # use std::time::Duration;
    /// # async fn home(_: ps::PageContext) -> ps::Markup { ps::PreEscaped(String::new()) }
    /// let app = ps::App::new(ps::Routes::new().route("/", home), ());
    /// // Behind a proxy that drops connections quiet for 20 s: ping more often.
    /// let live = app
    ///     .live()
    ///     .ping_interval(Duration::from_secs(10))
    ///     .idle_timeout(Duration::from_secs(30));
    /// # let _ = live;
    /// ```
    pub fn ping_interval(mut self, interval: Duration) -> Live {
        self.ping_interval = interval;
        self
    }

    /// Sets how long a socket may stay silent — no Pong, no message, no heartbeat — before the
    /// server closes it with 1001 (going away) and releases everything it held (default 60 s,
    /// [`DEFAULT_IDLE_TIMEOUT`]). Browsers answer the server's Pings on their own, so only a
    /// peer that is gone (or hung) stays silent that long. `Duration::ZERO` never closes a
    /// silent socket. See [`ping_interval`](Self::ping_interval) for an example.
    pub fn idle_timeout(mut self, timeout: Duration) -> Live {
        self.idle_timeout = timeout;
        self
    }

    /// The number of open WebSocket connections (accepted upgrades whose socket has not been
    /// released yet).
    pub fn connections(&self) -> usize {
        self.sockets.open()
    }

    /// Closes every socket with 1012 (service restart, so clients reconnect) and refuses new
    /// ones with 503; completes when every socket is released. Bound the wait with a timeout:
    ///
    /// ```no_run
    /// # async fn run(live: pulse_core::Live) {
    /// let _ = tokio::time::timeout(std::time::Duration::from_secs(10), live.shutdown()).await;
    /// # }
    /// ```
    ///
    /// [`Server::serve`](crate::Server::serve) does this on Ctrl-C or SIGTERM; call it yourself
    /// when serving [`Live::router`] with your own server.
    pub async fn shutdown(&self) {
        self.sockets.shutdown().await;
    }

    /// Also accepts sockets from pages served by `origin` (`https://app.example.com`; scheme,
    /// host and port must all match).
    ///
    /// # Panics
    /// When `origin` is not `scheme://host[:port]`.
    pub fn allow_origin(mut self, origin: impl Into<String>) -> Live {
        let origin = origin.into();
        let parsed = crate::sessions::csrf::parse_origin(&origin)
            .unwrap_or_else(|| panic!("allowed origin {origin:?} is not `scheme://host[:port]`"));
        self.allowed_origins.push(parsed);
        self
    }

    /// Accepts sockets from any origin. Pages of other sites can then open sockets with your
    /// users' cookies: use only when every `connect` hook checks something a cookie is not.
    pub fn allow_any_origin(mut self) -> Live {
        self.any_origin = true;
        self
    }

    /// Closes a socket with 1008 once it has been answered `rate_limited` more than `limit`
    /// times within a minute (default [`DEFAULT_ABUSE_LIMIT`]): a client that keeps sending
    /// over its [`RateLimit`](crate::RateLimit) instead of waiting `retryAfterMs`.
    pub fn abuse_limit(mut self, limit: u32) -> Live {
        self.abuse_limit = limit;
        self
    }

    /// Adds a handler for channels matching `pattern` (see [`Hub::handle`]).
    pub fn on_channel<F, Fut>(self, pattern: impl Into<String>, handler: F) -> Live
    where
        F: Fn(ChannelEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, String>> + Send + 'static,
    {
        self.hub.handle(pattern, handler);
        self
    }

    /// Carries channel events to the other instances of the app through `backend` (default:
    /// [`InProcess`], a single instance). See [`ChannelBackend`] for where the `channel` hook
    /// runs. Replaces an earlier backend; set it before serving.
    pub fn channel_backend(self, backend: impl ChannelBackend) -> Live {
        self.hub.set_backend(std::sync::Arc::new(backend));
        self
    }

    /// The scheme browsers reach the app with, as hooks see it (set by the server).
    pub(crate) fn with_scheme(mut self, scheme: Scheme) -> Live {
        self.scheme = scheme;
        self
    }

    /// Stores socket session changes through the server's `sessions`, and closes the sockets of
    /// every session revoked on its bus.
    pub(crate) fn with_sessions(mut self, sessions: Sessions) -> Live {
        let registry = self.sessions.clone();
        sessions
            .bus()
            .subscribe(std::sync::Arc::new(move |key: &str| registry.revoke(key)));
        self.server_sessions = Some(sessions);
        self
    }

    /// The pub/sub hub, to publish from anywhere in the app.
    pub fn hub(&self) -> &Hub {
        &self.hub
    }

    /// The app.
    pub fn app(&self) -> &App {
        &self.app
    }
}

impl App {
    /// The live half of this app with default settings (see [`Live`]).
    pub fn live(&self) -> Live {
        Live::new(self.clone())
    }
}
