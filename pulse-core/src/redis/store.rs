//! [`RedisStore`]: sessions kept in Redis, shared by every instance of an app (feature `redis`).

use std::fmt;
use std::time::Duration;

use std::sync::Arc;

use fred::interfaces::{ClientLike, HashesInterface, KeysInterface};
use fred::types::scripts::Script;
use serde_json::{Map, Value};

use super::{Connection, RedisConfig, RedisError};
use crate::server::Secret;
use crate::server::signer::Signer;
use crate::server::{DEFAULT_MAX_AGE, LoadedSession, SessionStore, StoreError};
use crate::session::Session;

/// Writes a session atomically. `KEYS[1]` is the session's hash; `ARGV` = mode (`create`:
/// only if absent, `update`: only if present, `upsert`), expiry (Unix seconds), `1` to replace
/// all data, created-at, seen-at, then field/value pairs (an empty value removes the field).
///
/// `update` never re-creates a session that is gone (ended on another instance, or expired):
/// a slow request cannot bring back a session its user signed out of.
const SAVE: &str = r"
local exists = redis.call('EXISTS', KEYS[1]) == 1
if ARGV[1] == 'create' and exists then return 'exists' end
if ARGV[1] == 'update' and not exists then return 'gone' end
if ARGV[3] == '1' and exists then
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if string.sub(field, 1, 2) == 'd:' then redis.call('HDEL', KEYS[1], field) end
  end
end
for i = 6, #ARGV, 2 do
  if ARGV[i + 1] == '' then
    redis.call('HDEL', KEYS[1], 'd:' .. ARGV[i])
  else
    redis.call('HSET', KEYS[1], 'd:' .. ARGV[i], ARGV[i + 1])
  end
end
redis.call('HSETNX', KEYS[1], 'm:created', ARGV[4])
redis.call('HSET', KEYS[1], 'm:seen', ARGV[5])
redis.call('EXPIREAT', KEYS[1], ARGV[2])
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
    config: RedisConfig,
    signer: Signer,
    save: Script,
    max_age: Duration,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("config", &self.config)
            .field("max_age", &self.max_age)
            .finish_non_exhaustive()
    }
}

/// How a save treats a session that exists (or not) in Redis.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A new session: fails if its id is taken.
    Create,
    /// A stored session: fails if it is gone.
    Update,
    /// Either.
    Upsert,
}

impl RedisStore {
    /// Connects to Redis (an error when it cannot be reached now; later outages are survived)
    /// and signs session ids with `secret`.
    pub async fn connect(config: &RedisConfig, secret: Secret) -> Result<RedisStore, RedisError> {
        let client = config.connection().await?;
        Ok(RedisStore {
            client,
            config: config.clone(),
            signer: Signer::new(secret, "pulse.session-id.redis.v1"),
            save: Script::from_lua(SAVE),
            max_age: DEFAULT_MAX_AGE,
        })
    }

    /// Sets how long a session lives without requests (default 7 days).
    pub fn max_age(mut self, max_age: Duration) -> RedisStore {
        self.max_age = max_age;
        self
    }

    fn key(&self, id: &str) -> String {
        self.config.key(&format!("session:{id}"))
    }

    fn unavailable(&self, error: &fred::error::Error) -> StoreError {
        StoreError(format!("Redis is unavailable: {error}"))
    }

    /// Fails at once when the connection is known to be down (instead of waiting for the
    /// command timeout).
    fn ready(&self) -> Result<(), StoreError> {
        if self.client.is_connected() {
            Ok(())
        } else {
            Err(StoreError("Redis is unavailable: not connected".to_owned()))
        }
    }

