//! BIP324 packet encryption (Core's `BIP324Cipher`, `FSChaCha20` and `FSChaCha20Poly1305`).
//!
//! The primitives come from the `chacha20-poly1305` crate that the `bip324` crate builds on;
//! the `bip324` crate itself derives its key material only from keys it generates, while
//! Core's transport (and its test vectors) need to supply the secret key and its
//! ElligatorSwift encoding explicitly.

use bitcoin::hashes::{hmac, sha256, Hash, HashEngine};
use chacha20_poly1305::chacha20::ChaCha20;
use chacha20_poly1305::{ChaCha20Poly1305, Key, Nonce};
use secp256k1::ellswift::{ElligatorSwift, ElligatorSwiftParty};
use secp256k1::{All, Secp256k1, SecretKey};

/// One context for all transports: building one costs far more than a handshake.
fn secp() -> &'static Secp256k1<All> {
    static SECP: std::sync::OnceLock<Secp256k1<All>> = std::sync::OnceLock::new();
    SECP.get_or_init(Secp256k1::new)
}

/// Bytes of the encrypted length prefix of a packet.
pub const LENGTH_LEN: usize = 3;
/// Bytes of the encrypted header (flags) of a packet.
pub const HEADER_LEN: usize = 1;
/// Bytes of the Poly1305 tag of a packet.
pub const TAG_LEN: usize = 16;
/// How much longer a packet is than its contents.
pub const EXPANSION: usize = LENGTH_LEN + HEADER_LEN + TAG_LEN;
/// Bytes of a garbage terminator.
pub const GARBAGE_TERMINATOR_LEN: usize = 16;
/// Bytes of an ElligatorSwift-encoded public key.
pub const ELLSWIFT_LEN: usize = 64;
/// Header bit marking a decoy packet, which the receiver drops.
pub const IGNORE_BIT: u8 = 0x80;
/// Packets (or length chunks) encrypted with one key before it is replaced.
pub const REKEY_INTERVAL: u32 = 224;

/// The 96-bit ChaCha20 nonce Core builds from a 32-bit and a 64-bit counter.
fn nonce(first: u32, second: u64) -> Nonce {
    let mut n = [0u8; 12];
    n[..4].copy_from_slice(&first.to_le_bytes());
    n[4..].copy_from_slice(&second.to_le_bytes());
    Nonce::new(n)
}

/// ChaCha20 over a continuous keystream that rekeys itself every [`REKEY_INTERVAL`]
/// chunks; encrypts packet lengths.
struct FsChaCha20 {
    stream: ChaCha20,
    chunk_counter: u32,
    rekey_counter: u64,
}

impl FsChaCha20 {
    fn new(key: [u8; 32]) -> Self {
        FsChaCha20 {
            stream: ChaCha20::new(Key::new(key), nonce(0, 0), 0),
            chunk_counter: 0,
            rekey_counter: 0,
        }
    }

    fn crypt(&mut self, chunk: &mut [u8; LENGTH_LEN]) {
        self.stream.apply_keystream(chunk);
        self.chunk_counter += 1;
        if self.chunk_counter == REKEY_INTERVAL {
            let mut new_key = [0u8; 32];
            self.stream.apply_keystream(&mut new_key);
            self.chunk_counter = 0;
            self.rekey_counter += 1;
            self.stream = ChaCha20::new(Key::new(new_key), nonce(0, self.rekey_counter), 0);
        }
    }
}

/// ChaCha20-Poly1305 with a packet counter nonce, rekeying every [`REKEY_INTERVAL`]
/// packets; encrypts packet headers and contents.
struct FsChaCha20Poly1305 {
    key: [u8; 32],
    packet_counter: u32,
    rekey_counter: u64,
}

impl FsChaCha20Poly1305 {
    fn new(key: [u8; 32]) -> Self {
        FsChaCha20Poly1305 {
            key,
            packet_counter: 0,
            rekey_counter: 0,
        }
    }

    fn aead(&self) -> ChaCha20Poly1305 {
        ChaCha20Poly1305::new(
            Key::new(self.key),
            nonce(self.packet_counter, self.rekey_counter),
        )
    }

