//! Finding and opening a wallet file without a node (Core's `GetWalletDir`,
//! `GetWalletPath` and `MakeDatabase`).

use std::path::{Path, PathBuf};

use common::ArgsManager;
use walletdb::sqlite::{is_sqlite_wallet_file, wallet_data_file, SqliteOptions};
use walletdb::SqliteStore;

use crate::context::is_bdb_file;

/// `GetWalletDir` for the tool, which has no `-walletdir`: the network's data directory,
/// or its `wallets` directory when there is one.
pub fn wallet_dir(args: &ArgsManager) -> PathBuf {
    let net = args.get_data_dir_net();
    if net.join("wallets").is_dir() {
        net.join("wallets")
    } else {
        net
    }
}

/// Whether a wallet name given as a path is normalized (C++'s
/// `path == path.lexically_normal()`): no `.` element (but `.` alone), no `..` after
/// another element or the root, and no trailing separator after `..`.
fn is_normalized(name: &str) -> bool {
    let absolute = name.starts_with('/');
    let elems: Vec<&str> = name.split('/').filter(|e| !e.is_empty()).collect();
    if name == "." {
        return true;
    }
    let mut seen_other = false;
    for e in &elems {
        match *e {
            "." => return false,
            ".." if absolute || seen_other => return false,
            ".." => {}
            _ => seen_other = true,
        }
    }
    !(elems.last() == Some(&"..") && name.ends_with('/'))
}

/// `GetWalletPath`: the path `name` stands for, refused as Core refuses it.
pub fn get_wallet_path(wallet_dir: &Path, name: &str) -> Result<PathBuf, String> {
    if !is_normalized(name) {
        return Err("Wallet name given as a path must be normalized".into());
    }
    let first = name.split('/').find(|e| !e.is_empty());
    if !name.starts_with('/') && matches!(first, Some(".") | Some("..")) {
        return Err("Wallet name given as a relative path cannot begin with ./ or ../, for wallets not in the walletdir, please use an absolute path.".into());
    }
    if !name.is_empty() && name.chars().all(|c| c == '/') {
        return Err("Wallet name cannot be the root path".into());
    }
    // As C++'s `/`: an absolute name replaces the directory, an empty one leaves a
    // trailing separator that Core's messages show.
    let path = wallet_dir.join(name);
    let ok = match std::fs::symlink_metadata(&path) {
        Err(_) => true,
        Ok(m) if m.is_dir() => true,
        Ok(m) if m.file_type().is_symlink() => path.is_dir(),
        Ok(m) if m.is_file() => !name.contains('/'),
        Ok(_) => false,
    };
    if !ok {
        return Err(format!(
            "Invalid -wallet path '{name}'. -wallet path should point to a directory where wallet.dat and database/log.?????????? files can be stored, a location where such a directory could be created, or (for backwards compatibility) the name of an existing data file in -walletdir ({})",
            quoted(&wallet_dir.display().to_string())
        ));
    }
    Ok(path)
}

/// C++'s `std::quoted`.
fn quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// What the caller of [`make_database`] requires (Core's `DatabaseOptions`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DatabaseOptions {
    /// Fail when there is no wallet.
    pub require_existing: bool,
    /// Fail when there is a wallet.
    pub require_create: bool,
}

/// `BDBDataFile`: the path itself when it is a file, else its `wallet.dat`.
fn bdb_data_file(path: &Path) -> PathBuf {
    if path.is_file() {
        path.to_path_buf()
    } else {
        wallet_data_file(path)
    }
}

