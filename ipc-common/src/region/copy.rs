//! The copies behind [`Region`](super::Region)'s `read_at`, `write_at`,
//! `fill` and typed copies: between private memory and shared memory that
//! other processes may be writing at the same moment, at `memcpy` speed.
//!
//! # The problem
//!
//! A plain Rust read of bytes that another process writes at the same time
//! is a data race, which is undefined behaviour: Rust's memory model has no
//! notion of "another process", so the bytes of a shared mapping must be
//! treated like memory another thread writes, and the compiler may assume
//! that no one changes what a non-atomic access reads (re-read it, split it,
//! or keep a value in a register). So `ptr::copy_nonoverlapping` is not
//! allowed here. Relaxed atomic loads and stores are allowed (atomics never
//! race), and they were the first implementation, kept below as [`portable`];
//! but the compiler may not merge, widen or vectorise atomic accesses, so such
//! a copy moves a word at a time, 20 to 40% slower than `memcpy`.
//!
//! # The solution: copies the compiler cannot see into
//!
//! On x86, x86_64 and aarch64 the copies are inline assembly: `rep movsb` /
//! `rep stosb` for long runs (the instructions glibc's `memcpy`/`memset` use
//! at these sizes), 16-byte SSE2 or NEON loads and stores, and overlapping
//! head/tail moves for short runs. This is sound for three reasons:
//!
//! 1. **The compiler treats an `asm!` block as a black box.** The Rust
//!    Reference's rules for inline assembly say that the compiler must treat
//!    the block as a black box and take only its interface into account
//!    (`asm.rules.black-box`), and that the memory it may read and write is
//!    the memory an FFI function given the same pointers could
//!    (`asm.rules.mem-same-as-ffi`). The compiler thus makes no assumption
//!    about *how* the bytes are accessed: it cannot conclude "a non-atomic
//!    access, so no one else writes these bytes", and no Rust-level
//!    non-atomic access to the shared bytes exists anywhere in this code.
//!    The blocks have neither `nomem` nor `readonly`, so they are also
//!    compiler barriers for memory: nothing is moved across them.
//! 2. **What each block does is something the abstract machine can do.** An
//!    asm block (like an FFI call) must behave as some sequence of Rust
//!    abstract-machine operations would (the unsafe-code guidelines' position,
//!    written down as `asm.evaluation` in the proposed Reference text). Each
//!    block here behaves exactly as a sequence of relaxed `AtomicU8` loads and
//!    stores of the same bytes: every byte a `mov`, `movdqu`, `movq`,
//!    `rep movsb`, `rep stosb`, `ldr`/`ldp` or `str`/`stp` reads returns the
//!    value of some write to that byte, and every byte it writes is written
//!    whole. Both architectures guarantee this per-byte single-copy
//!    atomicity for every access (Intel SDM vol. 3A, "Guaranteed Atomic
//!    Operations": byte accesses are always atomic, and wider or string
//!    accesses may be split only into smaller accesses; Arm ARM, "Single-copy
//!    atomicity": every byte of every access is single-copy atomic). That is
//!    the semantics C++ proposes as `atomic_load_per_byte_memcpy` (P1478) and
//!    Rust as `AtomicPerByte` (RFC 3301), defined so that a seqlock's racing
//!    copy is not a data race. Relaxed atomic accesses cannot race with the
//!    other process's accesses (which this process's abstract machine sees
//!    only as the effects of some other thread), so there is no undefined
//!    behaviour, only possibly torn data: some bytes old, some new, each of
//!    them a value that was written. The private side is a `[u8]` (or a
//!    `Pod` value), for which every byte value is valid.
//! 3. **Ordering is that of relaxed accesses, and is published normally.**
//!    Within one copy the bytes may become visible in any order (the Intel
//!    SDM allows a fast string's stores to be performed out of order, section
//!    "Fast-String Operation and Out-of-Order Stores"; relaxed per-byte stores
//!    permit exactly that), but the stores of later instructions are ordered
//!    after them, so a later release (a semaphore post, a mutex unlock, a
//!    `Release` store) publishes the whole copy, as with `memcpy`. No
//!    non-temporal stores are used (they would need an `sfence`).
//!
//! Head and tail moves of short runs overlap: some bytes are read or written
//! twice. Reading a byte twice and keeping the second value, or writing the
//! same value twice, is again what a sequence of relaxed byte accesses may
//! do, so it changes nothing above.
//!
//! Other targets use [`portable`]'s relaxed atomic copies, which x86_64 also
//! compiles and tests against the same reference as the assembly.

#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse2"),
    all(target_arch = "aarch64", target_feature = "neon"),
))]
pub(super) use arch::fill;
#[cfg(not(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse2"),
    all(target_arch = "aarch64", target_feature = "neon"),
)))]
pub(super) use portable::{fill, load, store};
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse2"),
    all(target_arch = "aarch64", target_feature = "neon"),
))]
pub(super) use wide::{load, store};

/// The two directions of a copy, over the target's [`arch::copy`].
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse2"),
    all(target_arch = "aarch64", target_feature = "neon"),
))]
mod wide {
    use super::arch::copy;

    /// Copies `dst.len()` bytes from shared memory at `src` into `dst`.
    ///
    /// # Safety
    ///
    /// `src..src + dst.len()` must be mapped and readable.
    #[inline]
    pub(in crate::region) unsafe fn load(src: *const u8, dst: &mut [u8]) {
        // SAFETY: `dst` is writable private memory, the source is readable
        // (caller), and a private `&mut [u8]` cannot overlap it.
        unsafe { copy(dst.as_mut_ptr(), src, dst.len()) }
    }

