//! [`Connection`]: one live connection's state (attached views, subscriptions) and its message
//! processor. Frames are handled one at a time, in arrival order; answers go to the
//! connection's own outgoing queue, so a slow connection only slows itself.

use std::collections::{HashMap, HashSet};
use std::panic::AssertUnwindSafe;
use std::time::{Duration, Instant};

use futures_util::FutureExt;
use serde_json::Value;
use tracing::Instrument;

use super::SET_COOKIES_PATH;
use super::hub::{Hub, Subscriber};
use super::protocol::{ChannelOut, ErrorBody, ErrorKind, Incoming, Outgoing, SUBSCRIBE_EVENT};
use super::resume::Views;
use super::sessions::{LiveSessions, Registration, Revoke};
use crate::app::App;
use crate::dispatch::{PrerenderError, RouteEntry, local_target, panic_message};
use crate::message::{ChannelMessage, ClientMessage};
use crate::outcome::{ChannelResponse, MessageResponse, RoutePrerenderResponse, TooManyRequests};
use crate::page::{PageContext, ViewState};
use crate::request::Request;
use crate::route_info::RouteInfo;
use crate::session::Session;
use crate::sessions::Sessions;
use std::sync::Arc;

/// An attached view: its URL and its state, and the client's view id when it gave one.
#[derive(Clone, Debug)]
struct Slot {
    /// Shared with the view's renders and callbacks' contexts: none copies it.
    route_info: Arc<RouteInfo>,
    state: ViewState,
    view_id: Option<String>,
}

/// What the framework's handling of a client message produced, applied only if the `message`
/// hook's final outcome allows it.
enum Done {
    /// The view is (re)attached with this slot; answer with this message.
    Attached(Slot, Outgoing),
    /// The view stays attached with this slot (an update or a callback); answer with this.
    Rendered(Slot, Outgoing),
    /// The view is gone (a redirect, a not-found, a navigation); answer with this.
    Gone(Outgoing),
    /// The view was detached; nothing to answer.
    Detached,
    /// The message could not be carried out.
    Failed(ErrorBody),
}

impl Done {
    /// The outcome the framework's work reports to the middleware around it: a panic denies.
    fn verdict(&self) -> MessageResponse {
        match self {
            Done::Failed(ErrorBody {
                kind: ErrorKind::Internal,
                ..
            }) => MessageResponse::Deny,
            _ => MessageResponse::Ok,
        }
    }
}

/// One live connection.
#[derive(Debug)]
pub(crate) struct Connection {
    id: u64,
    app: App,
    hub: Hub,
    request: Request,
    session: Session,
    views: HashMap<String, Slot>,
    channels: HashSet<String>,
    out: Subscriber,
    identity: Option<Identity>,
    /// Views kept across reconnects, when enabled.
    resume: Option<Views>,
    /// `rate_limited` answers, to close sockets that keep sending over their limit.
    limited: Abuse,
}

/// Who a socket served by the HTTP server is: the session it was opened with, where its
/// changes are stored, and its registration for revocations.
#[derive(Debug)]
pub(crate) struct Identity {
    pub(crate) sessions: Sessions,
    pub(crate) live: LiveSessions,
    /// The `pulse.sid` value the socket was opened with.
    pub(crate) cookie: Option<String>,
    pub(crate) revoke: Arc<Revoke>,
    pub(crate) registration: Option<Registration>,
    /// The session id the registration is for.
    pub(crate) registered: Option<String>,
    /// When the session was last checked against the store.
    pub(crate) checked: Instant,
}

impl Identity {
    /// Re-checks the session against the store when the last check is older than the
    /// configured interval (`SessionConfig::socket_recheck`); fires the socket's revocation when the session is gone. A store
    /// outage keeps the socket (it was authenticated; the outage is logged by the store's
    /// callers and every HTTP request answers 503).
    async fn recheck(&mut self) {
        let (Some(cookie), Some(id)) = (&self.cookie, &self.registered) else {
            return;
        };
        if self.checked.elapsed() < self.sessions.socket_recheck() || self.revoke.is_revoked() {
            return;
        }
        self.checked = Instant::now();
        match self.sessions.still_valid(cookie, id).await {
            Ok(true) => {}
            Ok(false) => self.revoke.fire(),
            Err(error) => tracing::warn!(%error, "could not re-check a socket's session"),
        }
    }

