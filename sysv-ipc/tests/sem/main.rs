//! System V semaphores and semaphore sets: one test binary, one module per
//! area, and `support` for what they share.

mod api_snippets;
mod basics;
mod docs;
mod module;
mod processes;
mod set;
mod support;