    /// Copies `src` into shared memory at `dst`.
    ///
    /// # Safety
    ///
    /// `dst..dst + src.len()` must be mapped and writable.
    #[inline]
    pub(in crate::region) unsafe fn store(dst: *mut u8, src: &[u8]) {
        // SAFETY: the destination is writable (caller); `src` is readable
        // and, being a shared borrow, is not the destination being written.
        unsafe { copy(dst, src.as_ptr(), src.len()) }
    }
}

/// x86 and x86_64 (with SSE2, the x86_64 baseline and the default of Rust's
/// `i686` targets).
#[cfg(any(
    target_arch = "x86_64",
    all(target_arch = "x86", target_feature = "sse2")
))]
mod arch {
    use std::arch::asm;
    #[cfg(target_arch = "x86")]
    use std::arch::x86::{__m128i, _mm_set1_epi8};
    #[cfg(target_arch = "x86_64")]
    use std::arch::x86_64::{__m128i, _mm_set1_epi8};

    /// From this length on, copies use `rep movsb` and fills `rep stosb` on
    /// CPUs with fast strings (ERMS), as glibc's `memcpy` and `memset` do
    /// above 2 KiB. Shorter runs (and every run without ERMS, where
    /// `rep movsb` can be slow, or with [`four_k_aliasing`]) use 32-byte
    /// SSE2 loops.
    const REP_FROM: usize = 2048;

    /// Whether the CPU has enhanced `rep movsb`/`rep stosb` (std caches the
    /// answer: one relaxed load).
    #[inline]
    fn fast_strings() -> bool {
        std::is_x86_feature_detected!("ermsb")
    }

    /// Whether `rep movsb` from `src` to `dst` would be slow because the
    /// destination trails the source by 1 to 63 bytes modulo 4 KiB: on AMD
    /// Zen 3 such a copy runs at 2 GB/s instead of 20 (each store seems to
    /// alias the loads that follow it), and glibc's `memcpy` has the same
    /// collapse between 2 KiB and the L2 size. The SSE2 loop does not care.
    #[inline]
    fn four_k_aliasing(dst: *mut u8, src: *const u8) -> bool {
        let distance = (dst as usize).wrapping_sub(src as usize) % 4096;
        (1..64).contains(&distance)
    }