    fn next_packet(&mut self) {
        self.packet_counter += 1;
        if self.packet_counter == REKEY_INTERVAL {
            // The new key is the keystream the AEAD would use for the content of a packet
            // with the reserved counter 0xffffffff.
            let mut new_key = [0u8; 32];
            ChaCha20::new_from_block(
                Key::new(self.key),
                nonce(0xffff_ffff, self.rekey_counter),
                1,
            )
            .apply_keystream(&mut new_key);
            self.key = new_key;
            self.packet_counter = 0;
            self.rekey_counter += 1;
        }
    }

    fn encrypt(&mut self, plaintext: &mut [u8], aad: &[u8]) -> [u8; TAG_LEN] {
        let tag = self.aead().encrypt(plaintext, Some(aad));
        self.next_packet();
        tag
    }

    fn decrypt(&mut self, ciphertext: &mut [u8], tag: [u8; TAG_LEN], aad: &[u8]) -> bool {
        let ok = self.aead().decrypt(ciphertext, tag, Some(aad)).is_ok();
        // Core moves on to the next nonce whether or not the packet authenticated.
        self.next_packet();
        ok
    }
}

/// HKDF-SHA256 with 32-byte outputs (Core's `CHKDF_HMAC_SHA256_L32`).
struct Hkdf32 {
    prk: [u8; 32],
}

impl Hkdf32 {
    fn new(ikm: &[u8], salt: &[u8]) -> Self {
        let mut engine = hmac::HmacEngine::<sha256::Hash>::new(salt);
        engine.input(ikm);
        Hkdf32 {
            prk: hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array(),
        }
    }

    fn expand(&self, info: &str) -> [u8; 32] {
        let mut engine = hmac::HmacEngine::<sha256::Hash>::new(&self.prk);
        engine.input(info.as_bytes());
        engine.input(&[1]);
        hmac::Hmac::<sha256::Hash>::from_engine(engine).to_byte_array()
    }
}

/// Our side of the key exchange, before the peer's key is known.
#[derive(Clone)]
pub struct Bip324Keys {
    key: SecretKey,
    our_pubkey: [u8; ELLSWIFT_LEN],
}

impl Bip324Keys {
    /// Keys from a secret key and an explicit ElligatorSwift encoding of its public key.
    pub fn new(key: SecretKey, our_pubkey: [u8; ELLSWIFT_LEN]) -> Self {
        Bip324Keys { key, our_pubkey }
    }

    /// Keys whose public key is encoded with 32 bytes of entropy, as Core's
    /// `BIP324Cipher(key, ent32)`.
    pub fn from_entropy(key: SecretKey, ent32: [u8; 32]) -> Self {
        let our_pubkey = ElligatorSwift::from_seckey(secp(), key, Some(ent32)).to_array();
        Bip324Keys { key, our_pubkey }
    }

    /// Our ElligatorSwift-encoded public key, sent first in the handshake.
    pub fn our_pubkey(&self) -> &[u8; ELLSWIFT_LEN] {
        &self.our_pubkey
    }

    /// Derives the session from the peer's public key. `self_decrypt` swaps the packet
    /// ciphers so that a party can decrypt its own packets (tests only), as in Core.
    pub fn initialize(
        &self,
        their_pubkey: &[u8; ELLSWIFT_LEN],
        initiator: bool,
        self_decrypt: bool,
        magic: [u8; 4],
    ) -> Bip324Session {
        let ours = ElligatorSwift::from_array(self.our_pubkey);
        let theirs = ElligatorSwift::from_array(*their_pubkey);
        let shared = if initiator {
            ElligatorSwift::shared_secret(ours, theirs, self.key, ElligatorSwiftParty::A, None)
        } else {
            ElligatorSwift::shared_secret(theirs, ours, self.key, ElligatorSwiftParty::B, None)
        };
        let mut salt = b"bitcoin_v2_shared_secret".to_vec();
        salt.extend_from_slice(&magic);
        let hkdf = Hkdf32::new(&shared.to_secret_bytes(), &salt);

        let initiator_l = FsChaCha20::new(hkdf.expand("initiator_L"));
        let initiator_p = FsChaCha20Poly1305::new(hkdf.expand("initiator_P"));
        let responder_l = FsChaCha20::new(hkdf.expand("responder_L"));
        let responder_p = FsChaCha20Poly1305::new(hkdf.expand("responder_P"));
        let terminators = hkdf.expand("garbage_terminators");
        let mut initiator_term = [0u8; GARBAGE_TERMINATOR_LEN];
        let mut responder_term = [0u8; GARBAGE_TERMINATOR_LEN];
        initiator_term.copy_from_slice(&terminators[..GARBAGE_TERMINATOR_LEN]);
        responder_term.copy_from_slice(&terminators[32 - GARBAGE_TERMINATOR_LEN..]);
        let session_id = hkdf.expand("session_id");

        let (send_l, send_p, recv_l, recv_p) = if initiator != self_decrypt {
            (initiator_l, initiator_p, responder_l, responder_p)
        } else {
            (responder_l, responder_p, initiator_l, initiator_p)
        };
        let (send_term, recv_term) = if initiator {
            (initiator_term, responder_term)
        } else {
            (responder_term, initiator_term)
        };
        Bip324Session {
            send_l,
            send_p,
            recv_l,
            recv_p,
            send_garbage_terminator: send_term,
            recv_garbage_terminator: recv_term,
            session_id,
        }
    }
}

