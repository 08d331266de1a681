//! Exporting a watch-only copy of a wallet (Core's `wallet/export.cpp`:
//! `ExportDescriptors` and `ExportWatchOnlyWallet`).
//!
//! The copy is built as a new wallet state in memory, from the public descriptors, the
//! transactions, the address book and the stored locks, and written to a wallet file in
//! memory that is then backed up to the destination, as Core does.

use std::path::Path;

use walletdb::records::{BlockLocator, Record, WalletDescriptor};
use walletdb::WalletStore;

use crate::address::parse_output_type;
use crate::import::NewDescriptor;
use crate::spkm::DescriptorSpkm;
use crate::state::{flags, WalletState};

/// One descriptor as exported (Core's `WalletDescInfo`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DescriptorInfo {
    /// The public descriptor, normalized as `listdescriptors` prints it.
    pub descriptor: String,
    /// When it was created.
    pub creation_time: u64,
    /// Whether it hands out addresses.
    pub active: bool,
    /// For an active one, whether its addresses are change.
    pub internal: Option<bool>,
    /// For a ranged one, the range (end exclusive).
    pub range: Option<(i32, i32)>,
    /// The next index to hand out.
    pub next_index: i32,
}

/// `ExportDescriptors` without private keys.
pub fn export_descriptors(st: &WalletState) -> Vec<DescriptorInfo> {
    st.spkms
        .values()
        .map(|spkm| DescriptorInfo {
            descriptor: spkm.public_string(),
            creation_time: spkm.wd.creation_time,
            active: st.is_active_spkm(&spkm.id),
            internal: st.is_internal_spkm(&spkm.id),
            range: spkm
                .is_range()
                .then_some((spkm.wd.range_start, spkm.wd.range_end)),
            next_index: spkm.wd.next_index,
        })
        .collect()
}

/// Adds the exported descriptor `info` of `source` to the watch-only `wo`. A descriptor
/// that cannot derive its scripts from its public form alone (a hardened wildcard) brings
/// the source's xpub cache, and keeps the source's range.
fn add_descriptor(
    wo: &mut WalletState,
    source: &WalletState,
    info: &DescriptorInfo,
) -> Result<(), String> {
    let parsed = descriptors::parse(&info.descriptor, true, wo.network)
        .map_err(|e| e.to_string())?
        .into_iter()
        .next()
        .ok_or_else(|| "empty descriptor".to_string())?;
    let (range_start, range_end) = info.range.unwrap_or((0, 0));
    let wd = WalletDescriptor {
        descriptor: parsed.to_string_checksummed(),
        creation_time: info.creation_time,
        next_index: info.next_index,
        range_start,
        range_end,
    };
    let id = wd.id().map_err(|e| e.to_string())?;
    // Core's `CanSelfExpand`: expanding needs no private key.
    if parsed.expand(0).is_ok() {
        let new = NewDescriptor {
            descriptor: &parsed,
            secrets: Vec::new(),
            creation_time: info.creation_time as i64,
            range_start,
            range_end,
            next_index: info.next_index,
        };
        wo.add_wallet_descriptor(&new, "", false)
            .map_err(|e| e.to_string())?;
    } else {
        let cache = source
            .spkms
            .get(&id)
            .map(|s| s.cache_records(id))
            .unwrap_or_default();
        let mut spkm = DescriptorSpkm::new(wd, wo.network).map_err(|e| e.to_string())?;
        for r in &cache {
            match r {
                Record::DescriptorParentCache {
                    key_exp_index,
                    xpub,
                    ..
                } => spkm.load_parent_cache(*key_exp_index, *xpub),
                Record::DescriptorLastHardenedCache {
                    key_exp_index,
                    xpub,
                    ..
                } => spkm.load_lh_cache(*key_exp_index, *xpub),
                Record::DescriptorDerivedCache {
                    key_exp_index,
                    der_index,
                    xpub,
                    ..
                } => spkm.load_derived_cache(*key_exp_index, *der_index, *xpub),
                _ => {}
            }
        }
        spkm.load_range().map_err(|e| e.to_string())?;
        wo.write(spkm.descriptor_record());
        for r in cache {
            wo.write(r);
        }
        wo.birth_time = wo.birth_time.min(info.creation_time as i64);
        wo.add_spkm(spkm);
    }
    if info.active {
        if let Some(t) = parsed.output_type().and_then(parse_output_type) {
            wo.activate_spkm(id, t, info.internal.unwrap_or(false));
        }
    }
    Ok(())
}

