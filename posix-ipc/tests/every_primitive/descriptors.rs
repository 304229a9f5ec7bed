//! Descriptors in and out of handles: a shared memory object and a queue
//! sent to another process over a Unix socket (`SCM_RIGHTS`) and adopted
//! there, with and without a name; `try_clone`; refused descriptors.

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::Duration;

use posix_ipc::{ErrorKind, MessageQueue, SharedMemory};

const LIMIT: Duration = Duration::from_secs(30);

/// Room for the control message of up to 4 descriptors.
const CMSG_ROOM: usize = 64;

/// A `msghdr` for one byte of data in `byte` and a control message in `cmsg`.
fn header(byte: &mut u8, iov: &mut libc::iovec, cmsg: &mut [u64; CMSG_ROOM / 8]) -> libc::msghdr {
    *iov = libc::iovec {
        iov_base: std::ptr::from_mut(byte).cast(),
        iov_len: 1,
    };
    // SAFETY: an all-zero msghdr (null pointers, zero lengths) is valid.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cmsg.as_mut_ptr().cast();
    // `msg_controllen` is a size_t on glibc, a socklen_t (u32) on musl;
    // CMSG_ROOM is a few dozen bytes.
    #[allow(clippy::cast_possible_truncation)]
    {
        msg.msg_controllen = CMSG_ROOM as _;
    }
    msg
}

/// Sends `fds` (at most 4) with one byte of data over `sock` (`SCM_RIGHTS`).
fn send_fds(sock: &UnixStream, fds: &[RawFd]) {
    assert!(fds.len() <= 4);
    let (mut byte, mut iov, mut cmsg) = (b'x', zeroed_iov(), [0u64; CMSG_ROOM / 8]);
    let mut msg = header(&mut byte, &mut iov, &mut cmsg);
    let data_len = u32::try_from(std::mem::size_of_val(fds)).unwrap();
    // SAFETY: `msg` points to `cmsg`, CMSG_ROOM bytes, enough for a header
    // and 4 descriptors; CMSG_FIRSTHDR/CMSG_DATA stay inside it.
    unsafe {
        msg.msg_controllen = libc::CMSG_SPACE(data_len) as _;
        let c = libc::CMSG_FIRSTHDR(&msg);
        (*c).cmsg_level = libc::SOL_SOCKET;
        (*c).cmsg_type = libc::SCM_RIGHTS;
        (*c).cmsg_len = libc::CMSG_LEN(data_len) as _;
        std::ptr::copy_nonoverlapping(fds.as_ptr(), libc::CMSG_DATA(c).cast(), fds.len());
    }
    // SAFETY: `msg` and everything it points to are valid for the call.
    let n = unsafe { libc::sendmsg(sock.as_raw_fd(), &msg, 0) };
    assert_eq!(n, 1, "sendmsg: {}", std::io::Error::last_os_error());
}

/// Receives the descriptors of one `send_fds`.
fn receive_fds(sock: &UnixStream) -> Vec<OwnedFd> {
    let (mut byte, mut iov, mut cmsg) = (0u8, zeroed_iov(), [0u64; CMSG_ROOM / 8]);
    let mut msg = header(&mut byte, &mut iov, &mut cmsg);
    // SAFETY: `msg` and the buffers it points to are valid and writable.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    assert_eq!(n, 1, "recvmsg: {}", std::io::Error::last_os_error());
    let mut out = Vec::new();
    // SAFETY: the kernel filled the control buffer; CMSG_FIRSTHDR/NXTHDR walk
    // it within msg_controllen, and SCM_RIGHTS data holds `count` ints.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_RIGHTS {
                let bytes = (*c).cmsg_len as usize - libc::CMSG_LEN(0) as usize;
                let data = libc::CMSG_DATA(c).cast::<RawFd>();
                for i in 0..bytes / size_of::<RawFd>() {
                    // The kernel installed these descriptors for this process
                    // just now: nothing else owns them.
                    out.push(OwnedFd::from_raw_fd(data.add(i).read_unaligned()));
                }
            }
            c = libc::CMSG_NXTHDR(&msg, c);
        }
    }
    out
}

fn zeroed_iov() -> libc::iovec {
    libc::iovec {
        iov_base: std::ptr::null_mut(),
        iov_len: 0,
    }
}

