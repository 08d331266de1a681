//! A rolling bloom filter (Core's `CRollingBloomFilter`): remembers roughly the last
//! `n_elements` insertions with a bounded false-positive rate, forgetting older ones
//! a generation at a time, so it never needs to be cleared while in use.
//!
//! The layout, hashing and generation handling follow Core bit for bit, so the same
//! tweak gives the same answers as Core's filter.

/// MurmurHash3 (x86, 32-bit) as Core uses it for bloom filters.
pub fn murmur_hash3(seed: u32, data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h1 = seed;
    let mut chunks = data.chunks_exact(4);
    for block in &mut chunks {
        let mut k1 = u32::from_le_bytes([block[0], block[1], block[2], block[3]]);
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 ^= k1;
        h1 = h1.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        let mut k1 = 0u32;
        for (i, b) in tail.iter().enumerate() {
            k1 ^= u32::from(*b) << (8 * i);
        }
        k1 = k1.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h1 ^= k1;
    }
    // Core mixes in the length truncated to 32 bits.
    h1 ^= data.len() as u32;
    h1 ^= h1 >> 16;
    h1 = h1.wrapping_mul(0x85eb_ca6b);
    h1 ^= h1 >> 13;
    h1 = h1.wrapping_mul(0xc2b2_ae35);
    h1 ^= h1 >> 16;
    h1
}

/// Maps a 32-bit hash uniformly onto `0..n` with a multiply instead of a modulo
/// (Core's `FastRange32`), so it uses the hash's high bits.
fn fast_range32(x: u32, n: u32) -> u32 {
    ((u64::from(x) * u64::from(n)) >> 32) as u32
}

/// A bloom filter over the most recent insertions (Core's `CRollingBloomFilter`).
///
/// Every entry belongs to one of three generations; each filter position holds two bits
/// naming the generation that last set it (0 = unset). When a generation fills up the
/// oldest one is wiped, so between `n_elements` and `1.5 * n_elements` of the most
/// recent insertions are always remembered.
#[derive(Clone, Debug)]
pub struct RollingBloomFilter {
    entries_per_generation: u32,
    entries_this_generation: u32,
    generation: u32,
    hash_funcs: u32,
    tweak: u32,
    /// Position `p` is bit `p & 63` of the pair `data[(p >> 6) * 2]` (low generation
    /// bit) and `data[(p >> 6) * 2 + 1]` (high generation bit).
    data: Vec<u64>,
}

impl RollingBloomFilter {
    /// A filter that remembers at least the last `n_elements` insertions with a false
    /// positive rate of about `fp_rate` (0 < `fp_rate` < 1).
    pub fn new(n_elements: u32, fp_rate: f64) -> Self {
        let mut f = Self::sized(n_elements, fp_rate);
        f.reset();
        f
    }

    /// As [`new`](Self::new), with a fixed tweak instead of a random one: for tests that
    /// need repeatable answers.
    pub fn with_tweak(n_elements: u32, fp_rate: f64, tweak: u32) -> Self {
        let mut f = Self::sized(n_elements, fp_rate);
        f.clear_with_tweak(tweak);
        f
    }

    fn sized(n_elements: u32, fp_rate: f64) -> Self {
        let log_fp_rate = fp_rate.ln();
        // The optimal number of hash functions, clamped to 1..=50 as Core does.
        let hash_funcs = ((log_fp_rate / 0.5f64.ln()).round() as i64).clamp(1, 50) as u32;
        // Two to three generations of half the requested size are kept.
        let entries_per_generation = n_elements.div_ceil(2);
        let max_elements = entries_per_generation.wrapping_mul(3);
        // Size for the worst case of three full generations at the requested rate.
        let filter_bits = (-f64::from(hash_funcs) * f64::from(max_elements)
            / (1.0 - (log_fp_rate / f64::from(hash_funcs)).exp()).ln())
        .ceil() as u32;
        let words = (filter_bits.div_ceil(64) as usize) << 1;
        Self {
            entries_per_generation,
            entries_this_generation: 0,
            generation: 1,
            hash_funcs,
            tweak: 0,
            data: vec![0; words],
        }
    }

    fn hash(&self, n: u32, key: &[u8]) -> u32 {
        murmur_hash3(n.wrapping_mul(0xFBA4_C795).wrapping_add(self.tweak), key)
    }

    /// Remembers `key`, starting a new generation (and forgetting the oldest) when the
    /// current one is full.
    pub fn insert(&mut self, key: &[u8]) {
        if self.entries_this_generation == self.entries_per_generation {
            self.entries_this_generation = 0;
            self.generation += 1;
            if self.generation == 4 {
                self.generation = 1;
            }
            let mask1 = 0u64.wrapping_sub(u64::from(self.generation & 1));
            let mask2 = 0u64.wrapping_sub(u64::from(self.generation >> 1));
            // Clear every position whose two bits name the generation being reused.
            for pair in self.data.chunks_exact_mut(2) {
                let (p1, p2) = (pair[0], pair[1]);
                let keep = (p1 ^ mask1) | (p2 ^ mask2);
                pair[0] = p1 & keep;
                pair[1] = p2 & keep;
            }
        }
        self.entries_this_generation += 1;

        let len = self.data.len() as u32;
        let g1 = u64::from(self.generation & 1);
        let g2 = u64::from(self.generation >> 1);
        for n in 0..self.hash_funcs {
            let h = self.hash(n, key);
            let bit = h & 0x3F;
            // The range reduction uses the high bits, so reusing the low six for the bit
            // index costs no independence.
            let pos = fast_range32(h, len) as usize;
            let lo = pos & !1;
            let hi = pos | 1;
            self.data[lo] = (self.data[lo] & !(1u64 << bit)) | (g1 << bit);
            self.data[hi] = (self.data[hi] & !(1u64 << bit)) | (g2 << bit);
        }
    }

