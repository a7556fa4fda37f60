//! Shared test middleware: a recorder that logs `name-in` / `name-out` around `next`.

#![allow(dead_code, unreachable_pub, missing_debug_implementations)]

use std::sync::{Arc, Mutex};

use pulse_core::{self as ps, hook};

pub type Log = Arc<Mutex<Vec<String>>>;

pub fn log() -> Log {
    Arc::default()
}

pub fn entries(log: &Log) -> Vec<String> {
    log.lock().unwrap().clone()
}

pub fn push(log: &Log, entry: impl Into<String>) {
    log.lock().unwrap().push(entry.into());
}

/// Logs around `next` at every hook.
pub struct Recorder {
    pub name: &'static str,
    pub log: Log,
}

impl Recorder {
    pub fn new(name: &'static str, log: &Log) -> Self {
        Recorder {
            name,
            log: log.clone(),
        }
    }

    async fn around<T>(&self, hook: &str, next: impl Future<Output = T>) -> T {
        push(&self.log, format!("{}-in:{hook}", self.name));
        let out = next.await;
        push(&self.log, format!("{}-out:{hook}", self.name));
        out
    }
}

impl ps::PulseMiddleware for Recorder {
    async fn prerender(
        &self,
        _: ps::PrerenderArgs<'_>,
        next: impl ps::Next<hook::Prerender>,
    ) -> ps::PrerenderResponse {
        self.around("prerender", next.run()).await
    }
    async fn prerender_route(
        &self,
        _: ps::PrerenderRouteArgs<'_>,
        next: impl ps::Next<hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        self.around("prerender_route", next.run()).await
    }
    async fn connect(
        &self,
        _: ps::ConnectArgs<'_>,
        next: impl ps::Next<hook::Connect>,
    ) -> ps::ConnectResponse {
        self.around("connect", next.run()).await
    }
    async fn message(
        &self,
        _: ps::MessageArgs<'_>,
        next: impl ps::Next<hook::Message>,
    ) -> ps::MessageResponse {
        self.around("message", next.run()).await
    }
    async fn channel(
        &self,
        _: ps::ChannelArgs<'_>,
        next: impl ps::Next<hook::Channel>,
    ) -> ps::ChannelResponse {
        self.around("channel", next.run()).await
    }
}

/// Stops every hook without calling `next`.
pub struct Stopper {
    pub log: Log,
}

impl ps::PulseMiddleware for Stopper {
    async fn prerender(
        &self,
        _: ps::PrerenderArgs<'_>,
        _next: impl ps::Next<hook::Prerender>,
    ) -> ps::PrerenderResponse {
        push(&self.log, "stop:prerender");
        ps::Redirect::to("/login").into()
    }
    async fn prerender_route(
        &self,
        _: ps::PrerenderRouteArgs<'_>,
        _next: impl ps::Next<hook::PrerenderRoute>,
    ) -> ps::RoutePrerenderResponse {
        push(&self.log, "stop:prerender_route");
        ps::NotFound.into()
    }
    async fn connect(
        &self,
        _: ps::ConnectArgs<'_>,
        _next: impl ps::Next<hook::Connect>,
    ) -> ps::ConnectResponse {
        push(&self.log, "stop:connect");
        ps::Deny.into()
    }
    async fn message(
        &self,
        _: ps::MessageArgs<'_>,
        _next: impl ps::Next<hook::Message>,
    ) -> ps::MessageResponse {
        push(&self.log, "stop:message");
        ps::Deny.into()
    }
    async fn channel(
        &self,
        _: ps::ChannelArgs<'_>,
        _next: impl ps::Next<hook::Channel>,
    ) -> ps::ChannelResponse {
        push(&self.log, "stop:channel");
        ps::Deny.into()
    }
}

pub async fn page(cx: ps::PageContext) -> ps::Markup {
    ps::html! { h1 { "page " (cx.pattern()) } }
}

pub fn channel_message(channel: &str) -> ps::ChannelMessage {
    ps::ChannelMessage {
        channel_id: channel.to_owned(),
        event: "say".to_owned(),
        payload: serde_json::json!({"text": "hi"}),
        request_id: Some("r1".to_owned()),
    }
}

pub fn callback(path: &str) -> ps::ClientMessage {
    ps::ClientMessage::from_json(serde_json::json!({
        "type": "callback", "path": path, "callback": "increment", "args": []
    }))
    .unwrap()
}
