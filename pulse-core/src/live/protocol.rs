//! The wire protocol of `/_pulse/ws`: one JSON object per text frame.
//!
//! Client → server (`type`):
//!
//! | type | fields | passes |
//! |---|---|---|
//! | `attach` | `path` (route pattern), `routeInfo`, `viewId`? | `message` hook, then `prerender_route` |
//! | `update` | `path`, `routeInfo` | `message` hook, then `prerender_route` |
//! | `callback` | `path`, `callback`, `args` (array, optional) | `message` hook, the callback, then `prerender_route` |
//! | `detach` | `path` | `message` hook |
//! | `channel_message` | `channel`, `event`, `payload`?, `requestId`? | `channel` hook |
//! | `channel_subscribe` | `channel`, `requestId`? | `channel` hook with event `pulse:subscribe` |
//! | `channel_unsubscribe` | `channel`, `requestId`? | none |
//! | `heartbeat` | — | none: answered with `heartbeat_ack`, even while a callback runs |
//!
//! Server → client (`type`):
//!
//! | type | fields | when |
//! |---|---|---|
//! | `attach_ack` | `path`, `html`, `title`? | a view was attached |
//! | `view_update` | `path`, `html`, `title`? | a view changed (callback, `update`) |
//! | `navigate_to` | `path`, `replace` | `prerender_route` redirected or said not found, or a callback navigated |
//! | `reload` | — | an `attach` named a route the app does not have (the page came from another version of the app) |
//! | `server_error` | `path` (or `null`), `error: {message, kind, retryAfterMs?}` | see [`ErrorKind`] |
//! | `channel_message` | `channel`, `event`, `payload`, `error` | an event from another client or the app; `event: "pulse:error"` for an error nobody can be replied to |
//! | `channel_message` | `channel`, `responseTo`, `payload`, `error` | the one reply to a `requestId` |
//! | `refresh_cookies` | `url` | the session changed over the socket: `GET url` with credentials stores it |
//! | `heartbeat_ack` | `intervalMs` | the answer to a `heartbeat`; `intervalMs` is the time until the next one ([`Live::ping_interval`](super::Live::ping_interval), 0: send none) |
//!
//! `title` is the document title the render asks for, as the first document's `<title>` has
//! it: the title the view set ([`PageContext::set_title`](crate::PageContext::set_title)) in
//! the app's [`Head`](crate::Head) template (`"Dashboard · My app"`), or the app's own title when
//! the view set none. It is absent when there is neither (messages of untitled apps are
//! unchanged), and then the browser keeps the title it has. It is text, never HTML: the client
//! script assigns it to `document.title`. A document has one attached view (a page request
//! renders one route), so the last `title` received is the document's.
//!
//! `viewId` (a random string of at most 64 characters the client draws once per page load) lets
//! a view survive a reconnect: an `attach` with the `viewId` of a view that another socket of
//! the same session had attached (still open, or closed less than the grace period ago, see
//! [`Live::view_grace`](super::Live::view_grace)) gets that view's state back instead of a
//! fresh one.
//!
//! A `Deny` is always answered: `server_error` of kind `deny` for client messages, an error reply
//! (with `requestId`) or a `pulse:error` event (without) for channels. Frames that cannot be read
//! get `server_error` of kind `bad_request`; a `TooManyRequests` is answered with kind
//! `rate_limited` and `retryAfterMs`; the connection stays open in every case. A frame
//! over the size limit closes the connection with 1009.

use std::sync::Arc;

use serde::Serialize;
use serde_json::Value;

use super::resume::MAX_VIEW_ID;
use crate::message::{ChannelMessage, ClientMessage};

/// Prefix of event names reserved for the framework (`pulse:subscribe`, `pulse:error`).
pub(crate) const RESERVED_EVENT_PREFIX: &str = "pulse:";
/// The event a subscription runs through the `channel` hook with.
pub(crate) const SUBSCRIBE_EVENT: &str = "pulse:subscribe";
/// The event of an error sent on a channel when there is no `requestId` to reply to.
pub(crate) const ERROR_EVENT: &str = "pulse:error";

/// The longest text frame read as a possible `heartbeat` (the client sends
/// `{"type":"heartbeat"}`); longer frames are other messages.
const MAX_HEARTBEAT: usize = 64;

