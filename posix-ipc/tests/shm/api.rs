//! The behaviour each method documents, one test per documented case (the
//! checks that used to be doc tests), plus the checks of the options type.

use posix_ipc::{Result, SHARED_MEMORY_SIZE_MAX, SharedMemory, SharedMemoryOptions};

use crate::support::{assert_error_groups, fresh_name};

#[test]
fn size_max_is_off_t_max() -> Result<()> {
    #[cfg(target_pointer_width = "64")]
    assert_eq!(Ok(SHARED_MEMORY_SIZE_MAX), usize::try_from(i64::MAX));
    Ok(())
}

#[test]
fn sem_dot_names_are_refused_only_for_semaphore_files() -> Result<()> {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        use posix_ipc::{Semaphore, SharedMemory};
        let sem = Semaphore::create_unique(1)?.unlink_on_drop();
        let alias = format!("/sem.{}", &sem.name().to_string()[1..]);
        if cfg!(target_env = "gnu") {
            // glibc: the alias is the semaphore's file.
            let e = SharedMemory::open(alias.as_str()).unwrap_err();
            assert!(e.is_invalid_input() && e.message().contains("Semaphore::open"));
        }
        sem.unlink()?;
        // Not a semaphore's file: an ordinary object.
        let _shm = SharedMemory::create_new(alias.as_str(), 4096)?.unlink_on_drop();
        assert_eq!(SharedMemory::open(alias.as_str())?.size()?, 4096);
    }
    Ok(())
}

#[test]
fn handles_share_the_bytes() -> Result<()> {
    use posix_ipc::SharedMemory;
    let shm = SharedMemory::create_unique(4096)?.unlink_on_drop();
    let map = shm.map()?;
    map.write_at(0, b"hello")?;

    // Another handle (in this or any other process) sees the same bytes.
    let other = SharedMemory::open(shm.name().unwrap())?;
    assert_eq!(other.size()?, 4096);
    assert_eq!(other.map()?.read_vec(0, 5)?, b"hello");
    Ok(())
}

#[test]
fn options() -> Result<()> {
    use posix_ipc::SharedMemory;
    let shm = SharedMemory::options()
        .mode(0o640)
        .size(8192)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(shm.size()?, 8192);
    Ok(())
}

#[test]
fn options_new() -> Result<()> {
    let gone = posix_ipc::SharedMemory::create_unique(0)?;
    let name = gone.name().unwrap().clone();
    gone.unlink()?;
    let e = posix_ipc::SharedMemoryOptions::new()
        .open(&name)
        .unwrap_err();
    assert_eq!(e.kind(), posix_ipc::ErrorKind::NotFound);
    Ok(())
}

#[test]
fn options_create() -> Result<()> {
    let a = posix_ipc::SharedMemory::create_unique(100)?.unlink_on_drop();
    let name = a.name().unwrap();
    let b = posix_ipc::SharedMemory::options().create(true).open(name)?; // opens `a`'s object
    assert_eq!(b.size()?, 100);
    Ok(())
}

#[test]
fn options_create_new() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    let opts = posix_ipc::SharedMemory::options().create_new(true).clone();
    let e = opts.open(shm.name().unwrap()).unwrap_err();
    assert_eq!(e.kind(), posix_ipc::ErrorKind::AlreadyExists);
    Ok(())
}

#[test]
fn options_truncate() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(10)?.unlink_on_drop();
    let again = posix_ipc::SharedMemory::options()
        .truncate(true)
        .open(shm.name().unwrap())?;
    assert_eq!(shm.size()?, 0);
    drop(again);
    Ok(())
}

#[test]
fn options_read_only() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(16)?.unlink_on_drop();
    let ro = posix_ipc::SharedMemory::options()
        .read_only(true)
        .open(shm.name().unwrap())?;
    assert!(ro.is_read_only());
    assert!(ro.map()?.write_at(0, b"x").unwrap_err().is_permissions());
    Ok(())
}

#[test]
fn options_mode() -> Result<()> {
    let shm = posix_ipc::SharedMemory::options()
        .mode(0o600)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(shm.mode()?.bits(), 0o600);
    Ok(())
}

#[test]
fn options_size() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(3333)?.unlink_on_drop();
    let other = posix_ipc::SharedMemory::options()
        .size(8192)
        .open(shm.name().unwrap())?;
    assert_eq!(shm.size()?, 8192); // both handles see the new size
    assert!(
        posix_ipc::SharedMemory::options()
            .size(usize::MAX)
            .open(shm.name().unwrap())
            .is_err()
    );
    drop(other);
    Ok(())
}

