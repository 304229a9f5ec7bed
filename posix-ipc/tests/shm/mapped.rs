//! Sizing and mapping in one call (`open_mapped`, `create_unique_mapped`):
//! the size the call gave, or else the current one; an empty object refused
//! (and removed again when the call created it); read-only handles.

use posix_ipc::{ErrorKind, SharedMemory};

use crate::support::{fresh_name, page};

#[test]
fn open_mapped_maps_the_size_the_call_gave_or_else_the_current_one() {
    let name = fresh_name();
    let size = 3 * page() + 5;
    let (shm, map) = SharedMemory::options()
        .create_new(true)
        .size(size)
        .open_mapped(&name)
        .unwrap();
    let shm = shm.unlink_on_drop();
    assert!(shm.created());
    assert_eq!((map.len(), shm.size().unwrap()), (size, size));
    map.write_at(size - 2, b"ok").unwrap();

    // Opened without a size: the current size, read from the kernel.
    let (other, seen) = SharedMemory::options().open_mapped(&name).unwrap();
    assert!(!other.created());
    assert_eq!(seen.len(), size);
    assert_eq!(seen.read_vec(size - 2, 2).unwrap(), b"ok");

    // Opened with another size: the object is resized and mapped at it.
    let smaller = page() + 1;
    drop((map, seen));
    let (_third, resized) = SharedMemory::options()
        .create(true)
        .size(smaller)
        .open_mapped(&name)
        .unwrap();
    assert_eq!((resized.len(), shm.size().unwrap()), (smaller, smaller));
    // The first handle sized the object once, but maps what it is now.
    assert_eq!(shm.map().unwrap().len(), smaller);
}

#[test]
fn open_mapped_refuses_an_empty_object_and_removes_one_it_created() {
    let name = fresh_name();
    let e = SharedMemory::options()
        .create_new(true)
        .open_mapped(&name)
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.message().contains("0 bytes"), "{e}");
    // The call created the object, so it took it away again.
    let gone = SharedMemory::open(&name).unwrap_err();
    assert_eq!(gone.kind(), ErrorKind::NotFound);

    // An empty object it only opened stays.
    let _empty = SharedMemory::create_new(&name, 0).unwrap().unlink_on_drop();
    let e = SharedMemory::options().open_mapped(&name).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert_eq!(SharedMemory::open(&name).unwrap().size().unwrap(), 0);
}

#[test]
fn open_mapped_respects_read_only_and_bad_options() {
    let name = fresh_name();
    let (shm, _map) = SharedMemory::options()
        .create_new(true)
        .size(64)
        .open_mapped(&name)
        .unwrap();
    let shm = shm.unlink_on_drop();
    let (ro, map) = SharedMemory::options()
        .read_only(true)
        .open_mapped(&name)
        .unwrap();
    assert!(ro.is_read_only());
    assert_eq!(map.len(), 64);
    assert_eq!(
        map.write_at(0, b"x").unwrap_err().kind(),
        ErrorKind::PermissionDenied
    );
    // A size through a read-only handle is refused before any call.
    let e = SharedMemory::options()
        .read_only(true)
        .size(128)
        .open_mapped(&name)
        .unwrap_err();
    assert!(e.is_invalid_input());
    assert_eq!(shm.size().unwrap(), 64);
}

#[test]
fn create_unique_mapped_maps_the_new_object() {
    let (shm, map) = SharedMemory::options()
        .size(2 * page())
        .create_unique_mapped()
        .unwrap();
    let shm = shm.unlink_on_drop();
    assert!(shm.created());
    assert_eq!(map.len(), 2 * page());
    map.fill(0, map.len(), 0xA5).unwrap();
    assert_eq!(
        shm.map().unwrap().read_vec(2 * page() - 1, 1).unwrap(),
        [0xA5]
    );
    // Without a size there is nothing to map, and the object the call
    // created (named in the message) is gone again.
    let e = SharedMemory::options().create_unique_mapped().unwrap_err();
    assert!(e.is_invalid_input());
    let named = e
        .message()
        .split('"')
        .nth(1)
        .expect("the message names the object");
    assert!(named.starts_with("/pipc_"), "{e}");
    assert_eq!(
        SharedMemory::open(named).unwrap_err().kind(),
        ErrorKind::NotFound
    );
}
