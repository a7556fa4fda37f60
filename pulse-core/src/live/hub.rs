//! [`Hub`]: named pub/sub channels, their subscribers (connections) and the app's channel
//! handlers.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};

use axum::extract::ws::Utf8Bytes;
use futures_util::FutureExt;
use futures_util::future::BoxFuture;
use serde_json::Value;
use tokio::sync::Notify;

use super::backend::{ChannelBackend, Deliver, Inbox};
use super::protocol::{ChannelOut, ErrorBody, ErrorKind};
use crate::dispatch::panic_message;
use crate::session::Session;

/// The bounds of one socket, checked by its connection (see [`Live`](super::Live) for the
/// defaults and the setters).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SocketLimits {
    /// The most bytes of messages waiting in the outgoing queue.
    pub(crate) max_queue_bytes: usize,
    /// The most channels one socket may be subscribed to.
    pub(crate) max_subscriptions: usize,
    /// The longest channel name, in bytes.
    pub(crate) max_channel_name: usize,
}

/// A connection's outgoing queue, bounded in bytes, as the hub and the connection hold it.
/// Offering never waits: a message that would take the queue over its bound is dropped and
/// the socket is told to close (1008) instead of slowing publishers down or growing without
/// end. A clone shares the queue.
#[derive(Clone, Debug)]
pub(crate) struct Subscriber {
    inner: Arc<Outbox>,
}

#[derive(Debug)]
struct Outbox {
    queue: Mutex<Queue>,
    /// Wakes the writer: a message was queued, or the queue closed.
    ready: Notify,
    /// Wakes the socket: the queue went over its bound.
    over: Notify,
    limits: SocketLimits,
}

#[derive(Debug, Default)]
struct Queue {
    messages: VecDeque<Utf8Bytes>,
    bytes: usize,
    closed: bool,
}

impl Subscriber {
    /// An empty queue with these bounds.
    pub(crate) fn new(limits: SocketLimits) -> Subscriber {
        Subscriber {
            inner: Arc::new(Outbox {
                queue: Mutex::new(Queue::default()),
                ready: Notify::new(),
                over: Notify::new(),
                limits,
            }),
        }
    }

    fn queue(&self) -> MutexGuard<'_, Queue> {
        // No user code runs while the lock is held.
        self.inner
            .queue
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The socket's bounds.
    pub(crate) fn limits(&self) -> SocketLimits {
        self.inner.limits
    }

    /// Queues `text` without waiting. `false` when the socket is closed, or when the message
    /// would take the queue over its bound: then the message is dropped and the socket told to
    /// close (see [`Subscriber::overflowed`]).
    pub(crate) fn offer(&self, text: impl Into<Utf8Bytes>) -> bool {
        let text = text.into();
        let mut queue = self.queue();
        if queue.closed {
            return false;
        }
        if queue.bytes.saturating_add(text.len()) > self.inner.limits.max_queue_bytes {
            drop(queue);
            self.inner.over.notify_one();
            return false;
        }
        queue.bytes += text.len();
        queue.messages.push_back(text);
        drop(queue);
        self.inner.ready.notify_one();
        true
    }

    /// The next message to write, waiting for one; `None` once the queue is closed.
    pub(crate) async fn next(&self) -> Option<Utf8Bytes> {
        loop {
            let ready = self.inner.ready.notified();
            if let Some(next) = self.try_next() {
                return Some(next);
            }
            if self.queue().closed {
                return None;
            }
            ready.await;
        }
    }

    /// The next message to write, if one is waiting.
    pub(crate) fn try_next(&self) -> Option<Utf8Bytes> {
        let mut queue = self.queue();
        let next = queue.messages.pop_front()?;
        queue.bytes -= next.len();
        Some(next)
    }

    /// Completes when a message was refused for taking the queue over its bound.
    pub(crate) async fn overflowed(&self) {
        self.inner.over.notified().await;
    }

    /// Closes the queue: what waits in it is dropped and later offers are refused.
    pub(crate) fn close(&self) {
        let mut queue = self.queue();
        queue.closed = true;
        queue.bytes = 0;
        queue.messages = VecDeque::new();
        drop(queue);
        self.inner.ready.notify_one();
    }
}

