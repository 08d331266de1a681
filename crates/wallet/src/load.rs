//! Creating a wallet and loading one from its file (Core's `CWallet::CreateNew`,
//! `LoadExisting`, `PopulateWalletFromDB` and `AttachChain`).

use std::sync::Arc;

use bitcoin::bip32::Xpriv;
use bitcoin::{Network, NetworkKind};
use walletdb::records::{BlockLocator, DescriptorId, OutputType, Record};
use walletdb::WalletStore;

use crate::address::OUTPUT_TYPES;
use crate::error::{DbError, WalletError};
use crate::scan::{scan_for_wallet_transactions, RescanReserver, ScanStatus};
use crate::spkm::DescriptorSpkm;
use crate::state::{flags, BlockLookup, WalletOptions, WalletState, TIMESTAMP_WINDOW};
use crate::tx::WalletTx;
use crate::wallet::{ChainLookup, Store, Wallet};

/// Flags this release knows (`KNOWN_WALLET_FLAGS`).
pub const KNOWN_FLAGS: u64 = flags::AVOID_REUSE
    | flags::BLANK_WALLET
    | flags::KEY_ORIGIN_METADATA
    | flags::LAST_HARDENED_XPUB_CACHED
    | flags::DISABLE_PRIVATE_KEYS
    | flags::DESCRIPTORS
    | flags::EXTERNAL_SIGNER;

fn network_kind(network: Network) -> NetworkKind {
    if network == Network::Bitcoin {
        NetworkKind::Main
    } else {
        NetworkKind::Test
    }
}

/// Makes the eight active descriptors from a new random seed
/// (`SetupOwnDescriptorScriptPubKeyMans`).
pub fn setup_descriptors(st: &mut WalletState, now: i64) -> Result<(), WalletError> {
    let seed = common::random::random_bytes::<32>()
        .map_err(|e| WalletError::Invalid(format!("no randomness: {e}")))?;
    let master = Xpriv::new_master(network_kind(st.network), &seed)
        .map_err(|e| WalletError::Invalid(format!("cannot make master key: {e}")))?;
    setup_descriptors_from(st, &master, now)
}

/// Makes the eight active descriptors from `master` (`SetupDescriptorScriptPubKeyMans`).
pub fn setup_descriptors_from(
    st: &mut WalletState,
    master: &Xpriv,
    now: i64,
) -> Result<(), WalletError> {
    for internal in [false, true] {
        for t in OUTPUT_TYPES {
            let (mut spkm, records) = DescriptorSpkm::generate(
                master,
                t,
                internal,
                st.network,
                now.max(0) as u64,
                st.options.keypool_size,
            )?;
            let mut records = records;
            if let Some(mk) = st.master_key.clone() {
                // Born encrypted: the key goes to the file encrypted only.
                records.retain(|r| !matches!(r, Record::DescriptorKey { .. }));
                records.extend(spkm.encrypt_keys(&|pubkey, secret| {
                    crate::crypt::encrypt_with(&mk, pubkey, secret)
                })?);
            }
            for r in records {
                st.write(r);
            }
            let id = spkm.id;
            st.birth_time = st.birth_time.min(now);
            st.add_spkm(spkm);
            st.set_active(id, t, internal);
        }
    }
    st.set_flags(st.flags & !flags::BLANK_WALLET);
    Ok(())
}

/// Options to create a wallet with (`createwallet`'s arguments).
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// `disable_private_keys`.
    pub disable_private_keys: bool,
    /// `blank`.
    pub blank: bool,
    /// `avoid_reuse`.
    pub avoid_reuse: bool,
    /// `external_signer`.
    pub external_signer: bool,
    /// Encrypt with this passphrase from the start.
    pub passphrase: Option<String>,
}

