//! The header-read deadline of [`listen`](super::listen)'s connections, kept by one sweeper
//! task for the whole server instead of a timer per request.
//!
//! Each connection records, in one atomic, the tick at which it began waiting for a request's
//! head (when it was accepted, and when the body of each response was done with), or that a
//! request is running. Every tenth of the timeout (at least once a second) the sweeper advances
//! the tick and cuts the connections that have waited longer than the timeout. Looking once a
//! second at least also bounds the list of connections, which the sweep clears of ended ones. A request costs two atomic stores
//! and a reference count; hyper's own header timer registered, polled and removed a tokio
//! timer and boxed a sleep per request (≈ 1.5k instructions per request over loopback).
//!
//! A connection is cut between the timeout and two ticks more after it began waiting (a fifth
//! of the timeout, or two seconds for a timeout over ten). The
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

/// How many ticks a timeout spans: the sweeper looks every tenth of the timeout…
const TICKS_PER_TIMEOUT: u32 = 10;
/// … and at least this often.
const LONGEST_TICK: Duration = Duration::from_secs(1);

/// `since` while a request is running: no deadline.
const RUNNING: u64 = u64::MAX;

/// The server's deadlines: the tick, and the connections to look at.
pub(crate) struct Deadlines {
    /// Ticks since the sweeper started (a coarse clock for the connections' records).
    tick: AtomicU64,
    /// How many ticks a connection may wait: one more is past the timeout.
    allowed: u64,
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
        let period = (timeout / TICKS_PER_TIMEOUT).clamp(Duration::from_millis(1), LONGEST_TICK);
        let deadlines = Arc::new(Deadlines {
            tick: AtomicU64::new(0),
            // Whole ticks a connection may wait; cut past one more, since a record is up to a
            // tick older than the moment it stands for.
            allowed: u64::try_from(timeout.as_nanos().div_ceil(period.as_nanos()))
                .unwrap_or(u64::MAX),
            connections: Mutex::new(Vec::new()),
        });
        tokio::spawn(sweep(Arc::downgrade(&deadlines), period));
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

/// Every `period`: the next tick, and the connections that waited past the timeout are told
/// so. Ends with the server (when the deadlines are dropped).
async fn sweep(deadlines: Weak<Deadlines>, period: Duration) {
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
            if connection.is_past(now) {
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

    /// Whether the connection has waited for a head past the timeout at tick `now`.
    fn is_past(&self, now: u64) -> bool {
        let since = self.since.load(Ordering::Relaxed);
        since != RUNNING && now.saturating_sub(since) > self.deadlines.allowed
    }

    /// The response is done with: the connection waits for its next head from now.
    fn waiting(&self) {
        let now = self.deadlines.tick.load(Ordering::Relaxed);
        self.since.store(now, Ordering::Relaxed);
    }

    /// Completes when the sweeper found the connection waiting past the timeout and it still
    /// is (a head may have arrived, and even been answered, before this task ran: then it
    /// waits for the next notice). Polled on every wake of the connection's task: an atomic
    /// load when nothing happened.
    pub(crate) fn expired(&self) -> impl Future<Output = ()> + '_ {
        std::future::poll_fn(move |cx| {
            loop {
                if self.expired.load(Ordering::Acquire)
                    && self.expired.swap(false, Ordering::AcqRel)
                {
                    if self.is_past(self.deadlines.tick.load(Ordering::Relaxed)) {
                        return Poll::Ready(());
                    }
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

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    fn has_expired(connection: &Connection) -> bool {
        connection.expired().now_or_never().is_some()
    }

    #[tokio::test(start_paused = true)]
    async fn only_connections_waiting_past_the_timeout_expire() {
        let deadlines = Deadlines::start(Duration::from_millis(100));
        let idle = deadlines.connection();
        let running = deadlines.connection();
        running.running();
        let answered = deadlines.connection();
        let raced = deadlines.connection();
        tokio::time::sleep(Duration::from_millis(95)).await;
        assert!(!has_expired(&idle), "within the timeout");
        // A request answered late in the first wait: its connection waits afresh.
        answered.running();
        answered.waiting();
        // Past the timeout and a tick of the sweeper (the cut comes within a fifth more).
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(has_expired(&idle));
        assert!(!has_expired(&running), "a running request is not cut");
        assert!(!has_expired(&answered), "a fresh wait is not cut");
        // The sweeper found `raced` past the timeout, but a request came and was answered
        // before its task looked: the notice is stale.
        raced.running();
        raced.waiting();
        assert!(!has_expired(&raced));
        // An answer's body marks its connection waiting when dropped.
        running.running();
        drop(running.track(Body::empty()));
        tokio::time::sleep(Duration::from_millis(95)).await;
        assert!(!has_expired(&running));
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert!(has_expired(&running));
    }

    /// A long timeout is still checked every second: the cut comes within two seconds of it.
    #[tokio::test(start_paused = true)]
    async fn long_timeouts_are_checked_every_second() {
        let deadlines = Deadlines::start(Duration::from_secs(60));
        let idle = deadlines.connection();
        tokio::time::sleep(Duration::from_millis(59_500)).await;
        assert!(!has_expired(&idle));
        tokio::time::sleep(Duration::from_millis(2_600)).await;
        assert!(has_expired(&idle));
    }
}
