use super::*;

#[test]
fn no_flags() {
    let sem = fixture();
    let opened = Semaphore::open(sem.name()).unwrap();
    assert_eq!(opened.name(), sem.name());
    // Same semaphore: a unit taken through one handle is gone for the other.
    opened.try_acquire().unwrap();
    assert_eq!(sem.try_acquire().unwrap_err().kind(), ErrorKind::WouldBlock);
}

#[test]
fn o_creat_existing() {
    let sem = fixture();
    let opened = Semaphore::options()
        .flags(O_CREAT)
        .open(sem.name())
        .unwrap();
    assert_eq!(opened.name(), sem.name());
    assert_eq!(opened.value().unwrap(), 1);
}

#[test]
fn o_creat_new() {
    let name = fresh_name();
    let e = Semaphore::open(&name).unwrap_err();
    assert!(e.is_existential());
    let sem = Semaphore::options()
        .flags(O_CREAT)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.name().to_str(), Some(name.as_str()));
}

#[test]
fn o_excl() {
    let sem = fixture();
    let e = Semaphore::options()
        .flags(O_CREAT | O_EXCL)
        .open(sem.name())
        .unwrap_err();
    assert!(e.is_existential());
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
}

#[test]
fn o_crex() {
    let sem = fixture();
    let e = Semaphore::options()
        .flags(O_CREX)
        .open(sem.name())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AlreadyExists);
    assert!(e.message().contains("already exists"), "{e}");
    assert!(e.message().contains(sem.name().to_str().unwrap()), "{e}");
}

#[test]
fn randomly_generated_name() {
    let sem = Semaphore::options()
        .flags(O_CREX)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    let name = sem.name().to_str().unwrap();
    assert!(name.starts_with('/'));
    assert!(name.len() >= 2);
    assert!(name.len() <= 31, "{name} must fit macOS's limit");
}

#[test]
fn name_as_bytes() {
    let name = fresh_name();
    let bytes = CString::new(name.clone()).unwrap();
    let sem = Semaphore::create_new(bytes.as_c_str(), 0).unwrap();
    assert_eq!(sem.name().to_str(), Some(name.as_str()));
    let via_os = Semaphore::open(OsStr::from_bytes(name.as_bytes()))
        .unwrap()
        .unlink_on_drop();
    assert_eq!(via_os.name(), sem.name());
}

#[test]
fn default_initial_value() {
    let name = fresh_name();
    let sem = Semaphore::options()
        .flags(O_CREX)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn zero_initial_value() {
    let name = fresh_name();
    let sem = Semaphore::options()
        .flags(O_CREX)
        .initial_value(0)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.value().unwrap(), 0);
}

#[test]
fn nonzero_initial_value() {
    let name = fresh_name();
    let sem = Semaphore::options()
        .flags(O_CREX)
        .initial_value(42)
        .open(&name)
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.value().unwrap(), 42);
}

#[test]
fn kwargs() {
    let sem = Semaphore::options()
        .flags(O_CREX)
        .mode(0x180)
        .initial_value(0)
        .create_unique()
        .unwrap()
        .unlink_on_drop();
    assert_eq!(sem.mode().bits(), 0o600 & !umask());
    assert_eq!(sem.value().unwrap(), 0);
}
