//! The object surface every System V handle shares (written once in the
//! library), checked for each of the four kinds: what each accessor
//! documents, that `set_mode` replaces bits (takes them away too), that an
//! object gets exactly the mode it is created with, and that a private object
//! with mode `0o600` is refused to another user.

use std::time::Duration;

use sysv_ipc::{
    ErrorKind, Key, MessageQueue, Permissions, Remove, RemoveOnDrop, Semaphore, SemaphoreSet,
    SharedMemory,
};

const LIMIT: Duration = Duration::from_secs(30);

/// One System V kind: its options, and the shared surface forwarded to the
/// handle's inherent methods of the same names.
trait Kind: Remove + Sized + std::fmt::Debug {
    /// The kind's name in assertion messages.
    const NAME: &'static str;
    /// Opens with the kind's options, `mode` and `create(true)` or
    /// `create_new(true)`.
    fn open_with(key: Key, mode: u32, create_new: bool) -> sysv_ipc::Result<Self>;
    /// Creates under a fresh key with `mode`.
    fn create_unique(mode: u32) -> sysv_ipc::Result<Self>;
    fn from_id(id: i32) -> sysv_ipc::Result<Self>;
    fn key(&self) -> Key;
    fn stat_key(&self) -> sysv_ipc::Result<Key>;
    fn id(&self) -> i32;
    fn created(&self) -> bool;
    fn permissions(&self) -> sysv_ipc::Result<Permissions>;
    fn mode(&self) -> sysv_ipc::Result<u32>;
    fn set_mode(&self, mode: u32) -> sysv_ipc::Result<()>;
    fn uid(&self) -> sysv_ipc::Result<libc::uid_t>;
    fn set_uid(&self, uid: libc::uid_t) -> sysv_ipc::Result<()>;
    fn gid(&self) -> sysv_ipc::Result<libc::gid_t>;
    fn set_gid(&self, gid: libc::gid_t) -> sysv_ipc::Result<()>;
    fn cuid(&self) -> sysv_ipc::Result<libc::uid_t>;
    fn cgid(&self) -> sysv_ipc::Result<libc::gid_t>;
    fn remove_on_drop(self) -> RemoveOnDrop<Self>;
    /// One operation of the kind's own (a value, a read, a count).
    fn exercise(&self) -> sysv_ipc::Result<()>;
}

macro_rules! kind {
    ($ty:ident, $options:expr, |$h:ident| $exercise:expr) => {
        impl Kind for $ty {
            const NAME: &'static str = stringify!($ty);
            fn open_with(key: Key, mode: u32, create_new: bool) -> sysv_ipc::Result<Self> {
                let mut o = $options;
                o.mode(mode).create(true).create_new(create_new).open(key)
            }
            fn create_unique(mode: u32) -> sysv_ipc::Result<Self> {
                let mut o = $options;
                o.mode(mode).create_unique()
            }
            fn from_id(id: i32) -> sysv_ipc::Result<Self> {
                $ty::from_id(id)
            }
            fn key(&self) -> Key {
                $ty::key(self)
            }
            fn stat_key(&self) -> sysv_ipc::Result<Key> {
                Ok($ty::stat(self)?.key)
            }
            fn id(&self) -> i32 {
                $ty::id(self)
            }
            fn created(&self) -> bool {
                $ty::created(self)
            }
            fn permissions(&self) -> sysv_ipc::Result<Permissions> {
                $ty::permissions(self)
            }
            fn mode(&self) -> sysv_ipc::Result<u32> {
                Ok($ty::mode(self)?.bits())
            }
            fn set_mode(&self, mode: u32) -> sysv_ipc::Result<()> {
                $ty::set_mode(self, mode)
            }
            fn uid(&self) -> sysv_ipc::Result<libc::uid_t> {
                $ty::uid(self)
            }
            fn set_uid(&self, uid: libc::uid_t) -> sysv_ipc::Result<()> {
                $ty::set_uid(self, uid)
            }
            fn gid(&self) -> sysv_ipc::Result<libc::gid_t> {
                $ty::gid(self)
            }
            fn set_gid(&self, gid: libc::gid_t) -> sysv_ipc::Result<()> {
                $ty::set_gid(self, gid)
            }
            fn cuid(&self) -> sysv_ipc::Result<libc::uid_t> {
                $ty::cuid(self)
            }
            fn cgid(&self) -> sysv_ipc::Result<libc::gid_t> {
                $ty::cgid(self)
            }
            fn remove_on_drop(self) -> RemoveOnDrop<Self> {
                $ty::remove_on_drop(self)
            }
            fn exercise(&self) -> sysv_ipc::Result<()> {
                let $h = self;
                $exercise.map(drop)
            }
        }
    };
}

kind!(Semaphore, Semaphore::options(), |s| s.value());
kind!(SemaphoreSet, SemaphoreSet::options().len(2).clone(), |s| s
    .values());
// A fresh attachment, dropped at once: the handle's own one would keep a
// removed segment alive (and removable again).
kind!(SharedMemory, SharedMemory::options().size(8).clone(), |s| s
    .attach());
