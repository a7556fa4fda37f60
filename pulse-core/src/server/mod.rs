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
//!     .route("/api/login", post(login))
//!     .serve("127.0.0.1:8000")
//!     .await
//! # }
//! ```
//!
//! Every request — pages, `/_pulse/*` and the app's endpoints ([`Server::route`],
//! [`Server::routes`]) — passes the session layer: the session is loaded from the `pulse.sid`
//! cookie before the request runs and saved after it, with a `Set-Cookie` only when it changed
//! or its cookie needs refreshing.
//! A panicking handler yields a 500 and the server keeps serving.
//!
//! # Connections
//!
//! [`Server::serve`] runs hyper's HTTP/1 server itself, with these bounds:
//!
//! | bound | default | setter |
//! |---|---|---|
//! | time to send a request's headers (slow clients, idle keep-alive; checked every tenth of it, at least once a second) | 10 s ([`DEFAULT_HEADER_READ_TIMEOUT`]) | [`Server::header_read_timeout`] |
//! | connections at once, WebSockets included (more wait in the backlog) | 25,000 ([`DEFAULT_MAX_CONNECTIONS`]) | [`Server::max_connections`] |
//! | listen backlog | 4,096 ([`DEFAULT_BACKLOG`], capped by `net.core.somaxconn`) | [`Server::backlog`] |
//! | graceful shutdown | 10 s ([`DEFAULT_SHUTDOWN_TIMEOUT`]) | [`Server::shutdown_timeout`] |
//! | distinct `paths` per `POST /_pulse/prerender` (duplicates render once) | 16 ([`DEFAULT_MAX_PRERENDER_PATHS`]) | [`Server::max_prerender_paths`] |
//! | request body (axum's default) | 2 MB | a `DefaultBodyLimit` layer on the router |
//!
//! On Ctrl-C or SIGTERM (or the signal given to [`Server::serve_with_shutdown`]) it stops
//! accepting, closes every WebSocket with 1012 so clients reconnect, lets in-flight requests
//! finish, and returns within the shutdown timeout. The WebSocket bounds are on
//! [`Live`].

mod api;
mod deadline;
mod document;
mod listen;
mod page;
mod prerender;
mod service;
mod session;
mod ws;

use std::fmt;
use std::io;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::{MethodRouter, post};
use tokio::net::{TcpListener, ToSocketAddrs};
use tower::Layer;

use crate::app::App;
use crate::live::{ChannelBackend, Live};
use crate::request::Scheme;

pub use self::listen::{
    DEFAULT_BACKLOG, DEFAULT_HEADER_READ_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_SHUTDOWN_TIMEOUT,
};
pub use self::service::{PulseService, ResponseFuture};
pub use self::session::MissingSession;
pub use crate::sessions::COOKIE_NAME;
pub use crate::sessions::config::{
    Clock, Config, ConfigError, DEFAULT_IDLE_TIMEOUT, DEFAULT_LIFETIME, DEFAULT_SOCKET_RECHECK,
    KeyRing, MIN_SECRET_LEN, ManualClock, Secret, SessionConfig, SystemClock,
};
pub use crate::sessions::csrf::CrossOrigin;
pub use crate::sessions::revocation::{
    LocalRevocations, RevocationBus, RevocationSink, session_key,
};
#[cfg(feature = "tower-sessions")]
pub use crate::sessions::store::TowerStore;
pub use crate::sessions::store::{
    COOKIE_DATA_LIMIT, CookieStore, DEFAULT_MAX_REVOKED, DEFAULT_MAX_SESSIONS, MemoryStore,
    SessionStore, StoreError,
};
pub(crate) use crate::sessions::{Sessions, session_cookie};
/// The `tower-sessions` store trait and types [`TowerStore`] adapts.
#[cfg(feature = "tower-sessions")]
pub use tower_sessions_core;

/// The default most distinct `paths` of one `POST /_pulse/prerender`: 16 (a page and its
/// nested layouts).
pub const DEFAULT_MAX_PRERENDER_PATHS: usize = 16;

/// What every framework handler shares: the app, the scheme it is served on and the prerender
/// bound. Behind one `Arc`: handlers take a clone per request.
#[derive(Clone)]
pub(crate) struct ServerState(Arc<SharedState>);

impl std::ops::Deref for ServerState {
    type Target = SharedState;

    fn deref(&self) -> &SharedState {
        &self.0
    }
}