#[test]
fn options_sparse() -> Result<()> {
    // 1 TiB (1 GiB on 32-bit targets), nothing allocated until touched.
    let size = 1usize
        << if cfg!(target_pointer_width = "64") {
            40
        } else {
            30
        };
    let shm = posix_ipc::SharedMemory::options()
        .sparse(true)
        .size(size)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(shm.size()?, size);
    shm.map_range(0, 4096)?
        .write_at(0, b"only this page is allocated")?;
    Ok(())
}

#[test]
fn options_populate() -> Result<()> {
    let shm = posix_ipc::SharedMemory::options()
        .populate(true)
        .size(1 << 20)
        .create_unique()?
        .unlink_on_drop();
    let map = shm.map()?; // every page already mapped
    map.fill(0, map.len(), 0xCD)?;
    Ok(())
}

#[test]
fn options_allow_foreign_owner() -> Result<()> {
    let mine = posix_ipc::SharedMemory::create_unique(64)?.unlink_on_drop();
    // Our own object is opened either way.
    let again = posix_ipc::SharedMemory::options()
        .create(true)
        .allow_foreign_owner(false)
        .open(mine.name().unwrap())?;
    assert!(!again.created());
    Ok(())
}

#[test]
fn options_flags() -> Result<()> {
    use posix_ipc::{O_CREX, SharedMemory};
    // posix_ipc.SharedMemory(None, posix_ipc.O_CREX, size=1024)
    let shm = SharedMemory::options()
        .flags(O_CREX)
        .size(1024)
        .create_unique()?
        .unlink_on_drop();
    let name = shm.name().unwrap();
    assert!(
        SharedMemory::options()
            .flags(-1)
            .open(name)
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

#[test]
fn options_open() -> Result<()> {
    let gone = posix_ipc::SharedMemory::create_unique(0)?;
    let name = gone.name().unwrap().to_str().unwrap().to_owned();
    gone.unlink()?;
    let missing = posix_ipc::SharedMemory::options().open(&name).unwrap_err();
    assert_eq!(missing.kind(), posix_ipc::ErrorKind::NotFound);
    assert!(missing.to_string().contains(&name));
    Ok(())
}

#[test]
fn options_create_unique() -> Result<()> {
    let shm = posix_ipc::SharedMemory::options()
        .mode(0o640)
        .size(64)
        .create_unique()?
        .unlink_on_drop();
    assert!(shm.name().unwrap().to_str().unwrap().starts_with("/pipc_"));
    assert_eq!((shm.size()?, shm.mode()?.bits()), (64, 0o640));
    Ok(())
}

#[test]
fn unlink_shared_memory() -> Result<()> {
    use posix_ipc::{SharedMemory, unlink_shared_memory};
    let name = SharedMemory::create_unique(16)?.name().unwrap().clone();
    unlink_shared_memory(&name)?;
    assert_eq!(
        unlink_shared_memory(&name).unwrap_err().kind(),
        posix_ipc::ErrorKind::NotFound
    );
    Ok(())
}

#[test]
fn options_default() -> Result<()> {
    let shm = posix_ipc::SharedMemory::options()
        .size(4096)
        .create_unique()?
        .unlink_on_drop();
    assert_eq!(shm.size()?, 4096);
    Ok(())
}

#[test]
fn open() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(100)?.unlink_on_drop();
    let same = posix_ipc::SharedMemory::open(shm.name().unwrap())?;
    assert_eq!(same.size()?, 100);
    Ok(())
}

#[test]
fn create() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(4096)?.unlink_on_drop();
    shm.map()?.write_at(0, b"kept")?;
    let same = posix_ipc::SharedMemory::create(shm.name().unwrap(), 8192)?; // opens and resizes
    assert_eq!(shm.size()?, 8192);
    assert_eq!(same.map()?.read_vec(0, 4)?, b"kept");
    Ok(())
}

#[test]
fn create_new() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(4096)?.unlink_on_drop();
    assert_eq!(shm.map()?.read_vec(0, 4)?, [0, 0, 0, 0]);
    let name = shm.name().unwrap();
    assert!(
        posix_ipc::SharedMemory::create_new(name, 4096)
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

#[test]
fn create_unique() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(1024)?.unlink_on_drop();
    assert!(shm.name().unwrap().to_str().unwrap().starts_with("/pipc_"));
    assert_eq!(shm.size()?, 1024);
    Ok(())
}

#[test]
fn name() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    let name = shm.name().unwrap();
    assert!(name.to_str().unwrap().starts_with('/'));
    assert_eq!(posix_ipc::SharedMemory::open(name)?.name(), Some(name));
    Ok(())
}

#[test]
fn created() -> Result<()> {
    let first = posix_ipc::SharedMemory::create_unique(4096)?.unlink_on_drop();
    let name = first.name().unwrap();
    let second = posix_ipc::SharedMemory::create(name, 4096)?;
    assert!(first.created() && !second.created());
    assert!(!posix_ipc::SharedMemory::open(name)?.created());
    Ok(())
}

