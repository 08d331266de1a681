//! Descriptors inferred from bare scripts, and descriptor checksums.

use bitcoin::secp256k1::XOnlyPublicKey;
use bitcoin::{Network, Script};

use crate::address::kind_address;
use crate::hex::to_hex;
use crate::solver::{classify, ScriptKind};

/// Characters a descriptor may contain, in checksum order: groups of 32, 32
/// and 31, the first holding hex digits and key path characters.
const INPUT_CHARSET: &[u8; 95] =
    b"0123456789()[],'/*abcdefgh@:$%{}IJKLMNOPQRSTUVWXYZ&+-.;<=>?!^_|~ijklmnopqrstuvwxyzABCDEFGH`#\"\\ ";

/// Position in `INPUT_CHARSET` plus one for every byte, 0 for bytes not in it.
const CHARSET_INDEX: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < INPUT_CHARSET.len() {
        table[INPUT_CHARSET[i] as usize] = i as u8 + 1;
        i += 1;
    }
    table
};

/// Characters of the checksum itself (bech32's alphabet).
const CHECKSUM_CHARSET: &[u8; 32] = b"qpzry9x8gf2tvdw0s3jn54khce6mua7l";

fn poly_mod(c: u64, val: u64) -> u64 {
    const GEN: [u64; 5] = [
        0xf5dee51989,
        0xa9fdca3312,
        0x1bab10e32d,
        0x3706b1677a,
        0x644d626ffd,
    ];
    let top = c >> 35;
    let mut c = ((c & 0x7_ffff_ffff) << 5) ^ val;
    for (i, g) in GEN.iter().enumerate() {
        if top >> i & 1 == 1 {
            c ^= g;
        }
    }
    c
}

/// The eight-character checksum of a descriptor (without `#`), or `None`
/// when it contains a character outside the descriptor character set.
pub fn descriptor_checksum(descriptor: &str) -> Option<String> {
    let mut c: u64 = 1;
    let mut group: u64 = 0;
    let mut in_group = 0;
    for ch in descriptor.bytes() {
        let pos = u64::from(CHARSET_INDEX[usize::from(ch)].checked_sub(1)?);
        c = poly_mod(c, pos & 31);
        group = group * 3 + (pos >> 5);
        in_group += 1;
        if in_group == 3 {
            c = poly_mod(c, group);
            group = 0;
            in_group = 0;
        }
    }
    if in_group > 0 {
        c = poly_mod(c, group);
    }
    for _ in 0..8 {
        c = poly_mod(c, 0);
    }
    c ^= 1;
    (0..8)
        .map(|j| {
            let idx = (c >> (5 * (7 - j))) & 31;
            CHECKSUM_CHARSET
                .get(usize::try_from(idx).ok()?)
                .map(|&b| char::from(b))
        })
        .collect()
}

/// `descriptor#checksum` (an empty checksum for invalid characters, as
/// Core's `AddChecksum`).
pub fn add_checksum(descriptor: &str) -> String {
    format!(
        "{descriptor}#{}",
        descriptor_checksum(descriptor).unwrap_or_default()
    )
}

/// Core's `InferDescriptor` with no key or script information, with its
/// checksum: `pk(KEY)` for bare keys, `multi(k,KEY,...)` for bare multisig,
/// `rawtr(XONLY)` for taproot outputs with a valid x-only key,
/// `addr(ADDRESS)` for other scripts with an address, else `raw(HEX)`.
pub fn infer_descriptor(script: &Script, network: Network) -> String {
    add_checksum(&infer_bare(script.as_bytes(), network))
}

/// Whether Core accepts the key in a top-level descriptor: not hybrid.
fn non_hybrid(key: &[u8]) -> bool {
    matches!(key.first(), Some(2..=4))
}

