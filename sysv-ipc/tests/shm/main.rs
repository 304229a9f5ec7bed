//! System V shared memory: one test binary, one module per area, and
//! `support` for what they share.

mod docs;
mod errors;
mod populate;
mod processes;
mod robust;
mod support;
mod sysv_ipc;
