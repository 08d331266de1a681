//! Classifying output scripts as Core's `Solver` does.

use bitcoin::Script;

use crate::ops::{
    is_push_only, Ops, OP_0, OP_1, OP_16, OP_CHECKMULTISIG, OP_CHECKSIG, OP_DUP, OP_EQUAL,
    OP_EQUALVERIFY, OP_HASH160, OP_PUSHDATA1, OP_PUSHDATA2, OP_PUSHDATA4, OP_RETURN,
};

/// Most keys a bare multisig script may list.
const MAX_PUBKEYS_PER_MULTISIG: i64 = 20;

/// An output script's template, with the data Core's `Solver` extracts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScriptKind<'a> {
    /// Matches no template.
    NonStandard,
    /// `<pubkey> OP_CHECKSIG` with a 33- or 65-byte key of a plausible prefix.
    PubKey(&'a [u8]),
    /// `OP_DUP OP_HASH160 <20> OP_EQUALVERIFY OP_CHECKSIG`.
    PubKeyHash(&'a [u8]),
    /// `OP_HASH160 <20> OP_EQUAL`.
    ScriptHash(&'a [u8]),
    /// Bare `m <keys> n OP_CHECKMULTISIG`.
    Multisig {
        /// Signatures required.
        required: u8,
        /// The listed keys.
        keys: Vec<&'a [u8]>,
    },
    /// `OP_RETURN` followed by pushes only.
    NullData,
    /// Pay-to-anchor (`OP_1 <4e73>`).
    Anchor,
    /// Version 0, 20-byte program.
    WitnessV0KeyHash(&'a [u8]),
    /// Version 0, 32-byte program.
    WitnessV0ScriptHash(&'a [u8]),
    /// Version 1, 32-byte program.
    WitnessV1Taproot(&'a [u8]),
    /// Another witness version (1..=16) and program.
    WitnessUnknown {
        /// Witness version.
        version: u8,
        /// Witness program (2..=40 bytes).
        program: &'a [u8],
    },
}

impl ScriptKind<'_> {
    /// Core's name of the type (`GetTxnOutputType`).
    pub fn name(&self) -> &'static str {
        match self {
            ScriptKind::NonStandard => "nonstandard",
            ScriptKind::PubKey(_) => "pubkey",
            ScriptKind::PubKeyHash(_) => "pubkeyhash",
            ScriptKind::ScriptHash(_) => "scripthash",
            ScriptKind::Multisig { .. } => "multisig",
            ScriptKind::NullData => "nulldata",
            ScriptKind::Anchor => "anchor",
            ScriptKind::WitnessV0KeyHash(_) => "witness_v0_keyhash",
            ScriptKind::WitnessV0ScriptHash(_) => "witness_v0_scripthash",
            ScriptKind::WitnessV1Taproot(_) => "witness_v1_taproot",
            ScriptKind::WitnessUnknown { .. } => "witness_unknown",
        }
    }
}

/// Core's output type name of a script (`GetTxnOutputType(Solver(script))`).
pub fn output_type(script: &Script) -> &'static str {
    classify(script.as_bytes()).name()
}

/// Classifies a script as Core's `Solver`.
pub fn classify(s: &[u8]) -> ScriptKind<'_> {
    if s.len() == 23 && s[0] == OP_HASH160 && s[1] == 0x14 && s[22] == OP_EQUAL {
        return ScriptKind::ScriptHash(&s[2..22]);
    }
    if let Some((version, program)) = witness_program(s) {
        return match (version, program.len()) {
            (0, 20) => ScriptKind::WitnessV0KeyHash(program),
            (0, 32) => ScriptKind::WitnessV0ScriptHash(program),
            (1, 32) => ScriptKind::WitnessV1Taproot(program),
            (1, _) if program == [0x4e, 0x73] => ScriptKind::Anchor,
            (0, _) => ScriptKind::NonStandard,
            _ => ScriptKind::WitnessUnknown { version, program },
        };
    }
    if s.first() == Some(&OP_RETURN) && is_push_only(s, 1) {
        return ScriptKind::NullData;
    }
    if let Some(key) = pay_to_pubkey(s) {
        return ScriptKind::PubKey(key);
    }
    if s.len() == 25
        && s[0] == OP_DUP
        && s[1] == OP_HASH160
        && s[2] == 20
        && s[23] == OP_EQUALVERIFY
        && s[24] == OP_CHECKSIG
    {
        return ScriptKind::PubKeyHash(&s[3..23]);
    }
    if let Some((required, keys)) = multisig(s) {
        return ScriptKind::Multisig { required, keys };
    }
    ScriptKind::NonStandard
}

/// A witness program: a version opcode (`OP_0`, `OP_1`..`OP_16`) and one
/// direct push of 2..=40 bytes making up the rest of the script.
pub(crate) fn witness_program(s: &[u8]) -> Option<(u8, &[u8])> {
    if !(4..=42).contains(&s.len()) {
        return None;
    }
    let version = match s[0] {
        OP_0 => 0,
        op @ OP_1..=OP_16 => op - OP_1 + 1,
        _ => return None,
    };
    (usize::from(s[1]) + 2 == s.len()).then(|| (version, &s[2..]))
}

/// Expected length of a public key from its first byte, 0 if implausible.
pub(crate) fn pubkey_len(first: u8) -> usize {
    match first {
        2 | 3 => 33,
        4 | 6 | 7 => 65,
        _ => 0,
    }
}

/// Whether `key` has a plausible size for its prefix (Core's
/// `CPubKey::ValidSize`).
pub(crate) fn valid_pubkey_size(key: &[u8]) -> bool {
    key.first().is_some_and(|&b| pubkey_len(b) == key.len())
}

fn pay_to_pubkey(s: &[u8]) -> Option<&[u8]> {
    let (&last, body) = s.split_last()?;
    let (&len, key) = body.split_first()?;
    let ok = last == OP_CHECKSIG
        && (len == 33 || len == 65)
        && key.len() == usize::from(len)
        && valid_pubkey_size(key);
    ok.then_some(key)
}

/// A small number in `min..=max` from `OP_1`..`OP_16` or a minimal push.
fn small_number(code: u8, data: &[u8], min: i64, max: i64) -> Option<i64> {
    let n = match code {
        OP_1..=OP_16 => i64::from(code - OP_1 + 1),
        1..=OP_PUSHDATA4 => {
            if !is_minimal_push(code, data) || data.len() > 4 || !is_minimal_number(data) {
                return None;
            }
            crate::asm::script_num(data)
        }
        _ => return None,
    };
    (min..=max).contains(&n).then_some(n)
}

/// Whether the push opcode is the shortest way to push `data`.
pub(crate) fn is_minimal_push(code: u8, data: &[u8]) -> bool {
    match data {
        [] => code == OP_0,
        [b] if (1..=16).contains(b) || *b == 0x81 => false,
        _ if data.len() <= 75 => usize::from(code) == data.len(),
        _ if data.len() <= 255 => code == OP_PUSHDATA1,
        _ if data.len() <= 65535 => code == OP_PUSHDATA2,
        _ => true,
    }
}

/// Whether `data` is a minimally encoded script number.
fn is_minimal_number(data: &[u8]) -> bool {
    match data {
        [] => true,
        [.., last] if last & 0x7f != 0 => true,
        [_] => false,
        [.., prev, _] => prev & 0x80 != 0,
    }
}

fn multisig(s: &[u8]) -> Option<(u8, Vec<&[u8]>)> {
    if s.last() != Some(&OP_CHECKMULTISIG) {
        return None;
    }
    let mut ops = Ops::new(s);
    let first = ops.next()?.ok()?;
    let required = small_number(first.code, first.data, 1, MAX_PUBKEYS_PER_MULTISIG)?;
    let mut keys = Vec::new();
    let last = loop {
        match ops.next() {
            Some(Ok(op)) if valid_pubkey_size(op.data) => keys.push(op.data),
            Some(Ok(op)) => break op,
            _ => return None,
        }
    };
    let count = small_number(last.code, last.data, required, MAX_PUBKEYS_PER_MULTISIG)?;
    if usize::try_from(count).ok()? != keys.len() || ops.position() + 1 != s.len() {
        return None;
    }
    Some((u8::try_from(required).ok()?, keys))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::from_hex;

    fn kind(hex: &str) -> &'static str {
        classify(&from_hex(hex).unwrap_or_default()).name()
    }

    const KEY: &str = "02a5613bd857b7048924264d1e70e08fb2a7e6527d32b7ab1bb993ac59964ff397";

    #[test]
    fn templates() {
        assert_eq!(
            kind("5120eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"),
            "witness_v1_taproot"
        );
        assert_eq!(kind("5102eeee"), "witness_unknown");
        assert_eq!(kind("51024e73"), "anchor");
        assert_eq!(kind("00024e73"), "nonstandard");
        assert_eq!(
            kind("0014eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee"),
            "witness_v0_keyhash"
        );
        assert_eq!(
            kind("a914eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee87"),
            "scripthash"
        );
        assert_eq!(
            kind("76a914eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee88ac"),
            "pubkeyhash"
        );
        assert_eq!(kind("6a00"), "nulldata");
        assert_eq!(kind("6a"), "nulldata");
        assert_eq!(kind("6aee"), "nonstandard");
        assert_eq!(kind("6a02ee"), "nonstandard");
        assert_eq!(kind(&format!("21{KEY}ac")), "pubkey");
        assert_eq!(kind(&format!("5121{KEY}51ae")), "multisig");
        assert_eq!(
            kind(&format!("0101 21{KEY}51ae").replace(' ', "")),
            "nonstandard"
        );
        assert_eq!(kind(&format!("5121{KEY}52ae")), "nonstandard");
        assert_eq!(kind(&format!("5121{KEY}51aeae")), "nonstandard");
        assert_eq!(
            kind(&format!("0111 21{KEY}0111ae").replace(' ', "")),
            "nonstandard"
        );
        assert_eq!(kind(""), "nonstandard");
        assert_eq!(kind("ae"), "nonstandard");
    }
}
