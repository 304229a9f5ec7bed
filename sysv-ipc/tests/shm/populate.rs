//! Pre-faulting attachments (`SharedMemoryOptions::populate`,
//! `Region::populate`): every page of a fresh attachment is in this process's
//! page tables before the first access, by `madvise` or by the fallback that
//! reads one byte per page, for read-write and read-only attachments (whose
//! pages are then mapped writable: writing them takes no fault), and the
//! contents never change. The pages mapped are read from
//! `/proc/self/smaps` (the mapping's `Rss`).

use crate::support::new_segment;
use ipc_common::__private::populate::{Populated, populate, touch};
use sysv_ipc::{Attachment, SharedMemory};

/// Writes one byte into every page of `a` and returns the page faults that
/// took: none when the pages are mapped writable already.
fn faults_writing_every_page(a: &Attachment) -> i64 {
    let page = sysv_ipc::limits::page_size();
    let before = testkit::minor_faults();
    for offset in (0..a.len()).step_by(page) {
        a.write_at(offset, &[pattern(offset)]).unwrap();
    }
    testkit::minor_faults() - before
}

/// The resident size in KiB of the mapping that holds `a`'s first byte.
fn resident_kib(a: &Attachment) -> u64 {
    testkit::resident_kib(a.as_ptr() as usize)
}

fn page_kib() -> u64 {
    (sysv_ipc::limits::page_size() / 1024) as u64
}

/// Byte `i` of the test pattern.
fn pattern(i: usize) -> u8 {
    u8::try_from(i % 251).expect("below 251")
}

/// A segment of `pages` pages plus `extra` bytes holding the pattern, and
/// its size; the writer's attachment is detached again.
fn written_segment(pages: usize, extra: usize) -> (sysv_ipc::RemoveOnDrop<SharedMemory>, usize) {
    let size = pages * sysv_ipc::limits::page_size() + extra;
    let seg = new_segment(SharedMemory::options().size(size));
    let data: Vec<u8> = (0..size).map(pattern).collect();
    seg.attach().unwrap().write_at(0, &data).unwrap();
    (seg, size)
}

fn assert_pattern(a: &Attachment, size: usize) {
    let got = a.read_vec(0, size).unwrap();
    assert!(got.iter().enumerate().all(|(i, &b)| b == pattern(i)));
}

/// The mapped KiB of a segment of `size` bytes: whole pages.
fn all_pages_kib(size: usize) -> u64 {
    size.div_ceil(sysv_ipc::limits::page_size()) as u64 * page_kib()
}

#[test]
fn a_populating_handle_maps_every_page_before_returning_an_attachment() {
    let (seg, size) = written_segment(64, 0);
    // Without the option a fresh attachment has no page mapped yet.
    let plain = seg.attach().unwrap();
    assert_eq!(resident_kib(&plain), 0);
    drop(plain);
    let populating = SharedMemory::options()
        .populate(true)
        .open(seg.key())
        .unwrap();
    for a in [
        populating.attach().unwrap(),
        populating.attach_read_only().unwrap(),
    ] {
        assert_eq!(resident_kib(&a), all_pages_kib(size), "{a:?}");
        assert_pattern(&a, size);
    }
    // A read-write attachment's pages are mapped writable: writing them
    // takes no fault (a plain attachment takes one per page).
    assert!(faults_writing_every_page(&seg.attach().unwrap()) >= 64);
    assert_eq!(faults_writing_every_page(&populating.attach().unwrap()), 0);
    // The handle's own attachment too.
    assert_eq!(
        resident_kib(populating.attachment().unwrap()),
        all_pages_kib(size)
    );
    assert_pattern(populating.attachment().unwrap(), size);
}

#[test]
fn a_new_segment_created_populating_is_mapped_and_zero() {
    let size = 32 * sysv_ipc::limits::page_size();
    let seg = new_segment(SharedMemory::options().size(size).populate(true));
    let a = seg.attach().unwrap();
    assert_eq!(resident_kib(&a), all_pages_kib(size));
    assert!(a.read_vec(0, size).unwrap().iter().all(|&b| b == 0));
}

#[test]
fn populate_uses_madvise_on_linux_5_14_and_later() {
    let (seg, size) = written_segment(16, 100);
    let release = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap();
    let mut parts = release.trim().split(['.', '-']);
    let major: u32 = parts.next().unwrap().parse().unwrap();
    let minor: u32 = parts.next().unwrap().parse().unwrap();
    let expected = if (major, minor) >= (5, 14) {
        Populated::Madvise
    } else {
        Populated::Touched
    };
    for a in [seg.attach().unwrap(), seg.attach_read_only().unwrap()] {
        assert_eq!(resident_kib(&a), 0);
        assert_eq!(populate(&a).unwrap(), expected, "{a:?}");
        // The partial last page is mapped too.
        assert_eq!(resident_kib(&a), all_pages_kib(size), "{a:?}");
        assert_pattern(&a, size);
    }
}

#[test]
fn the_fallback_touches_every_page_and_changes_no_byte() {
    let (seg, size) = written_segment(16, 100);
    for a in [seg.attach().unwrap(), seg.attach_read_only().unwrap()] {
        assert_eq!(resident_kib(&a), 0);
        touch(&a);
        assert_eq!(resident_kib(&a), all_pages_kib(size), "{a:?}");
        assert_pattern(&a, size);
    }
    let a = seg.attach().unwrap();
    touch(&a);
    assert_eq!(faults_writing_every_page(&a), 0);
}
