//! `memcmp` and `bcmp` for wasm32, eight bytes at a time.
//!
//! The only crate of layerlens that holds unsafe code (every other one forbids it): C's
//! contract is raw pointers. `no_builtins` keeps the compiler from turning the loops below back
//! into calls to `memcmp`, which would recurse. The web crate links it for the symbols alone.
//!
//! The wasm build otherwise links compiler-builtins' versions, which compare one byte per
//! iteration, and the union filesystem's ordered map compares paths that share long prefixes
//! (`usr/lib/python3/dist-packages/…`) on every lookup: eight bytes at a time take about two
//! thirds of the time (bench/results/2026-11-26/browser-profile.md). Words are compared as
//! loaded; the first that differs is read big-endian, which orders like the bytes themselves.
//! Wasm allows unaligned loads.
#![no_std]
#![no_builtins]
#![deny(unsafe_op_in_unsafe_fn, missing_docs)]

/// Compares `n` bytes at `a` and `b` like C's `memcmp`.
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes (the C contract; only the compiler's own
/// calls reach this).
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: the caller guarantees `n` readable bytes at both pointers.
    unsafe { compare(a, b, n) }
}

/// Compares `n` bytes like C's `bcmp` (zero when equal, otherwise any non-zero value).
///
/// # Safety
/// As [`memcmp`].
#[cfg(target_arch = "wasm32")]
#[no_mangle]
pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: as above.
    unsafe { compare(a, b, n) }
}

/// The comparison behind both symbols, on every target (so it is tested natively too).
///
/// # Safety
/// `a` and `b` must be valid for reads of `n` bytes.
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    let mut i = 0;
    while i + 8 <= n {
        // SAFETY: `i + 8 <= n` bytes are readable; `read_unaligned` has no alignment need.
        let (x, y) = unsafe {
            (
                u64::from_ne_bytes(a.add(i).cast::<[u8; 8]>().read_unaligned()),
                u64::from_ne_bytes(b.add(i).cast::<[u8; 8]>().read_unaligned()),
            )
        };
        // Equal words (shared prefixes, the common case) need no byte swap, which wasm has no
        // instruction for; only the first differing word is ordered as big-endian.
        if x != y {
            return if u64::from_be(x) < u64::from_be(y) {
                -1
            } else {
                1
            };
        }
        i += 8;
    }
    while i < n {
        // SAFETY: `i < n`.
        let (x, y) = unsafe { (*a.add(i), *b.add(i)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        i += 1;
    }
    0
}

#[cfg(test)]
mod tests {
    extern crate std;

    use std::vec::Vec;

    use super::compare;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    fn sign(a: &[u8], b: &[u8]) -> i32 {
        assert_eq!(a.len(), b.len());
        // SAFETY: both slices hold `a.len()` bytes.
        unsafe { compare(a.as_ptr(), b.as_ptr(), a.len()) }.signum()
    }

    #[test]
    fn orders_like_the_bytes_at_every_length_offset_and_difference() {
        let base: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        for offset in 0..8 {
            for len in 0..base.len() - offset {
                let a = &base[offset..offset + len];
                assert_eq!(sign(a, a), 0);
                for at in 0..len {
                    for delta in [1u8, 0x80, 0xff] {
                        let mut b = a.to_vec();
                        b[at] = b[at].wrapping_add(delta);
                        let want = a.cmp(&b) as i32;
                        assert_eq!(sign(a, &b), want, "len {len} at {at} delta {delta}");
                        assert_eq!(sign(&b, a), -want);
                    }
                }
            }
        }
    }

    #[test]
    fn slices_compare_through_it_as_before() {
        // On wasm32 these go through the exported `memcmp` / `bcmp`.
        let mut paths: Vec<Vec<u8>> = [
            "usr/lib/python3/dist-packages/a",
            "usr/lib/python3/dist-packages/b",
            "usr/lib/python3/dist-packages",
            "usr/lib/python3/dist-packages/\u{ff}",
            "usr/lib/python2",
        ]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
        paths.sort();
        assert_eq!(paths[0], b"usr/lib/python2");
        assert_eq!(paths[1], b"usr/lib/python3/dist-packages");
        assert!(paths.windows(2).all(|w| w[0] < w[1] && w[0] != w[1]));
    }
}
