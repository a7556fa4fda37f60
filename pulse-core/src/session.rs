//! [`Session`]: per-browser data that persists across requests, shared by every hook of a request.

use std::collections::BTreeSet;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex, MutexGuard, PoisonError};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A handle to one browser's session data: JSON values by key.
///
/// Cloning the handle shares the data, as with Pulse's session dict: what one middleware
/// writes is seen by the middleware downstream, the page, and later requests (once the store
/// has saved it). The session knows which keys changed, so the server only sends a new cookie
/// when needed and server-side stores write only those keys.
///
/// Its lifecycle: [`regenerate`](Self::regenerate) on login (a new id, data kept) and
/// [`end`](Self::end) on logout (data, id and cookie gone). Both revoke the old id: its cookie
/// loads as an anonymous session afterwards, and every open socket of it closes.
///
/// ```
/// use pulse_core as ps;
///
/// let session = ps::Session::new();
/// session.insert("user_email", "ada@example.com").unwrap();
/// session.insert("visits", 3).unwrap();
/// assert!(session.contains("user_email"));
/// assert_eq!(session.get::<u32>("visits"), Some(3));
/// assert_eq!(session.get::<u32>("user_email"), None); // not a number
/// session.remove("user_email"); // signing out
/// assert!(!session.contains("user_email"));
/// ```
#[derive(Clone)]
pub struct Session {
    inner: Arc<Inner>,
}

struct Inner {
    limit: Option<usize>,
    state: Mutex<State>,
    /// [`Session::rate_key`]: 0 until computed, and again whenever the id changes (both under
    /// the `state` lock).
    rate_key: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Drawn on first use: a fresh session that is never saved never needs one.
    id: Option<Shared<String>>,
    /// Shared with the store's cache when loaded from it, copied on the first write: a request
    /// that only reads its session copies nothing.
    data: Shared<Map<String, Value>>,
    /// Keys written or removed since the session was loaded or saved.
    dirty: BTreeSet<String>,
    changed: bool,
    /// The id is known to the store (the session was loaded, or saved since).
    stored: bool,
    /// When the session began (unix seconds); 0 until first saved.
    created: u64,
    /// When the session's cookie was last issued (unix seconds); 0 until first saved.
    seen: u64,
    /// Ids given up by `regenerate`/`end`, to be revoked when the session is persisted.
    revoked: Vec<String>,
    /// `end` was called and nothing was written since.
    ended: bool,
    /// The store asks for the cookie to be issued again (it was signed with an older key).
    reissue: bool,
}

/// A value owned by one session, or shared (with the cookie store's cache of verified cookies,
/// and the other sessions loaded from it) until the first write copies it.
#[derive(Debug)]
pub(crate) enum Shared<T> {
    Owned(T),
    Shared(Arc<T>),
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Self {
        Shared::Owned(T::default())
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;

    fn deref(&self) -> &T {
        match self {
            Shared::Owned(value) => value,
            Shared::Shared(value) => value,
        }
    }
}

impl<T: Clone> Shared<T> {
    /// The value itself, copied if it is shared.
    fn into_owned(self) -> T {
        match self {
            Shared::Owned(value) => value,
            Shared::Shared(shared) => Arc::unwrap_or_clone(shared),
        }
    }

    /// The value to write to: a shared one is copied first (left alone for its other holders).
    fn to_mut(&mut self) -> &mut T {
        if let Shared::Shared(shared) = self {
            *self = Shared::Owned(T::clone(shared));
        }
        match self {
            Shared::Owned(value) => value,
            // Not reached: made owned above.
            Shared::Shared(shared) => Arc::make_mut(shared),
        }
    }
}

/// A snapshot of what persisting a session depends on ([`Session::facts`]).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Facts {
    /// [`Session::is_new`].
    pub(crate) new: bool,
    /// [`Session::is_changed`].
    pub(crate) changed: bool,
    /// [`Session::is_empty`].
    pub(crate) empty: bool,
    /// [`Session::wants_reissue`].
    pub(crate) reissue: bool,
    /// [`Session::seen_at`].
    pub(crate) seen: u64,
    /// [`Session::is_ended`].
    pub(crate) ended: bool,
    /// Ids given up and not revoked yet.
    pub(crate) revoked: bool,
}

