//! Chain parameters of each network, as Core's `CChainParams` has them (the subset the
//! block index and header checks use so far).

use bitcoin::{Block, BlockHash, Network};
use consensus::script::VerifyFlags;

/// Parameters of one network.
#[derive(Debug, Clone)]
pub struct ChainParams {
    /// rust-bitcoin's network, for its constants.
    pub network: Network,
    /// Message start bytes (`pchMessageStart`), also framing block files.
    pub magic: [u8; 4],
    /// The genesis block.
    pub genesis: Block,
    /// Proof-of-work parameters (limit, spacing, timespan, retargeting rules).
    pub pow: bitcoin::consensus::Params,
    /// BIP94 (testnet4): retarget from the period's first block; timewarp protection.
    pub enforce_bip94: bool,
    /// Height from which blocks must be version 2 or more (BIP34).
    pub bip34_height: u32,
    /// Height from which blocks must be version 3 or more (BIP66).
    pub bip66_height: u32,
    /// Height from which blocks must be version 4 or more (BIP65).
    pub bip65_height: u32,
    /// Height from which BIP68/112/113 (relative lock times, median-time-past locks) apply.
    pub csv_height: u32,
    /// Height from which segregated witness rules (and BIP147 NULLDUMMY) apply.
    pub segwit_height: u32,
    /// The block at `bip34_height` on the chain where BIP34 activated; on that chain BIP30
    /// needs no checking below the height where coinbases could repeat.
    pub bip34_hash: Option<BlockHash>,
    /// Historical blocks validated with other script flags than the rules give.
    pub script_flag_exceptions: Vec<(BlockHash, VerifyFlags)>,
    /// Blocks between subsidy halvings.
    pub subsidy_halving_interval: u32,
}

/// Largest distance a block time may be ahead of ours (`MAX_FUTURE_BLOCK_TIME`), seconds.
pub const MAX_FUTURE_BLOCK_TIME: i64 = 2 * 60 * 60;
/// BIP94: how far a difficulty-adjustment block may go back in time (`MAX_TIMEWARP`), seconds.
pub const MAX_TIMEWARP: i64 = 600;

/// A block hash written as Core prints it; the strings are constants of this file, checked by
/// a test, so a malformed one would show as the all-zero hash there.
fn hash(hex: &str) -> BlockHash {
    use std::str::FromStr;
    BlockHash::from_str(hex).unwrap_or_else(|_| {
        use bitcoin::hashes::Hash;
        BlockHash::all_zeros()
    })
}

impl ChainParams {
    /// Bitcoin mainnet.
    pub fn main() -> ChainParams {
        let mut p = ChainParams::with(
            Network::Bitcoin,
            [0xf9, 0xbe, 0xb4, 0xd9],
            false,
            227_931,
            363_725,
            388_381,
            419_328,
            481_824,
            210_000,
        );
        p.bip34_hash = Some(hash(
            "000000000000024b89b42a942fe0d9fea3bb44ab7bd1b19115dd6a759c0808b8",
        ));
        p.script_flag_exceptions = vec![
            // BIP16: the one block that broke P2SH rules before they were enforced.
            (
                hash("00000000000002dc756eebf4f49723ed8d30cc28a5f108eb94b1ba88ac4f9c22"),
                VerifyFlags::NONE,
            ),
            // The one block that broke taproot rules before activation.
            (
                hash("0000000000000000000f14c35b2d841e986ab5441de8c585d5ffe55ea1e395ad"),
                VerifyFlags::P2SH | VerifyFlags::WITNESS,
            ),
        ];
        p
    }

    /// Testnet3.
    pub fn testnet() -> ChainParams {
        let mut p = ChainParams::with(
            Network::Testnet,
            [0x0b, 0x11, 0x09, 0x07],
            false,
            21_111,
            330_776,
            581_885,
            770_112,
            834_624,
            210_000,
        );
        p.bip34_hash = Some(hash(
            "0000000023b3a96d3484e5abb3755c413e7d41500f8e2a5c3f0dd01299cd8ef8",
        ));
        p.script_flag_exceptions = vec![(
            hash("00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105"),
            VerifyFlags::NONE,
        )];
        p
    }

    /// Testnet4.
    pub fn testnet4() -> ChainParams {
        ChainParams::with(
            Network::Testnet4,
            [0x1c, 0x16, 0x3f, 0x28],
            true,
            1,
            1,
            1,
            1,
            1,
            210_000,
        )
    }

    /// The default signet.
    pub fn signet() -> ChainParams {
        ChainParams::with(
            Network::Signet,
            [0x0a, 0x03, 0xcf, 0x40],
            false,
            1,
            1,
            1,
            1,
            1,
            210_000,
        )
    }

