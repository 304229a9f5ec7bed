//! System V message queues: one test binary, one module per area, and
//! `support` for what they share.

mod docs;
mod errors;
mod memory;
mod processes;
mod support;
mod sysv_ipc;
