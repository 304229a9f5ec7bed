//! Pre-faulted mappings (`SharedMemoryOptions::populate`): every page of a
//! new mapping is in this process's page tables before the first access
//! (the mapping's `Rss` in `/proc/self/smaps`), writable ones writable
//! (writing them takes no fault), and the contents never change.

use posix_ipc::{Mapping, SharedMemory};

use crate::support::{fresh, page, pattern, pattern_vec};

/// The resident size in KiB of the mapping that holds `map`'s first byte.
fn resident_kib(map: &Mapping) -> u64 {
    testkit::resident_kib(map.as_ptr() as usize)
}

fn kib(bytes: usize) -> u64 {
    (bytes.div_ceil(page()) * page() / 1024) as u64
}

/// Writes one byte (the pattern's) into every page of `map` and returns
/// the page faults that took.
fn faults_writing_every_page(map: &Mapping) -> i64 {
    let before = testkit::minor_faults();
    for offset in (0..map.len()).step_by(page()) {
        map.write_at(offset, &[pattern(1, offset)]).unwrap();
    }
    testkit::minor_faults() - before
}

#[test]
fn a_populating_handle_maps_every_page_before_returning_a_mapping() {
    let size = 64 * page();
    let shm = fresh(size);
    shm.map()
        .unwrap()
        .write_at(0, &pattern_vec(1, size))
        .unwrap();
    let name = shm.name().unwrap();

    let plain = SharedMemory::open(name).unwrap().map().unwrap();
    assert_eq!(resident_kib(&plain), 0);
    assert!(faults_writing_every_page(&plain) >= 64);
    drop(plain);

    let populating = SharedMemory::options().populate(true).open(name).unwrap();
    let map = populating.map().unwrap();
    assert_eq!(resident_kib(&map), kib(size));
    assert_eq!(faults_writing_every_page(&map), 0);
    assert_eq!(map.read_vec(0, size).unwrap(), pattern_vec(1, size));
    // A range that starts inside a page: its pages, not the whole object.
    let range = populating.map_range(3 * page() + 5, 2 * page()).unwrap();
    assert_eq!(resident_kib(&range), kib(3 * page()));

    let read_only = SharedMemory::options()
        .read_only(true)
        .populate(true)
        .open(name)
        .unwrap();
    let map = read_only.map().unwrap();
    assert_eq!(resident_kib(&map), kib(size));
    assert_eq!(map.read_vec(0, size).unwrap(), pattern_vec(1, size));
}

#[test]
fn a_sparse_object_gets_its_pages_when_a_populating_handle_maps_it() {
    let size = 32 * page();
    let shm = fresh(0);
    let sparse = SharedMemory::options()
        .sparse(true)
        .populate(true)
        .size(size)
        .open(shm.name().unwrap())
        .unwrap();
    let map = sparse.map().unwrap();
    assert_eq!(resident_kib(&map), kib(size));
    assert!(map.read_vec(0, size).unwrap().iter().all(|&b| b == 0));
}
