//! Integration tests of POSIX message queues: what each method documents
//! (`api`), every bad input and limit (`errors`), callback notifications
//! (`notify`), posix_ipc's message-queue tests translated
//! (`posix_ipc_suite`), real second processes (`processes`) and the async
//! queue (`tokio`). Signal notifications live in the `signals` binary, which
//! installs process-wide signal handlers.

mod api;
mod errors;
mod notify;
mod posix_ipc_suite;
mod processes;
mod support;
mod tokio;