    /// Whether `key` may have been inserted recently (false positives possible, false
    /// negatives only for keys older than the remembered generations).
    pub fn contains(&self, key: &[u8]) -> bool {
        let len = self.data.len() as u32;
        (0..self.hash_funcs).all(|n| {
            let h = self.hash(n, key);
            let bit = h & 0x3F;
            let pos = fast_range32(h, len) as usize;
            ((self.data[pos & !1] | self.data[pos | 1]) >> bit) & 1 == 1
        })
    }

    /// Forgets everything and draws a fresh random tweak, so the positions used before
    /// cannot be predicted from the old ones.
    pub fn reset(&mut self) {
        let tweak = match crate::random::random_bytes::<4>() {
            Ok(b) => u32::from_le_bytes(b),
            Err(_) => {
                let s = crate::random::salt();
                u32::from_le_bytes([s[0], s[1], s[2], s[3]])
            }
        };
        self.clear_with_tweak(tweak);
    }

    fn clear_with_tweak(&mut self, tweak: u32) {
        self.tweak = tweak;
        self.entries_this_generation = 0;
        self.generation = 1;
        self.data.fill(0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0))
            .collect()
    }

    #[test]
    fn murmur_vectors() {
        // Core's hash_tests.cpp vectors.
        let cases: &[(u32, u32, &str)] = &[
            (0x00000000, 0x00000000, ""),
            (0x6a396f08, 0xFBA4C795, ""),
            (0x81f16f39, 0xffffffff, ""),
            (0x514e28b7, 0x00000000, "00"),
            (0xea3f0b17, 0xFBA4C795, "00"),
            (0xfd6cf10d, 0x00000000, "ff"),
            (0x16c6b7ab, 0x00000000, "0011"),
            (0x8eb51c3d, 0x00000000, "001122"),
            (0xb4471bf8, 0x00000000, "00112233"),
            (0xe2301fa8, 0x00000000, "0011223344"),
            (0xfc2e4a15, 0x00000000, "001122334455"),
            (0xb074502c, 0x00000000, "00112233445566"),
            (0x8034d2a0, 0x00000000, "0011223344556677"),
            (0xb4698def, 0x00000000, "001122334455667788"),
        ];
        for &(expected, seed, data) in cases {
            assert_eq!(
                murmur_hash3(seed, &hex(data)),
                expected,
                "seed {seed:x} data {data}"
            );
        }
    }

    /// A small deterministic generator for 32-byte test keys.
    struct Gen(u64);
    impl Gen {
        fn key(&mut self) -> Vec<u8> {
            let mut out = Vec::with_capacity(32);
            for _ in 0..4 {
                // splitmix64
                self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
                let mut z = self.0;
                z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
                z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
                out.extend_from_slice(&(z ^ (z >> 31)).to_le_bytes());
            }
            out
        }
    }

    #[test]
    fn sizing_matches_core() {
        // Core's banman discouragement filter: 50000 elements at one in a million.
        let f = RollingBloomFilter::with_tweak(50000, 0.000001, 0);
        assert_eq!(f.hash_funcs, 20);
        assert_eq!(f.entries_per_generation, 25000);
        let f = RollingBloomFilter::with_tweak(100, 0.01, 0);
        assert_eq!(f.hash_funcs, 7);
        assert_eq!(f.entries_per_generation, 50);
        // ceil(-7 * 150 / ln(1 - 0.01^(1/7))) = 1438 bits -> 23 words -> 46 u64s.
        assert_eq!(f.data.len(), 46);
    }

    #[test]
    fn rolling_behaviour() {
        let mut g = Gen(0);
        let mut rb1 = RollingBloomFilter::new(100, 0.01);
        const N: usize = 399;
        let data: Vec<Vec<u8>> = (0..N).map(|_| g.key()).collect();
        for d in &data {
            rb1.insert(d);
        }
        // The last 100 are guaranteed to be remembered.
        for d in &data[299..] {
            assert!(rb1.contains(d));
        }
        // About 1% false positives (Core's run sees 71 in 10000); allow wide slack.
        let hits = (0..10000).filter(|_| rb1.contains(&g.key())).count();
        assert!((20..=250).contains(&hits), "false positives: {hits}");

        assert!(rb1.contains(&data[N - 1]));
        rb1.reset();
        assert!(!rb1.contains(&data[N - 1]));

        for i in 0..N {
            if i >= 100 {
                assert!(rb1.contains(&data[i - 100]));
            }
            rb1.insert(&data[i]);
            assert!(rb1.contains(&data[i]));
        }
        for _ in 0..999 {
            let d = g.key();
            rb1.insert(&d);
            assert!(rb1.contains(&d));
        }
        // Old entries are forgotten: only false positives remain (Core sees 3).
        let hits = data.iter().filter(|d| rb1.contains(d)).count();
        assert!(hits <= 20, "old entries still present: {hits}");

        let mut rb2 = RollingBloomFilter::new(1000, 0.001);
        for d in &data {
            rb2.insert(d);
        }
        for d in &data {
            assert!(rb2.contains(d));
        }
    }

    #[test]
    fn fixed_tweak_is_repeatable() {
        let mut a = RollingBloomFilter::with_tweak(10, 0.01, 7);
        let mut b = RollingBloomFilter::with_tweak(10, 0.01, 7);
        for i in 0u32..40 {
            a.insert(&i.to_le_bytes());
            b.insert(&i.to_le_bytes());
        }
        assert_eq!(a.data, b.data);
    }
}
