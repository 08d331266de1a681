//! Chain parameters of each network, as Core's `CChainParams` has them (the subset the
//! block index and header checks use so far).

use bitcoin::{Block, BlockHash, Network};
use consensus::script::VerifyFlags;

use crate::versionbits::Deployment;

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
    /// Signet only: the script every block must carry a solution to (BIP325).
    pub signet_challenge: Option<Vec<u8>>,
    /// Work a chain needs before the node leaves initial block download
    /// (`nMinimumChainWork`, `-minimumchainwork`), big-endian.
    pub minimum_chain_work: [u8; 32],
    /// Transaction statistics for estimating verification progress (`ChainTxData`).
    pub tx_data: ChainTxData,
    /// The default `-assumevalid` block (`defaultAssumeValid`): scripts below it, on the
    /// best header chain, are not checked.
    pub default_assume_valid: Option<BlockHash>,
    /// BIP9 deployments (Core's `vDeployments`, named as in `VersionBitsDeploymentInfo`).
    pub deployments: Vec<crate::versionbits::Deployment>,
    /// Blocks below this height are not counted for unknown-rule warnings
    /// (`MinBIP9WarningHeight`).
    pub min_bip9_warning_height: u32,
    /// How the low-work headers anti-DoS sync (headers presync) is tuned on this network
    /// (`HeadersSyncParams`): not consensus, but sized for the chain's length.
    pub headers_sync: HeadersSyncParams,
}

/// Memory tuning of the headers presync (Core's `HeadersSyncParams`, computed there by
/// `headerssync-params.py` for each network).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeadersSyncParams {
    /// One commitment bit is kept per this many headers during presync.
    pub commitment_period: usize,
    /// Headers held back during redownload until this many more have been checked
    /// against the commitments.
    pub redownload_buffer_size: usize,
}

/// Known transaction counts of a network at a time, and the rate since (`ChainTxData`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChainTxData {
    /// UNIX time of the data.
    pub time: i64,
    /// Transactions in the chain then.
    pub tx_count: u64,
    /// Transactions per second after it.
    pub tx_rate: f64,
}

/// A 256-bit number written as Core prints it (big-endian hex) to bytes; constants only,
/// checked by a test.
fn work(hex: &str) -> [u8; 32] {
    decode_hex(hex)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .unwrap_or([0; 32])
}

/// The default signet's challenge: a 1-of-2 multisig of its operators' keys.
const DEFAULT_SIGNET_CHALLENGE: [u8; 71] = [
    0x51, 0x21, 0x03, 0xad, 0x5e, 0x0e, 0xda, 0xd1, 0x8c, 0xb1, 0xf0, 0xfc, 0x0d, 0x28, 0xa3, 0xd4,
    0xf1, 0xf3, 0xe4, 0x45, 0x64, 0x03, 0x37, 0x48, 0x9a, 0xbb, 0x10, 0x40, 0x4f, 0x2d, 0x1e, 0x08,
    0x6b, 0xe4, 0x30, 0x21, 0x03, 0x59, 0xef, 0x50, 0x21, 0x96, 0x4f, 0xe2, 0x2d, 0x6f, 0x8e, 0x05,
    0xb2, 0x46, 0x3c, 0x95, 0x40, 0xce, 0x96, 0x88, 0x3f, 0xe3, 0xb2, 0x78, 0x76, 0x0f, 0x04, 0x8f,
    0x51, 0x89, 0xf2, 0xe6, 0xc4, 0x52, 0xae,
];

/// A chain option that cannot be applied; the text is Core's startup error.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamsError {
    /// `-testactivationheight` without `@`.
    ActivationFormat(String),
    /// `-testactivationheight` with a height that is not a non-negative integer.
    ActivationHeight(String),
    /// `-testactivationheight` naming no buried deployment.
    ActivationName(String),
    /// More than one `-signetchallenge`.
    SignetChallengeMultiple,
    /// A `-signetchallenge` that is not hex.
    SignetChallengeHex(String),
    /// A `-vbparams` value that cannot be applied.
    VbParams(crate::versionbits::VbParamsError),
}

