//! The HTTP server: an [`App`] served with tokio and axum.
//!
//! ```no_run
//! # use pulse_core as ps;
//! # async fn home(_: ps::PageContext) -> ps::Markup { ps::html! { h1 { "Home" } } }
//! # async fn run() -> std::io::Result<()> {
//! use axum::routing::post;
//!
//! async fn login(session: ps::Session) -> &'static str {
//!     let _ = session.insert("user_email", "ada@example.com");
//!     "ok"
//! }
//!
//! let app = ps::App::new(ps::Routes::new().route("/", home), ());
//! ps::Server::new(app)
//!     .routes(axum::Router::new().route("/api/login", post(login)))
//!     .serve("127.0.0.1:8000")
//!     .await
//! # }
//! ```
//!
//! Every request — pages, `/_pulse/*` and the routes given to [`Server::routes`] — passes the
//! session layer: the session is loaded from the `pulse.sid` cookie before the request runs and
//! saved after it, with a `Set-Cookie` only when it changed or its cookie needs refreshing.
//! A panicking handler yields a 500 and the server keeps serving.

mod config;
pub(crate) mod csrf;
mod document;
mod page;
mod prerender;
mod revocation;
mod session;
pub(crate) mod signer;
mod store;
mod ws;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::routing::post;
use tokio::net::{TcpListener, ToSocketAddrs};

use crate::app::App;
use crate::live::{ChannelBackend, Live};
use crate::request::Scheme;

pub use self::config::{
    Clock, Config, ConfigError, DEFAULT_IDLE_TIMEOUT, DEFAULT_LIFETIME, KeyRing, MIN_SECRET_LEN,
    ManualClock, Secret, SessionConfig, SystemClock,
};
pub use self::csrf::CrossOrigin;
pub use self::revocation::{LocalRevocations, RevocationBus, RevocationSink, session_key};
pub use self::session::{COOKIE_NAME, MissingSession};
pub(crate) use self::session::{Handoff, Sessions, session_cookie};
#[cfg(feature = "tower-sessions")]
pub use self::store::TowerStore;
pub use self::store::{
    COOKIE_DATA_LIMIT, CookieStore, DEFAULT_MAX_REVOKED, DEFAULT_MAX_SESSIONS, MemoryStore,
    SessionStore, StoreError,
};
/// The `tower-sessions` store trait and types [`TowerStore`] adapts.
#[cfg(feature = "tower-sessions")]
pub use tower_sessions_core;

/// What every framework handler shares: the app and the scheme it is served on.
#[derive(Clone)]
pub(crate) struct ServerState {
    pub(crate) app: App,
    pub(crate) scheme: Scheme,
}

/// The framework's own routes under `/_pulse` (pages are the fallback, added by
/// [`Server::try_into_router`]). Add further framework endpoints here; they run inside the
/// session layer, so a handler can take the [`Session`](crate::Session) extractor, and
/// `State<ServerState>` gives the app.
pub(crate) fn framework_routes() -> Router<ServerState> {
    Router::new().route("/_pulse/prerender", post(prerender::handle))
}

/// Builds the HTTP server of an [`App`]: its session store, its scheme and the app's own
/// endpoints. See the [module docs](self).
pub struct Server {
    app: App,
    routes: Router,
    store: Option<Arc<dyn SessionStore>>,
    config: Option<Config>,
    sessions: SessionConfig,
    revocations: Option<Arc<dyn RevocationBus>>,
    cross_origin: CrossOrigin,
    scheme: Scheme,
    live: Option<Live>,
    channel_backend: Option<Arc<dyn ChannelBackend>>,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("app", &self.app)
            .field("scheme", &self.scheme)
            .finish_non_exhaustive()
    }
}

impl Server {
    /// A server for `app`, with the default session store (a signed cookie keyed by
    /// `PULSE_SECRET`) and no custom endpoints.
    pub fn new(app: App) -> Server {
        Server {
            app,
            routes: Router::new(),
            store: None,
            config: None,
            sessions: SessionConfig::default(),
            revocations: None,
            cross_origin: CrossOrigin::default(),
            scheme: Scheme::Http,
            live: None,
            channel_backend: None,
        }
    }

    /// Adds the app's own endpoints (an API, webhooks, static files). They run inside the
    /// session layer: handlers take [`Session`](crate::Session) as an extractor and what they
    /// write is saved. A route given here wins over a page at the same path; one overlapping a
    /// `/_pulse` route makes building the router panic (axum's rule for overlapping routes). The
    /// router must not have a fallback: pages are the fallback. May be called several times.
    pub fn routes(mut self, routes: Router) -> Server {
        self.routes = self.routes.merge(routes);
        self
    }

    /// Serves live connections with `live` (channel handlers, message size limit, allowed
    /// origins) instead of `app.live()`'s defaults. `live` must come from this server's app.
    pub fn live(mut self, live: Live) -> Server {
        self.live = Some(live);
        self
    }