/// Why a session write failed; the session keeps its previous data.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SessionError {
    /// The value could not be turned into JSON.
    #[error("session value for `{key}` is not serializable to JSON: {source}")]
    Serialize {
        /// The key being written.
        key: String,
        /// What serde_json said.
        source: serde_json::Error,
    },
    /// The data would no longer fit the store (for the cookie store, a cookie).
    #[error(
        "session data would be {size} bytes, over the store's limit of {limit} bytes; the write was refused and the previous data kept"
    )]
    TooLarge {
        /// Encoded size the write would have produced.
        size: usize,
        /// The store's limit.
        limit: usize,
    },
}

impl Session {
    /// An empty session with a fresh random id.
    pub fn new() -> Session {
        Session::fresh(None)
    }

    /// An empty session with a fresh random id (drawn when first needed) for a store whose
    /// encoded data may not exceed `limit` bytes of JSON.
    pub fn fresh(limit: Option<usize>) -> Session {
        Session::build(State::default(), limit)
    }

    /// A session restored by a store: its id, data, and the largest encoded size the store
    /// accepts (JSON bytes of the data), if any. Its times are unknown (0); stores that keep
    /// them use [`Session::restore`].
    pub fn from_parts(id: String, data: Map<String, Value>, limit: Option<usize>) -> Session {
        Session::restore_limited(id, data, 0, 0, limit)
    }

    /// A session restored by a store: its id, data, when it began (`created_at`) and when its
    /// cookie was last issued (`seen_at`), both in unix seconds as the store was given them by
    /// [`created_at`](Self::created_at) and [`seen_at`](Self::seen_at). The server ends
    /// sessions idle or older than its limits from these times.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// let session = ps::Session::restore("id".into(), serde_json::Map::new(), 1_700_000_000, 1_700_000_500);
    /// assert_eq!(session.created_at(), 1_700_000_000);
    /// assert!(!session.is_new());
    /// ```
    pub fn restore(id: String, data: Map<String, Value>, created_at: u64, seen_at: u64) -> Session {
        Session::restore_limited(id, data, created_at, seen_at, None)
    }

    /// [`Session::restore`] with a data size limit (JSON bytes), for stores with one.
    pub(crate) fn restore_limited(
        id: String,
        data: Map<String, Value>,
        created_at: u64,
        seen_at: u64,
        limit: Option<usize>,
    ) -> Session {
        Session::restore_shared(
            Shared::Owned(id),
            Shared::Owned(data),
            created_at,
            seen_at,
            limit,
        )
    }

    /// [`Session::restore_limited`] from an id and data the store keeps (the cookie store's
    /// cache): shared, not copied, until the session writes to its data.
    pub(crate) fn restore_shared(
        id: Shared<String>,
        data: Shared<Map<String, Value>>,
        created_at: u64,
        seen_at: u64,
        limit: Option<usize>,
    ) -> Session {
        // Every field written out: `..State::default()` would build a default map only to
        // drop it, on every request with a cookie.
        Session::build(
            State {
                id: Some(id),
                data,
                dirty: BTreeSet::new(),
                changed: false,
                stored: true,
                created: created_at,
                seen: seen_at,
                revoked: Vec::new(),
                ended: false,
                reissue: false,
            },
            limit,
        )
    }

    /// What persisting the session depends on, read under one lock.
    pub(crate) fn facts(&self) -> Facts {
        let state = self.state();
        Facts {
            new: !state.stored,
            changed: state.changed,
            empty: state.data.is_empty(),
            reissue: state.reissue,
            seen: state.seen,
            ended: state.ended && state.data.is_empty(),
            revoked: !state.revoked.is_empty(),
        }
    }

