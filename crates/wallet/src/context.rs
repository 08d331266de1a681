//! The wallets of one process and how they are found, created, loaded and unloaded
//! (Core's `WalletContext`, `MakeWalletDatabase`, `CreateWallet`, `LoadWallet`,
//! `RemoveWallet`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use bitcoin::Network;
use common::ArgsManager;
use interfaces::{Chain, Handler};
use serde_json::Value;

use crate::load::CreateOptions;
use crate::state::WalletOptions;
use crate::wallet::{Store, Wallet};

/// Why a wallet could not be opened or created (Core's `DatabaseStatus`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DatabaseStatus {
    /// The path is not usable.
    BadPath,
    /// Not a wallet file, or ambiguous.
    BadFormat,
    /// A legacy (Berkeley DB) wallet.
    LegacyDisabled,
    /// Nothing there.
    NotFound,
    /// A wallet is already there.
    AlreadyExists,
    /// Already loaded.
    AlreadyLoaded,
    /// Loading failed.
    Load,
    /// Verification failed.
    Verify,
    /// Creating failed.
    Create,
    /// Encrypting failed.
    Encrypt,
    /// A backup file was not usable.
    InvalidBackupFile,
    /// A new wallet needs a name.
    NewUnnamed,
}

/// A failed open or create, with Core's message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoadError {
    /// What kind of failure.
    pub status: DatabaseStatus,
    /// The message.
    pub message: String,
}

fn fail(status: DatabaseStatus, message: impl Into<String>) -> LoadError {
    LoadError {
        status,
        message: message.into(),
    }
}

/// The network's message start, which Core writes as the wallet file's application id.
pub fn network_magic(chain: common::ChainType, args: &ArgsManager) -> [u8; 4] {
    use common::ChainType as C;
    match chain {
        C::Main => [0xf9, 0xbe, 0xb4, 0xd9],
        C::Testnet => [0x0b, 0x11, 0x09, 0x07],
        C::Testnet4 => [0x1c, 0x16, 0x3f, 0x28],
        C::Regtest => [0xfa, 0xbf, 0xb5, 0xda],
        C::Signet => {
            use bitcoin::hashes::{sha256d, Hash};
            let default = "512103ad5e0edad18cb1f0fc0d28a3d4f1f3e445640337489abb10404f2d1e086be430210359ef5021964fe22d6f8e05b2463c9540ce96883fe3b278760f048f5189f2e6c452ae";
            let challenge = args
                .get_args("-signetchallenge")
                .first()
                .cloned()
                .unwrap_or_else(|| default.to_string());
            let bytes = chain_json::from_hex(&challenge).unwrap_or_default();
            let mut ser = Vec::new();
            let n = bytes.len() as u64;
            if n < 0xfd {
                ser.push(n as u8);
            } else if n <= 0xffff {
                ser.push(0xfd);
                ser.extend_from_slice(&(n as u16).to_le_bytes());
            } else {
                ser.push(0xfe);
                ser.extend_from_slice(&(n as u32).to_le_bytes());
            }
            ser.extend_from_slice(&bytes);
            let h = sha256d::Hash::hash(&ser);
            let mut m = [0u8; 4];
            m.copy_from_slice(&h.as_byte_array()[..4]);
            m
        }
    }
}

/// The `bitcoin` crate's network for a chain type.
pub fn network_of(chain: common::ChainType) -> Network {
    use common::ChainType as C;
    match chain {
        C::Main => Network::Bitcoin,
        C::Testnet => Network::Testnet,
        C::Testnet4 => Network::Testnet4,
        C::Signet => Network::Signet,
        C::Regtest => Network::Regtest,
    }
}

/// Everything the wallets of a process share.
pub struct WalletContext {
    /// The node.
    pub chain: Arc<dyn Chain>,
    /// The node's options (the same configuration in a separate wallet process).
    pub args: ArgsManager,
    /// The chain type.
    pub chain_type: common::ChainType,
    /// Options every wallet gets.
    pub options: WalletOptions,
    /// The wallet file application id.
    pub magic: [u8; 4],
    /// Warnings about the options, given with every wallet loaded or created (Core
    /// reads the options per wallet).
    pub option_warnings: Vec<String>,
    wallets: Mutex<Vec<Arc<Wallet>>>,
    loading: Mutex<BTreeSet<String>>,
    /// The registered RPC commands; dropping them unregisters.
    pub rpc_handlers: Mutex<Vec<Box<dyn Handler>>>,
}