#[test]
fn is_read_only() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(8)?.unlink_on_drop();
    assert!(!shm.is_read_only());
    Ok(())
}

#[test]
fn size() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(3333)?;
    assert_eq!(shm.size()?, 3333); // exact on Linux
    shm.unlink()?;
    assert_eq!(shm.size()?, 3333);
    Ok(())
}

#[test]
fn set_len() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    shm.set_len(4096)?;
    assert_eq!(shm.size()?, 4096);
    assert!(shm.set_len(usize::MAX).unwrap_err().is_invalid_input());
    Ok(())
}

#[test]
fn permissions() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    let p = shm.permissions()?;
    // SAFETY: geteuid has no preconditions.
    assert_eq!(p.uid, unsafe { libc::geteuid() });
    assert_eq!((p.cuid, p.cgid), (p.uid, p.gid));
    Ok(())
}

#[test]
fn mode() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    assert_eq!(shm.mode()?.to_string(), "0o600");
    Ok(())
}

#[test]
fn uid() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    // SAFETY: geteuid has no preconditions.
    assert_eq!(shm.uid()?, unsafe { libc::geteuid() });
    Ok(())
}

#[test]
fn gid() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    // SAFETY: getegid has no preconditions.
    assert_eq!(shm.gid()?, unsafe { libc::getegid() });
    Ok(())
}

#[test]
fn set_mode() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(0)?.unlink_on_drop();
    shm.set_mode(posix_ipc::Mode::new(0o640)?)?;
    assert_eq!(shm.mode()?.bits(), 0o640);
    shm.set_mode(0o664)?;
    assert_eq!(shm.mode()?.bits(), 0o664);
    assert!(shm.set_mode(0o4664).unwrap_err().is_invalid_input());
    assert!(shm.set_mode(0o70000).unwrap_err().is_invalid_input());
    Ok(())
}

#[test]
fn map() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(3333)?.unlink_on_drop();
    let map = shm.map()?;
    assert_eq!(map.len(), 3333);
    map.fill(0, 3333, 0xAB)?;
    assert_eq!(map.read_vec(3330, 3)?, [0xAB; 3]);
    shm.set_len(0)?;
    drop(map);
    assert!(shm.map().unwrap_err().is_invalid_input());
    Ok(())
}

#[test]
fn map_range() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(10_000)?.unlink_on_drop();
    shm.map()?.write_at(9000, b"tail")?;
    let part = shm.map_range(9000, 1000)?;
    assert_eq!(part.offset(), 9000);
    assert_eq!(part.read_vec(0, 4)?, b"tail");
    let e = shm.map_range(9500, 1000).unwrap_err();
    assert!(e.to_string().contains("10000-byte"));
    Ok(())
}

#[test]
fn unlink() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(16)?;
    shm.unlink()?;
    assert!(
        posix_ipc::SharedMemory::open(shm.name().unwrap())
            .unwrap_err()
            .is_existential()
    );
    assert!(shm.unlink().unwrap_err().is_existential());
    assert_eq!(shm.size()?, 16);
    Ok(())
}

#[test]
fn unlink_on_drop() -> Result<()> {
    let guard = posix_ipc::SharedMemory::create_unique(16)?.unlink_on_drop();
    let name = guard.name().unwrap().clone();
    drop(guard);
    assert!(
        posix_ipc::unlink_shared_memory(&name)
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

#[test]
fn from_fd() -> Result<()> {
    use posix_ipc::SharedMemory;
    use std::os::fd::OwnedFd;
    let shm = SharedMemory::create_unique(64)?;
    let name = shm.name().unwrap().clone();
    shm.map()?.write_at(0, b"passed on")?;
    let fd: OwnedFd = shm.into(); // e.g. sent to another process
    let adopted = SharedMemory::from_fd(fd)?;
    assert_eq!(adopted.name(), Some(&name));
    assert_eq!(adopted.map()?.read_vec(0, 9)?, b"passed on");
    adopted.unlink()?;
    // The descriptor outlives the name: adopted again, it has none.
    let unnamed = SharedMemory::try_from(OwnedFd::from(adopted))?;
    assert_eq!(unnamed.name(), None);
    assert_eq!(unnamed.size()?, 64);
    assert_eq!(
        unnamed.unlink().unwrap_err().kind(),
        posix_ipc::ErrorKind::NotFound
    );
    Ok(())
}

#[test]
fn try_clone() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(16)?;
    let clone = shm.try_clone()?;
    shm.map()?.write_at(0, b"same")?;
    shm.close()?;
    assert_eq!(clone.map()?.read_vec(0, 4)?, b"same");
    clone.unlink()?;
    Ok(())
}

#[test]
fn close() -> Result<()> {
    let shm = posix_ipc::SharedMemory::create_unique(16)?;
    let map = shm.map()?;
    let name = shm.name().unwrap().clone();
    shm.close()?;
    map.write_at(0, b"still mapped")?;
    posix_ipc::unlink_shared_memory(&name)?;
    Ok(())
}

#[test]
fn handles_are_send_and_sync() {
    fn assert_traits<T: Send + Sync>() {}
    assert_traits::<SharedMemory>();
    assert_traits::<posix_ipc::Mapping>();
    assert_traits::<SharedMemoryOptions>();
}

#[test]
fn sizes_above_the_limit_are_refused_naming_the_size() {
    let Some(too_big) = SHARED_MEMORY_SIZE_MAX.checked_add(1) else {
        return; // off_t is as wide as usize: every size fits
    };
    let e = SharedMemory::options()
        .size(too_big)
        .create_unique()
        .unwrap_err();
    assert!(e.is_invalid_input(), "{e}");
    assert!(e.message().contains(&too_big.to_string()), "{e}");
}

#[test]
fn flags_set_the_options_and_remember_errors() -> Result<()> {
    use posix_ipc::{O_CREAT, O_CREX, O_EXCL, O_TRUNC};
    let shm = SharedMemory::create_unique(64)?.unlink_on_drop();
    let name = shm.name().unwrap();
    let mut o = SharedMemory::options();
    o.flags(O_CREX | O_TRUNC);
    assert!(o.open(name).unwrap_err().is_existential());
    // flags(0) clears create, exclusive and truncate: a plain open.
    o.flags(0);
    assert_eq!(o.open(name)?.size()?, 64);
    o.flags(O_EXCL);
    let e = o.open(name).unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("O_CREAT"),
        "{e}"
    );
    o.flags(O_CREAT | O_TRUNC);
    let again = o.open(name)?;
    assert!(!again.created());
    assert_eq!(shm.size()?, 0);
    Ok(())
}

