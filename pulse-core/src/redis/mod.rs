//! Several instances of an app on one Redis (feature `redis`): [`RedisStore`] keeps sessions,
//! [`RedisChannels`] carries channel events between instances.
//!
//! ```no_run
//! # use pulse_core as ps;
//! # async fn home(_: ps::PageContext) -> ps::Markup { ps::html! { h1 { "Home" } } }
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use ps::redis::{RedisChannels, RedisConfig, RedisStore};
//!
//! let redis = RedisConfig::new("redis://127.0.0.1:6379");
//! let secret = ps::Secret::new(std::env::var("PULSE_SECRET")?)?;
//! let app = ps::App::new(ps::Routes::new().route("/", home), ());
//! let live = app.live().channel_backend(RedisChannels::connect(&redis).await?);
//! app.server()
//!     .session_store(RedisStore::connect(&redis, secret).await?)
//!     .live(live)
//!     .serve("127.0.0.1:8000")
//!     .await?;
//! # Ok(())
//! # }
//! ```
//!
//! # Faults
//!
//! Connections to Redis that drop are re-opened with exponential backoff (100 ms doubling up
//! to 5 s, with jitter, without giving up). While Redis is unreachable or does not answer
//! within [`RedisConfig::timeout`] (default 2 s), a request that needs its session is answered
//! `503 Service Unavailable` and a line is logged; it is never served as an anonymous session,
//! and nothing is overwritten. Redis pub/sub keeps nothing: channel events published while an
//! instance is cut off from Redis do not reach it (a line is logged for what is dropped).

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use fred::clients::SubscriberClient;
use fred::prelude::*;
use fred::types::RespVersion;
use fred::types::config::UnresponsiveConfig;
use tokio::sync::{broadcast, mpsc};

mod cache;
mod channels;
mod revocations;
mod store;

pub use self::channels::RedisChannels;
pub use self::revocations::{REVOCATION_REPLAY, RedisRevocations};
pub use self::store::RedisStore;

/// The default [`RedisConfig::timeout`].
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);
/// The default [`RedisConfig::prefix`].
pub const DEFAULT_PREFIX: &str = "pulse";
/// The default number of sessions [`RedisStore`]'s read cache keeps
/// ([`RedisConfig::session_cache`]).
pub const DEFAULT_CACHE_ENTRIES: usize = 10_000;
/// The default size of [`RedisStore`]'s read cache in bytes of session data
/// ([`RedisConfig::session_cache`]).
pub const DEFAULT_CACHE_BYTES: usize = 16 * 1024 * 1024;

/// Where Redis is and how to talk to it; shared by [`RedisStore`] and [`RedisChannels`].
#[derive(Clone)]
pub struct RedisConfig {
    url: String,
    prefix: String,
    timeout: Duration,
    cache_entries: usize,
    cache_bytes: usize,
}

impl fmt::Debug for RedisConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The URL may hold a password.
        f.debug_struct("RedisConfig")
            .field("prefix", &self.prefix)
            .field("timeout", &self.timeout)
            .field("cache_entries", &self.cache_entries)
            .field("cache_bytes", &self.cache_bytes)
            .finish_non_exhaustive()
    }
}

impl RedisConfig {
    /// Redis at `url` (`redis://[user:password@]host[:port][/db]`).
    pub fn new(url: impl Into<String>) -> RedisConfig {
        RedisConfig {
            url: url.into(),
            prefix: DEFAULT_PREFIX.to_owned(),
            timeout: DEFAULT_TIMEOUT,
            cache_entries: DEFAULT_CACHE_ENTRIES,
            cache_bytes: DEFAULT_CACHE_BYTES,
        }
    }

    /// Starts every key and pub/sub channel name with `prefix` and `:` (default `pulse`), so
    /// several apps can share one Redis. Instances of one app must use the same prefix.
    pub fn prefix(mut self, prefix: impl Into<String>) -> RedisConfig {
        self.prefix = prefix.into();
        self
    }

    /// How long to wait for Redis (connecting, or a command's answer) before giving up: the
    /// request is then answered 503 (default 2 s).
    pub fn timeout(mut self, timeout: Duration) -> RedisConfig {
        self.timeout = timeout;
        self
    }

