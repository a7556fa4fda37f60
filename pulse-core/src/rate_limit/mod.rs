//! Rate limiting: [`RateLimit`], built-in middleware for every hook, and the pieces it is made
//! of ([`Limiter`], [`Quota`], [`ClientIp`]), usable on their own inside endpoints.

mod client_ip;
mod limiter;

use std::fmt;
use std::future::Future;
use std::hash::Hash;
use std::sync::Arc;

pub use client_ip::{ClientIp, ProxyHeader};
/// A CIDR network (`10.0.0.0/8`), from the `ipnet` crate: see [`ClientIp::trust_network`].
pub use ipnet::IpNet;
pub use limiter::{DEFAULT_MAX_KEYS, Limiter, Quota};

use crate::hook::{
    self, ApiArgs, ChannelArgs, ConnectArgs, MessageArgs, Next, PrerenderArgs, PrerenderRouteArgs,
};
use crate::middleware::PulseMiddleware;
use crate::outcome::{
    ApiResponse, ChannelResponse, ConnectResponse, MessageResponse, PrerenderResponse,
    RoutePrerenderResponse, TooManyRequests,
};
use crate::request::Request;
use crate::session::Session;

/// What a [`RateLimit::per_key`] function is given.
#[derive(Clone, Copy, Debug)]
pub struct KeyArgs<'a> {
    /// The hook being limited (`"message"`, `"api"`, …).
    pub hook: &'static str,
    /// The HTTP request, or the WebSocket's upgrade request; `None` in the `channel` hook,
    /// which is given no request.
    pub request: Option<&'a Request>,
    /// The browser's session.
    pub session: &'a Session,
}

type KeyFn = dyn for<'a> Fn(KeyArgs<'a>, &Limiter) -> Option<u64> + Send + Sync;

/// What requests are counted together.
#[derive(Clone)]
enum KeyBy {
    Session,
    Socket,
    ClientIp(ClientIp),
    Custom(Arc<KeyFn>),
}

impl KeyBy {
    fn name(&self) -> &'static str {
        match self {
            KeyBy::Session => "session",
            KeyBy::Socket => "socket",
            KeyBy::ClientIp(_) => "client_ip",
            KeyBy::Custom(_) => "custom",
        }
    }
}

/// The six hooks, as indexes into [`RateLimit`]'s quotas.
#[derive(Clone, Copy, Debug)]
enum At {
    Prerender,
    PrerenderRoute,
    Connect,
    Message,
    Channel,
    Api,
}

impl At {
    const NAMES: [&'static str; 6] = [
        "prerender",
        "prerender_route",
        "connect",
        "message",
        "channel",
        "api",
    ];

    fn name(self) -> &'static str {
        At::NAMES[self as usize]
    }
}

/// Built-in middleware limiting how often a client may pass each hook.
///
/// Choose what is counted together — [`per_session`](RateLimit::per_session),
/// [`per_socket`](RateLimit::per_socket), [`per_client_ip`](RateLimit::per_client_ip) or
/// [`per_key`](RateLimit::per_key) — then give a [`Quota`] to each hook to limit; hooks
/// without one pass through. Each hook has its own counts. Over its quota a request stops with
/// [`TooManyRequests`]: a page or `api` request gets 429 with `Retry-After`, a refused
/// WebSocket upgrade too, and a client or channel message gets a `rate_limited` reply with the
/// delay (`retryAfterMs`) while the socket stays open.
///
/// ```
/// # use pulse_core as ps;
/// // No human clicks 20 times a second; a script hammering a callback is slowed down.
/// let callbacks = ps::RateLimit::per_socket().message(ps::Quota::per_second(20).burst(40));
/// // Endpoints: 120 requests a minute per client address (behind proxies in 10.0.0.0/8).
/// let api = ps::RateLimit::per_client_ip(ps::ClientIp::peer().trust_proxies(["10.0.0.0/8"]))
///     .api(ps::Quota::per_minute(120));
/// let chain = ps::Chain::new(callbacks, api); // or list both in `middleware: [..]`
/// # let _ = chain;
/// ```
///
/// Limits are per process: with several instances, each allows the quota. Every limit is
/// traced (target `pulse::rate_limit`, fields `middleware = "RateLimit"`, `hook`, `key` — the
/// key kind —, `client`, `peer` and `retry_after_ms`): at `info` for page, `connect` and `api`
/// requests, at `debug` for messages, which come in bursts.
///
/// A check costs a few tens of nanoseconds and allocates nothing: the session's key is hashed
/// once per session id, socket ids and addresses with a fast seeded hash, and known keys are
/// counted without touching a shared counter (`cargo bench --bench rate_limit`).
/// Each hook's key table is bounded (see [`Limiter`]).
#[derive(Clone)]
pub struct RateLimit {
    key: KeyBy,
    limits: [Option<Limiter>; 6],
    max_keys: usize,
}

