//! Builds the C peer (peers/peer.c) into an executable with the C compiler
//! that `cc` finds, and tells the tests where it is (`IPCRS_C_PEER`).
//!
//! The peer is always built for the build machine (HOST), not for the target
//! the tests are built for: when `cargo xtask test` builds them for musl, i686
//! or aarch64, the Rust side of each test then talks to the machine's own
//! glibc C program, which is the interoperability across C libraries and
//! word sizes that matters.

use std::path::PathBuf;

fn main() {
    let source = "peers/peer.c";
    println!("cargo:rerun-if-changed={source}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let exe = out.join("ipc-c-peer");
    let host = std::env::var("HOST").expect("cargo sets HOST");
    let compiler = cc::Build::new()
        .target(&host)
        .host(&host)
        .warnings(true)
        .extra_warnings(true)
        .opt_level(2)
        .get_compiler();
    let status = compiler
        .to_command()
        .args(["-Werror", "-o"])
        .arg(&exe)
        .arg(source)
        .args(["-lrt", "-pthread"])
        .status()
        .expect("run the C compiler");
    assert!(status.success(), "compiling {source} failed ({status})");
    println!("cargo:rustc-env=IPCRS_C_PEER={}", exe.display());
}
