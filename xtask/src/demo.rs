//! `cargo xtask demo`: short two-process conversations over each of the six
//! primitives, Rust with Rust and, when the Python peers are installed, Rust
//! with Python in both directions, printing what each side does.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::{cmd, ipcs, python};

/// How many round trips each conversation makes: enough to show real
/// back-and-forth, short enough for the whole demo to take seconds.
const ITERATIONS: &str = "100";

/// One two-process protocol: a Rust example and a Python script with the same
/// roles and options.
struct Conversation {
    /// What it shows.
    title: &'static str,
    /// The example of the `demos` crate.
    example: &'static str,
    /// The script in `demos/python/`.
    script: &'static str,
    /// The two roles, started in this order (the first creates the objects).
    roles: [&'static str; 2],
    /// Whether the protocol takes `--iterations`.
    iterates: bool,
    /// The options both sides get (names and keys), made fresh for each run.
    options: fn(u32) -> Vec<String>,
}

fn conversations() -> [Conversation; 5] {
    [
        Conversation {
            title: "POSIX shared memory guarded by a POSIX semaphore",
            example: "posix_shm_sem",
            script: "posix_shm_sem.py",
            roles: ["premise", "conclusion"],
            iterates: true,
            options: |n| {
                vec![
                    "--semaphore".into(),
                    format!("/ipcrs-demo-{n}-sem"),
                    "--memory".into(),
                    format!("/ipcrs-demo-{n}-shm"),
                ]
            },
        },
        Conversation {
            title: "a POSIX message queue",
            example: "posix_mq",
            script: "posix_mq.py",
            roles: ["premise", "conclusion"],
            iterates: true,
            options: |n| vec!["--queue".into(), format!("/ipcrs-demo-{n}-mq")],
        },
        Conversation {
            title: "System V shared memory guarded by a System V semaphore",
            example: "sysv_shm_sem",
            script: "sysv_shm_sem.py",
            roles: ["premise", "conclusion"],
            iterates: true,
            options: |n| vec!["--key".into(), format!("{:#x}", demo_key(n))],
        },
        Conversation {
            title: "a System V message queue",
            example: "sysv_mq",
            script: "sysv_mq.py",
            roles: ["premise", "conclusion"],
            iterates: true,
            options: |n| vec!["--key".into(), format!("{:#x}", demo_key(n))],
        },
        Conversation {
            title: "a POSIX message queue waited on with poll(2)",
            example: "posix_mq_listener",
            script: "posix_mq_listener.py",
            roles: ["listener", "transmitter"],
            iterates: false,
            options: |n| {
                vec![
                    "--queue".into(),
                    format!("/ipcrs-demo-{n}-poll"),
                    "--priority".into(),
                    "5".into(),
                ]
            },
        },
    ]
}

/// Demos that are one Rust program starting its own processes: (title,
/// example of the `demos` crate). Run once each, after the conversations.
const SOLO: [(&str, &str); 1] = [(
    "a robust mutex: workers carry on after a kill -9 of the one holding it",
    "robust_counter",
)];

/// A key in this project's range (so `cargo xtask clean` can find leftovers),
/// different for each run and conversation.
fn demo_key(n: u32) -> u32 {
    0x1C5A_0000 | (0xD000 + (std::process::id().wrapping_mul(16).wrapping_add(n) & 0x0FFF))
}

/// Which language plays a role.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Rust,
    Python,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::Rust => "Rust",
            Side::Python => "Python",
        }
    }
}

