//! Compiles the C shim (src/shim/shim.c) for the macros and the variadic
//! `semctl` that bindgen cannot express. Needs only a C compiler, never libclang.

fn main() {
    println!("cargo:rerun-if-changed=src/shim/shim.c");
    cc::Build::new()
        .file("src/shim/shim.c")
        .warnings(true)
        .extra_warnings(true)
        .compile("posix_ipc_shim");
}