/// The watch-only copy of `source` as wallet-file records (the in-memory wallet of Core's
/// `ExportWatchOnlyWallet`); `best_block` is the source's stored best block. Errors are
/// Core's messages.
pub fn watch_only_records(
    source: &WalletState,
    best_block: Option<BlockLocator>,
) -> Result<Vec<crate::state::Change>, String> {
    let exported = export_descriptors(source);
    if exported.is_empty() {
        return Err("Error: Wallet has no descriptors to export".into());
    }
    let name = format!("{}_watchonly_temp", source.name);
    let mut wo = WalletState::new(&name, source.network, source.options.clone());
    wo.write(Record::Version(common::version::CLIENT_VERSION));
    wo.set_flags(source.flags | flags::DISABLE_PRIVATE_KEYS);
    for info in &exported {
        add_descriptor(&mut wo, source, info)?;
    }
    for (outpoint, persisted) in &source.locked_coins {
        if *persisted {
            wo.lock_coin(*outpoint, true);
        }
    }
    wo.write(Record::OrderPosNext(source.order_pos_next));
    let locator = best_block
        .ok_or_else(|| "Error: Unable to read wallet's best block locator record".to_string())?;
    wo.write(Record::BestBlockNoMerkle(locator));
    let mut txs: Vec<_> = source.txs.values().collect();
    txs.sort_by_key(|w| w.order_pos);
    for wtx in txs {
        wo.load_tx(wtx.clone(), None);
        wo.write(Record::Tx {
            txid: wtx.txid,
            wtx: Box::new(wtx.to_record()),
        });
    }
    for (address, entry) in &source.address_book {
        if let Some(p) = entry.purpose {
            wo.write(Record::Purpose {
                address: address.clone(),
                purpose: p.as_str().to_string(),
            });
        }
        if let Some(label) = &entry.label {
            wo.write(Record::Name {
                address: address.clone(),
                label: label.clone(),
            });
        }
        for (id, request) in &entry.receive_requests {
            wo.write(Record::receive_request(
                address.clone(),
                id,
                request.clone(),
            ));
        }
        if entry.previously_spent {
            wo.write(Record::previously_spent(address.clone()));
        }
    }
    Ok(wo.take_changes())
}

/// `ExportWatchOnlyWallet`: writes the watch-only copy of `source` to a new file
/// `destination`. The file is removed again when the export fails.
pub fn export_watch_only_wallet(
    source: &WalletState,
    best_block: Option<BlockLocator>,
    destination: &str,
    magic: [u8; 4],
) -> Result<String, String> {
    if destination.is_empty() {
        return Err("Error: Export destination cannot be empty".into());
    }
    let path = Path::new(destination);
    if path.exists() {
        return Err(format!(
            "Error: Export destination '{destination}' already exists"
        ));
    }
    if std::fs::File::create(path).is_err() {
        return Err(format!("Error: Could not create file '{destination}'"));
    }
    let result = write_copy(source, best_block, path, magic);
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result.map(|()| destination.to_string())
}

