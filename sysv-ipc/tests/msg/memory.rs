//! What a System V receive costs follows the message, not `max_message_size`:
//! buffers are sized by what can arrive (the kernel's `msgmax`), grow only for
//! a longer message really queued, and memory that cannot be had is a typed
//! error, never an abort.

#[global_allocator]
static COUNTING: testkit::CountingAllocator = testkit::CountingAllocator;

use std::time::Duration;

use crate::support::new_queue_with;
use sysv_ipc::limits::message_queue_limits;
use sysv_ipc::{ErrorKind, Key, MessageQueue, Selector, Wait};

const LIMIT: Duration = Duration::from_secs(30);

fn msgmax() -> usize {
    usize::try_from(message_queue_limits().unwrap().msgmax).unwrap()
}

#[test]
fn a_small_message_costs_no_max_message_size_buffer() {
    let q = new_queue_with(MessageQueue::options().max_message_size(1 << 30));
    q.send(b"hello", 7, Wait::NoWait).unwrap();
    let mut got = None;
    let largest = testkit::largest_allocation_during(|| {
        got = Some(q.receive_vec(Selector::Any, Wait::NoWait).unwrap());
    });
    let m = got.unwrap();
    assert_eq!((m.mtype, m.data.as_slice()), (7, &b"hello"[..]));
    // The buffer is what can arrive: msgmax (plus an aligned type word).
    assert!(
        largest <= msgmax() + 64,
        "a 5-byte receive allocated {largest} bytes (msgmax is {})",
        msgmax()
    );
    assert!(m.data.capacity() <= msgmax() + 64, "{}", m.data.capacity());
    // The same for the truncating receive and for a large caller buffer,
    // which is staged at msgmax, not at its own size.
    q.send(b"world", 8, Wait::NoWait).unwrap();
    let largest = testkit::largest_allocation_during(|| {
        let m = q
            .receive_vec_truncating(Selector::Any, Wait::NoWait)
            .unwrap();
        assert_eq!(m.data, b"world");
    });
    assert!(largest <= msgmax() + 64, "{largest}");
    let mut big = vec![0u8; 4 << 20];
    q.send(b"!", 9, Wait::NoWait).unwrap();
    let largest = testkit::largest_allocation_during(|| {
        let (n, t) = q.receive(&mut big, Selector::Any, Wait::NoWait).unwrap();
        assert_eq!((n, t, big[0]), (1, 9, b'!'));
    });
    assert!(largest <= msgmax() + 64, "{largest}");
}

/// A send costs what the kernel can take, too: a message above msgmax, which
/// the kernel would refuse, is refused before it is copied into a staging
/// buffer of its size.
#[test]
fn a_message_above_msgmax_is_refused_before_it_is_staged() {
    let big = msgmax() * 4;
    let q = new_queue_with(MessageQueue::options().max_message_size(big));
    let data = vec![1u8; big];
    let mut sent = None;
    let largest = testkit::largest_allocation_during(|| {
        sent = Some(q.send(&data, 1, Wait::NoWait));
    });
    let e = sent.unwrap().unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
    assert_eq!(e.raw_os_error(), Some(libc::EINVAL));
    assert!(
        largest < msgmax(),
        "refusing a {big}-byte message allocated {largest} bytes"
    );
}

/// The current virtual memory size of this process, from /proc/self/status.
fn vm_size() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmSize:")).unwrap();
    let kib: u64 = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    kib * 1024
}

