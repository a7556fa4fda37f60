//! [`ChannelBackend`]: how channel events reach the subscribers of other instances of an app.

use std::fmt;
use std::sync::Arc;

/// Carries channel events between the instances of an app.
///
/// A [`Hub`](super::Hub) always delivers an event to the subscribers of its own process first;
/// then it gives the event to its backend, which carries it to every other instance, where it
/// enters that instance's hub through an [`Inbox`]. The default backend, [`InProcess`], has no
/// other instance to reach; with the `redis` feature, `RedisChannels` carries events over
/// Redis pub/sub.
///
/// # Where the `channel` hook runs
///
/// On the instance the sender is connected to: a client's channel message passes the `channel`
/// hook there, once, before it is delivered anywhere; a subscription passes it on the
/// subscriber's instance when the client subscribes. An event arriving from another instance
/// was checked by the publisher's instance and goes to the local subscribers of its channel
/// without running the hook again (the hook's `session` is the sender's, which lives on the
/// sender's instance). Events published by the app itself ([`Hub::publish`](super::Hub::publish))
/// pass no hook, on any instance.
///
/// Implement it to use another broker; give it to the app with
/// [`Live::channel_backend`](super::Live::channel_backend).
///
/// ```
/// # use pulse_core as ps;
/// use ps::live::{ChannelBackend, Inbox};
/// use std::sync::Mutex;
///
/// /// Sends this instance's events to a broker (here: keeps them) and feeds the broker's
/// /// events from other instances to the hub.
/// #[derive(Default)]
/// struct Broker {
///     sent: Mutex<Vec<(String, String)>>,
///     inbox: Mutex<Option<Inbox>>,
/// }
///
/// impl ChannelBackend for Broker {
///     fn start(&self, inbox: Inbox) {
///         // A real client would spawn a task calling `inbox.deliver(channel, event)` for
///         // each event another instance published.
///         *self.inbox.lock().unwrap() = Some(inbox);
///     }
///     fn publish(&self, channel: &str, event: &str) {
///         self.sent.lock().unwrap().push((channel.to_owned(), event.to_owned()));
///     }
/// }
/// ```
pub trait ChannelBackend: Send + Sync + 'static {
    /// Called when the backend is given to a hub: events from other instances are handed to
    /// `inbox`, in the order each instance published them.
    fn start(&self, inbox: Inbox);

    /// An event published on this instance, already delivered to its own subscribers: send it
    /// to the other instances. `event` is the event as the client receives it (a JSON text).
    ///
    /// Called from the publishing task, so it must not wait: queue the event and send it from
    /// a task of your own, keeping the order of events per channel.
    fn publish(&self, channel: &str, event: &str);

    /// Whether other instances may have subscribers this process does not know of. Then a
    /// client's message to a channel without local subscribers or handler is still published
    /// instead of being answered with `not_found`. Default `true`.
    fn is_shared(&self) -> bool {
        true
    }
}

/// The default backend: one process, so there is no other instance to reach.
#[derive(Debug, Default, Clone, Copy)]
pub struct InProcess;

impl ChannelBackend for InProcess {
    fn start(&self, _: Inbox) {}

    fn publish(&self, _: &str, _: &str) {}

    fn is_shared(&self) -> bool {
        false
    }
}

/// Where a [`ChannelBackend`] hands the events it received from other instances: the
/// subscribers of this instance's hub. Cheap to clone; it does not keep the hub alive.
#[derive(Clone)]
pub struct Inbox {
    pub(super) hub: Arc<dyn Deliver>,
}

/// What an [`Inbox`] hands events to: the hub's local fan-out, without keeping the hub alive.
pub(super) trait Deliver: Send + Sync {
    /// Delivers `event` to the local subscribers of `channel`; returns how many were reached,
    /// or `None` when the hub is gone.
    fn deliver(&self, channel: &str, event: &str) -> Option<usize>;

    /// Whether the hub still exists.
    fn is_open(&self) -> bool;
}

impl fmt::Debug for Inbox {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Inbox")
            .field("open", &self.hub.is_open())
            .finish()
    }
}

/// The hub of an [`Inbox`] is gone (the app was dropped): the backend may stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the hub behind this inbox is gone")]
pub struct HubGone;

impl Inbox {
    /// Delivers `event` (as given to [`ChannelBackend::publish`] on another instance) to this
    /// instance's subscribers of `channel`; returns how many were reached.
    pub fn deliver(&self, channel: &str, event: &str) -> Result<usize, HubGone> {
        self.hub.deliver(channel, event).ok_or(HubGone)
    }
}
