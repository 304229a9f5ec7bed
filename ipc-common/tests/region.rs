//! `Region`'s copies through the public API: racing a writer in another
//! process (real shared memory, a real second process), and allocating
//! nothing at any length. The exhaustive offset/length and guard-page tests
//! of each copy implementation are unit tests (`src/region/copy.rs`).

#[global_allocator]
static COUNTING: testkit::CountingAllocator = testkit::CountingAllocator;

use std::ffi::CString;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use ipc_common::Region;
use testkit::allocations_during;

/// Control words at the start of the shared memory, then the data.
const STOP: usize = 0;
const ROUNDS: usize = 4;
const DATA: usize = 64;
const SIZE: usize = 64 * 1024;

/// The writer's keys (byte `i` of the data becomes `i as u8 ^ key`) and fill
/// bytes.
const KEYS: [u8; 2] = [0x11, 0x22];
const FILLS: [u8; 2] = [0x33, 0x44];

/// The ranges of the data the writer and the reader copy, in turn: the
/// whole data (the `rep movsb` path), page-straddling and odd ones, and
/// short ones (the head/tail moves).
const SPANS: [(usize, usize); 7] = [
    (0, SIZE),
    (5, 3000),
    (100, 17),
    (2049, 4099),
    (4093, 7),
    (8000, 64),
    (SIZE - 1, 1),
];

fn initial(i: usize) -> u8 {
    u8::try_from(i % 256).unwrap_or(0)
}

/// Whether `b` is a byte that someone wrote at data position `i`: the
/// initial pattern, a writer's keyed pattern, or a fill byte.
fn written(i: usize, b: u8) -> bool {
    let p = initial(i);
    b == p || KEYS.iter().any(|k| b == p ^ k) || FILLS.contains(&b)
}

/// A POSIX shared-memory object mapped into this process; the creator's
/// guard unlinks the name (also when the test fails).
struct Shm {
    name: CString,
    ptr: NonNull<u8>,
    len: usize,
    writable: bool,
    owner: bool,
}

impl Shm {
    fn create(name: &str, len: usize) -> Shm {
        Shm::open(name, len, true, true)
    }

    fn open(name: &str, len: usize, writable: bool, create: bool) -> Shm {
        let cname = CString::new(name).unwrap();
        let (oflag, prot) = if writable {
            (libc::O_RDWR, libc::PROT_READ | libc::PROT_WRITE)
        } else {
            (libc::O_RDONLY, libc::PROT_READ)
        };
        let oflag = if create {
            oflag | libc::O_CREAT | libc::O_EXCL
        } else {
            oflag
        };
        // SAFETY: a NUL-terminated name; the descriptor is closed below.
        let fd = unsafe { libc::shm_open(cname.as_ptr(), oflag, 0o600) };
        assert!(
            fd >= 0,
            "shm_open {name}: {}",
            std::io::Error::last_os_error()
        );
        let size = libc::off_t::try_from(len).unwrap();
        // SAFETY: plain calls on the descriptor just opened.
        let ptr = unsafe {
            if create {
                assert_eq!(libc::ftruncate(fd, size), 0);
            }
            let p = libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, fd, 0);
            libc::close(fd);
            p
        };
        assert_ne!(ptr, libc::MAP_FAILED, "mmap");
        Shm {
            name: cname,
            ptr: NonNull::new(ptr.cast()).unwrap(),
            len,
            writable,
            owner: create,
        }
    }

    fn region(&self) -> Region {
        // SAFETY: the mapping lives as long as `self`, which outlives every
        // region a test makes from it.
        unsafe { Region::from_raw_parts(self.ptr, self.len, self.writable) }
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // SAFETY: the mapping made by `open`; unlinking a name only touches
        // the name.
        unsafe {
            libc::munmap(self.ptr.as_ptr().cast(), self.len);
            if self.owner {
                libc::shm_unlink(self.name.as_ptr());
            }
        }
    }
}

