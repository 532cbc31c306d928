//! Keyed hashing for maps keyed by names from the archive.
//!
//! Paths come from untrusted archives: a hash an attacker can predict lets a crafted layer put
//! every name in one bucket (an unkeyed Fx hash did that to 300,000 sequential names by
//! accident: 30 s instead of 1 s). Maps keyed by paths therefore use SipHash-1-3 with secret
//! keys. Natively the keys come from the OS through std's `RandomState`; wasm32-unknown-unknown
//! has no OS randomness (std's keys are predictable there), so the browser worker calls
//! [`set_keys`] with `crypto.getRandomValues` before it reads anything. The keys change no
//! result, only the layout of hash tables, which is why they may be process-wide.

use core::hash::BuildHasher;
use std::collections::{HashMap, HashSet};
use std::hash::RandomState;
use std::sync::OnceLock;

use siphasher::sip::SipHasher13;

static KEYS: OnceLock<(u64, u64)> = OnceLock::new();

/// Sets the process's hash keys from a source of randomness; only the first call counts.
/// Returns whether these keys are the ones in use.
pub fn set_keys(k0: u64, k1: u64) -> bool {
    *KEYS.get_or_init(|| (k0, k1)) == (k0, k1)
}

fn keys() -> (u64, u64) {
    *KEYS.get_or_init(|| {
        // std's own keyed hasher, seeded from the OS, as a source of two random words.
        let s = RandomState::new();
        (
            s.hash_one(0x6c61_7965_726c_656eu64),
            s.hash_one(0x7061_7468_6b65_7973u64),
        )
    })
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_set_once_and_used_by_every_map() {
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
}
