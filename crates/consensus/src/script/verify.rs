//! `VerifyScript`: scriptSig, scriptPubKey, P2SH, and witness programs v0 and v1 (taproot).

use bitcoin::hashes::{sha256, Hash};

use super::checker::{tapleaf_hash, verify_taproot_commitment, SignatureChecker};
use super::interpreter::{
    eval_script, ExecutionData, SigVersion, ANNEX_TAG, TAPROOT_CONTROL_BASE_SIZE,
    TAPROOT_CONTROL_MAX_SIZE, TAPROOT_CONTROL_NODE_SIZE, TAPROOT_LEAF_MASK, TAPROOT_LEAF_TAPSCRIPT,
    VALIDATION_WEIGHT_OFFSET,
};
use super::op::*;
use super::{
    cast_to_bool, get_op, is_p2sh, is_push_only, push_data, witness_program, ScriptError,
    VerifyFlags, MAX_SCRIPT_ELEMENT_SIZE, MAX_STACK_SIZE,
};

type Stack = Vec<Vec<u8>>;

fn execute_witness_script(
    stack: &[Vec<u8>],
    script: &[u8],
    flags: VerifyFlags,
    sigversion: SigVersion,
    checker: &dyn SignatureChecker,
    execdata: &mut ExecutionData,
) -> Result<(), ScriptError> {
    if sigversion == SigVersion::Tapscript {
        // Any OP_SUCCESSx makes the script succeed, even where it would not execute.
        let mut pc = 0;
        while pc < script.len() {
            let Some(ins) = get_op(script, &mut pc) else {
                return Err(ScriptError::BadOpcode);
            };
            if super::op::is_op_success(ins.opcode) {
                if flags.contains(VerifyFlags::DISCOURAGE_OP_SUCCESS) {
                    return Err(ScriptError::DiscourageOpSuccess);
                }
                return Ok(());
            }
        }
        if stack.len() > MAX_STACK_SIZE {
            return Err(ScriptError::StackSize);
        }
    }
    if stack.iter().any(|e| e.len() > MAX_SCRIPT_ELEMENT_SIZE) {
        return Err(ScriptError::PushSize);
    }
    let mut stack = stack.to_vec();
    eval_script(&mut stack, script, flags, checker, sigversion, execdata)?;
    if stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if !cast_to_bool(&stack[0]) {
        return Err(ScriptError::EvalFalse);
    }
    Ok(())
}

fn serialized_witness_size(witness: &[Vec<u8>]) -> i64 {
    let compact = |n: usize| match n {
        0..=0xfc => 1,
        0xfd..=0xffff => 3,
        0x1_0000..=0xffff_ffff => 5,
        _ => 9,
    };
    (compact(witness.len())
        + witness
            .iter()
            .map(|e| compact(e.len()) + e.len())
            .sum::<usize>()) as i64
}

fn verify_witness_program(
    witness: &[Vec<u8>],
    version: u8,
    program: &[u8],
    flags: VerifyFlags,
    checker: &dyn SignatureChecker,
    is_p2sh: bool,
) -> Result<(), ScriptError> {
    let mut execdata = ExecutionData::default();
    if version == 0 {
        if program.len() == 32 {
            let Some((script, stack)) = witness.split_last() else {
                return Err(ScriptError::WitnessProgramWitnessEmpty);
            };
            if sha256::Hash::hash(script).to_byte_array()[..] != program[..] {
                return Err(ScriptError::WitnessProgramMismatch);
            }
            execute_witness_script(
                stack,
                script,
                flags,
                SigVersion::WitnessV0,
                checker,
                &mut execdata,
            )
        } else if program.len() == 20 {
            if witness.len() != 2 {
                return Err(ScriptError::WitnessProgramMismatch);
            }
            let mut script = vec![OP_DUP, OP_HASH160];
            push_data(&mut script, program);
            script.push(OP_EQUALVERIFY);
            script.push(OP_CHECKSIG);
            execute_witness_script(
                witness,
                &script,
                flags,
                SigVersion::WitnessV0,
                checker,
                &mut execdata,
            )
        } else {
            Err(ScriptError::WitnessProgramWrongLength)
        }
    } else if version == 1 && program.len() == 32 && !is_p2sh {
        if !flags.contains(VerifyFlags::TAPROOT) {
            return Ok(());
        }
        let mut stack: &[Vec<u8>] = witness;
        if stack.is_empty() {
            return Err(ScriptError::WitnessProgramWitnessEmpty);
        }
        if stack.len() >= 2 {
            if let Some(annex) = stack.last().filter(|a| a.first() == Some(&ANNEX_TAG)) {
                let mut e = sha256::Hash::engine();
                let _ = bitcoin::consensus::Encodable::consensus_encode(
                    &bitcoin::VarInt(annex.len() as u64),
                    &mut e,
                );
                bitcoin::hashes::HashEngine::input(&mut e, annex);
                execdata.annex_hash = Some(sha256::Hash::from_engine(e).to_byte_array());
                stack = &stack[..stack.len() - 1];
            }
        }
        if stack.len() == 1 {
            return checker.check_schnorr_signature(
                &stack[0],
                program,
                SigVersion::Taproot,
                &mut execdata,
            );
        }
        let (control, rest) = stack
            .split_last()
            .ok_or(ScriptError::WitnessProgramWitnessEmpty)?;
        let (script, stack) = rest
            .split_last()
            .ok_or(ScriptError::WitnessProgramWitnessEmpty)?;
        if control.len() < TAPROOT_CONTROL_BASE_SIZE
            || control.len() > TAPROOT_CONTROL_MAX_SIZE
            || !(control.len() - TAPROOT_CONTROL_BASE_SIZE)
                .is_multiple_of(TAPROOT_CONTROL_NODE_SIZE)
        {
            return Err(ScriptError::TaprootWrongControlSize);
        }
        let leaf = tapleaf_hash(control[0] & TAPROOT_LEAF_MASK, script);
        if !verify_taproot_commitment(control, program, &leaf) {
            return Err(ScriptError::WitnessProgramMismatch);
        }
        execdata.tapleaf_hash = Some(leaf);
        if control[0] & TAPROOT_LEAF_MASK == TAPROOT_LEAF_TAPSCRIPT {
            execdata.validation_weight_left =
                Some(serialized_witness_size(witness) + VALIDATION_WEIGHT_OFFSET);
            return execute_witness_script(
                stack,
                script,
                flags,
                SigVersion::Tapscript,
                checker,
                &mut execdata,
            );
        }
        if flags.contains(VerifyFlags::DISCOURAGE_UPGRADABLE_TAPROOT_VERSION) {
            return Err(ScriptError::DiscourageUpgradableTaprootVersion);
        }
        Ok(())
    } else if !is_p2sh && version == 1 && program == [0x4e, 0x73] {
        // Pay-to-anchor: anyone can spend.
        Ok(())
    } else {
        if flags.contains(VerifyFlags::DISCOURAGE_UPGRADABLE_WITNESS_PROGRAM) {
            return Err(ScriptError::DiscourageUpgradableWitnessProgram);
        }
        Ok(())
    }
}