    /// Carries channel events to the app's other instances through `backend` (see
    /// [`Live::channel_backend`]; default: one instance).
    pub fn channel_backend(mut self, backend: impl ChannelBackend) -> Server {
        self.channel_backend = Some(Arc::new(backend));
        self
    }

    /// Uses `store` for sessions instead of the default signed cookie.
    pub fn session_store(mut self, store: impl SessionStore) -> Server {
        self.store = Some(Arc::new(store));
        self
    }

    /// Sets the sessions' idle timeout, absolute lifetime and clock (defaults: 7 days, 30 days,
    /// the system clock).
    pub fn session_config(mut self, config: SessionConfig) -> Server {
        self.sessions = config;
        self
    }

    /// Carries session revocations through `bus` (default: [`LocalRevocations`], this process
    /// only); a shared bus closes a session's sockets on every instance.
    pub fn revocations(mut self, bus: impl RevocationBus) -> Server {
        self.revocations = Some(Arc::new(bus));
        self
    }

    /// Sets the cross-site request protection (see [`CrossOrigin`]; on by default).
    ///
    /// ```
    /// # use pulse_core as ps;
    /// # fn f(server: ps::Server) -> ps::Server {
    /// server.cross_origin(ps::server::CrossOrigin::default().trust("https://admin.example.com"))
    /// # }
    /// ```
    pub fn cross_origin(mut self, cross_origin: CrossOrigin) -> Server {
        self.cross_origin = cross_origin;
        self
    }

    /// Reads `PULSE_ENV`, `PULSE_SECRET` and `PULSE_SECRET_PREVIOUS` from `config` instead of
    /// the process environment.
    pub fn config(mut self, config: Config) -> Server {
        self.config = Some(config);
        self
    }

    /// The scheme browsers reach the app with (default `http`). Set `Scheme::Https` behind a TLS
    /// proxy: session cookies then carry `Secure`, and hooks see `https`.
    pub fn scheme(mut self, scheme: Scheme) -> Server {
        self.scheme = scheme;
        self
    }

    /// The axum router serving the app, or why it cannot start (a missing `PULSE_SECRET` in
    /// production).
    ///
    /// Routes merged into the returned router are outside the session layer; give them to
    /// [`Server::routes`] instead. Tower layers added to it wrap everything.
    pub fn try_into_router(self) -> Result<Router, ConfigError> {
        let store = match self.store {
            Some(store) => store,
            None => {
                let config = self.config.unwrap_or_else(Config::from_env);
                Arc::new(CookieStore::new(config.keys()?))
            }
        };
        let bus = self
            .revocations
            .unwrap_or_else(|| Arc::new(LocalRevocations::default()));
        let sessions = Sessions::new(store, self.sessions, bus, self.scheme);
        let live = self
            .live
            .unwrap_or_else(|| self.app.live())
            .with_sessions(sessions.clone());
        if let Some(backend) = self.channel_backend {
            live.hub().set_backend(backend);
        }
        let state = ServerState {
            app: self.app,
            scheme: self.scheme,
        };
        let router = framework_routes()
            .fallback(page::handle)
            .with_state(state)
            .merge(live.with_scheme(self.scheme).router())
            .merge(self.routes)
            .layer(session::SessionLayer::new(sessions))
            .layer(self.cross_origin.layer(self.scheme));
        Ok(router)
    }

    /// The axum router serving the app.
    ///
    /// # Panics
    /// When the configuration is invalid (see [`Server::try_into_router`]).
    pub fn into_router(self) -> Router {
        match self.try_into_router() {
            Ok(router) => router,
            Err(error) => panic!("{error}"),
        }
    }

    /// Binds `addr` and serves until Ctrl-C.
    pub async fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let router = self.try_into_router().map_err(startup_error)?;
        let listener = TcpListener::bind(addr).await?;
        serve_router(listener, router, shutdown_signal()).await
    }

    /// Serves on an already bound listener (e.g. port 0 in tests) until the process ends.
    pub async fn serve_on(self, listener: TcpListener) -> io::Result<()> {
        let router = self.try_into_router().map_err(startup_error)?;
        serve_router(listener, router, std::future::pending()).await
    }
}

/// The message, not the variant, so `main() -> io::Result<()>` prints which variable to set.
fn startup_error(error: ConfigError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error.to_string())
}

async fn serve_router(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(
        listener,
        router.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await
}

async fn shutdown_signal() {
    if tokio::signal::ctrl_c().await.is_err() {
        // No signal handler: run until the process is killed.
        std::future::pending::<()>().await;
    }
}

impl App {
    /// A [`Server`] for this app, to add endpoints or choose a session store.
    pub fn server(self) -> Server {
        Server::new(self)
    }

    /// The axum router serving this app with default settings.
    ///
    /// # Panics
    /// When `PULSE_ENV` is `prod` and `PULSE_SECRET` is unset or too short; use
    /// [`Server::try_into_router`] to handle that.
    pub fn into_router(self) -> Router {
        Server::new(self).into_router()
    }

    /// Serves this app on `addr` with default settings until Ctrl-C.
    pub async fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        Server::new(self).serve(addr).await
    }
}
