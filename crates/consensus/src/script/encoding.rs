//! Signature and public-key encoding rules, and `FindAndDelete`.

use super::{get_op, ScriptError, SigVersion, VerifyFlags};

/// Removes every occurrence of `needle` at an opcode boundary (`FindAndDelete`); returns the count.
pub(crate) fn find_and_delete(script: &mut Vec<u8>, needle: &[u8]) -> usize {
    if needle.is_empty() {
        return 0;
    }
    let mut found = 0;
    let mut result = Vec::with_capacity(script.len());
    let (mut pc, mut pc2) = (0usize, 0usize);
    let end = script.len();
    loop {
        result.extend_from_slice(&script[pc2..pc]);
        while end - pc >= needle.len() && &script[pc..pc + needle.len()] == needle {
            pc += needle.len();
            found += 1;
        }
        pc2 = pc;
        if get_op(script, &mut pc).is_none() {
            break;
        }
    }
    if found > 0 {
        result.extend_from_slice(&script[pc2..end]);
        *script = result;
    }
    found
}

pub(super) fn is_valid_signature_encoding(sig: &[u8]) -> bool {
    let n = sig.len();
    if !(9..=73).contains(&n) || sig[0] != 0x30 || sig[1] as usize != n - 3 {
        return false;
    }
    let len_r = sig[3] as usize;
    if 5 + len_r >= n {
        return false;
    }
    let len_s = sig[5 + len_r] as usize;
    if len_r + len_s + 7 != n || sig[2] != 0x02 || len_r == 0 || sig[4] & 0x80 != 0 {
        return false;
    }
    if len_r > 1 && sig[4] == 0 && sig[5] & 0x80 == 0 {
        return false;
    }
    if sig[len_r + 4] != 0x02 || len_s == 0 || sig[len_r + 6] & 0x80 != 0 {
        return false;
    }
    !(len_s > 1 && sig[len_r + 6] == 0 && sig[len_r + 7] & 0x80 == 0)
}

pub(super) fn is_low_s(sig: &[u8]) -> bool {
    // The DER body without the hash type; lax parsing mirrors CPubKey::CheckLowS.
    match bitcoin::secp256k1::ecdsa::Signature::from_der_lax(&sig[..sig.len() - 1]) {
        Ok(s) => {
            let mut n = s;
            n.normalize_s();
            n == s
        }
        Err(_) => false,
    }
}

pub(super) fn check_signature_encoding(sig: &[u8], flags: VerifyFlags) -> Result<(), ScriptError> {
    if sig.is_empty() {
        return Ok(());
    }
    if flags.intersects(VerifyFlags::DERSIG | VerifyFlags::LOW_S | VerifyFlags::STRICTENC)
        && !is_valid_signature_encoding(sig)
    {
        return Err(ScriptError::SigDer);
    }
    if flags.contains(VerifyFlags::LOW_S) && !is_low_s(sig) {
        return Err(ScriptError::SigHighS);
    }
    if flags.contains(VerifyFlags::STRICTENC) {
        let t = sig[sig.len() - 1] & !0x80;
        if !(1..=3).contains(&t) {
            return Err(ScriptError::SigHashtype);
        }
    }
    Ok(())
}

pub(super) fn check_pubkey_encoding(
    pk: &[u8],
    flags: VerifyFlags,
    sigversion: SigVersion,
) -> Result<(), ScriptError> {
    let compressed = pk.len() == 33 && (pk[0] == 2 || pk[0] == 3);
    let uncompressed = pk.len() == 65 && pk[0] == 4;
    if flags.contains(VerifyFlags::STRICTENC) && !(compressed || uncompressed) {
        return Err(ScriptError::PubkeyType);
    }
    if flags.contains(VerifyFlags::WITNESS_PUBKEYTYPE)
        && sigversion == SigVersion::WitnessV0
        && !compressed
    {
        return Err(ScriptError::WitnessPubkeyType);
    }
    Ok(())
}
