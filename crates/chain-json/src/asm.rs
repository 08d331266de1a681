//! Script disassembly as Core's `ScriptToAsmStr` prints it.

use bitcoin::Script;

use crate::hex::to_hex;
use crate::ops::{is_unspendable, op_name, Ops, OP_PUSHDATA4};

/// Disassembles a script as Core's `ScriptToAsmStr`.
///
/// Pushes of up to four bytes are shown as decimal numbers (script number
/// encoding), longer pushes as hex; other opcodes by name (`OP_1`..`OP_16`
/// as `1`..`16`, `OP_1NEGATE` as `-1`). A push running past the end of the
/// script ends the text with `[error]`. With `attempt_sighash_decode` (for
/// scriptSigs), pushes that are strictly DER-encoded signatures with a
/// defined sighash type show the type byte as `[ALL]`, `[NONE|ANYONECANPAY]`
/// and so on, unless the script is unspendable.
pub fn script_to_asm(script: &Script, attempt_sighash_decode: bool) -> String {
    bytes_to_asm(script.as_bytes(), attempt_sighash_decode)
}

/// [`script_to_asm`] on raw script bytes.
pub fn bytes_to_asm(script: &[u8], attempt_sighash_decode: bool) -> String {
    let mut out = String::new();
    let decode_sighash = attempt_sighash_decode && !is_unspendable(script);
    for op in Ops::new(script) {
        if !out.is_empty() {
            out.push(' ');
        }
        let op = match op {
            Ok(op) => op,
            Err(()) => {
                out.push_str("[error]");
                break;
            }
        };
        if op.code > OP_PUSHDATA4 {
            out.push_str(op_name(op.code));
        } else if op.data.len() <= 4 {
            out.push_str(&script_num(op.data).to_string());
        } else if let Some((sig, name)) = decode_sighash.then(|| split_sighash(op.data)).flatten() {
            out.push_str(&to_hex(sig));
            out.push('[');
            out.push_str(name);
            out.push(']');
        } else {
            out.push_str(&to_hex(op.data));
        }
    }
    out
}

/// Value of an up-to-four-byte push read as a script number (little
/// endian, sign in the top bit of the last byte), without minimality checks.
pub(crate) fn script_num(data: &[u8]) -> i64 {
    let Some((&last, _)) = data.split_last() else {
        return 0;
    };
    let mut value: i64 = 0;
    for (i, &b) in data.iter().enumerate().take(8) {
        value |= i64::from(b) << (8 * i);
    }
    if last & 0x80 != 0 {
        let shift = 8 * (data.len().min(8) - 1);
        -(value & !(0x80_i64 << shift))
    } else {
        value
    }
}

/// Core's name of a sighash type byte (`ALL`, `NONE|ANYONECANPAY`, ...), or
/// `None` for bytes that are not one of the six defined types.
pub fn sighash_name(byte: u8) -> Option<&'static str> {
    match byte {
        0x01 => Some("ALL"),
        0x81 => Some("ALL|ANYONECANPAY"),
        0x02 => Some("NONE"),
        0x82 => Some("NONE|ANYONECANPAY"),
        0x03 => Some("SINGLE"),
        0x83 => Some("SINGLE|ANYONECANPAY"),
        _ => None,
    }
}

/// When `data` passes Core's strict signature encoding check (BIP66 DER
/// plus a defined sighash type), splits off the sighash byte and names it.
fn split_sighash(data: &[u8]) -> Option<(&[u8], &'static str)> {
    if !is_valid_signature_encoding(data) {
        return None;
    }
    let (&last, sig) = data.split_last()?;
    sighash_name(last).map(|name| (sig, name))
}

/// BIP66 strict DER check of a signature with its trailing sighash byte.
pub(crate) fn is_valid_signature_encoding(sig: &[u8]) -> bool {
    let at = |i: usize| sig.get(i).copied().unwrap_or(0);
    let len = sig.len();
    if !(9..=73).contains(&len) || at(0) != 0x30 || usize::from(at(1)) != len - 3 {
        return false;
    }
    let len_r = usize::from(at(3));
    if 5 + len_r >= len {
        return false;
    }
    let len_s = usize::from(at(5 + len_r));
    if len_r + len_s + 7 != len {
        return false;
    }
    if at(2) != 0x02 || len_r == 0 || at(4) & 0x80 != 0 {
        return false;
    }
    if len_r > 1 && at(4) == 0 && at(5) & 0x80 == 0 {
        return false;
    }
    if at(len_r + 4) != 0x02 || len_s == 0 || at(len_r + 6) & 0x80 != 0 {
        return false;
    }
    !(len_s > 1 && at(len_r + 6) == 0 && at(len_r + 7) & 0x80 == 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hex::from_hex;

    fn asm(hex: &str, sighash: bool) -> String {
        bytes_to_asm(&from_hex(hex).unwrap_or_default(), sighash)
    }

    #[test]
    fn numbers_and_names() {
        assert_eq!(asm("", false), "");
        assert_eq!(asm("00", false), "0");
        assert_eq!(asm("4f", false), "-1");
        assert_eq!(asm("51", false), "1");
        assert_eq!(asm("60", false), "16");
        assert_eq!(asm("5102eeee", false), "1 -28398");
        assert_eq!(asm("0181", false), "-1");
        assert_eq!(asm("0180", false), "0");
        assert_eq!(asm("04ffffffff", false), "-2147483647");
        assert_eq!(asm("047fffffff", false), "-2147483519");
        assert_eq!(asm("04ffffff7f", false), "2147483647");
        assert_eq!(asm("4c00", false), "0");
        assert_eq!(asm("6aee", false), "OP_RETURN OP_UNKNOWN");
        assert_eq!(asm("6a02ee", false), "OP_RETURN [error]");
        assert_eq!(asm("02ee", false), "[error]");
    }

    #[test]
    fn sighash_decoding() {
        let sig = "304502207fa7a6d1e0ee81132a269ad84e68d695483745cde8b541e3bf630749894e342a022100c1f7ab20e13e22fb95281a870f3dcf38d782e53023ee313d741ad0cfbc0c509001";
        let push = format!("48{sig}");
        let expect = "304502207fa7a6d1e0ee81132a269ad84e68d695483745cde8b541e3bf630749894e342a022100c1f7ab20e13e22fb95281a870f3dcf38d782e53023ee313d741ad0cfbc0c5090[ALL]";
        assert_eq!(asm(&push, true), expect);
        assert_eq!(asm(&push, false), sig);
        // Not decoded behind OP_RETURN.
        assert_eq!(asm(&format!("6a{push}"), true), format!("OP_RETURN {sig}"));
    }
}
