use super::*;

#[test]
fn close_and_unlink() {
    let sem = fixture();
    let name = sem.name().clone();
    let id = sem_file_id(&name);
    assert!(is_mapped(id));
    sem.unlink().unwrap();
    sem.into_inner().close().unwrap();
    let e = Semaphore::open(&name).unwrap_err();
    assert!(e.is_existential());
    assert!(!is_mapped(id));
}
