//! Finding pool ids that occur more than once in one call (\[P4\], \[P5\]).

use super::PoolSnapshot;

/// The pools whose id another pool of the same slice shares.
pub(super) struct DuplicateIds {
    /// Empty when every id is unique (the common case allocates nothing for it).
    flags: Vec<bool>,
}

impl DuplicateIds {
    /// Finds every pool sharing its id with another one, in one pass.
    ///
    /// An open-addressing table of `(hash fingerprint, pool index + 1)` pairs, at most
    /// half full, linear probing: 8 bytes a slot, so 1 000 pools take 16 KiB (std's
    /// `HashMap<&str, usize>` with SipHash took about 40% of `place` at that size). Ids
    /// are compared only when their 32-bit fingerprints match.
    pub(super) fn find(pools: &[PoolSnapshot]) -> Self {
        let mut flags = Vec::new();
        // Indices are stored as `u32`; more pools than that cannot be in memory anyway,
        // but stay total: such a slice gets no duplicate check rather than a panic.
        if pools.len() < 2 || u32::try_from(pools.len()).is_err() {
            return Self { flags };
        }
        let mask = (pools.len() * 2).next_power_of_two() - 1;
        let mut table = vec![(0u32, 0u32); mask + 1];
        for (index, pool) in pools.iter().enumerate() {
            let hash = hash_id(pool.id.as_bytes());
            let fingerprint = (hash >> 32) as u32;
            let mut slot = hash as usize & mask;
            loop {
                let (seen_fingerprint, seen) = table[slot];
                if seen == 0 {
                    // `index < pools.len() <= u32::MAX`, checked above.
                    table[slot] = (fingerprint, index as u32 + 1);
                    break;
                }
                let first = (seen - 1) as usize;
                if seen_fingerprint == fingerprint && pools[first].id == pool.id {
                    if flags.is_empty() {
                        flags = vec![false; pools.len()];
                    }
                    flags[first] = true;
                    flags[index] = true;
                    break;
                }
                slot = (slot + 1) & mask;
            }
        }
        Self { flags }
    }

    /// Whether pool `index` shares its id.
    pub(super) fn contains(&self, index: usize) -> bool {
        self.flags.get(index).copied().unwrap_or(false)
    }
}

/// A fast, unkeyed hash of an id: rustc's FxHasher scheme (rotate, xor, multiply), eight
/// bytes at a time, the length folded in, and a final mix so that both halves of the
/// result (slot and fingerprint) depend on every byte. Unkeyed means a pool manager that
/// crafted colliding ids could slow a call down (quadratically, never incorrectly); pool
/// ids come from our own pool managers.
fn hash_id(bytes: &[u8]) -> u64 {
    const MULTIPLIER: u64 = 0x517c_c1b7_2722_0a95;
    let add = |hash: u64, word: u64| (hash.rotate_left(5) ^ word).wrapping_mul(MULTIPLIER);
    let mut hash = add(0, bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0; 8];
        word.copy_from_slice(chunk);
        hash = add(hash, u64::from_le_bytes(word));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Assembled in a register: a variable-length copy into a buffer read back as a
        // `u64` stalls on store forwarding, and that stall dominated this function.
        let word = rest
            .iter()
            .enumerate()
            .fold(0, |word, (i, &byte)| word | u64::from(byte) << (8 * i));
        hash = add(hash, word);
    }
    // Fold the well-mixed high half into the low half, which picks the slot.
    hash ^ (hash >> 29)
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::DuplicateIds;
    use crate::placement::PoolSnapshot;

    fn pools(ids: &[&str]) -> Vec<PoolSnapshot> {
        ids.iter()
            .map(|id| PoolSnapshot {
                id: (*id).into(),
                ..PoolSnapshot::default()
            })
            .collect()
    }

    #[test]
    fn flags_every_pool_sharing_an_id_and_no_other() {
        // Ids that differ only past the first eight bytes, or by a trailing byte.
        let ids = [
            "pool-00001",
            "pool-00002",
            "pool-00001",
            "a",
            "a\0",
            "b",
            "pool-00002",
            "a",
        ];
        let found = DuplicateIds::find(&pools(&ids));
        let flagged: Vec<bool> = (0..ids.len()).map(|i| found.contains(i)).collect();
        assert_eq!(flagged, [true, true, true, true, false, false, true, true]);
        assert!(!found.contains(ids.len()));
    }

    #[test]
    fn unique_ids_flag_nothing() {
        let ids: Vec<String> = (0..1000).map(|i| format!("pool-{i:05}")).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        let found = DuplicateIds::find(&pools(&ids));
        assert!((0..ids.len()).all(|i| !found.contains(i)));
    }
}