/// Creates a wallet in `store` (`CWallet::CreateNew`).
pub fn create_new(
    name: &str,
    path: std::path::PathBuf,
    mut store: Store,
    chain: Arc<dyn interfaces::Chain>,
    network: Network,
    options: WalletOptions,
    create: &CreateOptions,
) -> Result<Arc<Wallet>, WalletError> {
    let started = std::time::Instant::now();
    let mut st = WalletState::new(name, network, options);
    let lookup = ChainLookup(chain.as_ref());
    st.write(Record::Version(common::version::CLIENT_VERSION));
    let mut wflags = flags::DESCRIPTORS | flags::LAST_HARDENED_XPUB_CACHED;
    if create.disable_private_keys {
        wflags |= flags::DISABLE_PRIVATE_KEYS;
    }
    if create.blank {
        wflags |= flags::BLANK_WALLET;
    }
    if create.avoid_reuse {
        wflags |= flags::AVOID_REUSE;
    }
    if create.external_signer {
        wflags |= flags::EXTERNAL_SIGNER;
    }
    st.set_flags(wflags);
    if let Some(pass) = &create.passphrase {
        crate::crypt::encrypt_state(&mut st, pass.as_bytes())?;
    }
    // A wallet born encrypted gets its descriptors after encryption (CreateWallet).
    if !create.disable_private_keys
        && !create.blank
        && !create.external_signer
        && create.passphrase.is_none()
    {
        setup_descriptors(&mut st, lookup.now())?;
    }
    if let Some(height) = chain.get_height()? {
        let hash = chain.get_block_hash(height)?;
        st.last_block = Some((hash, height));
        st.write_best_block(&lookup);
        // What was just written is what AttachChain reads back, so a new wallet
        // starts synced at the tip instead of rescanning.
        let locator = lookup.locator(&hash);
        if !locator.is_empty() {
            st.stored_best_block = Some(BlockLocator::new(locator));
        }
    }
    st.log(&format!(
        "Wallet completed creation in {:>15}ms",
        started.elapsed().as_millis()
    ));
    let changes = st.take_changes();
    crate::wallet::write_changes(store.as_mut(), changes)?;
    let wallet = Wallet::new(name.to_string(), path, st, store, chain);
    attach_chain(&wallet, false)?;
    Ok(wallet)
}

/// Loads the wallet in `store` (`CWallet::LoadExisting`).
pub fn load_existing(
    name: &str,
    path: std::path::PathBuf,
    store: Store,
    chain: Arc<dyn interfaces::Chain>,
    network: Network,
    options: WalletOptions,
) -> Result<(Arc<Wallet>, Vec<String>), WalletError> {
    let started = std::time::Instant::now();
    let mut st = WalletState::new(name, network, options);
    let lookup = ChainLookup(chain.as_ref());
    let mut store = store;
    let warnings = populate(&mut st, store.as_ref(), Some(&lookup))?;
    // As Core's LoadExisting; a locked wallet may be unable to, which is no error.
    let _ = st.top_up_keypool(0);
    crate::wallet::write_changes(store.as_mut(), st.take_changes())?;
    st.log(&format!(
        "Wallet completed loading in {:>15}ms",
        started.elapsed().as_millis()
    ));
    let wallet = Wallet::new(name.to_string(), path, st, store, chain);
    attach_chain(&wallet, false)?;
    // `postInitProcess`: what is unconfirmed goes back to the node's pool.
    let node_chain = wallet.chain.clone();
    wallet.with(|st, _| {
        let node = crate::spend::node::ChainView(node_chain.as_ref());
        crate::spend::commit::resubmit_wallet_transactions(st, &node);
        Ok(())
    })?;
    Ok((wallet, warnings))
}

