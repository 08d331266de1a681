#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{run, Outcome};

struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "wallet-tool-unit-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the tool on regtest in `dir` with `args`.
fn tool(dir: &Path, args: &[&str]) -> Outcome {
    let mut argv = vec![format!("-datadir={}", dir.display()), "-regtest".into()];
    argv.extend(args.iter().map(|s| s.to_string()));
    run(&argv)
}

fn raw(args: &[&str]) -> Outcome {
    run(&args.iter().map(|s| s.to_string()).collect::<Vec<_>>())
}

fn fails_with(out: &Outcome, stderr: &str) {
    assert_eq!(out.code, 1, "{out:?}");
    assert_eq!(out.stdout, "", "{out:?}");
    assert_eq!(out.stderr, stderr, "{out:?}");
}

fn info_text(name: &str, keypool: u32, txs: usize, book: usize) -> String {
    format!(
        "Wallet info\n===========\nName: {name}\nFormat: sqlite\nDescriptors: yes\nEncrypted: no\nHD (hd seed available): yes\nKeypool Size: {keypool}\nTransactions: {txs}\nAddress Book: {book}\n"
    )
}

const DUMP_WARNING: &str = "The dumpfile may contain private keys. To ensure the safety of your Bitcoin, do not share the dumpfile.\n";

#[test]
fn no_arguments_print_help_and_fail() {
    let out = raw(&[]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stderr, "Error: too few parameters\n");
    assert!(out
        .stdout
        .starts_with("Bitcoin Core bitcoin-wallet utility version v"));
    assert!(out
        .stdout
        .contains("\nUsage: bitcoin-wallet [options] <command>\n\n\nOptions:\n\n"));
}