/// A writer process stores keyed patterns and fills over every span while
/// this process copies the spans out of a read-only mapping: every byte read
/// is one that was written at that position (torn copies mix bytes of
/// different writes, which is allowed), none comes from elsewhere, and the
/// reader did see the writer's bytes.
#[test]
fn copies_racing_a_writer_process_see_only_written_bytes() {
    const TEST: &str = "copies_racing_a_writer_process_see_only_written_bytes";
    if let Some(args) = testkit::child_args(TEST) {
        let shm = Shm::open(&args[0], DATA + SIZE, true, false);
        let r = shm.region();
        let stop = r.atomic::<AtomicU32>(STOP).unwrap();
        let rounds = r.atomic::<AtomicU32>(ROUNDS).unwrap();
        let patterns: Vec<Vec<u8>> = KEYS
            .iter()
            .map(|k| (0..SIZE).map(|i| initial(i) ^ k).collect())
            .collect();
        let mut round = 0usize;
        while stop.load(Ordering::Acquire) == 0 {
            for (k, pattern) in patterns.iter().enumerate() {
                let (at, len) = SPANS[(round + k) % SPANS.len()];
                r.write_at(DATA + at, &pattern[at..at + len]).unwrap();
                let (at, len) = SPANS[(round + k + 3) % SPANS.len()];
                r.fill(DATA + at, len, FILLS[k]).unwrap();
            }
            round += 1;
            rounds.fetch_add(1, Ordering::Release);
        }
        println!("writer did {round} rounds");
        return;
    }
    let name = testkit::unique_name("region");
    let control = Shm::create(&name, DATA + SIZE);
    let rw = control.region();
    let start: Vec<u8> = (0..SIZE).map(initial).collect();
    rw.write_at(DATA, &start).unwrap();
    let reader = Shm::open(&name, DATA + SIZE, false, false);
    let r = reader.region();
    assert!(!r.is_writable());
    let child = testkit::spawn_child(TEST, &[&name]);
    let rounds = rw.atomic::<AtomicU32>(ROUNDS).unwrap();
    assert!(
        testkit::eventually(Duration::from_secs(30), || rounds.load(Ordering::Acquire)
            >= 2),
        "the writer never started"
    );
    let mut out = vec![0u8; SIZE];
    let mut changed = 0usize;
    for round in 0..2000 {
        let (at, len) = SPANS[round % SPANS.len()];
        r.read_at(DATA + at, &mut out[..len]).unwrap();
        for (i, &b) in out[..len].iter().enumerate() {
            assert!(written(at + i, b), "data byte {} read as {b:#04x}", at + i);
            changed += usize::from(b != initial(at + i));
        }
    }
    rw.atomic::<AtomicU32>(STOP)
        .unwrap()
        .store(1, Ordering::Release);
    let out = child.wait_success(Duration::from_secs(60));
    assert!(out.contains("writer did"), "{out}");
    assert!(changed > 0, "the reader never saw the writer's bytes");
    // Quiet again: a copy is exact (compared with a plain read of the
    // bytes, which nothing writes any more).
    let mut last = vec![0u8; SIZE];
    r.read_at(DATA, &mut last).unwrap();
    // SAFETY: the writer has exited; nothing writes the mapping now.
    let plain = unsafe { &r.as_slice()[DATA..] };
    assert!(last == plain);
}

/// `read_at`, `write_at` and `fill` allocate nothing, on every copy path
/// (short head/tail moves, the vector loops, `rep movsb`/`rep stosb`).
#[test]
fn copies_allocate_nothing_at_any_length() {
    let mut backing = vec![0u64; (SIZE + 64) / 8];
    let len = backing.len() * 8;
    // SAFETY: `backing` outlives the region and nothing else touches it.
    let r = unsafe {
        Region::from_raw_parts(
            NonNull::new(backing.as_mut_ptr()).unwrap().cast(),
            len,
            true,
        )
    };
    let data = vec![0x5Au8; SIZE];
    let mut out = vec![0u8; SIZE];
    let lengths = [
        0, 1, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 2047, 2048, 4097, SIZE,
    ];
    let n = allocations_during(|| {
        for &n in &lengths {
            for offset in [0, 1, 63] {
                r.write_at(offset, &data[..n]).unwrap();
                r.read_at(offset, &mut out[..n]).unwrap();
                r.fill(offset, n, 0xA5).unwrap();
            }
        }
    });
    assert_eq!(n, 0, "the copies allocated {n} times");
    assert!(r.read_vec(1, 4).unwrap() == [0xA5; 4]);
}