impl fmt::Debug for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quotas: Vec<(&str, Quota)> = self
            .limits
            .iter()
            .enumerate()
            .filter_map(|(i, l)| l.as_ref().map(|l| (At::NAMES[i], l.quota())))
            .collect();
        f.debug_struct("RateLimit")
            .field("key", &self.key.name())
            .field("quotas", &quotas)
            .finish()
    }
}

impl RateLimit {
    fn new(key: KeyBy) -> RateLimit {
        RateLimit {
            key,
            limits: Default::default(),
            max_keys: DEFAULT_MAX_KEYS,
        }
    }

    /// Counts per browser session. A client that sends no session cookie gets a fresh session
    /// (and key) on every request, so limit anonymous traffic per client address instead.
    pub fn per_session() -> RateLimit {
        RateLimit::new(KeyBy::Session)
    }

    /// Counts per WebSocket: in `connect` and `message` hooks every socket has its own count
    /// (its upgrade request's [`Request::id`]). In page and `api` hooks every request is its
    /// own socket-less key, so this limits nothing there; the `channel` hook is given no
    /// request and counts per session.
    pub fn per_socket() -> RateLimit {
        RateLimit::new(KeyBy::Socket)
    }

    /// Counts per client address, as `client_ip` tells it (see [`ClientIp`] for proxies).
    /// IPv6 clients are counted per /64 network. The `channel` hook is given no request and
    /// counts per session; a request whose address is unknown (a server started without
    /// connect info) is counted per session too.
    pub fn per_client_ip(client_ip: ClientIp) -> RateLimit {
        RateLimit::new(KeyBy::ClientIp(client_ip))
    }