/// Descriptor body without checksum for a top-level script.
pub(crate) fn infer_bare(script: &[u8], network: Network) -> String {
    let kind = classify(script);
    match &kind {
        ScriptKind::PubKey(key) if non_hybrid(key) => return format!("pk({})", to_hex(key)),
        ScriptKind::Multisig { required, keys } if keys.iter().all(|k| non_hybrid(k)) => {
            return multi(*required, keys);
        }
        ScriptKind::WitnessV1Taproot(key) if XOnlyPublicKey::from_slice(key).is_ok() => {
            return format!("rawtr({})", to_hex(key));
        }
        _ => {}
    }
    match kind_address(&kind, network) {
        Some(address) => format!("addr({address})"),
        None => format!("raw({})", to_hex(script)),
    }
}

/// `multi(k,KEY,...)`.
pub(crate) fn multi(required: u8, keys: &[&[u8]]) -> String {
    let mut out = format!("multi({required}");
    for key in keys {
        out.push(',');
        out.push_str(&to_hex(key));
    }
    out.push(')');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_checksums() {
        // From Core's descriptor tests and functional tests.
        assert_eq!(add_checksum("raw(6a00)"), "raw(6a00)#ncfmkl43");
        assert_eq!(add_checksum("raw(6aee)"), "raw(6aee)#vsyzgqdt");
        assert_eq!(
            add_checksum("addr(bcrt1pamhqk96edn)"),
            "addr(bcrt1pamhqk96edn)#vkh8uj5a"
        );
        assert_eq!(
            add_checksum("rawtr(eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee)"),
            "rawtr(eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee)#jk7c6kys"
        );
        assert_eq!(descriptor_checksum("raw(\u{e9})"), None);
        // Core's descriptor unit tests.
        let cases = [
            ("sh(multi(2,[00000000/111'/222]xprvA1RpRA33e1JQ7ifknakTFpgNXPmW2YvmhqLQYMmrj4xJXXWYpDPS3xz7iAxn8L39njGVyuoseXzU6rcxFLJ8HFsTjSyQbLYnMpCqE2VbFWc,xprv9uPDJpEQgRQfDcW7BkF7eTya6RPxXeJCqCJGHuCJ4GiRVLzkTXBAJMu2qaMWPrS7AANYqdq6vcBcBUdJCVVFceUvJFjaPdGZ2y9WACViL4L/0))", "ggrsrxfy"),
            ("sh(multi(2,[00000000/111'/222]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL,xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0))", "tjg09x5t"),
            ("sh(multi(2,[00000000/111h/222]xpub6ERApfZwUNrhLCkDtcHTcxd75RbzS1ed54G1LkBUHQVHQKqhMkhgbmJbZRkrgZw4koxb5JaHWkY4ALHY2grBGRjaDMzQLcgJvLJuZZvRcEL,xpub68NZiKmJWnxxS6aaHmn81bvJeTESw724CRDs6HbuccFQN9Ku14VQrADWgqbhhTHBaohPX4CjNLf9fq9MYo6oDaPPLPxSb7gwQN3ih19Zm4Y/0))", "hgmsckna"),
            ("rawtr(xpub69H7F5d8KSRgmmdJg2KhpAK8SR3DjMwAdkxj3ZuxV27CprR9LgpeyGmXUbC6wb7ERfvrnKZjXoUmmDznezpbZb7ap6r1D3tgFxHmwMkQTPH/86'/1'/0'/1/*)", "4ur3xhft"),
            ("rawtr([5a61ff8e/86h/1h/0h]xpub6DtZpc9PRL2B6pwoNGysmHAaBofDmWv5S6KQEKKGPKhf5fV62ywDtSziSApYVK3JnYY5KUSgiCwiXW5wtd8z7LNBxT9Mu5sEro8itdGfTeA/1/*)", "vwgx7hj9"),
        ];
        for (desc, checksum) in cases {
            assert_eq!(
                descriptor_checksum(desc).as_deref(),
                Some(checksum),
                "{desc}"
            );
        }
    }
}