/// The ciphers of an established BIP324 session.
pub struct Bip324Session {
    send_l: FsChaCha20,
    send_p: FsChaCha20Poly1305,
    recv_l: FsChaCha20,
    recv_p: FsChaCha20Poly1305,
    send_garbage_terminator: [u8; GARBAGE_TERMINATOR_LEN],
    recv_garbage_terminator: [u8; GARBAGE_TERMINATOR_LEN],
    session_id: [u8; 32],
}

impl Bip324Session {
    /// The session id (`getpeerinfo`'s `session_id`).
    pub fn session_id(&self) -> &[u8; 32] {
        &self.session_id
    }

    /// The terminator that ends the garbage we send.
    pub fn send_garbage_terminator(&self) -> &[u8; GARBAGE_TERMINATOR_LEN] {
        &self.send_garbage_terminator
    }

    /// The terminator that ends the garbage the peer sends.
    pub fn recv_garbage_terminator(&self) -> &[u8; GARBAGE_TERMINATOR_LEN] {
        &self.recv_garbage_terminator
    }

    /// Appends the packet for `contents` to `out`: encrypted length, then header and
    /// contents under the AEAD with `aad`. `ignore` marks a decoy. Contents must be
    /// shorter than 2^24 bytes; callers bound them far below that.
    pub fn encrypt(&mut self, contents: &[u8], aad: &[u8], ignore: bool, out: &mut Vec<u8>) {
        let len = contents.len() as u32;
        let mut len_bytes = [len as u8, (len >> 8) as u8, (len >> 16) as u8];
        self.send_l.crypt(&mut len_bytes);
        out.extend_from_slice(&len_bytes);
        let start = out.len();
        out.push(if ignore { IGNORE_BIT } else { 0 });
        out.extend_from_slice(contents);
        let tag = self.send_p.encrypt(&mut out[start..], aad);
        out.extend_from_slice(&tag);
    }

    /// Decrypts the 3-byte length prefix of the next packet: the length of its contents.
    pub fn decrypt_length(&mut self, input: &[u8; LENGTH_LEN]) -> u32 {
        let mut buf = *input;
        self.recv_l.crypt(&mut buf);
        u32::from(buf[0]) | (u32::from(buf[1]) << 8) | (u32::from(buf[2]) << 16)
    }

    /// Authenticates and decrypts a packet without its length prefix (header, contents
    /// and tag). Returns the contents and whether the packet is a decoy, or `None` when it
    /// does not authenticate.
    pub fn decrypt(&mut self, input: &[u8], aad: &[u8]) -> Option<(Vec<u8>, bool)> {
        if input.len() < HEADER_LEN + TAG_LEN {
            return None;
        }
        let (body, tag_bytes) = input.split_at(input.len() - TAG_LEN);
        let mut tag = [0u8; TAG_LEN];
        tag.copy_from_slice(tag_bytes);
        let mut plain = body.to_vec();
        if !self.recv_p.decrypt(&mut plain, tag, aad) {
            return None;
        }
        let ignore = plain[0] & IGNORE_BIT == IGNORE_BIT;
        plain.remove(0);
        Some((plain, ignore))
    }
}

#[cfg(test)]
#[path = "cipher_tests.rs"]
mod tests;
