//! [`RedisStore`]: sessions kept in Redis, shared by every instance of an app (feature `redis`).

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use futures_util::future::BoxFuture;

use fred::interfaces::{ClientLike, HashesInterface, KeysInterface};
use fred::types::scripts::Script;
use serde_json::Map;

use super::cache::{Cache, Cached, Lookup};
use super::{Connection, RedisConfig, RedisError};
use crate::server::{KeyRing, SessionStore, StoreError};
use crate::session::Session;
use crate::sessions::signer::Signer;

/// Writes a session atomically. `KEYS[1]` is the session's hash; `ARGV` = mode (`create`:
/// only if absent, `update`: only if present), expiry (Unix seconds), created-at, seen-at, then
/// key/value pairs (an empty value removes the key). Times only move forward, so a slow
/// request never shortens a session another request extended.
///
/// `update` never re-creates a session that is gone (ended on another instance, or expired):
/// a slow request cannot bring back a session its user signed out of.
const SAVE: &str = r"
local exists = redis.call('EXISTS', KEYS[1]) == 1
if ARGV[1] == 'create' then
  if exists then return 'exists' end
  redis.call('HSET', KEYS[1], 'm:created', ARGV[3])
elseif not exists then
  return 'gone'
end
for i = 5, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], 'd:' .. ARGV[i])
  else
    redis.call('HSET', KEYS[1], 'd:' .. ARGV[i], ARGV[i + 1])
  end
end
if tonumber(ARGV[4]) > tonumber(redis.call('HGET', KEYS[1], 'm:seen') or '0') then
  redis.call('HSET', KEYS[1], 'm:seen', ARGV[4])
end
if tonumber(ARGV[2]) > tonumber(redis.call('HGET', KEYS[1], 'm:expires') or '0') then
  redis.call('HSET', KEYS[1], 'm:expires', ARGV[2])
  redis.call('EXPIREAT', KEYS[1], ARGV[2])
end
return 'ok'
";

/// A server-side store in Redis: the cookie carries only a signed random id
/// (`r1.<id>.<HMAC-SHA256>`); the data is a Redis hash at `<prefix>:session:<id>` whose expiry
/// follows the session's, so Redis forgets sessions by itself.
///
/// Every instance of an app given the same Redis, [prefix](RedisConfig::prefix) and secret
/// shares the sessions: a browser signed in on one instance is signed in on all, and a session
/// ended on one is gone on all.
///
/// - **Atomic writes.** A save is one Lua script: it writes only the keys the request changed
///   (two requests of one session changing different keys both keep their change; for one key
///   the last write wins), and an update of a session that no longer exists (ended, expired)
///   fails instead of bringing it back.
/// - **Ids** are 128 random bits; an id the store did not sign, or one Redis no longer holds,
///   is never adopted: the browser gets a fresh session.
/// - **Outages.** See [the module docs](crate::redis#faults): a request whose session cannot
///   be read is answered 503, never with an anonymous session.
/// - **Read cache.** Each instance keeps the sessions it read recently
///   ([`RedisConfig::session_cache`]: 10,000 sessions and 16 MiB by default, least recently
///   used first; `(0, 0)` turns it off), so a page costs no Redis round trip. Its connection
///   runs `CLIENT TRACKING` (RESP3, Redis 6 or later): Redis tells it when a session it read
///   changed, expired or was deleted anywhere, and the copy is dropped. A copy is used only
///   while tracking is on for the current connection and a ping on it sent less than 600 ms
///   ago was answered (one is sent every 200 ms), after the invalidations before that answer
///   were applied: a change made on another instance stays hidden at most about that long
///   (inside the 1 s revocation bound), even when the connection silently dies. A connection error or reconnection empties the cache
///   until tracking is on again. This instance's own saves and deletes drop its copy at once.
///   Saves are never served from the cache: they run the script above.
///
/// ```no_run
/// # use pulse_core as ps;
/// # async fn run(app: ps::App) -> Result<(), Box<dyn std::error::Error>> {
/// let redis = ps::redis::RedisConfig::new("redis://127.0.0.1:6379");
/// let store = ps::redis::RedisStore::connect(&redis, ps::Secret::new(std::env::var("PULSE_SECRET")?)?).await?;
/// app.server().session_store(store).serve("127.0.0.1:8000").await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore {
    client: Arc<Connection>,
    cache: Option<Arc<Cache>>,
    config: RedisConfig,
    signer: Signer,
    save: Script,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .field("cache", &self.cache)
            .finish_non_exhaustive()
    }
}

impl RedisStore {
    /// Connects to Redis (an error when it cannot be reached now; later outages are survived)
    /// and signs session ids with `keys` (a [`Secret`](crate::Secret), or a
    /// [`KeyRing`] to rotate secrets: the newest signs, all verify).
    pub async fn connect(
        config: &RedisConfig,
        keys: impl Into<KeyRing>,
    ) -> Result<RedisStore, RedisError> {
        let (client, cache) = config.store_connection().await?;
        Ok(RedisStore {
            client,
            cache,
            config: config.clone(),
            signer: Signer::new(&keys.into(), "pulse.session-id.redis.v1"),
            save: Script::from_lua(SAVE),
        })
    }

    fn key(&self, id: &str) -> String {
        self.config.key(&format!("session:{id}"))
    }

