//! The randomness the selection needs, behind a small trait.

/// Randomness for coin selection: knapsack's random subsets, SRD's draw order, the random
/// change target and the input order.
///
/// Core draws these from `FastRandomContext`, a ChaCha20 stream seeded from the OS. The wallet
/// should implement this trait over an OS-seeded generator of the same quality; randomness
/// here is for privacy (it keeps the wallet's choices from being predictable), not for keys.
/// [`SeededRng`] is a deterministic implementation for tests.
pub trait SelectionRng {
    /// A uniformly random integer in `[0, n)`. `n` must be positive; 0 is returned for
    /// `n <= 1`.
    fn rand_range(&mut self, n: u64) -> u64;

    /// A uniformly random boolean.
    fn rand_bool(&mut self) -> bool {
        self.rand_range(2) == 1
    }
}

/// Shuffles `items` uniformly (Fisher-Yates), drawing from `rng`.
pub fn shuffle<T, R: SelectionRng + ?Sized>(rng: &mut R, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = rng.rand_range(i as u64 + 1) as usize;
        items.swap(i, j);
    }
}

/// A small deterministic generator (xoshiro256**, seeded through splitmix64).
///
/// Meant for tests, where a fixed seed makes every random path repeatable. It is not
/// Core's ChaCha20 stream, so random choices differ from Core's run to run; every
/// deterministic outcome does not depend on it.
#[derive(Debug, Clone)]
pub struct SeededRng {
    state: [u64; 4],
}

impl SeededRng {
    /// A generator whose whole stream follows from `seed`.
    pub fn new(seed: u64) -> SeededRng {
        let mut sm = seed;
        let mut state = [0u64; 4];
        for word in &mut state {
            sm = sm.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = sm;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            *word = z ^ (z >> 31);
        }
        SeededRng { state }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.state;
        let result = s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }
}

impl SelectionRng for SeededRng {
    fn rand_range(&mut self, n: u64) -> u64 {
        if n <= 1 {
            return 0;
        }
        // Rejection sampling over the smallest covering power of two, as Core's randrange
        // does, so there is no modulo bias.
        let max = n - 1;
        let bits = 64 - max.leading_zeros();
        loop {
            let r = self.next_u64() >> (64 - bits);
            if r <= max {
                return r;
            }
        }
    }

    fn rand_bool(&mut self) -> bool {
        self.next_u64() >> 63 == 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let mut a = SeededRng::new(7);
        let mut b = SeededRng::new(7);
        let mut c = SeededRng::new(8);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let zs: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xs, ys);
        assert_ne!(xs, zs);
    }

    #[test]
    fn rand_range_stays_in_range_and_covers_it() {
        let mut rng = SeededRng::new(1);
        let mut seen = [false; 7];
        for _ in 0..1000 {
            let r = rng.rand_range(7);
            assert!(r < 7);
            seen[r as usize] = true;
        }
        assert!(seen.iter().all(|s| *s));
        assert_eq!(rng.rand_range(1), 0);
        assert_eq!(rng.rand_range(0), 0);
    }

    #[test]
    fn shuffle_permutes() {
        let mut rng = SeededRng::new(3);
        let mut v: Vec<u32> = (0..50).collect();
        shuffle(&mut rng, &mut v);
        assert_ne!(v, (0..50).collect::<Vec<u32>>());
        v.sort_unstable();
        assert_eq!(v, (0..50).collect::<Vec<u32>>());
    }
}
