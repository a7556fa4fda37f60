//! The session read cache of [`RedisStore`](super::RedisStore): recently read sessions kept in
//! process, dropped when Redis says they changed (server-assisted client-side caching:
//! `CLIENT TRACKING` on the store's RESP3 connection, whose invalidation messages arrive on that
//! same connection).
//!
//! Rules, each one there for a guarantee:
//! - **Only while tracked.** A copy is kept and used only while `CLIENT TRACKING` is known to be
//!   on for the connection reads go through. A connection error or a reconnection empties the
//!   cache and turns it off; it comes back once `CLIENT TRACKING ON` succeeded again (on the new
//!   connection), so a change made while this instance was cut off is never hidden.
//! - **Only while heard from.** A copy is used only if a `PING` sent on that connection less
//!   than [`TRUST`] ago was answered (every [`HEARTBEAT`]), and the invalidations that came
//!   before that answer were applied. A connection that went silent (a dead path, a hung Redis)
//!   therefore stops the cache within [`TRUST`]: a session ended or changed elsewhere is never
//!   served from here more than [`TRUST`] after the change, well inside the 1 s revocation bound.
//! - **No stale fill.** A read that an invalidation (or a reconnection) overtook does not fill
//!   the cache: every invalidation bumps a generation, and a read fills only if the generation
//!   is the one it started with. Invalidations can be handled before or after the read's answer
//!   is; either way the copy is dropped or never kept.
//! - **Bounded.** At most `max_entries` sessions and `max_bytes` of their data (an estimate:
//!   keys, JSON values and a fixed overhead per entry); the least recently used go first.
//! - **Reads only.** Writes still go through the save script; the store's own writes invalidate
//!   its copy too (no `NOLOOP`), so the next read sees what Redis holds.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::time::{Duration, Instant};

use fred::clients::Client;
use fred::error::Error;
use fred::interfaces::{ClientLike, EventInterface, TrackingInterface};
use fred::types::client::Invalidation;
use fred::types::config::Server;
use futures_util::FutureExt;
use futures_util::future::{BoxFuture, Fuse, FusedFuture};
use lru::LruCache;
use serde_json::{Map, Value};
use tokio::sync::broadcast::{self, error::RecvError, error::TryRecvError};

/// How often the cache's connection is pinged.
pub(crate) const HEARTBEAT: Duration = Duration::from_millis(200);
/// How long an answered ping keeps the cache usable: the longest a change made on another
/// instance can go unseen here if the connection silently stopped delivering invalidations.
pub(crate) const TRUST: Duration = Duration::from_millis(600);
/// Bytes counted per entry besides its id and data (map and LRU bookkeeping).
const ENTRY_OVERHEAD: usize = 160;

/// A session as read from Redis.
#[derive(Debug)]
pub(crate) struct Cached {
    pub(crate) data: Map<String, Value>,
    pub(crate) created: u64,
    pub(crate) seen: u64,
    size: usize,
}

impl Cached {
    pub(crate) fn new(id: &str, data: Map<String, Value>, created: u64, seen: u64) -> Cached {
        let size = ENTRY_OVERHEAD
            + id.len()
            + data
                .iter()
                .map(|(key, value)| key.len() + json_size(value))
                .sum::<usize>();
        Cached {
            data,
            created,
            seen,
            size,
        }
    }
}

/// Roughly how many bytes `value` takes (its JSON length, plus a little per node).
fn json_size(value: &Value) -> usize {
    match value {
        Value::Null | Value::Bool(_) | Value::Number(_) => 16,
        Value::String(text) => 24 + text.len(),
        Value::Array(items) => 24 + items.iter().map(json_size).sum::<usize>(),
        Value::Object(map) => {
            24 + map
                .iter()
                .map(|(key, value)| 24 + key.len() + json_size(value))
                .sum::<usize>()
        }
    }
}

/// What a lookup found.
pub(crate) enum Lookup {
    /// A copy that may be used.
    Hit(Arc<Cached>),
    /// Read Redis; fill with this generation (`None`: the cache is off, do not fill).
    Miss(Option<u64>),
}

pub(crate) struct Cache {
    /// The Redis key of session `<id>` is this prefix followed by the id.
    key_prefix: String,
    max_entries: usize,
    max_bytes: usize,
    state: Mutex<State>,
}

