//! Helpers of the tests that span the primitives: the test name, plus the
//! helpers every test binary shares.
#![allow(dead_code)]

#[path = "../common/mod.rs"]
mod common;
pub(crate) use common::*;

/// A fresh test name (`/ipcrs-all-…`); nothing is created. A test that
/// creates an object under it wraps the handle with `unlink_on_drop()`.
pub(crate) fn fresh_name() -> String {
    testkit::unique_name("all")
}