    /// The id a cookie value names, if this store signed it.
    pub(crate) fn id_of<'c>(&self, cookie: &'c str) -> Option<&'c str> {
        let id = self.signer.verify(cookie)?.strip_prefix("r1.")?;
        (!id.is_empty() && !id.contains('.')).then_some(id)
    }

    /// The cookie value naming session `id`.
    pub(crate) fn cookie_for(&self, id: &str) -> String {
        self.signer.sign(&format!("r1.{id}"))
    }

    /// The session a cookie names: `Ok(None)` when the cookie is not this store's or Redis
    /// does not hold the session; `Err` when Redis could not be asked.
    pub(crate) async fn fetch(
        &self,
        cookie: &str,
    ) -> Result<Option<(String, Map<String, Value>)>, StoreError> {
        let Some(id) = self.id_of(cookie) else {
            return Ok(None);
        };
        self.ready()?;
        let fields: std::collections::HashMap<String, String> = self
            .client
            .hgetall(self.key(id))
            .await
            .map_err(|error| self.unavailable(&error))?;
        if fields.is_empty() {
            return Ok(None);
        }
        let mut data = Map::new();
        for (field, value) in fields {
            let Some(name) = field.strip_prefix("d:") else {
                continue;
            };
            match serde_json::from_str(&value) {
                Ok(value) => {
                    data.insert(name.to_owned(), value);
                }
                Err(error) => {
                    tracing::error!(key = name, %error, "skipped an unreadable session value")
                }
            }
        }
        Ok(Some((id.to_owned(), data)))
    }

    /// Writes session `id`: `changes` (a key and its new value, `None` to remove it), or the
    /// whole data when `replace`. Returns the cookie value.
    pub(crate) async fn write(
        &self,
        id: &str,
        mode: Mode,
        replace: bool,
        changes: impl IntoIterator<Item = (String, Option<Value>)>,
        expires_at: u64,
    ) -> Result<String, StoreError> {
        self.ready()?;
        let now = now();
        let mut args = vec![
            match mode {
                Mode::Create => "create",
                Mode::Update => "update",
                Mode::Upsert => "upsert",
            }
            .to_owned(),
            expires_at.to_string(),
            if replace { "1" } else { "0" }.to_owned(),
            now.to_string(),
            now.to_string(),
        ];
        for (key, value) in changes {
            args.push(key);
            args.push(value.map(|value| value.to_string()).unwrap_or_default());
        }
        let outcome: String = self
            .save
            .evalsha_with_reload(&**self.client, self.key(id), args)
            .await
            .map_err(|error| self.unavailable(&error))?;
        match outcome.as_str() {
            "ok" => Ok(self.cookie_for(id)),
            "gone" => Err(StoreError(
                "the session ended or expired meanwhile; not saved".to_owned(),
            )),
            "exists" => Err(StoreError("session id already taken".to_owned())),
            other => Err(StoreError(format!("unexpected answer from Redis: {other}"))),
        }
    }

    /// Removes session `id` from Redis.
    pub(crate) async fn remove(&self, id: &str) -> Result<(), StoreError> {
        self.ready()?;
        self.client
            .del::<i64, _>(self.key(id))
            .await
            .map(drop)
            .map_err(|error| self.unavailable(&error))
    }
}

impl SessionStore for RedisStore {
    fn load<'a>(
        &'a self,
        cookie: Option<&'a str>,
    ) -> futures_util::future::BoxFuture<'a, LoadedSession> {
        Box::pin(async move {
            let Some(cookie) = cookie else {
                return LoadedSession::fresh(None);
            };
            match self.fetch(cookie).await {
                Ok(Some((id, data))) => LoadedSession {
                    session: Session::from_parts(id, data, None),
                    refresh: false,
                },
                Ok(None) => LoadedSession::fresh(None),
                Err(error) => {
                    tracing::error!(%error, "could not load the session");
                    LoadedSession::fresh(None)
                }
            }
        })
    }

    fn save<'a>(
        &'a self,
        session: &'a Session,
    ) -> futures_util::future::BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(async move {
            let changes = session.to_map().into_iter().map(|(k, v)| (k, Some(v)));
            let expires_at = now() + self.max_age.as_secs();
            self.write(session.id(), Mode::Upsert, true, changes, expires_at)
                .await
        })
    }

    fn max_age(&self) -> Duration {
        self.max_age
    }
}

/// Seconds since the Unix epoch.
fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
