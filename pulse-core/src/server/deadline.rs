//! The header-read deadline of [`listen`](super::listen)'s connections, kept by one sweeper
//! task for the whole server instead of a timer per request.
//!
//! Each connection records, in one atomic, the tick at which it began waiting for a request's
//! head (when it was accepted, and when the body of each response was done with), or that a
//! request is running. Every tenth of the timeout the sweeper advances the tick and cuts the
//! connections that have waited longer than the timeout. A request costs two atomic stores
//! and a reference count; hyper's own header timer registered, polled and removed a tokio
//! timer and boxed a sleep per request (≈ 1.5k instructions per request over loopback).
//!
//! A connection is cut between the timeout and a fifth more after it began waiting. The
//! deadline covers what hyper's did: a client slow to send its head, and an idle kept-alive
//! connection; not a running request, nor a response body the client reads slowly.

use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, Weak};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use futures_util::task::AtomicWaker;
use http_body::{Frame, SizeHint};
use tokio::time::{Instant, MissedTickBehavior};

/// How many ticks a timeout spans: the sweeper looks every tenth of the timeout.
const TICKS_PER_TIMEOUT: u32 = 10;

/// `since` while a request is running: no deadline.
const RUNNING: u64 = u64::MAX;

/// The server's deadlines: the tick, and the connections to look at.
pub(crate) struct Deadlines {
    /// Ticks since the sweeper started (a coarse clock for the connections' records).
    tick: AtomicU64,
    /// The open connections (and, until the next sweep, some that ended).
    connections: Mutex<Vec<Weak<Connection>>>,
}

/// One connection's record.
pub(crate) struct Connection {
    deadlines: Arc<Deadlines>,
    /// The tick at which the connection began waiting for a head, or [`RUNNING`].
    since: AtomicU64,
    /// Set by the sweeper when the connection waited too long; its task is woken.
    expired: AtomicBool,
    task: AtomicWaker,
}

impl Deadlines {
    /// The deadlines of a server whose clients have `timeout` to send a request's head, and
    /// the sweeper that keeps them (it ends when the last handle to the deadlines is dropped).
    pub(crate) fn start(timeout: Duration) -> Arc<Deadlines> {
        let deadlines = Arc::new(Deadlines {
            tick: AtomicU64::new(0),
            connections: Mutex::new(Vec::new()),
        });
        let period = (timeout / TICKS_PER_TIMEOUT).max(Duration::from_millis(1));
        // Whole ticks a connection may wait; cut past one more, since a record is up to a tick
        // older than the moment it stands for.
        let allowed = timeout.as_nanos().div_ceil(period.as_nanos()) as u64;
        tokio::spawn(sweep(Arc::downgrade(&deadlines), period, allowed));
        deadlines
    }

    /// Records a connection just accepted: waiting for its first head from now.
    pub(crate) fn connection(self: &Arc<Self>) -> Arc<Connection> {
        let connection = Arc::new(Connection {
            deadlines: Arc::clone(self),
            since: AtomicU64::new(self.tick.load(Ordering::Relaxed)),
            expired: AtomicBool::new(false),
            task: AtomicWaker::new(),
        });
        self.connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::downgrade(&connection));
        connection
    }
}

/// Every `period`: the next tick, and the connections that waited more than `allowed` ticks
/// are told so. Ends with the server (when the deadlines are dropped).
async fn sweep(deadlines: Weak<Deadlines>, period: Duration, allowed: u64) {
    let mut interval = tokio::time::interval_at(Instant::now() + period, period);
    interval.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        interval.tick().await;
        let Some(deadlines) = deadlines.upgrade() else {
            return;
        };
        let now = deadlines.tick.fetch_add(1, Ordering::Relaxed) + 1;
        let mut connections = deadlines
            .connections
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        connections.retain(|connection| {
            let Some(connection) = connection.upgrade() else {
                return false;
            };
            let since = connection.since.load(Ordering::Relaxed);
            if since != RUNNING && now.saturating_sub(since) > allowed {
                connection.expired.store(true, Ordering::Release);
                connection.task.wake();
            }
            true
        });
    }
}

impl Connection {
    /// A request's head arrived: no deadline while it runs.
    pub(crate) fn running(&self) {
        self.since.store(RUNNING, Ordering::Relaxed);
    }

    /// The response is done with: the connection waits for its next head from now.
    fn waiting(&self) {
        let now = self.deadlines.tick.load(Ordering::Relaxed);
        self.since.store(now, Ordering::Relaxed);
    }

    /// Completes when the sweeper found the connection waiting past the timeout, unless a
    /// head arrived since (a request runs): then it waits for the next notice. Polled on every
    /// wake of the connection's task: an atomic load when nothing happened.
    pub(crate) fn expired(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            loop {
                if self.expired.load(Ordering::Acquire)
                    && self.expired.swap(false, Ordering::AcqRel)
                {
                    if self.since.load(Ordering::Relaxed) != RUNNING {
                        return Poll::Ready(());
                    }
                    // Found waiting, but its head arrived before this task ran.
                    continue;
                }
                self.task.register(cx.waker());
                if !self.expired.load(Ordering::Acquire) {
                    return Poll::Pending;
                }
            }
        })
    }

    /// `body`, marking the connection waiting again once hyper is done with it (sent or
    /// dropped).
    pub(crate) fn track(self: &Arc<Self>, body: Body) -> Tracked {
        Tracked {
            body,
            connection: Arc::clone(self),
        }
    }
}

/// A response body that marks its connection waiting for the next head when dropped.
pub(crate) struct Tracked {
    body: Body,
    connection: Arc<Connection>,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        self.connection.waiting();
    }
}

impl http_body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}
