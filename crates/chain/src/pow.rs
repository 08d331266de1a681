//! Proof of work: checking a header's hash, the work it proves, and the bits the next block
//! must carry (`pow.cpp`).

use bitcoin::block::Header;
use bitcoin::pow::{CompactTarget, Target, Work};
use bitcoin::BlockHash;

use crate::params::ChainParams;

/// `CheckProofOfWork`: the bits encode a positive target within the limit that the hash meets.
pub fn check_proof_of_work(hash: BlockHash, bits: CompactTarget, params: &ChainParams) -> bool {
    let raw = bits.to_consensus();
    let mantissa = raw & 0x007f_ffff;
    let exponent = raw >> 24;
    // Negative, zero and overflowing compact values are invalid (SetCompact's flags).
    let negative = mantissa != 0 && raw & 0x0080_0000 != 0;
    let overflow = mantissa != 0
        && (exponent > 34
            || (mantissa > 0xff && exponent > 33)
            || (mantissa > 0xffff && exponent > 32));
    if negative || overflow || mantissa == 0 {
        return false;
    }
    let target = Target::from_compact(bits);
    if target > params.pow.max_attainable_target {
        return false;
    }
    target.is_met_by(hash)
}

/// The work a header with these bits proves (`GetBlockProof`).
pub fn block_proof(bits: CompactTarget) -> Work {
    Target::from_compact(bits).to_work()
}

/// What `next_work_required` needs of the chain behind the new block.
pub trait HeaderChain {
    /// Header and height of the block at `height` on the new block's branch.
    fn ancestor(&self, height: u32) -> Option<Header>;
}

/// `GetNextWorkRequired`: the bits of the block after `last` (at `last_height`) with time `time`.
pub fn next_work_required(
    last: &Header,
    last_height: u32,
    time: u32,
    chain: &dyn HeaderChain,
    params: &ChainParams,
) -> CompactTarget {
    let limit = params.pow.max_attainable_target.to_compact_lossy();
    let interval = params.difficulty_adjustment_interval();
    if !(last_height + 1).is_multiple_of(interval) {
        if params.pow.allow_min_difficulty_blocks {
            // Testnet: after 20 minutes without a block, a minimum-difficulty block is allowed.
            if time as i64 > last.time as i64 + params.pow.pow_target_spacing as i64 * 2 {
                return limit;
            }
            // Otherwise the last bits that were not the minimum-difficulty exception.
            let (mut header, mut height) = (*last, last_height);
            while height > 0 && !height.is_multiple_of(interval) && header.bits == limit {
                match chain.ancestor(height - 1) {
                    Some(h) => {
                        header = h;
                        height -= 1;
                    }
                    None => break,
                }
            }
            return header.bits;
        }
        return last.bits;
    }
    let first_height = last_height + 1 - interval;
    let Some(first) = chain.ancestor(first_height) else {
        return last.bits;
    };
    calculate_next_work_required(last, &first, params)
}

/// `CalculateNextWorkRequired`: the retarget at the end of a difficulty period.
pub fn calculate_next_work_required(
    last: &Header,
    first: &Header,
    params: &ChainParams,
) -> CompactTarget {
    if params.pow.no_pow_retargeting {
        return last.bits;
    }
    let timespan = params.pow.pow_target_timespan as i64;
    let actual = (last.time as i64 - first.time as i64).clamp(timespan / 4, timespan * 4);
    // BIP94 retargets from the period's first block, which cannot use the min-difficulty rule.
    let base = if params.enforce_bip94 {
        first.bits
    } else {
        last.bits
    };
    CompactTarget::from_next_work_required(base, actual as u64, &params.pow)
}