/// `MakeDatabase` for a SQLite wallet at `path` (a wallet directory) of the network
/// with message start `magic`; the error is Core's message.
pub fn make_database(
    path: &Path,
    magic: [u8; 4],
    options: DatabaseOptions,
) -> Result<SqliteStore, String> {
    let shown = path.display().to_string();
    let exists = std::fs::symlink_metadata(path).is_ok();
    let mut bdb = false;
    let mut sqlite = false;
    if exists {
        bdb = is_bdb_file(&bdb_data_file(path));
        sqlite = is_sqlite_wallet_file(&wallet_data_file(path), magic);
        if bdb && sqlite {
            return Err(format!(
                "Failed to load database path '{shown}'. Data is in ambiguous format."
            ));
        }
    } else if options.require_existing {
        return Err(format!(
            "Failed to load database path '{shown}'. Path does not exist."
        ));
    }
    if !bdb && !sqlite && options.require_existing {
        return Err(format!(
            "Failed to load database path '{shown}'. Data is not in recognized format."
        ));
    }
    if (bdb || sqlite) && options.require_create {
        return Err(format!(
            "Failed to create database path '{shown}'. Database already exists."
        ));
    }
    if bdb {
        // Core reads legacy files only to dump or migrate them; this build has no
        // Berkeley DB reader, so they get the answer every other caller gets.
        return Err(format!(
            "Failed to open database path '{shown}'. The wallet appears to be a Legacy wallet, please use the wallet migration tool (migratewallet RPC or the GUI option)."
        ));
    }
    SqliteStore::open_unchecked(&wallet_data_file(path), SqliteOptions::new(magic))
        .map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wallet_names_are_checked_as_core_checks_them() {
        let dir = Path::new("/nonexistent-walletdir-for-test");
        let normalized = "Wallet name given as a path must be normalized";
        let relative = "Wallet name given as a relative path cannot begin with ./ or ../, for wallets not in the walletdir, please use an absolute path.";
        for (name, want) in [
            ("a/./b", normalized),
            ("./a", normalized),
            ("a/..", normalized),
            ("a/../b", normalized),
            ("/..", normalized),
            ("../", normalized),
            ("a/.", normalized),
            ("..", relative),
            (".", relative),
            ("../a", relative),
            ("../../a", relative),
            ("/", "Wallet name cannot be the root path"),
        ] {
            assert_eq!(get_wallet_path(dir, name), Err(want.to_string()), "{name}");
        }
        for (name, want) in [
            ("w", "/nonexistent-walletdir-for-test/w"),
            ("a//b", "/nonexistent-walletdir-for-test/a//b"),
            ("", "/nonexistent-walletdir-for-test/"),
            ("/abs/w", "/abs/w"),
        ] {
            assert_eq!(
                get_wallet_path(dir, name).map(|p| p.display().to_string()),
                Ok(want.to_string()),
                "{name}"
            );
        }
    }

    #[test]
    fn a_file_inside_a_subdirectory_is_not_a_wallet_path() {
        let dir = std::env::temp_dir().join(format!("tool-db-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("sub")).unwrap_or_default();
        std::fs::write(dir.join("sub").join("f"), b"x").unwrap_or_default();
        std::fs::write(dir.join("f"), b"x").unwrap_or_default();
        let err = get_wallet_path(&dir, "sub/f").unwrap_err();
        assert!(err.starts_with("Invalid -wallet path 'sub/f'."), "{err}");
        assert!(err.ends_with(&format!("(\"{}\")", dir.display())), "{err}");
        assert_eq!(get_wallet_path(&dir, "f"), Ok(dir.join("f")));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn databases_are_refused_as_core_refuses_them() {
        let dir = std::env::temp_dir().join(format!("tool-mkdb-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let magic = [0xfa, 0xbf, 0xb5, 0xda];
        let w = dir.join("w");
        let shown = w.display();
        let existing = DatabaseOptions {
            require_existing: true,
            ..Default::default()
        };
        let create = DatabaseOptions {
            require_create: true,
            ..Default::default()
        };
        assert_eq!(
            make_database(&w, magic, existing).unwrap_err(),
            format!("Failed to load database path '{shown}'. Path does not exist.")
        );
        std::fs::create_dir_all(&w).unwrap_or_default();
        assert_eq!(
            make_database(&w, magic, existing).unwrap_err(),
            format!("Failed to load database path '{shown}'. Data is not in recognized format.")
        );
        let store = make_database(&w, magic, create);
        assert!(store.is_ok());
        drop(store);
        assert_eq!(
            make_database(&w, magic, create).unwrap_err(),
            format!("Failed to create database path '{shown}'. Database already exists.")
        );
        let open = make_database(&w, magic, existing);
        assert!(open.is_ok());
        // The exclusive lock of the first opener refuses a second one.
        assert_eq!(
            make_database(&w, magic, existing).unwrap_err(),
            "SQLiteDatabase: Unable to obtain an exclusive lock on the database, is it being used by another instance of Bitcoin Core?"
        );
        drop(open);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
