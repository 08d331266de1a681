//! Bitcoin Core's wallet coin selection, without I/O: Core's `wallet/coinselection.cpp` and
//! the selection part of `wallet/spend.cpp`.
//!
//! The wallet describes its spendable outputs as [`Coin`]s (value, script, depth, size as a
//! signed input, fee at the target rate, mempool ancestry), sorted by [`OutputType`] in a
//! [`CoinsResult`]. It fills a [`CoinSelectionParams`] (sizes and fee rates, then
//! [`CoinSelectionParams::set_change_parameters`] for the change costs and random change
//! target) and a [`WalletSelectionOptions`] (zero-conf change, long-chain policy, mempool
//! limits), and calls [`select_coins`] with a [`SelectionContext`]: a [`SelectionRng`] and a
//! [`BumpFeeCalculator`] for unconfirmed inputs.
//!
//! The result is a [`SelectionResult`]: the inputs (ordered by outpoint;
//! [`SelectionResult::shuffled_inputs`] gives transaction order), their weight, waste score,
//! and the change amount from [`SelectionResult::change`]. Failures are
//! [`SelectionError`]s whose `Display` is Core's message; plain
//! [`SelectionError::InsufficientFunds`] is the one Core leaves without a message, which the
//! transaction builder turns into its own wording.
//!
//! The layers below `select_coins` are public too: [`automatic_coin_selection`] (the ladder
//! of eligibility filters), [`attempt_selection`] (one output type at a time, then mixed),
//! [`choose_selection_result`] (all algorithms, least waste wins), [`group_outputs`], and the
//! algorithms [`select_coins_bnb`], [`coin_grinder`], [`knapsack_solver`] and
//! [`select_coins_srd`].
//!
//! Randomness only affects which of several acceptable selections is made; everything
//! deterministic (what BnB and CoinGrinder find and how many sets they try, waste, change,
//! errors, filter order) matches Core. The wallet supplies an OS-seeded [`SelectionRng`];
//! [`SeededRng`] is a deterministic one for tests.
//!
//! ```
//! use coinselection::{
//!     select_coins, Coin, CoinSelectionParams, CoinsResult, FeeRate, NoMempool, OutPoint,
//!     OutputType, SeededRng, SelectionContext, WalletSelectionOptions,
//! };
//!
//! let rate = FeeRate::from_sat_per_kvb(2_000);
//! let mut available = CoinsResult::new();
//! for (i, value) in [40_000, 250_000, 1_000_000].into_iter().enumerate() {
//!     let coin = Coin::new(OutPoint::new([i as u8; 32], 0), value, 68, rate)
//!         .with_depth(10)
//!         .with_script(vec![0x00, 0x14, i as u8]);
//!     available.add(OutputType::Bech32, coin);
//! }
//!
//! let mut params = CoinSelectionParams {
//!     change_output_size: 31,
//!     change_spend_size: 68,
//!     effective_feerate: rate,
//!     long_term_feerate: FeeRate::from_sat_per_kvb(10_000),
//!     discard_feerate: FeeRate::from_sat_per_kvb(3_000),
//!     tx_noinputs_size: 10 + 31,
//!     ..CoinSelectionParams::default()
//! };
//! let mut rng = SeededRng::new(1); // the wallet uses an OS-seeded generator
//! params.set_change_parameters(200_000, 1, 294, &mut rng);
//! let target = params.selection_target(200_000);
//!
//! let mut ctx = SelectionContext::new(&mut rng, &NoMempool);
//! let result = select_coins(
//!     &mut available,
//!     &CoinsResult::new(), // no preselected inputs
//!     target,
//!     true, // other inputs allowed
//!     &params,
//!     &WalletSelectionOptions::default(),
//!     &mut ctx,
//! )
//! .expect("enough funds");
//! assert!(result.selected_effective_value() >= target);
//! let change = result.change(params.min_viable_change, params.change_fee);
//! assert!(change == 0 || change >= params.min_viable_change);
//! ```

mod bnb;
mod coin;
mod error;
mod feerate;
mod grinder;
mod group;
mod knapsack;
mod params;
mod result;
mod rng;
mod select;
mod srd;
#[cfg(test)]
mod testutil;

pub use bnb::{select_coins_bnb, TOTAL_TRIES};
pub use coin::{Coin, CoinsResult, OutPoint, OutputType};
pub use error::SelectionError;
pub use feerate::FeeRate;
pub use grinder::coin_grinder;
pub use group::{group_outputs, FilteredOutputGroups, Groups, OutputGroup, OutputGroupTypeMap};
pub use knapsack::knapsack_solver;
pub use params::{
    CoinEligibilityFilter, CoinSelectionParams, SelectionFilter, WalletSelectionOptions,
};
pub use result::{generate_change_target, SelectionAlgorithm, SelectionResult};
pub use rng::{shuffle, SeededRng, SelectionRng};
pub use select::{
    attempt_selection, automatic_coin_selection, choose_selection_result, select_coins,
    BumpFeeCalculator, NoMempool, SelectionContext,
};
pub use srd::select_coins_srd;

/// Lower bound of the random change target, in satoshis.
pub const CHANGE_LOWER: i64 = 50_000;
/// Upper bound of the random change target, in satoshis.
pub const CHANGE_UPPER: i64 = 1_000_000;
/// Weight units per virtual byte.
pub const WITNESS_SCALE_FACTOR: i64 = 4;
/// The largest weight of a standard transaction.
pub const MAX_STANDARD_TX_WEIGHT: i64 = 400_000;
/// All the bitcoin there will ever be, in satoshis.
pub const MAX_MONEY: i64 = 21_000_000 * 100_000_000;
/// Most coins of one script in one group when partial spends are avoided.
pub const OUTPUT_GROUP_MAX_ENTRIES: usize = 100;
/// The transaction version the wallet creates by default.
pub const CURRENT_TX_VERSION: u32 = 2;
/// The TRUC (topologically restricted) transaction version.
pub const TRUC_VERSION: u32 = 3;
/// The largest weight of a TRUC child transaction.
pub const TRUC_CHILD_MAX_WEIGHT: i64 = 1000 * WITNESS_SCALE_FACTOR;
/// Size assumed for spending change when the wallet cannot estimate it (P2SH-P2WPKH).
pub const DUMMY_NESTED_P2WPKH_INPUT_SIZE: i32 = 91;
/// Default of `-spendzeroconfchange`.
pub const DEFAULT_SPEND_ZEROCONF_CHANGE: bool = true;
/// Default of `-walletrejectlongchains`.
pub const DEFAULT_WALLET_REJECT_LONG_CHAINS: bool = true;
/// The mempool's default ancestor count limit.
pub const DEFAULT_ANCESTOR_LIMIT: u32 = 25;
/// The mempool's default descendant count limit.
pub const DEFAULT_DESCENDANT_LIMIT: u32 = 25;