/// Whether a text frame is a `heartbeat`: answered by the frame loop itself, passing no hook.
pub(crate) fn is_heartbeat(text: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Kind<'a> {
        #[serde(rename = "type", borrow)]
        kind: std::borrow::Cow<'a, str>,
    }
    text.len() <= MAX_HEARTBEAT
        && text.trim_start().starts_with('{')
        && serde_json::from_str::<Kind<'_>>(text).is_ok_and(|k| k.kind == "heartbeat")
}

/// The answer to a `heartbeat`: `intervalMs` until the next one.
pub(crate) fn heartbeat_ack(interval: std::time::Duration) -> String {
    let interval_ms = u64::try_from(interval.as_millis()).unwrap_or(u64::MAX);
    serde_json::json!({ "type": "heartbeat_ack", "intervalMs": interval_ms }).to_string()
}

/// A frame from the browser, read and checked.
#[derive(Debug)]
pub(crate) enum Incoming {
    /// `attach`, `update`, `callback`, `detach`: passes the `message` hook. `view_id`: the
    /// `viewId` of an `attach`.
    Client {
        message: ClientMessage,
        view_id: Option<String>,
    },
    /// `channel_message`: passes the `channel` hook, then reaches subscribers and handlers.
    Publish(ChannelMessage),
    /// `channel_subscribe`: passes the `channel` hook with event `pulse:subscribe`.
    Subscribe {
        channel: String,
        request_id: Option<String>,
    },
    /// `channel_unsubscribe`: no hook (giving up access needs no permission).
    Unsubscribe {
        channel: String,
        request_id: Option<String>,
    },
}

/// A frame that could not be read: answered with `server_error` of kind `bad_request`.
#[derive(Debug)]
pub(crate) struct BadRequest {
    /// The `path` of the message, when it had one.
    pub(crate) path: Option<String>,
    pub(crate) message: String,
}

impl Incoming {
    /// Reads a text frame.
    pub(crate) fn parse(text: &str) -> Result<Incoming, BadRequest> {
        let mut value: Value = serde_json::from_str(text).map_err(|e| BadRequest {
            path: None,
            message: format!("malformed JSON: {e}"),
        })?;
        let path = value.get("path").and_then(Value::as_str).map(str::to_owned);
        let bad = |message: String| BadRequest {
            path: path.clone(),
            message,
        };
        if !value.is_object() {
            return Err(bad("a message must be a JSON object".into()));
        }
        let attach = matches!(value.get("type"), Some(Value::String(t)) if t == "attach");
        match value.get("type").and_then(Value::as_str) {
            Some("channel_message") => {
                let channel = string_field(&value, "channel").map_err(bad)?;
                let event = string_field(&value, "event").map_err(bad)?;
                if event.starts_with(RESERVED_EVENT_PREFIX) {
                    return Err(bad(format!(
                        "event names starting with `{RESERVED_EVENT_PREFIX}` are reserved"
                    )));
                }
                Ok(Incoming::Publish(ChannelMessage {
                    channel_id: channel,
                    event,
                    payload: value.get("payload").cloned().unwrap_or(Value::Null),
                    request_id: request_id(&value).map_err(bad)?,
                }))
            }
            Some(kind @ ("channel_subscribe" | "channel_unsubscribe")) => {
                let channel = string_field(&value, "channel").map_err(bad)?;
                let request_id = request_id(&value).map_err(bad)?;
                Ok(if kind == "channel_subscribe" {
                    Incoming::Subscribe {
                        channel,
                        request_id,
                    }
                } else {
                    Incoming::Unsubscribe {
                        channel,
                        request_id,
                    }
                })
            }
            _ => {
                let view_id = if attach {
                    view_id(&mut value).map_err(bad)?
                } else {
                    None
                };
                match ClientMessage::from_json(value) {
                    Ok(ClientMessage::Raw(raw)) => {
                        let kind = raw.get("type").and_then(Value::as_str).unwrap_or_default();
                        Err(bad(format!("unknown message type `{kind}`")))
                    }
                    Ok(message) => Ok(Incoming::Client { message, view_id }),
                    Err(error) => Err(bad(error.to_string())),
                }
            }
        }
    }
}

