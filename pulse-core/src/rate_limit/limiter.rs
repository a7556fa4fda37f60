//! [`Limiter`]: one keyed GCRA limiter (governor) with a bounded key table, and [`Quota`].

use std::cell::Cell;
use std::convert::Infallible;
use std::fmt;
use std::hash::{BuildHasher, BuildHasherDefault, Hash, Hasher, RandomState};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use governor::clock::{Clock, QuantaClock};
use governor::middleware::NoOpMiddleware;
use governor::nanos::Nanos;
use governor::state::keyed::{DashMapStateStore, ShrinkableKeyedStateStore};
use governor::state::{NotKeyed, StateStore};

use crate::outcome::TooManyRequests;

/// How many keys one limiter keeps by default (see [`Limiter::max_keys`]).
pub const DEFAULT_MAX_KEYS: usize = 100_000;

/// New keys between two looks at the key table (counted only when a key is added, so checks of
/// known keys touch no shared counter); a look prunes stale keys when the last pruning is older
/// than [`PRUNE_INTERVAL`] or the table is over its bound.
const NEW_KEYS_PER_LOOK: u64 = 1024;
/// The longest time between two prunings of a busy limiter.
const PRUNE_INTERVAL: Duration = Duration::from_secs(10);

/// How many requests a key may make: a burst, refilled one request at a time.
///
/// `Quota::per_minute(10)` allows 10 at once, then one every 6 seconds; `.burst(n)` changes
/// the burst and keeps the rate:
///
/// ```
/// # use pulse_core as ps;
/// let callbacks = ps::Quota::per_second(20).burst(50); // 20/s on average, 50 at once
/// let sign_ins = ps::Quota::per_minute(10);
/// # let _ = (callbacks, sign_ins);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Quota(governor::Quota);

fn non_zero(n: u32, what: &str) -> NonZeroU32 {
    match NonZeroU32::new(n) {
        Some(n) => n,
        None => panic!("a rate-limit quota needs a {what} of at least 1, not 0"),
    }
}

impl Quota {
    /// `n` requests a second (a burst of `n`).
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn per_second(n: u32) -> Quota {
        Quota(governor::Quota::per_second(non_zero(n, "rate")))
    }

    /// `n` requests a minute (a burst of `n`).
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn per_minute(n: u32) -> Quota {
        Quota(governor::Quota::per_minute(non_zero(n, "rate")))
    }

    /// `n` requests an hour (a burst of `n`).
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn per_hour(n: u32) -> Quota {
        Quota(governor::Quota::per_hour(non_zero(n, "rate")))
    }

    /// The same rate with a burst of `n` requests.
    ///
    /// # Panics
    /// When `n` is 0.
    pub fn burst(self, n: u32) -> Quota {
        Quota(self.0.allow_burst(non_zero(n, "burst")))
    }

    /// How many requests may come at once.
    pub fn burst_size(&self) -> u32 {
        self.0.burst_size().get()
    }

    /// The time one request's allowance takes to come back.
    pub fn replenish_interval(&self) -> Duration {
        self.0.replenish_interval()
    }
}

thread_local! {
    /// Set around a [`Limiter::peek`]: the store then answers without recording anything.
    static DRY_RUN: Cell<bool> = const { Cell::new(false) };
}

/// Keys reach the table already hashed (with a keyed hasher): the table uses them as they are.
#[derive(Clone, Copy, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Table = DashMapStateStore<u64, BuildHasherDefault<Prehashed>>;

/// governor's DashMap store, plus a dry-run mode for [`Limiter::peek`] (governor's own decision
/// on the key's current state, never written back), counting the keys it adds.
struct Store {
    table: Arc<Table>,
    new_keys: AtomicU64,
    /// Set every [`NEW_KEYS_PER_LOOK`] new keys; the limiter then looks at the table.
    look: Arc<AtomicBool>,
}

impl Store {
    #[cold]
    fn added_key(&self) {
        if self.new_keys.fetch_add(1, Ordering::Relaxed) % NEW_KEYS_PER_LOOK
            == NEW_KEYS_PER_LOOK - 1
        {
            self.look.store(true, Ordering::Relaxed);
        }
    }
}

impl StateStore for Store {
    type Key = u64;

    fn measure_and_replace<T, F, E>(&self, key: &u64, f: F) -> Result<T, E>
    where
        F: Fn(Option<Nanos>) -> Result<(T, Nanos), E>,
    {
        if !DRY_RUN.with(Cell::get) {
            // governor measures a key it has no state for as `None` (a new entry).
            let added = Cell::new(false);
            let decision = self.table.measure_and_replace(key, |tat| {
                added.set(tat.is_none());
                f(tat)
            });
            if added.get() {
                self.added_key();
            }
            return decision;
        }
        let Some(state) = self.table.get(key) else {
            return f(None).map(|(decision, _)| decision);
        };
        // A closure that always "fails" leaves the state as it is.
        let peeked = state.measure_and_replace(&NotKeyed::NonKey, |tat| {
            Err::<(Infallible, Nanos), _>(f(tat).map(|(decision, _)| decision))
        });
        match peeked {
            Ok(never) => match never {},
            Err(decision) => decision,
        }
    }
}