    /// Drops this instance's copy of session `id`.
    fn forget(&self, id: &str) {
        if let Some(cache) = &self.cache {
            cache.forget(id);
        }
    }

    fn unavailable(error: &fred::error::Error) -> StoreError {
        StoreError::Unavailable(format!("Redis: {error}"))
    }

    /// Fails at once when the connection is known to be down (instead of waiting for the
    /// command timeout).
    fn ready(&self) -> Result<(), StoreError> {
        if self.client.is_connected() {
            Ok(())
        } else {
            Err(StoreError::Unavailable(
                "Redis: not connected (reconnecting)".to_owned(),
            ))
        }
    }

    /// What can be known of `cookie` without waiting: no session (an invalid cookie), or the
    /// session from the read cache; otherwise what to read from Redis.
    fn lookup(&self, cookie: &str) -> Step {
        let Some(verified) = self.signer.verify(cookie) else {
            return Step::Done(None);
        };
        let Some(id) = verified.payload.strip_prefix("r1.") else {
            return Step::Done(None);
        };
        if id.is_empty() || id.contains('.') {
            return Step::Done(None);
        }
        let generation = match self.cache.as_deref().map(|cache| cache.get(id)) {
            // A copy is used only while the connection is up (a known outage is a 503).
            Some(Lookup::Hit(cached)) if self.client.is_connected() => {
                let session = Session::restore(
                    id.to_owned(),
                    cached.data.clone(),
                    cached.created,
                    cached.seen,
                );
                if verified.old_key {
                    session.reissue();
                }
                return Step::Done(Some(session));
            }
            Some(Lookup::Miss(generation)) => generation,
            Some(Lookup::Hit(_)) | None => None,
        };
        Step::Read {
            id: id.to_owned(),
            generation,
            old_key: verified.old_key,
        }
    }

    async fn fetch(&self, cookie: &str) -> Result<Option<Session>, StoreError> {
        let (id, generation, old_key) = match self.lookup(cookie) {
            Step::Done(session) => return Ok(session),
            Step::Read {
                id,
                generation,
                old_key,
            } => (id, generation, old_key),
        };
        self.ready()?;
        let fields: HashMap<String, String> = self
            .client
            .hgetall(self.key(&id))
            .await
            .map_err(|error| Self::unavailable(&error))?;
        if fields.is_empty() {
            return Ok(None);
        }
        let time = |name: &str| fields.get(name).and_then(|t| t.parse().ok()).unwrap_or(0);
        let (created, seen) = (time("m:created"), time("m:seen"));
        let mut data = Map::new();
        for (field, value) in &fields {
            let Some(name) = field.strip_prefix("d:") else {
                continue;
            };
            match serde_json::from_str(value) {
                Ok(value) => {
                    data.insert(name.to_owned(), value);
                }
                Err(error) => {
                    tracing::error!(key = name, %error, "skipped an unreadable session value");
                }
            }
        }
        if let (Some(cache), Some(generation)) = (&self.cache, generation) {
            cache.fill(
                &id,
                generation,
                Cached::new(&id, data.clone(), created, seen),
            );
        }
        let session = Session::restore(id, data, created, seen);
        if old_key {
            session.reissue();
        }
        Ok(Some(session))
    }

    async fn write(&self, session: &Session, expires_at: u64) -> Result<String, StoreError> {
        self.ready()?;
        let id = session.id();
        let (mode, changes) = if session.is_new() {
            let all = session.to_map().into_iter().map(|(k, v)| (k, Some(v)));
            ("create", all.collect())
        } else {
            ("update", session.changes())
        };
        let mut args = vec![
            mode.to_owned(),
            expires_at.to_string(),
            session.created_at().to_string(),
            session.seen_at().to_string(),
        ];
        for (key, value) in changes {
            args.push(key);
            args.push(value.map(|value| value.to_string()).unwrap_or_default());
        }
        let outcome = self
            .save
            .evalsha_with_reload::<String, _, _>(&self.client, self.key(&id), args)
            .await;
        // This instance's next read of the session goes to Redis (the invalidation Redis sends
        // for the write comes too, but later).
        self.forget(&id);
        let outcome = outcome.map_err(|error| Self::unavailable(&error))?;
        match outcome.as_str() {
            "ok" => Ok(self.signer.sign(&format!("r1.{id}"))),
            "gone" => Err(StoreError::Gone),
            "exists" => Err(StoreError::Failed("session id collision".to_owned())),
            other => Err(StoreError::Failed(format!(
                "unexpected answer from Redis: {other}"
            ))),
        }
    }
}

/// What [`RedisStore::lookup`] found.
enum Step {
    /// The answer, without reading Redis.
    Done(Option<Session>),
    /// Read session `id` from Redis; fill the cache with `generation` (if any).
    Read {
        id: String,
        generation: Option<u64>,
        old_key: bool,
    },
}

impl SessionStore for RedisStore {
    fn load<'a>(&'a self, cookie: &'a str) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        Box::pin(self.fetch(cookie))
    }

    fn save<'a>(
        &'a self,
        session: &'a Session,
        expires_at: u64,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(self.write(session, expires_at))
    }

    fn delete<'a>(&'a self, id: &'a str, _until: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            self.forget(id);
            self.ready()?;
            let deleted = self.client.del::<i64, _>(self.key(id)).await;
            self.forget(id);
            deleted.map(drop).map_err(|error| Self::unavailable(&error))
        })
    }
}
