//! [`UnlinkOnDrop`]: the one opt-in "unlink the name when this handle drops"
//! guard, for every POSIX object kind that implements the sealed [`Unlink`]
//! trait.

use ipc_common::Result;

mod sealed {
    /// Keeps [`Unlink`](super::Unlink) implemented by this crate's handles only.
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// A handle whose system object can be unlinked by name:
/// [`Semaphore`](crate::Semaphore), [`SharedMemory`](crate::SharedMemory),
/// and (Linux) `MessageQueue` and `AsyncMessageQueue`. Sealed: only this
/// crate's handles implement it. It exists so that [`UnlinkOnDrop`] works the same
/// for every kind; call the handle's own `unlink()` in ordinary code.
///
/// ```
/// use posix_ipc::{Semaphore, Unlink};
/// fn forget_name(object: &impl Unlink) -> posix_ipc::Result<()> {
///     object.unlink()
/// }
/// let sem = Semaphore::create_unique(0)?;
/// forget_name(&sem)?;
/// assert!(Semaphore::open(sem.name()).unwrap_err().is_existential());
/// # Ok::<(), posix_ipc::Error>(())
/// ```
pub trait Unlink: Sealed {
    /// Unlinks the object's name (`sem_unlink`, `shm_unlink`, ...); open
    /// handles keep working. Fails with
    /// [`NotFound`](crate::ErrorKind::NotFound) if the name is already gone.
    ///
    /// ```
    /// use posix_ipc::{SharedMemory, Unlink};
    /// let shm = SharedMemory::create_unique(8)?;
    /// Unlink::unlink(&shm)?;
    /// assert!(Unlink::unlink(&shm).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    fn unlink(&self) -> Result<()>;
}

ipc_common::__private::drop_guard! {
    /// A handle that unlinks its object's name when it drops (ignoring errors,
    /// e.g. someone else unlinked it already), then closes the handle; made by
    /// the `unlink_on_drop()` of
    /// [`Semaphore`](crate::Semaphore::unlink_on_drop),
    /// [`SharedMemory`](crate::SharedMemory::unlink_on_drop) and (Linux)
    /// `MessageQueue`. A queue in the guard becomes an async queue in the
    /// guard with `into_async()` (feature `tokio`).
    ///
    /// Nothing else in this crate unlinks implicitly: use it for objects that
    /// belong to one owner and should not outlive it (posix_ipc's issue #17). It
    /// derefs to the handle; [`into_inner`](Self::into_inner) disarms it.
    /// Unlinking only removes the name: other processes' handles (and shared
    /// memory mappings) keep the object alive until they are gone.
    ///
    /// The guard is `#[must_use]`: a guard dropped at once unlinks at once, so
    /// `sem.unlink_on_drop();` as a statement (which would unlink the name on
    /// that very line) is a warning, and an error under
    /// `#![deny(unused_must_use)]`:
    ///
    /// ```compile_fail
    /// #![deny(unused_must_use)]
    /// let sem = posix_ipc::Semaphore::create_unique(0)?;
    /// sem.unlink_on_drop(); // error: unused `UnlinkOnDrop` that must be used
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    ///
    /// Keeping it compiles:
    ///
    /// ```
    /// #![deny(unused_must_use)]
    /// let sem = posix_ipc::Semaphore::create_unique(0)?;
    /// let _sem = sem.unlink_on_drop(); // unlinked at the end of the scope
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    ///
    /// ```
    /// use posix_ipc::{Semaphore, Timeout};
    /// let name = {
    ///     let sem = Semaphore::create_unique(1)?.unlink_on_drop();
    ///     sem.acquire(Timeout::Immediate)?; // derefs to Semaphore
    ///     sem.name().clone()
    /// }; // unlinked here
    /// assert!(Semaphore::open(&name).unwrap_err().is_existential());
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    #[must_use = "dropping an UnlinkOnDrop unlinks the name at once; bind it to a variable that lives as long as the object should"]
    pub struct UnlinkOnDrop<T: Unlink> calls unlink;

    /// Disarms the guard and returns the handle, which will not be unlinked.
    ///
    /// ```
    /// let shm = posix_ipc::SharedMemory::create_unique(16)?.unlink_on_drop().into_inner();
    /// assert!(posix_ipc::SharedMemory::open(shm.name().unwrap()).is_ok());
    /// shm.unlink()?;
    /// # Ok::<(), posix_ipc::Error>(())
    /// ```
    pub fn into_inner;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Semaphore, SharedMemory};

    #[test]
    fn guards_are_send_and_sync() {
        fn assert_traits<T: Send + Sync>() {}
        assert_traits::<UnlinkOnDrop<Semaphore>>();
        assert_traits::<UnlinkOnDrop<SharedMemory>>();
    }

    #[test]
    fn debug_wraps_the_handle() {
        let sem = Semaphore::create_unique(0).unwrap().unlink_on_drop();
        let shown = format!("{sem:?}");
        assert!(
            shown.starts_with("UnlinkOnDrop(Semaphore(\"/pipc_"),
            "{shown}"
        );
    }
}