    /// Counts per the key `key` returns; `None` does not limit the request.
    ///
    /// ```
    /// # use pulse_core as ps;
    /// // Per signed-in user; anonymous requests are not limited by this one.
    /// let per_user = ps::RateLimit::per_key(|args: ps::rate_limit::KeyArgs<'_>| {
    ///     args.session.get::<String>("user_email")
    /// })
    /// .api(ps::Quota::per_minute(600));
    /// # let _ = per_user;
    /// ```
    pub fn per_key<F, K>(key: F) -> RateLimit
    where
        F: for<'a> Fn(KeyArgs<'a>) -> Option<K> + Send + Sync + 'static,
        K: Hash,
    {
        let key: Arc<KeyFn> =
            Arc::new(move |args, limiter: &Limiter| key(args).map(|k| limiter.hash(&k)));
        RateLimit::new(KeyBy::Custom(key))
    }

    /// Bounds each hook's key table to `max_keys` keys (default [`DEFAULT_MAX_KEYS`]). Set it
    /// before the quotas.
    pub fn max_keys(mut self, max_keys: usize) -> RateLimit {
        self.max_keys = max_keys;
        self
    }

    fn limit(mut self, at: At, quota: Quota) -> RateLimit {
        self.limits[at as usize] = Some(Limiter::with_max_keys(quota, self.max_keys));
        self
    }

    /// Limits page requests (the `prerender` hook).
    pub fn prerender(self, quota: Quota) -> RateLimit {
        self.limit(At::Prerender, quota)
    }

    /// Limits rendered routes (the `prerender_route` hook; also live re-renders).
    pub fn prerender_route(self, quota: Quota) -> RateLimit {
        self.limit(At::PrerenderRoute, quota)
    }

    /// Limits WebSocket openings (the `connect` hook).
    pub fn connect(self, quota: Quota) -> RateLimit {
        self.limit(At::Connect, quota)
    }

    /// Limits client messages: attaches, updates, callbacks (the `message` hook).
    pub fn message(self, quota: Quota) -> RateLimit {
        self.limit(At::Message, quota)
    }

    /// Limits channel messages and subscriptions (the `channel` hook).
    pub fn channel(self, quota: Quota) -> RateLimit {
        self.limit(At::Channel, quota)
    }

    /// Limits requests to the app's endpoints (the `api` hook).
    pub fn api(self, quota: Quota) -> RateLimit {
        self.limit(At::Api, quota)
    }

    /// Counts one request at `at`; `Err` when it is over the quota.
    ///
    /// Small enough to inline into each hook (a hook without a quota costs a comparison); the
    /// count itself is out of line, so the hook's future is built in place by its caller.
    #[inline]
    fn check(
        &self,
        at: At,
        request: Option<&Request>,
        session: &Session,
    ) -> Result<(), TooManyRequests> {
        match &self.limits[at as usize] {
            None => Ok(()),
            Some(limiter) => self.count(limiter, at, request, session),
        }
    }

    #[inline(never)]
    fn count(
        &self,
        limiter: &Limiter,
        at: At,
        request: Option<&Request>,
        session: &Session,
    ) -> Result<(), TooManyRequests> {
        // Built-in keys cost no allocation and no lock: the session's id is hashed once per
        // id (`Session::rate_key`), socket ids and addresses are hashed with foldhash.
        let key = match &self.key {
            KeyBy::Session => session.rate_key(),
            KeyBy::Socket => match request {
                Some(request) => limiter.hash(&request.id()),
                None => session.rate_key(),
            },
            KeyBy::ClientIp(client_ip) => match request.and_then(|r| client_ip.subscriber_of(r)) {
                Some(subscriber) => limiter.hash(&subscriber),
                None => session.rate_key(),
            },
            KeyBy::Custom(key) => {
                let args = KeyArgs {
                    hook: at.name(),
                    request,
                    session,
                };
                match key(args, limiter) {
                    Some(key) => key,
                    None => return Ok(()),
                }
            }
        };
        limiter.check_hashed(key).inspect_err(|limited| {
            self.trace(at, request, limited);
        })
    }

    /// One event per limited request: which middleware, hook and key kind, for which client
    /// (the address the key was taken from for [`RateLimit::per_client_ip`], else the TCP
    /// peer) and from which peer.
    #[cold]
    fn trace(&self, at: At, request: Option<&Request>, limited: &TooManyRequests) {
        let peer = request.and_then(Request::client);
        let client = match (&self.key, request) {
            (KeyBy::ClientIp(client_ip), Some(request)) => client_ip.of(request),
            _ => peer.map(|peer| peer.ip()),
        };
        let client = client.map(tracing::field::display);
        let peer = peer.map(tracing::field::display);
        let retry_after_ms = limited.retry_after_ms();
        let key = self.key.name();
        let hook = at.name();
        if matches!(at, At::Message | At::Channel) {
            tracing::debug!(target: "pulse::rate_limit", middleware = "RateLimit", hook, key, client, peer, retry_after_ms, "rate limited");
        } else {
            tracing::info!(target: "pulse::rate_limit", middleware = "RateLimit", hook, key, client, peer, path = request.map(Request::path), retry_after_ms, "rate limited");
        }
    }
}

