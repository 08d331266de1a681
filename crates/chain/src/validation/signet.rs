//! Signet block solutions (BIP325, `CheckSignetBlockSolution`): the block's signer proves
//! itself by a spend of the network's challenge script, carried in the witness commitment.

use bitcoin::absolute::LockTime;
use bitcoin::consensus::deserialize_partial;
use bitcoin::hashes::Hash;
use bitcoin::transaction::Version;
use bitcoin::{Amount, Block, OutPoint, ScriptBuf, Sequence, Transaction, TxIn, TxOut, Witness};
use consensus::script::{verify_script, TransactionSignatureChecker, VerifyFlags};
use consensus::sighash::PrecomputedTransactionData;

use super::merkle::{merkle_root, witness_commitment_index};

/// Marks the push in the witness commitment that holds the solution.
const SIGNET_HEADER: [u8; 4] = [0xec, 0xc7, 0xda, 0xa2];

/// Appends a push of `data` as `CScript << data` writes it.
fn push_data(script: &mut Vec<u8>, data: &[u8]) {
    match data.len() {
        n if n < 0x4c => script.push(n as u8),
        n if n <= 0xff => script.extend_from_slice(&[0x4c, n as u8]),
        n if n <= 0xffff => {
            script.push(0x4d);
            script.extend_from_slice(&(n as u16).to_le_bytes());
        }
        n => {
            script.push(0x4e);
            script.extend_from_slice(&(n as u32).to_le_bytes());
        }
    }
    script.extend_from_slice(data);
}

/// Splits the solution off the first push that starts with the signet header and has more
/// after it; returns the script rebuilt without it, or `None` if there is no such push.
/// Parsing stops at a malformed push, as Core's does.
fn take_solution(script: &[u8]) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut rebuilt = Vec::with_capacity(script.len());
    let mut solution = None;
    let mut pc = 0;
    while pc < script.len() {
        let op = script[pc];
        pc += 1;
        let len = match op {
            0..=0x4b => op as usize,
            0x4c..=0x4e => {
                let width = [1, 2, 4][(op - 0x4c) as usize];
                let Some(bytes) = script.get(pc..pc + width) else {
                    break;
                };
                pc += width;
                bytes
                    .iter()
                    .rev()
                    .fold(0usize, |acc, b| (acc << 8) | *b as usize)
            }
            _ => {
                rebuilt.push(op);
                continue;
            }
        };
        let Some(data) = script.get(pc..pc + len) else {
            break;
        };
        pc += len;
        if data.is_empty() {
            rebuilt.push(op);
            continue;
        }
        if solution.is_none() && data.len() > SIGNET_HEADER.len() && data[..4] == SIGNET_HEADER {
            solution = Some(data[4..].to_vec());
            push_data(&mut rebuilt, &data[..4]);
        } else {
            push_data(&mut rebuilt, data);
        }
    }
    solution.map(|s| (rebuilt, s))
}

/// The virtual transactions of BIP325: one paying to the challenge and committing to the
/// block, and one spending it with the solution.
fn signet_txs(block: &Block, challenge: &[u8]) -> Option<(Transaction, Transaction)> {
    let mut to_sign = Transaction {
        version: Version(0),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::new(),
            sequence: Sequence(0),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(vec![0x6a]),
        }],
    };
    let mut coinbase = block.txdata.first()?.clone();
    let pos = witness_commitment_index(block)?;
    let commitment = coinbase.output[pos].script_pubkey.as_bytes().to_vec();
    // Without a solution the challenge must pass with an empty spend (e.g. OP_TRUE).
    if let Some((rebuilt, solution)) = take_solution(&commitment) {
        coinbase.output[pos].script_pubkey = ScriptBuf::from_bytes(rebuilt);
        let (script_sig, used): (ScriptBuf, usize) = deserialize_partial(&solution).ok()?;
        let (witness, rest): (Witness, usize) = deserialize_partial(&solution[used..]).ok()?;
        if used + rest != solution.len() {
            return None;
        }
        to_sign.input[0].script_sig = script_sig;
        to_sign.input[0].witness = witness;
    }
    let mut leaves = vec![coinbase.compute_txid().to_byte_array()];
    leaves.extend(
        block.txdata[1..]
            .iter()
            .map(|tx| tx.compute_txid().to_byte_array()),
    );
    let (signet_merkle, _) = merkle_root(leaves);
    let mut data = Vec::with_capacity(72);
    data.extend_from_slice(&block.header.version.to_consensus().to_le_bytes());
    data.extend_from_slice(block.header.prev_blockhash.as_byte_array());
    data.extend_from_slice(&signet_merkle);
    data.extend_from_slice(&block.header.time.to_le_bytes());
    let mut script_sig = vec![0x00];
    push_data(&mut script_sig, &data);
    let to_spend = Transaction {
        version: Version(0),
        lock_time: LockTime::ZERO,
        input: vec![TxIn {
            previous_output: OutPoint::null(),
            script_sig: ScriptBuf::from_bytes(script_sig),
            sequence: Sequence(0),
            witness: Witness::new(),
        }],
        output: vec![TxOut {
            value: Amount::ZERO,
            script_pubkey: ScriptBuf::from_bytes(challenge.to_vec()),
        }],
    };
    to_sign.input[0].previous_output = OutPoint {
        txid: to_spend.compute_txid(),
        vout: 0,
    };
    Some((to_spend, to_sign))
}

