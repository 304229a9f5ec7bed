//! The `ipc` command; see `ipc help` and the `ipc_tool` library docs.

use std::process::ExitCode;

fn main() -> ExitCode {
    let code = ipc_tool::run(
        std::env::args_os().skip(1),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
    );
    ExitCode::from(code)
}
