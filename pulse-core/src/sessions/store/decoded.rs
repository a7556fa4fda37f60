//! The cookie store's memory of cookies it has verified: a browser sends the same `pulse.sid`
//! on every request until the session changes, so its signature (or decryption) and its JSON
//! are worked out once, not on every request.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};

use serde_json::{Map, Value};

/// How many bytes of cookies (and their decoded data) the memory holds at most: 1 MiB. When a
/// new cookie would pass it, everything is forgotten and the memory fills again.
pub(crate) const DECODED_BYTES: usize = 1 << 20;

/// What a valid cookie held, before the checks that change over time (revocation, expiry),
/// which run on every request.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub(crate) id: String,
    pub(crate) created: u64,
    pub(crate) seen: u64,
    pub(crate) data: Map<String, Value>,
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
    by_value: HashMap<Box<str>, Arc<Decoded>, foldhash::fast::RandomState>,
    bytes: usize,
}

impl DecodedCookies {
    /// What `cookie` held, if it was verified before.
    pub(crate) fn get(&self, cookie: &str) -> Option<Arc<Decoded>> {
        // No code that can panic runs under the lock.
        let entries = self.inner.read().unwrap_or_else(PoisonError::into_inner);
        entries.by_value.get(cookie).cloned()
    }

    /// Remembers what the verified `cookie` held; `size` is about how many bytes its data
    /// takes (the JSON it came from).
    pub(crate) fn insert(&self, cookie: &str, decoded: Arc<Decoded>, size: usize) {
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
