//! Core's `FastRandomContext`: a ChaCha20 keystream read 64 bits at a time, with the same
//! bit-buffering and rejection sampling, so a deterministic address manager makes the same
//! random choices as Core's deterministic one (zero key).

fn quarter(s: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(16);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(12);
    s[a] = s[a].wrapping_add(s[b]);
    s[d] = (s[d] ^ s[a]).rotate_left(8);
    s[c] = s[c].wrapping_add(s[d]);
    s[b] = (s[b] ^ s[c]).rotate_left(7);
}

/// The random source of an address manager (Core's `FastRandomContext`).
#[derive(Clone)]
pub(crate) struct FastRandom {
    key: [u32; 8],
    /// Block counter and nonce (all zero at the start, as Core seeks nowhere).
    counter: u64,
    block: [u8; 64],
    used: usize,
    bitbuf: u64,
    bitbuf_size: u32,
}

impl FastRandom {
    /// Keyed with `key`; the zero key reproduces Core's deterministic context.
    pub(crate) fn with_key(key: [u8; 32]) -> Self {
        let mut k = [0u32; 8];
        for (i, w) in k.iter_mut().enumerate() {
            *w = u32::from_le_bytes([key[4 * i], key[4 * i + 1], key[4 * i + 2], key[4 * i + 3]]);
        }
        Self {
            key: k,
            counter: 0,
            block: [0; 64],
            used: 64,
            bitbuf: 0,
            bitbuf_size: 0,
        }
    }

    /// Keyed from the operating system's randomness.
    pub(crate) fn new_random() -> Self {
        Self::with_key(
            common::random::random_bytes::<32>().unwrap_or_else(|_| common::random::salt()),
        )
    }

    fn refill(&mut self) {
        let mut s = [0u32; 16];
        s[0] = 0x6170_7865;
        s[1] = 0x3320_646e;
        s[2] = 0x7962_2d32;
        s[3] = 0x6b20_6574;
        s[4..12].copy_from_slice(&self.key);
        // 32-bit block counter, then the 96-bit nonce whose low word takes the overflow.
        s[12] = self.counter as u32;
        s[13] = (self.counter >> 32) as u32;
        let input = s;
        for _ in 0..10 {
            quarter(&mut s, 0, 4, 8, 12);
            quarter(&mut s, 1, 5, 9, 13);
            quarter(&mut s, 2, 6, 10, 14);
            quarter(&mut s, 3, 7, 11, 15);
            quarter(&mut s, 0, 5, 10, 15);
            quarter(&mut s, 1, 6, 11, 12);
            quarter(&mut s, 2, 7, 8, 13);
            quarter(&mut s, 3, 4, 9, 14);
        }
        for (i, w) in s.iter().enumerate() {
            self.block[4 * i..4 * i + 4].copy_from_slice(&w.wrapping_add(input[i]).to_le_bytes());
        }
        self.counter = self.counter.wrapping_add(1);
        self.used = 0;
    }

    fn keystream(&mut self, out: &mut [u8]) {
        for b in out {
            if self.used == 64 {
                self.refill();
            }
            *b = self.block[self.used];
            self.used += 1;
        }
    }

    /// 64 keystream bits, little-endian.
    pub(crate) fn rand64(&mut self) -> u64 {
        let mut b = [0u8; 8];
        self.keystream(&mut b);
        u64::from_le_bytes(b)
    }

    /// A `bits`-bit number, drawing from the leftover bits of earlier calls first.
    pub(crate) fn randbits(&mut self, bits: u32) -> u64 {
        if bits == 0 {
            return 0;
        }
        if bits >= 64 {
            return self.rand64();
        }
        let ret = if bits <= self.bitbuf_size {
            let r = self.bitbuf;
            self.bitbuf >>= bits;
            self.bitbuf_size -= bits;
            r
        } else {
            let gen = self.rand64();
            let r = if self.bitbuf_size == 0 {
                gen
            } else {
                (gen << self.bitbuf_size) | self.bitbuf
            };
            self.bitbuf = gen >> (bits - self.bitbuf_size);
            self.bitbuf_size = 64 + self.bitbuf_size - bits;
            r
        };
        ret & ((1u64 << bits) - 1)
    }

    /// Uniform in `0..range` (`range` > 0) by rejection sampling.
    pub(crate) fn randrange(&mut self, range: u64) -> u64 {
        let maxval = range.saturating_sub(1);
        let bits = 64 - maxval.leading_zeros();
        loop {
            let r = self.randbits(bits);
            if r <= maxval {
                return r;
            }
        }
    }

    pub(crate) fn randbool(&mut self) -> bool {
        self.randbits(1) == 1
    }

    pub(crate) fn rand256(&mut self) -> [u8; 32] {
        let mut b = [0u8; 32];
        self.keystream(&mut b);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_key_keystream() {
        // RFC 8439 A.1 test vector 1: all-zero key and nonce, block counter 0.
        let mut r = FastRandom::with_key([0; 32]);
        let mut b = [0u8; 16];
        r.keystream(&mut b);
        assert_eq!(
            b,
            [
                0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53, 0x86,
                0xbd, 0x28
            ]
        );
    }

    #[test]
    fn ranges() {
        let mut r = FastRandom::with_key([7; 32]);
        for range in [1u64, 2, 3, 64, 1000, 1 << 40] {
            for _ in 0..100 {
                assert!(r.randrange(range) < range);
            }
        }
        assert!(r.randbits(30) < 1 << 30);
    }
}
