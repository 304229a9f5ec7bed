//! Tests that check the three primitives together, because their point is
//! that all three behave alike: the API as a user first types it
//! (`api_snippets`), the crate's "Crashes" table row by row (`crash`),
//! descriptors passed between processes (`descriptors`), the shared options
//! semantics (`options`), name squatting by another user (`squatting`) and
//! 32-bit boundaries (`word_size`). Each primitive's own behaviour is tested
//! in its binary (`semaphore`, `shm`, `mqueue`).

mod api_snippets;
mod crash;
mod descriptors;
mod options;
mod squatting;
mod support;
mod word_size;