impl WalletContext {
    /// A context for `chain` configured by `args`.
    pub fn new(
        chain: Arc<dyn Chain>,
        args: ArgsManager,
        chain_type: common::ChainType,
        options: WalletOptions,
        option_warnings: Vec<String>,
    ) -> Arc<WalletContext> {
        let magic = network_magic(chain_type, &args);
        Arc::new(WalletContext {
            chain,
            args,
            chain_type,
            options,
            magic,
            option_warnings,
            wallets: Mutex::new(Vec::new()),
            loading: Mutex::new(BTreeSet::new()),
            rpc_handlers: Mutex::new(Vec::new()),
        })
    }

    /// The network.
    pub fn network(&self) -> Network {
        network_of(self.chain_type)
    }

    fn wallets_lock(&self) -> MutexGuard<'_, Vec<Arc<Wallet>>> {
        self.wallets.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The loaded wallets, in load order.
    pub fn wallets(&self) -> Vec<Arc<Wallet>> {
        self.wallets_lock().clone()
    }

    /// The loaded wallet `name`.
    pub fn wallet(&self, name: &str) -> Option<Arc<Wallet>> {
        self.wallets_lock().iter().find(|w| w.name == name).cloned()
    }

    /// `GetWalletDir`.
    pub fn wallet_dir(&self) -> PathBuf {
        if self.args.is_arg_set("-walletdir") {
            let p = PathBuf::from(self.args.get_arg_or("-walletdir", ""));
            return if p.is_dir() { p } else { PathBuf::new() };
        }
        let net = self.args.get_data_dir_net();
        if net.join("wallets").is_dir() {
            net.join("wallets")
        } else {
            net
        }
    }

