//! A small, fast, non-cryptographic hasher (the Fx algorithm) for the
//! index's lookup tables. Their keys come from SOP data; customer text only
//! looks keys up, so hash flooding cannot grow them.

use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;
pub type FastSet<K> = HashSet<K, BuildHasherDefault<FxHasher>>;

/// Multiplicative word-at-a-time hash (as in rustc's `FxHasher`).
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or([0; 8])));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn works_as_a_map_hasher() {
        let mut m: FastMap<String, u32> = FastMap::default();
        for (i, w) in ["door", "doors", "trackman", "a", "", "frozen again"].iter().enumerate() {
            m.insert((*w).to_owned(), i as u32);
        }
        assert_eq!(m.get("doors"), Some(&1));
        assert_eq!(m.get("frozen again"), Some(&5));
        assert_eq!(m.get(""), Some(&4));
        assert_eq!(m.get("door "), None);
    }
}
