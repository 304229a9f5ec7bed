//! What every System V kind (semaphore, semaphore set, segment, queue) does
//! alike, checked for all four in one place: the shared object surface,
//! squatting and permissions, crashes, the options builders, reused ids and
//! word sizes. Each test covers the kinds side by side, so they share one
//! binary rather than being split over the per-primitive ones; the typed
//! helpers are the primitives' own support modules.

mod crash;
mod options;
mod security;
mod stale_ids;
mod surface;
mod word_size;

#[path = "../msg/support.rs"]
mod msg_support;
#[path = "../sem/support.rs"]
mod sem_support;
#[path = "../shm/support.rs"]
mod shm_support;