/// Reads every record into `st` (`PopulateWalletFromDB`); returns warnings.
pub fn populate(
    st: &mut WalletState,
    store: &dyn WalletStore,
    chain: Option<&dyn BlockLookup>,
) -> Result<Vec<String>, WalletError> {
    let raw = store
        .records()
        .map_err(|e| WalletError::Store(e.to_string()))?;
    let mut descriptors: Vec<(DescriptorId, walletdb::records::WalletDescriptor)> = Vec::new();
    let mut txs = Vec::new();
    let mut others = Vec::new();
    let mut warnings = Vec::new();
    let mut unknown = 0usize;
    let mut legacy_records = false;
    for (key, value) in &raw {
        match walletdb::records::decode(key, value) {
            Ok(Record::WalletDescriptor { id, descriptor }) => descriptors.push((id, descriptor)),
            Ok(Record::Tx { wtx, .. }) => txs.push(*wtx),
            Ok(Record::Unknown { key, .. }) => {
                let kind = walletdb::records::record_type(&key).unwrap_or_default();
                if walletdb::records::keys::LEGACY_TYPES.contains(&kind.as_str()) {
                    legacy_records = true;
                }
                unknown += 1;
            }
            Ok(r) => others.push(r),
            Err(e) => {
                let kind = walletdb::records::record_type(key).unwrap_or_default();
                if kind == "tx" {
                    warnings.push(format!("Error reading wallet database: {e}"));
                    continue;
                }
                st.log(&format!("Error reading wallet database: {e}"));
                return Err(WalletError::Db(DbError::Corrupt));
            }
        }
    }
    if let Some(Record::Flags(f)) = others.iter().find(|r| matches!(r, Record::Flags(_))) {
        if f & !KNOWN_FLAGS != 0 {
            st.log("Error reading wallet database: Unknown non-tolerable wallet flags found");
            return Err(WalletError::Db(DbError::TooNew));
        }
        st.flags = *f;
        if st.flags & flags::DESCRIPTORS == 0 {
            return Err(WalletError::Db(DbError::LegacyWallet));
        }
    }
    if st.flags & flags::DESCRIPTORS != 0 && legacy_records {
        st.log(&format!(
            "Error: Unexpected legacy entry found in descriptor wallet {}. The wallet might have been tampered with or created with malicious intent.",
            st.name
        ));
        return Err(WalletError::Db(DbError::UnexpectedLegacyEntry));
    }
    for (id, wd) in descriptors {
        let Ok(spkm) = DescriptorSpkm::new(wd, st.network) else {
            return Err(WalletError::Db(DbError::UnknownDescriptor));
        };
        if spkm.id != id {
            return Err(WalletError::Corrupt(
                "Error reading wallet database: descriptor id does not match its descriptor".into(),
            ));
        }
        st.add_spkm(spkm);
    }
    let mut best_block = None;
    let mut last_client = None;
    for r in others {
        match r {
            Record::Version(v) => {
                st.log(&format!("Last client version = {v}"));
                st.last_client_version = Some(v);
                last_client = Some(v);
            }
            Record::DescriptorKey {
                desc_id,
                pubkey,
                privkey_der,
            } => {
                if let Some(s) = st.spkms.get_mut(&desc_id) {
                    s.load_key(pubkey.as_bytes(), &privkey_der)?;
                }
            }
            Record::DescriptorCryptedKey {
                desc_id,
                pubkey,
                crypted_secret,
            } => {
                if let Some(s) = st.spkms.get_mut(&desc_id) {
                    s.load_crypted_key(pubkey.as_bytes(), crypted_secret);
                }
            }
            Record::DescriptorParentCache {
                desc_id,
                key_exp_index,
                xpub,
            } => {
                if let Some(s) = st.spkms.get_mut(&desc_id) {
                    s.load_parent_cache(key_exp_index, xpub);
                }
            }
            Record::DescriptorDerivedCache {
                desc_id,
                key_exp_index,
                der_index,
                xpub,
            } => {
                if let Some(s) = st.spkms.get_mut(&desc_id) {
                    s.load_derived_cache(key_exp_index, der_index, xpub);
                }
            }
            Record::DescriptorLastHardenedCache {
                desc_id,
                key_exp_index,
                xpub,
            } => {
                if let Some(s) = st.spkms.get_mut(&desc_id) {
                    s.load_lh_cache(key_exp_index, xpub);
                }
            }
            Record::ActiveExternalSpk {
                output_type,
                desc_id,
            } => {
                if let Some(t) = OutputType::from_u8(output_type) {
                    st.active_external.insert(t, desc_id);
                }
            }
            Record::ActiveInternalSpk {
                output_type,
                desc_id,
            } => {
                if let Some(t) = OutputType::from_u8(output_type) {
                    st.active_internal.insert(t, desc_id);
                }
            }
            Record::MasterKey { id, key } => {
                st.master_keys.insert(id, key);
            }
            Record::Name { address, label } => {
                st.address_book.entry(address).or_default().label = Some(label);
            }
            Record::Purpose { address, purpose } => {
                st.address_book.entry(address).or_default().purpose =
                    walletdb::records::AddressPurpose::parse(&purpose);
            }
            Record::DestData {
                address,
                key,
                value,
            } => {
                let e = st.address_book.entry(address).or_default();
                if key == "used" {
                    e.previously_spent = true;
                } else if let Some(id) = key.strip_prefix("rr") {
                    e.receive_requests.insert(id.to_string(), value);
                }
            }
            Record::LockedUtxo { outpoint } => {
                st.locked_coins.insert(outpoint, true);
            }
            Record::OrderPosNext(n) => st.order_pos_next = n,
            Record::BestBlockNoMerkle(loc) => best_block = Some(loc),
            Record::BestBlock(loc) if best_block.is_none() && !loc.have.is_empty() => {
                best_block = Some(loc)
            }
            _ => {}
        }
    }
    if st
        .spkms
        .values()
        .any(|s| s.has_crypted_keys() && !s.plain_keys().is_empty())
    {
        st.log("Wallet contains both unencrypted and encrypted keys");
        return Err(WalletError::Db(DbError::Corrupt));
    }
    let creation = st.spkms.values().map(|s| s.wd.creation_time as i64).min();
    if let Some(t) = creation {
        st.birth_time = st.birth_time.min(t);
    }
    let ids: Vec<DescriptorId> = st.spkms.keys().copied().collect();
    for id in ids {
        if let Some(s) = st.spkms.get_mut(&id) {
            s.load_range()?;
        }
    }
    for r in txs {
        let wtx = WalletTx::from_record(r);
        st.load_tx(wtx, chain);
    }
    // Transactions without an order position get one, as ReorderTransactions does.
    let max_pos = st.ordered.iter().map(|(p, _)| *p).max().unwrap_or(-1);
    st.order_pos_next = st.order_pos_next.max(max_pos + 1);
    if unknown > 0 {
        st.log(&format!("{unknown} unknown wallet records skipped"));
    }
    st.stored_best_block = best_block;
    if last_client != Some(common::version::CLIENT_VERSION) {
        st.write(Record::Version(common::version::CLIENT_VERSION));
    }
    upgrade_descriptor_cache(st)?;
    // A wallet without private keys could once be "encrypted" by mistake: its master keys
    // protect nothing and are removed.
    if st.has_flag(flags::DISABLE_PRIVATE_KEYS)
        && st.is_crypted()
        && !st.spkms.values().any(|s| s.has_crypted_keys())
    {
        st.log("Detected extraneous encryption keys in this wallet without private keys. Removing extraneous encryption keys.");
        let keys: Vec<u32> = st.master_keys.keys().copied().collect();
        for id in keys {
            if let Some(key) = st.master_keys.remove(&id) {
                st.erase(&Record::MasterKey { id, key });
            }
        }
    }
    Ok(warnings)
}