impl std::fmt::Display for ParamsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamsError::ActivationFormat(a) => {
                write!(
                    f,
                    "Invalid format ({a}) for -testactivationheight=name@height."
                )
            }
            ParamsError::ActivationHeight(a) => {
                write!(
                    f,
                    "Invalid height value ({a}) for -testactivationheight=name@height."
                )
            }
            ParamsError::ActivationName(a) => {
                write!(
                    f,
                    "Invalid name ({a}) for -testactivationheight=name@height."
                )
            }
            ParamsError::SignetChallengeMultiple => {
                f.write_str("-signetchallenge cannot be multiple values.")
            }
            ParamsError::SignetChallengeHex(v) => {
                write!(f, "-signetchallenge must be hex, not '{v}'.")
            }
            ParamsError::VbParams(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ParamsError {}

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

/// Hex to bytes as Core's `TryParseHex`: either case, whitespace allowed between byte pairs.
fn decode_hex(s: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(s.len() / 2);
    let mut it = s.bytes();
    while let Some(c) = it.next() {
        if matches!(c, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
            continue;
        }
        let hi = digit(c);
        let lo = digit(it.next()?);
        out.push((hi? << 4) | lo?);
    }
    Some(out)
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
        p.minimum_chain_work =
            work("0000000000000000000000000000000000000001128750f82f4c366153a3a030");
        p.tx_data = ChainTxData {
            time: 1_772_055_173,
            tx_count: 1_315_805_869,
            tx_rate: 5.40111006496122,
        };
        p.default_assume_valid = Some(hash(
            "00000000000000000000ccebd6d74d9194d8dcdc1d177c478e094bfad51ba5ac",
        ));
        // Taproot's activation height plus a confirmation window.
        p.min_bip9_warning_height = 711_648;
        p.deployments = vec![Deployment::testdummy(1815, 2016)];
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
        p.headers_sync = HeadersSyncParams {
            commitment_period: 641,
            redownload_buffer_size: 15218,
        };
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
        p.minimum_chain_work =
            work("0000000000000000000000000000000000000000000017dde1c649f3708d14b6");
        p.tx_data = ChainTxData {
            time: 1_772_051_651,
            tx_count: 536_108_416,
            tx_rate: 0.02691479016257117,
        };
        p.default_assume_valid = Some(hash(
            "000000007a61e4230b28ac5cb6b5e5a0130de37ac1faf2f8987d2fa6505b67f4",
        ));
        p.min_bip9_warning_height = 2_013_984;
        p.deployments = vec![Deployment::testdummy(1512, 2016)];
        p.script_flag_exceptions = vec![(
            hash("00000000dd30457c001f4095d208cc1296b0eed002427aa599874af7a432b105"),
            VerifyFlags::NONE,
        )];
        p.headers_sync = HeadersSyncParams {
            commitment_period: 673,
            redownload_buffer_size: 14460,
        };
        p
    }

    /// Testnet4.
    pub fn testnet4() -> ChainParams {
        let mut p = ChainParams::with(
            Network::Testnet4,
            [0x1c, 0x16, 0x3f, 0x28],
            true,
            1,
            1,
            1,
            1,
            1,
            210_000,
        );
        p.minimum_chain_work =
            work("0000000000000000000000000000000000000000000009a0fe15d0177d086304");
        p.tx_data = ChainTxData {
            time: 1_772_013_387,
            tx_count: 14_191_421,
            tx_rate: 0.01848579579528412,
        };
        p.default_assume_valid = Some(hash(
            "0000000002368b1e4ee27e2e85676ae6f9f9e69579b29093e9a82c170bf7cf8a",
        ));
        p.deployments = vec![Deployment::testdummy(1512, 2016)];
        p.headers_sync = HeadersSyncParams {
            commitment_period: 606,
            redownload_buffer_size: 16092,
        };
        p
    }

    /// The default signet.
    pub fn signet() -> ChainParams {
        let mut p = ChainParams::with(
            Network::Signet,
            [0x0a, 0x03, 0xcf, 0x40],
            false,
            1,
            1,
            1,
            1,
            1,
            210_000,
        );
        p.signet_challenge = Some(DEFAULT_SIGNET_CHALLENGE.to_vec());
        p.minimum_chain_work =
            work("00000000000000000000000000000000000000000000000000000b463ea0a4b8");
        p.tx_data = ChainTxData {
            time: 1_772_055_248,
            tx_count: 28_676_833,
            tx_rate: 0.06736623436338929,
        };
        p.default_assume_valid = Some(hash(
            "00000008414aab61092ef93f1aacc54cf9e9f16af29ddad493b908a01ff5c329",
        ));
        p.deployments = vec![Deployment::testdummy(1815, 2016)];
        p.headers_sync = HeadersSyncParams {
            commitment_period: 620,
            redownload_buffer_size: 15724,
        };
        p
    }

    /// A signet with its own challenge (`-signetchallenge`): the default signet's genesis,
    /// and message start bytes from the challenge's hash.
    pub fn signet_with_challenge(challenge: Vec<u8>) -> ChainParams {
        let mut p = ChainParams::signet();
        let mut ser = Vec::with_capacity(challenge.len() + 9);
        bitcoin::consensus::Encodable::consensus_encode(&challenge, &mut ser).ok();
        let hash = <bitcoin::hashes::sha256d::Hash as bitcoin::hashes::Hash>::hash(&ser);
        p.magic
            .copy_from_slice(&bitcoin::hashes::Hash::as_byte_array(&hash)[..4]);
        p.signet_challenge = Some(challenge);
        p
    }

    /// Applies `-signetchallenge` values (signet only; at most one, in hex).
    pub fn signet_from_args(values: &[String]) -> Result<ChainParams, ParamsError> {
        match values {
            [] => Ok(ChainParams::signet()),
            [one] => {
                let bytes =
                    decode_hex(one).ok_or_else(|| ParamsError::SignetChallengeHex(one.clone()))?;
                Ok(ChainParams::signet_with_challenge(bytes))
            }
            _ => Err(ParamsError::SignetChallengeMultiple),
        }
    }

    /// Applies `-testactivationheight=name@height` values: `segwit`, `bip34`, `dersig`,
    /// `cltv` or `csv` then activate at that height.
    pub fn apply_test_activation_heights(&mut self, values: &[String]) -> Result<(), ParamsError> {
        for arg in values {
            let Some((name, value)) = arg.split_once('@') else {
                return Err(ParamsError::ActivationFormat(arg.clone()));
            };
            let height = value
                .parse::<i32>()
                .ok()
                .filter(|h| *h >= 0 && *h < i32::MAX && !value.starts_with('+'))
                .ok_or_else(|| ParamsError::ActivationHeight(arg.clone()))?
                as u32;
            match name {
                "segwit" => self.segwit_height = height,
                "bip34" => self.bip34_height = height,
                "dersig" => self.bip66_height = height,
                "cltv" => self.bip65_height = height,
                "csv" => self.csv_height = height,
                _ => return Err(ParamsError::ActivationName(arg.clone())),
            }
        }
        Ok(())
    }

    /// Regtest: every rule from height 1, no retargeting, halving every 150 blocks.
    pub fn regtest() -> ChainParams {
        let mut p = ChainParams::with(
            Network::Regtest,
            [0xfa, 0xbf, 0xb5, 0xda],
            false,
            1,
            1,
            1,
            1,
            0,
            150,
        );
        // Signalling from genesis, in short periods.
        p.deployments = vec![Deployment {
            start_time: 0,
            ..Deployment::testdummy(108, 144)
        }];
        p
    }

    /// Applies `-vbparams=deployment:start:end[:min_activation_height]` values; returns
    /// the lines to log.
    pub fn apply_vbparams(&mut self, values: &[String]) -> Result<Vec<String>, ParamsError> {
        crate::versionbits::apply_vbparams(&mut self.deployments, values)
            .map_err(ParamsError::VbParams)
    }

    /// Whether this is a test network (`IsTestChain`): every network but mainnet.
    pub fn is_test_chain(&self) -> bool {
        self.network != Network::Bitcoin
    }

    /// Where unknown version bits are counted: Core's rule-change window and threshold
    /// (`nMinerConfirmationWindow`, `nRuleChangeActivationThreshold`) per network.
    pub fn warning_params(&self) -> crate::versionbits::WarningParams {
        let (period, threshold) = match self.network {
            Network::Regtest => (144, 108),
            Network::Testnet | Network::Testnet4 => (2016, 1512),
            _ => (2016, 1815),
        };
        crate::versionbits::WarningParams {
            period,
            threshold,
            min_height: self.min_bip9_warning_height,
        }
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
            signet_challenge: None,
            minimum_chain_work: [0; 32],
            // Regtest's: a non-zero rate so that progress can be tested.
            tx_data: ChainTxData {
                time: 0,
                tx_count: 0,
                tx_rate: 0.001,
            },
            default_assume_valid: None,
            deployments: Vec::new(),
            min_bip9_warning_height: 0,
            // Regtest's (Core took them from testnet4); the other
            // networks set their own.
            headers_sync: HeadersSyncParams {
                commitment_period: 275,
                redownload_buffer_size: 7017,
            },
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

    /// Names of the script flags of the block `hash` at `height` (`GetScriptFlagNames` of
    /// `GetBlockScriptFlags`): sorted by name, unnamed bits last as one hex number.
    pub fn block_script_flag_names(&self, hash: &BlockHash, height: u32) -> Vec<String> {
        self.block_script_flags(hash, height).names()
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
            .chain(testnet.bip34_hash)
            .chain(main.default_assume_valid)
            .chain(testnet.default_assume_valid)
            .chain(ChainParams::testnet4().default_assume_valid)
            .chain(ChainParams::signet().default_assume_valid);
        for h in fixed {
            assert_ne!(h, BlockHash::all_zeros());
        }
        for p in [
            main.clone(),
            testnet.clone(),
            ChainParams::testnet4(),
            ChainParams::signet(),
        ] {
            assert_ne!(p.minimum_chain_work, [0; 32]);
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

    #[test]
    fn script_flag_names_sorted_with_leftover() {
        let f = VerifyFlags::WITNESS | VerifyFlags::P2SH | VerifyFlags::DERSIG;
        assert_eq!(f.names(), ["DERSIG", "P2SH", "WITNESS"]);
        assert!(VerifyFlags::NONE.names().is_empty());
        assert_eq!(
            (VerifyFlags(1 << 30) | VerifyFlags::P2SH).names(),
            ["P2SH", "0x40000000"]
        );
        use bitcoin::hashes::Hash;
        let any = BlockHash::all_zeros();
        assert_eq!(
            ChainParams::regtest().block_script_flag_names(&any, 0),
            ["NULLDUMMY", "P2SH", "TAPROOT", "WITNESS"]
        );
    }

    #[test]
    fn signet_challenges_and_their_magic() {
        // The default challenge gives the default signet's message start.
        let custom = ChainParams::signet_with_challenge(DEFAULT_SIGNET_CHALLENGE.to_vec());
        assert_eq!(custom.magic, ChainParams::signet().magic);
        let op_true = ChainParams::signet_from_args(&["51".into()]).unwrap();
        assert_eq!(op_true.signet_challenge, Some(vec![0x51]));
        assert_ne!(op_true.magic, ChainParams::signet().magic);
        assert_eq!(
            op_true.genesis.block_hash(),
            ChainParams::signet().genesis.block_hash()
        );
        assert_eq!(
            ChainParams::signet_from_args(&["5".into()])
                .unwrap_err()
                .to_string(),
            "-signetchallenge must be hex, not '5'."
        );
        assert!(ChainParams::signet_from_args(&["+f".into()]).is_err());
        assert_eq!(
            ChainParams::signet_from_args(&["51".into(), "52".into()]).unwrap_err(),
            ParamsError::SignetChallengeMultiple
        );
        assert_eq!(decode_hex(" 51 ae"), Some(vec![0x51, 0xae]));
    }

    #[test]
    fn test_activation_heights_as_core_parses_them() {
        let mut p = ChainParams::regtest();
        p.apply_test_activation_heights(&["segwit@432".into(), "bip34@2".into(), "csv@0".into()])
            .unwrap();
        assert_eq!((p.segwit_height, p.bip34_height, p.csv_height), (432, 2, 0));
        for (arg, msg) in [
            (
                "segwit",
                "Invalid format (segwit) for -testactivationheight=name@height.",
            ),
            (
                "segwit@-1",
                "Invalid height value (segwit@-1) for -testactivationheight=name@height.",
            ),
            (
                "segwit@+1",
                "Invalid height value (segwit@+1) for -testactivationheight=name@height.",
            ),
            (
                "segwit@2147483647",
                "Invalid height value (segwit@2147483647) for -testactivationheight=name@height.",
            ),
            (
                "taproot@1",
                "Invalid name (taproot@1) for -testactivationheight=name@height.",
            ),
        ] {
            let err = p.apply_test_activation_heights(&[arg.into()]).unwrap_err();
            assert_eq!(err.to_string(), msg);
        }
    }
}
