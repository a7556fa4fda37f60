//! Shared helpers for the live-connection tests: serve an app on 127.0.0.1 and talk to it with
//! a real WebSocket client. They live in the `pulse-test` crate; this module keeps their names.

#![allow(
    dead_code,
    unused_imports,
    unreachable_pub,
    missing_debug_implementations
)]

/// Serves the live endpoints of `live` on a free loopback port.
pub use pulse_test::serve_live as serve;
pub use pulse_test::{Attempt, Client, connect, open};
