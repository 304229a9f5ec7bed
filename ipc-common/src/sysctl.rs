//! Reading kernel limits from `/proc/sys`, the one place both safe crates do it.

use crate::{Error, ErrorKind, Result};

/// The whitespace-separated numbers in a `/proc/sys` file (one for most
/// limits, four for `/proc/sys/kernel/sem`), read now, since an administrator
/// may change them at any time (`sysctl`).
///
/// A missing or unreadable file is [`ErrorKind::Unsupported`] (the kernel lacks
/// the feature or `/proc` is not mounted); a file that does not hold `count`
/// numbers is [`ErrorKind::Other`]. Both name the file. `op` names the caller
/// in the error.
///
/// ```
/// let [msgmax] = ipc_common::__private::read_proc_numbers("limits", "/proc/sys/kernel/msgmax")?;
/// assert!(msgmax > 0);
/// let [semmsl, _semmns, _semopm, _semmni] =
///     ipc_common::__private::read_proc_numbers("limits", "/proc/sys/kernel/sem")?;
/// assert!(semmsl > 0);
/// let e = ipc_common::__private::read_proc_numbers::<1>("limits", "/proc/sys/kernel/no_such").unwrap_err();
/// assert!(e.message().contains("/proc/sys/kernel/no_such"));
/// # Ok::<(), ipc_common::Error>(())
/// ```
pub fn read_proc_numbers<const N: usize>(op: &'static str, path: &str) -> Result<[u64; N]> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ErrorKind::Unsupported,
            op,
            format!("cannot read {path} ({e}); this kernel may lack the feature, or /proc is not mounted"),
        )
    })?;
    let mut fields = text.split_whitespace().map(str::parse::<u64>);
    let mut out = [0u64; N];
    for slot in &mut out {
        match fields.next() {
            Some(Ok(v)) => *slot = v,
            _ => {
                return Err(Error::new(
                    ErrorKind::Other,
                    op,
                    format!("{path} does not hold {N} non-negative number(s): {text:?}"),
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_one_or_several_numbers_and_names_the_file_on_error() {
        let [v] = read_proc_numbers::<1>("t", "/proc/sys/fs/mqueue/msg_max").unwrap();
        assert_eq!(
            v.to_string(),
            std::fs::read_to_string("/proc/sys/fs/mqueue/msg_max")
                .unwrap()
                .trim()
        );
        let four = read_proc_numbers::<4>("t", "/proc/sys/kernel/sem").unwrap();
        assert!(four.iter().all(|&n| n > 0));
        let e = read_proc_numbers::<5>("t", "/proc/sys/kernel/sem").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Other);
        assert!(e.message().contains("5 non-negative"));
        let e = read_proc_numbers::<1>("t", "/proc/sys/nope").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unsupported);
        assert_eq!(e.operation(), "t");
    }
}
