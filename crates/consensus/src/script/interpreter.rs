//! `EvalScript` and `VerifyScript`: the script machine, P2SH, witness v0 and taproot.

use bitcoin::hashes::{hash160, ripemd160, sha1, sha256, sha256d, Hash};

use super::checker::SignatureChecker;
use super::encoding::{check_pubkey_encoding, check_signature_encoding, find_and_delete};
use super::op::*;
use super::{
    cast_to_bool, check_minimal_push, get_op, push_data, ScriptError, ScriptNum, VerifyFlags,
    MAX_OPS_PER_SCRIPT, MAX_PUBKEYS_PER_MULTISIG, MAX_SCRIPT_ELEMENT_SIZE, MAX_SCRIPT_SIZE,
    MAX_STACK_SIZE,
};

/// Which rules a script runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SigVersion {
    /// Bare scripts, scriptSig and P2SH redeem scripts.
    Base,
    /// P2WPKH and P2WSH (BIP143).
    WitnessV0,
    /// Taproot key path (BIP341).
    Taproot,
    /// Taproot script path, leaf version 0xc0 (BIP342).
    Tapscript,
}

/// State a taproot spend carries into signature checks (`ScriptExecutionData`).
#[derive(Debug, Clone, Default)]
pub struct ExecutionData {
    /// Hash of the executed leaf (script path).
    pub tapleaf_hash: Option<[u8; 32]>,
    /// Opcode position of the last executed OP_CODESEPARATOR (0xffffffff if none).
    pub codeseparator_pos: u32,
    /// SHA256 of the annex, when present.
    pub annex_hash: Option<[u8; 32]>,
    /// Signature-validation budget left (tapscript).
    pub validation_weight_left: Option<i64>,
}

pub(super) const ANNEX_TAG: u8 = 0x50;
pub(super) const TAPROOT_LEAF_MASK: u8 = 0xfe;
pub(super) const TAPROOT_LEAF_TAPSCRIPT: u8 = 0xc0;
pub(super) const TAPROOT_CONTROL_BASE_SIZE: usize = 33;
pub(super) const TAPROOT_CONTROL_NODE_SIZE: usize = 32;
pub(super) const TAPROOT_CONTROL_MAX_SIZE: usize =
    TAPROOT_CONTROL_BASE_SIZE + TAPROOT_CONTROL_NODE_SIZE * 128;
const VALIDATION_WEIGHT_PER_SIGOP_PASSED: i64 = 50;
pub(super) const VALIDATION_WEIGHT_OFFSET: i64 = 50;

type Stack = Vec<Vec<u8>>;

/// IF/ELSE nesting as a size and the position of the first false entry (`ConditionStack`).
#[derive(Default)]
struct ConditionStack {
    size: u32,
    first_false: Option<u32>,
}

impl ConditionStack {
    fn all_true(&self) -> bool {
        self.first_false.is_none()
    }
    fn push(&mut self, v: bool) {
        if self.first_false.is_none() && !v {
            self.first_false = Some(self.size);
        }
        self.size += 1;
    }
    fn pop(&mut self) {
        self.size -= 1;
        if self.first_false == Some(self.size) {
            self.first_false = None;
        }
    }
    fn toggle_top(&mut self) {
        match self.first_false {
            None => self.first_false = Some(self.size - 1),
            Some(p) if p == self.size - 1 => self.first_false = None,
            Some(_) => {}
        }
    }
}

fn top(stack: &Stack, i: usize) -> Result<&Vec<u8>, ScriptError> {
    stack
        .len()
        .checked_sub(i)
        .and_then(|k| stack.get(k))
        .ok_or(ScriptError::InvalidStackOperation)
}

fn need(stack: &Stack, n: usize) -> Result<(), ScriptError> {
    if stack.len() < n {
        Err(ScriptError::InvalidStackOperation)
    } else {
        Ok(())
    }
}

fn pop(stack: &mut Stack) -> Result<Vec<u8>, ScriptError> {
    stack.pop().ok_or(ScriptError::InvalidStackOperation)
}

fn bool_vec(b: bool) -> Vec<u8> {
    if b {
        vec![1]
    } else {
        Vec::new()
    }
}