/// What a channel handler is given: one message published by a client (after the `channel`
/// hook allowed it).
#[derive(Debug, Clone)]
pub struct ChannelEvent {
    /// The channel's name.
    pub channel: String,
    /// The event name.
    pub event: String,
    /// The payload.
    pub payload: Value,
    /// The publishing browser's session.
    pub session: Session,
    hub: Hub,
}

impl ChannelEvent {
    /// The hub, to publish further events (to everyone on a channel, sender included).
    pub fn hub(&self) -> &Hub {
        &self.hub
    }
}

type Handler = Arc<dyn Fn(ChannelEvent) -> BoxFuture<'static, Result<Value, String>> + Send + Sync>;

/// The pub/sub hub of an app's live connections. Cheap to clone (a shared handle).
///
/// A channel exists while it has a subscriber or the app has a handler for it; a message for any
/// other channel is answered with an error of kind `not_found`.
///
/// ```
/// use pulse_core as ps;
///
/// let app = ps::App::new(ps::Routes::new().route("/", |_: ps::PageContext| async { ps::html! {} }), ());
/// let live = app.live();
/// // Clone the handle into a background task or an endpoint to publish from there.
/// let hub = live.hub().clone();
/// let reached = hub.publish("news", "posted", serde_json::json!({"title": "Hello"}));
/// assert_eq!(reached, 0); // no browser subscribed yet
/// assert_eq!(hub.subscribers("news"), 0);
/// ```
#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<HubInner>,
}

#[derive(Default)]
struct HubInner {
    channels: Mutex<HashMap<String, HashMap<u64, Subscriber>>>,
    /// Carries events to other instances; `None` is the in-process default.
    backend: RwLock<Option<Arc<dyn ChannelBackend>>>,
    /// Patterns (an exact name, or a prefix ending in `*`) and their handlers.
    handlers: RwLock<Vec<(String, Handler)>>,
    next_id: AtomicU64,
}

impl fmt::Debug for Hub {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hub")
            .field("channels", &self.channels().len())
            .finish_non_exhaustive()
    }
}

impl Hub {
    fn channels(&self) -> MutexGuard<'_, HashMap<String, HashMap<u64, Subscriber>>> {
        // No user code runs while the lock is held.
        self.inner
            .channels
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a handler for the channels matching `pattern`: an exact name (`"chat"`) or a prefix
    /// ending in `*` (`"room:*"`). The handler's `Ok` value is the reply to a request; its `Err`
    /// is sent as an error of kind `rejected`.
    pub fn handle<F, Fut>(&self, pattern: impl Into<String>, handler: F)
    where
        F: Fn(ChannelEvent) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, String>> + Send + 'static,
    {
        let handler: Handler = Arc::new(move |event| Box::pin(handler(event)));
        self.inner
            .handlers
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .push((pattern.into(), handler));
    }

    fn handler_for(&self, channel: &str) -> Option<Handler> {
        let handlers = self
            .inner
            .handlers
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        handlers
            .iter()
            .find(|(pattern, _)| match pattern.strip_suffix('*') {
                Some(prefix) => channel.starts_with(prefix),
                None => pattern == channel,
            })
            .map(|(_, handler)| handler.clone())
    }

    /// Publishes an event to every subscriber of `channel`; returns how many were reached on
    /// this instance (the [backend](super::ChannelBackend) takes it to the other instances).
    pub fn publish(&self, channel: &str, event: &str, payload: Value) -> usize {
        let text = ChannelOut::event(channel, event, payload).to_text();
        // Queued for the other instances first: the local fan-out takes the text.
        self.forward(channel, &text);
        self.fan_out(channel, None, text)
    }

    /// Carries this hub's events to other instances through `backend` from now on.
    pub(crate) fn set_backend(&self, backend: Arc<dyn ChannelBackend>) {
        backend.start(Inbox {
            hub: Arc::new(HubRef(Arc::downgrade(&self.inner))),
        });
        *self
            .inner
            .backend
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(backend);
    }