#[test]
fn under_a_small_address_space_limit_a_receive_never_aborts() {
    const TEST: &str = "memory::under_a_small_address_space_limit_a_receive_never_aborts";
    if let Some(args) = testkit::child_args(TEST) {
        let key: i32 = args[0].parse().unwrap();
        let q = MessageQueue::options()
            .max_message_size(1 << 30)
            .open(key)
            .unwrap();
        // Room for 64 MiB more: far less than max_message_size.
        let limit = libc::rlim_t::try_from(vm_size() + (64 << 20)).unwrap();
        let rl = libc::rlimit {
            rlim_cur: limit,
            rlim_max: limit,
        };
        // SAFETY: setrlimit reads a valid rlimit; this child process is ours.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_AS, &rl) }, 0);
        let m = q.receive_vec(Selector::Any, Wait::NoWait).unwrap();
        assert_eq!(m.data, b"small");
        let m = q
            .receive_vec_truncating(Selector::Any, Wait::NoWait)
            .unwrap();
        assert_eq!(m.data, b"again");
        // A message the kernel would refuse costs no staging buffer either.
        let big = vec![0u8; msgmax() + 1];
        let e = q.send(&big, 1, Wait::NoWait).unwrap_err();
        assert!(e.is_invalid_input(), "{e}");
        assert!(e.message().contains("kernel.msgmax"), "{e}");
        println!("no abort");
        return;
    }
    let q = new_queue_with(&MessageQueue::options());
    q.send(b"small", 1, Wait::NoWait).unwrap();
    q.send(b"again", 1, Wait::NoWait).unwrap();
    let out = testkit::spawn_child(TEST, &[&q.key().as_raw().to_string()]);
    let out = out.wait(LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("no abort"),
        "the child under RLIMIT_AS failed: {}\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(q.current_messages().unwrap(), 0);
}

/// Writes `value` to /proc/sys/kernel/<name> (of this thread's IPC namespace).
fn set_kernel_limit(name: &str, value: usize) {
    std::fs::write(format!("/proc/sys/kernel/{name}"), value.to_string()).unwrap();
}

/// Sends `data` with type `mtype` with the raw system call, so that this
/// process's cached msgmax is not refreshed by the library's own send.
fn raw_send(id: i32, mtype: libc::c_long, data: &[u8]) {
    let word = size_of::<libc::c_long>();
    let mut buf = vec![0 as libc::c_long; 1 + data.len().div_ceil(word)];
    buf[0] = mtype;
    // SAFETY: `buf` holds the type and room for `data` after it; msgsnd reads
    // the type and `data.len()` bytes.
    let rc = unsafe {
        std::ptr::copy_nonoverlapping(data.as_ptr(), buf.as_mut_ptr().add(1).cast(), data.len());
        libc::msgsnd(id, buf.as_ptr().cast(), data.len(), libc::IPC_NOWAIT)
    };
    assert_eq!(rc, 0, "msgsnd: {}", std::io::Error::last_os_error());
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| u8::try_from(i % 251).unwrap()).collect()
}

/// A message longer than the current msgmax (sent before an administrator
/// lowered it) is still received whole: the buffer grows up to the caller's
/// limit, and truncation happens exactly at that limit. Runs in a child in a
/// new IPC namespace, whose msgmax it may change without touching anyone else.
#[test]
fn a_message_longer_than_msgmax_still_arrives_whole() {
    const TEST: &str = "memory::a_message_longer_than_msgmax_still_arrives_whole";
    if testkit::child_args(TEST).is_some() {
        // This thread, which makes every call below, moves into a new IPC
        // namespace.
        if let Err(e) = testkit::ns::unshare(libc::CLONE_NEWIPC) {
            println!("NOT RUN: cannot create an IPC namespace to change msgmax in ({e})");
            return;
        }
        set_kernel_limit("msgmax", 65536);
        set_kernel_limit("msgmnb", 1 << 20);
        let q = MessageQueue::options()
            .max_message_size(1 << 20)
            .open(Key::PRIVATE)
            .unwrap();
        let long = pattern(40_000);
        for t in 1..=4 {
            raw_send(q.id(), t, &long);
        }
        q.send(b"short", 5, Wait::NoWait).unwrap();
        set_kernel_limit("msgmax", 8192);

        let m = q.receive_vec(Selector::Type(1), Wait::NoWait).unwrap();
        assert_eq!(m.data, long);
        let capped = MessageQueue::options()
            .max_message_size(30_000)
            .open_id(q.id())
            .unwrap();
        let e = capped
            .receive_vec(Selector::Type(2), Wait::NoWait)
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
        assert!(e.message().contains("30000"), "{e}");
        let m = capped
            .receive_vec_truncating(Selector::Type(2), Wait::NoWait)
            .unwrap();
        assert_eq!(m.data, long[..30_000]);
        let mut buf = vec![0u8; 50_000];
        let (n, t) = q
            .receive(&mut buf, Selector::Type(3), Wait::NoWait)
            .unwrap();
        assert_eq!((t, &buf[..n]), (3, &long[..]));
        let mut small = vec![0u8; 20_000];
        let (n, _) = q
            .receive_truncating(&mut small, Selector::Type(4), Wait::NoWait)
            .unwrap();
        assert_eq!(&small[..n], &long[..20_000]);
        assert_eq!(
            q.receive_vec(Selector::Any, Wait::NoWait).unwrap().data,
            b"short"
        );
        q.remove().unwrap();
        println!("grown");
        return;
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(LIMIT);
    if out.contains("NOT RUN") {
        eprintln!("\n*** {TEST} did not run: {out}");
        return;
    }
    assert!(out.contains("grown"), "{out}");
}
