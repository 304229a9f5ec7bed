//! System V test keys: create an object under a fresh test key, drawing again
//! while the key is taken, and reserve a key no object has (with a guard that
//! removes whatever a test then creates under it).
//!
//! testkit cannot depend on `sysv-ipc` (the crate dev-depends on testkit), so
//! these take the typed parts as closures: each test binary's support module
//! wraps them for its own kind and hands back the library's `RemoveOnDrop`.

use std::fmt::Debug;

use crate::unique_key;

/// Calls `create` with fresh test keys ([`unique_key`]) until it returns
/// something other than an error for which `taken` holds ("a key this
/// project's tests use is already taken"); panics, naming `what`, on any
/// other error (see [`create_fresh`](crate::create_fresh)).
///
/// ```
/// let mut tries = 0;
/// let k = testkit::sysv::with_test_key(
///     "object",
///     |k| { tries += 1; if tries < 3 { Err("taken") } else { Ok(k) } },
///     |e| *e == "taken",
/// );
/// assert_eq!((k & !0xFFFF, tries), (testkit::KEY_PREFIX, 3));
/// ```
pub fn with_test_key<T, E: Debug>(
    what: &str,
    mut create: impl FnMut(i32) -> Result<T, E>,
    taken: impl Fn(&E) -> bool,
) -> T {
    crate::create_fresh(what, unique_key, |&key| create(key), taken)
}

/// A test key that no object of one kind had when it was drawn, for a test
/// that expects nothing there or creates the object later (or in a child
/// process); removes whatever object of that kind has the key when it drops.
#[derive(Debug)]
pub struct UnusedKey {
    key: i32,
    remove: fn(i32),
}

impl UnusedKey {
    /// The key.
    pub fn key(&self) -> i32 {
        self.key
    }
}

impl Drop for UnusedKey {
    fn drop(&mut self) {
        (self.remove)(self.key);
    }
}

/// Draws test keys until `is_free` holds for one; `remove` removes the
/// object of this kind under a key, if any (it runs when the guard drops).
///
/// ```
/// fn remove(_: i32) {}
/// let k = testkit::sysv::unused_key(|k| k % 2 == 0, remove);
/// assert_eq!(k.key() % 2, 0);
/// ```
pub fn unused_key(mut is_free: impl FnMut(i32) -> bool, remove: fn(i32)) -> UnusedKey {
    loop {
        let key = unique_key();
        if is_free(key) {
            return UnusedKey { key, remove };
        }
    }
}