struct State {
    entries: LruCache<String, Arc<Cached>>,
    bytes: usize,
    /// Bumped by every invalidation, flush and switch-off.
    generation: u64,
    /// `CLIENT TRACKING` is on for the current connection.
    tracked: bool,
    /// When the last answered ping was sent (after which invalidations were applied).
    heard: Option<Instant>,
}

impl fmt::Debug for Cache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.lock();
        f.debug_struct("Cache")
            .field("max_entries", &self.max_entries)
            .field("max_bytes", &self.max_bytes)
            .field("entries", &state.entries.len())
            .field("bytes", &state.bytes)
            .field("tracked", &state.tracked)
            .finish_non_exhaustive()
    }
}

impl Cache {
    pub(crate) fn new(key_prefix: String, max_entries: usize, max_bytes: usize) -> Cache {
        Cache {
            key_prefix,
            max_entries,
            max_bytes,
            state: Mutex::new(State {
                entries: LruCache::unbounded(),
                bytes: 0,
                generation: 0,
                tracked: false,
                heard: None,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The copy of session `id`, if one may be used now.
    pub(crate) fn get(&self, id: &str) -> Lookup {
        let mut state = self.lock();
        if !state.tracked {
            return Lookup::Miss(None);
        }
        let trusted = state.heard.is_some_and(|sent| sent.elapsed() < TRUST);
        if trusted && let Some(cached) = state.entries.get(id) {
            return Lookup::Hit(cached.clone());
        }
        Lookup::Miss(Some(state.generation))
    }

    /// Keeps what a read that started at `generation` found, unless something changed since.
    pub(crate) fn fill(&self, id: &str, generation: u64, cached: Cached) {
        if cached.size > self.max_bytes {
            return;
        }
        let mut state = self.lock();
        if !state.tracked || state.generation != generation {
            return;
        }
        state.bytes += cached.size;
        if let Some((_, old)) = state.entries.push(id.to_owned(), Arc::new(cached)) {
            state.bytes -= old.size;
        }
        while state.entries.len() > self.max_entries || state.bytes > self.max_bytes {
            let Some((_, evicted)) = state.entries.pop_lru() else {
                break;
            };
            state.bytes -= evicted.size;
        }
    }

    /// Drops the copies of these Redis keys (all of them when the list is empty: Redis was
    /// flushed).
    fn invalidate(&self, keys: &[fred::types::Key]) {
        let mut state = self.lock();
        state.generation += 1;
        if keys.is_empty() {
            state.clear();
            return;
        }
        for key in keys {
            let id = key
                .as_str()
                .and_then(|key| key.strip_prefix(self.key_prefix.as_str()));
            if let Some(removed) = id.and_then(|id| state.entries.pop(id)) {
                state.bytes -= removed.size;
            }
        }
    }

    /// Drops the copy of session `id` (this instance changed or deleted it), and any read of it
    /// under way does not fill.
    pub(crate) fn forget(&self, id: &str) {
        let mut state = self.lock();
        state.generation += 1;
        if let Some(removed) = state.entries.pop(id) {
            state.bytes -= removed.size;
        }
    }

    /// Drops every copy (invalidations may have been missed).
    fn flush(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.clear();
    }

    /// Drops every copy and keeps none until tracking is on again.
    fn off(&self) {
        let mut state = self.lock();
        state.generation += 1;
        state.tracked = false;
        state.heard = None;
        state.clear();
    }

    /// `CLIENT TRACKING ON` succeeded on the current connection, sent at `sent`.
    fn on(&self, sent: Instant) {
        let mut state = self.lock();
        state.tracked = true;
        state.heard = Some(sent);
    }

    /// A ping sent at `sent` was answered, and every invalidation before its answer applied.
    fn heard(&self, sent: Instant) {
        let mut state = self.lock();
        if state.tracked && state.heard.is_none_or(|heard| heard < sent) {
            state.heard = Some(sent);
        }
    }

    /// How many sessions are cached now, and their estimated bytes.
    #[cfg(test)]
    fn usage(&self) -> (usize, usize) {
        let state = self.lock();
        (state.entries.len(), state.bytes)
    }
}

impl State {
    fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }
}

/// The receivers a cache's watcher listens on; subscribed before the client connects, so no
/// event is missed.
pub(crate) struct Events {
    invalidations: broadcast::Receiver<Invalidation>,
    errors: broadcast::Receiver<(Error, Option<Server>)>,
    reconnections: broadcast::Receiver<Server>,
}

impl Events {
    pub(crate) fn of(client: &Client) -> Events {
        Events {
            invalidations: client.invalidation_rx(),
            errors: client.error_rx(),
            reconnections: client.reconnect_rx(),
        }
    }
}

/// Keeps `cache` in step with the connection of `client`: applies invalidations, turns the
/// cache off on errors and reconnections and on again once tracking is re-established, and
/// pings every [`HEARTBEAT`]. Ends when the cache or the client is gone.
pub(crate) async fn watch(cache: Weak<Cache>, client: Client, mut events: Events) {
    let mut tick = tokio::time::interval(HEARTBEAT);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Whether tracking must be (re-)started before the cache may be used.
    let mut untracked = true;
    // Whether a failure to turn tracking on was logged (once until it works).
    let mut warned = false;
    // The ping (or `CLIENT TRACKING ON`) in flight: when it was sent, and its answer.
    let mut probe: Fuse<Probe> = Fuse::terminated();
    loop {
        tokio::select! {
            biased;
            invalidation = events.invalidations.recv() => {
                let Some(cache) = cache.upgrade() else { return };
                match invalidation {
                    Ok(invalidation) => cache.invalidate(&invalidation.keys),
                    Err(RecvError::Lagged(_)) => cache.flush(),
                    Err(RecvError::Closed) => return cache.off(),
                }
            }
            error = events.errors.recv() => {
                let Some(cache) = cache.upgrade() else { return };
                cache.off();
                if matches!(error, Err(RecvError::Closed)) {
                    return;
                }
                untracked = true;
                probe = Fuse::terminated();
            }
            reconnection = events.reconnections.recv() => {
                let Some(cache) = cache.upgrade() else { return };
                cache.off();
                if matches!(reconnection, Err(RecvError::Closed)) {
                    return;
                }
                untracked = true;
                probe = start_tracking(&client).fuse();
            }
            (sent, answer) = &mut probe => {
                let Some(cache) = cache.upgrade() else { return };
                match answer {
                    Ok(()) => {}
                    Err(Some(error)) if untracked && !std::mem::replace(&mut warned, true) => {
                        tracing::warn!(%error, "could not turn on Redis client tracking; the session cache stays off until it can");
                        continue;
                    }
                    // Unanswered in time: trust lapses by itself after `TRUST`; tracking is
                    // tried again at the next tick.
                    Err(_) => continue,
                }
                // Invalidations that came before the answer are queued by now: apply them first.
                loop {
                    match events.invalidations.try_recv() {
                        Ok(invalidation) => cache.invalidate(&invalidation.keys),
                        Err(TryRecvError::Lagged(_)) => cache.flush(),
                        Err(TryRecvError::Empty) => break,
                        Err(TryRecvError::Closed) => return cache.off(),
                    }
                }
                if untracked {
                    // Only if the connection did not change meanwhile.
                    if events.errors.is_empty() && events.reconnections.is_empty() {
                        untracked = false;
                        warned = false;
                        cache.on(sent);
                        tracing::debug!("Redis session cache on (client tracking)");
                    }
                } else {
                    cache.heard(sent);
                }
            }
            _ = tick.tick(), if probe.is_terminated() => {
                if cache.strong_count() == 0 {
                    return;
                }
                if !client.is_connected() {
                    continue;
                }
                probe = if untracked { start_tracking(&client) } else { ping(&client) }.fuse();
            }
        }
    }
}

/// A command the watcher sent: when, and its answer (`Err(None)`: none within [`TRUST`]).
type Probe = BoxFuture<'static, (Instant, Result<(), Option<Error>>)>;

/// Sends `CLIENT TRACKING ON` (default mode: Redis remembers the keys this connection reads).
fn start_tracking(client: &Client) -> Probe {
    let client = client.clone();
    Box::pin(async move {
        let sent = Instant::now();
        let tracking = client.start_tracking(Vec::<String>::new(), false, false, false, false);
        let answer = tokio::time::timeout(TRUST, tracking).await;
        (sent, answer.map_err(|_| None).and_then(|r| r.map_err(Some)))
    })
}

fn ping(client: &Client) -> Probe {
    let client = client.clone();
    Box::pin(async move {
        let sent = Instant::now();
        let answer = tokio::time::timeout(TRUST, client.ping::<fred::types::Value>(None)).await;
        let answer = answer
            .map_err(|_| None)
            .and_then(|r| r.map(drop).map_err(Some));
        (sent, answer)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cached(id: &str, n: usize) -> Cached {
        let mut data = Map::new();
        data.insert("v".to_owned(), json!("x".repeat(n)));
        Cached::new(id, data, 1, 2)
    }

    fn tracked(entries: usize, bytes: usize) -> Cache {
        let cache = Cache::new("p:session:".to_owned(), entries, bytes);
        cache.on(Instant::now());
        cache
    }

    fn miss(cache: &Cache, id: &str) -> u64 {
        match cache.get(id) {
            Lookup::Miss(Some(generation)) => generation,
            Lookup::Miss(None) => panic!("the cache is off"),
            Lookup::Hit(_) => panic!("{id} is cached"),
        }
    }

    fn hit(cache: &Cache, id: &str) -> bool {
        matches!(cache.get(id), Lookup::Hit(_))
    }

    #[test]
    fn off_until_tracked_and_trusted_only_briefly() {
        let cache = Cache::new("p:session:".to_owned(), 10, 1 << 20);
        assert!(matches!(cache.get("a"), Lookup::Miss(None)));
        cache.fill("a", 0, cached("a", 1));
        assert_eq!(cache.usage().0, 0, "no fill while untracked");

        cache.on(Instant::now());
        let generation = miss(&cache, "a");
        cache.fill("a", generation, cached("a", 1));
        assert!(hit(&cache, "a"));

        // Not heard from within `TRUST`: the copy is not used.
        cache.state.lock().unwrap().heard = Some(Instant::now() - TRUST);
        assert!(!hit(&cache, "a"));
        cache.heard(Instant::now());
        assert!(hit(&cache, "a"));

        cache.off();
        assert!(matches!(cache.get("a"), Lookup::Miss(None)));
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn a_read_overtaken_by_an_invalidation_does_not_fill() {
        let cache = tracked(10, 1 << 20);
        let generation = miss(&cache, "a");
        cache.invalidate(&["p:session:other".into()]);
        cache.fill("a", generation, cached("a", 1));
        assert!(!hit(&cache, "a"));

        let generation = miss(&cache, "a");
        cache.fill("a", generation, cached("a", 1));
        assert!(hit(&cache, "a"));
        cache.invalidate(&["p:session:a".into()]);
        assert!(!hit(&cache, "a"));

        // A reconnection in between: no fill either.
        let generation = miss(&cache, "a");
        cache.off();
        cache.on(Instant::now());
        cache.fill("a", generation, cached("a", 1));
        assert!(!hit(&cache, "a"));

        // An invalidation without keys (a flush of Redis) drops everything.
        let generation = miss(&cache, "b");
        cache.fill("b", generation, cached("b", 1));
        cache.invalidate(&[]);
        assert_eq!(cache.usage(), (0, 0));
    }

    #[test]
    fn entries_and_bytes_stay_within_bounds() {
        let cache = tracked(3, 1 << 20);
        for id in ["a", "b", "c", "d"] {
            let generation = miss(&cache, id);
            cache.fill(id, generation, cached(id, 10));
        }
        assert_eq!(cache.usage().0, 3);
        assert!(!hit(&cache, "a"), "the least recently used went first");
        assert!(hit(&cache, "b") && hit(&cache, "c") && hit(&cache, "d"));

        let size = cached("a", 1000).size;
        let cache = tracked(100, 2 * size + 10);
        for id in ["a", "b", "c"] {
            let generation = miss(&cache, id);
            cache.fill(id, generation, cached(id, 1000));
            assert!(cache.usage().1 <= 2 * size + 10);
        }
        assert_eq!(cache.usage(), (2, 2 * size));
        let generation = miss(&cache, "big");
        cache.fill("big", generation, cached("big", 3 * size));
        assert!(!hit(&cache, "big"), "larger than the whole cache");
        assert_eq!(cache.usage(), (2, 2 * size), "and nothing evicted for it");

        // Replacing an entry counts its size once.
        let generation = miss(&cache, "a");
        cache.fill("a", generation, cached("a", 1000));
        cache.invalidate(&["p:session:b".into(), "p:session:c".into()]);
        let generation = miss(&cache, "c");
        cache.fill("c", generation, cached("c", 1000));
        assert_eq!(cache.usage(), (2, 2 * size));
    }
}
