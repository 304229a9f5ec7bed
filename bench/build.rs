//! Builds the C side of the benchmark (c/bench.c) into an executable with the
//! C compiler that `cc` finds, at `-O2`, and tells `ipc-bench` where it is
//! (`IPC_BENCH_C`, printed by `ipc-bench c-path`).

use std::path::PathBuf;

fn main() {
    let source = "c/bench.c";
    println!("cargo:rerun-if-changed={source}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let exe = out.join("ipc-bench-c");
    let compiler = cc::Build::new()
        .warnings(true)
        .extra_warnings(true)
        .opt_level(2)
        .debug(false)
        .get_compiler();
    let status = compiler
        .to_command()
        .args(["-O2", "-Werror", "-o"])
        .arg(&exe)
        .arg(source)
        .args(["-lrt", "-pthread"])
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "compiling {source} failed ({status})");
    println!("cargo:rustc-env=IPC_BENCH_C={}", exe.display());
}
