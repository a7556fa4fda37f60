//! Revocation of sessions across open sockets: when a session ends or changes id, every socket
//! opened with it closes (code 4001) and the browser reconnects as whoever it now is.
//!
//! The [`RevocationBus`] carries revocations; [`LocalRevocations`] (the default) reaches the
//! sockets of this process, a shared bus (Redis pub/sub) those of every instance.

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use futures_util::future::BoxFuture;
use sha2::{Digest, Sha256};

use super::store::StoreError;

/// Receives revoked session keys (see [`session_key`]); registered once per server.
pub type RevocationSink = Arc<dyn Fn(&str) + Send + Sync>;

/// Carries session revocations to every process serving the app.
///
/// A key is [`session_key`] of a session id: an opaque hash, never the id itself, so the bus
/// never sees a bearer secret. [`publish`](Self::publish) must reach the sinks of this process
/// too (directly, or by its own echo) — ending a session closes its sockets here first.
///
/// ```
/// # use pulse_core as ps;
/// use ps::server::{RevocationBus, RevocationSink, StoreError};
/// use futures_util::future::BoxFuture;
///
/// /// Logs every revocation, then hands it to the in-process default.
/// #[derive(Default)]
/// struct Logged(ps::server::LocalRevocations);
///
/// impl RevocationBus for Logged {
///     fn publish<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
///         println!("revoked {key}");
///         self.0.publish(key)
///     }
///     fn subscribe(&self, sink: RevocationSink) {
///         self.0.subscribe(sink);
///     }
/// }
/// ```
pub trait RevocationBus: Send + Sync + 'static {
    /// Announces that the session behind `key` ended or changed id.
    fn publish<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>>;

    /// Delivers every revocation published from now on (by any process) to `sink`.
    fn subscribe(&self, sink: RevocationSink);
}

/// The in-process bus: a revocation reaches this process's sockets, synchronously.
#[derive(Clone, Default)]
pub struct LocalRevocations {
    sinks: Arc<Mutex<Vec<RevocationSink>>>,
}

impl fmt::Debug for LocalRevocations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LocalRevocations").finish_non_exhaustive()
    }
}

impl LocalRevocations {
    /// Calls every sink with `key` (what a shared bus does with a message it received).
    pub fn deliver(&self, key: &str) {
        let sinks = self
            .sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for sink in sinks {
            sink(key);
        }
    }
}

impl RevocationBus for LocalRevocations {
    fn publish<'a>(&'a self, key: &'a str) -> BoxFuture<'a, Result<(), StoreError>> {
        self.deliver(key);
        Box::pin(async { Ok(()) })
    }

    fn subscribe(&self, sink: RevocationSink) {
        self.sinks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(sink);
    }
}

/// The key sockets of session `id` are registered under, and revocations name: the first 128
/// bits of SHA-256 over a purpose tag and the id, in hex.
pub fn session_key(id: &str) -> String {
    let digest = Sha256::new()
        .chain_update(b"pulse.live-session|")
        .chain_update(id.as_bytes())
        .finalize();
    digest[..16].iter().map(|b| format!("{b:02x}")).collect()
}
