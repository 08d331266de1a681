//! Fast randomness for nonces and timer jitter (Core's `FastRandomContext` use here):
//! not for keys, so a seeded generator serves.

/// xoshiro256++ seeded from the OS.
pub(crate) struct Rng {
    s: [u64; 4],
}

impl Rng {
    /// A generator seeded from the OS salt source.
    pub(crate) fn from_os() -> Rng {
        let seed = common::random::salt();
        let mut s = [0u64; 4];
        for (i, chunk) in seed.chunks_exact(8).enumerate() {
            let mut b = [0u8; 8];
            b.copy_from_slice(chunk);
            s[i] = u64::from_le_bytes(b);
        }
        if s == [0; 4] {
            s[0] = 1;
        }
        Rng { s }
    }

    /// The next 64 random bits.
    pub(crate) fn next_u64(&mut self) -> u64 {
        let result = self.s[0]
            .wrapping_add(self.s[3])
            .rotate_left(23)
            .wrapping_add(self.s[0]);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    /// A uniform value in `[0, range)` (`randrange`); `range` must not be 0.
    pub(crate) fn randrange(&mut self, range: u64) -> u64 {
        debug_assert!(range > 0);
        // Rejection sampling over the largest multiple of `range`, so no value is favoured.
        let zone = u64::MAX - u64::MAX % range;
        loop {
            let v = self.next_u64();
            if v < zone {
                return v % range;
            }
        }
    }

    /// An exponentially distributed delay with mean `mean` (`rand_exp_duration`), for
    /// Poisson-timed announcements.
    pub(crate) fn exp_duration(&mut self, mean: i64) -> i64 {
        // 53 random bits as a uniform in [0, 1); ln(1 - u) is finite for u < 1.
        let u = (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64);
        (-(1.0 - u).ln() * mean as f64) as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponential_delays_average_their_mean() {
        let mut r = Rng::from_os();
        let n = 20_000;
        let total: i64 = (0..n).map(|_| r.exp_duration(1_000_000)).sum();
        let mean = total / n;
        assert!((900_000..1_100_000).contains(&mean), "{mean}");
    }
}