#[test]
fn mapping_offset() -> Result<()> {
    let shm = SharedMemory::create_unique(8192)?.unlink_on_drop();
    assert_eq!(shm.map()?.offset(), 0);
    assert_eq!(shm.map_range(4100, 10)?.offset(), 4100);
    Ok(())
}

#[test]
fn mapping_unmap() -> Result<()> {
    let shm = SharedMemory::create_unique(16)?.unlink_on_drop();
    shm.map()?.unmap()?;
    Ok(())
}

/// `set_mode` sets the bits exactly: it takes bits away as well as adding
/// them, as the object's file in `/dev/shm` shows.
#[test]
fn set_mode_takes_bits_away() -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let shm = SharedMemory::create_unique(16)?.unlink_on_drop();
    let file = format!("/dev/shm{}", shm.name().unwrap());
    let file_mode = || std::fs::metadata(&file).unwrap().permissions().mode() & 0o7777;
    shm.set_mode(0o666)?;
    assert_eq!((shm.mode()?.bits(), file_mode()), (0o666, 0o666));
    shm.set_mode(0o600)?;
    assert_eq!((shm.mode()?.bits(), file_mode()), (0o600, 0o600));
    shm.set_mode(0o640)?;
    assert_eq!((shm.mode()?.bits(), file_mode()), (0o640, 0o640));
    Ok(())
}

/// The porting predicates of the errors shared memory builds say what the
/// kind says, and nothing else.
#[test]
fn error_predicates_match_the_kind() -> Result<()> {
    let shm = SharedMemory::create_unique(16)?.unlink_on_drop();
    let name = shm.name().unwrap();
    let ro = SharedMemory::options().read_only(true).open(name)?;
    let errors = [
        SharedMemory::create_new(name, 16).unwrap_err(),
        SharedMemory::open(fresh_name()).unwrap_err(),
        SharedMemory::open("no-slash").unwrap_err(),
        ro.set_len(32).unwrap_err(),
        ro.map()?.write_at(0, b"x").unwrap_err(),
        shm.set_mode(0o4600).unwrap_err(),
    ];
    for e in &errors {
        assert_error_groups(e);
    }
    assert!(errors[3].is_permissions() && !errors[3].is_signal());
    Ok(())
}

/// `uid()` and `gid()` report the file's owner and group as they are now,
/// also after another process changed them (root here, with `chown`).
#[test]
#[cfg(target_os = "linux")]
fn owner_and_group_are_the_files_now() -> Result<()> {
    let shm = SharedMemory::create_unique(4096)?.unlink_on_drop();
    // SAFETY: geteuid and getegid have no preconditions.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    assert_eq!((shm.uid()?, shm.gid()?), (uid, gid));
    if testkit::is_root() {
        let path = format!("/dev/shm{}", shm.name().unwrap());
        std::os::unix::fs::chown(&path, Some(testkit::NOBODY), Some(testkit::NOBODY)).unwrap();
        assert_eq!((shm.uid()?, shm.gid()?), (testkit::NOBODY, testkit::NOBODY));
    }
    Ok(())
}
