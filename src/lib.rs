//! # Pulse for Rust
//!
//! Server-driven web apps whose heart is a compile-time checked middleware DSL. Middleware runs
//! at five hook points — `prerender` (a page request), `prerender_route` (each matched route),
//! `connect` (a WebSocket opening), `message` (each client message) and `channel` (each pub/sub
//! message) — and either continues with `next.run().await` or stops with a result that fits the
//! hook: `Redirect` or `NotFound` in prerender hooks, `Deny` elsewhere.
//!
//! ```ignore
//! use pulse as ps;
//! ```

pub use pulse_core::*;