/// Whether `block` carries a valid solution to `challenge`.
pub fn check_signet_solution(block: &Block, challenge: &[u8]) -> bool {
    let Some((to_spend, to_sign)) = signet_txs(block, challenge) else {
        return false;
    };
    let spent = to_spend.output[0].clone();
    let data = PrecomputedTransactionData::new(&to_sign, vec![spent.clone()], false);
    let checker = TransactionSignatureChecker::new(&to_sign, 0, 0, Some(&data));
    let witness: Vec<Vec<u8>> = to_sign.input[0].witness.to_vec();
    let flags =
        VerifyFlags::P2SH | VerifyFlags::WITNESS | VerifyFlags::DERSIG | VerifyFlags::NULLDUMMY;
    verify_script(
        to_sign.input[0].script_sig.as_bytes(),
        spent.script_pubkey.as_bytes(),
        &witness,
        flags,
        &checker,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Block 1 of the default signet (from Core's feature_signet.py, MIT).
    const SIGNET_BLOCK_1: &str = "00000020f61eee3b63a380a477a063af32b2bbc97c9ff9f01f2c4225e973988108000000f575c83235984e7dc4afc1f30944c170462e84437ab6f2d52e16878a79e4678bd1914d5fae77031eccf4070001010000000001010000000000000000000000000000000000000000000000000000000000000000ffffffff025151feffffff0200f2052a010000001600149243f727dd5343293eb83174324019ec16c2630f0000000000000000776a24aa21a9ede2f61c3f71d1defd3fa999dfa36953755c690689799962b48bebd836974e8cf94c4fecc7daa2490047304402205e423a8754336ca99dbe16509b877ef1bf98d008836c725005b3c787c41ebe46022047246e4467ad7cc7f1ad98662afcaf14c115e0095a227c7b05c5182591c23e7e01000120000000000000000000000000000000000000000000000000000000000000000000000000";
    const DEFAULT_CHALLENGE: &str = "512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae";

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    fn block1() -> Block {
        bitcoin::consensus::deserialize(&hex(SIGNET_BLOCK_1)).unwrap()
    }

    #[test]
    fn default_signet_block_has_a_valid_solution() {
        assert!(check_signet_solution(&block1(), &hex(DEFAULT_CHALLENGE)));
    }

    #[test]
    fn other_challenges_and_edited_solutions_fail() {
        // The default keys as a 2-of-2: one signature is not enough.
        let mut two_of_two = hex(DEFAULT_CHALLENGE);
        two_of_two[0] = 0x52;
        assert!(!check_signet_solution(&block1(), &two_of_two));
        // The header time is committed to.
        let mut b = block1();
        b.header.time += 1;
        assert!(!check_signet_solution(&b, &hex(DEFAULT_CHALLENGE)));
        // A block without a witness commitment has no solution.
        let mut b = block1();
        b.txdata[0].output.truncate(1);
        assert!(!check_signet_solution(&b, &hex(DEFAULT_CHALLENGE)));
        // Without a solution, OP_TRUE is met by the empty spend.
        let mut b = block1();
        b.txdata[0].output[1].script_pubkey =
            ScriptBuf::from_bytes(b.txdata[0].output[1].script_pubkey.as_bytes()[..38].to_vec());
        assert!(check_signet_solution(&b, &[0x51]));
    }

    #[test]
    fn check_block_asks_for_the_solution_on_signet_only() {
        use crate::validation::{check_block, BlockError};
        use crate::ChainParams;
        assert_eq!(
            check_block(&block1(), &ChainParams::signet(), true, true),
            Ok(())
        );
        let mut two_of_two = hex(DEFAULT_CHALLENGE);
        two_of_two[0] = 0x52;
        let err = check_block(
            &block1(),
            &ChainParams::signet_with_challenge(two_of_two),
            true,
            true,
        );
        assert_eq!(err, Err(BlockError::SignetSolution));
        assert_eq!(BlockError::SignetSolution.reason(), "bad-signet-blksig");
        // The genesis block needs no solution.
        let g = ChainParams::signet().genesis;
        assert_eq!(check_block(&g, &ChainParams::signet(), true, true), Ok(()));
    }

    #[test]
    fn solution_push_is_cut_to_the_header() {
        let mut script = vec![0x6a];
        push_data(&mut script, &[0xec, 0xc7, 0xda, 0xa2, 1, 2, 3]);
        let (rebuilt, sol) = take_solution(&script).unwrap();
        assert_eq!(sol, vec![1, 2, 3]);
        assert_eq!(rebuilt, vec![0x6a, 0x04, 0xec, 0xc7, 0xda, 0xa2]);
        // The header alone carries nothing and does not count.
        let mut bare = vec![0x6a];
        push_data(&mut bare, &SIGNET_HEADER);
        assert!(take_solution(&bare).is_none());
    }
}