impl ShrinkableKeyedStateStore<u64> for Store {
    fn retain_recent(&self, drop_below: Nanos) {
        self.table.retain_recent(drop_below);
    }

    fn shrink_to_fit(&self) {
        self.table.shrink_to_fit();
    }

    fn len(&self) -> usize {
        self.table.len()
    }

    fn is_empty(&self) -> bool {
        self.table.is_empty()
    }
}

type Gcra =
    governor::RateLimiter<u64, Store, QuantaClock, NoOpMiddleware<governor::clock::QuantaInstant>>;

/// A keyed rate limiter: each key (an IP address, an email, a session id — anything `Hash`)
/// gets its own [`Quota`]. Cheap to clone (clones share the counts).
///
/// Built on governor's GCRA: one atomic word per key, no background task. Keys whose
/// allowance is full again are dropped as new keys come in (every 1024 new keys the table is
/// looked at: pruned when over its bound or not pruned for 10 s), and the table never holds
/// more than [`max_keys`](Limiter::max_keys) keys plus those 1024 (when pruning cannot bring it
/// under the bound, it is cleared and a warning logged: memory stays bounded, counts restart).
/// Checking a known key touches no shared counter.
///
/// For limits inside an endpoint, e.g. counting only failed sign-ins:
///
/// ```
/// # use pulse_core as ps;
/// let failures = ps::Limiter::new(ps::Quota::per_minute(10));
/// let email = "ada@example.com";
/// for _ in 0..10 {
///     assert!(failures.peek(&email).is_ok()); // may this client try?
///     let _ = failures.check(&email); // a wrong password: count it
/// }
/// let limited = failures.peek(&email).unwrap_err();
/// assert!(limited.retry_after_secs() >= 1);
/// ```
#[derive(Clone)]
pub struct Limiter {
    inner: Arc<Inner>,
}

struct Inner {
    gcra: Gcra,
    /// The table `gcra` keeps its state in (shared, to clear it).
    keys: Arc<Table>,
    quota: Quota,
    /// For built-in keys (session ids, socket ids, addresses): fast, seeded per limiter.
    hasher: foldhash::quality::RandomState,
    /// For keys of users' functions, which clients may choose: SipHash.
    sip: RandomState,
    /// Set by the store every [`NEW_KEYS_PER_LOOK`] new keys.
    look: Arc<AtomicBool>,
    last_prune: Mutex<Instant>,
    max_keys: usize,
}

impl fmt::Debug for Limiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Limiter")
            .field("quota", &self.inner.quota)
            .field("keys", &self.inner.gcra.len())
            .field("max_keys", &self.inner.max_keys)
            .finish()
    }
}

impl Limiter {
    /// A limiter giving each key `quota`, keeping at most [`DEFAULT_MAX_KEYS`] keys.
    pub fn new(quota: Quota) -> Limiter {
        Limiter::with_max_keys(quota, DEFAULT_MAX_KEYS)
    }

    /// A limiter keeping at most `max_keys` keys (at least 1).
    pub fn with_max_keys(quota: Quota, max_keys: usize) -> Limiter {
        let keys = Arc::new(Table::default());
        let look = Arc::new(AtomicBool::new(false));
        let store = Store {
            table: keys.clone(),
            new_keys: AtomicU64::new(0),
            look: look.clone(),
        };
        Limiter {
            inner: Arc::new(Inner {
                gcra: governor::RateLimiter::new(quota.0, store, QuantaClock::default()),
                keys,
                quota,
                hasher: foldhash::quality::RandomState::default(),
                sip: RandomState::new(),
                look,
                last_prune: Mutex::new(Instant::now()),
                max_keys: max_keys.max(1),
            }),
        }
    }

    /// The quota each key gets.
    pub fn quota(&self) -> Quota {
        self.inner.quota
    }

    /// The bound on the key table.
    pub fn max_keys(&self) -> usize {
        self.inner.max_keys
    }

    /// How many keys the table holds now.
    pub fn len(&self) -> usize {
        self.inner.gcra.len()
    }

    /// Whether the table holds no key.
    pub fn is_empty(&self) -> bool {
        self.inner.gcra.is_empty()
    }

    /// Counts one request of `key`: `Ok` when it is within the quota, else how long to wait.
    pub fn check<K: Hash + ?Sized>(&self, key: &K) -> Result<(), TooManyRequests> {
        self.check_hashed(self.hash_chosen(key))
    }

