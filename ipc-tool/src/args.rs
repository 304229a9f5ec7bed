//! The command line, parsed by hand: four commands, a handful of options.

use std::ffi::OsString;

use ipc_inventory::{Kind, Prefix};

/// The short usage shown with every usage error.
pub(crate) const USAGE: &str = "\
usage: ipc ls [--prefix P]... [--kind K]... [--stale] [--assume-idle PID]... [--json]
       ipc show NAME|KEY|ID [--kind K]... [--assume-idle PID]... [--json]
       ipc rm NAME|KEY|ID [--kind K]... [--force] [--assume-idle PID]... [--dry-run] [--json]
       ipc clean --prefix P [--prefix P]... (--stale | --force) [--kind K]...
                 [--assume-idle PID]... [--dry-run] [--json]
       ipc help";

/// `ipc help`.
pub(crate) const HELP: &str = "\
ipc: list, inspect and remove the POSIX and System V IPC objects on this machine

commands:
  ls                 list every object: kind, name or key, id, owner, mode, size,
                     state (in-use, stale, unknown) and the processes holding it
  show TARGET        everything about the objects TARGET names, and why they are
                     (or are not) stale
  rm TARGET          remove the objects TARGET names if they are stale; with
                     --force, whoever uses them
  clean --prefix P   remove the objects whose name or key starts with P:
                     --stale removes only stale ones and keeps the others,
                     --force removes every match
  help               this text

TARGET: /name or name (a POSIX name), 0x1c5a0001 (a System V key, in hex),
        12345 (a System V id)
P:      /myapp- or myapp- (a POSIX name prefix), 0x1c5a (a System V key prefix
        in hex, matched against the eight-digit key); repeat --prefix for more

options:
  --kind K     only objects of kind K: posix-shm, posix-sem, posix-mq, sysv-sem,
               sysv-shm, sysv-msg, or posix / sysv (repeatable)
  --stale      ls: only stale objects; clean: remove only stale objects
  --force      rm, clean: remove objects even when they are in use or not
               provably stale
  --assume-idle PID
               state that process PID makes no System V message queue calls, so
               its tasks need not be checked for a blocked msgsnd/msgrcv (for a
               container init that cannot be traced; repeatable)
  --dry-run    rm, clean: say what would be removed, remove nothing
  --json       machine-readable output on stdout

stale: no live process uses the object, by a conservative rule (see the docs
of the ipc-inventory crate); when in doubt an object is not stale. Run as root
to see every process.

exit codes: 0 ok, 1 nothing matched, 2 usage error, 3 permission denied,
            4 refused (in use or not provably stale; add --force), 5 other error";

/// What an object argument names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// A POSIX name, with its leading `/`.
    Name(Vec<u8>),
    /// A System V key.
    Key(i32),
    /// A System V identifier.
    Id(i32),
}

impl Target {
    fn parse(arg: &str) -> Result<Target, String> {
        if let Some(hex) = arg.strip_prefix("0x").or_else(|| arg.strip_prefix("0X")) {
            return u32::from_str_radix(hex, 16)
                .ok()
                .filter(|_| !hex.is_empty() && !hex.starts_with('+'))
                .map(|k| Target::Key(k.cast_signed()))
                .ok_or_else(|| {
                    format!(
                        "{arg:?} is not a System V key: give 1 to 8 hex digits after 0x \
                         (0x1c5a0001)"
                    )
                });
        }
        if !arg.is_empty() && arg.bytes().all(|b| b.is_ascii_digit()) {
            return arg.parse::<i32>().map(Target::Id).map_err(|_| {
                format!("{arg:?} is not a System V id: ids are at most {}", i32::MAX)
            });
        }
        let body = arg.strip_prefix('/').unwrap_or(arg);
        if body.is_empty() || body.len() > 255 || body.contains('/') {
            return Err(format!(
                "{arg:?} is not a POSIX name: give '/' and 1 to 255 bytes without another '/' \
                 (/myapp-jobs), a System V key (0x1c5a0001) or an id (12345)"
            ));
        }
        let mut name = Vec::with_capacity(body.len() + 1);
        name.push(b'/');
        name.extend_from_slice(body.as_bytes());
        Ok(Target::Name(name))
    }
}

/// The subcommand and its arguments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Help,
    Ls,
    Show(Target),
    Rm(Target),
    Clean,
}

/// A parsed command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Args {
    pub(crate) command: Command,
    pub(crate) prefixes: Vec<Prefix>,
    pub(crate) kinds: Vec<Kind>,
    pub(crate) stale: bool,
    pub(crate) force: bool,
    pub(crate) dry_run: bool,
    pub(crate) json: bool,
    pub(crate) assume_idle: Vec<libc::pid_t>,
}