#[test]
fn help_lists_options_commands_and_command_options() {
    let out = raw(&["-help"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    for section in [
        "Options:",
        "Debugging/Testing options:",
        "Chain selection options:",
        "Commands:",
    ] {
        assert!(
            out.stdout.contains(&format!("\n{section}\n\n")),
            "{section}"
        );
    }
    for opt in [
        "  -datadir=<dir>\n",
        "  -wallet=<wallet-name>\n",
        "  -version\n",
        "  -debug=<category>\n",
        "  -printtoconsole\n",
        "  -chain=<chain>\n",
        "  -testnet4\n",
        "  -signetchallenge\n",
        "  info\n",
        "  create\n",
        "  dump\n",
        "  createfromdump\n",
    ] {
        assert!(out.stdout.contains(opt), "{opt}");
    }
    // -dumpfile is listed under the commands that take it only.
    assert_eq!(
        out.stdout.matches("       -dumpfile=<file name>\n").count(),
        2
    );
    // Debug-only options are hidden.
    assert!(!out.stdout.contains("-regtest"));
    assert_eq!(raw(&["-h"]).stdout, out.stdout);
    assert_eq!(raw(&["-?"]).stdout, out.stdout);
}

#[test]
fn version_prints_the_licence() {
    let out = raw(&["-version"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    let first = out.stdout.lines().next().unwrap();
    assert_eq!(
        first,
        format!(
            "Bitcoin Core bitcoin-wallet utility version {}",
            common::version::CLIENT_BUILD
        )
    );
    assert!(out.stdout.contains("MIT software license"));
    assert!(!out.stdout.contains("Usage:"));
}

#[test]
fn bad_command_lines_get_cores_errors() {
    let dir = TempDir::new();
    let d = &dir.0;
    fails_with(
        &tool(d, &["foo"]),
        "Error parsing command line arguments: Invalid command 'foo'\n",
    );
    fails_with(
        &tool(d, &["help"]),
        "Error parsing command line arguments: Invalid command 'help'\n",
    );
    fails_with(
        &tool(d, &["info", "create"]),
        "Error: Additional arguments provided (create). Methods do not take arguments. Please refer to `-help`.\n",
    );
    fails_with(
        &tool(d, &["info", "a", "b"]),
        "Error: Additional arguments provided (a, b). Methods do not take arguments. Please refer to `-help`.\n",
    );
    fails_with(
        &tool(d, &["-foo"]),
        "Error parsing command line arguments: Invalid parameter -foo\n",
    );
    fails_with(
        &tool(d, &[]),
        "No method provided. Run `bitcoin-wallet -help` for valid methods.\n",
    );
    fails_with(
        &tool(d, &["create"]),
        "Wallet name must be provided when creating a new wallet.\n",
    );
    fails_with(
        &tool(d, &["createfromdump"]),
        "Wallet name must be provided when creating a new wallet.\n",
    );
    fails_with(
        &tool(d, &["-wallet=legacy", "-legacy", "create"]),
        "Error parsing command line arguments: Invalid parameter -legacy\n",
    );
    fails_with(
        &tool(d, &["-wallet=legacy", "-descriptors", "create"]),
        "Error parsing command line arguments: Invalid parameter -descriptors\n",
    );
    fails_with(
        &tool(d, &["-wallet=x", "-format=sqlite", "create"]),
        "Error parsing command line arguments: Invalid parameter -format=sqlite\n",
    );
    fails_with(
        &tool(d, &["-wallet=legacy", "-dumpfile=wallet.dump", "create"]),
        "Error: Invalid arguments provided:\n- The -dumpfile option cannot be used with the 'create' command.\n",
    );
    fails_with(
        &tool(d, &["-wallet=", "create"]),
        "Wallet name cannot be empty\n",
    );
    fails_with(
        &tool(d, &["-wallet=", "-dumpfile=wallet.dump", "createfromdump"]),
        "Wallet name cannot be empty\n",
    );
    fails_with(
        &tool(d, &["-wallet=./w", "info"]),
        "Wallet name given as a path must be normalized\n",
    );
    assert!(!d.join("regtest").exists(), "nothing was created");
}

#[test]
fn chain_and_datadir_errors_match_core() {
    fails_with(
        &raw(&["-datadir=/nonexistent/dir/for/test", "info"]),
        "Error: Specified data directory \"/nonexistent/dir/for/test\" does not exist.\n",
    );
    let dir = TempDir::new();
    let datadir = format!("-datadir={}", dir.0.display());
    fails_with(
        &raw(&[&datadir, "-regtest", "-testnet4", "info"]),
        "\n\n************************\nEXCEPTION: St13runtime_error       \nInvalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one.       \nbitcoin in WalletAppInit()       \n\n",
    );
    fails_with(
        &raw(&[&datadir, "-chain=foo", "info"]),
        "\n\n************************\nEXCEPTION: St13runtime_error       \nUnknown chain foo.       \nbitcoin in WalletAppInit()       \n\n",
    );
    fails_with(
        &raw(&[&datadir, "-signet", "-signetchallenge=zz", "info"]),
        "\n\n************************\nEXCEPTION: St13runtime_error       \n-signetchallenge must be hex, not 'zz'.       \nbitcoin in WalletAppInit()       \n\n",
    );
}

#[test]
fn create_makes_a_descriptor_wallet_and_info_reads_it() {
    let dir = TempDir::new();
    let d = &dir.0;
    let out = tool(d, &["-wallet=w", "create"]);
    assert_eq!(out.stderr, "");
    assert_eq!(
        out.stdout,
        format!("Topping up keypool...\n{}", info_text("w", 8000, 0, 0))
    );
    assert_eq!(out.code, 0);
    assert!(d.join("regtest").join("w").join("wallet.dat").is_file());

    let out = tool(d, &["-wallet=w", "info"]);
    assert_eq!((out.code, out.stderr.as_str()), (0, ""));
    assert_eq!(out.stdout, info_text("w", 8000, 0, 0));

    // Creating it again is refused, yet exits 0 as Core's tool does.
    let path = d.join("regtest").join("w");
    let out = tool(d, &["-wallet=w", "create"]);
    assert_eq!(
        out,
        Outcome {
            stdout: String::new(),
            stderr: format!(
                "Failed to create database path '{}'. Database already exists.\n",
                path.display()
            ),
            code: 0,
        }
    );

    fails_with(
        &tool(d, &["-wallet=nonexistent.dat", "info"]),
        &format!(
            "Failed to load database path '{}'. Path does not exist.\n",
            d.join("regtest").join("nonexistent.dat").display()
        ),
    );
}

#[test]
fn created_wallet_has_the_nodes_descriptors_and_flags() {
    use crate::load::load_without_chain;
    use crate::state::{flags, WalletOptions};
    let dir = TempDir::new();
    let d = &dir.0;
    assert_eq!(tool(d, &["-wallet=w", "create"]).code, 0);
    let file = d.join("regtest").join("w").join("wallet.dat");
    let magic = [0xfa, 0xbf, 0xb5, 0xda];
    {
        // As Core's tool writes it: the descriptor flag only, no best block.
        let store = walletdb::SqliteStore::open(&file, magic).unwrap();
        let records = walletdb::WalletStore::records(&store).unwrap();
        let decoded: Vec<_> = records
            .iter()
            .filter_map(|(k, v)| walletdb::records::decode(k, v).ok())
            .collect();
        assert!(decoded.iter().any(|r| matches!(
            r,
            walletdb::Record::Version(v) if *v == common::version::CLIENT_VERSION
        )));
        let wflags: Vec<u64> = decoded
            .iter()
            .filter_map(|r| match r {
                walletdb::Record::Flags(f) => Some(*f),
                _ => None,
            })
            .collect();
        assert_eq!(wflags, vec![flags::DESCRIPTORS]);
        assert!(!decoded.iter().any(|r| matches!(
            r,
            walletdb::Record::BestBlock(_) | walletdb::Record::BestBlockNoMerkle(_)
        )));
    }
    let mut store = walletdb::SqliteStore::open(&file, magic).unwrap();
    let (st, warnings) = load_without_chain(
        "w",
        &mut store,
        bitcoin::Network::Regtest,
        WalletOptions::default(),
    )
    .unwrap();
    assert!(warnings.is_empty());
    // Loading caches the last hardened keys' flag, as Core's UpgradeDescriptorCache.
    assert!(st.has_flag(flags::LAST_HARDENED_XPUB_CACHED));
    assert_eq!(st.active_external.len(), 4);
    assert_eq!(st.active_internal.len(), 4);
    let mut texts: Vec<String> = st.spkms.values().map(|s| s.public_string()).collect();
    texts.sort();
    let shapes = [
        "pkh([",
        "pkh([",
        "sh(wpkh([",
        "sh(wpkh([",
        "tr([",
        "tr([",
        "wpkh([",
        "wpkh([",
    ];
    for (t, shape) in texts.iter().zip(shapes) {
        assert!(t.starts_with(shape), "{t}");
        assert!(t.contains("]tpub"), "{t}");
        assert!(t.contains("/*)"), "{t}");
    }
    for purpose in ["44h", "49h", "84h", "86h"] {
        for change in [0, 1] {
            let path = format!("/{purpose}/1h/0h]");
            let tail = format!("/{change}/*)");
            assert!(
                texts.iter().any(|t| t.contains(&path) && t.contains(&tail)),
                "{purpose} {change}"
            );
        }
    }
    // One master key behind all eight.
    let fingerprints: std::collections::BTreeSet<&str> = texts
        .iter()
        .filter_map(|t| t.split('[').nth(1).map(|s| &s[..8]))
        .collect();
    assert_eq!(fingerprints.len(), 1);
}

fn read_dump(path: &Path) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| {
            let (k, v) = l.split_once(',').unwrap();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn write_dump(path: &Path, lines: &[(String, String)]) {
    let text: String = lines.iter().map(|(k, v)| format!("{k},{v}\n")).collect();
    std::fs::write(path, text).unwrap();
}

#[test]
fn dump_and_createfromdump_round_trip() {
    let dir = TempDir::new();
    let d = &dir.0;
    assert_eq!(tool(d, &["-wallet=w", "create"]).code, 0);
    fails_with(
        &tool(d, &["-wallet=w", "dump"]),
        "No dump file provided. To use dump, -dumpfile=<filename> must be provided.\n",
    );
    let dump = d.join("w.dump");
    let dumpfile = format!("-dumpfile={}", dump.display());
    let out = tool(d, &["-wallet=w", &dumpfile, "dump"]);
    assert_eq!(
        out,
        Outcome {
            stdout: DUMP_WARNING.into(),
            ..Outcome::default()
        }
    );
    let lines = read_dump(&dump);
    assert_eq!(lines[0], ("BITCOIN_CORE_WALLET_DUMP".into(), "1".into()));
    assert_eq!(lines[1], ("format".into(), "sqlite".into()));
    assert_eq!(lines.last().unwrap().0, "checksum");
    fails_with(
        &tool(d, &["-wallet=w", &dumpfile, "dump"]),
        &format!(
            "File {} already exists. If you are sure this is what you want, move it out of the way first.\n",
            dump.display()
        ),
    );

    let out = tool(d, &["-wallet=copy", &dumpfile, "createfromdump"]);
    assert_eq!(out, Outcome::default());
    let again = d.join("copy.dump");
    let out = tool(
        d,
        &[
            "-wallet=copy",
            &format!("-dumpfile={}", again.display()),
            "dump",
        ],
    );
    assert_eq!(out.code, 0);
    assert_eq!(
        std::fs::read(&dump).unwrap(),
        std::fs::read(&again).unwrap()
    );
    let out = tool(d, &["-wallet=copy", "info"]);
    assert_eq!(out.stdout, info_text("copy", 8000, 0, 0));
}

#[test]
fn createfromdump_refuses_what_core_refuses() {
    let dir = TempDir::new();
    let d = &dir.0;
    let wallets = d.join("regtest");
    assert_eq!(tool(d, &["-wallet=w", "create"]).code, 0);
    let dump = d.join("w.dump");
    assert_eq!(
        tool(
            d,
            &[
                "-wallet=w",
                &format!("-dumpfile={}", dump.display()),
                "dump"
            ]
        )
        .code,
        0
    );
    let good = read_dump(&dump);
    let checksum = good.last().unwrap().1.clone();
    let from = |name: &str, file: &Path| {
        tool(
            d,
            &[
                &format!("-wallet={name}"),
                &format!("-dumpfile={}", file.display()),
                "createfromdump",
            ],
        )
    };
    fails_with(
        &tool(d, &["-wallet=x", "createfromdump"]),
        "No dump file provided. To use createfromdump, -dumpfile=<filename> must be provided.\n",
    );
    let missing = d.join("nothing.dump");
    fails_with(
        &from("x", &missing),
        &format!("Dump file {} does not exist.\n", missing.display()),
    );
    fails_with(
        &from("w", &dump),
        &format!(
            "Failed to create database path '{}'. Database already exists.\n",
            wallets.join("w").display()
        ),
    );

    let bad = d.join("bad.dump");
    let mut lines = good.clone();
    lines[0].1 = "0".into();
    write_dump(&bad, &lines);
    fails_with(&from("bad", &bad), "Error: Dumpfile version is not supported. This version of bitcoin-wallet only supports version 1 dumpfiles. Got dumpfile with version 0\n");
    lines[0].1 = "2".into();
    write_dump(&bad, &lines);
    fails_with(&from("bad", &bad), "Error: Dumpfile version is not supported. This version of bitcoin-wallet only supports version 1 dumpfiles. Got dumpfile with version 2\n");
    lines[0] = ("not_the_right_magic".into(), "1".into());
    write_dump(&bad, &lines);
    fails_with(&from("bad", &bad), "Error: Dumpfile identifier record is incorrect. Got \"not_the_right_magic\", expected \"BITCOIN_CORE_WALLET_DUMP\".\n");
    let mut lines = good.clone();
    lines[1].1 = "bdb".into();
    write_dump(&bad, &lines);
    fails_with(&from("bad", &bad), "Error: Dumpfile specifies an unsupported database format (bdb). Only sqlite database dumps are supported\n");

    let mut lines = good.clone();
    let n = lines.len();
    lines[n - 1].1 = "1".repeat(64);
    write_dump(&bad, &lines);
    fails_with(
        &from("bad", &bad),
        &format!(
            "Error: Dumpfile checksum does not match. Computed {checksum}, expected {}\n",
            "1".repeat(64)
        ),
    );
    assert!(
        !wallets.join("bad").exists(),
        "a failed load leaves nothing"
    );
    write_dump(&bad, &lines[..n - 1]);
    fails_with(&from("bad", &bad), "Error: Missing checksum\n");
    assert!(!wallets.join("bad").exists());
    lines[n - 1].1 = "2".repeat(10);
    write_dump(&bad, &lines);
    fails_with(
        &from("bad", &bad),
        "Error: Checksum is not the correct size\n",
    );
    lines[n - 1].1 = "3".repeat(66);
    write_dump(&bad, &lines);
    fails_with(
        &from("bad", &bad),
        "Error: Checksum is not the correct size\n",
    );
    let mut lines = good.clone();
    lines[2].0 = "zz".into();
    write_dump(&bad, &lines);
    fails_with(&from("bad", &bad), "Error: Got key that was not hex: zz\n");
    assert!(!wallets.join("bad").exists());
}

#[test]
fn info_on_a_wallet_in_use_reports_the_lock() {
    let dir = TempDir::new();
    let d = &dir.0;
    assert_eq!(tool(d, &["-wallet=w", "create"]).code, 0);
    let file = d.join("regtest").join("w").join("wallet.dat");
    let held = walletdb::SqliteStore::open(&file, [0xfa, 0xbf, 0xb5, 0xda]).unwrap();
    fails_with(
        &tool(d, &["-wallet=w", "info"]),
        "SQLiteDatabase: Unable to obtain an exclusive lock on the database, is it being used by another instance of Bitcoin Core?\n",
    );
    drop(held);
    assert_eq!(tool(d, &["-wallet=w", "info"]).code, 0);
}

#[test]
fn a_wallet_of_another_chain_is_not_recognized() {
    let dir = TempDir::new();
    let d = &dir.0;
    assert_eq!(tool(d, &["-wallet=w", "create"]).code, 0);
    // The same directory read as testnet4's wallet dir holds no testnet4 wallet.
    let regtest_wallet = d.join("regtest").join("w");
    let out = run(&[
        format!("-datadir={}", d.display()),
        "-testnet4".into(),
        format!("-wallet={}", regtest_wallet.display()),
        "info".into(),
    ]);
    fails_with(
        &out,
        &format!(
            "Failed to load database path '{}'. Data is not in recognized format.\n",
            regtest_wallet.display()
        ),
    );
}
