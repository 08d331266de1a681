//! Core's `FastRandomContext`: a ChaCha20 keystream read 64 bits at a time, with the same
//! bit-buffering and rejection sampling, so a deterministic address manager makes the same
//! random choices as Core's deterministic one (zero key).

use chacha20_poly1305::chacha20::ChaCha20;
use chacha20_poly1305::{Key, Nonce};

/// The random source of an address manager (Core's `FastRandomContext`).
#[derive(Clone)]
pub(crate) struct FastRandom {
    key: [u8; 32],
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
        Self {
            key,
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
        // RFC 8439 ChaCha20 with a 32-bit block counter; the counter's high half runs on
        // into the nonce's first word, as Core's 64-bit counter does.
        let mut nonce = [0u8; 12];
        nonce[..4].copy_from_slice(&((self.counter >> 32) as u32).to_le_bytes());
        let cipher = ChaCha20::new_from_block(Key::new(self.key), Nonce::new(nonce), 0);
        self.block = cipher.get_keystream(self.counter as u32);
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