    /// Bounds [`RedisStore`]'s read cache: at most `max_entries` recently read sessions and
    /// `max_bytes` of their data (estimated), least recently used dropped first (defaults
    /// [`DEFAULT_CACHE_ENTRIES`], [`DEFAULT_CACHE_BYTES`]). `session_cache(0, 0)` turns the
    /// cache off: every request then reads its session from Redis.
    ///
    /// The cache uses Redis's client tracking (Redis 6 or later): Redis tells each instance
    /// which sessions it read changed, so a session changed or ended on one instance is dropped
    /// from the others' caches within milliseconds. A copy is used only while that connection
    /// is known to be tracked and answered a ping in the last 600 ms, so a change stays hidden
    /// at most about that long (inside the 1 s revocation bound), even if the connection
    /// silently dies; a lost connection
    /// empties the cache until tracking is back. See [`RedisStore`] for the rules.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// let redis = ps::redis::RedisConfig::new("redis://127.0.0.1:6379")
    ///     .session_cache(50_000, 64 * 1024 * 1024);
    /// let uncached = ps::redis::RedisConfig::new("redis://127.0.0.1:6379").session_cache(0, 0);
    /// ```
    pub fn session_cache(mut self, max_entries: usize, max_bytes: usize) -> RedisConfig {
        self.cache_entries = max_entries;
        self.cache_bytes = max_bytes;
        self
    }

    /// Whether [`RedisStore`] keeps a read cache.
    fn caches(&self) -> bool {
        self.cache_entries > 0 && self.cache_bytes > 0
    }

    pub(crate) fn key(&self, name: &str) -> String {
        format!("{}:{name}", self.prefix)
    }

    fn builder(&self) -> Result<Builder, RedisError> {
        self.builder_for(RespVersion::RESP2)
    }

    fn builder_for(&self, version: RespVersion) -> Result<Builder, RedisError> {
        let mut config = Config::from_url(&self.url).map_err(|error| RedisError::config(&error))?;
        config.version = version;
        let timeout = self.timeout;
        let mut builder = Builder::from_config(config);
        builder
            .with_connection_config(|connection| {
                connection.connection_timeout = timeout;
                connection.internal_command_timeout = timeout;
                // A connection that stops answering (a hung server, a dead path) is closed and
                // re-opened instead of holding every later command.
                connection.unresponsive = UnresponsiveConfig {
                    max_timeout: Some(timeout),
                    interval: (timeout / 4).max(Duration::from_millis(10)),
                };
            })
            .with_performance_config(|performance| {
                performance.default_command_timeout = timeout;
                // Pub/sub messages wait here until the receiving task takes them.
                performance.broadcast_channel_capacity = 4096;
            })
            .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2));
        Ok(builder)
    }

    /// A connection to Redis (an error when Redis cannot be reached now), closed when the last
    /// handle drops; it reconnects by itself after an outage.
    pub(crate) async fn connection(&self) -> Result<Arc<Connection>, RedisError> {
        Ok(Arc::new(Connection(self.client().await?)))
    }

    /// The store's connection: with the read cache on, a RESP3 connection whose client tracking
    /// keeps the cache in step (a Redis without RESP3, older than 6, gets a plain connection and
    /// no cache, with a log line).
    pub(crate) async fn store_connection(
        &self,
    ) -> Result<(Arc<Connection>, Option<Arc<cache::Cache>>), RedisError> {
        if !self.caches() {
            return Ok((self.connection().await?, None));
        }
        let client = self
            .builder_for(RespVersion::RESP3)?
            .build()
            .map_err(|error| RedisError::config(&error))?;
        // Listening before connecting: the first connection counts as a reconnection.
        let events = cache::Events::of(&client);
        if let Err(error) = client.init().await {
            let _ = client.quit().await;
            let connection = self.connection().await?;
            tracing::warn!(%error, "Redis refused RESP3 (Redis 6 or later is needed); the session cache is off");
            return Ok((connection, None));
        }
        let cache = Arc::new(cache::Cache::new(
            self.key("session:"),
            self.cache_entries,
            self.cache_bytes,
        ));
        tokio::spawn(cache::watch(Arc::downgrade(&cache), client.clone(), events));
        Ok((Arc::new(Connection(client)), Some(cache)))
    }

    async fn client(&self) -> Result<Client, RedisError> {
        let client = self
            .builder()?
            .build()
            .map_err(|error| RedisError::config(&error))?;
        client
            .init()
            .await
            .map_err(|error| RedisError::connect(&error))?;
        Ok(client)
    }

    async fn subscriber(&self) -> Result<SubscriberClient, RedisError> {
        let client = self
            .builder()?
            .build_subscriber_client()
            .map_err(|error| RedisError::config(&error))?;
        client
            .init()
            .await
            .map_err(|error| RedisError::connect(&error))?;
        Ok(client)
    }
}