    /// Registers the socket under `session`'s id when the store knows it (an anonymous
    /// session has nothing to revoke until it is saved).
    pub(crate) fn register(&mut self, session: &Session) {
        if self.revoke.is_revoked() || session.is_new() {
            return;
        }
        let Some(id) = session.current_id() else {
            return;
        };
        if self.registered.as_deref() != Some(id.as_str()) {
            self.registration = Some(self.live.register(&id, self.revoke.clone()));
            self.registered = Some(id);
        }
    }
}

impl Connection {
    /// A connection of `app` for an accepted upgrade `request`, answering into `out`. With an
    /// `identity` (served by the HTTP server), session changes are stored after each message
    /// and followed by a `refresh_cookies` message.
    pub(crate) fn new(
        app: App,
        hub: Hub,
        request: Request,
        session: Session,
        out: Subscriber,
        identity: Option<Identity>,
    ) -> Connection {
        Connection {
            id: hub.new_connection_id(),
            app,
            hub,
            request,
            session,
            views: HashMap::new(),
            channels: HashSet::new(),
            out,
            identity,
            resume: None,
            limited: Abuse::new(super::DEFAULT_ABUSE_LIMIT),
        }
    }

    /// Keeps this connection's views (those attached with a `viewId`) in `views`, so a socket
    /// of the same session that attaches the same view id after a reconnect resumes them.
    pub(crate) fn resuming(mut self, views: Views) -> Connection {
        self.resume = Some(views);
        self
    }

    async fn send(&self, message: Outgoing) {
        // Refused when the socket is gone (nobody to reach) or its queue went over its bound
        // (the socket is then closed with 1008).
        self.out.offer(message.to_text());
    }

    async fn send_error(&self, path: Option<String>, error: ErrorBody) {
        self.send(Outgoing::ServerError { path, error }).await;
    }

    /// Stores what the last message did to the session — a revocation takes effect now — and
    /// tells the client to fetch its new cookie (a one-time URL). Called after each message, and
    /// before each answer so that a `navigate_to` comes after the `refresh_cookies` it depends on.
    pub(crate) async fn sync_session(&mut self) {
        let Some(identity) = &mut self.identity else {
            return;
        };
        if !self.session.is_changed() && self.session.revoked_ids().is_empty() {
            return;
        }
        let handoff = identity
            .sessions
            .commit(&self.session, identity.cookie.as_deref())
            .await;
        identity.register(&self.session);
        if let Some(handoff) = handoff {
            let token = identity.live.hand_off(handoff);
            let url = format!("{SET_COOKIES_PATH}?token={token}");
            self.send(Outgoing::RefreshCookies { url }).await;
        }
    }

    /// Whether the socket's session was revoked (ended or changed id, here or elsewhere): the
    /// socket must close before running anything else.
    pub(crate) fn is_revoked(&self) -> bool {
        self.identity
            .as_ref()
            .is_some_and(|identity| identity.revoke.is_revoked())
    }

    /// Handles one text frame. Never panics: hooks, pages, callbacks and handlers are caught.
    /// Nothing runs for a socket whose session was revoked (the frame loop then closes it).
    pub(crate) async fn handle(&mut self, text: &str) {
        if let Some(identity) = &mut self.identity {
            identity.recheck().await;
            if identity.revoke.is_revoked() {
                return;
            }
        }
        match Incoming::parse(text) {
            Err(bad) => {
                self.send_error(bad.path, ErrorBody::new(ErrorKind::BadRequest, bad.message))
                    .await;
            }
            Ok(Incoming::Client { message, view_id }) => {
                self.client_message(message, view_id).await;
            }
            Ok(Incoming::Publish(message)) => self.publish(message).await,
            Ok(Incoming::Subscribe {
                channel,
                request_id,
            }) => self.subscribe(channel, request_id).await,
            Ok(Incoming::Unsubscribe {
                channel,
                request_id,
            }) => {
                self.hub.unsubscribe(self.id, &channel);
                self.channels.remove(&channel);
                if let Some(reply) = ChannelOut::answer(&channel, request_id, Ok(Value::Null)) {
                    self.send(reply).await;
                }
            }
        }
        self.sync_session().await;
    }

