//! The cookie store's memory of cookies it has verified: a browser sends the same `pulse.sid`
//! on every request until the session changes, so its signature (or decryption) and its JSON
//! are worked out once, not on every request.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::{Map, Value};

/// How many bytes of cookies (and their decoded data) the memory holds at most: 1 MiB. When a
/// new cookie would pass it, everything is forgotten and the memory fills again.
pub(crate) const DECODED_BYTES: usize = 1 << 20;

/// What a valid cookie held, before the checks that change over time (revocation, expiry),
/// which run on every request. Cloning it shares the id and data.
#[derive(Clone, Debug)]
pub(crate) struct Decoded {
    /// Shared with the sessions loaded from it (see [`Session::restore_shared`]).
    ///
    /// [`Session::restore_shared`]: crate::session::Session::restore_shared
    pub(crate) id: Arc<String>,
    pub(crate) created: u64,
    pub(crate) seen: u64,
    /// Shared with the sessions loaded from it, each copying it on its first write.
    pub(crate) data: Arc<Map<String, Value>>,
    /// An older key of the ring signed (or encrypted) it.
    pub(crate) old_key: bool,
}

/// Decoded cookies by their exact value. Only values that verified are kept, so a hit is a
/// value this store issued under its keys (which never change for a store); anything else is
/// verified in full. Bounded by [`DECODED_BYTES`].
#[derive(Default)]
pub(crate) struct DecodedCookies {
    inner: RwLock<Entries>,
}

#[derive(Default)]
struct Entries {
    by_value: HashMap<Box<str>, Decoded, TailHash>,
    bytes: usize,
}

/// How many bytes at the end of a cookie value its hash covers.
const TAIL: usize = 16;

/// Hashes a cookie value by its last [`TAIL`] bytes (seeded per process), not all its
/// hundreds: they are the signature (or the encryption tag), different for every value the
/// store issues. Only verified values are kept, so a value crafted to share a tail finds at
/// most the few kept values of that hash, each compared in full.
#[derive(Clone, Default)]
struct TailHash(foldhash::fast::RandomState);

impl BuildHasher for TailHash {
    type Hasher = TailHasher;

    fn build_hasher(&self) -> TailHasher {
        TailHasher(self.0.build_hasher())
    }
}

struct TailHasher(foldhash::fast::FoldHasher<'static>);

impl Hasher for TailHasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.write(&bytes[bytes.len().saturating_sub(TAIL)..]);
    }

    fn write_u8(&mut self, byte: u8) {
        self.0.write_u8(byte);
    }

    fn finish(&self) -> u64 {
        self.0.finish()
    }
}

impl DecodedCookies {
    /// What `cookie` held, if it was verified before.
    pub(crate) fn get(&self, cookie: &str) -> Option<Decoded> {
        // No code that can panic runs under the lock.
        let entries = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        entries.by_value.get(cookie).cloned()
    }

    /// Remembers what the verified `cookie` held; `size` is about how many bytes its data
    /// takes (the JSON it came from).
    pub(crate) fn insert(&self, cookie: &str, decoded: Decoded, size: usize) {
        let bytes = cookie.len() + size;
        if bytes > DECODED_BYTES / 16 {
            return;
        }
        let mut entries = self.inner.write().unwrap_or_else(PoisonError::into_inner);
        if entries.bytes + bytes > DECODED_BYTES {
            entries.by_value.clear();
            entries.bytes = 0;
        }
        if entries.by_value.insert(cookie.into(), decoded).is_none() {
            entries.bytes += bytes;
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        let entries = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        entries.by_value.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(id: &str) -> Decoded {
        Decoded {
            id: Arc::new(id.to_owned()),
            created: 1,
            seen: 1,
            data: Arc::default(),
            old_key: false,
        }
    }

    #[test]
    fn values_sharing_a_tail_are_told_apart_in_full() {
        let cookies = DecodedCookies::default();
        let tail = "x".repeat(TAIL);
        let (one, two) = (format!("v2.one.{tail}"), format!("v2.two.{tail}"));
        cookies.insert(&one, decoded("one"), 10);
        assert!(cookies.get(&two).is_none(), "same tail, another value");
        cookies.insert(&two, decoded("two"), 10);
        assert_eq!(cookies.get(&one).unwrap().id.as_str(), "one");
        assert_eq!(cookies.get(&two).unwrap().id.as_str(), "two");
        assert!(cookies.get(&tail).is_none(), "the tail alone");
        assert!(cookies.get("").is_none());
        assert_eq!(cookies.len(), 2);
    }
}
