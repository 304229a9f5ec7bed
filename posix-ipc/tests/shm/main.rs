//! Integration tests of POSIX shared memory: what each method documents
//! (`api`), every posix_ipc memory test translated (`posix_ipc_suite`), real
//! second processes (`processes`), every bad input (`errors`), sizing and mapping in one call (`mapped`), pre-faulting
//! (`populate`) and robust mutexes in a mapping between processes (`robust`).

mod api;
mod errors;
mod mapped;
mod populate;
mod posix_ipc_suite;
mod processes;
mod robust;
mod support;