    fn backend(&self) -> Option<Arc<dyn ChannelBackend>> {
        let backend = self.inner.backend.read();
        backend.unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Hands an event delivered here to the backend, for the other instances.
    fn forward(&self, channel: &str, text: &str) {
        if let Some(backend) = self.backend() {
            backend.publish(channel, text);
        }
    }

    /// The number of connections subscribed to `channel`.
    pub fn subscribers(&self, channel: &str) -> usize {
        self.channels().get(channel).map_or(0, HashMap::len)
    }

    fn fan_out(&self, channel: &str, except: Option<u64>, text: String) -> usize {
        let targets: Vec<Subscriber> = match self.channels().get(channel) {
            Some(subscribers) => subscribers
                .iter()
                .filter(|(id, _)| Some(**id) != except)
                .map(|(_, subscriber)| subscriber.clone())
                .collect(),
            None => return 0,
        };
        // One shared buffer for every subscriber.
        let text = Utf8Bytes::from(text);
        targets
            .into_iter()
            .filter(|subscriber| subscriber.offer(text.clone()))
            .count()
    }

    pub(crate) fn new_connection_id(&self) -> u64 {
        self.inner.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn subscribe(&self, id: u64, channel: &str, subscriber: Subscriber) {
        self.channels()
            .entry(channel.to_owned())
            .or_default()
            .insert(id, subscriber);
    }

    pub(crate) fn unsubscribe(&self, id: u64, channel: &str) {
        let mut channels = self.channels();
        if let Some(subscribers) = channels.get_mut(channel) {
            subscribers.remove(&id);
            if subscribers.is_empty() {
                channels.remove(channel);
            }
        }
    }

    pub(crate) fn unsubscribe_all(&self, id: u64, channels: impl IntoIterator<Item = String>) {
        let mut map = self.channels();
        for channel in channels {
            if let Some(subscribers) = map.get_mut(&channel) {
                subscribers.remove(&id);
                if subscribers.is_empty() {
                    map.remove(&channel);
                }
            }
        }
    }

    /// Delivers a client's message: to the other subscribers of the channel, then to the app's
    /// handler for it. The result is the reply for a request.
    pub(crate) async fn deliver(
        &self,
        sender: u64,
        channel: &str,
        event: &str,
        payload: &Value,
        session: &Session,
    ) -> Result<Value, ErrorBody> {
        let handler = self.handler_for(channel);
        let known = self.channels().contains_key(channel)
            || self.backend().is_some_and(|backend| backend.is_shared());
        if handler.is_none() && !known {
            return Err(ErrorBody::new(
                ErrorKind::NotFound,
                format!("unknown channel `{channel}`"),
            ));
        }
        let text = ChannelOut::event(channel, event, payload.clone()).to_text();
        self.forward(channel, &text);
        self.fan_out(channel, Some(sender), text);
        let Some(handler) = handler else {
            return Ok(Value::Null);
        };
        let event = ChannelEvent {
            channel: channel.to_owned(),
            event: event.to_owned(),
            payload: payload.clone(),
            session: session.clone(),
            hub: self.clone(),
        };
        match AssertUnwindSafe(handler(event)).catch_unwind().await {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(reason)) => Err(ErrorBody::new(ErrorKind::Rejected, reason)),
            Err(panic) => {
                tracing::error!(channel, panic = %panic_message(panic), "channel handler panicked");
                Err(ErrorBody::new(
                    ErrorKind::Internal,
                    "the channel handler failed",
                ))
            }
        }
    }
}

/// The hub as an [`Inbox`] sees it: events from other instances go to every local subscriber
/// of their channel.
struct HubRef(std::sync::Weak<HubInner>);

impl Deliver for HubRef {
    fn deliver(&self, channel: &str, event: &str) -> Option<usize> {
        let hub = Hub {
            inner: self.0.upgrade()?,
        };
        Some(hub.fan_out(channel, None, event.to_owned()))
    }

    fn is_open(&self) -> bool {
        self.0.strong_count() > 0
    }
}