kind!(MessageQueue, MessageQueue::options(), |q| q
    .current_messages());

/// Runs the generic `check` for each of the four kinds.
macro_rules! for_every_kind {
    ($check:ident) => {{
        $check::<Semaphore>()?;
        $check::<SemaphoreSet>()?;
        $check::<SharedMemory>()?;
        $check::<MessageQueue>()?;
        Ok(())
    }};
}

fn euid() -> libc::uid_t {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc::geteuid() }
}

fn egid() -> libc::gid_t {
    // SAFETY: getegid has no preconditions.
    unsafe { libc::getegid() }
}

fn accessors<T: Kind>() -> sysv_ipc::Result<()> {
    let x = T::create_unique(0o600)?.remove_on_drop();
    let name = T::NAME;
    assert!(!x.key().is_private(), "{name}");
    assert_eq!(x.key(), x.stat_key()?, "{name}");
    assert!(x.id() >= 0, "{name}: Linux ids are not negative");
    assert!(x.created(), "{name}");
    let again = T::open_with(x.key(), 0o600, false)?;
    assert_eq!(
        (again.id(), again.key(), again.created()),
        (x.id(), x.key(), false),
        "{name}"
    );
    let by_id = T::from_id(x.id())?;
    assert_eq!((by_id.key(), by_id.created()), (x.key(), false), "{name}");
    let p = x.permissions()?;
    assert_eq!(
        (p.uid, p.gid, p.cuid, p.cgid),
        (euid(), egid(), euid(), egid()),
        "{name}"
    );
    assert_eq!(p.mode.bits(), 0o600, "{name}");
    assert_eq!((x.uid()?, x.gid()?), (p.uid, p.gid), "{name}");
    assert_eq!((x.cuid()?, x.cgid()?), (x.uid()?, x.gid()?), "{name}");
    assert_eq!(x.mode()?, 0o600, "{name}");
    // Giving the object to its own owner and group changes nothing.
    x.set_uid(x.uid()?)?;
    x.set_gid(x.gid()?)?;
    assert_eq!(x.permissions()?, p, "{name}");
    Ok(())
}

#[test]
fn accessors_describe_the_object() -> sysv_ipc::Result<()> {
    for_every_kind!(accessors)
}

fn set_mode_replaces<T: Kind>() -> sysv_ipc::Result<()> {
    let x = T::create_unique(0o666)?.remove_on_drop();
    let name = T::NAME;
    assert_eq!(x.mode()?, 0o666, "{name}");
    x.set_mode(0o600)?;
    assert_eq!(
        x.mode()?,
        0o600,
        "{name}: set_mode must take the group and other bits away"
    );
    x.set_mode(0o640)?;
    assert_eq!(x.mode()?, 0o640, "{name}");
    for bad in [0o1640, 0o7777] {
        let e = x.set_mode(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{name}: {e}");
        assert!(!e.is_permissions() && !e.is_signal(), "{name}: {e}");
    }
    assert_eq!(x.mode()?, 0o640, "{name}: a refused mode changes nothing");
    Ok(())
}

#[test]
fn set_mode_replaces_the_permission_bits() -> sysv_ipc::Result<()> {
    for_every_kind!(set_mode_replaces)
}

fn exact_modes<T: Kind>() -> sysv_ipc::Result<()> {
    for mode in [0o400, 0o600, 0o604, 0o640, 0o660, 0o666, 0o777] {
        let x = T::create_unique(mode)?.remove_on_drop();
        assert_eq!(x.mode()?, mode, "{} created with {mode:o}", T::NAME);
    }
    Ok(())
}

#[test]
fn an_object_gets_exactly_the_mode_it_is_created_with() -> sysv_ipc::Result<()> {
    const TEST: &str = "surface::an_object_gets_exactly_the_mode_it_is_created_with";
    if testkit::child_args(TEST).is_some() {
        // umask applies to files and POSIX objects, never to System V ones.
        // SAFETY: umask has no preconditions; this child process runs only
        // this test.
        unsafe { libc::umask(0o077) };
        for_every_kind!(exact_modes)?;
        println!("child-exact");
        return Ok(());
    }
    for_every_kind!(exact_modes)?;
    let out = testkit::spawn_child(TEST, &[]).wait_success(LIMIT);
    assert!(out.contains("child-exact"), "{out}");
    Ok(())
}

fn removal<T: Kind>() -> sysv_ipc::Result<()> {
    let name = T::NAME;
    let x = T::create_unique(0o600)?.remove_on_drop();
    x.exercise()?; // the guard derefs to the handle
    x.remove()?;
    let e = x.remove().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Removed, "{name}: {e}");
    assert!(
        e.is_existential() && !e.is_permissions() && !e.is_signal(),
        "{name}: {e}"
    );
    assert_eq!(
        x.exercise().unwrap_err().kind(),
        ErrorKind::Removed,
        "{name}"
    );
    assert_eq!(x.mode().unwrap_err().kind(), ErrorKind::Removed, "{name}");
    drop(x); // the guard's own remove fails, and is ignored

    let x = T::create_unique(0o600)?.remove_on_drop();
    let id = x.id();
    drop(x);
    assert_eq!(
        T::from_id(id).unwrap_err().kind(),
        ErrorKind::NotFound,
        "{name}"
    );

    let kept = T::create_unique(0o600)?.remove_on_drop().into_inner();
    assert!(
        T::from_id(kept.id()).is_ok(),
        "{name}: into_inner disarms the guard"
    );
    kept.remove()
}

