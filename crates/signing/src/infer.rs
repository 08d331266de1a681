//! Miniscript descriptors inferred from witness scripts, for `decodescript`'s P2WSH
//! wrapping (Core's `InferDescriptor` of a P2WSH whose script the provider knows).

use bitcoin::{PublicKey, Script};
use miniscript::{Miniscript, Segwitv0};

/// The `wsh(...)` descriptor (without checksum) of a witness script that parses as sane
/// miniscript with keys written out; `None` otherwise, where Core falls back to `addr()`.
pub fn infer_wsh_miniscript(script: &[u8]) -> Option<String> {
    // `parse` applies the sanity rules (safe, non-malleable, no mixed timelocks, no
    // repeated keys, within resource limits); key hashes need keys it does not have.
    let ms = Miniscript::<PublicKey, Segwitv0>::parse(Script::from_bytes(script)).ok()?;
    Some(format!("wsh({ms})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .filter_map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
            .collect()
    }

    #[test]
    fn core_decodescript_cases() {
        // rpc_decodescript.py: a sane miniscript, and one with an invalid key.
        let s = hex("82012088a914ffffffffffffffffffffffffffffffffffffffff88210250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0ad51b2");
        assert_eq!(
            infer_wsh_miniscript(&s).as_deref(),
            Some("wsh(and_v(and_v(v:hash160(ffffffffffffffffffffffffffffffffffffffff),v:pk(0250929b74c1a04954b78b4b6035e97a5e078a5a0f28ec96d547bfee9ace803ac0)),older(1)))")
        );
        let bad = hex("82012088a914ffffffffffffffffffffffffffffffffffffffff882102ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffacb2");
        assert_eq!(infer_wsh_miniscript(&bad), None);
    }
}
