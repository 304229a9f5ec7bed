//! The one options core behind the `Type::options()` builders of both safe
//! crates (re-exported as `ipc_common::__private::options`; not public API).
//!
//! All seven builders (POSIX `Semaphore`, `SharedMemory`, `MessageQueue`;
//! System V `Semaphore`, `SemaphoreSet`, `SharedMemory`, `MessageQueue`) store
//! `create`, `create_new`, `flags`, `mode` and `allow_foreign_owner` here, so
//! they combine them the same way, with [`std::fs::OpenOptions`] semantics:
//!
//! - `create_new(true)` wins over `create`: the object is created exclusively
//!   whatever `create` says;
//! - `flags(x)` replaces the flag-derived state exactly as if
//!   `create(x & CREAT != 0).create_new(x & CREX == CREX)` had been called,
//!   and hands the type its extra bits (`O_TRUNC`, `O_NONBLOCK`,
//!   `SHM_HUGETLB`, ...) to set its own options from; a later setter changes
//!   what it sets, as after any other setter;
//! - bad flags and bad modes are stored and reported by `open()` (and
//!   `create_unique()`) as [`ErrorKind::InvalidInput`], never by the setter,
//!   which returns `&mut Self` for chaining. A bad `flags()` value stays
//!   reported until a later `flags()` call replaces it: `create()` and
//!   `create_new()` do not make a wrong value right.

use crate::{Error, ErrorKind, Mode, Result};

/// What a type's `flags()` accepts: its create and exclusive bits and the
/// extra bits it understands, with the words its error messages use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlagBits {
    /// The "create" bit (`O_CREAT`, `IPC_CREAT`).
    pub create: i32,
    /// The "exclusive" bit (`O_EXCL`, `IPC_EXCL`).
    pub exclusive: i32,
    /// The type's other accepted bits (`O_TRUNC`, `O_NONBLOCK`, ...), 0 if none.
    pub extra: i32,
    /// The names of the create, exclusive and combined flags, for messages
    /// (`["O_CREAT", "O_EXCL", "O_CREX"]`).
    pub names: [&'static str; 3],
    /// The object kind, for messages (`"semaphore"`).
    pub what: &'static str,
    /// Added to the "unknown bits" message (e.g. where permission bits go).
    pub hint: &'static str,
}

/// The options every open call of the family shares; see the module docs.
///
/// ```
/// use ipc_common::__private::options::{FlagBits, OpenOptions};
/// const BITS: FlagBits = FlagBits {
///     create: 0o100,
///     exclusive: 0o200,
///     extra: 0o1000,
///     names: ["O_CREAT", "O_EXCL", "O_CREX"],
///     what: "thing",
///     hint: "",
/// };
/// let mut o = OpenOptions::new();
/// assert_eq!(o.flags(0o100, &BITS), Some(0));
/// o.create(false);
/// assert_eq!(o.creation(), (false, false)); // flags(O_CREAT).create(false) only opens
/// o.create_new(true).create(false);
/// assert_eq!(o.creation(), (true, true)); // create_new wins
/// assert_eq!(o.flags(0o1000, &BITS), Some(0o1000));
/// assert_eq!(o.creation(), (false, false)); // flags replace
/// assert_eq!(o.flags(0o200, &BITS), None); // O_EXCL alone: stored, reported by check
/// assert!(o.check().unwrap_err().message().contains("O_CREAT"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenOptions {
    create: bool,
    create_new: bool,
    mode: u32,
    allow_foreign_owner: bool,
    /// Bad `flags()` input, reported by [`check`](Self::check).
    error: Option<Error>,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions::new()
    }
}

impl OpenOptions {
    /// Open an existing object; mode `0o600` for a new one; foreign owners
    /// refused.
    pub const fn new() -> OpenOptions {
        OpenOptions {
            create: false,
            create_new: false,
            mode: Mode::OWNER_READ_WRITE.bits(),
            allow_foreign_owner: false,
            error: None,
        }
    }

    /// Create the object if it does not exist.
    pub fn create(&mut self, create: bool) -> &mut Self {
        self.create = create;
        self
    }

    /// Create a new object, failing if it exists; wins over
    /// [`create`](Self::create).
    pub fn create_new(&mut self, create_new: bool) -> &mut Self {
        self.create_new = create_new;
        self
    }

    /// The permission bits, checked by [`check`](Self::check).
    pub fn mode(&mut self, bits: u32) -> &mut Self {
        self.mode = bits;
        self
    }

    /// Adopt an existing object of another user in an open-or-create.
    pub fn allow_foreign_owner(&mut self, allow: bool) -> &mut Self {
        self.allow_foreign_owner = allow;
        self
    }

    /// Sets `create` and `create_new` from `flags` as described in the
    /// module docs and returns the extra bits for the caller to apply, or
    /// stores the error (`None`) when `flags` has the exclusive bit without
    /// the create bit, or a bit `bits` does not accept. Either way a
    /// previous `flags()` error is replaced.
    pub fn flags(&mut self, flags: i32, bits: &FlagBits) -> Option<i32> {
        let [create_name, excl_name, crex_name] = bits.names;
        let crex = bits.create | bits.exclusive;
        if flags & bits.exclusive != 0 && flags & bits.create == 0 {
            self.error = Some(Error::invalid_input(
                "flags",
                format!("{excl_name} must be combined with {create_name} (use {crex_name})"),
            ));
            return None;
        }
        let unknown = flags & !(crex | bits.extra);
        if unknown != 0 {
            self.error = Some(Error::invalid_input(
                "flags",
                format!(
                    "flags 0x{flags:x} contain bits 0x{unknown:x} that a {} does not accept{}",
                    bits.what, bits.hint
                ),
            ));
            return None;
        }
        self.error = None;
        self.create = flags & bits.create != 0;
        self.create_new = flags & crex == crex;
        Some(flags & bits.extra)
    }