/// `PermittedDifficultyTransition`: whether a header at `height` may carry `new_bits` after
/// a parent with `old_bits`, judged without the chain behind it. Off retarget boundaries the
/// bits must not change; on one they may move at most by the factor of four a retarget
/// allows, compared after rounding to compact form. Networks that allow minimum-difficulty
/// blocks permit anything. The headers presync uses it to stop a peer from packing a
/// chain's claimed work into few headers.
pub fn permitted_difficulty_transition(
    params: &ChainParams,
    height: i64,
    old_bits: CompactTarget,
    new_bits: CompactTarget,
) -> bool {
    if params.pow.allow_min_difficulty_blocks {
        return true;
    }
    let interval = i64::from(params.difficulty_adjustment_interval());
    if height % interval != 0 {
        return old_bits == new_bits;
    }
    // The retarget clamps the timespan to [T/4, 4T], so the target moves by at most a
    // factor of four either way (every network's T is a multiple of four, so this is
    // exact), capped at the limit.
    let limit = params.pow.max_attainable_target;
    let old = Target::from_compact(old_bits);
    let observed = Target::from_compact(new_bits);
    let round = |t: Target| Target::from_compact(t.to_compact_lossy());
    let easiest = round(old.max_transition_threshold_unchecked().min(limit));
    if observed > easiest {
        return false;
    }
    let hardest = round(old.min_transition_threshold().min(limit));
    observed >= hardest
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_meets_its_target_and_bad_bits_fail() {
        for p in [
            ChainParams::main(),
            ChainParams::regtest(),
            ChainParams::testnet4(),
        ] {
            let g = p.genesis.header;
            assert!(
                check_proof_of_work(g.block_hash(), g.bits, &p),
                "{:?}",
                p.network
            );
        }
        let p = ChainParams::main();
        let g = p.genesis.header;
        // Above the limit, negative, zero.
        assert!(!check_proof_of_work(
            g.block_hash(),
            CompactTarget::from_consensus(0x207fffff),
            &p
        ));
        assert!(!check_proof_of_work(
            g.block_hash(),
            CompactTarget::from_consensus(0x1d80ffff),
            &p
        ));
        assert!(!check_proof_of_work(
            g.block_hash(),
            CompactTarget::from_consensus(0x1d000000),
            &p
        ));
        assert!(!check_proof_of_work(
            g.block_hash(),
            CompactTarget::from_consensus(0x1a00ffff),
            &p
        ));
    }

    #[test]
    fn mainnet_retarget_matches_core() {
        // Core's pow_tests get_next_work: blocks 30240 to 32255.
        let p = ChainParams::main();
        let mut last = p.genesis.header;
        let mut first = p.genesis.header;
        first.time = 1_261_130_161;
        last.time = 1_262_152_739;
        last.bits = CompactTarget::from_consensus(0x1d00ffff);
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1d00d86a
        );
        // Limited by the pow limit, and by the 4x clamps.
        first.time = 1_231_006_505;
        last.time = 1_233_061_996;
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1d00ffff
        );
        first.time = 1_279_008_237;
        last.time = 1_279_297_671;
        last.bits = CompactTarget::from_consensus(0x1c05a3f4);
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1c0168fd
        );
        first.time = 1_263_163_443;
        last.time = 1_269_211_443;
        last.bits = CompactTarget::from_consensus(0x1c387f6f);
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1d00e1fd
        );
    }
}

#[cfg(test)]
mod testnet_tests {
    use super::*;
    use bitcoin::block::Version;
    use bitcoin::hashes::Hash;
    use bitcoin::TxMerkleNode;

    struct Chain(Vec<Header>);

    impl HeaderChain for Chain {
        fn ancestor(&self, height: u32) -> Option<Header> {
            self.0.get(height as usize).copied()
        }
    }

    fn header(time: u32, bits: u32) -> Header {
        Header {
            version: Version::from_consensus(4),
            prev_blockhash: BlockHash::all_zeros(),
            merkle_root: TxMerkleNode::all_zeros(),
            time,
            bits: CompactTarget::from_consensus(bits),
            nonce: 0,
        }
    }