    /// Answers a binary frame: the protocol is JSON text.
    pub(crate) async fn reject_binary(&self) {
        let error = ErrorBody::new(ErrorKind::BadRequest, "binary frames are not supported");
        self.send_error(None, error).await;
    }

    /// Leaves every channel and lets go of the views (kept for a reconnect during the grace
    /// period). Call when the socket closes.
    pub(crate) fn close(&mut self) {
        self.hub.unsubscribe_all(self.id, self.channels.drain());
        for (path, slot) in self.views.drain() {
            if let (Some(resume), Some(view_id)) = (&self.resume, &slot.view_id) {
                resume.release(view_id, &path, &self.session.id());
            }
        }
    }

    /// The state of view `view_id` at `path` kept from another socket of this session.
    fn resumed(&self, view_id: Option<&str>, path: &str) -> Option<ViewState> {
        self.resume
            .as_ref()?
            .find(view_id?, path, &self.session.id())
    }

    /// Records that the slot at `path` becomes `new` (or goes away): holds the new view id
    /// and lets go of the old one. `forget` drops a view that is gone for good.
    fn replace_view(&mut self, path: String, new: Option<Slot>, forget: bool) {
        let old = match new {
            Some(slot) => self.views.insert(path.clone(), slot),
            None => self.views.remove(&path),
        };
        let Some(resume) = &self.resume else {
            return;
        };
        let session_id = &self.session.id();
        let new = self.views.get(&path);
        let old_id = old.as_ref().and_then(|s| s.view_id.as_deref());
        let new_id = new.and_then(|s| s.view_id.as_deref());
        if old_id == new_id {
            return;
        }
        if let Some(old_id) = old_id {
            if forget {
                resume.forget(old_id, &path, session_id);
            } else {
                resume.release(old_id, &path, session_id);
            }
        }
        if let (Some(new_id), Some(slot)) = (new_id, new) {
            resume.hold(new_id, &path, session_id, &slot.state);
        }
    }

    async fn client_message(&mut self, message: ClientMessage, view_id: Option<String>) {
        let path = message.path().map(str::to_owned);
        let slot = path.as_ref().and_then(|p| self.views.get(p)).cloned();
        let mut done = None;
        let span = tracing::debug_span!(
            "pulse.hook",
            hook = "message",
            kind = message.kind(),
            path = path.as_deref(),
            outcome = tracing::field::Empty,
        );
        let verdict = {
            let this = &*self;
            let done = &mut done;
            let message = &message;
            self.app
                .message(message, &self.request, &self.session, move || async move {
                    let result = this.execute(message, slot, view_id).await;
                    let verdict = result.verdict();
                    *done = Some(result);
                    verdict
                })
                .instrument(span.clone())
                .await
        };
        span.record("outcome", if verdict.is_deny() { "deny" } else { "ok" });
        match (verdict, done) {
            (MessageResponse::Deny, Some(Done::Failed(error)))
                if error.kind == ErrorKind::Internal =>
            {
                self.send_error(path, error).await;
            }
            (MessageResponse::Deny, _) => {
                let error = ErrorBody::new(ErrorKind::Deny, "request denied by server");
                self.send_error(path, error).await;
            }
            (MessageResponse::TooManyRequests(limited), _) => {
                let error = self.rate_limited(limited);
                self.send_error(path, error).await;
            }
            // A middleware allowed the message without running it: nothing was done.
            (MessageResponse::Ok, None) => {}
            (MessageResponse::Ok, Some(done)) => {
                self.sync_session().await;
                let path = path.unwrap_or_default();
                match done {
                    Done::Attached(slot, answer) | Done::Rendered(slot, answer) => {
                        self.replace_view(path, Some(slot), false);
                        self.send(answer).await;
                    }
                    Done::Gone(answer) => {
                        self.replace_view(path, None, true);
                        self.send(answer).await;
                    }
                    Done::Detached => self.replace_view(path, None, true),
                    Done::Failed(error) => self.send_error(Some(path), error).await,
                }
            }
        }
    }

