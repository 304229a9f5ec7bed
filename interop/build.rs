//! Builds the C peer (peers/peer.c) into an executable with the C compiler
//! that `cc` finds, and tells the tests where it is (`IPCRS_C_PEER`).

use std::path::PathBuf;

fn main() {
    let source = "peers/peer.c";
    println!("cargo:rerun-if-changed={source}");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    let exe = out.join("ipc-c-peer");
    let compiler = cc::Build::new()
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
