//! Client messages as the `message` hook sees them, and channel messages.

use serde::Deserialize;
use serde_json::Value;

use crate::route_info::RouteInfo;

/// A message from the browser, in Pulse's vocabulary.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ClientMessage {
    /// A view was mounted: render `path` for `route_info` and keep it live.
    Attach {
        /// The route pattern.
        path: String,
        /// The URL.
        route_info: RouteInfo,
    },
    /// The URL of an attached view changed (query, params).
    Update {
        /// The route pattern.
        path: String,
        /// The new URL.
        route_info: RouteInfo,
    },
    /// A callback of an attached view was invoked (a button click).
    Callback {
        /// The route pattern.
        path: String,
        /// The callback's name.
        callback: String,
        /// Its arguments.
        args: Vec<Value>,
    },
    /// A view was unmounted.
    Detach {
        /// The route pattern.
        path: String,
    },
    /// Any other message with a `type`, as received.
    Raw(Value),
}

/// Why a client message could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct MessageError(String);

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
enum Known {
    Attach {
        path: String,
        #[serde(rename = "routeInfo", default)]
        route_info: RouteInfo,
        #[serde(rename = "attachId", default)]
        #[allow(dead_code)]
        attach_id: Option<Value>,
    },
    Update {
        path: String,
        #[serde(rename = "routeInfo", default)]
        route_info: RouteInfo,
    },
    Callback {
        path: String,
        callback: String,
        #[serde(default)]
        args: Vec<Value>,
    },
    Detach {
        path: String,
    },
}

impl ClientMessage {
    /// Reads a message from JSON. Known types with missing or mistyped fields are errors;
    /// other types become [`ClientMessage::Raw`].
    pub fn from_json(value: Value) -> Result<ClientMessage, MessageError> {
        let kind = match value.get("type") {
            Some(Value::String(kind)) => kind.clone(),
            Some(_) => return Err(MessageError("`type` must be a string".into())),
            None => return Err(MessageError("missing field `type`".into())),
        };
        if !matches!(kind.as_str(), "attach" | "update" | "callback" | "detach") {
            return Ok(ClientMessage::Raw(value));
        }
        let known: Known = serde_json::from_value(value)
            .map_err(|e| MessageError(format!("invalid `{kind}` message: {e}")))?;
        Ok(match known {
            Known::Attach {
                path, route_info, ..
            } => ClientMessage::Attach { path, route_info },
            Known::Update { path, route_info } => ClientMessage::Update { path, route_info },
            Known::Callback {
                path,
                callback,
                args,
            } => ClientMessage::Callback {
                path,
                callback,
                args,
            },
            Known::Detach { path } => ClientMessage::Detach { path },
        })
    }

    /// The message type (`"attach"`, `"callback"`, …).
    pub fn kind(&self) -> &str {
        match self {
            ClientMessage::Attach { .. } => "attach",
            ClientMessage::Update { .. } => "update",
            ClientMessage::Callback { .. } => "callback",
            ClientMessage::Detach { .. } => "detach",
            ClientMessage::Raw(value) => value.get("type").and_then(Value::as_str).unwrap_or(""),
        }
    }

    /// The route pattern the message addresses, if any.
    pub fn path(&self) -> Option<&str> {
        match self {
            ClientMessage::Attach { path, .. }
            | ClientMessage::Update { path, .. }
            | ClientMessage::Callback { path, .. }
            | ClientMessage::Detach { path } => Some(path),
            ClientMessage::Raw(value) => value.get("path").and_then(Value::as_str),
        }
    }
}

/// A pub/sub message published by a client on a channel.
#[derive(Clone, Debug, PartialEq)]
pub struct ChannelMessage {
    /// The channel's name.
    pub channel_id: String,
    /// The event name.
    pub event: String,
    /// The payload.
    pub payload: Value,
    /// Set when the client waits for exactly one reply.
    pub request_id: Option<String>,
}
