//! Pre-faulting a [`Region`]: mapping every page into this process's page
//! tables up front, so that the first pass over fresh shared memory does not
//! take one page fault per page.

use std::sync::atomic::{AtomicU8, Ordering};

use super::Region;
use crate::Result;
use crate::os::page_size;
#[cfg(target_os = "linux")]
use crate::{Error, ErrorKind};

/// How [`Region::populate`] pre-faulted a region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Populated {
    /// One `madvise(MADV_POPULATE_READ)` call (Linux 5.14+).
    Madvise,
    /// Reading one byte per page (older kernels, other systems).
    Touched,
}

/// Pre-faults `region` with `MADV_POPULATE_READ` where the kernel has it,
/// else [`touch`].
///
/// Read faults, also for a writable region: on a shared mapping of shared
/// memory (tmpfs, SysV) a read fault allocates a missing page and maps it
/// writable (such mappings need no write notification), so later writes do
/// not fault; and a read fault maps the neighbouring pages too where the file
/// has fault-around (POSIX objects, 16 pages per fault), where
/// `MADV_POPULATE_WRITE` takes one write fault per page. Measured on 64 MiB
/// (Linux 6.18), the first write pass after populating ran at 6-7 GB/s
/// through a POSIX mapping against 3.5 GB/s with `MADV_POPULATE_WRITE`, and
/// 5-10% faster through a SysV attachment. Where a kernel maps the pages
/// read-only after all, writes fault once more: slower, never wrong. Large
/// regions are split among threads ([`threads_for`]).
pub(crate) fn populate(region: &Region) -> Result<Populated> {
    if region.len == 0 {
        return Ok(Populated::Madvise);
    }
    #[cfg(target_os = "linux")]
    {
        let page = page_size();
        let start = region.ptr.as_ptr() as usize;
        let aligned = start - start % page;
        let len = region.len + (start - aligned);
        let threads = std::thread::available_parallelism().map_or(1, usize::from);
        match madvise_in_parallel(aligned, len, page, threads_for(len, threads)) {
            Ok(()) => return Ok(Populated::Madvise),
            // Before Linux 5.14 the advice is unknown.
            Err(libc::EINVAL) => {}
            Err(errno) => return Err(populate_error(errno, region.len)),
        }
    }
    touch(region);
    Ok(Populated::Touched)
}

/// Each pre-faulting thread takes at least this many bytes: below it, a
/// thread's start (tens of microseconds) is no longer small next to its
/// work, 8 MiB being 2,048 pages at about 1 µs each.
#[cfg(target_os = "linux")]
pub(crate) const MIN_BYTES_PER_THREAD: usize = 8 << 20;

/// At most this many threads, the calling one included, pre-fault one
/// region: past a few, they queue on the same page-table and file locks.
#[cfg(target_os = "linux")]
pub(crate) const MAX_THREADS: usize = 4;

/// How many threads pre-fault `len` bytes on a machine that runs `cpus`
/// threads at once: one per [`MIN_BYTES_PER_THREAD`] bytes, at most
/// [`MAX_THREADS`] and `cpus`, at least one.
#[cfg(target_os = "linux")]
pub(crate) fn threads_for(len: usize, cpus: usize) -> usize {
    (len / MIN_BYTES_PER_THREAD).clamp(1, MAX_THREADS.min(cpus.max(1)))
}

/// The pieces, in address order, into which [`madvise_in_parallel`] splits
/// the page-aligned range of `len` bytes at `start` for `threads` threads:
/// consecutive, page-aligned, of equal size but the last, and covering the
/// range exactly; fewer than `threads` when the range has fewer pages.
#[cfg(target_os = "linux")]
fn pieces(
    start: usize,
    len: usize,
    page: usize,
    threads: usize,
) -> impl Iterator<Item = (usize, usize)> {
    let end = start + len;
    let piece = len.div_ceil(threads).next_multiple_of(page);
    (0..threads)
        .map(move |i| start + i * piece)
        .take_while(move |&from| from < end)
        .map(move |from| (from, end.min(from + piece)))
}