    /// Copies `len` bytes from `src` to `dst`.
    ///
    /// # Safety
    ///
    /// `src..src + len` readable, `dst..dst + len` writable, not overlapping.
    ///
    /// Every asm block below reads only `src..src + len` and writes only
    /// `dst..dst + len` (the offsets are computed from `len` by the branch
    /// that selects the block), which the caller allows; why racing writers
    /// in other processes are not undefined behaviour is the module's
    /// documentation. No block touches the stack, and blocks without a
    /// compare-and-branch preserve the flags; the direction flag is clear on
    /// entry to every asm block (Rust's asm rules), so `rep movsb` counts up.
    #[inline]
    pub(super) unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) {
        if len >= 32 {
            if len >= REP_FROM && fast_strings() && !four_k_aliasing(dst, src) {
                // SAFETY: see above.
                unsafe { rep_movsb(dst, src, len) };
            } else {
                // SAFETY: see above; `len >= 32`.
                unsafe { copy_loop(dst, src, len) };
            }
        } else if len >= 16 {
            // SAFETY: see above. Two 16-byte moves, the first and the last
            // 16 bytes (overlapping when len < 32).
            unsafe {
                asm!(
                    "movdqu {a}, xmmword ptr [{s}]",
                    "movdqu {b}, xmmword ptr [{s} + {t}]",
                    "movdqu xmmword ptr [{d}], {a}",
                    "movdqu xmmword ptr [{d} + {t}], {b}",
                    s = in(reg) src,
                    d = in(reg) dst,
                    t = in(reg) len - 16,
                    a = out(xmm_reg) _,
                    b = out(xmm_reg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 8 {
            // SAFETY: see above. The first and last 8 bytes.
            unsafe {
                asm!(
                    "movq {a}, qword ptr [{s}]",
                    "movq {b}, qword ptr [{s} + {t}]",
                    "movq qword ptr [{d}], {a}",
                    "movq qword ptr [{d} + {t}], {b}",
                    s = in(reg) src,
                    d = in(reg) dst,
                    t = in(reg) len - 8,
                    a = out(xmm_reg) _,
                    b = out(xmm_reg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 4 {
            // SAFETY: see above. The first and last 4 bytes.
            unsafe {
                asm!(
                    "movd {a}, dword ptr [{s}]",
                    "movd {b}, dword ptr [{s} + {t}]",
                    "movd dword ptr [{d}], {a}",
                    "movd dword ptr [{d} + {t}], {b}",
                    s = in(reg) src,
                    d = in(reg) dst,
                    t = in(reg) len - 4,
                    a = out(xmm_reg) _,
                    b = out(xmm_reg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 2 {
            // SAFETY: see above. The first and last 2 bytes (the same two
            // when len == 2).
            unsafe {
                asm!(
                    "movzx {a:e}, word ptr [{s}]",
                    "mov word ptr [{d}], {a:x}",
                    "movzx {a:e}, word ptr [{s} + {t}]",
                    "mov word ptr [{d} + {t}], {a:x}",
                    s = in(reg) src,
                    d = in(reg) dst,
                    t = in(reg) len - 2,
                    a = out(reg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len == 1 {
            // SAFETY: see above. One byte.
            unsafe {
                asm!(
                    "mov {a}, byte ptr [{s}]",
                    "mov byte ptr [{d}], {a}",
                    s = in(reg) src,
                    d = in(reg) dst,
                    a = out(reg_byte) _,
                    options(nostack, preserves_flags),
                );
            }
        }
    }

    /// `rep movsb`: copies `len` bytes from `src` to `dst`.
    ///
    /// # Safety
    ///
    /// As for [`copy`].
    #[cfg(target_arch = "x86_64")]
    #[inline]
    unsafe fn rep_movsb(dst: *mut u8, src: *const u8, len: usize) {
        // SAFETY: reads src..src+len and writes dst..dst+len (caller); the
        // direction flag is clear on entry (asm rules), so it counts up.
        unsafe {
            asm!(
                "rep movsb",
                inout("rcx") len => _,
                inout("rsi") src => _,
                inout("rdi") dst => _,
                options(nostack, preserves_flags),
            );
        }
    }

    /// `rep movsb` on 32-bit x86, where LLVM reserves `esi` (the block
    /// saves and restores it around the copy).
    ///
    /// # Safety
    ///
    /// As for [`copy`].
    #[cfg(target_arch = "x86")]
    #[inline]
    unsafe fn rep_movsb(dst: *mut u8, src: *const u8, len: usize) {
        // SAFETY: as for x86_64; `esi` gets its value back before the block
        // ends, and `xchg`/`mov` between registers leave the flags alone.
        unsafe {
            asm!(
                "xchg esi, {s}",
                "rep movsb",
                "mov esi, {s}",
                s = inout(reg) src => _,
                inout("ecx") len => _,
                inout("edi") dst => _,
                options(nostack, preserves_flags),
            );
        }
    }

    /// 32 bytes per iteration with two 16-byte SSE2 moves, then the last 32
    /// bytes (overlapping the last iteration unless `len` is a multiple of 32).
    ///
    /// # Safety
    ///
    /// As for [`copy`], and `len >= 32`.
    #[inline]
    unsafe fn copy_loop(dst: *mut u8, src: *const u8, len: usize) {
        // SAFETY: with len >= 32, every iteration starts at an offset `i`
        // of at most `last = len - 32` (the first at 0, the others only
        // while `i < last`), so every 32-byte move lies within the ranges
        // the caller allows; the final move is the last 32 bytes.
        unsafe {
            asm!(
                "2:",
                "movdqu {a}, xmmword ptr [{s} + {i}]",
                "movdqu {b}, xmmword ptr [{s} + {i} + 16]",
                "movdqu xmmword ptr [{d} + {i}], {a}",
                "movdqu xmmword ptr [{d} + {i} + 16], {b}",
                "add {i}, 32",
                "cmp {i}, {last}",
                "jb 2b",
                "movdqu {a}, xmmword ptr [{s} + {last}]",
                "movdqu {b}, xmmword ptr [{s} + {last} + 16]",
                "movdqu xmmword ptr [{d} + {last}], {a}",
                "movdqu xmmword ptr [{d} + {last} + 16], {b}",
                s = in(reg) src,
                d = in(reg) dst,
                i = inout(reg) 0usize => _,
                last = in(reg) len - 32,
                a = out(xmm_reg) _,
                b = out(xmm_reg) _,
                options(nostack),
            );
        }
    }

    /// Sets `len` bytes of shared memory at `dst` to `byte`.
    ///
    /// # Safety
    ///
    /// `dst..dst + len` must be mapped and writable.
    ///
    /// Every asm block below writes only `dst..dst + len`, as in [`copy`].
    #[inline]
    pub(in crate::region) unsafe fn fill(dst: *mut u8, len: usize, byte: u8) {
        if len >= 32 {
            if len >= REP_FROM && fast_strings() {
                // SAFETY: see above.
                unsafe { rep_stosb(dst, len, byte) };
            } else {
                // SAFETY: see above; `len >= 32`.
                unsafe { fill_loop(dst, len, pattern(byte)) };
            }
        } else if len >= 16 {
            // SAFETY: see above. The first and last 16 bytes.
            unsafe {
                asm!(
                    "movdqu xmmword ptr [{d}], {p}",
                    "movdqu xmmword ptr [{d} + {t}], {p}",
                    d = in(reg) dst,
                    t = in(reg) len - 16,
                    p = in(xmm_reg) pattern(byte),
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 8 {
            // SAFETY: see above. The first and last 8 bytes.
            unsafe {
                asm!(
                    "movq qword ptr [{d}], {p}",
                    "movq qword ptr [{d} + {t}], {p}",
                    d = in(reg) dst,
                    t = in(reg) len - 8,
                    p = in(xmm_reg) pattern(byte),
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 4 {
            // SAFETY: see above. The first and last 4 bytes.
            unsafe {
                asm!(
                    "mov dword ptr [{d}], {p:e}",
                    "mov dword ptr [{d} + {t}], {p:e}",
                    d = in(reg) dst,
                    t = in(reg) len - 4,
                    p = in(reg) u32::from_ne_bytes([byte; 4]),
                    options(nostack, preserves_flags),
                );
            }
        } else if len > 0 {
            // SAFETY: see above. Bytes 0, len / 2 and len - 1 cover 1 to 3
            // bytes.
            unsafe {
                asm!(
                    "mov byte ptr [{d}], {p}",
                    "mov byte ptr [{d} + {h}], {p}",
                    "mov byte ptr [{d} + {t}], {p}",
                    d = in(reg) dst,
                    h = in(reg) len / 2,
                    t = in(reg) len - 1,
                    p = in(reg_byte) byte,
                    options(nostack, preserves_flags),
                );
            }
        }
    }

    /// `byte` in each of the 16 lanes of an SSE2 register.
    #[inline]
    fn pattern(byte: u8) -> __m128i {
        // SAFETY: the intrinsic needs SSE2, which this module's `cfg`
        // requires of the whole build.
        unsafe { _mm_set1_epi8(byte.cast_signed()) }
    }

    /// `rep stosb`: sets `len` bytes at `dst` to `byte`.
    ///
    /// # Safety
    ///
    /// As for [`fill`].
    #[cfg(target_arch = "x86_64")]
    #[inline]
    unsafe fn rep_stosb(dst: *mut u8, len: usize, byte: u8) {
        // SAFETY: writes dst..dst+len (caller); the direction flag is clear
        // on entry (asm rules), so it counts up.
        unsafe {
            asm!(
                "rep stosb",
                inout("rcx") len => _,
                inout("rdi") dst => _,
                in("al") byte,
                options(nostack, preserves_flags),
            );
        }
    }

    /// `rep stosb` on 32-bit x86.
    ///
    /// # Safety
    ///
    /// As for [`fill`].
    #[cfg(target_arch = "x86")]
    #[inline]
    unsafe fn rep_stosb(dst: *mut u8, len: usize, byte: u8) {
        // SAFETY: writes dst..dst+len (caller); the direction flag is clear
        // on entry (asm rules), so it counts up.
        unsafe {
            asm!(
                "rep stosb",
                inout("ecx") len => _,
                inout("edi") dst => _,
                in("al") byte,
                options(nostack, preserves_flags),
            );
        }
    }

    /// 32 bytes per iteration, then the last 32 bytes.
    ///
    /// # Safety
    ///
    /// As for [`fill`], and `len >= 32`.
    #[inline]
    unsafe fn fill_loop(dst: *mut u8, len: usize, pattern: __m128i) {
        // SAFETY: as in `copy_loop`: every store lies within dst..dst+len.
        unsafe {
            asm!(
                "2:",
                "movdqu xmmword ptr [{d} + {i}], {p}",
                "movdqu xmmword ptr [{d} + {i} + 16], {p}",
                "add {i}, 32",
                "cmp {i}, {last}",
                "jb 2b",
                "movdqu xmmword ptr [{d} + {last}], {p}",
                "movdqu xmmword ptr [{d} + {last} + 16], {p}",
                d = in(reg) dst,
                i = inout(reg) 0usize => _,
                last = in(reg) len - 32,
                p = in(xmm_reg) pattern,
                options(nostack),
            );
        }
    }
}

/// aarch64 (NEON is part of every Rust aarch64 target's baseline).
#[cfg(all(target_arch = "aarch64", target_feature = "neon"))]
mod arch {
    use std::arch::asm;

    /// Copies `len` bytes from `src` to `dst`: 64 bytes per iteration with
    /// `ldp`/`stp` of q registers (as glibc's aarch64 `memcpy`), and
    /// overlapping first/last moves for the rest.
    ///
    /// # Safety
    ///
    /// `src..src + len` readable, `dst..dst + len` writable, not overlapping.
    ///
    /// Every asm block below reads only `src..src + len` and writes only
    /// `dst..dst + len` (`se`/`de` are the end pointers, and the negative
    /// offsets from them never reach below the start for the lengths of the
    /// branch); why racing writers in other processes are not undefined
    /// behaviour is the module's documentation. No block touches the stack,
    /// and only the loop changes the flags.
    #[inline]
    pub(super) unsafe fn copy(dst: *mut u8, src: *const u8, len: usize) {
        let se = src.wrapping_add(len);
        let de = dst.wrapping_add(len);
        if len >= 64 {
            // SAFETY: see above. Each iteration moves 64 bytes and goes on
            // while more than 64 remain; the last 64 bytes are moved from the
            // end pointers.
            unsafe {
                asm!(
                    "2:",
                    "ldp {a:q}, {b:q}, [{s}]",
                    "ldp {c:q}, {e:q}, [{s}, #32]",
                    "add {s}, {s}, #64",
                    "stp {a:q}, {b:q}, [{d}]",
                    "stp {c:q}, {e:q}, [{d}, #32]",
                    "add {d}, {d}, #64",
                    "sub {n}, {n}, #64",
                    "cmp {n}, #64",
                    "b.hi 2b",
                    "ldp {a:q}, {b:q}, [{se}, #-64]",
                    "ldp {c:q}, {e:q}, [{se}, #-32]",
                    "stp {a:q}, {b:q}, [{de}, #-64]",
                    "stp {c:q}, {e:q}, [{de}, #-32]",
                    s = inout(reg) src => _,
                    d = inout(reg) dst => _,
                    n = inout(reg) len => _,
                    se = in(reg) se,
                    de = in(reg) de,
                    a = out(vreg) _,
                    b = out(vreg) _,
                    c = out(vreg) _,
                    e = out(vreg) _,
                    options(nostack),
                );
            }
        } else if len >= 32 {
            // SAFETY: see above. The first and last 32 bytes.
            unsafe {
                asm!(
                    "ldp {a:q}, {b:q}, [{s}]",
                    "ldp {c:q}, {e:q}, [{se}, #-32]",
                    "stp {a:q}, {b:q}, [{d}]",
                    "stp {c:q}, {e:q}, [{de}, #-32]",
                    s = in(reg) src,
                    d = in(reg) dst,
                    se = in(reg) se,
                    de = in(reg) de,
                    a = out(vreg) _,
                    b = out(vreg) _,
                    c = out(vreg) _,
                    e = out(vreg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 16 {
            // SAFETY: see above. The first and last 16 bytes.
            unsafe {
                asm!(
                    "ldr {a:q}, [{s}]",
                    "ldr {b:q}, [{se}, #-16]",
                    "str {a:q}, [{d}]",
                    "str {b:q}, [{de}, #-16]",
                    s = in(reg) src,
                    d = in(reg) dst,
                    se = in(reg) se,
                    de = in(reg) de,
                    a = out(vreg) _,
                    b = out(vreg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 8 {
            // SAFETY: see above. The first and last 8 bytes.
            unsafe {
                asm!(
                    "ldr {a:x}, [{s}]",
                    "ldr {b:x}, [{se}, #-8]",
                    "str {a:x}, [{d}]",
                    "str {b:x}, [{de}, #-8]",
                    s = in(reg) src,
                    d = in(reg) dst,
                    se = in(reg) se,
                    de = in(reg) de,
                    a = out(reg) _,
                    b = out(reg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 4 {
            // SAFETY: see above. The first and last 4 bytes.
            unsafe {
                asm!(
                    "ldr {a:w}, [{s}]",
                    "ldr {b:w}, [{se}, #-4]",
                    "str {a:w}, [{d}]",
                    "str {b:w}, [{de}, #-4]",
                    s = in(reg) src,
                    d = in(reg) dst,
                    se = in(reg) se,
                    de = in(reg) de,
                    a = out(reg) _,
                    b = out(reg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 2 {
            // SAFETY: see above. The first and last 2 bytes.
            unsafe {
                asm!(
                    "ldrh {a:w}, [{s}]",
                    "ldrh {b:w}, [{se}, #-2]",
                    "strh {a:w}, [{d}]",
                    "strh {b:w}, [{de}, #-2]",
                    s = in(reg) src,
                    d = in(reg) dst,
                    se = in(reg) se,
                    de = in(reg) de,
                    a = out(reg) _,
                    b = out(reg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len == 1 {
            // SAFETY: see above. One byte.
            unsafe {
                asm!(
                    "ldrb {a:w}, [{s}]",
                    "strb {a:w}, [{d}]",
                    s = in(reg) src,
                    d = in(reg) dst,
                    a = out(reg) _,
                    options(nostack, preserves_flags),
                );
            }
        }
    }

    /// Sets `len` bytes of shared memory at `dst` to `byte`, with the same
    /// structure as [`copy`].
    ///
    /// # Safety
    ///
    /// `dst..dst + len` must be mapped and writable.
    ///
    /// Every asm block below writes only `dst..dst + len`, as in [`copy`].
    #[inline]
    pub(in crate::region) unsafe fn fill(dst: *mut u8, len: usize, byte: u8) {
        let de = dst.wrapping_add(len);
        let word = u64::from_ne_bytes([byte; 8]);
        if len >= 64 {
            // SAFETY: see above.
            unsafe {
                asm!(
                    "dup {p:v}.16b, {w:w}",
                    "2:",
                    "stp {p:q}, {p:q}, [{d}]",
                    "stp {p:q}, {p:q}, [{d}, #32]",
                    "add {d}, {d}, #64",
                    "sub {n}, {n}, #64",
                    "cmp {n}, #64",
                    "b.hi 2b",
                    "stp {p:q}, {p:q}, [{de}, #-64]",
                    "stp {p:q}, {p:q}, [{de}, #-32]",
                    d = inout(reg) dst => _,
                    n = inout(reg) len => _,
                    de = in(reg) de,
                    w = in(reg) word,
                    p = out(vreg) _,
                    options(nostack),
                );
            }
        } else if len >= 32 {
            // SAFETY: see above. The first and last 32 bytes.
            unsafe {
                asm!(
                    "dup {p:v}.16b, {w:w}",
                    "stp {p:q}, {p:q}, [{d}]",
                    "stp {p:q}, {p:q}, [{de}, #-32]",
                    d = in(reg) dst,
                    de = in(reg) de,
                    w = in(reg) word,
                    p = out(vreg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 16 {
            // SAFETY: see above. The first and last 16 bytes.
            unsafe {
                asm!(
                    "dup {p:v}.16b, {w:w}",
                    "str {p:q}, [{d}]",
                    "str {p:q}, [{de}, #-16]",
                    d = in(reg) dst,
                    de = in(reg) de,
                    w = in(reg) word,
                    p = out(vreg) _,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 8 {
            // SAFETY: see above. The first and last 8 bytes.
            unsafe {
                asm!(
                    "str {w:x}, [{d}]",
                    "str {w:x}, [{de}, #-8]",
                    d = in(reg) dst,
                    de = in(reg) de,
                    w = in(reg) word,
                    options(nostack, preserves_flags),
                );
            }
        } else if len >= 4 {
            // SAFETY: see above. The first and last 4 bytes.
            unsafe {
                asm!(
                    "str {w:w}, [{d}]",
                    "str {w:w}, [{de}, #-4]",
                    d = in(reg) dst,
                    de = in(reg) de,
                    w = in(reg) word,
                    options(nostack, preserves_flags),
                );
            }
        } else if len > 0 {
            // SAFETY: see above. Bytes 0, len / 2 and len - 1 cover 1 to 3
            // bytes.
            unsafe {
                asm!(
                    "strb {w:w}, [{d}]",
                    "strb {w:w}, [{d}, {h}]",
                    "strb {w:w}, [{de}, #-1]",
                    d = in(reg) dst,
                    h = in(reg) len / 2,
                    de = in(reg) de,
                    w = in(reg) word,
                    options(nostack, preserves_flags),
                );
            }
        }
    }
}

/// The portable copies: relaxed atomic loads and stores, single bytes up to a
/// word boundary of the shared side, then words, then the remaining bytes.
/// Sound everywhere (atomics never race; plain atomic loads of at most a word
/// are allowed on read-only memory, see `std::sync::atomic`), but a word at a
/// time, because the compiler may not widen or merge atomic accesses.
#[cfg_attr(
    all(
        not(test),
        any(
            target_arch = "x86_64",
            all(target_arch = "x86", target_feature = "sse2"),
            all(target_arch = "aarch64", target_feature = "neon"),
        )
    ),
    allow(dead_code)
)]
pub(super) mod portable {
    use std::sync::atomic::Ordering::Relaxed;
    use std::sync::atomic::{AtomicU8, AtomicUsize};

    const WORD: usize = size_of::<usize>();

    /// Copies `dst.len()` bytes from shared memory at `src` into `dst`.
    ///
    /// # Safety
    ///
    /// `src..src + dst.len()` must be mapped and readable.
    pub(in crate::region) unsafe fn load(src: *const u8, dst: &mut [u8]) {
        let len = dst.len();
        let mut i = 0;
        while i < len && !(src as usize + i).is_multiple_of(WORD) {
            // SAFETY: `src + i` is in the readable range (caller); AtomicU8
            // has alignment 1.
            dst[i] = unsafe { (*src.add(i).cast::<AtomicU8>()).load(Relaxed) };
            i += 1;
        }
        while len - i >= WORD {
            // SAFETY: `src + i` is word-aligned (loop above) and the word
            // lies in the readable range (caller).
            let word = unsafe { (*src.add(i).cast::<AtomicUsize>()).load(Relaxed) };
            dst[i..i + WORD].copy_from_slice(&word.to_ne_bytes());
            i += WORD;
        }
        while i < len {
            // SAFETY: as for the leading bytes.
            dst[i] = unsafe { (*src.add(i).cast::<AtomicU8>()).load(Relaxed) };
            i += 1;
        }
    }

    /// Copies `src` into shared memory at `dst`.
    ///
    /// # Safety
    ///
    /// `dst..dst + src.len()` must be mapped and writable.
    pub(in crate::region) unsafe fn store(dst: *mut u8, src: &[u8]) {
        // SAFETY: the caller's guarantee.
        unsafe { store_with(dst, src.len(), |i| src[i]) }
    }

    /// Sets `len` bytes of shared memory at `dst` to `byte`.
    ///
    /// # Safety
    ///
    /// `dst..dst + len` must be mapped and writable.
    pub(in crate::region) unsafe fn fill(dst: *mut u8, len: usize, byte: u8) {
        // SAFETY: the caller's guarantee.
        unsafe { store_with(dst, len, |_| byte) }
    }

    /// Writes `len` bytes, byte `i` being `byte(i)`, into shared memory at
    /// `dst` with relaxed atomic stores, byte- and word-wise as [`load`]
    /// reads.
    ///
    /// # Safety
    ///
    /// `dst..dst + len` must be mapped and writable.
    #[inline]
    unsafe fn store_with(dst: *mut u8, len: usize, byte: impl Fn(usize) -> u8) {
        let mut i = 0;
        while i < len && !(dst as usize + i).is_multiple_of(WORD) {
            // SAFETY: `dst + i` is in the writable range (caller).
            unsafe { (*dst.add(i).cast::<AtomicU8>()).store(byte(i), Relaxed) };
            i += 1;
        }
        while len - i >= WORD {
            let word = usize::from_ne_bytes(std::array::from_fn(|k| byte(i + k)));
            // SAFETY: `dst + i` is word-aligned (loop above) and the word
            // lies in the writable range (caller).
            unsafe { (*dst.add(i).cast::<AtomicUsize>()).store(word, Relaxed) };
            i += WORD;
        }
        while i < len {
            // SAFETY: as for the leading bytes.
            unsafe { (*dst.add(i).cast::<AtomicU8>()).store(byte(i), Relaxed) };
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    //! Every implementation (the assembly of this target and the portable
    //! one) against a reference copy, at every offset and length around the
    //! vector widths, the 2 KiB switch to `rep movsb` and page boundaries,
    //! with guard pages on both sides of the shared memory; and under
    //! concurrent writers.

    type Load = unsafe fn(*const u8, &mut [u8]);
    type Store = unsafe fn(*mut u8, &[u8]);
    type Fill = unsafe fn(*mut u8, usize, u8);

    /// One implementation of the three copies.
    struct Impl {
        name: &'static str,
        load: Load,
        store: Store,
        fill: Fill,
    }

    fn impls() -> Vec<Impl> {
        let mut all = vec![Impl {
            name: "portable",
            load: super::portable::load,
            store: super::portable::store,
            fill: super::portable::fill,
        }];
        #[cfg(any(
            target_arch = "x86_64",
            all(target_arch = "x86", target_feature = "sse2"),
            all(target_arch = "aarch64", target_feature = "neon"),
        ))]
        all.push(Impl {
            name: "assembly",
            load: super::wide::load,
            store: super::wide::store,
            fill: super::arch::fill,
        });
        all
    }

    #[test]
    fn this_target_uses_assembly_where_it_has_it() {
        let names: Vec<&str> = impls().iter().map(|i| i.name).collect();
        let expected = cfg!(any(
            target_arch = "x86_64",
            all(target_arch = "x86", target_feature = "sse2"),
            all(target_arch = "aarch64", target_feature = "neon"),
        ));
        assert_eq!(names.contains(&"assembly"), expected, "{names:?}");
    }

    /// The lengths tried: every length up to 140 (all the short-copy
    /// branches and a few loop iterations), and a window around each power
    /// of two from 256 to 8 KiB (loop tails, the `rep movsb` switch at 2 KiB,
    /// page-sized and multi-page copies).
    fn lengths() -> Vec<usize> {
        let mut lengths: Vec<usize> = (0..=140).collect();
        for p in [256, 512, 1024, 2048, 4096, 8192] {
            lengths.extend([p - 33, p - 32, p - 1, p, p + 1, p + 31]);
        }
        lengths.sort_unstable();
        lengths.dedup();
        lengths
    }

    const PAGE: usize = 4096;
    /// Usable pages between the guard pages.
    const PAGES: usize = 3;
    /// The byte every test writes around the range it copies.
    const CANARY: u8 = 0xA5;

    /// `PAGES` read-write pages between two inaccessible guard pages: a copy
    /// that reads or writes one byte outside them faults.
    struct Guarded {
        base: *mut u8,
    }

    impl Guarded {
        fn new() -> Guarded {
            let total = (PAGES + 2) * PAGE;
            // SAFETY: a fresh private anonymous mapping; no pointers involved.
            let base = unsafe {
                libc::mmap(
                    std::ptr::null_mut(),
                    total,
                    libc::PROT_READ | libc::PROT_WRITE,
                    libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                    -1,
                    0,
                )
            };
            assert_ne!(base, libc::MAP_FAILED, "mmap");
            let base = base.cast::<u8>();
            // SAFETY: the first and last page of the mapping just made.
            unsafe {
                assert_eq!(libc::mprotect(base.cast(), PAGE, libc::PROT_NONE), 0);
                assert_eq!(
                    libc::mprotect(base.add((PAGES + 1) * PAGE).cast(), PAGE, libc::PROT_NONE),
                    0
                );
            }
            Guarded { base }
        }

        /// The usable bytes (only this thread touches them).
        fn bytes(&mut self) -> &mut [u8] {
            // SAFETY: the pages between the guards are mapped read-write and
            // borrowed through `self`.
            unsafe { std::slice::from_raw_parts_mut(self.base.add(PAGE), PAGES * PAGE) }
        }
    }

    impl Drop for Guarded {
        fn drop(&mut self) {
            // SAFETY: the mapping made by `new`.
            unsafe { libc::munmap(self.base.cast(), (PAGES + 2) * PAGE) };
        }
    }

    /// Where a `len`-byte range is placed in the usable pages: at the first
    /// offsets (for short ranges every alignment up to 16, and 31 to 33; the
    /// first touches the leading guard page), ending at the same distances
    /// from the end (touching the trailing one), and across each page
    /// boundary inside.
    fn placements(len: usize) -> Vec<usize> {
        let size = PAGES * PAGE;
        let near: &[usize] = if len <= 140 {
            &[
                0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 31, 32, 33,
            ]
        } else {
            &[0, 1, 7, 8, 15, 16, 33]
        };
        let mut at: Vec<usize> = near.iter().flat_map(|&k| [k, size - len - k]).collect();
        for boundary in (1..PAGES).map(|p| p * PAGE) {
            for k in [1, 8, 15, 16, 33, len / 2] {
                if let Some(start) = boundary.checked_sub(k)
                    && start + len <= size
                {
                    at.push(start);
                }
            }
        }
        at.sort_unstable();
        at.dedup();
        at
    }

    /// Where the private buffer of a copy starts (its alignment).
    fn private_offsets(len: usize) -> &'static [usize] {
        if len <= 140 {
            &[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17]
        } else {
            &[0, 1, 7, 8, 15]
        }
    }

    /// `len` bytes that are not periodic with any power of two, so a copy
    /// from or to the wrong offset shows.
    fn pattern(len: usize, seed: usize) -> Vec<u8> {
        (0..len)
            .map(|i| u8::try_from((i + seed) % 251).unwrap_or(0).wrapping_mul(7))
            .collect()
    }

    /// Bytes that the copies under test must leave alone.
    const MARGIN: usize = 40;

    /// The guard-page test itself; `every_offset_and_length_matches_a_reference`
    /// runs it in a child process, so an out-of-bounds access kills the
    /// child and fails that one test. (The checks compare slices, which stay
    /// fast in debug builds and under emulation.)
    fn check_every_offset_and_length(imp: &Impl) {
        let size = PAGES * PAGE;
        let canaries = vec![CANARY; size];
        let is_canary = |bytes: &[u8]| bytes == &canaries[..bytes.len()];
        let mut shared = Guarded::new();
        let base = shared.bytes().as_mut_ptr();
        // What loads find in the shared pages, and what stores write there.
        let loaded = pattern(size, 0);
        let stored = pattern(8192 + 64, 100);
        let mut private = vec![0u8; 8192 + 64 + 2 * MARGIN];
        for len in lengths() {
            let byte = u8::try_from(len % 256).unwrap_or(0) ^ 0x5A;
            let filled = vec![byte; len];
            for at in placements(len) {
                let window = at.saturating_sub(MARGIN)..(at + len + MARGIN).min(size);
                let inside = at - window.start..at - window.start + len;
                // Load: the private buffer gets exactly the shared bytes, and
                // nothing around it changes.
                shared.bytes()[window.clone()].copy_from_slice(&loaded[window.clone()]);
                for &off in private_offsets(len) {
                    let around = &mut private[..len + off + 2 * MARGIN];
                    around.copy_from_slice(&canaries[..around.len()]);
                    // SAFETY: at + len <= size, inside the usable pages.
                    unsafe { (imp.load)(base.add(at), &mut around[MARGIN + off..][..len]) };
                    let (before, rest) = around.split_at(MARGIN + off);
                    let (got, after) = rest.split_at(len);
                    assert!(
                        got == &loaded[at..at + len] && is_canary(before) && is_canary(after),
                        "{}: load of {len} bytes from {at} into +{off}",
                        imp.name
                    );
                }
                // Store and fill: the shared range gets the bytes, the bytes
                // around it keep the canary.
                for &off in private_offsets(len) {
                    shared.bytes()[window.clone()].copy_from_slice(&canaries[..window.len()]);
                    // SAFETY: at + len <= size, inside the usable pages.
                    unsafe { (imp.store)(base.add(at), &stored[off..off + len]) };
                    let got = &shared.bytes()[window.clone()];
                    assert!(
                        got[inside.clone()] == stored[off..off + len]
                            && is_canary(&got[..inside.start])
                            && is_canary(&got[inside.end..]),
                        "{}: store of {len} bytes to {at} from +{off}",
                        imp.name
                    );
                }
                shared.bytes()[window.clone()].copy_from_slice(&canaries[..window.len()]);
                // SAFETY: as above.
                unsafe { (imp.fill)(base.add(at), len, byte) };
                let got = &shared.bytes()[window.clone()];
                assert!(
                    got[inside.clone()] == filled[..]
                        && is_canary(&got[..inside.start])
                        && is_canary(&got[inside.end..]),
                    "{}: fill of {len} bytes at {at}",
                    imp.name
                );
            }
        }
    }

    /// The environment variable that makes the test binary, started again by
    /// [`every_offset_and_length_matches_a_reference`], check one
    /// implementation. Plain `std` rather than the workspace's testkit, so
    /// these unit tests also build in the published package.
    const CHILD_ENV: &str = "IPCRS_COPY_CHECK_IMPL";

    #[test]
    fn every_offset_and_length_matches_a_reference() {
        const TEST: &str = "region::copy::tests::every_offset_and_length_matches_a_reference";
        if let Ok(name) = std::env::var(CHILD_ENV) {
            let imp = impls().into_iter().find(|i| i.name == name).unwrap();
            check_every_offset_and_length(&imp);
            println!("checked {}", imp.name);
            return;
        }
        // Each implementation in a child process: a store out of bounds hits
        // a guard page, and the SIGSEGV fails this test, not the suite.
        let exe = std::env::current_exe().unwrap();
        for imp in impls() {
            // Under emulation (`cargo xtask test` for aarch64), the runner
            // starts the binary.
            let runner = std::env::var("IPCRS_TARGET_RUNNER").unwrap_or_default();
            let mut words = runner.split_whitespace();
            let mut child = match words.next() {
                Some(program) => {
                    let mut c = std::process::Command::new(program);
                    c.args(words).arg(&exe);
                    c
                }
                None => std::process::Command::new(&exe),
            };
            let started = std::time::Instant::now();
            let out = child
                .args([TEST, "--exact", "--nocapture", "--test-threads=1", "-q"])
                .env(CHILD_ENV, imp.name)
                .stdin(std::process::Stdio::null())
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            assert!(
                out.status.success() && stdout.contains(&format!("checked {}", imp.name)),
                "{}: {} after {:?}\nstdout:\n{stdout}\nstderr:\n{}",
                imp.name,
                out.status,
                started.elapsed(),
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    /// Shared memory that several threads copy into and out of at once
    /// (threads stand in for processes; the cross-process test is in
    /// `tests/region.rs`).
    struct Racy(*mut u8);
    // SAFETY: only the copies under test touch the memory, from any thread.
    unsafe impl Sync for Racy {}

    /// Writers keep storing position-dependent patterns (byte `i` is
    /// `i as u8 ^ key`) and fills with constant bytes over ranges of every
    /// size while a reader copies ranges out: every byte read must be one
    /// that some writer wrote at that position (torn copies are allowed:
    /// bytes from different writes), never a byte from elsewhere or made up.
    #[test]
    fn copies_racing_writers_return_only_written_bytes() {
        const SIZE: usize = 16 * 1024;
        const KEYS: [u8; 2] = [0x11, 0x22];
        const FILLS: [u8; 2] = [0x33, 0x44];
        let allowed = |i: usize, b: u8| {
            let p = u8::try_from(i % 256).unwrap_or(0);
            b == p || KEYS.iter().any(|k| b == p ^ k) || FILLS.contains(&b)
        };
        let spans = [
            (0, SIZE),
            (5, 3000),
            (100, 17),
            (2049, 4099),
            (4093, 7),
            (8000, 64),
        ];
        for imp in impls() {
            let mut backing = vec![0u64; SIZE / 8];
            let base = backing.as_mut_ptr().cast::<u8>();
            let initial: Vec<u8> = (0..SIZE)
                .map(|i| u8::try_from(i % 256).unwrap_or(0))
                .collect();
            // SAFETY: `backing` has SIZE bytes and no thread runs yet.
            unsafe { (imp.store)(base, &initial) };
            let shared = Racy(base);
            let stop = std::sync::atomic::AtomicBool::new(false);
            let imp = &imp;
            std::thread::scope(|s| {
                for (w, key) in KEYS.into_iter().enumerate() {
                    let (shared, stop) = (&shared, &stop);
                    s.spawn(move || {
                        let pattern: Vec<u8> = (0..SIZE)
                            .map(|i| u8::try_from(i % 256).unwrap_or(0) ^ key)
                            .collect();
                        let mut round = w;
                        while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                            let (at, len) = spans[round % spans.len()];
                            // SAFETY: every span lies inside the SIZE bytes.
                            unsafe { (imp.store)(shared.0.add(at), &pattern[at..at + len]) };
                            // SAFETY: as above.
                            unsafe { (imp.fill)(shared.0.add(len % 97), len / 3, FILLS[w]) };
                            round += 1;
                        }
                    });
                }
                let mut out = vec![0u8; SIZE];
                for round in 0..1000 {
                    let (at, len) = spans[round % spans.len()];
                    // SAFETY: every span lies inside the SIZE bytes.
                    unsafe { (imp.load)(shared.0.add(at), &mut out[..len]) };
                    for (i, &b) in out[..len].iter().enumerate() {
                        assert!(
                            allowed(at + i, b),
                            "{}: byte {} read as {b:#x}",
                            imp.name,
                            at + i
                        );
                    }
                }
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
            });
            // Quiet again: a copy is exact.
            let mut out = vec![0u8; SIZE];
            // SAFETY: the writers have stopped.
            unsafe { (imp.load)(base, &mut out) };
            // SAFETY: as above.
            let plain = unsafe { std::slice::from_raw_parts(base, SIZE) };
            assert!(out == plain, "{}", imp.name);
        }
    }
}
