//! Compile-fail and compile-pass cases of the Pulse macros, one file per mistake.
//!
//! The `.stderr` files are golden outputs of rustc 1.95 (the toolchain of this repository);
//! review them as a user would before committing a change (`TRYBUILD=overwrite` rewrites them).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/pass/*.rs");
    t.compile_fail("tests/fail/*/*.rs");
}
