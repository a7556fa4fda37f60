//! [`RedisChannels`]: channel events between instances over Redis pub/sub (feature `redis`).

use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};

use super::{RedisConfig, RedisError, Topic};
use crate::live::{ChannelBackend, Inbox};

/// A [`ChannelBackend`] over Redis pub/sub: an event published on one instance reaches the
/// subscribers of its channel on every instance sharing the Redis (and the
/// [prefix](RedisConfig::prefix)), in the order that instance published them.
///
/// Every instance subscribes to one Redis channel, `<prefix>:channels`, and receives every
/// event; it delivers those of channels it has subscribers for. Events are not kept: an
/// instance cut off from Redis misses what was published meanwhile, and what it publishes
/// meanwhile reaches only its own subscribers (both logged). The `channel` hook runs on the
/// sender's instance (see [`ChannelBackend`]).
///
/// ```no_run
/// # use pulse_core as ps;
/// # async fn run(app: ps::App) -> Result<(), ps::redis::RedisError> {
/// let redis = ps::redis::RedisConfig::new("redis://127.0.0.1:6379");
/// let live = app.live().channel_backend(ps::redis::RedisChannels::connect(&redis).await?);
/// # Ok(())
/// # }
/// ```
pub struct RedisChannels {
    topic: Topic,
    inbox: Arc<Mutex<Option<Inbox>>>,
}

impl fmt::Debug for RedisChannels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisChannels")
            .field("topic", &self.topic)
            .finish_non_exhaustive()
    }
}

impl RedisChannels {
    /// Connects to Redis and subscribes to the app's events (done when this returns); fails
    /// when Redis cannot be reached now. Afterwards lost connections are re-opened by
    /// themselves.
    pub async fn connect(config: &RedisConfig) -> Result<RedisChannels, RedisError> {
        let inbox: Arc<Mutex<Option<Inbox>>> = Arc::default();
        let target = inbox.clone();
        let receive = move |body: &str| {
            let Some((channel, event)) = decode(body) else {
                tracing::warn!("ignored a malformed channel event from Redis");
                return true;
            };
            let inbox = target.lock().unwrap_or_else(PoisonError::into_inner);
            match inbox.as_ref() {
                Some(inbox) => inbox.deliver(channel, event).is_ok(),
                None => true,
            }
        };
        // Events published while this instance was cut off are gone (logged by the topic).
        let reconnected =
            |_| -> futures_util::future::BoxFuture<'static, ()> { Box::pin(async {}) };
        let topic = Topic::open(config, "channels", receive, reconnected).await?;
        Ok(RedisChannels { topic, inbox })
    }
}

impl ChannelBackend for RedisChannels {
    fn start(&self, inbox: Inbox) {
        *self.inbox.lock().unwrap_or_else(PoisonError::into_inner) = Some(inbox);
    }

    fn publish(&self, channel: &str, event: &str) {
        self.topic.publish(&encode(channel, event));
    }
}

/// `<channel length>:<channel><event>`: no escaping, whatever the channel's name holds.
fn encode(channel: &str, event: &str) -> String {
    format!("{}:{channel}{event}", channel.len())
}

fn decode(body: &str) -> Option<(&str, &str)> {
    let (len, rest) = body.split_once(':')?;
    let len: usize = len.parse().ok()?;
    Some((rest.get(..len)?, rest.get(len..)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_survive_the_envelope() {
        for (channel, event) in [("chat", "{}"), ("a:b 1:2", "{\"x\":\":\"}"), ("", "")] {
            assert_eq!(decode(&encode(channel, event)), Some((channel, event)));
        }
        assert_eq!(decode("9:short"), None);
        assert_eq!(decode("x:chat"), None);
        assert_eq!(decode("nothing"), None);
        assert_eq!(decode("1:\u{e9}"), None, "not a char boundary");
    }
}