    /// The framework's handling of a message the hooks let through.
    async fn execute(
        &self,
        message: &ClientMessage,
        slot: Option<Slot>,
        view_id: Option<String>,
    ) -> Done {
        let Some(path) = message.path() else {
            return Done::Failed(ErrorBody::new(ErrorKind::BadRequest, "missing `path`"));
        };
        let Some(entry) = self.app.live_route(path) else {
            // The page was rendered by another version of the app: load it again.
            if matches!(message, ClientMessage::Attach { .. }) {
                return Done::Gone(Outgoing::Reload);
            }
            return Done::Failed(ErrorBody::new(
                ErrorKind::NotFound,
                format!("no route `{path}`"),
            ));
        };
        match (message, slot) {
            (ClientMessage::Attach { route_info, .. }, slot) => {
                // Attached again by the same page: same state. Otherwise the state another
                // socket of this session left for this view id, or a fresh one.
                let state = match slot {
                    Some(slot) if slot.view_id == view_id => slot.state,
                    _ => self.resumed(view_id.as_deref(), path).unwrap_or_default(),
                };
                let slot = Slot {
                    route_info: Arc::new(route_info.clone()),
                    state,
                    view_id,
                };
                self.render(entry, slot, true).await
            }
            (ClientMessage::Detach { .. }, _) => Done::Detached,
            (_, None) => Done::Failed(ErrorBody::new(
                ErrorKind::NotFound,
                format!("view `{path}` is not attached"),
            )),
            (ClientMessage::Update { route_info, .. }, Some(slot)) => {
                let slot = Slot {
                    route_info: Arc::new(route_info.clone()),
                    ..slot
                };
                self.render(entry, slot, false).await
            }
            (ClientMessage::Callback { callback, args, .. }, Some(slot)) => {
                self.callback(entry, slot, callback, args.clone()).await
            }
            (_, Some(_)) => Done::Failed(ErrorBody::new(
                ErrorKind::BadRequest,
                format!("unknown message type `{}`", message.kind()),
            )),
        }
    }

    async fn callback(&self, entry: &RouteEntry, slot: Slot, name: &str, args: Vec<Value>) -> Done {
        let path = entry.pattern.as_str();
        let cx = PageContext::new(
            path,
            Arc::clone(&slot.route_info),
            self.session.clone(),
            self.request.clone(),
        )
        .with_state(slot.state.clone());
        let Some(run) = entry.component.callback(name, cx, args) else {
            return Done::Failed(ErrorBody::new(
                ErrorKind::NotFound,
                format!("view `{path}` has no callback `{name}`"),
            ));
        };
        if let Err(panic) = AssertUnwindSafe(run).catch_unwind().await {
            tracing::error!(path, callback = name, panic = %panic_message(panic), "callback panicked");
            return Done::Failed(ErrorBody::new(ErrorKind::Internal, "the callback failed"));
        }
        if let Some(target) = slot.state.take_navigation() {
            if local_target(&target).is_err() {
                return Done::Failed(ErrorBody::new(
                    ErrorKind::Internal,
                    "refused a non-local navigation",
                ));
            }
            return Done::Gone(Outgoing::NavigateTo {
                path: target,
                replace: false,
            });
        }
        self.render(entry, slot, false).await
    }

