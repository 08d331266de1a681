//! Script evaluation and verification.

mod checker;
mod encoding;
mod error;
mod flags;
mod interpreter;
mod num;
pub mod op;
mod sigcache;
mod verify;

pub use checker::{
    tapbranch_hash, tapleaf_hash, verify_taproot_commitment, SignatureChecker,
    TransactionSignatureChecker,
};
pub use error::ScriptError;
pub use flags::{
    FlagsError, VerifyFlags, MANDATORY_SCRIPT_VERIFY_FLAGS, STANDARD_SCRIPT_VERIFY_FLAGS,
};
pub use interpreter::{eval_script, ExecutionData, SigVersion};
pub use num::ScriptNum;
pub use verify::verify_script;

/// Largest pushed element (`MAX_SCRIPT_ELEMENT_SIZE`).
pub const MAX_SCRIPT_ELEMENT_SIZE: usize = 520;
/// Largest legacy and witness v0 script (`MAX_SCRIPT_SIZE`).
pub const MAX_SCRIPT_SIZE: usize = 10_000;
/// Non-push operations per legacy or witness v0 script (`MAX_OPS_PER_SCRIPT`).
pub const MAX_OPS_PER_SCRIPT: usize = 201;
/// Keys in one CHECKMULTISIG (`MAX_PUBKEYS_PER_MULTISIG`).
pub const MAX_PUBKEYS_PER_MULTISIG: i64 = 20;
/// Elements on the stack and altstack together (`MAX_STACK_SIZE`).
pub const MAX_STACK_SIZE: usize = 1000;
/// nLockTime below this is a height, at or above it a time (`LOCKTIME_THRESHOLD`).
pub const LOCKTIME_THRESHOLD: i64 = 500_000_000;

/// Whether a stack element is true: any non-zero byte, except a lone sign bit at the end.
pub fn cast_to_bool(v: &[u8]) -> bool {
    for (i, &b) in v.iter().enumerate() {
        if b != 0 {
            // Negative zero is false.
            return !(i == v.len() - 1 && b == 0x80);
        }
    }
    false
}

/// One operation of a script: its opcode and, for pushes, the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Instruction<'a> {
    /// The opcode byte.
    pub opcode: u8,
    /// Data pushed, for opcodes up to `OP_PUSHDATA4`; empty otherwise.
    pub data: &'a [u8],
}

/// Reads the operation at `*pc` and advances past it (`GetScriptOp`); `None` at a
/// truncated push or at the end of the script.
pub fn get_op<'a>(script: &'a [u8], pc: &mut usize) -> Option<Instruction<'a>> {
    let opcode = *script.get(*pc)?;
    let mut at = *pc + 1;
    let size = match opcode {
        op::OP_PUSHDATA1 => {
            let n = *script.get(at)? as usize;
            at += 1;
            n
        }
        op::OP_PUSHDATA2 => {
            let b = script.get(at..at + 2)?;
            at += 2;
            u16::from_le_bytes([b[0], b[1]]) as usize
        }
        op::OP_PUSHDATA4 => {
            let b = script.get(at..at + 4)?;
            at += 4;
            u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize
        }
        n if n < op::OP_PUSHDATA1 => n as usize,
        _ => 0,
    };
    let end = at.checked_add(size)?;
    let data = script.get(at..end)?;
    *pc = end;
    Some(Instruction { opcode, data })
}

/// Whether the script has only push operations (`IsPushOnly`; OP_RESERVED counts as a push).
pub fn is_push_only(script: &[u8]) -> bool {
    let mut pc = 0;
    while pc < script.len() {
        match get_op(script, &mut pc) {
            Some(i) if i.opcode <= op::OP_16 => {}
            _ => return false,
        }
    }
    true
}