#[test]
fn descriptors_received_over_a_unix_socket_are_adopted() {
    const TEST: &str = "descriptors::descriptors_received_over_a_unix_socket_are_adopted";
    if let Some(args) = testkit::child_args(TEST) {
        let sock = UnixStream::connect(&args[0]).unwrap();
        let mut fds = receive_fds(&sock).into_iter();
        let (named, unnamed, queue) = (
            fds.next().unwrap(),
            fds.next().unwrap(),
            fds.next().unwrap(),
        );
        // A named object keeps its name: this process can unlink it.
        let named = SharedMemory::from_fd(named).unwrap();
        assert_eq!(named.name().unwrap().to_string(), args[1]);
        assert_eq!(named.map().unwrap().read_vec(0, 5).unwrap(), b"named");
        named.unlink().unwrap();
        // An unlinked one has no name, and still maps.
        let unnamed = SharedMemory::try_from(unnamed).unwrap();
        assert_eq!(unnamed.name(), None);
        let map = unnamed.map().unwrap();
        assert_eq!(map.read_vec(0, 7).unwrap(), b"private");
        map.write_at(0, b"PRIVATE").unwrap();
        assert_eq!(unnamed.unlink().unwrap_err().kind(), ErrorKind::NotFound);
        // A queue: sizes and access from the descriptor.
        let queue = MessageQueue::from_fd(queue).unwrap();
        assert_eq!(queue.name().unwrap().to_string(), args[2]);
        assert_eq!((queue.max_messages(), queue.max_message_size()), (2, 32));
        assert!(queue.can_write() && !queue.can_read());
        queue.send(b"from the child", 7).unwrap();
        println!("child adopted all three");
        return;
    }
    let dir = std::env::temp_dir().join(format!("ipcrs-fds-{}", std::process::id()));
    let _ = std::fs::remove_file(&dir);
    let listener = UnixListener::bind(&dir).unwrap();
    let named = SharedMemory::create_unique(4096).unwrap().unlink_on_drop();
    named.map().unwrap().write_at(0, b"named").unwrap();
    let unnamed = SharedMemory::create_unique(4096).unwrap();
    unnamed.map().unwrap().write_at(0, b"private").unwrap();
    unnamed.unlink().unwrap();
    let queue = MessageQueue::options()
        .max_messages(2)
        .max_message_size(32)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    let writer = MessageQueue::options()
        .read(false)
        .open(queue.name().unwrap())
        .unwrap();
    let named_name = named.name().unwrap().to_string();
    let queue_name = queue.name().unwrap().to_string();
    let child = testkit::spawn_child(TEST, &[dir.to_str().unwrap(), &named_name, &queue_name]);
    let (sock, _) = listener.accept().unwrap();
    let writer: OwnedFd = writer.into();
    send_fds(
        &sock,
        &[named.as_raw_fd(), unnamed.as_raw_fd(), writer.as_raw_fd()],
    );
    let out = child.wait_success(LIMIT);
    let _ = std::fs::remove_file(&dir);
    assert!(out.contains("child adopted all three"), "{out}");
    assert_eq!(unnamed.map().unwrap().read_vec(0, 7).unwrap(), b"PRIVATE");
    assert_eq!(
        queue.receive_vec().unwrap(),
        (b"from the child".to_vec(), 7)
    );
    // The child unlinked the named object through its adopted handle.
    assert_eq!(
        SharedMemory::open(named.name().unwrap())
            .unwrap_err()
            .kind(),
        ErrorKind::NotFound
    );
}

#[test]
fn try_clone_gives_an_independent_descriptor() {
    let shm = SharedMemory::create_unique(64).unwrap().unlink_on_drop();
    let clone = shm.try_clone().unwrap();
    assert_ne!(clone.as_raw_fd(), shm.as_raw_fd());
    assert_eq!(clone.name(), shm.name());
    assert!(!clone.created() && shm.created());
    clone.map().unwrap().write_at(0, b"shared").unwrap();
    clone.close().unwrap();
    assert_eq!(shm.map().unwrap().read_vec(0, 6).unwrap(), b"shared");

    let q = MessageQueue::options()
        .max_message_size(8)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    let clone = q.try_clone().unwrap();
    assert_ne!(clone.as_raw_fd(), q.as_raw_fd());
    q.send(b"one", 1).unwrap();
    assert_eq!(clone.receive_vec().unwrap(), (b"one".to_vec(), 1));
    drop(clone);
    q.send(b"two", 2).unwrap(); // the original's descriptor is still open
    assert_eq!(q.current_messages().unwrap(), 1);
}

#[test]
fn descriptors_that_are_not_objects_are_refused() {
    let mut ends = [0; 2];
    // SAFETY: `ends` has room for the two descriptors pipe() writes.
    assert_eq!(unsafe { libc::pipe(ends.as_mut_ptr()) }, 0);
    // SAFETY: pipe() just made both descriptors; nothing else owns them.
    let (r, w) = unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    let e = SharedMemory::from_fd(r).unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("regular file"),
        "{e}"
    );
    let e = MessageQueue::from_fd(w).unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("not a POSIX message queue"),
        "{e}"
    );
    // A shared memory descriptor open for writing only cannot be mapped.
    let shm = SharedMemory::create_unique(64).unwrap().unlink_on_drop();
    let path = format!("/dev/shm{}", shm.name().unwrap());
    let write_only: OwnedFd = std::fs::OpenOptions::new()
        .write(true)
        .open(path)
        .unwrap()
        .into();
    let e = SharedMemory::from_fd(write_only).unwrap_err();
    assert!(
        e.is_invalid_input() && e.message().contains("writing only"),
        "{e}"
    );
    // A read-only one gives a read-only handle.
    let ro: OwnedFd = std::fs::File::open(format!("/dev/shm{}", shm.name().unwrap()))
        .unwrap()
        .into();
    let ro = SharedMemory::from_fd(ro).unwrap();
    assert!(ro.is_read_only());
    assert!(
        ro.map()
            .unwrap()
            .write_at(0, b"x")
            .unwrap_err()
            .is_permissions()
    );
}