/// Takes the `viewId` out of an `attach` (the `message` hook sees Pulse's fields only).
fn view_id(value: &mut Value) -> Result<Option<String>, String> {
    let Some(object) = value.as_object_mut() else {
        return Ok(None);
    };
    match object.remove("viewId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(id)) if !id.is_empty() && id.len() <= MAX_VIEW_ID => Ok(Some(id)),
        Some(Value::String(_)) => Err(format!(
            "field `viewId` must have 1 to {MAX_VIEW_ID} characters"
        )),
        Some(_) => Err("field `viewId` must be a string".into()),
    }
}

fn string_field(value: &Value, name: &str) -> Result<String, String> {
    match value.get(name) {
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(format!("field `{name}` must be a string")),
        None => Err(format!("missing field `{name}`")),
    }
}

fn request_id(value: &Value) -> Result<Option<String>, String> {
    match value.get("requestId") {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err("field `requestId` must be a string".into()),
    }
}

/// What went wrong, as the client sees it (`error.kind`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorKind {
    /// The frame could not be read: malformed JSON, unknown `type`, missing or mistyped fields.
    BadRequest,
    /// A `message` or `channel` hook denied (or panicked, which denies).
    Deny,
    /// No such route, attached view, callback or channel.
    NotFound,
    /// A channel handler refused the message.
    Rejected,
    /// A page, callback or channel handler panicked.
    Internal,
    /// A bound of the connection was reached: too many subscriptions, a channel name too long.
    LimitExceeded,
    /// A hook answered `TooManyRequests` (e.g. [`RateLimit`](crate::RateLimit)): the message
    /// was not handled; `retryAfterMs` says when to try again. The socket stays open.
    RateLimited,
}

/// An error as sent to the client: `{"message": …, "kind": …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ErrorBody {
    /// What happened, for people.
    pub message: String,
    /// What happened, for programs.
    pub kind: ErrorKind,
    /// For `rate_limited`: milliseconds to wait before sending again (`retryAfterMs`).
    #[serde(rename = "retryAfterMs", skip_serializing_if = "Option::is_none")]
    pub retry_after_ms: Option<u64>,
}

impl ErrorBody {
    pub(crate) fn new(kind: ErrorKind, message: impl Into<String>) -> ErrorBody {
        ErrorBody {
            message: message.into(),
            kind,
            retry_after_ms: None,
        }
    }

    /// The answer to a message a hook stopped with `TooManyRequests`.
    pub(crate) fn rate_limited(limited: crate::outcome::TooManyRequests) -> ErrorBody {
        ErrorBody {
            message: "too many messages; try again later".to_owned(),
            kind: ErrorKind::RateLimited,
            retry_after_ms: Some(limited.retry_after_ms()),
        }
    }
}

/// A message to the browser.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(crate) enum Outgoing {
    /// A view was attached; its current HTML and the document title it asks for.
    AttachAck {
        path: Arc<str>,
        html: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// An attached view's new HTML (after a callback or an `update`) and the document title
    /// it asks for.
    ViewUpdate {
        path: Arc<str>,
        html: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        title: Option<String>,
    },
    /// Load `path` (a redirect from `prerender_route`, a not-found, or a callback's request).
    NavigateTo { path: String, replace: bool },
    /// Reload the page (it attached a route this app does not have: another version of the
    /// app rendered it).
    Reload,
    /// A message failed or was denied.
    ServerError {
        path: Option<String>,
        error: ErrorBody,
    },
    /// A channel event, a reply (`responseTo`) or an error event.
    ChannelMessage(ChannelOut),
    /// The session changed during WebSocket activity: fetch `url` with credentials to store it.
    RefreshCookies { url: String },
}

/// The body of a server → client `channel_message`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChannelOut {
    pub(crate) channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) event: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) response_to: Option<String>,
    pub(crate) payload: Value,
    pub(crate) error: Option<ErrorBody>,
}

impl ChannelOut {
    /// An event published on `channel`.
    pub(crate) fn event(channel: &str, event: &str, payload: Value) -> Outgoing {
        Outgoing::ChannelMessage(ChannelOut {
            channel: channel.to_owned(),
            event: Some(event.to_owned()),
            response_to: None,
            payload,
            error: None,
        })
    }