/// Redis could not be used: a bad URL, or Redis unreachable when connecting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct RedisError(String);

impl RedisError {
    fn config(error: &fred::error::Error) -> RedisError {
        RedisError(format!("invalid Redis configuration: {error}"))
    }

    fn connect(error: &fred::error::Error) -> RedisError {
        RedisError(format!("could not connect to Redis: {error}"))
    }
}

/// A client that quits when dropped.
#[derive(Debug)]
pub(crate) struct Connection(Client);

impl std::ops::Deref for Connection {
    type Target = Client;

    fn deref(&self) -> &Client {
        &self.0
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let client = self.0.clone();
            runtime.spawn(async move {
                let _ = client.quit().await;
            });
        }
    }
}

/// How many published messages may wait for Redis before new ones are dropped.
const OUTGOING: usize = 4096;

/// One Redis pub/sub channel shared by the instances of an app: what one instance publishes,
/// every other instance receives, in the order it was published.
///
/// Each message is sent as `<instance id> <body>`; an instance ignores its own. Publishing
/// goes through one connection and one task, so the messages of one instance stay in order;
/// Redis delivers in the order it received them.
pub(crate) struct Topic {
    instance: Arc<str>,
    outgoing: mpsc::Sender<String>,
    /// Whether the outgoing queue was found full (logged once per episode).
    full: AtomicBool,
    clients: Arc<Clients>,
}

impl fmt::Debug for Topic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Topic")
            .field("instance", &self.instance)
            .field("name", &self.clients.name)
            .finish_non_exhaustive()
    }
}

/// The connections of a [`Topic`], closed when the last handle goes.
struct Clients {
    name: String,
    publisher: Client,
    subscriber: SubscriberClient,
}

impl Drop for Clients {
    fn drop(&mut self) {
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let publisher = self.publisher.clone();
            let subscriber = self.subscriber.clone();
            runtime.spawn(async move {
                let _ = publisher.quit().await;
                let _ = subscriber.quit().await;
            });
        }
    }
}

impl Topic {
    /// Subscribes to the Redis channel `<prefix>:<name>` (done when this returns) and hands
    /// every body another instance publishes to `receive`, in order; `receive` returns `false`
    /// to stop listening. After each reconnection to Redis (once subscribed again),
    /// `reconnected` is called: messages published meanwhile were missed.
    pub(crate) async fn open(
        config: &RedisConfig,
        name: &str,
        receive: impl FnMut(&str) -> bool + Send + 'static,
        reconnected: impl Fn(Client) -> futures_util::future::BoxFuture<'static, ()> + Send + 'static,
    ) -> Result<Topic, RedisError> {
        let name = config.key(name);
        let instance: Arc<str> = crate::session::new_id().into();
        let publisher = config.client().await?;
        let subscriber = config.subscriber().await?;
        let messages = subscriber.message_rx();
        let mut reconnections = subscriber.reconnect_rx();
        subscriber
            .subscribe(name.clone())
            .await
            .map_err(|error| RedisError::connect(&error))?;
        let clients = Arc::new(Clients {
            name: name.clone(),
            publisher,
            subscriber,
        });
        // Subscribes again after each reconnection, then tells `reconnected`. (Listening
        // started after the first connection: every event is a reconnection.)
        let weak = Arc::downgrade(&clients);
        tokio::spawn({
            let name = name.clone();
            async move {
                while reconnections.recv().await.is_ok() {
                    let Some(clients) = weak.upgrade() else {
                        return;
                    };
                    tracing::warn!(topic = %name, "reconnected to Redis; messages published meanwhile were missed");
                    if let Err(error) = clients.subscriber.subscribe(name.clone()).await {
                        tracing::error!(topic = %name, %error, "could not subscribe again");
                        continue;
                    }
                    reconnected(clients.publisher.clone()).await;
                }
            }
        });
        tokio::spawn(listen(
            messages,
            name.clone(),
            instance.clone(),
            Arc::downgrade(&clients),
            receive,
        ));
        let (outgoing, queue) = mpsc::channel(OUTGOING);
        tokio::spawn(send(clients.publisher.clone(), name, queue));
        Ok(Topic {
            instance,
            outgoing,
            full: AtomicBool::new(false),
            clients,
        })
    }