    /// Whether one more request of `key` would be within the quota, counting nothing.
    pub fn peek<K: Hash + ?Sized>(&self, key: &K) -> Result<(), TooManyRequests> {
        let key = self.hash_chosen(key);
        DRY_RUN.with(|dry| dry.set(true));
        let decision = self.inner.gcra.check_key(&key);
        DRY_RUN.with(|dry| dry.set(false));
        self.decide(decision)
    }

    /// Hashes a key the framework chose (a session or socket id, an address).
    pub(crate) fn hash<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        self.inner.hasher.hash_one(key)
    }

    /// Hashes a key a client may choose (an email, a user function's key): SipHash, so no one
    /// can aim keys at one slot of the table.
    pub(crate) fn hash_chosen<K: Hash + ?Sized>(&self, key: &K) -> u64 {
        self.inner.sip.hash_one(key)
    }

    /// [`Limiter::check`] for a key already hashed with [`Limiter::hash`].
    #[inline]
    pub(crate) fn check_hashed(&self, key: u64) -> Result<(), TooManyRequests> {
        let decision = self.inner.gcra.check_key(&key);
        if self.inner.look.load(Ordering::Relaxed) {
            self.maintain();
        }
        self.decide(decision)
    }

    fn decide(
        &self,
        decision: Result<(), governor::NotUntil<governor::clock::QuantaInstant>>,
    ) -> Result<(), TooManyRequests> {
        decision.map_err(|not_until| TooManyRequests {
            retry_after: not_until.wait_time_from(self.inner.gcra.clock().now()),
        })
    }

    /// Drops stale keys now and then, and keeps the table within its bound.
    #[cold]
    fn maintain(&self) {
        // Another thread is at it: skip.
        let Ok(mut last) = self.inner.last_prune.try_lock() else {
            return;
        };
        self.inner.look.store(false, Ordering::Relaxed);
        let gcra = &self.inner.gcra;
        let over = gcra.len() > self.inner.max_keys;
        if !over && last.elapsed() < PRUNE_INTERVAL {
            return;
        }
        *last = Instant::now();
        gcra.retain_recent();
        gcra.shrink_to_fit();
        let len = gcra.len();
        if len > self.inner.max_keys {
            tracing::warn!(
                keys = len,
                max_keys = self.inner.max_keys,
                "rate limiter over its key bound after pruning; counts restart"
            );
            self.inner.keys.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_burst_passes_then_the_wait_is_told() {
        let limiter = Limiter::new(Quota::per_minute(3));
        for _ in 0..3 {
            assert_eq!(limiter.check("a"), Ok(()));
        }
        let limited = limiter.check("a").unwrap_err();
        assert!(limited.retry_after > Duration::from_secs(15), "{limited:?}");
        assert!(
            limited.retry_after <= Duration::from_secs(20),
            "{limited:?}"
        );
        // Keys are counted apart.
        assert_eq!(limiter.check("b"), Ok(()));
    }

    #[test]
    fn peeking_counts_nothing() {
        let limiter = Limiter::new(Quota::per_hour(2));
        for _ in 0..100 {
            assert_eq!(limiter.peek("a"), Ok(()));
        }
        assert!(
            limiter.is_empty(),
            "a peek at an unknown key stores nothing"
        );
        assert_eq!(limiter.check("a"), Ok(()));
        for _ in 0..100 {
            assert_eq!(limiter.peek("a"), Ok(()));
        }
        assert_eq!(limiter.check("a"), Ok(()));
        assert!(limiter.peek("a").is_err());
        assert!(limiter.check("a").is_err());
    }

    #[test]
    fn the_key_table_stays_within_its_bound() {
        let limiter = Limiter::with_max_keys(Quota::per_hour(1), 100);
        let mut largest = 0;
        for key in 0..20_000u32 {
            let _ = limiter.check(&key);
            largest = largest.max(limiter.len());
        }
        // Between two looks at the table at most `NEW_KEYS_PER_LOOK` keys come in.
        let bound = 100 + NEW_KEYS_PER_LOOK as usize;
        assert!(largest <= bound, "{largest} keys, bound {bound}");
    }

    #[test]
    fn stale_keys_are_pruned() {
        let limiter = Limiter::new(Quota::per_second(1_000_000));
        for key in 0..NEW_KEYS_PER_LOOK as u32 - 1 {
            let _ = limiter.check(&key);
        }
        assert_eq!(limiter.len(), NEW_KEYS_PER_LOOK as usize - 1);
        // Every allowance is full again after a microsecond; force the next look to prune.
        std::thread::sleep(Duration::from_millis(2));
        *limiter.inner.last_prune.lock().unwrap() -= PRUNE_INTERVAL;
        let _ = limiter.check(&u32::MAX);
        assert!(limiter.len() <= 1, "{} keys left", limiter.len());
    }
}
