//! The wallet's options: registration for `-help` and reading them (Core's
//! `WalletInit::AddWalletOptions` and `CWallet::LoadWalletArgs`).

use common::args::{ArgFlags as F, OptionsCategory as C};
use common::money::parse_money;
use common::ArgsManager;

use crate::address::parse_output_type;
use crate::state::WalletOptions;

/// `HIGH_TX_FEE_PER_KB`.
const HIGH_TX_FEE_PER_KB: i64 = 1_000_000;
/// `HIGH_APS_FEE`.
const HIGH_APS_FEE: i64 = 10_000;
/// `HIGH_MAX_TX_FEE`.
const HIGH_MAX_TX_FEE: i64 = 100 * HIGH_TX_FEE_PER_KB;

/// Registers the wallet's options.
pub fn add_options(args: &ArgsManager) {
    let any = F::ALLOW_ANY;
    let add = |name: &str, help: &str, flags: F, cat: C| args.add_arg(name, help, flags, cat);
    add("-addresstype", "What type of addresses to use (\"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\", default: \"bech32\")", any, C::Wallet);
    add("-avoidpartialspends", "Spend all outputs of an address together or none of them, for privacy; may cost more fees. Always on for wallets with \"avoid_reuse\", otherwise default: 0.", any, C::Wallet);
    add("-changetype", "What type of change to use (\"legacy\", \"p2sh-segwit\", \"bech32\" or \"bech32m\"). Default is \"legacy\" when -addresstype=legacy, else it is an implementation detail.", any, C::Wallet);
    add("-consolidatefeerate=<amt>", "Highest fee rate (in BTC/kvB) at which transactions may spend more inputs than needed to shrink the wallet's set of coins (default: 0.0001)", any, C::Wallet);
    add(
        "-disablewallet",
        "Do not load the wallet and disable wallet RPC calls",
        any,
        C::Wallet,
    );
    add("-discardfee=<amt>", "The fee rate (in BTC/kvB) up to which change that is dust at that rate is added to the fee instead (default: 0.0001)", any, C::Wallet);
    add("-fallbackfee=<amt>", "Fee rate (in BTC/kvB) used when fee estimation has too little data; 0 disables it (default: 0.00)", any, C::Wallet);
    add("-keypool=<n>", "Set key pool size to <n> (default: 1000). Smaller sizes may lose funds when restoring an old backup whose keypool addresses were never used.", any, C::Wallet);
    add(
        "-maxapsfee=<n>",
        "Extra absolute fee (in BTC) worth paying to avoid partial spends (default: 0.00)",
        any,
        C::Wallet,
    );
    add("-maxtxfee=<amt>", "Highest total fee (in BTC) for one wallet transaction; too low a value may abort large transactions (default: 0.10)", any, C::DebugTest);
    add("-mintxfee=<amt>", "Fee rates (in BTC/kvB) below this count as zero when creating transactions (default: 0.00001)", any, C::Wallet);
    add(
        "-spendzeroconfchange",
        "Spend unconfirmed change when sending transactions (default: 1)",
        any,
        C::Wallet,
    );
    add(
        "-txconfirmtarget=<n>",
        "Pay enough fee for confirmation within n blocks on average (default: 6)",
        any,
        C::Wallet,
    );
    add("-wallet=<path>", "Wallet to load at startup; may be given several times. A directory holding the wallet's data, relative to <walletdir> unless absolute. Only existing wallets are loaded. Names of existing top-level data files in <walletdir> are accepted too.", any | F::NETWORK_ONLY, C::Wallet);
    add(
        "-walletbroadcast",
        "Make the wallet broadcast transactions (default: 1)",
        any,
        C::Wallet,
    );
    add("-walletdir=<dir>", "Specify directory to hold wallets (default: <datadir>/wallets if it exists, otherwise <datadir>)", any | F::NETWORK_ONLY, C::Wallet);
    add("-walletnotify=<cmd>", "Run a command when a wallet transaction changes: %s becomes the TxID, %w the wallet name, %b the block hash (or 'unconfirmed') and %h the block height (or -1).", any, C::Wallet);
    add(
        "-walletrbf",
        "(DEPRECATED) Send transactions with full-RBF opt-in enabled (default: 1)",
        any,
        C::Wallet,
    );
    add("-unsafesqlitesync", "Set SQLite synchronous=OFF: do not wait for writes to reach the disk (tests only; risks losing data)", any | F::DEBUG_ONLY, C::WalletDebugTest);
    add(
        "-walletrejectlongchains",
        "Do not create transactions that break the pool's chain limits (default: 1)",
        any | F::DEBUG_ONLY,
        C::WalletDebugTest,
    );
    add(
        "-walletcrosschain",
        "Allow reusing wallet files across chains (default: 0)",
        any | F::DEBUG_ONLY,
        C::WalletDebugTest,
    );
}

fn amount_err(name: &str, v: &str) -> String {
    format!("Invalid amount for -{name}=<amount>: '{v}'")
}

