//! The wallet side of a node (Core's `WalletLoader`/`ChainClient`): verifies and loads the
//! start-up wallets, registers the RPC commands with the node, and unloads at shutdown.
//! The same loader runs inside `bitcoind` and in the `bitcoin-wallet` process.

use std::collections::BTreeSet;
use std::sync::Arc;

use common::ArgsManager;
use interfaces::{Chain, WalletLoader};
use serde_json::Value;

use crate::context::{DatabaseStatus, WalletContext};

/// A loader over `chain`.
pub struct Loader {
    /// The wallets and their settings.
    pub cx: Arc<WalletContext>,
    table: Arc<rpc::Table>,
}

impl Loader {
    /// Reads the wallet options from `args` (Core's `LoadWalletArgs`) and prepares the
    /// command table. Option warnings go to the node's start-up warnings.
    pub fn new(
        chain: Arc<dyn Chain>,
        args: ArgsManager,
        chain_type: common::ChainType,
    ) -> Result<Loader, String> {
        let relay = chain.relay_min_fee().map_err(|e| e.to_string())?;
        let (options, warnings) = crate::init::options_from_args(&args, relay)?;
        let cx = WalletContext::new(chain, args, chain_type, options, warnings);
        let table = crate::rpc::make_table(&cx);
        Ok(Loader { cx, table })
    }

    /// The wallet command table (for tests and the in-process RPC console).
    pub fn table(&self) -> &Arc<rpc::Table> {
        &self.table
    }

    fn init_error(&self, message: String) -> ipc::Error {
        let _ = self.cx.chain.init_error(message.clone());
        ipc::Error::Remote(message)
    }

    /// The `-wallet` values, as strings (`getSettingsList("wallet")`).
    fn wallet_settings(&self) -> Result<Vec<String>, ipc::Error> {
        let list = self.cx.chain.get_settings_list("wallet".into())?;
        let mut out = Vec::new();
        for text in list {
            match serde_json::from_str::<Value>(&text) {
                Ok(Value::String(s)) => out.push(s),
                _ => {
                    return Err(self.init_error(
                        "Invalid value detected for '-wallet' or '-nowallet'. '-wallet' requires a string value, while '-nowallet' accepts only '1' to disable all wallets".into(),
                    ))
                }
            }
        }
        Ok(out)
    }

    /// `VerifyWallets`.
    fn verify(&self) -> ipc::Result<()> {
        let args = &self.cx.args;
        if args.is_arg_set("-walletdir") {
            let dir = std::path::PathBuf::from(args.get_arg_or("-walletdir", ""));
            let text = dir.display().to_string();
            match std::fs::canonicalize(&dir) {
                Err(_) => {
                    return Err(
                        self.init_error(format!("Specified -walletdir \"{text}\" does not exist"))
                    )
                }
                Ok(c) if !c.is_dir() => {
                    return Err(self.init_error(format!(
                        "Specified -walletdir \"{text}\" is not a directory"
                    )))
                }
                Ok(_) if !dir.is_absolute() => {
                    return Err(self.init_error(format!(
                        "Specified -walletdir \"{text}\" is a relative path"
                    )))
                }
                Ok(c) => args.force_set_arg("-walletdir", &c.display().to_string()),
            }
        }
        common::logging::log_info(&format!(
            "Using wallet directory {}",
            self.cx.wallet_dir().display()
        ));
        common::logging::log_info(&format!(
            "Using SQLite Version {}",
            walletdb::sqlite::sqlite_version()
        ));
        let _ = self.cx.chain.init_message("Verifying wallet(s)…".into());
        // The node's settings decide, settings.json included (Core's IsArgSet("wallet")).
        let wallet_set = self.cx.chain.get_setting("wallet".into())? != "null";
        if !wallet_set && self.cx.make_database("", true, false).is_ok() {
            // The default wallet loads when nothing else is asked for.
            self.cx
                .chain
                .overwrite_rw_setting("wallet".into(), "[\"\"]".into(), false)?;
        }
        let mut seen = BTreeSet::new();
        for name in self.wallet_settings()? {
            let path = self.cx.wallet_path(&name);
            if !seen.insert(path) {
                let _ = self
                    .cx
                    .chain
                    .init_warning(format!("Ignoring duplicate -wallet {name}."));
                continue;
            }
            match self.cx.make_database(&name, true, false) {
                Ok(_) => {}
                Err(e) if e.status == DatabaseStatus::NotFound => {
                    let _ = self.cx.chain.init_warning(format!(
                        "Skipping -wallet path that doesn't exist. {}",
                        e.message
                    ));
                }
                Err(e) if e.status == DatabaseStatus::LegacyDisabled => {}
                Err(e) => return Err(self.init_error(e.message)),
            }
        }
        Ok(())
    }

    /// `LoadWallets`.
    fn load_wallets(&self) -> ipc::Result<()> {
        let mut seen = BTreeSet::new();
        for name in self.wallet_settings()? {
            if !seen.insert(name.clone()) {
                continue;
            }
            match self.cx.load_wallet(&name, None) {
                Ok((_, warnings)) => {
                    if !warnings.is_empty() {
                        let _ = self.cx.chain.init_warning(warnings.join("\n"));
                    }
                }
                Err(e) if e.status == DatabaseStatus::NotFound => continue,
                Err(e) if e.status == DatabaseStatus::LegacyDisabled => {
                    let _ = self.cx.chain.init_warning(e.message);
                }
                Err(e) => return Err(self.init_error(e.message)),
            }
        }
        Ok(())
    }
}

impl WalletLoader for Loader {
    fn load(&self) -> ipc::Result<()> {
        crate::rpc::register_with_node(&self.cx, &self.table)
            .map_err(|e| ipc::Error::Remote(e.to_string()))?;
        self.verify()?;
        self.load_wallets()
    }

    fn start(&self) -> ipc::Result<()> {
        Ok(())
    }

    fn flush(&self) -> ipc::Result<()> {
        Ok(())
    }

    fn stop(&self) -> ipc::Result<()> {
        self.cx.unload_all();
        self.cx
            .rpc_handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
        Ok(())
    }

    fn list_wallet_names(&self) -> ipc::Result<Vec<String>> {
        Ok(self.cx.wallets().iter().map(|w| w.name.clone()).collect())
    }
}