    /// The one reply to request `request_id`.
    pub(crate) fn reply(
        channel: &str,
        request_id: String,
        result: Result<Value, ErrorBody>,
    ) -> Outgoing {
        let (payload, error) = match result {
            Ok(payload) => (payload, None),
            Err(error) => (Value::Null, Some(error)),
        };
        Outgoing::ChannelMessage(ChannelOut {
            channel: channel.to_owned(),
            event: None,
            response_to: Some(request_id),
            payload,
            error,
        })
    }

    /// The answer to a channel message: a reply when the client gave a `requestId`, otherwise an
    /// error event (and nothing for a success nobody waits for).
    pub(crate) fn answer(
        channel: &str,
        request_id: Option<String>,
        result: Result<Value, ErrorBody>,
    ) -> Option<Outgoing> {
        match (request_id, result) {
            (Some(id), result) => Some(ChannelOut::reply(channel, id, result)),
            (None, Ok(_)) => None,
            (None, Err(error)) => Some(Outgoing::ChannelMessage(ChannelOut {
                channel: channel.to_owned(),
                event: Some(ERROR_EVENT.to_owned()),
                response_to: None,
                payload: Value::Null,
                error: Some(error),
            })),
        }
    }
}

impl Outgoing {
    /// The JSON text of this message.
    pub(crate) fn to_text(&self) -> String {
        // Serializing these types cannot fail: string keys, JSON values.
        serde_json::to_string(self).unwrap_or_else(|_| String::from(r#"{"type":"reload"}"#))
    }
}

#[cfg(test)]
mod view_tests {
    use super::Outgoing;
    use serde_json::{Value, json};

    fn sent(message: Outgoing) -> Value {
        serde_json::from_str(&message.to_text()).unwrap()
    }

    #[test]
    fn a_view_message_carries_its_title_only_when_there_is_one() {
        let ack = |title: Option<&str>| Outgoing::AttachAck {
            path: "/".into(),
            html: "<p>hi</p>".into(),
            title: title.map(str::to_owned),
        };
        assert_eq!(
            sent(ack(None)),
            json!({"type": "attach_ack", "path": "/", "html": "<p>hi</p>"}),
            "the shape of an untitled view is unchanged"
        );
        assert_eq!(
            sent(ack(Some("Home · App"))),
            json!({"type": "attach_ack", "path": "/", "html": "<p>hi</p>", "title": "Home · App"})
        );
        let update = Outgoing::ViewUpdate {
            path: "/".into(),
            html: String::new(),
            title: None,
        };
        assert_eq!(
            update.to_text(),
            r#"{"type":"view_update","path":"/","html":""}"#
        );
    }

    #[test]
    fn a_title_is_text_sent_as_is() {
        let title = r#"<b>"Tom" & Jerry</b> · App"#;
        let update = Outgoing::ViewUpdate {
            path: "/".into(),
            html: String::new(),
            title: Some(title.into()),
        };
        let text = update.to_text();
        assert!(!text.contains("&amp;"), "not HTML-escaped: {text}");
        assert_eq!(sent(update)["title"], title);
    }
}

#[cfg(test)]
mod heartbeat_tests {
    use super::{heartbeat_ack, is_heartbeat};

    #[test]
    fn a_heartbeat_is_a_small_object_of_type_heartbeat() {
        assert!(is_heartbeat(r#"{"type":"heartbeat"}"#));
        assert!(is_heartbeat(r#" { "type" : "heartbeat", "n": 1 } "#));
        assert!(is_heartbeat(r#"{"type":"heart\u0062eat"}"#));
        assert!(!is_heartbeat(r#"{"type":"heartbeat_ack"}"#));
        assert!(!is_heartbeat(r#"{"type":"attach"}"#));
        assert!(!is_heartbeat(r#"["heartbeat"]"#));
        assert!(!is_heartbeat("heartbeat"));
        let long = format!(r#"{{"type":"heartbeat","pad":"{}"}}"#, "x".repeat(64));
        assert!(!is_heartbeat(&long), "longer frames are other messages");
    }

    #[test]
    fn the_ack_names_the_interval_in_milliseconds() {
        let ack = heartbeat_ack(std::time::Duration::from_secs(25));
        assert_eq!(ack, r#"{"intervalMs":25000,"type":"heartbeat_ack"}"#);
    }
}