    #[test]
    fn testnet_min_difficulty_rules() {
        let p = ChainParams::testnet();
        let limit = p
            .pow
            .max_attainable_target
            .to_compact_lossy()
            .to_consensus();
        // Heights 0..=4: a real difficulty at 0 and 1, then two minimum-difficulty blocks.
        let chain = Chain(vec![
            header(1000, 0x1c0fffff),
            header(1600, 0x1c0fffff),
            header(3000, limit),
            header(4400, limit),
        ]);
        let last = chain.0[3];
        // More than 20 minutes after the last block: the minimum difficulty is allowed.
        assert_eq!(
            next_work_required(&last, 3, last.time + 1201, &chain, &p).to_consensus(),
            limit
        );
        // Within 20 minutes: the last bits that were not the exception.
        assert_eq!(
            next_work_required(&last, 3, last.time + 600, &chain, &p).to_consensus(),
            0x1c0fffff
        );
        // Mainnet has no such rule.
        let m = ChainParams::main();
        assert_eq!(
            next_work_required(&last, 3, last.time + 5000, &chain, &m).to_consensus(),
            limit
        );
    }

    #[test]
    fn bip94_retargets_from_the_first_block_of_the_period() {
        let p = ChainParams::testnet4();
        let mut first = header(1_000_000, 0x1c0fffff);
        let mut last = header(1_000_000 + 1_209_600, 0x1d00ffff);
        // Exactly two weeks: the first block's bits come back unchanged, not the last's.
        assert_eq!(
            calculate_next_work_required(&last, &first, &p).to_consensus(),
            0x1c0fffff
        );
        let m = ChainParams::testnet();
        first.bits = CompactTarget::from_consensus(0x1c0fffff);
        last.bits = CompactTarget::from_consensus(0x1c0fffff);
        assert_eq!(
            calculate_next_work_required(&last, &first, &m).to_consensus(),
            0x1c0fffff
        );
    }

    #[test]
    fn difficulty_transitions_within_a_factor_of_four_on_retargets_only() {
        let p = ChainParams::main();
        let bits = CompactTarget::from_consensus(0x1b0404cb);
        let other = CompactTarget::from_consensus(0x1b0404cc);
        // Off a retarget boundary the bits must stay.
        assert!(permitted_difficulty_transition(&p, 2017, bits, bits));
        assert!(!permitted_difficulty_transition(&p, 2017, bits, other));
        // On one, anything within four times either way (after compact rounding).
        assert!(permitted_difficulty_transition(&p, 2016, bits, other));
        let t = Target::from_compact(bits);
        let four_easier = t.max_transition_threshold_unchecked().to_compact_lossy();
        let four_harder = t.min_transition_threshold().to_compact_lossy();
        assert!(permitted_difficulty_transition(&p, 4032, bits, four_easier));
        assert!(permitted_difficulty_transition(&p, 4032, bits, four_harder));
        let too_easy = CompactTarget::from_consensus(four_easier.to_consensus() + 1);
        let too_hard = CompactTarget::from_consensus(four_harder.to_consensus() - 1);
        assert!(!permitted_difficulty_transition(&p, 4032, bits, too_easy));
        assert!(!permitted_difficulty_transition(&p, 4032, bits, too_hard));
        // Never easier than the limit: from the limit, only harder.
        let g = p.genesis.header.bits;
        assert!(permitted_difficulty_transition(&p, 2016, g, g));
        assert!(!permitted_difficulty_transition(
            &p,
            2016,
            g,
            CompactTarget::from_consensus(0x1d01fffe)
        ));
        // Networks with minimum-difficulty blocks allow any change.
        let r = ChainParams::regtest();
        assert!(permitted_difficulty_transition(&r, 7, bits, other));
        let t4 = ChainParams::testnet4();
        assert!(permitted_difficulty_transition(&t4, 7, bits, other));
    }
}