/// OP_CHECKSIG and friends; `Ok(success)` unless the script must fail.
#[allow(clippy::too_many_arguments)]
fn eval_checksig(
    sig: &[u8],
    pubkey: &[u8],
    script_code: &[u8],
    execdata: &mut ExecutionData,
    flags: VerifyFlags,
    checker: &dyn SignatureChecker,
    sigversion: SigVersion,
) -> Result<bool, ScriptError> {
    match sigversion {
        SigVersion::Base | SigVersion::WitnessV0 => {
            let mut code = script_code.to_vec();
            if sigversion == SigVersion::Base {
                let mut needle = Vec::with_capacity(sig.len() + 5);
                push_data(&mut needle, sig);
                let found = find_and_delete(&mut code, &needle);
                if found > 0 && flags.contains(VerifyFlags::CONST_SCRIPTCODE) {
                    return Err(ScriptError::SigFindAndDelete);
                }
            }
            check_signature_encoding(sig, flags)?;
            check_pubkey_encoding(pubkey, flags, sigversion)?;
            let ok = checker.check_ecdsa_signature(sig, pubkey, &code, sigversion);
            if !ok && flags.contains(VerifyFlags::NULLFAIL) && !sig.is_empty() {
                return Err(ScriptError::SigNullFail);
            }
            Ok(ok)
        }
        SigVersion::Tapscript => {
            let success = !sig.is_empty();
            if success {
                let left = execdata
                    .validation_weight_left
                    .as_mut()
                    .ok_or(ScriptError::UnknownError)?;
                *left -= VALIDATION_WEIGHT_PER_SIGOP_PASSED;
                if *left < 0 {
                    return Err(ScriptError::TapscriptValidationWeight);
                }
            }
            if pubkey.is_empty() {
                return Err(ScriptError::TapscriptEmptyPubkey);
            } else if pubkey.len() == 32 {
                if success {
                    checker.check_schnorr_signature(sig, pubkey, sigversion, execdata)?;
                }
            } else if flags.contains(VerifyFlags::DISCOURAGE_UPGRADABLE_PUBKEYTYPE) {
                return Err(ScriptError::DiscourageUpgradablePubkeyType);
            }
            Ok(success)
        }
        SigVersion::Taproot => Err(ScriptError::UnknownError),
    }
}