    /// Renders a view through `prerender_route` (the app catches a panic and refuses a
    /// non-local redirect); the answer carries the view's HTML and the document title.
    async fn render(&self, entry: &RouteEntry, slot: Slot, attach: bool) -> Done {
        let render = self.app.render_live(
            entry,
            &slot.route_info,
            &self.request,
            &self.session,
            &slot.state,
        );
        match render.await {
            Ok(RoutePrerenderResponse::Ok(view)) => {
                let (path, html) = (view.path, view.html);
                // The document title the first document would have for this render (a page
                // request renders one view: its title, in the app's template).
                let title = self.app.head.document_title(view.title.as_deref());
                if attach {
                    Done::Attached(slot, Outgoing::AttachAck { path, html, title })
                } else {
                    Done::Rendered(slot, Outgoing::ViewUpdate { path, html, title })
                }
            }
            Ok(RoutePrerenderResponse::Redirect(redirect)) => Done::Gone(Outgoing::NavigateTo {
                path: redirect.path().to_owned(),
                replace: true,
            }),
            Ok(RoutePrerenderResponse::TooManyRequests(limited)) => {
                Done::Failed(ErrorBody::rate_limited(limited))
            }
            Ok(RoutePrerenderResponse::NotFound) => {
                // A full load of the view's own URL shows the not-found page.
                let target = local_target(&slot.route_info.pathname).unwrap_or("/");
                Done::Gone(Outgoing::NavigateTo {
                    path: target.to_owned(),
                    replace: true,
                })
            }
            Err(PrerenderError::UnsafeRedirect(_)) => Done::Failed(ErrorBody::new(
                ErrorKind::Internal,
                "refused a non-local redirect",
            )),
            Err(_) => Done::Failed(ErrorBody::new(
                ErrorKind::Internal,
                "the page failed to render",
            )),
        }
    }

    async fn publish(&mut self, message: ChannelMessage) {
        if let Err(error) = self.check_channel_name(&message.channel_id) {
            let channel = self.shown(&message.channel_id);
            let answer = ChannelOut::answer(channel, message.request_id, Err(error));
            if let Some(answer) = answer {
                self.send(answer).await;
            }
            return;
        }
        let mut delivered = None;
        let span = channel_span(&message);
        let verdict = {
            let this = &*self;
            let delivered = &mut delivered;
            let message = &message;
            this.app
                .channel(message, &this.session, move || async move {
                    let result = this
                        .hub
                        .deliver(
                            this.id,
                            &message.channel_id,
                            &message.event,
                            &message.payload,
                            &this.session,
                        )
                        .await;
                    let verdict = match &result {
                        Err(e) if e.kind == ErrorKind::Internal => ChannelResponse::Deny,
                        _ => ChannelResponse::Ok,
                    };
                    *delivered = Some(result);
                    verdict
                })
                .instrument(span.clone())
                .await
        };
        span.record("outcome", if verdict.is_deny() { "deny" } else { "ok" });
        let result = match (verdict, delivered) {
            (ChannelResponse::Deny, Some(Err(error))) if error.kind == ErrorKind::Internal => {
                Err(error)
            }
            (ChannelResponse::Deny, _) => Err(channel_denied()),
            (ChannelResponse::TooManyRequests(limited), _) => Err(self.rate_limited(limited)),
            (ChannelResponse::Ok, delivered) => delivered.unwrap_or(Ok(Value::Null)),
        };
        if let Some(answer) = ChannelOut::answer(&message.channel_id, message.request_id, result) {
            self.send(answer).await;
        }
    }

