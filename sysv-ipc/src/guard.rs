//! [`RemoveOnDrop`]: the one opt-in "remove the object when this handle
//! drops" guard, for every System V object kind that implements the sealed
//! [`Remove`] trait.

use ipc_common::Result;

mod sealed {
    /// Keeps [`Remove`](super::Remove) implemented by this crate's handles only.
    pub trait Sealed {}
}

pub(crate) use sealed::Sealed;

/// A handle whose kernel object can be removed (`IPC_RMID`):
/// [`Semaphore`](crate::Semaphore), [`SemaphoreSet`](crate::SemaphoreSet),
/// [`SharedMemory`](crate::SharedMemory) and
/// [`MessageQueue`](crate::MessageQueue). Sealed: only this crate's handles
/// implement it. It exists so that [`RemoveOnDrop`] works the same for every
/// kind; call the handle's own `remove()` in ordinary code.
///
/// ```
/// use sysv_ipc::{MessageQueue, Remove, Semaphore};
/// fn clean_up(objects: &[&dyn Remove]) -> sysv_ipc::Result<()> {
///     objects.iter().try_for_each(|o| o.remove())
/// }
/// let (sem, q) = (Semaphore::create_unique(0)?, MessageQueue::create_unique()?);
/// clean_up(&[&sem, &q])?;
/// assert!(sem.value().unwrap_err().is_existential());
/// # Ok::<(), sysv_ipc::Error>(())
/// ```
pub trait Remove: Sealed {
    /// Removes the object from the system (`IPC_RMID`); see each handle's
    /// `remove()`.
    ///
    /// ```
    /// use sysv_ipc::{Remove, SemaphoreSet};
    /// let set = SemaphoreSet::options().len(2).create_unique()?;
    /// Remove::remove(&set)?;
    /// assert!(Remove::remove(&set).unwrap_err().is_existential());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    fn remove(&self) -> Result<()>;
}

ipc_common::__private::drop_guard! {
    /// A handle that removes its kernel object when it drops (ignoring errors,
    /// e.g. someone else removed it already); made by the `remove_on_drop()` of
    /// [`Semaphore`](crate::Semaphore::remove_on_drop),
    /// [`SemaphoreSet`](crate::SemaphoreSet::remove_on_drop),
    /// [`SharedMemory`](crate::SharedMemory::remove_on_drop) and
    /// [`MessageQueue`](crate::MessageQueue::remove_on_drop).
    ///
    /// Nothing else in this crate removes implicitly: use it for tests, scratch
    /// objects and objects that belong to one owner. It derefs (also mutably) to
    /// the handle; [`into_inner`](Self::into_inner) disarms it.
    ///
    /// The guard is `#[must_use]`: a guard dropped at once removes at once, so
    /// `sem.remove_on_drop();` as a statement is a warning, and an error under
    /// `#![deny(unused_must_use)]`:
    ///
    /// ```compile_fail
    /// #![deny(unused_must_use)]
    /// let sem = sysv_ipc::Semaphore::create_unique(0)?;
    /// sem.remove_on_drop(); // error: unused `RemoveOnDrop` that must be used
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// Keeping it compiles:
    ///
    /// ```
    /// #![deny(unused_must_use)]
    /// let sem = sysv_ipc::Semaphore::create_unique(0)?;
    /// let _sem = sem.remove_on_drop(); // removed at the end of the scope
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    ///
    /// ```
    /// use sysv_ipc::{Semaphore, Timeout};
    /// let id = {
    ///     let sem = Semaphore::create_unique(1)?.remove_on_drop();
    ///     sem.acquire(1, Timeout::Immediate)?; // derefs to Semaphore
    ///     sem.id()
    /// }; // removed here
    /// assert!(Semaphore::from_id(id).is_err());
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    #[must_use = "dropping a RemoveOnDrop removes the object at once; bind it to a variable that lives as long as the object should"]
    pub struct RemoveOnDrop<T: Remove> calls remove;

    /// Disarms the guard and returns the handle; the object is not removed.
    ///
    /// ```
    /// let q = sysv_ipc::MessageQueue::create_unique()?.remove_on_drop().into_inner();
    /// assert!(sysv_ipc::MessageQueue::open(q.key()).is_ok());
    /// q.remove()?;
    /// # Ok::<(), sysv_ipc::Error>(())
    /// ```
    pub fn into_inner;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{MessageQueue, Semaphore, SemaphoreSet, SharedMemory};

    #[test]
    fn guards_are_send_and_sync() {
        fn assert_traits<T: Send + Sync>() {}
        assert_traits::<RemoveOnDrop<Semaphore>>();
        assert_traits::<RemoveOnDrop<SemaphoreSet>>();
        assert_traits::<RemoveOnDrop<SharedMemory>>();
        assert_traits::<RemoveOnDrop<MessageQueue>>();
    }

    #[test]
    fn debug_wraps_the_handle_and_drop_removes() {
        let sem = Semaphore::create_unique(0).unwrap().remove_on_drop();
        let shown = format!("{sem:?}");
        assert!(shown.starts_with("RemoveOnDrop(Semaphore {"), "{shown}");
        let id = sem.id();
        drop(sem);
        assert!(Semaphore::from_id(id).is_err());
    }
}