fn write_copy(
    source: &WalletState,
    best_block: Option<BlockLocator>,
    path: &Path,
    magic: [u8; 4],
) -> Result<(), String> {
    let changes = watch_only_records(source, best_block)?;
    let mut store = walletdb::SqliteStore::open_in_memory(magic)
        .map_err(|e| format!("Error: Failed to create new watchonly wallet. {e}"))?;
    crate::wallet::write_changes(&mut store, changes).map_err(|_| {
        "Error: cannot commit db transaction for watchonly wallet export".to_string()
    })?;
    store
        .backup(path)
        .map_err(|_| "Error: Unable to write the exported wallet".to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use bitcoin::bip32::Xpriv;
    use bitcoin::{Network, NetworkKind, OutPoint, Txid};
    use walletdb::records::OutputType;

    use super::*;
    use crate::state::{Change, WalletOptions};

    fn source() -> WalletState {
        let options = WalletOptions {
            keypool_size: 4,
            ..WalletOptions::default()
        };
        let mut st = WalletState::new("src", Network::Regtest, options);
        st.set_flags(flags::DESCRIPTORS | flags::AVOID_REUSE);
        let master = Xpriv::new_master(NetworkKind::Test, &[5u8; 32]).unwrap();
        crate::load::setup_descriptors_from(&mut st, &master, 10).unwrap();
        st.take_changes();
        st
    }

    fn reload(changes: Vec<Change>) -> WalletState {
        let mut store = walletdb::MemoryStore::new();
        crate::wallet::write_changes(&mut store, changes).unwrap();
        let mut st = WalletState::new("copy", Network::Regtest, WalletOptions::default());
        crate::load::populate(&mut st, &store, None).unwrap();
        st
    }

    #[test]
    fn the_copy_has_the_public_descriptors_and_no_keys() {
        let mut src = source();
        let hardened = "sh(wpkh(tprv8ZgxMBicQKsPeuVhWwi6wuMQGfPKi9Li5GtX35jVNknACgqe3CY4g5xgkfDDJcmtF7o1QnxWDRYw4H5P26PXq7sbcUkEqeR4fg3Kxp2tigg/0'/*'))";
        let desc = descriptors::parse(hardened, false, Network::Regtest)
            .unwrap()
            .remove(0);
        let new = NewDescriptor {
            descriptor: &desc,
            secrets: crate::import::private_keys_of(hardened, Network::Regtest),
            creation_time: 20,
            range_start: 0,
            range_end: 3,
            next_index: 1,
        };
        src.add_wallet_descriptor(&new, "", false).unwrap();
        let addr = src.new_destination(OutputType::Bech32, "paid").unwrap();
        let outpoint = OutPoint::new(Txid::from_raw_hash(bitcoin::hashes::Hash::all_zeros()), 1);
        src.lock_coin(outpoint, true);
        src.lock_coin(OutPoint::new(outpoint.txid, 2), false);
        // As exportwatchonlywallet does first.
        src.top_up_keypool(0).unwrap();
        src.take_changes();

        assert_eq!(
            watch_only_records(&src, None).unwrap_err(),
            "Error: Unable to read wallet's best block locator record"
        );
        let locator = BlockLocator::new(vec![
            <bitcoin::BlockHash as bitcoin::hashes::Hash>::all_zeros(),
        ]);
        let copy = reload(watch_only_records(&src, Some(locator)).unwrap());
        assert!(copy.has_flag(flags::DISABLE_PRIVATE_KEYS));
        assert!(copy.has_flag(flags::AVOID_REUSE));
        assert_eq!(copy.spkms.len(), src.spkms.len());
        let public = |st: &WalletState| {
            st.spkms
                .values()
                .map(|s| {
                    (
                        s.public_string(),
                        s.wd.range_end,
                        st.is_internal_spkm(&s.id),
                    )
                })
                .collect::<std::collections::BTreeSet<_>>()
        };
        assert_eq!(public(&copy), public(&src));
        assert!(copy.spkms.values().all(|s| !s.have_private_keys()));
        assert!(copy.is_mine_script(&addr));
        assert_eq!(copy.locked_coins.len(), 1);
        assert!(copy.locked_coins.contains_key(&outpoint));
        let entry = copy
            .address_book
            .get(&crate::address::encode(&addr, Network::Regtest).unwrap())
            .unwrap();
        assert_eq!(entry.label.as_deref(), Some("paid"));
        // The hardened descriptor keeps the source's range: its cache ends there.
        let hardened_copy = copy
            .spkms
            .values()
            .find(|s| s.public_string().starts_with("sh("))
            .unwrap();
        assert_eq!(hardened_copy.wd.range_end, 5);
        assert_eq!(hardened_copy.scripts().count(), 5);
    }

    #[test]
    fn a_wallet_without_descriptors_has_nothing_to_export() {
        let st = WalletState::new("w", Network::Regtest, WalletOptions::default());
        assert_eq!(
            watch_only_records(&st, None).unwrap_err(),
            "Error: Wallet has no descriptors to export"
        );
    }

    #[test]
    fn destinations_must_be_new_files() {
        let dir = std::env::temp_dir().join(format!("export-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let st = source();
        let magic = [0xfa, 0xbf, 0xb5, 0xda];
        assert_eq!(
            export_watch_only_wallet(&st, None, "", magic).unwrap_err(),
            "Error: Export destination cannot be empty"
        );
        let d = dir.to_string_lossy().to_string();
        assert_eq!(
            export_watch_only_wallet(&st, None, &d, magic).unwrap_err(),
            format!("Error: Export destination '{d}' already exists")
        );
        // A failed export leaves no file behind.
        let file = dir.join("w.dat").to_string_lossy().to_string();
        assert!(export_watch_only_wallet(&st, None, &file, magic).is_err());
        assert!(!Path::new(&file).exists());
        let locator = BlockLocator::new(vec![
            <bitcoin::BlockHash as bitcoin::hashes::Hash>::all_zeros(),
        ]);
        assert_eq!(
            export_watch_only_wallet(&st, Some(locator), &file, magic).unwrap(),
            file
        );
        assert!(walletdb::sqlite::is_sqlite_wallet_file(
            Path::new(&file),
            magic
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