/// Runs `script` on `stack` (`EvalScript`).
pub fn eval_script(
    stack: &mut Stack,
    script: &[u8],
    flags: VerifyFlags,
    checker: &dyn SignatureChecker,
    sigversion: SigVersion,
    execdata: &mut ExecutionData,
) -> Result<(), ScriptError> {
    let pre_tapscript = matches!(sigversion, SigVersion::Base | SigVersion::WitnessV0);
    if sigversion == SigVersion::Taproot {
        return Err(ScriptError::UnknownError);
    }
    if pre_tapscript && script.len() > MAX_SCRIPT_SIZE {
        return Err(ScriptError::ScriptSize);
    }
    let require_minimal = flags.contains(VerifyFlags::MINIMALDATA);
    let num = |v: &[u8]| ScriptNum::decode(v, require_minimal, 4);
    let mut pc = 0usize;
    let mut begin_code_hash = 0usize;
    let mut exec = ConditionStack::default();
    let mut altstack: Stack = Vec::new();
    let mut op_count = 0usize;
    let mut opcode_pos: u32 = 0;
    execdata.codeseparator_pos = 0xffff_ffff;

    while pc < script.len() {
        let f_exec = exec.all_true();
        let Some(ins) = get_op(script, &mut pc) else {
            return Err(ScriptError::BadOpcode);
        };
        let opcode = ins.opcode;
        if ins.data.len() > MAX_SCRIPT_ELEMENT_SIZE {
            return Err(ScriptError::PushSize);
        }
        if pre_tapscript && opcode > OP_16 {
            op_count += 1;
            if op_count > MAX_OPS_PER_SCRIPT {
                return Err(ScriptError::OpCount);
            }
        }
        if matches!(
            opcode,
            OP_CAT
                | OP_SUBSTR
                | OP_LEFT
                | OP_RIGHT
                | OP_INVERT
                | OP_AND
                | OP_OR
                | OP_XOR
                | OP_2MUL
                | OP_2DIV
                | OP_MUL
                | OP_DIV
                | OP_MOD
                | OP_LSHIFT
                | OP_RSHIFT
        ) {
            return Err(ScriptError::DisabledOpcode);
        }
        if opcode == OP_CODESEPARATOR
            && sigversion == SigVersion::Base
            && flags.contains(VerifyFlags::CONST_SCRIPTCODE)
        {
            return Err(ScriptError::OpCodeseparator);
        }

        if f_exec && opcode <= OP_PUSHDATA4 {
            if require_minimal && !check_minimal_push(ins.data, opcode) {
                return Err(ScriptError::MinimalData);
            }
            stack.push(ins.data.to_vec());
        } else if f_exec || (OP_IF..=OP_ENDIF).contains(&opcode) {
            match opcode {
                OP_1NEGATE | OP_1..=OP_16 => {
                    stack.push(ScriptNum::serialize(opcode as i64 - (OP_1 as i64 - 1)));
                }
                OP_NOP => {}
                OP_CHECKLOCKTIMEVERIFY => {
                    if flags.contains(VerifyFlags::CHECKLOCKTIMEVERIFY) {
                        let lock = ScriptNum::decode(top(stack, 1)?, require_minimal, 5)?.0;
                        if lock < 0 {
                            return Err(ScriptError::NegativeLocktime);
                        }
                        if !checker.check_lock_time(lock) {
                            return Err(ScriptError::UnsatisfiedLocktime);
                        }
                    }
                }
                OP_CHECKSEQUENCEVERIFY => {
                    if flags.contains(VerifyFlags::CHECKSEQUENCEVERIFY) {
                        let seq = ScriptNum::decode(top(stack, 1)?, require_minimal, 5)?.0;
                        if seq < 0 {
                            return Err(ScriptError::NegativeLocktime);
                        }
                        if seq & super::checker::SEQUENCE_LOCKTIME_DISABLE_FLAG == 0
                            && !checker.check_sequence(seq)
                        {
                            return Err(ScriptError::UnsatisfiedLocktime);
                        }
                    }
                }
                OP_NOP1 | OP_NOP4..=OP_NOP10 => {
                    if flags.contains(VerifyFlags::DISCOURAGE_UPGRADABLE_NOPS) {
                        return Err(ScriptError::DiscourageUpgradableNops);
                    }
                }
                OP_IF | OP_NOTIF => {
                    let mut value = false;
                    if f_exec {
                        let v = top(stack, 1)?;
                        if sigversion == SigVersion::Tapscript
                            && (v.len() > 1 || (v.len() == 1 && v[0] != 1))
                        {
                            return Err(ScriptError::TapscriptMinimalIf);
                        }
                        if sigversion == SigVersion::WitnessV0
                            && flags.contains(VerifyFlags::MINIMALIF)
                            && (v.len() > 1 || (v.len() == 1 && v[0] != 1))
                        {
                            return Err(ScriptError::MinimalIf);
                        }
                        value = cast_to_bool(v);
                        if opcode == OP_NOTIF {
                            value = !value;
                        }
                        stack.pop();
                    }
                    exec.push(value);
                }
                OP_ELSE => {
                    if exec.size == 0 {
                        return Err(ScriptError::UnbalancedConditional);
                    }
                    exec.toggle_top();
                }
                OP_ENDIF => {
                    if exec.size == 0 {
                        return Err(ScriptError::UnbalancedConditional);
                    }
                    exec.pop();
                }
                OP_VERIFY => {
                    if cast_to_bool(top(stack, 1)?) {
                        stack.pop();
                    } else {
                        return Err(ScriptError::Verify);
                    }
                }
                OP_RETURN => return Err(ScriptError::OpReturn),
                OP_TOALTSTACK => altstack.push(pop(stack)?),
                OP_FROMALTSTACK => stack.push(
                    altstack
                        .pop()
                        .ok_or(ScriptError::InvalidAltstackOperation)?,
                ),
                OP_2DROP => {
                    need(stack, 2)?;
                    stack.truncate(stack.len() - 2);
                }
                OP_2DUP => {
                    need(stack, 2)?;
                    let (a, b) = (top(stack, 2)?.clone(), top(stack, 1)?.clone());
                    stack.push(a);
                    stack.push(b);
                }
                OP_3DUP => {
                    need(stack, 3)?;
                    let (a, b, c) = (
                        top(stack, 3)?.clone(),
                        top(stack, 2)?.clone(),
                        top(stack, 1)?.clone(),
                    );
                    stack.push(a);
                    stack.push(b);
                    stack.push(c);
                }
                OP_2OVER => {
                    need(stack, 4)?;
                    let (a, b) = (top(stack, 4)?.clone(), top(stack, 3)?.clone());
                    stack.push(a);
                    stack.push(b);
                }
                OP_2ROT => {
                    need(stack, 6)?;
                    let n = stack.len();
                    let moved: Vec<Vec<u8>> = stack.drain(n - 6..n - 4).collect();
                    stack.extend(moved);
                }
                OP_2SWAP => {
                    need(stack, 4)?;
                    let n = stack.len();
                    stack.swap(n - 4, n - 2);
                    stack.swap(n - 3, n - 1);
                }
                OP_IFDUP => {
                    let v = top(stack, 1)?;
                    if cast_to_bool(v) {
                        let v = v.clone();
                        stack.push(v);
                    }
                }
                OP_DEPTH => stack.push(ScriptNum::serialize(stack.len() as i64)),
                OP_DROP => {
                    pop(stack)?;
                }
                OP_DUP => {
                    let v = top(stack, 1)?.clone();
                    stack.push(v);
                }
                OP_NIP => {
                    need(stack, 2)?;
                    let n = stack.len();
                    stack.remove(n - 2);
                }
                OP_OVER => {
                    need(stack, 2)?;
                    let v = top(stack, 2)?.clone();
                    stack.push(v);
                }
                OP_PICK | OP_ROLL => {
                    need(stack, 2)?;
                    let n = num(top(stack, 1)?)?.getint();
                    stack.pop();
                    if n < 0 || n as usize >= stack.len() {
                        return Err(ScriptError::InvalidStackOperation);
                    }
                    let idx = stack.len() - 1 - n as usize;
                    let v = if opcode == OP_ROLL {
                        stack.remove(idx)
                    } else {
                        stack[idx].clone()
                    };
                    stack.push(v);
                }
                OP_ROT => {
                    need(stack, 3)?;
                    let n = stack.len();
                    stack.swap(n - 3, n - 2);
                    stack.swap(n - 2, n - 1);
                }
                OP_SWAP => {
                    need(stack, 2)?;
                    let n = stack.len();
                    stack.swap(n - 2, n - 1);
                }
                OP_TUCK => {
                    need(stack, 2)?;
                    let v = top(stack, 1)?.clone();
                    let n = stack.len();
                    stack.insert(n - 2, v);
                }
                OP_SIZE => {
                    let n = top(stack, 1)?.len();
                    stack.push(ScriptNum::serialize(n as i64));
                }
                OP_EQUAL | OP_EQUALVERIFY => {
                    need(stack, 2)?;
                    let b = pop(stack)?;
                    let a = pop(stack)?;
                    let equal = a == b;
                    stack.push(bool_vec(equal));
                    if opcode == OP_EQUALVERIFY {
                        if equal {
                            stack.pop();
                        } else {
                            return Err(ScriptError::EqualVerify);
                        }
                    }
                }
                OP_1ADD | OP_1SUB | OP_NEGATE | OP_ABS | OP_NOT | OP_0NOTEQUAL => {
                    let n = num(top(stack, 1)?)?.0;
                    let r = match opcode {
                        OP_1ADD => n + 1,
                        OP_1SUB => n - 1,
                        OP_NEGATE => -n,
                        OP_ABS => n.abs(),
                        OP_NOT => i64::from(n == 0),
                        _ => i64::from(n != 0),
                    };
                    stack.pop();
                    stack.push(ScriptNum::serialize(r));
                }
                OP_ADD
                | OP_SUB
                | OP_BOOLAND
                | OP_BOOLOR
                | OP_NUMEQUAL
                | OP_NUMEQUALVERIFY
                | OP_NUMNOTEQUAL
                | OP_LESSTHAN
                | OP_GREATERTHAN
                | OP_LESSTHANOREQUAL
                | OP_GREATERTHANOREQUAL
                | OP_MIN
                | OP_MAX => {
                    need(stack, 2)?;
                    let a = num(top(stack, 2)?)?.0;
                    let b = num(top(stack, 1)?)?.0;
                    let r = match opcode {
                        OP_ADD => a + b,
                        OP_SUB => a - b,
                        OP_BOOLAND => i64::from(a != 0 && b != 0),
                        OP_BOOLOR => i64::from(a != 0 || b != 0),
                        OP_NUMEQUAL | OP_NUMEQUALVERIFY => i64::from(a == b),
                        OP_NUMNOTEQUAL => i64::from(a != b),
                        OP_LESSTHAN => i64::from(a < b),
                        OP_GREATERTHAN => i64::from(a > b),
                        OP_LESSTHANOREQUAL => i64::from(a <= b),
                        OP_GREATERTHANOREQUAL => i64::from(a >= b),
                        OP_MIN => a.min(b),
                        _ => a.max(b),
                    };
                    stack.truncate(stack.len() - 2);
                    stack.push(ScriptNum::serialize(r));
                    if opcode == OP_NUMEQUALVERIFY {
                        if cast_to_bool(top(stack, 1)?) {
                            stack.pop();
                        } else {
                            return Err(ScriptError::NumEqualVerify);
                        }
                    }
                }
                OP_WITHIN => {
                    need(stack, 3)?;
                    let x = num(top(stack, 3)?)?.0;
                    let lo = num(top(stack, 2)?)?.0;
                    let hi = num(top(stack, 1)?)?.0;
                    stack.truncate(stack.len() - 3);
                    stack.push(bool_vec(lo <= x && x < hi));
                }
                OP_RIPEMD160 | OP_SHA1 | OP_SHA256 | OP_HASH160 | OP_HASH256 => {
                    let v = pop(stack)?;
                    let h = match opcode {
                        OP_RIPEMD160 => ripemd160::Hash::hash(&v).to_byte_array().to_vec(),
                        OP_SHA1 => sha1::Hash::hash(&v).to_byte_array().to_vec(),
                        OP_SHA256 => sha256::Hash::hash(&v).to_byte_array().to_vec(),
                        OP_HASH160 => hash160::Hash::hash(&v).to_byte_array().to_vec(),
                        _ => sha256d::Hash::hash(&v).to_byte_array().to_vec(),
                    };
                    stack.push(h);
                }
                OP_CODESEPARATOR => {
                    begin_code_hash = pc;
                    execdata.codeseparator_pos = opcode_pos;
                }
                OP_CHECKSIG | OP_CHECKSIGVERIFY => {
                    need(stack, 2)?;
                    let (sig, pubkey) = (top(stack, 2)?, top(stack, 1)?);
                    let ok = eval_checksig(
                        sig,
                        pubkey,
                        &script[begin_code_hash..],
                        execdata,
                        flags,
                        checker,
                        sigversion,
                    )?;
                    stack.truncate(stack.len() - 2);
                    stack.push(bool_vec(ok));
                    if opcode == OP_CHECKSIGVERIFY {
                        if ok {
                            stack.pop();
                        } else {
                            return Err(ScriptError::CheckSigVerify);
                        }
                    }
                }
                OP_CHECKSIGADD => {
                    if pre_tapscript {
                        return Err(ScriptError::BadOpcode);
                    }
                    need(stack, 3)?;
                    let n = num(top(stack, 2)?)?.0;
                    let (sig, pubkey) = (top(stack, 3)?, top(stack, 1)?);
                    let ok = eval_checksig(
                        sig,
                        pubkey,
                        &script[begin_code_hash..],
                        execdata,
                        flags,
                        checker,
                        sigversion,
                    )?;
                    stack.truncate(stack.len() - 3);
                    stack.push(ScriptNum::serialize(n + i64::from(ok)));
                }
                OP_CHECKMULTISIG | OP_CHECKMULTISIGVERIFY => {
                    if sigversion == SigVersion::Tapscript {
                        return Err(ScriptError::TapscriptCheckMultisig);
                    }
                    let ok = check_multisig(
                        stack,
                        script,
                        begin_code_hash,
                        &mut op_count,
                        flags,
                        checker,
                        sigversion,
                        num,
                    )?;
                    if opcode == OP_CHECKMULTISIGVERIFY {
                        if ok {
                            stack.pop();
                        } else {
                            return Err(ScriptError::CheckMultisigVerify);
                        }
                    }
                }
                _ => return Err(ScriptError::BadOpcode),
            }
        }
        if stack.len() + altstack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
        opcode_pos = opcode_pos.wrapping_add(1);
    }
    if exec.size != 0 {
        return Err(ScriptError::UnbalancedConditional);
    }
    Ok(())
}

