#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::*;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A unique directory under the system temp dir, removed on drop.
pub(crate) struct TempDir(pub PathBuf);

impl TempDir {
    pub(crate) fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let p = std::env::temp_dir().join(format!(
            "common-args-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        TempDir(p)
    }
    fn write(&self, name: &str, text: &str) -> PathBuf {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn s(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

fn manager() -> ArgsManager {
    let a = ArgsManager::empty();
    for name in [
        "-regtest",
        "-testnet",
        "-testnet4",
        "-signet",
        "-chain",
        "-debug",
        "-datadir",
        "-conf",
        "-includeconf",
        "-printtoconsole",
        "-foo",
        "-bar",
        "-dbcache=<n>",
        "-allowignoredconf",
    ] {
        a.add_arg(name, "", ArgFlags::ALLOW_ANY, OptionsCategory::Options);
    }
    a.add_arg(
        "-wallet",
        "",
        ArgFlags::ALLOW_ANY | ArgFlags::NETWORK_ONLY,
        OptionsCategory::Options,
    );
    a.add_arg(
        "-rpcpassword",
        "",
        ArgFlags::ALLOW_ANY | ArgFlags::SENSITIVE,
        OptionsCategory::Rpc,
    );
    a.add_arg(
        "-loglevel",
        "",
        ArgFlags::DISALLOW_NEGATION | ArgFlags::DISALLOW_ELISION,
        OptionsCategory::DebugTest,
    );
    a
}

fn parsed(argv: &[&str]) -> Result<ArgsManager, ArgsError> {
    let mut a = manager();
    a.parse_parameters(s(argv))?;
    Ok(a)
}

#[test]
fn forms() {
    let a = parsed(&[
        "-foo",
        "--bar=x",
        "-dbcache=450",
        "-debug=net",
        "-debug=rpc",
    ])
    .unwrap();
    assert_eq!(a.get_arg("foo").as_deref(), Some(""));
    assert!(a.get_bool_arg("-foo", false));
    assert_eq!(a.get_arg("-bar").as_deref(), Some("x"));
    assert_eq!(a.get_int_arg("dbcache", 0), 450);
    assert_eq!(a.get_args("debug"), s(&["net", "rpc"]));
    assert!(!a.is_arg_set("printtoconsole"));
    assert_eq!(a.get_arg_or("printtoconsole", "d"), "d");
    // Last value wins on the command line.
    let a = parsed(&["-dbcache=1", "-dbcache=2"]).unwrap();
    assert_eq!(a.get_int_arg("dbcache", 0), 2);
}

#[test]
fn negation() {
    let a = parsed(&["-nofoo"]).unwrap();
    assert!(a.is_arg_set("foo"));
    assert!(a.is_arg_negated("foo"));
    assert_eq!(a.get_arg("foo").as_deref(), Some("0"));
    assert!(!a.get_bool_arg("foo", true));
    // Double negative.
    let mut a = manager();
    a.parse_parameters(s(&["-nofoo=0"])).unwrap();
    assert!(a.get_bool_arg("foo", false));
    assert!(!a.is_arg_negated("foo"));
    assert_eq!(
        a.take_messages(),
        vec![ConfigMessage::Warning(
            "Parsed potentially confusing double-negative -foo=0".into()
        )]
    );
    // -nofoo=1 is a plain negation.
    assert!(parsed(&["-nofoo=1"]).unwrap().is_arg_negated("foo"));
    // Negation clears earlier list values; later ones count.
    let a = parsed(&["-debug=net", "-nodebug", "-debug=rpc"]).unwrap();
    assert_eq!(a.get_args("debug"), s(&["rpc"]));
    let a = parsed(&["-debug=net", "-nodebug"]).unwrap();
    assert!(a.get_args("debug").is_empty());
    assert!(a.is_arg_negated("debug"));
}

#[test]
fn interpret_bool_values() {
    let a = parsed(&["-foo=true", "-bar=2"]).unwrap();
    assert!(!a.get_bool_arg("foo", true));
    assert!(a.get_bool_arg("bar", false));
    let a = parsed(&["-foo=0x1", "-bar= 7"]).unwrap();
    assert!(!a.get_bool_arg("foo", true));
    assert_eq!(a.get_int_arg("bar", 0), 7);
    let a = parsed(&["-dbcache=12abc"]).unwrap();
    assert_eq!(a.get_int_arg("dbcache", 0), 12);
    assert_eq!(a.get_int::<u8>("dbcache"), Some(12));
    let a = parsed(&["-nodbcache"]).unwrap();
    assert_eq!(a.get_int_arg("dbcache", 5), 0);
}

#[test]
fn errors_with_core_text() {
    let e = parsed(&["-bogus=1"]).unwrap_err();
    assert_eq!(e.to_string(), "Invalid parameter -bogus=1");
    assert_eq!(
        parsed(&["-regtest.foo=1"]).unwrap_err().to_string(),
        "Invalid parameter -regtest.foo=1"
    );
    assert_eq!(
        parsed(&["-nologlevel"]).unwrap_err().to_string(),
        "Negating of -loglevel is meaningless and therefore forbidden"
    );
    assert_eq!(
        parsed(&["-loglevel"]).unwrap_err().to_string(),
        "Can not set -loglevel with no value. Please specify value with -loglevel=value."
    );
    assert!(parsed(&["-loglevel="]).is_ok());
    assert_eq!(
        parsed(&["-includeconf=a.conf", "-includeconf=b"])
            .unwrap_err()
            .to_string(),
        "-includeconf cannot be used from commandline; -includeconf=\"a.conf\""
    );
    assert_eq!(
        parsed(&["-noincludeconf=0"]).unwrap_err().to_string(),
        "-includeconf cannot be used from commandline; -includeconf=true"
    );
    assert!(parsed(&["-noincludeconf"]).is_ok());
    // The "no" prefix is always a negation, as in Core.
    assert_eq!(
        parsed(&["-nonsense"]).unwrap_err().to_string(),
        "Invalid parameter -nonsense"
    );
}

#[test]
fn positional_commands() {
    // Without registered commands, everything from the first positional is kept.
    let a = parsed(&["-foo", "getblock", "-bar", "x=1"]).unwrap();
    assert_eq!(
        a.get_command(),
        Some(Command {
            command: String::new(),
            args: s(&["getblock", "-bar", "x=1"])
        })
    );
    assert!(!a.is_arg_set("bar"));
    assert_eq!(
        unexpected_token(&s(&["-foo", "stray"]))
            .unwrap()
            .to_string(),
        "Command line contains unexpected token 'stray', see bitcoind -h for a list of options."
    );
    // The older `parse` rejects positionals.
    let mut a = manager();
    assert_eq!(
        a.parse(s(&["stray"])).unwrap_err(),
        ArgsError::UnexpectedArgument("stray".into())
    );
    // A lone "-" stops parsing.
    let a = parsed(&["-foo", "-", "-bogus"]).unwrap();
    assert!(a.get_command().is_none());

    // Registered commands (bitcoin-wallet).
    let mut w = ArgsManager::empty();
    w.add_arg(
        "-dumpfile=<file>",
        "",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::CommandOptions,
    );
    w.add_arg(
        "-wallet=<name>",
        "",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Options,
    );
    w.add_command("create", "Create a new descriptor wallet file", &[]);
    w.add_command(
        "dump",
        "Print out all of the wallet key-value records",
        &["-dumpfile"],
    );
    w.parse_parameters(s(&["-wallet=x", "dump", "extra"]))
        .unwrap();
    assert_eq!(
        w.get_command(),
        Some(Command {
            command: "dump".into(),
            args: s(&["extra"])
        })
    );
    assert_eq!(
        w.parse_parameters(s(&["frobnicate"]))
            .unwrap_err()
            .to_string(),
        "Invalid command 'frobnicate'"
    );
    w.parse_parameters(s(&["-dumpfile=f", "create"])).unwrap();
    assert_eq!(
        w.check_command_options("create")
            .iter()
            .map(|e| e.to_string())
            .collect::<Vec<_>>(),
        vec!["The -dumpfile option cannot be used with the 'create' command."]
    );
    assert!(w.check_command_options("dump").is_empty());
    // A command is not an option.
    assert_eq!(
        w.parse_parameters(s(&["-create"])).unwrap_err().to_string(),
        "Invalid parameter -create"
    );
    assert_eq!(w.get_arg_flags("create"), Some(ArgFlags::COMMAND));
    assert_eq!(w.get_arg_flags("-wallet"), Some(ArgFlags::ALLOW_ANY));
    // Default flags accept unknown options.
    w.set_default_flags(Some(ArgFlags::ALLOW_ANY));
    w.parse_parameters(s(&["-whatever=1", "create"])).unwrap();
    assert_eq!(w.get_arg("whatever").as_deref(), Some("1"));
}

#[test]
fn cli_commands_exclusive() {
    let mut a = ArgsManager::empty();
    for n in ["-getinfo", "-netinfo", "-generate"] {
        a.add_arg(n, "", ArgFlags::ALLOW_ANY, OptionsCategory::CliCommands);
    }
    a.parse_parameters(s(&["-netinfo", "-getinfo"])).unwrap();
    assert_eq!(
        a.check_multiple_cli_args().unwrap_err().to_string(),
        "Only one of -getinfo, -netinfo may be specified."
    );
}

#[test]
fn legacy_api() {
    let mut a = ArgsManager::new(&["regtest", "debug", "printtoconsole", "chain"]);
    a.parse(s(&[
        "-regtest",
        "--debug=ipc",
        "-debug=net",
        "-noprinttoconsole",
    ]))
    .unwrap();
    assert!(a.get_bool_arg("regtest", false));
    assert!(a.is_arg_set("debug"));
    assert_eq!(a.get_args("debug"), s(&["ipc", "net"]));
    assert!(!a.get_bool_arg("printtoconsole", true));
    assert_eq!(a.get_arg("regtest").as_deref(), Some(""));
    assert_eq!(
        crate::ChainType::from_args(&a).unwrap(),
        crate::ChainType::Regtest
    );
}

#[test]
fn chain_selection() {
    use crate::ChainType;
    let chain = |argv: &[&str]| parsed(argv).unwrap().get_chain_type();
    assert_eq!(chain(&[]).unwrap(), ChainType::Main);
    assert_eq!(chain(&["-chain=regtest"]).unwrap(), ChainType::Regtest);
    assert_eq!(chain(&["-testnet4"]).unwrap(), ChainType::Testnet4);
    assert_eq!(chain(&["-testnet"]).unwrap(), ChainType::Testnet);
    assert_eq!(chain(&["-signet=1"]).unwrap(), ChainType::Signet);
    assert_eq!(chain(&["-regtest=0"]).unwrap(), ChainType::Main);
    assert_eq!(
        chain(&["-regtest", "-testnet"]).unwrap_err().to_string(),
        "Invalid combination of -regtest, -signet, -testnet, -testnet4 and -chain. Can use at most one."
    );
    assert_eq!(
        chain(&["-chain=foo"]).unwrap_err().to_string(),
        "Unknown chain foo."
    );
    assert_eq!(
        parsed(&["-chain=foo"])
            .unwrap()
            .get_chain_type_string()
            .unwrap(),
        "foo"
    );
    // A negated flag on the command line does not override the config file (Core).
    let a = parsed(&["-noregtest"]).unwrap();
    a.read_config_string("regtest=1\n").unwrap();
    assert_eq!(a.get_chain_type().unwrap(), ChainType::Regtest);
    // Chain flags in the config file: last value wins.
    let a = parsed(&[]).unwrap();
    a.read_config_string("regtest=1\nregtest=0\n").unwrap();
    assert_eq!(a.get_chain_type().unwrap(), ChainType::Main);
    // Network sections do not select networks.
    let a = parsed(&[]).unwrap();
    a.read_config_string("[regtest]\nregtest=1\n").unwrap();
    assert_eq!(a.get_chain_type().unwrap(), ChainType::Main);
}

#[test]
fn precedence() {
    let a = parsed(&["-foo=cmd"]).unwrap();
    a.read_config_string("foo=conf1\nfoo=conf2\nbar=b1\nbar=b2\n[regtest]\nbar=r1\n")
        .unwrap();
    // Command line beats config; config: first value wins.
    assert_eq!(a.get_arg("foo").as_deref(), Some("cmd"));
    assert_eq!(a.get_arg("bar").as_deref(), Some("b1"));
    a.select_config_network(crate::ChainType::Regtest);
    assert_eq!(a.get_arg("bar").as_deref(), Some("r1"));
    assert_eq!(a.get_args("bar"), s(&["r1", "b1", "b2"]));
    // Forced beats everything; soft set only when unset.
    assert!(!a.soft_set_arg("foo", "soft"));
    assert!(a.soft_set_arg("-dbcache", "100"));
    assert!(!a.soft_set_bool_arg("dbcache", false));
    assert_eq!(a.get_int_arg("dbcache", 0), 100);
    a.force_set_arg("-foo", "forced");
    assert_eq!(a.get_arg("foo").as_deref(), Some("forced"));
    // A command-line negation hides config values unless new values follow.
    let a = parsed(&["-nobar"]).unwrap();
    a.read_config_string("bar=c\n").unwrap();
    assert!(a.get_args("bar").is_empty());
    assert!(a.is_arg_negated("bar"));
    let a = parsed(&["-nobar", "-bar=x"]).unwrap();
    a.read_config_string("bar=c\n").unwrap();
    assert_eq!(a.get_args("bar"), s(&["x", "c"]));
    // Negation inside the config file.
    let a = parsed(&[]).unwrap();
    a.read_config_string("debug=net\nnodebug=1\ndebug=rpc\n")
        .unwrap();
    assert_eq!(a.get_args("debug"), s(&["rpc"]));
}

#[test]
fn network_only_options() {
    let a = parsed(&[]).unwrap();
    a.read_config_string("wallet=top\n[regtest]\nfoo=1\n")
        .unwrap();
    a.select_config_network(crate::ChainType::Regtest);
    assert_eq!(a.get_arg("wallet"), None);
    assert_eq!(
        a.unsuitable_section_only_args()
            .into_iter()
            .collect::<Vec<_>>(),
        s(&["-wallet"])
    );
    assert_eq!(
        a.check_section_only_args().unwrap_err().to_string(),
        "Config setting for -wallet only applied on regtest network when in [regtest] section.\n"
    );
    a.select_config_network(crate::ChainType::Main);
    assert_eq!(a.get_arg("wallet").as_deref(), Some("top"));
    assert!(a.unsuitable_section_only_args().is_empty());
    // A top-section negation still applies.
    let a = parsed(&[]).unwrap();
    a.read_config_string("nowallet=1\n").unwrap();
    a.select_config_network(crate::ChainType::Regtest);
    assert!(a.is_arg_negated("wallet"));
    // Set in the network section: fine.
    let a = parsed(&[]).unwrap();
    a.read_config_string("wallet=top\nregtest.wallet=r\n")
        .unwrap();
    a.select_config_network(crate::ChainType::Regtest);
    assert_eq!(a.get_arg("wallet").as_deref(), Some("r"));
    assert!(a.unsuitable_section_only_args().is_empty());
}

#[test]
fn config_syntax() {
    let a = parsed(&[]).unwrap();
    a.read_config_string(
        "  foo = a b  # comment\n\n# whole line\r\nmain.bar=m\n[test]\nbar=t\n[regtest]\n dbcache=5\t\n",
    )
    .unwrap();
    assert_eq!(a.get_arg("foo").as_deref(), Some("a b"));
    a.select_config_network(crate::ChainType::Testnet);
    assert_eq!(a.get_arg("bar").as_deref(), Some("t"));
    a.select_config_network(crate::ChainType::Main);
    assert_eq!(a.get_arg("bar").as_deref(), Some("m"));
    a.select_config_network(crate::ChainType::Regtest);
    assert_eq!(a.get_int_arg("dbcache", 0), 5);
    let names: Vec<_> = a
        .unrecognized_sections()
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(names.is_empty(), "{names:?}");
    // Inside a section, a dotted key keeps the section prefix (Core splits at the
    // first dot), so it is unknown.
    assert_eq!(
        parsed(&[])
            .unwrap()
            .read_config_string("[test]\nmain.bar=m\n")
            .unwrap_err()
            .to_string(),
        "Invalid configuration value test.main.bar"
    );

    let err = |text: &str| {
        parsed(&[])
            .unwrap()
            .read_config_string(text)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(err("garbage\n"), "parse error on line 1: garbage");
    assert_eq!(
        err("foo=1\nnono\n"),
        "parse error on line 2: nono, if you intended to specify a negated option, use nono=1 instead"
    );
    assert_eq!(
        err("-dash=1\n"),
        "parse error on line 1: -dash=1, options in configuration file must be specified without leading -"
    );
    assert_eq!(
        err("foo=1\nbar=2\nrpcpassword=some#pass"),
        "parse error on line 3, using # in rpcpassword can be ambiguous and should be avoided"
    );
    assert_eq!(
        err("foo=1\n\n[main]\nrpcpassword=some#pass"),
        "parse error on line 4, using # in rpcpassword can be ambiguous and should be avoided"
    );
    assert_eq!(
        err("conf=other.conf\n"),
        "conf cannot be set in the configuration file; use includeconf= if you want to include additional config files"
    );
    assert_eq!(err("unknown=1\n"), "Invalid configuration value unknown");
    assert_eq!(
        err("nologlevel=1\n"),
        "Negating of -loglevel is meaningless and therefore forbidden"
    );
    // An rpcpassword without '#' is fine; '#' elsewhere is a comment.
    assert!(parsed(&[])
        .unwrap()
        .read_config_string("rpcpassword=abc\nfoo=1#x\n")
        .is_ok());
}

#[test]
fn unrecognized_sections_and_warnings() {
    let a = parsed(&[]).unwrap();
    a.read_config_stream("testnot.foo=1\n[testnet]\nfoo=2\n", "x.conf", true)
        .unwrap();
    assert_eq!(
        a.unrecognized_sections_warning().unwrap(),
        "x.conf:1 Section [testnot] is not recognized.\nx.conf:2 Section [testnet] is not recognized.\n"
    );
    a.read_config_stream("dash_conf=1\nreindex=1\n", "y.conf", true)
        .unwrap();
    let msgs = a.take_messages();
    assert!(msgs.contains(&ConfigMessage::Warning(
        "Ignoring unknown configuration value dash_conf".into()
    )));
    assert!(msgs.iter().any(|m| matches!(m, ConfigMessage::Warning(w) if w.starts_with("reindex=1 is set in the configuration file, which will significantly slow down startup."))));
}

#[test]
fn config_files_and_includes() {
    let dir = TempDir::new("conf");
    dir.write(
        "bitcoin.conf",
        "foo=main\nincludeconf=inc1.conf\n[regtest]\nincludeconf=inc_reg.conf\n",
    );
    dir.write("inc1.conf", "foo=inc1\nbar=1\nincludeconf=nested.conf\n");
    dir.write("inc_reg.conf", "dbcache=7\n");
    dir.write("nested.conf", "dbcache=9\n");
    let datadir = format!("-datadir={}", dir.0.display());
    let mut a = parsed(&[&datadir, "-regtest"]).unwrap();
    let msgs = a.read_config_files().unwrap();
    assert_eq!(
        a.get_config_file_path().unwrap(),
        dir.0.join("bitcoin.conf")
    );
    assert_eq!(a.get_arg("foo").as_deref(), Some("main"));
    assert_eq!(a.get_arg("bar").as_deref(), Some("1"));
    a.select_config_network(crate::ChainType::Regtest);
    assert_eq!(a.get_int_arg("dbcache", 0), 7);
    assert_eq!(
        msgs,
        vec![
            ConfigMessage::Info("Included configuration file inc_reg.conf".into()),
            ConfigMessage::Info("Included configuration file inc1.conf".into()),
            ConfigMessage::Stderr(
                "warning: -includeconf cannot be used from included files; ignoring -includeconf=nested.conf".into()
            ),
        ]
    );

    // -noincludeconf skips includes.
    let mut a = parsed(&[&datadir, "-noincludeconf"]).unwrap();
    a.read_config_files().unwrap();
    assert_eq!(a.get_arg("bar"), None);

    // A missing include.
    dir.write("bitcoin.conf", "includeconf=missing.conf\n");
    let mut a = parsed(&[&datadir]).unwrap();
    assert_eq!(
        a.read_config_files().unwrap_err().to_string(),
        "Failed to include configuration file missing.conf"
    );
    // An include that is a directory.
    std::fs::create_dir_all(dir.0.join("sub")).unwrap();
    dir.write("bitcoin.conf", "includeconf=sub\n");
    let mut a = parsed(&[&datadir]).unwrap();
    assert_eq!(
        a.read_config_files().unwrap_err().to_string(),
        format!(
            "Included config file \"{}\" is a directory.",
            dir.0.join("sub").display()
        )
    );

    // -conf relative to the datadir; explicit and missing is an error.
    dir.write("other.conf", "foo=other\n");
    let mut a = parsed(&[&datadir, "-conf=other.conf"]).unwrap();
    a.read_config_files().unwrap();
    assert_eq!(a.get_arg("foo").as_deref(), Some("other"));
    let mut a = parsed(&[&datadir, "-conf=none.conf"]).unwrap();
    assert_eq!(
        a.read_config_files().unwrap_err().to_string(),
        format!(
            "specified config file \"{}\" could not be opened.",
            dir.0.join("none.conf").display()
        )
    );
    let mut a = parsed(&[&datadir, "-conf=sub"]).unwrap();
    assert_eq!(
        a.read_config_files().unwrap_err().to_string(),
        format!(
            "Config file \"{}\" is a directory.",
            dir.0.join("sub").display()
        )
    );
    // -noconf reads nothing.
    let mut a = parsed(&[&datadir, "-noconf"]).unwrap();
    a.read_config_files().unwrap();
    assert_eq!(a.get_config_file_path().unwrap(), PathBuf::new());
    // A missing default config file is fine.
    std::fs::remove_file(dir.0.join("bitcoin.conf")).unwrap();
    let mut a = parsed(&[&datadir]).unwrap();
    assert!(a.read_config_files().unwrap().is_empty());
}

#[test]
fn datadir_from_config() {
    let dir = TempDir::new("ddconf");
    let other = dir.0.join("other");
    std::fs::create_dir_all(&other).unwrap();
    dir.write("bitcoin.conf", &format!("datadir={}\n", other.display()));
    let mut a = parsed(&[&format!("-conf={}", dir.0.join("bitcoin.conf").display())]).unwrap();
    a.read_config_files().unwrap();
    assert_eq!(a.get_data_dir_base(), other);
    assert_eq!(a.get_data_dir_net(), other);
    a.select_config_network(crate::ChainType::Testnet);
    assert_eq!(a.get_data_dir_net(), other.join("testnet3"));

    dir.write("bitcoin.conf", "datadir=/nonexistent/dir/xyz\n");
    let mut a = parsed(&[&format!("-conf={}", dir.0.join("bitcoin.conf").display())]).unwrap();
    assert_eq!(
        a.read_config_files().unwrap_err().to_string(),
        "specified data directory \"/nonexistent/dir/xyz\" does not exist."
    );
}

#[test]
fn init_config_steps() {
    let dir = TempDir::new("init");
    let datadir = dir.0.join("data");
    // A missing -datadir.
    let mut a = parsed(&[&format!("-datadir={}", datadir.display())]).unwrap();
    assert_eq!(
        a.init_config().unwrap_err().to_string(),
        format!(
            "Specified data directory \"{}\" does not exist.",
            datadir.display()
        )
    );
    std::fs::create_dir_all(&datadir).unwrap();
    std::fs::write(datadir.join("bitcoin.conf"), "regtest=1\nfoo=1\n").unwrap();
    let mut a = parsed(&[&format!("-datadir={}", datadir.display())]).unwrap();
    a.init_config().unwrap();
    assert_eq!(a.selected_chain(), Some(crate::ChainType::Regtest));
    // The base datadir existed: no wallets dir there; the net dir is new: wallets inside.
    assert!(!datadir.join("wallets").exists());
    assert!(datadir.join("regtest").join("wallets").is_dir());

    // Config errors carry Core's prefix.
    std::fs::write(datadir.join("bitcoin.conf"), "garbage\n").unwrap();
    let mut a = parsed(&[&format!("-datadir={}", datadir.display())]).unwrap();
    assert_eq!(
        a.init_config().unwrap_err().to_string(),
        "Error reading configuration file: parse error on line 1: garbage"
    );

    // A datadir bitcoin.conf shadowed by -conf.
    std::fs::write(datadir.join("bitcoin.conf"), "foo=1\n").unwrap();
    let other = dir.write("other.conf", "foo=2\n");
    let conf_arg = format!("-conf={}", other.display());
    let mut a = parsed(&[&format!("-datadir={}", datadir.display()), &conf_arg]).unwrap();
    let e = a.init_config().unwrap_err().to_string();
    assert!(
        e.starts_with(&format!(
            "Data directory \"{}\" contains a \"bitcoin.conf\" file which is ignored, because a different configuration file \"{}\" from command line argument \"{conf_arg}\" is being used instead.",
            datadir.display(),
            other.display()
        )),
        "{e}"
    );
    assert!(e.ends_with(
        "\n- Set allowignoredconf=1 option to treat this condition as a warning, not an error."
    ));
    let mut a = parsed(&[
        &format!("-datadir={}", datadir.display()),
        &conf_arg,
        "-allowignoredconf",
    ])
    .unwrap();
    let msgs = a.init_config().unwrap();
    assert!(msgs
        .iter()
        .any(|m| matches!(m, ConfigMessage::Warning(w) if w.starts_with("Data directory"))));
    // -noconf with a datadir bitcoin.conf.
    let mut a = parsed(&[&format!("-datadir={}", datadir.display()), "-noconf"]).unwrap();
    let msgs = a.init_config().unwrap();
    assert_eq!(
        msgs,
        vec![ConfigMessage::Info(format!(
            "Data directory \"{}\" contains a \"bitcoin.conf\" file which is explicitly ignored using -noconf.",
            datadir.display()
        ))]
    );
    // A fresh datadir gets wallets/ in both places.
    let fresh = dir.0.join("fresh");
    let mut a = parsed(&["-testnet4", "-noconf"]).unwrap();
    a.force_set_arg("-datadir", &fresh.display().to_string());
    std::fs::create_dir_all(&fresh).unwrap();
    a.init_config().unwrap();
    assert!(fresh.join("testnet4").join("wallets").is_dir());
}

#[test]
fn paths() {
    let a = parsed(&["-datadir=/a/./b/../c/", "-conf="]).unwrap();
    assert_eq!(
        a.get_path_arg("datadir", Path::new("x")),
        PathBuf::from("/a/c")
    );
    assert_eq!(
        a.get_path_arg("conf", Path::new("bitcoin.conf")),
        PathBuf::from("bitcoin.conf")
    );
    assert_eq!(a.get_path_arg("foo", Path::new("d")), PathBuf::from("d"));
    let a = parsed(&["-noconf"]).unwrap();
    assert_eq!(
        a.get_path_arg("conf", Path::new("bitcoin.conf")),
        PathBuf::new()
    );
    assert!(!parsed(&["-datadir=/nonexistent/qq"])
        .unwrap()
        .check_data_dir_option());
    assert_eq!(
        parsed(&["-datadir=/nonexistent/qq"])
            .unwrap()
            .get_data_dir_base(),
        PathBuf::new()
    );
    assert!(parsed(&[]).unwrap().check_data_dir_option());
}

#[test]
fn help_text() {
    let a = ArgsManager::empty();
    a.setup_help_options();
    a.add_arg(
        "-dbcache=<n>",
        "Maximum database cache size <n> MiB (minimum 4, default: 450). Make sure you have enough RAM. In addition, unused memory allocated to the mempool is shared with this cache (see -maxmempool).",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Options,
    );
    a.add_arg(
        "-alertnotify=<cmd>",
        "Execute command",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Options,
    );
    a.add_arg(
        "-secret",
        "Debug only",
        ArgFlags::ALLOW_ANY | ArgFlags::DEBUG_ONLY,
        OptionsCategory::DebugTest,
    );
    a.add_arg(
        "-regtest",
        "Use regtest",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::ChainParams,
    );
    a.add_arg(
        "-addnode=<ip>",
        "Add a node",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Connection,
    );
    let help = a.get_help_message();
    assert_eq!(
        help,
        "Options:\n\n\
         \x20 -alertnotify=<cmd>\n       Execute command\n\n\
         \x20 -dbcache=<n>\n       Maximum database cache size <n> MiB (minimum 4, default: 450). Make sure\n       you have enough RAM. In addition, unused memory allocated to the\n       mempool is shared with this cache (see -maxmempool).\n\n\
         \x20 -help\n       Show this help text and quit (-h and -? do the same)\n\n\
         Connection options:\n\n\
         \x20 -addnode=<ip>\n       Add a node\n\n\
         Debugging/Testing options:\n\n\
         Chain selection options:\n\n\
         \x20 -regtest\n       Use regtest\n\n"
    );
    let mut a2 = a.clone();
    a2.parse_parameters(s(&["-help-debug"])).unwrap_err();
    a.add_arg(
        "-help-debug",
        "",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::Hidden,
    );
    let mut a3 = a.clone();
    a3.parse_parameters(s(&["-help-debug"])).unwrap();
    assert!(a3.help_requested());
    assert!(a3
        .get_help_message()
        .contains("  -secret\n       Debug only\n\n"));
    let mut a4 = a.clone();
    a4.parse_parameters(s(&["-?"])).unwrap();
    assert!(a4.help_requested());
    assert_eq!(
        help_message_opt("-x", "=<n>", "text", true),
        "       -x=<n>\n            text\n\n"
    );
}

#[test]
fn commands_in_help() {
    let a = ArgsManager::empty();
    a.add_arg(
        "-dumpfile=<file>",
        "File to dump",
        ArgFlags::ALLOW_ANY,
        OptionsCategory::CommandOptions,
    );
    a.add_command("create", "Create a new descriptor wallet file", &[]);
    a.add_command(
        "dump",
        "Print out all of the wallet key-value records",
        &["-dumpfile"],
    );
    assert_eq!(
        a.get_help_message(),
        "Commands:\n\n  create\n       Create a new descriptor wallet file\n\n  dump\n       Print out all of the wallet key-value records\n\n       -dumpfile=<file>\n            File to dump\n\n"
    );
}

#[test]
fn logged_args() {
    let a = parsed(&["-foo=x", "-nobar"]).unwrap();
    a.read_config_string("rpcpassword=secret\n[regtest]\ndbcache=4\n")
        .unwrap();
    assert_eq!(
        a.log_args_lines(),
        s(&[
            "Config file arg: rpcpassword=****",
            "Config file arg: [regtest] dbcache=\"4\"",
            "Command-line arg: bar=false",
            "Command-line arg: foo=\"x\"",
        ])
    );
}

#[test]
fn thread_safe_sharing() {
    let a = std::sync::Arc::new(parsed(&["-foo=1"]).unwrap());
    let handles: Vec<_> = (0..4)
        .map(|i| {
            let a = a.clone();
            std::thread::spawn(move || {
                a.soft_set_arg(&format!("-bar{i}"), "1");
                a.get_bool_arg("foo", false)
            })
        })
        .collect();
    for h in handles {
        assert!(h.join().unwrap());
    }
}

#[test]
fn settings_file_lists_span_their_elements() {
    let a = parsed(&[]).unwrap();
    a.with_settings(|s| {
        s.rw_settings
            .insert("wallet".into(), SettingValue::List(Vec::new()));
    });
    assert!(!a.is_arg_set("-wallet"), "an empty list is no setting");
    a.with_settings(|s| {
        s.rw_settings.insert(
            "wallet".into(),
            SettingValue::List(vec![
                SettingValue::Str("w2".into()),
                SettingValue::Str("w4".into()),
            ]),
        );
    });
    assert!(a.is_arg_set("-wallet"));
    assert_eq!(a.get_args("-wallet"), s(&["w2", "w4"]));
}