/// Runs the demo.
pub(crate) fn run() -> Result<(), String> {
    let started = Instant::now();
    println!("==> building the demo programs");
    cmd::run(&mut cmd::cargo([
        "build",
        "--quiet",
        "--package",
        "demos",
        "--examples",
    ]))?;
    let examples = cmd::workspace_root().join("target/debug/examples");

    println!("==> the Python peers (posix_ipc, sysv_ipc)");
    let python = match python::ensure_venv() {
        Ok(Ok(python)) => Some(python),
        Ok(Err(why)) => {
            println!("    {why}: showing Rust with Rust only");
            None
        }
        Err(e) => {
            println!("    could not set up the Python peers ({e}): showing Rust with Rust only");
            None
        }
    };

    let before = ipcs::snapshot()?;
    let mut pairs = vec![(Side::Rust, Side::Rust)];
    if python.is_some() {
        pairs.push((Side::Rust, Side::Python));
        pairs.push((Side::Python, Side::Rust));
    }
    let mut n = 0;
    let mut shown = 0;
    for conversation in conversations() {
        for &(premise, conclusion) in &pairs {
            n += 1;
            println!(
                "\n==> {}: {} {}, {} {}",
                conversation.title,
                premise.label(),
                conversation.roles[0],
                conclusion.label(),
                conversation.roles[1]
            );
            let options = (conversation.options)(n);
            let spawn = |side: Side, role: &str| -> Result<Child, String> {
                let mut command = match side {
                    Side::Rust => Command::new(examples.join(conversation.example)),
                    Side::Python => {
                        let mut c = Command::new(python.as_deref().unwrap_or(Path::new("python3")));
                        c.arg(demos_python_dir().join(conversation.script));
                        c
                    }
                };
                command.arg(role);
                if conversation.iterates {
                    command.args(["--iterations", ITERATIONS]);
                }
                command
                    .args(&options)
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped());
                command
                    .spawn()
                    .map_err(|e| format!("cannot start the {} {role}: {e}", side.label()))
            };
            let [first, second] = conversation.roles;
            let premise_side = Running::watch(spawn(premise, first)?, first);
            let conclusion_side = Running::watch(spawn(conclusion, second)?, second);
            let ok_premise = premise_side.finish();
            let ok_conclusion = conclusion_side.finish();
            ok_premise.and(ok_conclusion)?;
            shown += 1;
        }
    }

    for (title, example) in SOLO {
        println!("\n==> {title}");
        let child = Command::new(examples.join(example))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start {example}: {e}"))?;
        Running::watch(child, example).finish()?;
    }

    let after = ipcs::snapshot()?;
    let leaks = ipcs::leaked(&before, &after);
    if !leaks.is_empty() {
        let list: Vec<String> = leaks.iter().map(ToString::to_string).collect();
        return Err(format!(
            "the demo left IPC objects behind: {} (remove them with `cargo xtask clean`)",
            list.join(", ")
        ));
    }
    println!(
        "\n==> {shown} conversations over all six primitives and {} crash demo in {:.1}s; \
         nothing left behind",
        SOLO.len(),
        started.elapsed().as_secs_f64()
    );
    if python.is_none() {
        println!("    (Rust with Python was not shown: the Python peers are not available)");
    }
    Ok(())
}

fn demos_python_dir() -> PathBuf {
    cmd::workspace_root().join("demos").join("python")
}

/// A running side whose output is being streamed.
struct Running {
    child: Child,
    role: &'static str,
    stdout: Option<std::thread::JoinHandle<()>>,
    stderr: Option<std::thread::JoinHandle<Vec<String>>>,
}

impl Running {
    /// Starts printing the side's output as it comes, so both sides of a
    /// conversation interleave on the terminal.
    fn watch(mut child: Child, role: &'static str) -> Running {
        let stdout = child.stdout.take().map(|out| {
            std::thread::spawn(move || {
                for line in BufReader::new(out).lines().map_while(Result::ok) {
                    println!("    {line}");
                }
            })
        });
        let stderr = child.stderr.take().map(|err| {
            std::thread::spawn(move || {
                BufReader::new(err)
                    .lines()
                    .map_while(Result::ok)
                    .collect::<Vec<_>>()
            })
        });
        Running {
            child,
            role,
            stdout,
            stderr,
        }
    }

    /// Waits at most a minute for the side to exit and fails unless it exited
    /// successfully (showing its error output).
    fn finish(mut self) -> Result<(), String> {
        let role = self.role;
        let deadline = Instant::now() + Duration::from_secs(60);
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if Instant::now() > deadline => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    break Err(format!(
                        "the {role} did not finish within 60 s and was stopped"
                    ));
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(10)),
                Err(e) => break Err(format!("waiting for the {role}: {e}")),
            }
        };
        if let Some(t) = self.stdout.take() {
            let _ = t.join();
        }
        let errors = self
            .stderr
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or_default();
        let status = status?;
        if status.success() {
            return Ok(());
        }
        for line in &errors {
            println!("    {role} stderr: {line}");
        }
        Err(format!("the {role} failed ({status})"))
    }
}