/// OP_CHECKMULTISIG: `m <sigs> n <keys>` plus the extra dummy element; pushes the result.
#[allow(clippy::too_many_arguments)]
fn check_multisig(
    stack: &mut Stack,
    script: &[u8],
    begin_code_hash: usize,
    op_count: &mut usize,
    flags: VerifyFlags,
    checker: &dyn SignatureChecker,
    sigversion: SigVersion,
    num: impl Fn(&[u8]) -> Result<ScriptNum, ScriptError>,
) -> Result<bool, ScriptError> {
    let mut i = 1usize;
    need(stack, i)?;
    let n_keys = num(top(stack, i)?)?.getint() as i64;
    if !(0..=MAX_PUBKEYS_PER_MULTISIG).contains(&n_keys) {
        return Err(ScriptError::PubkeyCount);
    }
    let mut n_keys = n_keys as usize;
    *op_count += n_keys;
    if *op_count > MAX_OPS_PER_SCRIPT {
        return Err(ScriptError::OpCount);
    }
    i += 1;
    let mut ikey = i;
    // Where keys end: used to apply NULLFAIL to signatures only.
    let mut ikey2 = n_keys + 2;
    i += n_keys;
    need(stack, i)?;
    let n_sigs = num(top(stack, i)?)?.getint() as i64;
    if n_sigs < 0 || n_sigs > n_keys as i64 {
        return Err(ScriptError::SigCount);
    }
    let mut n_sigs = n_sigs as usize;
    i += 1;
    let mut isig = i;
    i += n_sigs;
    need(stack, i)?;

    let mut code = script[begin_code_hash..].to_vec();
    if sigversion == SigVersion::Base {
        for k in 0..n_sigs {
            let mut needle = Vec::new();
            push_data(&mut needle, top(stack, isig + k)?);
            let found = find_and_delete(&mut code, &needle);
            if found > 0 && flags.contains(VerifyFlags::CONST_SCRIPTCODE) {
                return Err(ScriptError::SigFindAndDelete);
            }
        }
    }

    let mut success = true;
    while success && n_sigs > 0 {
        let sig = top(stack, isig)?;
        let pubkey = top(stack, ikey)?;
        check_signature_encoding(sig, flags)?;
        check_pubkey_encoding(pubkey, flags, sigversion)?;
        if checker.check_ecdsa_signature(sig, pubkey, &code, sigversion) {
            isig += 1;
            n_sigs -= 1;
        }
        ikey += 1;
        n_keys -= 1;
        // More signatures left than keys: it cannot succeed.
        if n_sigs > n_keys {
            success = false;
        }
    }

    // Pop everything the operation consumed except the dummy.
    while i > 1 {
        i -= 1;
        if !success
            && flags.contains(VerifyFlags::NULLFAIL)
            && ikey2 == 0
            && !top(stack, 1)?.is_empty()
        {
            return Err(ScriptError::SigNullFail);
        }
        ikey2 = ikey2.saturating_sub(1);
        stack.pop();
    }
    // The dummy element, consumed because of an off-by-one in the original implementation.
    let dummy = top(stack, 1)?;
    if flags.contains(VerifyFlags::NULLDUMMY) && !dummy.is_empty() {
        return Err(ScriptError::SigNullDummy);
    }
    stack.pop();
    stack.push(bool_vec(success));
    Ok(success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_and_delete_matches_core() {
        // From Core's script_FindAndDelete test.
        let mut s = vec![OP_1, OP_2];
        assert_eq!(find_and_delete(&mut s, &[OP_2]), 1);
        assert_eq!(s, vec![OP_1]);
        let mut s = vec![0x02, 0x03, 0x02, 0x03, 0x02, 0x03];
        assert_eq!(find_and_delete(&mut s, &[0x02, 0x03, 0x02]), 1);
        let mut s = vec![0x02, 0x03, 0x02, 0x03, 0x02, 0x03];
        assert_eq!(find_and_delete(&mut s, &[]), 0);
        let mut s = vec![OP_0, OP_0, OP_1];
        assert_eq!(find_and_delete(&mut s, &[OP_0]), 2);
        assert_eq!(s, vec![OP_1]);
    }
}
