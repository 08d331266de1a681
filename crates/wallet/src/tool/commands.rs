//! The four commands (Core's `ExecuteWalletToolFunc`, `WalletShowInfo`, `DumpWallet`
//! and `CreateFromDump`).

use std::collections::BTreeSet;
use std::path::Path;

use common::{ArgsManager, ChainType};
use walletdb::sqlite::wallet_data_file;

use super::database::{get_wallet_path, make_database, wallet_dir, DatabaseOptions};
use super::Outcome;
use crate::context::{network_magic, network_of};
use crate::error::{DbError, WalletError};
use crate::state::{flags, WalletOptions, WalletState};

/// Core's `WalletShowInfo`.
pub fn show_info(st: &WalletState, format: &str) -> String {
    let yes_no = |b: bool| if b { "yes" } else { "no" };
    // The active managers as a set: one active for several types counts once.
    let active: BTreeSet<_> = st
        .active_external
        .values()
        .chain(st.active_internal.values())
        .collect();
    let spkms: Vec<_> = active.iter().filter_map(|id| st.spkms.get(*id)).collect();
    let hd = !spkms.is_empty() && spkms.iter().all(|s| s.is_range());
    let keypool: i64 = spkms.iter().map(|s| s.keypool_size().max(0)).sum();
    format!(
        "Wallet info\n===========\nName: {}\nFormat: {format}\nDescriptors: {}\nEncrypted: {}\nHD (hd seed available): {}\nKeypool Size: {keypool}\nTransactions: {}\nAddress Book: {}\n",
        st.name,
        yes_no(st.has_flag(flags::DESCRIPTORS)),
        yes_no(st.is_crypted()),
        yes_no(hd),
        st.txs.len(),
        st.address_book.len(),
    )
}

/// The message `PopulateWalletFromDB` gives for a wallet that did not load, from the
/// kind of failure (Core's `DBErrors`).
fn load_error_text(e: &WalletError, data_file: &Path) -> String {
    match e {
        WalletError::Db(db) => db.message(data_file),
        WalletError::Store(_) => format!("Error loading {}", data_file.display()),
        _ => DbError::Corrupt.message(data_file),
    }
}

/// The warning for a wallet that loaded with unreadable transactions or metadata.
fn load_warning_text(data_file: &Path) -> String {
    format!(
        "Error reading {}! All keys read correctly, but transaction data or address metadata may be missing or incorrect.",
        data_file.display()
    )
}

/// Runs `command` (Core's `ExecuteWalletToolFunc`).
pub fn execute(args: &ArgsManager, chain: ChainType, command: &str) -> Outcome {
    let errors = args.check_command_options(command);
    if !errors.is_empty() {
        let list: Vec<String> = errors.iter().map(|e| format!("- {e}")).collect();
        return Outcome::fail(format!(
            "Error: Invalid arguments provided:\n{}\n",
            list.join("\n")
        ));
    }
    if (command == "create" || command == "createfromdump") && !args.is_arg_set("-wallet") {
        return Outcome::fail("Wallet name must be provided when creating a new wallet.\n");
    }
    let name = args.get_arg_or("-wallet", "");
    let path = match get_wallet_path(&wallet_dir(args), &name) {
        Ok(p) => p,
        Err(e) => return Outcome::fail(format!("{e}\n")),
    };
    let tool = Tool {
        args,
        name,
        path,
        magic: network_magic(chain, args),
        network: network_of(chain),
    };
    match command {
        "create" => tool.create(),
        "info" => tool.info(),
        "dump" => tool.dump(),
        "createfromdump" => tool.create_from_dump(),
        other => Outcome::fail(format!("Invalid command: {other}\n")),
    }
}

/// The wallet a command works on.
struct Tool<'a> {
    args: &'a ArgsManager,
    name: String,
    path: std::path::PathBuf,
    magic: [u8; 4],
    network: bitcoin::Network,
}

impl Tool<'_> {
    fn create(&self) -> Outcome {
        if self.name.is_empty() {
            return Outcome::fail("Wallet name cannot be empty\n");
        }
        let options = DatabaseOptions {
            require_create: true,
            ..DatabaseOptions::default()
        };
        let mut store = match make_database(&self.path, self.magic, options) {
            Ok(s) => s,
            // Core prints why and still exits 0 here: its create branch only reports
            // failure through the message.
            Err(e) => {
                return Outcome {
                    stderr: format!("{e}\n"),
                    ..Outcome::default()
                }
            }
        };
        match crate::load::create_without_chain(
            &self.name,
            &mut store,
            self.network,
            WalletOptions::default(),
        ) {
            Ok(st) => Outcome {
                stdout: format!("Topping up keypool...\n{}", show_info(&st, "sqlite")),
                ..Outcome::default()
            },
            Err(e) => Outcome::fail(format!("{e}\n")),
        }
    }

    fn info(&self) -> Outcome {
        let options = DatabaseOptions {
            require_existing: true,
            ..DatabaseOptions::default()
        };
        let mut store = match make_database(&self.path, self.magic, options) {
            Ok(s) => s,
            Err(e) => return Outcome::fail(format!("{e}\n")),
        };
        let data_file = wallet_data_file(&self.path);
        match crate::load::load_without_chain(
            &self.name,
            &mut store,
            self.network,
            WalletOptions::default(),
        ) {
            // Core prints these messages without a line end.
            Err(e) => Outcome::fail(load_error_text(&e, &data_file)),
            Ok((st, warnings)) => Outcome {
                stdout: show_info(&st, "sqlite"),
                stderr: if warnings.is_empty() {
                    String::new()
                } else {
                    load_warning_text(&data_file)
                },
                code: 0,
            },
        }
    }

    fn dump(&self) -> Outcome {
        let options = DatabaseOptions {
            require_existing: true,
            ..DatabaseOptions::default()
        };
        let store = match make_database(&self.path, self.magic, options) {
            Ok(s) => s,
            Err(e) => return Outcome::fail(format!("{e}\n")),
        };
        let dump_file = self.args.get_arg_or("-dumpfile", "");
        if dump_file.is_empty() {
            return Outcome::fail(
                "No dump file provided. To use dump, -dumpfile=<filename> must be provided.\n",
            );
        }
        match walletdb::dump::dump_to_file(&store, Path::new(&dump_file)) {
            Ok(()) => Outcome {
                stdout: "The dumpfile may contain private keys. To ensure the safety of your Bitcoin, do not share the dumpfile.\n".into(),
                ..Outcome::default()
            },
            Err(e) => Outcome::fail(format!("{e}\n")),
        }
    }

    fn create_from_dump(&self) -> Outcome {
        if self.name.is_empty() {
            return Outcome::fail("Wallet name cannot be empty\n");
        }
        let dump_file = self.args.get_arg_or("-dumpfile", "");
        if dump_file.is_empty() {
            return Outcome::fail(
                "No dump file provided. To use createfromdump, -dumpfile=<filename> must be provided.\n",
            );
        }
        match walletdb::dump::create_from_dump_file(Path::new(&dump_file), &self.path, self.magic) {
            Ok(_) => Outcome::default(),
            Err(e) => Outcome::fail(format!("{e}\n")),
        }
    }
}