/// How many of the pages under `r` are in this process's page tables
/// (`mincore`; the region must start on a page boundary).
#[cfg(target_os = "linux")]
fn resident_pages(r: &Region) -> usize {
    let page = ipc_common::__private::page_size();
    let mut vec = vec![0u8; r.len().div_ceil(page)];
    // SAFETY: the range is the region's mapping, and `vec` has one byte per
    // page of it.
    let rc = unsafe { libc::mincore(r.as_ptr() as *mut libc::c_void, r.len(), vec.as_mut_ptr()) };
    assert_eq!(rc, 0, "mincore: {}", std::io::Error::last_os_error());
    vec.iter().filter(|&&b| b & 1 != 0).count()
}

/// Pre-faulting maps every page of fresh shared memory, both through
/// `madvise(MADV_POPULATE_READ)` and through the one-access-per-page
/// fallback (older kernels, other systems), and neither changes a byte.
#[cfg(target_os = "linux")]
#[test]
fn pre_faulting_maps_every_page_without_changing_it() {
    use ipc_common::__private::populate::{Populated, populate, touch};
    let pages = 16;
    let size = pages * ipc_common::__private::page_size();
    for (tag, fault_in) in [("madvise", true), ("touch", false)] {
        let shm = Shm::create(&testkit::unique_name(tag), size);
        let r = shm.region();
        assert!(!r.is_empty() && r.is_writable());
        // A fresh tmpfs object has no pages yet, so none can be mapped.
        assert_eq!(resident_pages(&r), 0, "{tag}: before");
        if fault_in {
            assert_eq!(populate(&r).unwrap(), Populated::Madvise);
            // The public call, on a fresh object, does the same.
            let fresh = Shm::create(&testkit::unique_name(tag), size);
            let fresh_region = fresh.region();
            fresh_region.populate().unwrap();
            assert_eq!(resident_pages(&fresh_region), pages, "Region::populate");
        } else {
            touch(&r);
        }
        assert_eq!(resident_pages(&r), pages, "{tag}: after");
        assert!(
            r.read_vec(0, size).unwrap().iter().all(|&b| b == 0),
            "{tag}"
        );
    }
    // A region that starts and ends inside pages: every page it touches is
    // mapped, from the one holding its first byte to the one holding its last.
    let page = ipc_common::__private::page_size();
    let shm = Shm::create(&testkit::unique_name("unaligned"), size);
    let whole = shm.region();
    // SAFETY: bytes 100 .. size - page + 50 lie inside `shm`'s mapping,
    // which outlives the region.
    let inner = unsafe {
        Region::from_raw_parts(
            NonNull::new(whole.as_ptr().add(100).cast_mut()).unwrap(),
            size - page + 50 - 100,
            true,
        )
    };
    assert_eq!(populate(&inner).unwrap(), Populated::Madvise);
    assert_eq!(resident_pages(&whole), pages, "unaligned");
}