/// Caches the last hardened xpubs of descriptors that lack them and sets the flag
/// saying so (`UpgradeDescriptorCache`), as Core does on every load of an unlocked
/// wallet; a wallet made by `bitcoin-wallet create` starts without the flag.
fn upgrade_descriptor_cache(st: &mut WalletState) -> Result<(), WalletError> {
    if !st.has_flag(flags::DESCRIPTORS)
        || st.is_locked()
        || st.has_flag(flags::LAST_HARDENED_XPUB_CACHED)
    {
        return Ok(());
    }
    let mut records = Vec::new();
    for spkm in st.spkms.values_mut() {
        records.extend(spkm.upgrade_descriptor_cache()?);
    }
    for r in records {
        st.write(r);
    }
    st.set_flags(st.flags | flags::LAST_HARDENED_XPUB_CACHED);
    Ok(())
}

/// Subscribes the wallet to the node and scans the blocks it missed (`AttachChain`).
pub fn attach_chain(wallet: &Arc<Wallet>, rescan_required: bool) -> Result<(), WalletError> {
    let chain = wallet.chain.clone();
    let stored = wallet.state().stored_best_block.clone();
    if let (Some(loc), Some(_)) = (&stored, chain.get_height()?) {
        if let Some(genesis) = loc.have.last() {
            if chain.get_block_hash(0)? != *genesis {
                return Err(WalletError::Invalid(
                    "Wallet files should not be reused across chains. Restart bitcoind with -walletcrosschain to override.".into(),
                ));
            }
        }
    }
    wallet.attach()?;
    let mut rescan_height = 0;
    if !rescan_required {
        if let Some(loc) = &stored {
            if let Some(h) = chain.find_locator_fork(loc.have.clone())? {
                rescan_height = h;
            }
        }
    }
    let tip = chain.get_height()?;
    match tip {
        Some(h) => {
            let hash = chain.get_block_hash(h)?;
            wallet.state().last_block = Some((hash, h));
        }
        None => wallet.state().last_block = None,
    }
    let Some(tip_height) = tip else {
        return Ok(());
    };
    if tip_height != rescan_height {
        let birth = wallet.state().birth_time;
        if birth != i64::MAX {
            match chain.find_first_block_with_time_and_height(
                birth - TIMESTAMP_WINDOW,
                rescan_height,
                false,
            )? {
                Some(b) => rescan_height = b.height,
                None => rescan_height = tip_height,
            }
        }
        let _ = chain.init_message("Rescanning…".into());
        wallet.state().log(&format!(
            "Rescanning last {} blocks (from block {rescan_height})...",
            tip_height - rescan_height
        ));
        let Some(_reserver) = RescanReserver::reserve(wallet) else {
            return Err(WalletError::Invalid(
                "Failed to acquire rescan reserver during wallet initialization".into(),
            ));
        };
        let start = chain.get_block_hash(rescan_height)?;
        let r = scan_for_wallet_transactions(wallet, start, rescan_height, None, true)?;
        if r.status != ScanStatus::Success {
            return Err(WalletError::Invalid(
                "Failed to rescan the wallet during initialization".into(),
            ));
        }
        wallet.with(|st, c| {
            st.write_best_block(c);
            Ok(())
        })?;
    }
    Ok(())
}

