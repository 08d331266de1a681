//! Chain parameters of each network, as Core's `CChainParams` has them (the subset the
//! block index and header checks use so far).

use bitcoin::{Block, Network};

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
    /// Blocks between subsidy halvings.
    pub subsidy_halving_interval: u32,
}

/// Largest distance a block time may be ahead of ours (`MAX_FUTURE_BLOCK_TIME`), seconds.
pub const MAX_FUTURE_BLOCK_TIME: i64 = 2 * 60 * 60;
/// BIP94: how far a difficulty-adjustment block may go back in time (`MAX_TIMEWARP`), seconds.
pub const MAX_TIMEWARP: i64 = 600;

impl ChainParams {
    /// Bitcoin mainnet.
    pub fn main() -> ChainParams {
        ChainParams::with(
            Network::Bitcoin,
            [0xf9, 0xbe, 0xb4, 0xd9],
            false,
            227_931,
            363_725,
            388_381,
            210_000,
        )
    }

    /// Testnet3.
    pub fn testnet() -> ChainParams {
        ChainParams::with(
            Network::Testnet,
            [0x0b, 0x11, 0x09, 0x07],
            false,
            21_111,
            330_776,
            581_885,
            210_000,
        )
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
            subsidy_halving_interval,
        }
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
}