    /// Stores an error for [`check`](Self::check) to report (a type's own
    /// reading of its flags found something wrong).
    pub fn set_error(&mut self, error: Error) -> &mut Self {
        self.error = Some(error);
        self
    }

    /// `(create, exclusive)`: whether the open may create the object, and
    /// whether it must (`create_new` wins over `create`).
    pub fn creation(&self) -> (bool, bool) {
        (self.create || self.create_new, self.create_new)
    }

    /// Whether an open-or-create may adopt another user's object.
    pub fn allows_foreign_owner(&self) -> bool {
        self.allow_foreign_owner
    }

    /// The mode bits as given (unchecked).
    pub fn mode_bits(&self) -> u32 {
        self.mode
    }

    /// The stored `flags()` error, if any.
    pub fn check(&self) -> Result<()> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    /// [`check`](Self::check), then the mode checked with
    /// [`check_mode`] for a `what`.
    pub fn checked_mode(&self, what: &str) -> Result<Mode> {
        self.check()?;
        check_mode(self.mode, what)
    }
}

/// Checks permission bits given for a `what` (a new object's mode, or
/// `set_mode`): only the nine `rwxrwxrwx` bits mean anything for IPC
/// objects. Setuid, setgid and sticky bits (`0o7000`) are refused like any
/// higher bit (System V would read them as flags).
///
/// ```
/// use ipc_common::__private::options::check_mode;
/// assert_eq!(check_mode(0o640, "queue")?.bits(), 0o640);
/// let e = check_mode(0o1600, "queue").unwrap_err();
/// assert!(e.is_invalid_input() && e.message().contains("0o1600"));
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub fn check_mode(bits: u32, what: &str) -> Result<Mode> {
    if bits > 0o777 {
        return Err(Error::new(
            ErrorKind::InvalidInput,
            "mode",
            format!(
                "mode 0o{bits:o} has bits above 0o777; setuid, setgid and sticky bits (and \
                 anything higher) mean nothing for a {what}; give rwxrwxrwx bits such as 0o600"
            ),
        ));
    }
    Mode::new(bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    const BITS: FlagBits = FlagBits {
        create: 0o100,
        exclusive: 0o200,
        extra: 0o4000,
        names: ["O_CREAT", "O_EXCL", "O_CREX"],
        what: "thing",
        hint: "; try harder",
    };

    #[test]
    fn create_new_wins_over_create() {
        let mut o = OpenOptions::new();
        assert_eq!(o.creation(), (false, false));
        o.create(true);
        assert_eq!(o.creation(), (true, false));
        o.create_new(true).create(false);
        assert_eq!(o.creation(), (true, true));
        o.create_new(false);
        assert_eq!(o.creation(), (false, false));
    }

    #[test]
    fn flags_replace_as_if_the_setters_were_called() {
        for flags in [0, 0o100, 0o300, 0o4000, 0o4100, 0o4300] {
            let mut by_flags = OpenOptions::new();
            by_flags.create_new(true).create(true);
            let extra = by_flags.flags(flags, &BITS);
            let mut by_setters = OpenOptions::new();
            by_setters
                .create(flags & 0o100 != 0)
                .create_new(flags & 0o300 == 0o300);
            assert_eq!(by_flags, by_setters, "{flags:o}");
            assert_eq!(extra, Some(flags & 0o4000));
        }
        let mut o = OpenOptions::new();
        o.flags(0o100, &BITS);
        o.create(false);
        assert_eq!(o.creation(), (false, false));
    }

    #[test]
    fn bad_flags_are_stored_until_replaced() {
        let mut o = OpenOptions::new();
        assert_eq!(o.flags(0o200, &BITS), None);
        let e = o.check().unwrap_err();
        assert!(
            e.is_invalid_input() && e.message().contains("use O_CREX"),
            "{e}"
        );
        assert_eq!(o.flags(0o10, &BITS), None);
        let e = o.checked_mode("thing").unwrap_err();
        assert!(e.message().contains("0x8") && e.message().ends_with("try harder"));
        assert_eq!(o.flags(0o100, &BITS), Some(0));
        assert!(o.check().is_ok());
        o.set_error(Error::invalid_input("flags", "mine"));
        assert_eq!(o.check().unwrap_err().message(), "mine");
    }

    #[test]
    fn modes_are_checked_when_used() {
        let mut o = OpenOptions::new();
        assert_eq!(o.checked_mode("thing").unwrap().bits(), 0o600);
        // Every rwxrwxrwx combination is accepted, up to and including 0o777.
        assert_eq!(o.mode(0o777).checked_mode("thing").unwrap().bits(), 0o777);
        assert_eq!(o.mode(0).checked_mode("thing").unwrap().bits(), 0);
        o.mode(0o4600);
        let e = o.checked_mode("message queue").unwrap_err();
        assert!(e.is_invalid_input());
        assert!(e.message().contains("above 0o777") && e.message().contains("message queue"));
        assert_eq!(o.mode_bits(), 0o4600);
    }

    #[test]
    fn foreign_owners_are_refused_unless_allowed() {
        let mut o = OpenOptions::default();
        assert!(!o.allows_foreign_owner(), "safe by default");
        assert!(o.allow_foreign_owner(true).allows_foreign_owner());
        assert!(!o.allow_foreign_owner(false).allows_foreign_owner());
        // flags() leaves the choice alone.
        o.allow_foreign_owner(true).flags(0o300, &BITS);
        assert!(o.allows_foreign_owner());
    }
}