/// Verifies that `script_sig` and `witness` satisfy `script_pubkey` (`VerifyScript`).
///
/// An invalid flag combination (WITNESS without P2SH, CLEANSTACK without both), which
/// Core treats as a programming error, fails with `UnknownError`.
pub fn verify_script(
    script_sig: &[u8],
    script_pubkey: &[u8],
    witness: &[Vec<u8>],
    flags: VerifyFlags,
    checker: &dyn SignatureChecker,
) -> Result<(), ScriptError> {
    if !flags.is_valid_combination() {
        return Err(ScriptError::UnknownError);
    }
    if flags.contains(VerifyFlags::SIGPUSHONLY) && !is_push_only(script_sig) {
        return Err(ScriptError::SigPushOnly);
    }
    let mut execdata = ExecutionData::default();
    let mut stack: Stack = Vec::new();
    eval_script(
        &mut stack,
        script_sig,
        flags,
        checker,
        SigVersion::Base,
        &mut execdata,
    )?;
    let stack_copy = if flags.contains(VerifyFlags::P2SH) {
        stack.clone()
    } else {
        Vec::new()
    };
    eval_script(
        &mut stack,
        script_pubkey,
        flags,
        checker,
        SigVersion::Base,
        &mut execdata,
    )?;
    match stack.last() {
        Some(v) if cast_to_bool(v) => {}
        _ => return Err(ScriptError::EvalFalse),
    }

    let mut had_witness = false;
    if flags.contains(VerifyFlags::WITNESS) {
        if let Some((version, program)) = witness_program(script_pubkey) {
            had_witness = true;
            if !script_sig.is_empty() {
                return Err(ScriptError::WitnessMalleated);
            }
            verify_witness_program(witness, version, program, flags, checker, false)?;
            // Leave exactly one element, so CLEANSTACK passes.
            stack.truncate(1);
        }
    }

    if flags.contains(VerifyFlags::P2SH) && is_p2sh(script_pubkey) {
        if !is_push_only(script_sig) {
            return Err(ScriptError::SigPushOnly);
        }
        stack = stack_copy;
        // The scriptSig pushed at least the redeem script, or the pubkey script failed above.
        let redeem = stack.pop().ok_or(ScriptError::UnknownError)?;
        eval_script(
            &mut stack,
            &redeem,
            flags,
            checker,
            SigVersion::Base,
            &mut execdata,
        )?;
        match stack.last() {
            Some(v) if cast_to_bool(v) => {}
            _ => return Err(ScriptError::EvalFalse),
        }
        if flags.contains(VerifyFlags::WITNESS) {
            if let Some((version, program)) = witness_program(&redeem) {
                had_witness = true;
                let mut expected = Vec::with_capacity(redeem.len() + 3);
                push_data(&mut expected, &redeem);
                if script_sig != expected.as_slice() {
                    return Err(ScriptError::WitnessMalleatedP2sh);
                }
                verify_witness_program(witness, version, program, flags, checker, true)?;
                stack.truncate(1);
            }
        }
    }

    if flags.contains(VerifyFlags::CLEANSTACK) && stack.len() != 1 {
        return Err(ScriptError::CleanStack);
    }
    if flags.contains(VerifyFlags::WITNESS) && !had_witness && !witness.is_empty() {
        return Err(ScriptError::WitnessUnexpected);
    }
    Ok(())
}
