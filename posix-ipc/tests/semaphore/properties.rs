use super::*;

#[test]
fn property_name() {
    let sem = fixture();
    let name = sem.name().to_str().unwrap();
    assert!(name.len() >= 2);
    assert!(name.starts_with('/'));
    // Read-only: `name()` hands out `&Name`; there is no setter to call.
}

#[test]
fn property_value() {
    let sem = fixture();
    assert_eq!(sem.value().unwrap(), 1);
}
