//! The behaviour the API documentation states for each method, checked
//! here rather than in doc examples (which keep one example per concept).

use crate::support::{new_segment, unused_key};

/// The documented behaviour of `SHM_HUGETLB`.
#[test]
fn shm_hugetlb() -> sysv_ipc::Result<()> {
    assert_eq!(sysv_ipc::SHM_HUGETLB, 0o4000);
    Ok(())
}

/// The documented behaviour of `SHM_NORESERVE`.
#[test]
fn shm_noreserve() -> sysv_ipc::Result<()> {
    assert_eq!(sysv_ipc::SHM_NORESERVE, 0o10000);
    Ok(())
}

/// The documented behaviour of `max_segment_size`.
#[test]
fn max_segment_size() -> sysv_ipc::Result<()> {
    let max = sysv_ipc::limits::max_segment_size();
    assert!(max >= 1 && max <= isize::MAX as usize);
    Ok(())
}

/// The documented behaviour of `SharedMemoryLimits`.
#[test]
fn shared_memory_limits() -> sysv_ipc::Result<()> {
    let l = sysv_ipc::limits::shared_memory_limits()?;
    assert!(l.shmmax > 0 && l.shmmni > 0 && l.shmall > 0);
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::new`.
#[test]
fn shm_options_new() -> sysv_ipc::Result<()> {
    let e = sysv_ipc::SharedMemoryOptions::new()
        .open(unused_key().0)
        .unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::NotFound);
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::create`.
#[test]
fn shm_options_create() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    let again = sysv_ipc::SharedMemory::options()
        .create(true)
        .open(seg.key())?
        .remove_on_drop();
    assert_eq!(again.id(), seg.id());
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::create_new`.
#[test]
fn shm_options_create_new() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    let e = sysv_ipc::SharedMemory::options()
        .create_new(true)
        .open(seg.key())
        .unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::AlreadyExists);
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::mode`.
#[test]
fn shm_options_mode() -> sysv_ipc::Result<()> {
    let seg = new_segment(sysv_ipc::SharedMemory::options().mode(0o644).size(8));
    assert_eq!(seg.mode()?.bits(), 0o644);
    let reader = sysv_ipc::SharedMemory::options()
        .mode(0o444)
        .open(seg.key())?;
    assert!(reader.write(0, b"x").unwrap_err().is_permissions());
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::size`.
#[test]
fn shm_options_size() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::options()
        .size(3333)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(seg.size()?, 3333);
    let e = sysv_ipc::SharedMemory::options()
        .size(3334)
        .open(seg.key())
        .unwrap_err();
    assert!(e.is_invalid_input());
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::init_byte`.
#[test]
fn shm_options_init_byte() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::options()
        .size(4)
        .init_byte(b' ')
        .create_unique()?
        .remove_on_drop();
    assert_eq!(seg.read_to_end(0)?, b"    ");
    seg.write(0, b"kept")?;
    let again = sysv_ipc::SharedMemory::options()
        .create(true)
        .init_byte(b'!')
        .open(seg.key())?
        .remove_on_drop();
    assert_eq!(again.read_to_end(0)?, b"kept");
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::huge_pages`.
#[test]
fn shm_options_huge_pages() -> sysv_ipc::Result<()> {
    let (key, _k) = unused_key();
    match sysv_ipc::SharedMemory::options()
        .create_new(true)
        .huge_pages(true)
        .size(2 << 20)
        .open(key)
    {
        Ok(seg) => seg.remove()?,
        Err(e) => assert!(!e.is_invalid_input(), "{e}"),
    }
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::no_reserve`.
#[test]
fn shm_options_no_reserve() -> sysv_ipc::Result<()> {
    let seg = new_segment(sysv_ipc::SharedMemory::options().no_reserve(true));
    assert_eq!(seg.size()?, sysv_ipc::limits::page_size());
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::flags`.
#[test]
fn shm_options_flags() -> sysv_ipc::Result<()> {
    use sysv_ipc::{IPC_CREX, IPC_EXCL, SharedMemory};
    let seg = new_segment(SharedMemory::options().flags(IPC_CREX).size(100));
    assert!(
        SharedMemory::options()
            .flags(IPC_EXCL)
            .open(seg.key())
            .unwrap_err()
            .is_invalid_input()
    );
    assert!(
        SharedMemory::options()
            .flags(0o600)
            .open(seg.key())
            .unwrap_err()
            .is_invalid_input()
    );
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::allow_foreign_owner`.
#[test]
fn shm_options_allow_foreign_owner() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    let same = sysv_ipc::SharedMemory::options()
        .create(true)
        .allow_foreign_owner(true)
        .open(seg.key())?;
    assert!(!same.created());
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::open`.
#[test]
fn shm_options_open() -> sysv_ipc::Result<()> {
    let e = sysv_ipc::SharedMemory::options()
        .open(unused_key().0)
        .unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::NotFound);
    Ok(())
}

/// The documented behaviour of `SharedMemoryOptions::create_unique`.
#[test]
fn shm_options_create_unique() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::options()
        .size(10)
        .init_byte(b'-')
        .create_unique()?
        .remove_on_drop();
    assert!(!seg.key().is_private());
    assert_eq!(seg.read_to_end(0)?, b"----------");
    Ok(())
}

/// The documented behaviour of `SharedMemory::options`.
#[test]
fn segment_options() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::options()
        .size(64)
        .create_unique()?
        .remove_on_drop();
    assert_eq!(seg.size()?, 64);
    Ok(())
}

/// The documented behaviour of `SharedMemory::open`.
#[test]
fn segment_open() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    assert_eq!(sysv_ipc::SharedMemory::open(seg.key())?.id(), seg.id());
    Ok(())
}

/// The documented behaviour of `SharedMemory::create`.
#[test]
fn segment_create() -> sysv_ipc::Result<()> {
    let (key, _k) = unused_key();
    let seg = sysv_ipc::SharedMemory::create(key, 100)?.remove_on_drop();
    assert_eq!(sysv_ipc::SharedMemory::create(key, 100)?.id(), seg.id());
    Ok(())
}

/// The documented behaviour of `SharedMemory::create_new`.
#[test]
fn segment_create_new() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    assert!(
        sysv_ipc::SharedMemory::create_new(seg.key(), 64)
            .unwrap_err()
            .is_existential()
    );
    Ok(())
}

/// The documented behaviour of `SharedMemory::create_unique`.
#[test]
fn segment_create_unique() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(4096)?.remove_on_drop();
    assert_eq!(sysv_ipc::SharedMemory::open(seg.key())?.id(), seg.id());
    Ok(())
}

/// The documented behaviour of `SharedMemory::from_id`.
#[test]
fn segment_from_id() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    let same = sysv_ipc::SharedMemory::from_id(seg.id())?;
    assert_eq!(same.key(), seg.key());
    assert_eq!(
        sysv_ipc::SharedMemory::from_id(-1).unwrap_err().kind(),
        sysv_ipc::ErrorKind::NotFound
    );
    Ok(())
}

/// The documented behaviour of `SharedMemory::attach`.
#[test]
fn segment_attach() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    let a = seg.attach()?;
    a.write_at(0, b"x")?;
    assert_eq!(a.len(), 64);
    Ok(())
}

/// The documented behaviour of `SharedMemory::attach_read_only`.
#[test]
fn segment_attach_read_only() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    let a = seg.attach_read_only()?;
    assert!(!a.is_writable());
    assert!(a.write_at(0, b"x").unwrap_err().is_permissions());
    Ok(())
}

/// The documented behaviour of `SharedMemory::is_attached`.
#[test]
fn segment_is_attached() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    assert!(!seg.is_attached());
    seg.read(0, 1)?;
    assert!(seg.is_attached());
    Ok(())
}

/// The documented behaviour of `SharedMemory::read_to_end`.
#[test]
fn segment_read_to_end() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    seg.write(0, b"abcdefgh")?;
    assert_eq!(seg.read_to_end(0)?, b"abcdefgh");
    assert_eq!(seg.read_to_end(5)?, b"fgh");
    assert!(seg.read_to_end(9).unwrap_err().is_invalid_input());
    Ok(())
}

/// The documented behaviour of `SharedMemory::write`.
#[test]
fn segment_write() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    seg.write(3, b"abc")?;
    seg.write(8, b"")?;
    assert!(seg.write(6, b"abc").unwrap_err().is_invalid_input());
    assert!(seg.write(usize::MAX, b"x").unwrap_err().is_invalid_input());
    assert_eq!(seg.read_to_end(0)?, b"\0\0\0abc\0\0");
    Ok(())
}

/// The documented behaviour of `SharedMemory::reattach`.
#[test]
fn segment_reattach() -> sysv_ipc::Result<()> {
    let mut seg = new_segment(sysv_ipc::SharedMemory::options().size(8));
    seg.reattach()?;
    seg.reattach()?;
    assert_eq!(seg.number_attached()?, 1);
    Ok(())
}

/// The documented behaviour of `SharedMemory::close`.
#[test]
fn segment_close() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    let id = seg.id();
    seg.write(0, b"x")?;
    seg.into_inner().close()?;
    sysv_ipc::remove_shared_memory(id)?;
    Ok(())
}

/// The documented behaviour of `SharedMemory::stat`.
#[test]
fn segment_stat() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    let st = seg.stat()?;
    assert_eq!(st.size, 8);
    assert_eq!(st.creator_pid, std::process::id() as i32);
    assert_eq!(st.permissions.mode.bits(), 0o600);
    assert_eq!(st.number_attached, 0);
    assert!(st.attach_time.is_none());
    Ok(())
}

/// The documented behaviour of `SharedMemory::size`.
#[test]
fn segment_size() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(3333)?.remove_on_drop();
    assert_eq!(seg.size()?, 3333);
    Ok(())
}

/// The documented behaviour of `SharedMemory::attach_time`.
#[test]
fn segment_attach_time() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    assert!(seg.attach_time()?.is_none());
    let _a = seg.attach()?;
    assert!(seg.attach_time()?.is_some());
    Ok(())
}

/// The documented behaviour of `SharedMemory::detach_time`.
#[test]
fn segment_detach_time() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    assert!(seg.detach_time()?.is_none());
    seg.attach()?.detach()?;
    assert!(seg.detach_time()?.is_some());
    Ok(())
}

/// The documented behaviour of `SharedMemory::change_time`.
#[test]
fn segment_change_time() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    let age = seg.change_time()?.elapsed().unwrap_or_default();
    assert!(age.as_secs() < 60);
    Ok(())
}

/// The documented behaviour of `SharedMemory::creator_pid`.
#[test]
fn segment_creator_pid() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    assert_eq!(seg.creator_pid()?, std::process::id() as i32);
    Ok(())
}

/// The documented behaviour of `SharedMemory::last_pid`.
#[test]
fn segment_last_pid() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    seg.read(0, 1)?;
    assert_eq!(seg.last_pid()?, Some(std::process::id() as i32));
    Ok(())
}

/// The documented behaviour of `SharedMemory::number_attached`.
#[test]
fn segment_number_attached() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    let (a, b) = (seg.attach()?, seg.attach()?);
    assert_eq!(seg.number_attached()?, 2);
    drop((a, b));
    assert_eq!(seg.number_attached()?, 0);
    Ok(())
}

/// The documented behaviour of `SharedMemoryStat::is_removed`.
#[test]
fn shm_stat_is_removed() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    let _a = seg.attach()?;
    assert!(!seg.stat()?.is_removed());
    seg.remove()?;
    assert!(seg.stat()?.is_removed());
    Ok(())
}

/// The documented behaviour of `SharedMemoryStat::is_locked`: false until
/// `shmctl(SHM_LOCK)` locks the segment (which needs `CAP_IPC_LOCK`, or a
/// large enough `RLIMIT_MEMLOCK`), true then, false again after `SHM_UNLOCK`.
#[test]
fn shm_stat_is_locked() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    assert!(!seg.stat()?.is_locked());
    let lock = |cmd| {
        // SAFETY: SHM_LOCK and SHM_UNLOCK take no buffer.
        unsafe { libc::shmctl(seg.id(), cmd, std::ptr::null_mut()) }
    };
    if lock(libc::SHM_LOCK) != 0 {
        println!(
            "skipped: SHM_LOCK refused ({})",
            std::io::Error::last_os_error()
        );
        return Ok(());
    }
    assert!(seg.stat()?.is_locked());
    assert_eq!(lock(libc::SHM_UNLOCK), 0);
    assert!(!seg.stat()?.is_locked());
    Ok(())
}

/// The documented behaviour of `remove_shared_memory`.
#[test]
fn remove_shared_memory() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(8)?.remove_on_drop();
    sysv_ipc::remove_shared_memory(seg.id())?;
    let e = sysv_ipc::remove_shared_memory(seg.id()).unwrap_err();
    assert_eq!(e.kind(), sysv_ipc::ErrorKind::NotFound);
    Ok(())
}

/// The documented behaviour of `Attachment::id`.
#[test]
fn attachment_id() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    assert_eq!(seg.attach()?.id(), seg.id());
    Ok(())
}

/// The documented behaviour of `Attachment::detach`.
#[test]
fn attachment_detach() -> sysv_ipc::Result<()> {
    let seg = sysv_ipc::SharedMemory::create_unique(64)?.remove_on_drop();
    let a = seg.attach()?;
    assert_eq!(seg.number_attached()?, 1);
    a.detach()?;
    assert_eq!(seg.number_attached()?, 0);
    Ok(())
}

/// The documented behaviour of `SharedMemory::remove`: a segment removed
/// while attached lives on, keyless, until its last attachment goes.
#[test]
fn segment_remove_while_attached() -> sysv_ipc::Result<()> {
    use sysv_ipc::{ErrorKind, Key, SharedMemory};
    let seg = new_segment(SharedMemory::options().size(8));
    let a = seg.attach()?;
    seg.remove()?;
    a.write_at(0, b"still")?;
    assert!(seg.stat()?.is_removed());
    assert_eq!(seg.stat()?.key, Key::PRIVATE);
    assert_eq!(
        SharedMemory::open(seg.key()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    drop(a);
    assert_eq!(seg.size().unwrap_err().kind(), ErrorKind::Removed);
    Ok(())
}

/// The documented behaviour of `SharedMemory::mode`: the kernel's status
/// bits show, and `Mode::permissions` masks them off.
#[test]
fn segment_mode_shows_the_status_bits() -> sysv_ipc::Result<()> {
    let seg = new_segment(sysv_ipc::SharedMemory::options().size(8));
    let _a = seg.attach()?;
    seg.remove()?;
    assert_eq!(seg.mode()?.bits(), 0o1600);
    assert_eq!(seg.mode()?.permissions().bits(), 0o600);
    Ok(())
}

/// `SharedMemoryStat: From<&shmid_ds>`: the kernel's 0 is "never" / "none",
/// and the status bits show.
#[cfg(target_os = "linux")]
#[test]
fn stat_conversion_maps_zero_times_to_none() {
    let ds = posix_ipc_sys::shmid_ds {
        shm_ctime: 100,
        shm_perm: posix_ipc_sys::ipc_perm {
            mode: 0o1600,
            ..Default::default()
        },
        ..Default::default()
    };
    let st = sysv_ipc::SharedMemoryStat::from(&ds);
    assert_eq!(st.attach_time, None);
    assert_eq!(
        st.change_time,
        std::time::UNIX_EPOCH + std::time::Duration::from_secs(100)
    );
    assert_eq!(st.last_pid, None);
    assert!(st.is_removed());
    assert!(!st.is_locked());
}