/// A region large enough to be pre-faulted by several threads, starting and
/// ending inside pages: every page from the one holding its first byte to
/// the one holding its last is mapped, none beyond, and no byte changes.
#[cfg(target_os = "linux")]
#[test]
fn pre_faulting_a_large_region_maps_every_page_of_every_piece() {
    let page = ipc_common::__private::page_size();
    // Three threads' worth and a bit, so the pieces end inside the range.
    let pages = (24 << 20) / page + 5;
    let shm = Shm::create(&testkit::unique_name("large"), (pages + 1) * page);
    let whole = shm.region();
    // SAFETY: bytes 100 .. pages * page - 10 lie inside `shm`'s mapping,
    // which outlives the region.
    let inner = unsafe {
        Region::from_raw_parts(
            NonNull::new(whole.as_ptr().add(100).cast_mut()).unwrap(),
            pages * page - 110,
            true,
        )
    };
    assert_eq!(
        ipc_common::__private::populate::populate(&inner).unwrap(),
        ipc_common::__private::populate::Populated::Madvise
    );
    assert_eq!(resident_pages(&whole), pages, "the last page is not mapped");
    assert!(
        whole
            .read_vec(0, whole.len())
            .unwrap()
            .iter()
            .all(|&b| b == 0)
    );
}

/// Pre-faulting never depends on starting threads: a process that may start
/// none (`RLIMIT_NPROC` of 0, as a user other than root, whom the limit does
/// not bind) still gets every page of a large region mapped.
#[cfg(target_os = "linux")]
#[test]
fn pre_faulting_maps_every_page_when_no_thread_can_start() {
    const TEST: &str = "pre_faulting_maps_every_page_when_no_thread_can_start";
    let page = ipc_common::__private::page_size();
    let pages = (32 << 20) / page;
    if let Some(args) = testkit::child_args(TEST) {
        let shm = Shm::open(&args[0], pages * page, true, false);
        if testkit::is_root() {
            testkit::become_nobody();
        }
        let none = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        // SAFETY: a plain rlimit struct.
        assert_eq!(unsafe { libc::setrlimit(libc::RLIMIT_NPROC, &none) }, 0);
        assert!(
            std::thread::Builder::new().spawn(|| ()).is_err(),
            "a thread started despite RLIMIT_NPROC 0"
        );
        assert_eq!(
            ipc_common::__private::populate::populate(&shm.region()).unwrap(),
            ipc_common::__private::populate::Populated::Madvise
        );
        assert_eq!(resident_pages(&shm.region()), pages);
        println!("populated");
        return;
    }
    let name = testkit::unique_name("nothreads");
    let _shm = Shm::create(&name, pages * page);
    let out = testkit::spawn_child(TEST, &[&name]).wait_success(Duration::from_secs(60));
    assert!(out.contains("populated"), "{out}");
}

/// The fallback touches no byte past the region: regions that end where an
/// inaccessible page begins, from page-aligned and unaligned starts, are
/// touched without a fault. In a child process, so that a regression fails
/// this test rather than crashing the suite.
#[test]
fn the_fallback_touches_nothing_past_the_region() {
    const TEST: &str = "the_fallback_touches_nothing_past_the_region";
    if testkit::child_args(TEST).is_some() {
        let page = ipc_common::__private::page_size();
        // SAFETY: a fresh private anonymous mapping of three pages.
        let base = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                3 * page,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(base, libc::MAP_FAILED);
        let base = base.cast::<u8>();
        // SAFETY: the third page of the mapping just made.
        let guard = unsafe { base.add(2 * page) };
        // SAFETY: `guard` is the start of a page of that mapping.
        let rc = unsafe { libc::mprotect(guard.cast(), page, libc::PROT_NONE) };
        assert_eq!(rc, 0);
        for len in [2 * page, 2 * page - 1, page + 1, page, 1] {
            // SAFETY: the region's bytes, 2 * page - len .. 2 * page, are
            // the readable pages of the mapping, which is never unmapped.
            let r =
                unsafe { Region::from_raw_parts(NonNull::new(guard.sub(len)).unwrap(), len, true) };
            ipc_common::__private::populate::touch(&r);
        }
        println!("touched");
        return;
    }
    let out = testkit::spawn_child(TEST, &[]).wait_success(Duration::from_secs(30));
    assert!(out.contains("touched"), "{out}");
}
