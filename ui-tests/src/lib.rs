//! Compile-fail and compile-pass cases of the Pulse macros (see `tests/ui.rs`).
//!
//! This crate depends on `pulse` alone (plus `tokio`, `serde_json` and `trybuild` for tests) —
//! no `maud` — so the README's Rust blocks, compiled below as doctests, prove that an app whose
//! `[dependencies]` are `pulse` and `tokio` builds.

#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct Readme;