/// `(version, program)` if the script is a witness program (`IsWitnessProgram`).
pub fn witness_program(script: &[u8]) -> Option<(u8, &[u8])> {
    if script.len() < 4 || script.len() > 42 {
        return None;
    }
    let version = match script[0] {
        op::OP_0 => 0,
        v @ op::OP_1..=op::OP_16 => v - op::OP_1 + 1,
        _ => return None,
    };
    (script[1] as usize + 2 == script.len()).then(|| (version, &script[2..]))
}

/// Whether an output can never be spent (`CScript::IsUnspendable`): it starts with
/// OP_RETURN or is too large to ever run.
pub fn is_unspendable(script: &[u8]) -> bool {
    script.first() == Some(&op::OP_RETURN) || script.len() > MAX_SCRIPT_SIZE
}

/// Whether the script is P2SH: `OP_HASH160 <20 bytes> OP_EQUAL` (`IsPayToScriptHash`).
pub fn is_p2sh(script: &[u8]) -> bool {
    script.len() == 23
        && script[0] == op::OP_HASH160
        && script[1] == 0x14
        && script[22] == op::OP_EQUAL
}

/// Whether a push used the smallest encoding (`CheckMinimalPush`).
pub fn check_minimal_push(data: &[u8], opcode: u8) -> bool {
    match data.len() {
        0 => opcode == op::OP_0,
        1 if (1..=16).contains(&data[0]) => false,
        1 if data[0] == 0x81 => false,
        n if n <= 75 => opcode as usize == n,
        n if n <= 255 => opcode == op::OP_PUSHDATA1,
        n if n <= 65535 => opcode == op::OP_PUSHDATA2,
        _ => true,
    }
}

/// Appends a push of `data` with the smallest opcode (`CScript << std::vector`).
pub fn push_data(script: &mut Vec<u8>, data: &[u8]) {
    let n = data.len();
    if n < op::OP_PUSHDATA1 as usize {
        script.push(n as u8);
    } else if n <= 0xff {
        script.push(op::OP_PUSHDATA1);
        script.push(n as u8);
    } else if n <= 0xffff {
        script.push(op::OP_PUSHDATA2);
        script.extend_from_slice(&(n as u16).to_le_bytes());
    } else {
        script.push(op::OP_PUSHDATA4);
        script.extend_from_slice(&(n as u32).to_le_bytes());
    }
    script.extend_from_slice(data);
}

/// Appends a number: `OP_0`, `OP_1NEGATE`, `OP_1`..`OP_16` or a push (`CScript << int64_t`).
pub fn push_int(script: &mut Vec<u8>, n: i64) {
    if n == -1 || (1..=16).contains(&n) {
        script.push((n + (op::OP_1 as i64 - 1)) as u8);
    } else if n == 0 {
        script.push(op::OP_0);
    } else {
        push_data(script, &ScriptNum::serialize(n));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_op_reads_pushes_and_rejects_truncation() {
        let s = [0x02, 0xaa, 0xbb, op::OP_DUP, op::OP_PUSHDATA1, 0x01, 0xcc];
        let mut pc = 0;
        assert_eq!(get_op(&s, &mut pc).map(|i| i.data), Some(&[0xaa, 0xbb][..]));
        assert_eq!(get_op(&s, &mut pc).map(|i| i.opcode), Some(op::OP_DUP));
        assert_eq!(get_op(&s, &mut pc).map(|i| i.data), Some(&[0xcc][..]));
        assert_eq!(get_op(&s, &mut pc), None);
        let mut pc = 0;
        assert_eq!(get_op(&[op::OP_PUSHDATA2, 0x05, 0x00, 1], &mut pc), None);
        let mut pc = 0;
        assert_eq!(
            get_op(&[op::OP_PUSHDATA4, 0xff, 0xff, 0xff, 0xff], &mut pc),
            None
        );
    }

    #[test]
    fn bool_casts() {
        assert!(!cast_to_bool(&[]));
        assert!(!cast_to_bool(&[0, 0]));
        assert!(!cast_to_bool(&[0, 0x80]));
        assert!(cast_to_bool(&[0x80, 0]));
        assert!(cast_to_bool(&[1]));
    }
}