/// Each hook: count, then stop with `TooManyRequests` or continue.
macro_rules! limited_hook {
    ($method:ident, $marker:ident, $args:ident, $response:ident, $at:ident, |$a:ident| $request:expr) => {
        fn $method(
            &self,
            $a: $args<'_>,
            next: impl Next<hook::$marker>,
        ) -> impl Future<Output = $response> + Send {
            let verdict = self.check(At::$at, $request, $a.session);
            async move {
                match verdict {
                    Ok(()) => next.run().await,
                    Err(limited) => $response::TooManyRequests(limited),
                }
            }
        }
    };
}

impl PulseMiddleware for RateLimit {
    /// Only the hooks it has a quota for: without an `api` quota, the server calls the app's
    /// endpoints without running the `api` hook for it.
    fn __acts_in(&self, hooks: u8) -> bool {
        use crate::hook::{Api, Channel, Connect, Hook, Message, Prerender, PrerenderRoute};
        [
            (At::Prerender, Prerender::__BIT),
            (At::PrerenderRoute, PrerenderRoute::__BIT),
            (At::Connect, Connect::__BIT),
            (At::Message, Message::__BIT),
            (At::Channel, Channel::__BIT),
            (At::Api, Api::__BIT),
        ]
        .into_iter()
        .any(|(at, bit)| hooks & bit != 0 && self.limits[at as usize].is_some())
    }

    limited_hook!(
        prerender,
        Prerender,
        PrerenderArgs,
        PrerenderResponse,
        Prerender,
        |a| Some(a.request)
    );
    limited_hook!(
        prerender_route,
        PrerenderRoute,
        PrerenderRouteArgs,
        RoutePrerenderResponse,
        PrerenderRoute,
        |a| Some(a.request)
    );
    limited_hook!(
        connect,
        Connect,
        ConnectArgs,
        ConnectResponse,
        Connect,
        |a| Some(a.request)
    );
    limited_hook!(
        message,
        Message,
        MessageArgs,
        MessageResponse,
        Message,
        |a| Some(a.request)
    );
    limited_hook!(
        channel,
        Channel,
        ChannelArgs,
        ChannelResponse,
        Channel,
        |a| None
    );
    limited_hook!(api, Api, ApiArgs, ApiResponse, Api, |a| Some(a.request));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn restored(id: &str) -> Session {
        Session::restore(id.into(), serde_json::Map::new(), 1, 1)
    }

    #[test]
    fn a_session_key_follows_its_id() {
        let session = restored("one");
        let key = session.rate_key();
        assert_eq!(session.rate_key(), key);
        assert_eq!(session.clone().rate_key(), key, "clones share the session");
        assert_eq!(restored("one").rate_key(), key, "one id, one key");
        assert_ne!(restored("two").rate_key(), key);
        session.regenerate();
        let regenerated = session.rate_key();
        assert_ne!(regenerated, key);
        session.end();
        assert_ne!(session.rate_key(), regenerated);
        // A fresh session draws its id for its key, once.
        let fresh = Session::new();
        let key = fresh.rate_key();
        let id = fresh.current_id().expect("drawn");
        assert_eq!(restored(&id).rate_key(), key);
    }

    #[test]
    fn a_regenerated_session_is_counted_afresh() {
        let limit = RateLimit::per_session().api(Quota::per_hour(1));
        let session = restored("one");
        assert!(limit.check(At::Api, None, &session).is_ok());
        assert!(limit.check(At::Api, None, &session).is_err());
        assert!(limit.check(At::Api, None, &restored("one")).is_err());
        session.regenerate();
        assert!(limit.check(At::Api, None, &session).is_ok());
        // Hooks without a quota pass.
        assert!(limit.check(At::Message, None, &session).is_ok());
    }
}