impl Args {
    /// Whether `kind` passes the `--kind` filters.
    #[cfg_attr(not(target_os = "linux"), allow(dead_code))]
    pub(crate) fn wants(&self, kind: Kind) -> bool {
        self.kinds.is_empty() || self.kinds.contains(&kind)
    }
}

fn kinds(value: &str) -> Result<Vec<Kind>, String> {
    match value {
        "posix" => Ok(Kind::ALL.into_iter().filter(|k| k.is_posix()).collect()),
        "sysv" => Ok(Kind::ALL.into_iter().filter(|k| k.is_sysv()).collect()),
        _ => value.parse::<Kind>().map(|k| vec![k]).map_err(|_| {
            format!(
                "unknown kind {value:?}: use posix-shm, posix-sem, posix-mq, sysv-sem, \
                     sysv-shm, sysv-msg, posix or sysv"
            )
        }),
    }
}

/// Parses the arguments after the program name; the error is the message
/// of a usage error.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut words = Vec::new();
    for arg in args {
        words.push(arg.into_string().map_err(|a| {
            format!("argument {a:?} is not valid UTF-8 (non-UTF-8 names are shown by `ipc ls`)")
        })?);
    }
    let mut parsed = Args {
        command: Command::Help,
        prefixes: Vec::new(),
        kinds: Vec::new(),
        stale: false,
        force: false,
        dry_run: false,
        json: false,
        assume_idle: Vec::new(),
    };
    let mut command: Option<String> = None;
    let mut positional: Vec<String> = Vec::new();
    let mut words = words.into_iter();
    while let Some(word) = words.next() {
        let (option, inline) = match word.split_once('=') {
            Some((o, v)) if o.starts_with("--") => (o.to_owned(), Some(v.to_owned())),
            _ => (word.clone(), None),
        };
        let mut value = |name: &str| -> Result<String, String> {
            inline
                .clone()
                .or_else(|| words.next())
                .filter(|v| !v.starts_with("--"))
                .ok_or_else(|| format!("{name} needs a value"))
        };
        match option.as_str() {
            "--prefix" => {
                let v = value("--prefix")?;
                parsed
                    .prefixes
                    .push(Prefix::parse(&v).map_err(|e| e.message().to_owned())?);
            }
            "--kind" => parsed.kinds.extend(kinds(&value("--kind")?)?),
            "--assume-idle" => {
                let v = value("--assume-idle")?;
                let pid = v
                    .parse::<libc::pid_t>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(|| format!("--assume-idle takes a process id (1), not {v:?}"))?;
                parsed.assume_idle.push(pid);
            }
            "--stale" | "--force" | "--dry-run" | "--json" if inline.is_some() => {
                return Err(format!("{option} takes no value"));
            }
            "--stale" => parsed.stale = true,
            "--force" => parsed.force = true,
            "--dry-run" => parsed.dry_run = true,
            "--json" => parsed.json = true,
            "-h" | "--help" => command = Some("help".to_owned()),
            "--" => positional.extend(words.by_ref()),
            o if o.starts_with('-') && o.len() > 1 => {
                return Err(format!("unknown option {o}"));
            }
            _ if command.is_none() => command = Some(word),
            _ => positional.push(word),
        }
    }
    let name = command.unwrap_or_default();
    let one_target = |positional: &[String]| -> Result<Target, String> {
        match positional {
            [target] => Target::parse(target),
            [] => Err(format!(
                "`ipc {name}` needs what to {}: a name (/myapp-jobs), a key (0x1c5a0001) or \
                 an id",
                if name == "rm" { "remove" } else { "show" }
            )),
            [_, extra, ..] => Err(format!("`ipc {name}` takes one object, not also {extra:?}")),
        }
    };
    parsed.command = match name.as_str() {
        "help" | "" => Command::Help,
        "ls" => Command::Ls,
        "show" => Command::Show(one_target(&positional)?),
        "rm" => Command::Rm(one_target(&positional)?),
        "clean" => Command::Clean,
        other => {
            return Err(format!(
                "unknown command {other:?}: use ls, show, rm, clean or help"
            ));
        }
    };
    check_combinations(&parsed, &name, &positional)?;
    Ok(parsed)
}

