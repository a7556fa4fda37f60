//! [`RedisRevocations`]: session revocations reach the sockets of every instance.

use std::fmt;
use std::time::Duration;

use fred::clients::Client;
use fred::interfaces::{ClientLike, SortedSetsInterface};
use fred::types::scripts::Script;
use futures_util::future::BoxFuture;

use super::{RedisConfig, RedisError, Topic};
use crate::server::{LocalRevocations, RevocationBus, RevocationSink, StoreError};

/// How long a revocation stays in the replay log: an instance whose connection to Redis
/// dropped replays, once back, what was revoked meanwhile (for outages up to this long).
pub const REVOCATION_REPLAY: Duration = Duration::from_secs(15 * 60);

/// Logs a revocation and publishes it, in one step. `KEYS[1]` = the log (a sorted set by
/// Redis time in ms), `KEYS[2]` = the pub/sub channel; `ARGV` = the message, the key, the
/// log's span in ms.
const REVOKE: &str = r"
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZADD', KEYS[1], now, ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('PUBLISH', KEYS[2], ARGV[1])
";

/// A [`RevocationBus`] over Redis pub/sub: ending or regenerating a session on one instance
/// closes its sockets on every instance sharing the Redis and the
/// [prefix](RedisConfig::prefix).
///
/// A revocation reaches this process's sockets at once, then the other instances through the
/// Redis channel `<prefix>:revocations` (milliseconds). Pub/sub keeps nothing, so each
/// revocation is also written to a log (`<prefix>:revocations:log`, kept
/// [`REVOCATION_REPLAY`]); an instance whose connection to Redis dropped replays the log when it
/// is back, so a missed revocation does not leave a signed-out socket open. Keys are hashes of
/// session ids ([`session_key`](crate::server::session_key)), never the ids.
///
/// ```no_run
/// # use pulse_core as ps;
/// # async fn run(server: ps::Server) -> Result<(), ps::redis::RedisError> {
/// let redis = ps::redis::RedisConfig::new("redis://127.0.0.1:6379");
/// let server = server.revocations(ps::redis::RedisRevocations::connect(&redis).await?);
/// # Ok(())
/// # }
/// ```
pub struct RedisRevocations {
    topic: Topic,
    local: LocalRevocations,
    log: String,
    script: Script,
}

impl fmt::Debug for RedisRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisRevocations")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl RedisRevocations {
    /// Connects to Redis and subscribes to revocations (done when this returns); fails when
    /// Redis cannot be reached now.
    pub async fn connect(config: &RedisConfig) -> Result<RedisRevocations, RedisError> {
        let local = LocalRevocations::default();
        let log = config.key("revocations:log");
        let receive = {
            let local = local.clone();
            move |key: &str| {
                local.deliver(key);
                true
            }
        };
        let reconnected = {
            let local = local.clone();
            let log = log.clone();
            move |client: Client| -> BoxFuture<'static, ()> {
                let (local, log) = (local.clone(), log.clone());
                Box::pin(async move { replay(&client, &log, &local).await })
            }
        };
        let topic = Topic::open(config, "revocations", receive, reconnected).await?;
        Ok(RedisRevocations {
            topic,
            local,
            log,
            script: Script::from_lua(REVOKE),
        })
    }
}

/// Delivers every revocation of the log (those missed while cut off from Redis among them;
/// delivering one twice is harmless).
async fn replay(client: &Client, log: &str, local: &LocalRevocations) {
    match client
        .zrange::<Vec<String>, _, _, _>(log, 0, -1, None, false, None, false)
        .await
    {
        Ok(keys) => {
            tracing::info!(count = keys.len(), "replayed recent session revocations");
            for key in keys {
                local.deliver(&key);
            }
        }
        Err(error) => tracing::error!(%error, "could not replay session revocations"),
    }
}

impl RevocationBus for RedisRevocations {
    fn publish<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.local.deliver(key);
            let client = self.topic.publisher();
            if !client.is_connected() {
                return Err(StoreError::Unavailable(
                    "Redis: not connected; the revocation reached this instance only".to_owned(),
                ));
            }
            let span = REVOCATION_REPLAY.as_millis().to_string();
            let args = vec![self.topic.envelope(key), key.to_owned(), span];
            self.script
                .evalsha_with_reload::<i64, _, _>(
                    client,
                    vec![self.log.clone(), self.topic.name().to_owned()],
                    args,
                )
                .await
                .map(drop)
                .map_err(|error| {
                    StoreError::Unavailable(format!(
                        "Redis: {error}; the revocation reached this instance only"
                    ))
                })
        })
    }

    fn subscribe(&self, sink: RevocationSink) {
        self.local.subscribe(sink);
    }
}
