//! Keyed hashing for maps keyed by names from the archive.
//!
//! Paths come from untrusted archives: a hash an attacker can predict lets a crafted layer put
//! every name in one bucket (docs/history.md has the case that showed it). Maps keyed by
//! paths therefore use SipHash-1-3 with secret keys. Natively the keys come from the OS through std's `RandomState`; wasm32-unknown-unknown
//! has no OS randomness (std's keys are predictable there), so the browser worker calls
//! [`set_keys`] with `crypto.getRandomValues` before it reads anything. The keys change no
//! result, only the layout of hash tables, which is why they may be process-wide.
//!
//! This module is the only place that names std's `HashMap`, `HashSet` or `RandomState` in the
//! core and the web app; a test reads their sources to keep it so.

use core::hash::{BuildHasher, Hasher};
#[cfg(not(feature = "std"))]
use hashbrown::{HashMap, HashSet};
#[cfg(feature = "std")]
use std::collections::{HashMap, HashSet};

use siphasher::sip::SipHasher13;

#[cfg(feature = "std")]
static KEYS: std::sync::OnceLock<(u64, u64)> = std::sync::OnceLock::new();

/// Sets the process's hash keys from a source of randomness; only the first call counts.
/// Returns whether these keys are the ones in use.
#[cfg(feature = "std")]
pub fn set_keys(k0: u64, k1: u64) -> bool {
    *KEYS.get_or_init(|| (k0, k1)) == (k0, k1)
}

#[cfg(feature = "std")]
fn keys() -> (u64, u64) {
    *KEYS.get_or_init(|| {
        // std's own keyed hasher, seeded from the OS, as a source of two random words.
        let s = std::hash::RandomState::new();
        (
            s.hash_one(0x6c61_7965_726c_656eu64),
            s.hash_one(0x7061_7468_6b65_7973u64),
        )
    })
}

/// Without std there is no OS randomness and no `OnceLock`: the host sets the keys (from
/// whatever randomness it has) before building maps; until it does they are fixed, and
/// predictable. A spin-free once: the first caller to claim the slot writes the keys.
#[cfg(not(feature = "std"))]
mod no_std_keys {
    use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

    // 32-bit words: not every no-std target has 64-bit atomics.
    static STATE: AtomicU8 = AtomicU8::new(0); // 0 unset, 1 being written, 2 set
    static WORDS: [AtomicU32; 4] = [
        AtomicU32::new(0x726c_656e),
        AtomicU32::new(0x6c61_7965),
        AtomicU32::new(0x6b65_7973),
        AtomicU32::new(0x7061_7468),
    ];