    /// The path a wallet name stands for (`AbsPathJoin(GetWalletDir(), name)`).
    pub fn wallet_path(&self, name: &str) -> PathBuf {
        let p = Path::new(name);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.wallet_dir().join(p)
        }
    }

    /// `MakeWalletDatabase`: opens (`require_existing`) or creates (`require_create`) the
    /// wallet file of `name`.
    pub fn make_database(
        &self,
        name: &str,
        require_existing: bool,
        require_create: bool,
    ) -> Result<(Store, PathBuf), LoadError> {
        let path = self.wallet_path(name);
        let meta = std::fs::symlink_metadata(&path);
        let is_file_name = Path::new(name)
            .file_name()
            .map(|f| f == std::ffi::OsStr::new(name))
            == Some(true);
        let ok = match &meta {
            Err(_) => true,
            Ok(m) if m.is_dir() => true,
            Ok(m) if m.file_type().is_symlink() => path.is_dir(),
            Ok(m) if m.is_file() => is_file_name,
            Ok(_) => false,
        };
        if !ok {
            return Err(fail(
                DatabaseStatus::BadPath,
                format!(
                    "Invalid -wallet path '{name}'. -wallet path should point to a directory where wallet.dat and database/log.?????????? files can be stored, a location where such a directory could be created, or (for backwards compatibility) the name of an existing data file in -walletdir (\"{}\")",
                    self.wallet_dir().display()
                ),
            ));
        }
        let data_file = if path.is_dir() || meta.is_err() {
            path.join("wallet.dat")
        } else {
            path.clone()
        };
        let exists = path.exists();
        let path_text = path.display().to_string();
        let mut format_sqlite = false;
        if exists {
            let bdb = is_bdb_file(&data_file);
            format_sqlite = walletdb::sqlite::is_sqlite_wallet_file(&data_file, self.magic)
                || is_sqlite_file(&data_file);
            if bdb && format_sqlite {
                return Err(fail(
                    DatabaseStatus::BadFormat,
                    format!(
                        "Failed to load database path '{path_text}'. Data is in ambiguous format."
                    ),
                ));
            }
            if bdb {
                return Err(fail(
                    DatabaseStatus::LegacyDisabled,
                    format!("Failed to open database path '{path_text}'. The wallet appears to be a Legacy wallet, please use the wallet migration tool (migratewallet RPC or the bitcoin-wallet utility)."),
                ));
            }
        } else if require_existing {
            return Err(fail(
                DatabaseStatus::NotFound,
                format!("Failed to load database path '{path_text}'. Path does not exist."),
            ));
        }
        if !format_sqlite && require_existing {
            return Err(fail(
                DatabaseStatus::BadFormat,
                format!(
                    "Failed to load database path '{path_text}'. Data is not in recognized format."
                ),
            ));
        }
        if format_sqlite && require_create {
            return Err(fail(
                DatabaseStatus::AlreadyExists,
                format!("Failed to create database path '{path_text}'. Database already exists."),
            ));
        }
        let store = if format_sqlite {
            walletdb::SqliteStore::open(&data_file, self.magic)
        } else {
            if let Err(e) = std::fs::create_dir_all(data_file.parent().unwrap_or(Path::new("."))) {
                return Err(fail(DatabaseStatus::Load, format!("SQLiteDatabase: {e}")));
            }
            walletdb::SqliteStore::create(&data_file, self.magic)
        };
        match store {
            Ok(s) => Ok((Box::new(s), path)),
            Err(e) => Err(fail(DatabaseStatus::Load, e.to_string())),
        }
    }

    fn begin_loading(&self, name: &str) -> Result<LoadingGuard<'_>, LoadError> {
        let mut set = self.loading.lock().unwrap_or_else(|e| e.into_inner());
        if !set.insert(name.to_string()) {
            return Err(fail(DatabaseStatus::Load, "Wallet already loading."));
        }
        Ok(LoadingGuard {
            cx: self,
            name: name.to_string(),
        })
    }

    /// `CreateWallet`.
    pub fn create_wallet(
        &self,
        name: &str,
        load_on_start: Option<bool>,
        create: &CreateOptions,
    ) -> Result<(Arc<Wallet>, Vec<String>), LoadError> {
        if name.is_empty() {
            return Err(fail(
                DatabaseStatus::NewUnnamed,
                "Wallet name cannot be empty",
            ));
        }
        if create.external_signer && !create.disable_private_keys {
            return Err(fail(
                DatabaseStatus::Create,
                "Private keys must be disabled when using an external signer",
            ));
        }
        if create.passphrase.is_some() && create.disable_private_keys {
            return Err(fail(
                DatabaseStatus::Create,
                "Passphrase provided but private keys are disabled. A passphrase is only used to encrypt private keys, so cannot be used for wallets with private keys disabled.",
            ));
        }
        let _guard = self.begin_loading(name)?;
        // Core reports every database failure here as a failed verification (-4).
        let (store, path) = self
            .make_database(name, false, true)
            .map_err(|e| LoadError {
                status: DatabaseStatus::Verify,
                message: format!("Wallet file verification failed. {}", e.message),
            })?;
        let _ = self.chain.init_message("Creating wallet…".into());
        let wallet = crate::load::create_new(
            name,
            path,
            store,
            self.chain.clone(),
            self.network(),
            self.options.clone(),
            create,
        )
        .map_err(|e| {
            fail(
                DatabaseStatus::Create,
                format!("Wallet creation failed. {e}"),
            )
        })?;
        let mut warnings = self.option_warnings.clone();
        if create.passphrase.is_some() && !create.blank {
            wallet
                .with(|st, _| {
                    crate::load::setup_descriptors(
                        st,
                        wallet.chain.get_adjusted_time().unwrap_or(0),
                    )
                })
                .map_err(|e| fail(DatabaseStatus::Encrypt, e.to_string()))?;
        }
        if create.passphrase.is_some() {
            crate::crypt::lock(&mut wallet.state());
        }
        self.wallets_lock().push(wallet.clone());
        self.update_wallet_setting(name, load_on_start, &mut warnings);
        Ok((wallet, warnings))
    }

    /// `LoadWallet`.
    pub fn load_wallet(
        &self,
        name: &str,
        load_on_start: Option<bool>,
    ) -> Result<(Arc<Wallet>, Vec<String>), LoadError> {
        let _guard = self.begin_loading(name)?;
        let (store, path) = self
            .make_database(name, true, false)
            .map_err(|e| LoadError {
                status: e.status,
                message: format!("Wallet file verification failed. {}", e.message),
            })?;
        let _ = self.chain.init_message("Loading wallet…".into());
        let data_file = if path.is_dir() {
            path.join("wallet.dat")
        } else {
            path.clone()
        };
        let (wallet, load_warnings) = crate::load::load_existing(
            name,
            path,
            store,
            self.chain.clone(),
            self.network(),
            self.options.clone(),
        )
        .map_err(|e| {
            let message = match &e {
                crate::WalletError::Db(db) => db.message(&data_file),
                other => other.to_string(),
            };
            fail(
                DatabaseStatus::Load,
                format!("Wallet loading failed. {message}"),
            )
        })?;
        let mut warnings = self.option_warnings.clone();
        warnings.extend(load_warnings);
        self.wallets_lock().push(wallet.clone());
        self.update_wallet_setting(name, load_on_start, &mut warnings);
        Ok((wallet, warnings))
    }

    /// `RemoveWallet`: unloads `wallet` and updates the start-up setting.
    pub fn remove_wallet(
        &self,
        wallet: &Arc<Wallet>,
        load_on_start: Option<bool>,
        warnings: &mut Vec<String>,
    ) -> bool {
        let removed = {
            let mut ws = self.wallets_lock();
            let before = ws.len();
            ws.retain(|w| !Arc::ptr_eq(w, wallet));
            ws.len() != before
        };
        if !removed {
            return false;
        }
        wallet.detach();
        wallet
            .state()
            .log(&format!("Releasing wallet {}..", wallet.name));
        self.update_wallet_setting(&wallet.name, load_on_start, warnings);
        true
    }

    /// Unloads every wallet (`UnloadWallets`).
    pub fn unload_all(&self) {
        let ws = self.wallets();
        for w in ws.iter().rev() {
            let mut warnings = Vec::new();
            self.remove_wallet(w, None, &mut warnings);
        }
    }

    /// `UpdateWalletSetting`: adds or removes `name` in the `wallet` list of
    /// `settings.json` (Core's `AddWalletSetting` / `RemoveWalletSetting`).
    pub fn update_wallet_setting(
        &self,
        name: &str,
        load_on_start: Option<bool>,
        warnings: &mut Vec<String>,
    ) {
        let Some(load) = load_on_start else { return };
        let current: Value = self
            .chain
            .get_rw_setting("wallet".into())
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or(Value::Null);
        let ok = if load {
            let mut list = match current {
                Value::Array(a) => a,
                _ => Vec::new(),
            };
            if list.iter().any(|v| v.as_str() == Some(name)) {
                true
            } else {
                list.push(Value::String(name.to_string()));
                self.write_wallet_setting(list)
            }
        } else {
            match current {
                Value::Array(a) => {
                    let kept: Vec<Value> = a
                        .iter()
                        .filter(|v| v.as_str() != Some(name))
                        .cloned()
                        .collect();
                    kept.len() == a.len() || self.write_wallet_setting(kept)
                }
                _ => true,
            }
        };
        if !ok {
            warnings.push(if load {
                "Wallet load on startup setting could not be updated, so wallet may not be loaded next node startup.".into()
            } else {
                "Wallet load on startup setting could not be updated, so wallet may still be loaded next node startup.".into()
            });
        }
    }

    fn write_wallet_setting(&self, list: Vec<Value>) -> bool {
        self.chain
            .overwrite_rw_setting("wallet".into(), Value::Array(list).to_string(), true)
            .unwrap_or(false)
    }
}

struct LoadingGuard<'a> {
    cx: &'a WalletContext,
    name: String,
}

impl Drop for LoadingGuard<'_> {
    fn drop(&mut self) {
        self.cx
            .loading
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&self.name);
    }
}

/// Whether `path` starts like a Berkeley DB file (Core's `IsBDBFile`).
pub fn is_bdb_file(path: &Path) -> bool {
    use std::io::{Read, Seek, SeekFrom};
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let Ok(meta) = f.metadata() else { return false };
    if meta.len() < 4096 {
        return false;
    }
    let mut magic = [0u8; 4];
    if f.seek(SeekFrom::Start(12)).is_err() || f.read_exact(&mut magic).is_err() {
        return false;
    }
    // The btree magic in either byte order.
    let m = u32::from_le_bytes(magic);
    m == 0x0005_3162 || m == 0x6231_0500
}

/// Whether `path` starts with SQLite's header, whatever its application id.
pub fn is_sqlite_file(path: &Path) -> bool {
    use std::io::Read;
    let Ok(mut f) = std::fs::File::open(path) else {
        return false;
    };
    let mut header = [0u8; 16];
    f.read_exact(&mut header).is_ok() && &header == b"SQLite format 3\0"
}