/// `madvise(MADV_POPULATE_READ)` over the page-aligned range of `len` bytes
/// at `start`, split into `threads` [`pieces`], one per thread.
///
/// The kernel takes the address-space lock for reading only while it
/// populates, so the pieces fault in concurrently: a 64 MiB SysV attachment
/// was pre-faulted in 7 ms by two threads against 15 ms by one (Linux 6.18,
/// 2 cores). The threads are scoped: all have ended when this returns. A
/// thread that cannot be started (a thread limit) leaves its piece to the
/// calling thread, so this never fails for want of threads. Returns the
/// `errno` of the first piece, in address order, that failed.
#[cfg(target_os = "linux")]
fn madvise_in_parallel(
    start: usize,
    len: usize,
    page: usize,
    threads: usize,
) -> std::result::Result<(), i32> {
    let populate = |(from, to): (usize, usize)| -> std::result::Result<(), i32> {
        // SAFETY: madvise with a POPULATE advice only faults in pages of the
        // range, as an access would, and changes no memory contents. The
        // caller's range is the region's, extended down to the start of its
        // first page (those bytes lie in the same page, which is mapped
        // because the region's first byte is), and `from..to` lies inside it.
        let rc = unsafe {
            libc::madvise(
                from as *mut libc::c_void,
                to - from,
                libc::MADV_POPULATE_READ,
            )
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(crate::error::errno())
        }
    };
    let mut pieces = pieces(start, len, page, threads);
    let Some(first) = pieces.next() else {
        return Ok(());
    };
    std::thread::scope(|scope| {
        // Each thread says when it has started, and the calling thread waits
        // for that before it populates: a starting thread maps its signal
        // stack, which needs the address-space lock for writing, and so
        // would wait for the calling thread's whole piece to end.
        let (started, wait_for_start) = std::sync::mpsc::channel::<()>();
        let spawned: Vec<_> = pieces
            .map(|piece| {
                let started = started.clone();
                let thread = std::thread::Builder::new()
                    .name("ipc-populate".to_owned())
                    .spawn_scoped(scope, move || {
                        // The receiver lives until the scope ends.
                        let _ = started.send(());
                        populate(piece)
                    });
                (piece, thread)
            })
            .collect();
        drop(started);
        for _ in spawned.iter().filter(|(_, thread)| thread.is_ok()) {
            // An error means that every sender is gone: nothing to wait for.
            if wait_for_start.recv().is_err() {
                break;
            }
        }
        let first = populate(first);
        spawned.into_iter().fold(first, |result, (piece, thread)| {
            // A piece whose thread did not start, or (it cannot happen) did
            // not finish, is done here.
            let done = thread
                .ok()
                .and_then(|handle| handle.join().ok())
                .unwrap_or_else(|| populate(piece));
            result.and(done)
        })
    })
}

/// The error of a failed `MADV_POPULATE_READ`, saying what it means here.
#[cfg(target_os = "linux")]
fn populate_error(errno: i32, len: usize) -> Error {
    let e = Error::from_errno("madvise", errno);
    match errno {
        libc::ENOMEM => e.with_kind(ErrorKind::LimitExceeded).with_message(format!(
            "not enough memory to pre-fault {len} bytes of shared memory; free memory \
             or attach without pre-faulting"
        )),
        libc::EFAULT | libc::EHWPOISON => {
            e.with_kind(ErrorKind::LimitExceeded).with_message(format!(
                "a page of these {len} bytes of shared memory cannot be backed (touching it \
                 would raise SIGBUS): the file system or memory holding it is full"
            ))
        }
        libc::EINTR => {
            e.with_message("a signal interrupted pre-faulting the shared memory; try again")
        }
        _ => e.with_message("cannot pre-fault the shared memory"),
    }
}

/// The fallback of [`populate`]: one atomic load per page (read faults, for
/// the reasons given at [`populate`]).
pub(crate) fn touch(region: &Region) {
    let page = page_size();
    let start = region.ptr.as_ptr() as usize;
    // The first byte, then the first byte of every following page.
    let mut offset = 0;
    while offset < region.len {
        // SAFETY: offset < len, so the byte is inside the mapped region.
        let p = unsafe { region.ptr.as_ptr().add(offset) };
        // SAFETY: a readable byte of mapped memory, accessed only atomically
        // (other processes may write it concurrently; an atomic load of it is
        // never a data race).
        unsafe { AtomicU8::from_ptr(p) }.load(Ordering::Relaxed);
        offset = (start + offset) / page * page + page - start;
    }
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn one_thread_per_eight_mib_up_to_the_cpus_and_four() {
        const MIB: usize = 1 << 20;
        assert_eq!(threads_for(0, 8), 1);
        assert_eq!(threads_for(8 * MIB - 1, 8), 1);
        assert_eq!(threads_for(16 * MIB - 1, 8), 1);
        assert_eq!(threads_for(16 * MIB, 8), 2);
        assert_eq!(threads_for(24 * MIB, 8), 3);
        assert_eq!(threads_for(1 << 30, 8), MAX_THREADS);
        assert_eq!(threads_for(1 << 30, 2), 2);
        assert_eq!(threads_for(1 << 30, 1), 1);
        assert_eq!(threads_for(1 << 30, 0), 1);
    }

    #[test]
    fn pieces_are_page_aligned_and_cover_the_range_exactly() {
        const P: usize = 4096;
        let all = |start, len, threads| pieces(start, len, P, threads).collect::<Vec<_>>();
        // Ten pages in three pieces of four pages, the last one short.
        assert_eq!(
            all(P, 10 * P, 3),
            [(P, 5 * P), (5 * P, 9 * P), (9 * P, 11 * P)]
        );
        assert_eq!(all(P, 10 * P, 1), [(P, 11 * P)]);
        assert_eq!(all(0, 8 * P, 2), [(0, 4 * P), (4 * P, 8 * P)]);
        // Fewer pages than threads: one piece per page, none empty.
        assert_eq!(all(3 * P, 2 * P, 4), [(3 * P, 4 * P), (4 * P, 5 * P)]);
        assert_eq!(all(P, P, 4), [(P, 2 * P)]);
    }
}