#[test]
fn remove_and_remove_on_drop() -> sysv_ipc::Result<()> {
    for_every_kind!(removal)
}

fn is_root() -> bool {
    euid() == 0
}

/// The child's half: each id must be refused to this (other) user.
fn refused<T: Kind>(id: &str) -> sysv_ipc::Result<()> {
    let e = T::from_id(id.parse().unwrap()).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{}: {e}", T::NAME);
    assert!(
        e.is_permissions() && !e.is_existential() && !e.is_signal(),
        "{e}"
    );
    Ok(())
}

#[test]
fn a_private_object_with_mode_0o600_is_refused_to_another_user() -> sysv_ipc::Result<()> {
    const TEST: &str = "surface::a_private_object_with_mode_0o600_is_refused_to_another_user";
    if let Some(args) = testkit::child_args(TEST) {
        testkit::become_nobody();
        refused::<Semaphore>(&args[0])?;
        refused::<SemaphoreSet>(&args[1])?;
        refused::<SharedMemory>(&args[2])?;
        refused::<MessageQueue>(&args[3])?;
        let e = sysv_ipc::attach(args[2].parse().unwrap()).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{e}");
        println!("child-denied");
        return Ok(());
    }
    let sem = Semaphore::open_with(Key::PRIVATE, 0o600, true)?.remove_on_drop();
    let set = SemaphoreSet::open_with(Key::PRIVATE, 0o600, true)?.remove_on_drop();
    let seg = SharedMemory::open_with(Key::PRIVATE, 0o600, true)?.remove_on_drop();
    let q = MessageQueue::open_with(Key::PRIVATE, 0o600, true)?.remove_on_drop();
    for mode in [sem.mode()?, set.mode()?, seg.mode()?, q.mode()?] {
        assert_eq!(mode.bits(), 0o600);
    }
    if !is_root() {
        // Only root can become another user; the owner itself is let in.
        println!("skipped the other user's half: not root");
        return Ok(());
    }
    let ids = [sem.id(), set.id(), seg.id(), q.id()].map(|id| id.to_string());
    let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
    let out = testkit::spawn_child(TEST, &ids).wait_success(LIMIT);
    assert!(out.contains("child-denied"), "{out}");
    Ok(())
}

/// The owner removes an object whose mode does not let it read it (`0o200`):
/// the check that the id still names the handle's object needs `IPC_STAT`,
/// which is refused, and is skipped rather than refusing the removal.
fn owner_removes_unreadable<T: Kind>() -> sysv_ipc::Result<()> {
    let name = T::NAME;
    let x = T::create_unique(0o200)?;
    let id = x.id();
    let e = x.mode().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied, "{name}: {e}");
    x.remove()?;
    let e = T::from_id(id).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotFound, "{name}: {e}");
    Ok(())
}

#[test]
fn the_owner_removes_an_object_it_may_not_read() -> sysv_ipc::Result<()> {
    const TEST: &str = "surface::the_owner_removes_an_object_it_may_not_read";
    if testkit::child_args(TEST).is_some() {
        testkit::become_nobody();
        let removed: sysv_ipc::Result<()> = for_every_kind!(owner_removes_unreadable);
        removed?;
        println!("child-removed");
        return Ok(());
    }
    if !is_root() {
        // A user other than root is refused its own unreadable objects.
        return for_every_kind!(owner_removes_unreadable);
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(LIMIT);
    assert!(out.contains("child-removed"), "{out}");
    Ok(())
}

/// The would-block errors the kinds build are busy, and nothing else: not
/// a permission problem, not a signal, not a missing object.
#[test]
fn would_block_errors_are_busy_and_nothing_else() -> sysv_ipc::Result<()> {
    use sysv_ipc::{SemOp, Timeout, Wait};
    let sem = Semaphore::create_unique(0)?.remove_on_drop();
    let set = SemaphoreSet::options()
        .len(2)
        .create_unique()?
        .remove_on_drop();
    let q = MessageQueue::create_unique()?.remove_on_drop();
    for e in [
        sem.acquire(1, Timeout::Immediate).unwrap_err(),
        set.apply(&[SemOp::acquire(1, 1)], Timeout::Immediate)
            .unwrap_err(),
        q.receive_vec(sysv_ipc::Selector::Any, Wait::NoWait)
            .unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::WouldBlock, "{e}");
        assert!(e.is_busy(), "{e}");
        assert!(
            !e.is_permissions() && !e.is_signal() && !e.is_existential(),
            "{e}"
        );
        assert!(!e.is_invalid_input(), "{e}");
    }
    Ok(())
}