    async fn subscribe(&mut self, channel: String, request_id: Option<String>) {
        let limits = self.out.limits();
        let check = self.check_channel_name(&channel).and_then(|()| {
            let full = self.channels.len() >= limits.max_subscriptions;
            if full && !self.channels.contains(&channel) {
                return Err(ErrorBody::new(
                    ErrorKind::LimitExceeded,
                    format!(
                        "too many subscriptions: at most {} channels per connection",
                        limits.max_subscriptions
                    ),
                ));
            }
            Ok(())
        });
        if let Err(error) = check {
            if let Some(answer) = ChannelOut::answer(self.shown(&channel), request_id, Err(error)) {
                self.send(answer).await;
            }
            return;
        }
        let message = ChannelMessage {
            channel_id: channel,
            event: SUBSCRIBE_EVENT.to_owned(),
            payload: Value::Null,
            request_id,
        };
        let span = channel_span(&message);
        let verdict = self
            .app
            .channel(&message, &self.session, || async { ChannelResponse::Ok })
            .instrument(span.clone())
            .await;
        span.record("outcome", if verdict.is_deny() { "deny" } else { "ok" });
        let ChannelMessage {
            channel_id: channel,
            request_id,
            ..
        } = message;
        let result = if let ChannelResponse::TooManyRequests(limited) = verdict {
            Err(self.rate_limited(limited))
        } else if !verdict.is_ok() {
            Err(channel_denied())
        } else {
            if !self.channels.contains(&channel) {
                self.hub.subscribe(self.id, &channel, self.out.clone());
                self.channels.insert(channel.clone());
            }
            Ok(Value::Null)
        };
        if let Some(answer) = ChannelOut::answer(&channel, request_id, result) {
            self.send(answer).await;
        }
    }
}

/// Counts `rate_limited` answers per window; a socket over the limit is abusive (closed 1008).
#[derive(Debug)]
struct Abuse {
    limit: u32,
    window_start: Option<Instant>,
    count: u32,
}

/// The window [`Abuse`] counts in.
const ABUSE_WINDOW: Duration = Duration::from_secs(60);

impl Abuse {
    fn new(limit: u32) -> Abuse {
        Abuse {
            limit,
            window_start: None,
            count: 0,
        }
    }

    fn record(&mut self) {
        let now = Instant::now();
        match self.window_start {
            Some(start) if now.duration_since(start) < ABUSE_WINDOW => {
                self.count = self.count.saturating_add(1);
            }
            _ => {
                self.window_start = Some(now);
                self.count = 1;
            }
        }
    }

    fn exceeded(&self) -> bool {
        self.count > self.limit
    }
}

impl Connection {
    /// Closes (1008) a socket answered `rate_limited` more than `limit` times within a minute.
    pub(crate) fn set_abuse_limit(&mut self, limit: u32) {
        self.limited.limit = limit;
    }

    /// The client's address, for logs.
    pub(crate) fn client(&self) -> Option<std::net::SocketAddr> {
        self.request.client()
    }

    /// Whether the socket kept sending over its rate limit: the server closes it with 1008.
    pub(crate) fn is_abusive(&self) -> bool {
        self.limited.exceeded()
    }

    /// The `rate_limited` answer, counted towards closing an abusive socket.
    fn rate_limited(&mut self, limited: TooManyRequests) -> ErrorBody {
        self.limited.record();
        ErrorBody::rate_limited(limited)
    }
}

impl Connection {
    /// Refuses a channel name longer than the socket's bound (answered, never echoed in full).
    fn check_channel_name(&self, channel: &str) -> Result<(), ErrorBody> {
        let max = self.out.limits().max_channel_name;
        if channel.len() > max {
            return Err(ErrorBody::new(
                ErrorKind::LimitExceeded,
                format!("channel name too long: at most {max} bytes"),
            ));
        }
        Ok(())
    }

    /// A channel name as echoed in a reply: cut to the bound, so an over-long name is not sent
    /// back in full.
    fn shown<'a>(&self, channel: &'a str) -> &'a str {
        let mut end = channel.len().min(self.out.limits().max_channel_name);
        while !channel.is_char_boundary(end) {
            end -= 1;
        }
        &channel[..end]
    }
}

/// The span around one `channel` hook dispatch; `outcome` is recorded when it is known.
fn channel_span(message: &ChannelMessage) -> tracing::Span {
    tracing::debug_span!(
        "pulse.hook",
        hook = "channel",
        channel = message.channel_id.as_str(),
        event = message.event.as_str(),
        outcome = tracing::field::Empty,
    )
}

fn channel_denied() -> ErrorBody {
    ErrorBody::new(ErrorKind::Deny, "channel message denied by server")
}