    fn build(state: State, limit: Option<usize>) -> Session {
        Session {
            inner: Arc::new(Inner {
                limit,
                state: Mutex::new(state),
                rate_key: AtomicU64::new(0),
            }),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // No user code runs while the lock is held, so a poisoned lock still holds valid data.
        self.inner
            .state
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// The session id (drawn now if the session has none yet).
    pub fn id(&self) -> String {
        String::clone(self.state().id.get_or_insert_with(new_shared_id))
    }

    /// A keyed 64-bit hash of the session id (drawn now if the session has none yet), computed
    /// once per id: what `RateLimit::per_session` counts by, without locking the session or
    /// copying its id on every dispatch. The hash is seeded per process, so clients cannot aim
    /// ids at one key.
    #[inline]
    pub(crate) fn rate_key(&self) -> u64 {
        match self.inner.rate_key.load(Ordering::Relaxed) {
            0 => self.compute_rate_key(),
            key => key,
        }
    }

    #[cold]
    fn compute_rate_key(&self) -> u64 {
        static SEED: LazyLock<foldhash::quality::FixedState> =
            LazyLock::new(|| foldhash::quality::FixedState::with_seed(rand::random()));
        let mut state = self.state();
        let id = state.id.get_or_insert_with(new_shared_id);
        // 0 means "not computed".
        let key = SEED.hash_one(id.as_str()).max(1);
        self.inner.rate_key.store(key, Ordering::Relaxed);
        key
    }

    /// The session id, if one was drawn or loaded.
    pub(crate) fn current_id(&self) -> Option<String> {
        self.state().id.as_deref().cloned()
    }

    /// The value at `key` as `T`; `None` when absent or not a `T`.
    pub fn get<T: DeserializeOwned>(&self, key: &str) -> Option<T> {
        self.try_get(key).ok().flatten()
    }

    /// The value at `key` as `T`, telling "absent" (`Ok(None)`) from "not a `T`" (`Err`).
    pub fn try_get<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>, serde_json::Error> {
        let value = self.state().data.get(key).cloned();
        value.map(serde_json::from_value).transpose()
    }

    /// The raw JSON value at `key`.
    pub fn get_value(&self, key: &str) -> Option<Value> {
        self.state().data.get(key).cloned()
    }

    /// Whether `key` is set (to anything but `null`).
    pub fn contains(&self, key: &str) -> bool {
        self.state().data.get(key).is_some_and(|v| !v.is_null())
    }

    /// Stores `value` at `key`, replacing what was there.
    ///
    /// Fails, keeping the previous data, when the value is not JSON or the data would exceed the
    /// store's size limit: a session is never wiped silently.
    pub fn insert<T: Serialize>(
        &self,
        key: impl Into<String>,
        value: T,
    ) -> Result<(), SessionError> {
        let key = key.into();
        let value = serde_json::to_value(value).map_err(|source| SessionError::Serialize {
            key: key.clone(),
            source,
        })?;
        let mut state = self.state();
        if state.data.get(&key) == Some(&value) {
            return Ok(());
        }
        let data = state.data.to_mut();
        let previous = data.insert(key.clone(), value);
        if let Some(limit) = self.inner.limit {
            let size = encoded_len(data);
            if size > limit {
                match previous {
                    Some(previous) => data.insert(key, previous),
                    None => data.remove(&key),
                };
                return Err(SessionError::TooLarge { size, limit });
            }
        }
        state.touch(key);
        Ok(())
    }

    /// Removes `key`, returning its value.
    pub fn remove(&self, key: &str) -> Option<Value> {
        let mut state = self.state();
        if !state.data.contains_key(key) {
            return None;
        }
        let removed = state.data.to_mut().remove(key);
        if removed.is_some() {
            state.touch(key.to_owned());
        }
        removed
    }

    /// Removes everything (the id stays; to sign out, use [`end`](Self::end)).
    pub fn clear(&self) {
        let mut state = self.state();
        let keys: Vec<String> = state.data.keys().cloned().collect();
        state.data = Shared::default();
        for key in keys {
            state.touch(key);
        }
    }

    /// Gives the session a new id, keeping its data: call it when the user signs in (or their
    /// privileges change), so an id planted or copied before cannot follow them.
    ///
    /// The old id is revoked when the request (or socket message) finishes: its cookie loads as
    /// an anonymous session from then on, and every open socket of it is closed (code 4001) so
    /// the browser reconnects as the new identity. The new session starts a new absolute
    /// lifetime.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// async fn login(session: ps::Session) -> &'static str {
    ///     session.regenerate();
    ///     let _ = session.insert("user_email", "ada@example.com");
    ///     "ok"
    /// }
    /// ```
    pub fn regenerate(&self) {
        let mut state = self.state();
        state.give_up_id();
        state.id = Some(new_shared_id());
        self.inner.rate_key.store(0, Ordering::Relaxed);
        let keys: Vec<String> = state.data.keys().cloned().collect();
        state.dirty.extend(keys);
        state.changed = true;
    }

    /// Ends the session: its data and id are gone and the browser's cookie is removed. Call it
    /// when the user signs out.
    ///
    /// The old id is revoked when the request (or socket message) finishes: a copy of the
    /// cookie loads as an anonymous session afterwards, and every open socket of the session
    /// closes (code 4001). Writing to the session afterwards starts a new, anonymous one.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// async fn logout(session: ps::Session) -> &'static str {
    ///     session.end();
    ///     "signed out"
    /// }
    /// ```
    pub fn end(&self) {
        let mut state = self.state();
        state.give_up_id();
        self.inner.rate_key.store(0, Ordering::Relaxed);
        state.data = Shared::default();
        state.dirty.clear();
        state.changed = true;
        state.ended = true;
    }

    /// Whether [`end`](Self::end) was called and nothing was written since.
    pub fn is_ended(&self) -> bool {
        let state = self.state();
        state.ended && state.data.is_empty()
    }

    /// Whether the data changed since the session was loaded (or since [`Self::mark_saved`]).
    pub fn is_changed(&self) -> bool {
        self.state().changed
    }

    /// The keys written or removed since the session was loaded or saved, with their new value
    /// (`None`: removed). A server-side store applies exactly these, so two requests of one
    /// session that write different keys at once both keep their writes. A session that
    /// [`is_new`](Self::is_new) is written whole ([`to_map`](Self::to_map)).
    pub fn changes(&self) -> Vec<(String, Option<Value>)> {
        let state = self.state();
        state
            .dirty
            .iter()
            .map(|key| (key.clone(), state.data.get(key).cloned()))
            .collect()
    }

    /// Whether the session's id was never stored: a store creates it (and must not overwrite
    /// an existing session of that id).
    pub fn is_new(&self) -> bool {
        !self.state().stored
    }

    /// When the session began, in unix seconds (0 before it is first saved). Stores keep it.
    pub fn created_at(&self) -> u64 {
        self.state().created
    }

    /// When the session's cookie was last issued, in unix seconds (0 before it is first saved).
    /// Stores keep it.
    pub fn seen_at(&self) -> u64 {
        self.state().seen
    }

    /// [`created_at`](Self::created_at) and [`seen_at`](Self::seen_at), under one lock.
    pub(crate) fn times(&self) -> (u64, u64) {
        let state = self.state();
        (state.created, state.seen)
    }

    /// Asks the server to send this session's cookie again even if nothing changed: a store
    /// calls it on a session whose cookie an older key of the [`KeyRing`](crate::server::KeyRing)
    /// signed, so the browser gets one signed with the newest (and the server on a session
    /// whose cookie is due for refreshing).
    pub fn reissue(&self) {
        self.state().reissue = true;
    }

    /// Whether [`reissue`](Self::reissue) was asked for.
    #[cfg(test)]
    pub(crate) fn wants_reissue(&self) -> bool {
        self.state().reissue
    }

    /// Records that a store saved the current data.
    pub fn mark_saved(&self) {
        let mut state = self.state();
        state.changed = false;
        state.reissue = false;
        state.dirty.clear();
        state.stored = state.id.is_some();
    }

    /// Stamps the times for a save at `now`: the session begins now if it is new.
    pub(crate) fn stamp(&self, now: u64) {
        let mut state = self.state();
        if !state.stored || state.created == 0 {
            state.created = now;
        }
        state.seen = now;
    }

    /// Takes the ids to revoke (given up by `regenerate`/`end`).
    pub(crate) fn take_revoked(&self) -> Vec<String> {
        std::mem::take(&mut self.state().revoked)
    }

    /// The ids given up and not revoked yet, oldest first.
    pub(crate) fn revoked_ids(&self) -> Vec<String> {
        self.state().revoked.clone()
    }

    /// A copy of the data.
    pub fn to_map(&self) -> Map<String, Value> {
        Map::clone(&self.state().data)
    }

    /// Whether the session holds no data.
    pub fn is_empty(&self) -> bool {
        self.state().data.is_empty()
    }

    /// Whether the data is still the store's shared copy (nothing was written).
    #[cfg(test)]
    pub(crate) fn shares_data(&self) -> bool {
        matches!(self.state().data, Shared::Shared(_))
    }
}

impl State {
    fn touch(&mut self, key: String) {
        self.dirty.insert(key);
        self.changed = true;
        if self.ended {
            // A write after `end` starts a new anonymous session.
            self.ended = false;
        }
    }

    /// The current id is given up: revoked at persist time if the store knows it.
    fn give_up_id(&mut self) {
        if let Some(id) = self.id.take()
            && self.stored
        {
            self.revoked.push(id.into_owned());
        }
        self.stored = false;
        self.created = 0;
        self.seen = 0;
    }
}

impl Default for Session {
    fn default() -> Self {
        Session::new()
    }
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Session")
            .field("id", &state.id.as_ref().map(|_| ".."))
            .field("keys", &state.data.keys().collect::<Vec<_>>())
            .field("changed", &state.changed)
            .finish()
    }
}

fn encoded_len(data: &Map<String, Value>) -> usize {
    serde_json::to_vec(data).map_or(usize::MAX, |bytes| bytes.len())
}

fn new_shared_id() -> Shared<String> {
    Shared::Owned(new_id())
}

/// A new random session id: 128 bits from the operating system's CSPRNG (through `rand`'s
/// `ThreadRng`, a CSPRNG seeded from it), URL-safe base64.
pub(crate) fn new_id() -> String {
    use base64::Engine;
    let bytes: [u8; 16] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn shared_data() -> Arc<Map<String, Value>> {
        match json!({ "a": 1, "b": 2 }) {
            Value::Object(map) => Arc::new(map),
            _ => unreachable!("an object"),
        }
    }

    fn restored(id: &Arc<String>, data: &Arc<Map<String, Value>>, limit: Option<usize>) -> Session {
        Session::restore_shared(
            Shared::Shared(id.clone()),
            Shared::Shared(data.clone()),
            1,
            2,
            limit,
        )
    }

    #[test]
    fn a_session_shares_the_stores_data_until_its_first_write_copies_it() {
        let id = Arc::new("the-id".to_owned());
        let data = shared_data();
        let original = Map::clone(&data);
        let one = restored(&id, &data, None);
        let two = restored(&id, &data, None);

        // Reads, and writes that change nothing, copy nothing.
        assert_eq!(one.get::<i32>("a"), Some(1));
        assert!(one.contains("b") && !one.is_empty());
        assert_eq!(one.to_map(), original);
        assert_eq!(one.id(), "the-id");
        one.insert("a", 1).unwrap();
        assert!(one.remove("absent").is_none());
        assert!(one.shares_data() && !one.is_changed());

        // A write copies: the store's data and the other session are left alone.
        one.insert("a", 5).unwrap();
        assert!(!one.shares_data() && one.is_changed());
        assert_eq!(one.get::<i32>("a"), Some(5));
        assert_eq!(two.get::<i32>("a"), Some(1));
        assert!(two.shares_data() && !two.is_changed());
        assert_eq!(*data, original);
        assert_eq!(one.changes(), vec![("a".to_owned(), Some(json!(5)))]);

        assert_eq!(two.remove("b"), Some(json!(2)));
        assert!(!two.contains("b") && one.contains("b"));
        assert_eq!(*data, original);
    }

    #[test]
    fn clear_end_regenerate_and_a_refused_write_leave_the_shared_data_alone() {
        let id = Arc::new("the-id".to_owned());
        let data = shared_data();
        let original = Map::clone(&data);

        let cleared = restored(&id, &data, None);
        cleared.clear();
        assert!(cleared.is_empty() && cleared.is_changed());
        let mut keys: Vec<String> = cleared.changes().into_iter().map(|(k, _)| k).collect();
        keys.sort();
        assert_eq!(keys, ["a", "b"]);

        let ended = restored(&id, &data, None);
        ended.end();
        assert!(ended.is_ended() && ended.current_id().is_none());
        assert_eq!(ended.take_revoked(), ["the-id"]);

        let regenerated = restored(&id, &data, None);
        regenerated.regenerate();
        assert_ne!(regenerated.id(), "the-id");
        assert_eq!(regenerated.revoked_ids(), ["the-id"]);
        assert_eq!(regenerated.get::<i32>("a"), Some(1));

        // `{"a":1,"b":2}` is 13 bytes: a limit of 14 refuses a longer value.
        let limited = restored(&id, &data, Some(14));
        let refused = limited.insert("a", "too long for the limit");
        assert!(matches!(refused, Err(SessionError::TooLarge { .. })));
        assert_eq!(limited.to_map(), original);
        assert!(!limited.is_changed());

        assert_eq!(*data, original);
        assert_eq!(*id, "the-id");
    }
}