fn check_combinations(a: &Args, name: &str, positional: &[String]) -> Result<(), String> {
    let refuse = |option: &str| Err(format!("`ipc {name}` does not take {option}"));
    match a.command {
        Command::Ls | Command::Clean if !positional.is_empty() => Err(format!(
            "`ipc {name}` takes no object argument ({:?}); use --prefix",
            positional[0]
        )),
        Command::Ls if a.force => refuse("--force"),
        Command::Ls if a.dry_run => refuse("--dry-run"),
        Command::Show(_) if a.force || a.dry_run || a.stale || !a.prefixes.is_empty() => {
            refuse("--force, --dry-run, --stale or --prefix")
        }
        Command::Rm(_) if a.stale || !a.prefixes.is_empty() => Err(
            "`ipc rm` removes only stale objects already; it takes neither --stale nor \
             --prefix (use `ipc clean --prefix P --stale`)"
                .to_owned(),
        ),
        Command::Clean if a.prefixes.is_empty() => Err(
            "`ipc clean` needs --prefix P: it only removes objects whose name or key starts \
             with P, never everything"
                .to_owned(),
        ),
        Command::Clean if a.stale == a.force => Err(
            "`ipc clean` needs exactly one of --stale (remove only objects no live process \
             uses) and --force (remove every match, in use or not)"
                .to_owned(),
        ),
        Command::Help if !positional.is_empty() => Err(format!(
            "`ipc help` takes no argument ({:?})",
            positional[0]
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(line: &str) -> Result<Args, String> {
        parse(line.split_whitespace().map(OsString::from))
    }

    #[test]
    fn targets() {
        assert_eq!(Target::parse("/jobs"), Ok(Target::Name(b"/jobs".to_vec())));
        assert_eq!(Target::parse("jobs"), Ok(Target::Name(b"/jobs".to_vec())));
        assert_eq!(Target::parse("0x1C5A0001"), Ok(Target::Key(0x1C5A_0001)));
        assert_eq!(
            Target::parse("0xdeadbeef"),
            Ok(Target::Key(0xDEAD_BEEF_u32.cast_signed()))
        );
        assert_eq!(Target::parse("32769"), Ok(Target::Id(32769)));
        for bad in [
            "0x",
            "0x123456789",
            "0xzz",
            "0x+1",
            "99999999999",
            "/",
            "/a/b",
            "a/b",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
        let long = format!("/{}", "x".repeat(256));
        assert!(Target::parse(&long).unwrap_err().contains("255"));
    }

    #[test]
    fn commands_and_options() {
        let a = parse_str("ls --kind posix --json --prefix app-").unwrap();
        assert_eq!(a.command, Command::Ls);
        assert_eq!(a.kinds.len(), 3);
        assert!(a.json && a.wants(Kind::PosixSemaphore) && !a.wants(Kind::SysvSharedMemory));
        assert_eq!(a.prefixes, [Prefix::Name(b"/app-".to_vec())]);
        let a = parse_str("--json rm /x --force").unwrap();
        assert_eq!(a.command, Command::Rm(Target::Name(b"/x".to_vec())));
        assert!(a.force && a.json);
        let a = parse_str("clean --prefix=/a --prefix 0x1c5a --stale --dry-run").unwrap();
        assert_eq!(a.prefixes.len(), 2);
        assert!(a.stale && a.dry_run);
        assert_eq!(parse_str("").unwrap().command, Command::Help);
        assert_eq!(parse_str("ls --help").unwrap().command, Command::Help);
        let a = parse_str("clean --prefix /a --stale --assume-idle 1 --assume-idle=42").unwrap();
        assert_eq!(a.assume_idle, [1, 42]);
        assert!(parse_str("ls").unwrap().assume_idle.is_empty());
    }

    #[test]
    fn usage_errors_say_what_is_wrong() {
        let cases = [
            ("frob", "unknown command"),
            ("ls --bogus", "unknown option --bogus"),
            ("ls /x", "takes no object argument"),
            ("ls --force", "does not take --force"),
            ("show", "needs what to show"),
            ("rm", "needs what to remove"),
            ("rm /a /b", "takes one object"),
            ("rm /x --stale", "removes only stale objects already"),
            ("show 0xnope", "not a System V key"),
            ("clean", "needs --prefix"),
            ("clean --prefix", "--prefix needs a value"),
            ("clean --prefix --stale", "--prefix needs a value"),
            ("clean --prefix /", "not a POSIX name prefix"),
            ("clean --prefix /a", "exactly one of --stale"),
            (
                "clean --prefix /a --stale --force",
                "exactly one of --stale",
            ),
            ("ls --kind shm", "unknown kind"),
            ("ls --json=yes", "takes no value"),
            ("ls --assume-idle", "--assume-idle needs a value"),
            ("ls --assume-idle init", "takes a process id"),
            ("ls --assume-idle 0", "takes a process id"),
            ("ls --assume-idle -5", "takes a process id"),
        ];
        for (line, expected) in cases {
            let e = parse_str(line).unwrap_err();
            assert!(e.contains(expected), "{line}: {e}");
        }
    }
}