    /// The Redis channel's name.
    pub(crate) fn name(&self) -> &str {
        &self.clients.name
    }

    /// The connection publishing goes through.
    pub(crate) fn publisher(&self) -> &Client {
        &self.clients.publisher
    }

    /// `body` as sent to the other instances (tagged with this instance).
    pub(crate) fn envelope(&self, body: &str) -> String {
        format!("{} {body}", self.instance)
    }

    /// Queues `body` for the other instances. When the queue is full (Redis answers slower
    /// than messages come) the body is dropped, with one log line per episode.
    pub(crate) fn publish(&self, body: &str) {
        let message = self.envelope(body);
        match self.outgoing.try_send(message) {
            Ok(()) => self.full.store(false, Ordering::Relaxed),
            Err(mpsc::error::TrySendError::Full(_)) => {
                if !self.full.swap(true, Ordering::Relaxed) {
                    tracing::error!(
                        topic = %self.clients.name,
                        "Redis is not keeping up: messages for the other instances are dropped"
                    );
                }
            }
            Err(mpsc::error::TrySendError::Closed(_)) => {}
        }
    }
}

/// Publishes queued messages one after another, so they reach Redis in order.
async fn send(publisher: Client, name: String, mut queue: mpsc::Receiver<String>) {
    let mut down = false;
    while let Some(message) = queue.recv().await {
        // Known to be down: drop at once rather than wait out the timeout for each message.
        let sent = if publisher.is_connected() {
            publisher.publish::<i64, _, _>(name.as_str(), message).await
        } else {
            Err(fred::error::Error::new(
                fred::error::ErrorKind::IO,
                "not connected (reconnecting)",
            ))
        };
        match sent {
            Ok(_) => {
                if std::mem::replace(&mut down, false) {
                    tracing::info!(topic = %name, "publishing to Redis again");
                }
            }
            Err(error) => {
                if !std::mem::replace(&mut down, true) {
                    tracing::error!(
                        topic = %name,
                        %error,
                        "could not publish to Redis; messages for the other instances are dropped until it is back"
                    );
                }
            }
        }
    }
}

/// Hands the bodies other instances published to `receive`.
async fn listen(
    mut messages: broadcast::Receiver<fred::types::Message>,
    name: String,
    instance: Arc<str>,
    clients: std::sync::Weak<Clients>,
    mut receive: impl FnMut(&str) -> bool + Send + 'static,
) {
    loop {
        let message = match messages.recv().await {
            Ok(message) => message,
            Err(broadcast::error::RecvError::Lagged(missed)) => {
                tracing::error!(topic = %name, missed, "fell behind Redis; messages were lost");
                continue;
            }
            Err(broadcast::error::RecvError::Closed) => return,
        };
        if clients.strong_count() == 0 {
            return;
        }
        if *message.channel != *name {
            continue;
        }
        let Some(text) = message.value.as_str() else {
            continue;
        };
        let Some((from, body)) = text.split_once(' ') else {
            continue;
        };
        if from != &*instance && !receive(body) {
            return;
        }
    }
}