    /// Regtest: every rule from height 1, no retargeting, halving every 150 blocks.
    pub fn regtest() -> ChainParams {
        ChainParams::with(
            Network::Regtest,
            [0xfa, 0xbf, 0xb5, 0xda],
            false,
            1,
            1,
            1,
            1,
            0,
            150,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn with(
        network: Network,
        magic: [u8; 4],
        enforce_bip94: bool,
        bip34_height: u32,
        bip66_height: u32,
        bip65_height: u32,
        csv_height: u32,
        segwit_height: u32,
        subsidy_halving_interval: u32,
    ) -> ChainParams {
        ChainParams {
            network,
            magic,
            genesis: bitcoin::constants::genesis_block(network),
            pow: bitcoin::consensus::Params::new(network),
            enforce_bip94,
            bip34_height,
            bip66_height,
            bip65_height,
            csv_height,
            segwit_height,
            bip34_hash: None,
            script_flag_exceptions: Vec::new(),
            subsidy_halving_interval,
        }
    }

    /// Script flags for the block `hash` at `height` (`GetBlockScriptFlags`): P2SH, witness
    /// and taproot always (but for the listed exceptions), the others from their heights.
    pub fn block_script_flags(&self, hash: &BlockHash, height: u32) -> VerifyFlags {
        let mut flags = self
            .script_flag_exceptions
            .iter()
            .find(|(h, _)| h == hash)
            .map(|(_, f)| *f)
            .unwrap_or(VerifyFlags::P2SH | VerifyFlags::WITNESS | VerifyFlags::TAPROOT);
        if height >= self.bip66_height {
            flags |= VerifyFlags::DERSIG;
        }
        if height >= self.bip65_height {
            flags |= VerifyFlags::CHECKLOCKTIMEVERIFY;
        }
        if height >= self.csv_height {
            flags |= VerifyFlags::CHECKSEQUENCEVERIFY;
        }
        if height >= self.segwit_height {
            flags |= VerifyFlags::NULLDUMMY;
        }
        flags
    }

    /// Blocks per difficulty period (`DifficultyAdjustmentInterval`).
    pub fn difficulty_adjustment_interval(&self) -> u32 {
        (self.pow.pow_target_timespan / self.pow.pow_target_spacing) as u32
    }

    /// The block subsidy at `height` (`GetBlockSubsidy`), in satoshis.
    pub fn block_subsidy(&self, height: u32) -> u64 {
        let halvings = height / self.subsidy_halving_interval;
        if halvings >= 64 {
            return 0;
        }
        (50 * 100_000_000u64) >> halvings
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn genesis_hashes_and_subsidy() {
        assert_eq!(
            ChainParams::regtest().genesis.block_hash().to_string(),
            "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"
        );
        assert_eq!(
            ChainParams::main().genesis.block_hash().to_string(),
            "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"
        );
        assert_eq!(
            ChainParams::testnet4().genesis.block_hash().to_string(),
            "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"
        );
        let r = ChainParams::regtest();
        assert_eq!(r.block_subsidy(149), 5_000_000_000);
        assert_eq!(r.block_subsidy(150), 2_500_000_000);
        assert_eq!(r.block_subsidy(300), 1_250_000_000);
        assert_eq!(ChainParams::main().difficulty_adjustment_interval(), 2016);
    }

    #[test]
    fn fixed_hashes_parse_and_script_flags_follow_heights() {
        use bitcoin::hashes::Hash;
        let main = ChainParams::main();
        let testnet = ChainParams::testnet();
        let fixed = main
            .script_flag_exceptions
            .iter()
            .chain(&testnet.script_flag_exceptions)
            .map(|(h, _)| *h)
            .chain(main.bip34_hash)
            .chain(testnet.bip34_hash);
        for h in fixed {
            assert_ne!(h, BlockHash::all_zeros());
        }
        let any = BlockHash::all_zeros();
        let base = VerifyFlags::P2SH | VerifyFlags::WITNESS | VerifyFlags::TAPROOT;
        assert_eq!(main.block_script_flags(&any, 363_724), base);
        assert_eq!(
            main.block_script_flags(&any, 481_824),
            base | VerifyFlags::DERSIG
                | VerifyFlags::CHECKLOCKTIMEVERIFY
                | VerifyFlags::CHECKSEQUENCEVERIFY
                | VerifyFlags::NULLDUMMY
        );
        let (bip16_block, _) = main.script_flag_exceptions[0];
        assert_eq!(
            main.block_script_flags(&bip16_block, 170_060),
            VerifyFlags::NONE
        );
        let r = ChainParams::regtest();
        assert!(r
            .block_script_flags(&any, 0)
            .contains(VerifyFlags::NULLDUMMY));
        assert!(!r.block_script_flags(&any, 0).contains(VerifyFlags::DERSIG));
        assert!(r
            .block_script_flags(&any, 1)
            .contains(VerifyFlags::CHECKSEQUENCEVERIFY));
    }
}
