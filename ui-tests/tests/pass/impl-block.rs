//! Several hooks in one type, with state and generics; helpers in another impl block.
use pulse as ps;
use std::sync::atomic::{AtomicUsize, Ordering};

#[derive(Default)]
struct Audit {
    seen: AtomicUsize,
}

impl Audit {
    fn count(&self) -> usize {
        self.seen.fetch_add(1, Ordering::Relaxed)
    }
}

#[ps::middleware]
impl Audit {
    /// Counts connections.
    async fn connect(&self, request: &ps::Request, session: &ps::Session, next: ps::Next) -> ps::ConnectResponse {
        let _ = (request, session, self.count());
        next.run().await
    }

    async fn message(&self, data: &ps::ClientMessage, next: ps::Next) -> ps::MessageResponse {
        if data.kind() == "forbidden" {
            return ps::Deny;
        }
        next.run().await
    }

    async fn prerender_route(&self, path: &str, next: ps::Next) {
        if path == "/gone" { ps::NotFound.into() } else { next.run().await }
    }
}

struct Tagged<T>(T);

#[ps::middleware(dev)]
impl<T: Send + Sync + 'static> Tagged<T> {
    async fn channel(&self, event: &str, next: ps::Next) -> ps::ChannelResponse {
        let _ = (&self.0, event);
        next.run().await
    }
}

/// A hand-written middleware keeps working next to macro ones.
struct Manual;

impl ps::PulseMiddleware for Manual {
    async fn connect(
        &self,
        args: ps::ConnectArgs<'_>,
        next: impl ps::Next<ps::hook::Connect>,
    ) -> ps::ConnectResponse {
        let _ = args;
        next.run().await
    }
}

fn main() {
    let _ = ps::stack![Audit::default(), Tagged(1u8), Manual];
}