/// Reads the options (`LoadWalletArgs`); `relay_min_fee` is the node's, in sat/kvB.
/// Returns the options and warnings, or the error that stops the wallet.
pub fn options_from_args(
    args: &ArgsManager,
    relay_min_fee: i64,
) -> Result<(WalletOptions, Vec<String>), String> {
    let mut o = WalletOptions::default();
    let mut warnings = Vec::new();
    let addr = args.get_arg_or("-addresstype", "");
    if !addr.is_empty() {
        o.default_address_type =
            parse_output_type(&addr).ok_or_else(|| format!("Unknown address type '{addr}'"))?;
    }
    let change = args.get_arg_or("-changetype", "");
    if !change.is_empty() {
        o.default_change_type = Some(
            parse_output_type(&change).ok_or_else(|| format!("Unknown change type '{change}'"))?,
        );
    }
    if let Some(v) = args.get_arg("-mintxfee") {
        let fee = parse_money(&v).ok_or_else(|| amount_err("mintxfee", &v))?;
        if fee > HIGH_TX_FEE_PER_KB {
            warnings.push("-mintxfee is set very high! This is the minimum transaction fee you pay on every transaction.".into());
        }
        o.min_fee = fee;
    }
    if let Some(v) = args.get_arg("-maxapsfee") {
        if v == "-1" {
            // -1 turns the grouped second attempt off.
            o.max_aps_fee = -1;
        } else {
            let fee = parse_money(&v).ok_or_else(|| amount_err("maxapsfee", &v))?;
            if fee > HIGH_APS_FEE {
                warnings.push("-maxapsfee is set very high! This is the maximum transaction fee you pay (in addition to the normal fee) to prioritize partial spend avoidance over regular coin selection.".into());
            }
            o.max_aps_fee = fee;
        }
    }
    if let Some(v) = args.get_arg("-fallbackfee") {
        let fee = parse_money(&v).ok_or_else(|| amount_err("fallbackfee", &v))?;
        if fee > HIGH_TX_FEE_PER_KB {
            warnings.push("-fallbackfee is set very high! This is the transaction fee you may pay when fee estimates are not available.".into());
        }
        o.fallback_fee = fee;
    }
    if let Some(v) = args.get_arg("-discardfee") {
        let fee = parse_money(&v).ok_or_else(|| amount_err("discardfee", &v))?;
        if fee > HIGH_TX_FEE_PER_KB {
            warnings.push("-discardfee is set very high! This is the transaction fee you may discard if change is smaller than dust at this level".into());
        }
        o.discard_rate = fee;
    }
    if let Some(v) = args.get_arg("-maxtxfee") {
        let fee = parse_money(&v).ok_or_else(|| amount_err("maxtxfee", &v))?;
        if fee > HIGH_MAX_TX_FEE {
            warnings.push("-maxtxfee is set very high! Fees this large could be paid on a single transaction.".into());
        }
        if fee < relay_min_fee {
            return Err(format!(
                "Invalid amount for -maxtxfee=<amount>: '{v}' (must be at least the minrelay fee of {} to prevent stuck transactions)",
                fee_rate_string(relay_min_fee)
            ));
        }
        o.max_tx_fee = fee;
    }
    if let Some(v) = args.get_arg("-consolidatefeerate") {
        o.consolidate_feerate =
            parse_money(&v).ok_or_else(|| amount_err("consolidatefeerate", &v))?;
    }
    if relay_min_fee > HIGH_TX_FEE_PER_KB {
        warnings.push("-minrelaytxfee is set very high! The wallet will avoid paying less than the minimum relay fee.".into());
    }
    o.confirm_target = u32::try_from(args.get_int_arg("-txconfirmtarget", 6)).unwrap_or(6);
    o.spend_zero_conf_change = args.get_bool_arg("-spendzeroconfchange", true);
    o.signal_rbf = true;
    if let Some(v) = args.get_bool_arg_opt("-walletrbf") {
        warnings
            .push("-walletrbf is deprecated and will be fully removed in the next release.".into());
        o.signal_rbf = v;
    }
    o.keypool_size = u32::try_from(args.get_int_arg("-keypool", 1000).max(1)).unwrap_or(u32::MAX);
    o.broadcast = args.get_bool_arg("-walletbroadcast", true);
    o.reject_long_chains = args.get_bool_arg("-walletrejectlongchains", true);
    Ok((o, warnings))
}

/// Core's `CFeeRate::ToString`: "0.00001000 BTC/kvB".
pub fn fee_rate_string(sat_per_kvb: i64) -> String {
    let sign = if sat_per_kvb < 0 { "-" } else { "" };
    let a = sat_per_kvb.unsigned_abs();
    format!("{sign}{}.{:08} BTC/kvB", a / 100_000_000, a % 100_000_000)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn parse(list: &[&str]) -> Result<(WalletOptions, Vec<String>), String> {
        let mut a = ArgsManager::empty();
        add_options(&a);
        a.parse_parameters(list.iter().map(|s| s.to_string()))
            .unwrap();
        options_from_args(&a, 1000)
    }

    #[test]
    fn options_are_read_with_cores_errors_and_warnings() {
        let (o, w) = parse(&[]).unwrap();
        assert_eq!(o.keypool_size, 1000);
        assert!(w.is_empty());
        assert_eq!(
            parse(&["-addresstype=foo"]).unwrap_err(),
            "Unknown address type 'foo'"
        );
        assert_eq!(
            parse(&["-fallbackfee=x"]).unwrap_err(),
            "Invalid amount for -fallbackfee=<amount>: 'x'"
        );
        let (o, w) = parse(&["-fallbackfee=0.1", "-keypool=0"]).unwrap();
        assert_eq!(o.fallback_fee, 10_000_000);
        assert_eq!(o.keypool_size, 1);
        assert_eq!(w.len(), 1);
        assert!(parse(&["-maxtxfee=0.000001"])
            .unwrap_err()
            .contains("(must be at least the minrelay fee of 0.00001000 BTC/kvB"));
    }
}