/// The fields of [`ServerState`].
pub(crate) struct SharedState {
    pub(crate) app: App,
    pub(crate) scheme: Scheme,
    /// The most distinct `paths` one `POST /_pulse/prerender` may name.
    pub(crate) max_prerender_paths: usize,
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
///
/// ```no_run
/// use pulse_core as ps;
/// use axum::routing::get;
///
/// async fn home(_: ps::PageContext) -> ps::Markup { ps::html! { h1 { "Home" } } }
///
/// /// An endpoint of the app's own, with the same session as the pages.
/// async fn whoami(session: ps::Session) -> String {
///     session.get::<String>("user_email").unwrap_or_default()
/// }
///
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// let app = ps::App::new(ps::Routes::new().route("/", home), ());
/// let router = app
///     .server()
///     .routes(axum::Router::new().route("/api/whoami", get(whoami)))
///     .try_into_router()?; // fails in `prod` without PULSE_SECRET
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8000").await?;
/// axum::serve(listener, router).await?;
/// # Ok(())
/// # }
/// ```
pub struct Server {
    app: App,
    routes: Router,
    /// The paths of the endpoints given to [`Server::route`]; `None` once a router was given to
    /// [`Server::routes`] (its paths are not known).
    endpoint_paths: Option<matchit::Router<()>>,
    store: Option<Arc<dyn SessionStore>>,
    config: Option<Config>,
    sessions: SessionConfig,
    revocations: Option<Arc<dyn RevocationBus>>,
    cross_origin: CrossOrigin,
    scheme: Scheme,
    live: Option<Live>,
    channel_backend: Option<Arc<dyn ChannelBackend>>,
    limits: listen::Limits,
    max_prerender_paths: usize,
}

impl fmt::Debug for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Server")
            .field("app", &self.app)
            .field("scheme", &self.scheme)
            .field("limits", &self.limits)
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
            endpoint_paths: Some(matchit::Router::new()),
            store: None,
            config: None,
            sessions: SessionConfig::default(),
            revocations: None,
            cross_origin: CrossOrigin::default(),
            scheme: Scheme::Http,
            live: None,
            channel_backend: None,
            limits: listen::Limits::default(),
            max_prerender_paths: DEFAULT_MAX_PRERENDER_PATHS,
        }
    }

    /// Adds the app's own endpoints (an API, webhooks, static files). They run inside the
    /// session layer: handlers take [`Session`](crate::Session) as an extractor and what they
    /// write is saved. Served by [`Server::serve`], they can also extract the client's address
    /// as axum's `ConnectInfo<SocketAddr>`. Every request to them passes the `api` hook first:
    /// the app-wide chain, then the middleware of the group declaring a matching endpoint
    /// pattern (`api "/api/me"` in `routes!`), which may answer instead of the endpoint (401,
    /// 403, 404, 429 as JSON) or edit its response. Requests matching no route here are page
    /// requests. A route given here wins over a page at the same path; one overlapping a
    /// `/_pulse` route makes building the router panic (axum's rule for overlapping routes). The
    /// router must not have a fallback: pages are the fallback. May be called several times.
    ///
    /// Prefer [`Server::route`] for each endpoint: a server that knows every endpoint's path
    /// sends a page request to the pages at once, without passing it through axum's router
    /// first; one given a router here does, since its paths are not known.
    pub fn routes(mut self, routes: Router) -> Server {
        if routes.has_routes() {
            self.endpoint_paths = None;
        }
        self.routes = self.routes.merge(routes);
        self
    }

    /// Adds one of the app's own endpoints at `path`, as axum's
    /// [`Router::route`](axum::Router::route) does (same path syntax and the same panics: an
    /// invalid path, or a method already routed at it): the same session layer and `api` hook
    /// as the endpoints of [`Server::routes`]. The server keeps the path, so a page request
    /// (a path no endpoint matches) goes to the pages directly. A handler with state gets it
    /// from its method router: `post(login).with_state(limits)`.
    ///
    /// ```
    /// use pulse_core as ps;
    /// use axum::routing::{get, post};
    /// # async fn home(_: ps::PageContext) -> ps::Markup { ps::html! { h1 { "Home" } } }
    /// async fn me(session: ps::Session) -> String {
    ///     session.get::<String>("user_email").unwrap_or_default()
    /// }
    /// async fn logout(session: ps::Session) {
    ///     session.clear();
    /// }
    ///
    /// let app = ps::App::new(ps::Routes::new().route("/", home), ());
    /// let server = app
    ///     .server()
    ///     .route("/api/me", get(me))
    ///     .route("/api/logout", post(logout));
    /// ```
    pub fn route(mut self, path: &str, method_router: MethodRouter) -> Server {
        self.routes = self.routes.route(path, method_router);
        if let Some(paths) = &mut self.endpoint_paths {
            match paths.insert(path, ()) {
                // A second method at a path already kept: axum merged the method routers (a
                // path overlapping another one made axum's `route` panic above).
                Ok(()) | Err(matchit::InsertError::Conflict { .. }) => {}
                // A path axum took and the table did not: every request passes axum's router.
                Err(_) => self.endpoint_paths = None,
            }
        }
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

    /// The most distinct route patterns one `POST /_pulse/prerender` may name (default 16;
    /// duplicates count once). More is answered with 400.
    pub fn max_prerender_paths(mut self, paths: usize) -> Server {
        self.max_prerender_paths = paths;
        self
    }

    /// How long a client may take to send a request's headers (default 10 s); a slower or
    /// idle connection is closed, between the timeout and a fifth more after it began waiting
    /// (the deadlines are checked every tenth of the timeout, at least once a second, by one
    /// task for the whole server). A running request, the body of an answer and a WebSocket are not limited by it.
    /// Applies to [`Server::serve`] and its variants.
    pub fn header_read_timeout(mut self, timeout: Duration) -> Server {
        self.limits.header_read_timeout = timeout;
        self
    }

    /// The most connections served at once, open WebSockets included (default 25,000). Further
    /// connections wait in the listen backlog until one closes.
    pub fn max_connections(mut self, connections: usize) -> Server {
        self.limits.max_connections = connections;
        self
    }

    /// The listen backlog of [`Server::serve`] and [`Server::bind`] (default 4,096; Linux caps
    /// it at `net.core.somaxconn`): connections the kernel accepts before the server does, so
    /// a reconnect storm after a restart is not dropped.
    pub fn backlog(mut self, connections: u32) -> Server {
        self.limits.backlog = connections;
        self
    }

    /// How long a graceful shutdown may take (default 10 s): sockets closed with 1012 and
    /// in-flight requests finishing; what is left after it is dropped.
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Server {
        self.limits.shutdown_timeout = timeout;
        self
    }

    /// Why the server cannot start (a missing `PULSE_SECRET` in production), checked without
    /// serving: call it before binding a port.
    pub fn check(&self) -> Result<(), ConfigError> {
        if self.store.is_none() {
            self.config
                .clone()
                .unwrap_or_else(Config::from_env)
                .secret()?;
        }
        Ok(())
    }

    /// The axum router serving the app, or why it cannot start (a missing `PULSE_SECRET` in
    /// production).
    ///
    /// Routes merged into the returned router are outside the session layer; give them to
    /// [`Server::routes`] instead. Tower layers added to it wrap everything.
    ///
    /// Served with your own `axum::serve` or hyper setup, the bounds of [`Server::serve`] are
    /// yours to set (see the README's "Serving it yourself"): a header-read timeout, a connection
    /// limit, a listen backlog, and a shutdown that calls [`Live::shutdown`] (give the server a
    /// [`Live`] with [`Server::live`] and keep a clone).
    pub fn try_into_router(self) -> Result<Router, ConfigError> {
        self.build().map(|built| built.service.into_router())
    }

    fn build(self) -> Result<Built, ConfigError> {
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
        let state = ServerState(Arc::new(SharedState {
            app: self.app,
            scheme: self.scheme,
            max_prerender_paths: self.max_prerender_paths,
        }));
        let live = live.with_scheme(self.scheme);
        // The cross-site check and the session layer go around every route and around pages,
        // the `api` hook around the app's own endpoints, each in one `route_layer` call: axum
        // boxes a route once per call.
        let cross_origin = self.cross_origin.layer(self.scheme);
        let session_layer = session::SessionLayer::new(sessions);
        let guard = tower::ServiceBuilder::new()
            .layer(cross_origin.clone())
            .layer(session_layer.clone());
        let endpoints = if self.routes.has_routes() {
            self.routes
                .route_layer(guard.clone().layer(api::ApiLayer::new(state.clone())))
        } else {
            self.routes
        };
        // Pages (the fallback) get the layers around the handler itself: axum then boxes the
        // page route once, where `Router::layer` would box it a second time around the first.
        // Pages take their session from the layer directly, not through the request's extensions.
        let pages = cross_origin.layer(session_layer.around(page::Pages(state.clone())));
        let direct = self.endpoint_paths.map(|paths| page::DirectPages {
            pages: pages.clone(),
            endpoints: Arc::new(paths),
        });
        let router = framework_routes()
            .with_state(state)
            .merge(live.router())
            .route_layer(guard)
            // Before merging the endpoints: a router of the app's own with a fallback then
            // makes `merge` panic, as the docs of `Server::routes` say, instead of being replaced.
            .fallback_service(pages)
            .merge(endpoints)
            // Turns each handler into its route now, as `axum::serve` does for every connection:
            // otherwise a handler of the app's own becomes a route again on every request.
            .with_state(());
        Ok(Built {
            service: PulseService::new(router, direct),
            live,
        })
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

    /// The app as the one tower service [`Server::serve`] runs for every request: it answers as
    /// [`Server::try_into_router`]'s router does, and sends page requests to the pages at once
    /// when every endpoint was given with [`Server::route`] (see [`PulseService`]). Fails as
    /// [`Server::try_into_router`] does.
    pub fn try_into_service(self) -> Result<PulseService, ConfigError> {
        self.build().map(|built| built.service)
    }

    /// [`Server::try_into_service`], panicking when the configuration is invalid.
    pub fn into_service(self) -> PulseService {
        match self.try_into_service() {
            Ok(service) => service,
            Err(error) => panic!("{error}"),
        }
    }

    /// Binds `addr` with the server's listen backlog (see [`Server::backlog`]), for
    /// [`Server::serve_with_shutdown`] or [`Server::serve_on`].
    pub async fn bind(&self, addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        listen::bind(addr, self.limits.backlog).await
    }

    /// Binds `addr` and serves until Ctrl-C or SIGTERM, then shuts down gracefully (see the
    /// [module docs](self)).
    pub async fn serve(self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let built = self.build_checked()?;
        let listener = listen::bind(addr, self.limits.backlog).await?;
        listen::run(listener, built, self.limits, shutdown_signal()).await
    }

    /// Serves on an already bound listener (e.g. port 0 in tests) until the process ends.
    pub async fn serve_on(self, listener: TcpListener) -> io::Result<()> {
        self.serve_with_shutdown(listener, std::future::pending())
            .await
    }

    /// Serves on `listener` until `signal` completes, then shuts down gracefully: stops
    /// accepting, closes every WebSocket with 1012 (clients reconnect), lets in-flight requests
    /// finish, and returns within the shutdown timeout.
    ///
    /// ```no_run
    /// # use pulse_core as ps;
    /// # async fn run(app: ps::App) -> std::io::Result<()> {
    /// let server = app.server();
    /// let listener = server.bind("127.0.0.1:8000").await?;
    /// server.serve_with_shutdown(listener, ps::shutdown_signal()).await
    /// # }
    /// ```
    pub async fn serve_with_shutdown(
        self,
        listener: TcpListener,
        signal: impl Future<Output = ()> + Send,
    ) -> io::Result<()> {
        let built = self.build_checked()?;
        listen::run(listener, built, self.limits, signal).await
    }

    fn build_checked(&self) -> io::Result<Built> {
        let server = Server {
            app: self.app.clone(),
            routes: self.routes.clone(),
            endpoint_paths: self.endpoint_paths.clone(),
            store: self.store.clone(),
            config: self.config.clone(),
            sessions: self.sessions.clone(),
            revocations: self.revocations.clone(),
            cross_origin: self.cross_origin.clone(),
            scheme: self.scheme,
            live: self.live.clone(),
            channel_backend: self.channel_backend.clone(),
            limits: self.limits,
            max_prerender_paths: self.max_prerender_paths,
        };
        server.build().map_err(startup_error)
    }
}

/// What the server serves: its service (the router, with the framework routes, the app's
/// endpoints and the pages as its fallback, and the pages to call directly when every
/// endpoint's path is known) and the live layer.
pub(crate) struct Built {
    pub(crate) service: PulseService,
    pub(crate) live: Live,
}

/// The message, not the variant, so `main() -> io::Result<()>` prints which variable to set.
fn startup_error(error: ConfigError) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, error.to_string())
}

/// Completes on Ctrl-C (SIGINT) or, on Unix, SIGTERM: the signal [`Server::serve`] shuts down
/// on, for [`Server::serve_with_shutdown`]. Never completes when no handler can be installed.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut terminate) => {
                terminate.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => tracing::info!("Ctrl-C received"),
        () = terminate => tracing::info!("SIGTERM received"),
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
