//! [`Sockets`]: the open sockets of a [`Live`](super::Live), counted, and told to close when the
//! server shuts down.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use tokio::sync::{Notify, watch};

/// The open sockets of one `Live` (shared by its clones).
#[derive(Clone, Debug, Default)]
pub(crate) struct Sockets {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    open: AtomicUsize,
    next_id: AtomicU64,
    /// Woken when the last socket is released.
    idle: Notify,
    /// `true` once the server shuts down.
    shutdown: watch::Sender<bool>,
}

impl Default for Inner {
    fn default() -> Inner {
        Inner {
            open: AtomicUsize::new(0),
            next_id: AtomicU64::new(1),
            idle: Notify::new(),
            shutdown: watch::Sender::new(false),
        }
    }
}

impl Sockets {
    /// Counts a socket as open until the returned guard drops.
    pub(crate) fn open_one(&self) -> Open {
        self.inner.open.fetch_add(1, Ordering::AcqRel);
        Open {
            sockets: self.clone(),
            id: self.inner.next_id.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// How many sockets are open.
    pub(crate) fn open(&self) -> usize {
        self.inner.open.load(Ordering::Acquire)
    }

    /// Whether the server is shutting down.
    pub(crate) fn is_shutting_down(&self) -> bool {
        *self.inner.shutdown.borrow()
    }

    /// A receiver that turns `true` when the server shuts down.
    pub(crate) fn shutdown_signal(&self) -> watch::Receiver<bool> {
        self.inner.shutdown.subscribe()
    }

    /// Tells every socket to close, then waits until none is open.
    pub(crate) async fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        loop {
            let idle = self.inner.idle.notified();
            tokio::pin!(idle);
            idle.as_mut().enable();
            if self.open() == 0 {
                return;
            }
            idle.await;
        }
    }
}

/// One open socket; released on drop.
#[derive(Debug)]
pub(crate) struct Open {
    sockets: Sockets,
    /// The socket's id, as its tracing span shows it.
    pub(crate) id: u64,
}

impl Drop for Open {
    fn drop(&mut self) {
        if self.sockets.inner.open.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.sockets.inner.idle.notify_waiters();
        }
    }
}
