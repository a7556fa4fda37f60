//! Paths the macros expand to. Everything generated refers to the runtime through
//! `::pulse::__private` (or `::pulse_core::__private`), never through names users may shadow.

pub use core;
pub use std;

pub use crate::hook::{self, Hook, Next};
pub use crate::middleware::PulseMiddleware;
pub use crate::outcome::{
    IntoChannelResponse, IntoConnectResponse, IntoMessageResponse, IntoPrerenderResponse,
    IntoRoutePrerenderResponse,
};
