//! The accept loop behind [`Server::serve`](super::Server::serve): hyper's HTTP/1 connections
//! with a header-read timeout ([`deadline`](super::deadline)), a connection limit, a large
//! listen backlog, and a graceful shutdown that includes WebSockets.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use futures_util::FutureExt;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpSocket, ToSocketAddrs};
use tokio::sync::{Semaphore, mpsc, watch};
use tracing::Instrument;

use super::Built;
use super::deadline::Deadlines;
use crate::peer::ConnectionSlot;

/// The default time a client has to send a request's headers: 10 s.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// The default most connections served at once (WebSockets included): 25,000.
pub const DEFAULT_MAX_CONNECTIONS: usize = 25_000;
/// The default listen backlog: 4,096 (Linux caps it at `net.core.somaxconn`).
pub const DEFAULT_BACKLOG: u32 = 4096;
/// The default time a graceful shutdown may take: 10 s.
pub const DEFAULT_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(10);

/// The HTTP layer's bounds, set on [`Server`](super::Server).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub(crate) header_read_timeout: Duration,
    pub(crate) max_connections: usize,
    pub(crate) backlog: u32,
    pub(crate) shutdown_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            header_read_timeout: DEFAULT_HEADER_READ_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            backlog: DEFAULT_BACKLOG,
            shutdown_timeout: DEFAULT_SHUTDOWN_TIMEOUT,
        }
    }
}

/// Binds `addr` with a listen backlog of `backlog` connections (tokio's `TcpListener::bind`
/// uses 128, too few for every client of a restarted server reconnecting at once).
pub(crate) async fn bind(addr: impl ToSocketAddrs, backlog: u32) -> io::Result<TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(addr).await? {
        let socket = match addr {
            SocketAddr::V4(_) => TcpSocket::new_v4()?,
            SocketAddr::V6(_) => TcpSocket::new_v6()?,
        };
        socket.set_reuseaddr(true)?;
        match socket.bind(addr).and_then(|()| socket.listen(backlog)) {
            Ok(listener) => return Ok(listener),
            Err(error) => last = Some(error),
        }
    }
    Err(last
        .unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address to listen on")))
}

/// Serves `router` on `listener` until `shutdown` completes, then shuts down gracefully:
/// stops accepting, closes every WebSocket with 1012, lets in-flight requests finish, and
/// returns within `limits.shutdown_timeout`.
pub(crate) async fn run(
    listener: TcpListener,
    built: Built,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send,
) -> io::Result<()> {
    let Built { service, live } = built;
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    // Dropped to tell connections to finish; `done` ends when every connection task ended.
    let (stop, stopped) = watch::channel(());
    let (alive, mut done) = mpsc::channel::<Infallible>(1);
    // hyper's own header timer is off (no timer given): one sweeper keeps the deadlines.
    let builder = Arc::new(hyper::server::conn::http1::Builder::new());
    let deadlines = Deadlines::start(limits.header_read_timeout);
    tokio::pin!(shutdown);
    let mut next_id: u64 = 0;
    loop {
        let permit = tokio::select! {
            () = &mut shutdown => break,
            permit = permits.clone().acquire_owned() => match permit {
                Ok(permit) => permit,
                Err(_) => break,
            },
        };
        let (stream, client) = tokio::select! {
            () = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    accept_failed(error).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        next_id += 1;
        let span = tracing::info_span!("pulse.http", conn = next_id, %client);
        let slot = ConnectionSlot::new(permit);
        let pulse = service.clone();
        let connection = deadlines.connection();
        let tracked = Arc::clone(&connection);
        let service = hyper::service::service_fn(move |request: http::Request<Incoming>| {
            tracked.running();
            let tracked = Arc::clone(&tracked);
            pulse
                .answer_from(request.map(Body::new), client, &slot)
                .map(move |answered| {
                    answered.map(|response| response.map(|body| tracked.track(body)))
                })
        });
        let builder = builder.clone();
        let mut stopped = stopped.clone();
        let alive = alive.clone();
        let serve = async move {
            let served = builder
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::pin!(served);
            let mut stopping = false;
            loop {
                tokio::select! {
                    result = served.as_mut() => {
                        if let Err(error) = result {
                            tracing::debug!(%error, "connection ended with an error");
                        }
                        break;
                    }
                    _ = stopped.changed(), if !stopping => {
                        stopping = true;
                        served.as_mut().graceful_shutdown();
                    }
                    () = connection.expired() => {
                        tracing::debug!("closed a connection that sent no request head in time");
                        break;
                    }
                }
            }
            drop(alive);
        };
        // A span no subscriber wants is not entered and left on every poll.
        if span.is_disabled() {
            tokio::spawn(serve);
        } else {
            tokio::spawn(serve.instrument(span));
        }
    }
    drop(listener);
    tracing::info!(
        sockets = live.connections(),
        "shutting down: no new connections; closing WebSockets with 1012"
    );
    drop(stop);
    drop(alive);
    let drained = async {
        live.shutdown().await;
        // Every connection task ended (hyper finishes in-flight requests first).
        let _ = done.recv().await;
    };
    if tokio::time::timeout(limits.shutdown_timeout, drained)
        .await
        .is_err()
    {
        tracing::warn!(
            sockets = live.connections(),
            connections = limits.max_connections - permits.available_permits(),
            "shutdown timed out; dropping what is left"
        );
    }
    Ok(())
}

/// Accept errors (too many open files, a connection reset while queued) do not end the
/// server; it waits a little when out of resources.
async fn accept_failed(error: io::Error) {
    match error.kind() {
        io::ErrorKind::ConnectionAborted
        | io::ErrorKind::ConnectionReset
        | io::ErrorKind::ConnectionRefused => {}
        _ => {
            tracing::error!(%error, "accept failed");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