    /// Sets the process's hash keys; only the first call (or map) counts. Returns whether
    /// these keys are the ones in use.
    pub fn set_keys(k0: u64, k1: u64) -> bool {
        if STATE
            .compare_exchange(0, 1, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
        {
            let halves = [k0 as u32, (k0 >> 32) as u32, k1 as u32, (k1 >> 32) as u32];
            for (w, h) in WORDS.iter().zip(halves) {
                w.store(h, Ordering::Relaxed);
            }
            STATE.store(2, Ordering::Release);
        }
        keys() == (k0, k1)
    }

    pub fn keys() -> (u64, u64) {
        // Keys in use are fixed by the first map built, as with std's `OnceLock`; while
        // another caller writes them, wait for it.
        while STATE
            .compare_exchange(0, 2, Ordering::AcqRel, Ordering::Acquire)
            .is_err_and(|s| s == 1)
        {
            core::hint::spin_loop();
        }
        let w = |i: usize| u64::from(WORDS[i].load(Ordering::Relaxed));
        (w(0) | w(1) << 32, w(2) | w(3) << 32)
    }
}

#[cfg(not(feature = "std"))]
use no_std_keys::keys;
#[cfg(not(feature = "std"))]
pub use no_std_keys::set_keys;

/// Builds SipHash-1-3 hashers with the process's secret keys.
#[derive(Debug, Clone, Copy)]
pub struct PathHashing {
    k0: u64,
    k1: u64,
}

impl Default for PathHashing {
    fn default() -> Self {
        let (k0, k1) = keys();
        PathHashing { k0, k1 }
    }
}

impl BuildHasher for PathHashing {
    type Hasher = SipHasher13;
    fn build_hasher(&self) -> SipHasher13 {
        SipHasher13::new_with_keys(self.k0, self.k1)
    }
}

/// A hash map keyed by paths (or other names from the archive).
pub type PathMap<K, V> = HashMap<K, V, PathHashing>;
/// A hash set of paths.
pub type PathSet<K> = HashSet<K, PathHashing>;

/// An empty [`PathMap`] with room for `n` entries.
pub fn path_map<K, V>(n: usize) -> PathMap<K, V> {
    HashMap::with_capacity_and_hasher(n, PathHashing::default())
}

/// A map keyed by hashes [`PathHashing`] already computed (keyed, so as unpredictable as a
/// [`PathMap`]'s): they index the table as they are instead of being hashed again.
pub type HashKeyedMap<V> = HashMap<u64, V, PreHashed>;

/// Hashers that pass a `u64` key through unchanged (for [`HashKeyedMap`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct PreHashed;

impl BuildHasher for PreHashed {
    type Hasher = PassThrough;
    fn build_hasher(&self) -> PassThrough {
        PassThrough(0)
    }
}

/// The hasher of [`PreHashed`].
#[derive(Debug, Default)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only `write_u64` is used; fold anything else in for completeness.
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(target_arch = "wasm32")]
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn keys_are_set_once_and_not_zero() {
        let first = keys();
        assert!(!set_keys(first.0 ^ 1, first.1), "the keys in use stay");
        assert!(set_keys(first.0, first.1));
        let a = PathHashing::default().hash_one(b"etc/passwd".as_slice());
        let b = PathHashing::default().hash_one(b"etc/passwd".as_slice());
        assert_eq!(a, b);
        let unkeyed = PathHashing { k0: 0, k1: 0 }.hash_one(b"etc/passwd".as_slice());
        assert_ne!(a, unkeyed, "keys from the OS, not zeros");
        let mut m: PathMap<&[u8], u32> = path_map(2);
        m.insert(b"a", 1);
        assert_eq!(m.get(b"a".as_slice()), Some(&1));
    }

    /// Names that build a hash table or hasher without the secret keys: std's maps and sets
    /// (their default `RandomState` is predictable on wasm32), and unkeyed hashers.
    #[cfg(not(target_arch = "wasm32"))]
    const UNKEYED: [&str; 5] = [
        "HashMap",
        "HashSet",
        "RandomState",
        "DefaultHasher",
        "BuildHasherDefault",
    ];

    /// `file:line: text` for each use of an [`UNKEYED`] name in `source` outside comments.
    #[cfg(not(target_arch = "wasm32"))]
    fn unkeyed_uses(file: &str, source: &str) -> alloc::vec::Vec<alloc::string::String> {
        let mut found = alloc::vec::Vec::new();
        for (i, line) in source.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            let words = code.split(|c: char| !(c.is_alphanumeric() || c == '_'));
            if words.into_iter().any(|w| UNKEYED.contains(&w)) {
                found.push(alloc::format!("{file}:{}: {}", i + 1, line.trim()));
            }
        }
        found
    }

    /// Every Rust source under `dir`, recursively, as (path, text).
    #[cfg(not(target_arch = "wasm32"))]
    fn sources(
        dir: &std::path::Path,
        out: &mut alloc::vec::Vec<(std::path::PathBuf, alloc::string::String)>,
    ) {
        let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir:?}: {e}"));
        for e in entries {
            let path = e.unwrap().path();
            if path.is_dir() {
                sources(&path, out);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                out.push((path, text));
            }
        }
    }

    /// Maps keyed by names from the archive live in the core (the union, the indexes, the
    /// analyses) and in the web app (which runs the core on wasm32): their sources name no
    /// hash table but through [`PathMap`], [`PathSet`] and [`HashKeyedMap`], all keyed.
    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn every_map_in_the_core_and_the_web_app_is_keyed() {
        let core = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = alloc::vec::Vec::new();
        for dir in [core.join("src"), core.join("../../web/src")] {
            sources(&dir, &mut files);
        }
        let this = core.join("src/hashing.rs");
        assert!(files.iter().any(|(p, _)| *p == this));
        assert!(
            files.iter().any(|(p, _)| p.ends_with("view/tree.rs"))
                && files.iter().any(|(p, _)| p.ends_with("worker/mod.rs")),
            "the scan must reach the core's and the web app's sources"
        );
        let found: alloc::vec::Vec<_> = files
            .iter()
            .filter(|(p, _)| *p != this)
            .flat_map(|(p, text)| unkeyed_uses(&alloc::format!("{}", p.display()), text))
            .collect();
        assert!(
            found.is_empty(),
            "use hashing::PathMap / PathSet / HashKeyedMap instead:\n{}",
            found.join("\n")
        );
        // The scan sees what it must, and not comments.
        let planted = "let m: std::collections::HashMap<String, u32> = HashMap::new(); // x\n\
                       // a HashSet in a comment\n\
                       let s = RandomState::new();";
        assert_eq!(unkeyed_uses("x.rs", planted).len(), 2);
    }
}