/// An empty locator, kept for the `bestblock` record Core writes.
pub fn empty_locator() -> BlockLocator {
    BlockLocator::new(Vec::new())
}

/// What a wallet opened without a node sees of the chain (`bitcoin-wallet`, where Core's
/// `CWallet` has no chain): no blocks, an empty pool, and the system clock.
pub struct NoChain;

impl BlockLookup for NoChain {
    fn block(&self, _hash: &bitcoin::BlockHash) -> Option<(i64, i64, i32, bool)> {
        None
    }

    fn in_mempool(&self, _txid: &bitcoin::Txid) -> bool {
        false
    }

    fn locator(&self, _hash: &bitcoin::BlockHash) -> Vec<bitcoin::BlockHash> {
        Vec::new()
    }

    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// Loads the wallet in `store` without a node (`PopulateWalletFromDB` of a chain-less
/// `CWallet`): transactions keep their stored states, and what loading changes (the
/// version record, the descriptor caches) is written back as Core writes it. Returns
/// the state and the load warnings.
pub fn load_without_chain(
    name: &str,
    store: &mut dyn WalletStore,
    network: Network,
    options: WalletOptions,
) -> Result<(WalletState, Vec<String>), WalletError> {
    let mut st = WalletState::new(name, network, options);
    let warnings = populate(&mut st, store, None)?;
    let _ = st.top_up_keypool(0);
    crate::wallet::write_changes(store, st.take_changes())?;
    Ok((st, warnings))
}

/// Creates a descriptor wallet in the empty `store` without a node, as `bitcoin-wallet
/// create` does (`MakeWallet` then `WalletCreate`): loading the empty file writes the
/// version, then the flags are only `DESCRIPTORS` and the eight active descriptors are
/// made exactly as the node makes them. No best block is written, so the node rescans
/// from the wallet's birth when it first loads it.
pub fn create_without_chain(
    name: &str,
    store: &mut dyn WalletStore,
    network: Network,
    options: WalletOptions,
) -> Result<WalletState, WalletError> {
    let (mut st, _) = load_without_chain(name, store, network, options)?;
    st.set_flags(flags::DESCRIPTORS);
    setup_descriptors(&mut st, NoChain.now())?;
    crate::wallet::write_changes(store, st.take_changes())?;
    Ok(st)
}
