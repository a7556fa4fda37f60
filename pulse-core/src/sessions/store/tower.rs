//! [`TowerStore`]: any `tower-sessions` store (Redis via fred, Postgres/SQLite/MySQL via sqlx,
//! MongoDB, moka…) as a Pulse [`SessionStore`].

use std::fmt;
use std::str::FromStr;

use cookie::time::OffsetDateTime;
use futures_util::future::BoxFuture;
use serde_json::{Map, Value};
use tower_sessions_core::session::{Id, Record};
use tower_sessions_core::session_store::{self, SessionStore as TowerSessionStore};

use super::{SessionStore, StoreError};
use crate::session::Session;
use crate::sessions::config::KeyRing;
use crate::sessions::signer::Signer;

/// Record keys holding Pulse's session times; hidden from the session's data.
const CREATED: &str = "__pulse_created";
const SEEN: &str = "__pulse_seen";

/// A `tower-sessions` store behind Pulse's sessions. The cookie carries the record's id, signed
/// (`t1.<id>.<HMAC-SHA256>`) with the [`KeyRing`]; the record holds the data plus two reserved
/// keys (`__pulse_created`, `__pulse_seen`) and its `expiry_date` is the session's expiry.
///
/// Pulse's rules on top of the store: a new session goes through `create` (the store handles id
/// collisions); an update reads the record, applies only the keys this request changed, and
/// writes it back (a record gone meanwhile, e.g. by a logout, is not brought back; the store's
/// own `save` is still last-writer-wins between that read and write); a `Backend` error means
/// the store is unavailable (503), never an anonymous session.
///
/// ```
/// # use pulse_core as ps;
/// use ps::server::tower_sessions_core::SessionStore;
///
/// /// Serves with any tower-sessions store, e.g. `tower_sessions_sqlx_store::PostgresStore`
/// /// or `tower_sessions_redis_store::RedisStore`.
/// fn with_store(server: ps::Server, store: impl SessionStore) -> Result<ps::Server, ps::ConfigError> {
///     let keys = ps::Config::from_env().keys()?;
///     Ok(server.session_store(ps::server::TowerStore::new(store, keys)))
/// }
/// ```
pub struct TowerStore<S> {
    store: S,
    signer: Signer,
}

impl<S: fmt::Debug> fmt::Debug for TowerStore<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TowerStore")
            .field("store", &self.store)
            .finish_non_exhaustive()
    }
}

impl<S: TowerSessionStore> TowerStore<S> {
    /// `store`, with cookies signed by `keys` (a [`Secret`](crate::Secret) or a [`KeyRing`]).
    pub fn new(store: S, keys: impl Into<KeyRing>) -> TowerStore<S> {
        TowerStore {
            store,
            signer: Signer::new(&keys.into(), "pulse.session-id.tower.v1"),
        }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.store
    }

    async fn load_record(&self, cookie: &str) -> Result<Option<Session>, StoreError> {
        let Some(verified) = self.signer.verify(cookie) else {
            return Ok(None);
        };
        let Some(id) = verified
            .payload
            .strip_prefix("t1.")
            .and_then(|id| Id::from_str(id).ok())
        else {
            return Ok(None);
        };
        let Some(record) = self.store.load(&id).await.map_err(error)? else {
            return Ok(None);
        };
        if record.expiry_date < OffsetDateTime::now_utc() {
            return Ok(None);
        }
        let mut data: Map<String, Value> = record.data.into_iter().collect();
        let created = data.remove(CREATED).and_then(|v| v.as_u64()).unwrap_or(0);
        let seen = data.remove(SEEN).and_then(|v| v.as_u64()).unwrap_or(0);
        let session = Session::restore(record.id.to_string(), data, created, seen);
        if verified.old_key {
            session.reissue();
        }
        Ok(Some(session))
    }

    async fn save_record(&self, session: &Session, expires_at: u64) -> Result<String, StoreError> {
        let expiry_date = i64::try_from(expires_at)
            .ok()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .unwrap_or(OffsetDateTime::now_utc());
        let times = [
            (CREATED.to_owned(), Value::from(session.created_at())),
            (SEEN.to_owned(), Value::from(session.seen_at())),
        ];
        let id = if session.is_new() {
            let id = Id::from_str(&session.id()).map_err(|_| {
                StoreError::Failed("a session id is not a tower-sessions id".into())
            })?;
            let mut record = Record {
                id,
                data: session.to_map().into_iter().chain(times).collect(),
                expiry_date,
            };
            self.store.create(&mut record).await.map_err(error)?;
            record.id
        } else {
            let id = Id::from_str(&session.id()).map_err(|_| StoreError::Gone)?;
            let mut record = self
                .store
                .load(&id)
                .await
                .map_err(error)?
                .ok_or(StoreError::Gone)?;
            for (key, value) in session.changes() {
                match value {
                    Some(value) => record.data.insert(key, value),
                    None => record.data.remove(&key),
                };
            }
            record.data.extend(times);
            record.expiry_date = record.expiry_date.max(expiry_date);
            self.store.save(&record).await.map_err(error)?;
            record.id
        };
        Ok(self.signer.sign(&format!("t1.{id}")))
    }
}

fn error(error: session_store::Error) -> StoreError {
    match error {
        session_store::Error::Backend(message) => StoreError::Unavailable(message),
        other => StoreError::Failed(other.to_string()),
    }
}

impl<S: TowerSessionStore> SessionStore for TowerStore<S> {
    fn load<'a>(&'a self, cookie: &'a str) -> BoxFuture<'a, Result<Option<Session>, StoreError>> {
        Box::pin(self.load_record(cookie))
    }

    fn save<'a>(
        &'a self,
        session: &'a Session,
        expires_at: u64,
    ) -> BoxFuture<'a, Result<String, StoreError>> {
        Box::pin(self.save_record(session, expires_at))
    }

    fn delete<'a>(&'a self, id: &'a str, _until: u64) -> BoxFuture<'a, Result<(), StoreError>> {
        Box::pin(async move {
            match Id::from_str(id) {
                Ok(id) => self.store.delete(&id).await.map_err(error),
                Err(_) => Ok(()),
            }
        })
    }
}
