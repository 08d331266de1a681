//! The `bitcoin` wrapper: picks the executable a command names (monolithic or
//! multiprocess) and replaces itself with it, looking first beside the wrapper.

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// What the wrapper's own options asked for.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct CommandLine {
    /// `-m` (true) or `-M` (false); `None` decides from the options.
    pub use_multiprocess: Option<bool>,
    /// `-v`.
    pub show_version: bool,
    /// `-h`, `--help` or `help`.
    pub show_help: bool,
    /// The command, e.g. `node`.
    pub command: String,
    /// Everything after the command.
    pub args: Vec<String>,
}

/// Why the wrapper's command line was rejected.
#[derive(Debug, PartialEq, Eq)]
pub enum WrapperError {
    /// An option the wrapper does not know, before the command.
    UnknownOption(String),
    /// A command the wrapper does not know.
    UnrecognizedCommand(String),
    /// The executable could not be run.
    Exec(String),
}

impl std::fmt::Display for WrapperError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WrapperError::UnknownOption(o) => write!(f, "Unknown option: {o}"),
            WrapperError::UnrecognizedCommand(c) => write!(f, "Unrecognized command: '{c}'"),
            WrapperError::Exec(e) => f.write_str(e),
        }
    }
}

const HELP_USAGE: &str = "Usage: {exe} [OPTIONS] COMMAND...

Options:
  -m, --multiprocess     Run multiprocess binaries bitcoin-node, bitcoin-gui.
  -M, --monolithic       Run monolithic binaries bitcoind, bitcoin-qt. (Default behavior)
  -v, --version          Show version information
  -h, --help             Show full help message

Commands:
  gui [ARGS]     Start GUI, equivalent to running 'bitcoin-qt [ARGS]' or 'bitcoin-gui [ARGS]'.
  node [ARGS]    Start node, equivalent to running 'bitcoind [ARGS]' or 'bitcoin-node [ARGS]'.
  rpc [ARGS]     Call RPC method, equivalent to running 'bitcoin-cli -named [ARGS]'.
  wallet [ARGS]  Call wallet command, equivalent to running 'bitcoin-wallet [ARGS]'.
  tx [ARGS]      Manipulate hex-encoded transactions, equivalent to running 'bitcoin-tx [ARGS]'.
  help           Show full help message.
";

const HELP_FULL: &str = "
Additional less commonly used commands:
  bench [ARGS]      Run bench command, equivalent to running 'bench_bitcoin [ARGS]'.
  chainstate [ARGS] Run bitcoin kernel chainstate util, equivalent to running 'bitcoin-chainstate [ARGS]'.
  test [ARGS]       Run unit tests, equivalent to running 'test_bitcoin [ARGS]'.
  test-gui [ARGS]   Run GUI unit tests, equivalent to running 'test_bitcoin-qt [ARGS]'.
";

const HELP_SHORT: &str = "
Run '{exe} help' to see additional commands (e.g. for testing and debugging).
";

/// Parses the wrapper's options up to the command; the rest belongs to the command.
pub fn parse_command_line(argv: &[String]) -> Result<CommandLine, WrapperError> {
    let mut cmd = CommandLine::default();
    for arg in argv.iter().skip(1) {
        if !cmd.command.is_empty() {
            cmd.args.push(arg.clone());
        } else if arg == "-m" || arg == "--multiprocess" {
            cmd.use_multiprocess = Some(true);
        } else if arg == "-M" || arg == "--monolithic" {
            cmd.use_multiprocess = Some(false);
        } else if arg == "-v" || arg == "--version" {
            cmd.show_version = true;
        } else if arg == "-h" || arg == "--help" || arg == "help" {
            cmd.show_help = true;
        } else if arg.starts_with('-') {
            return Err(WrapperError::UnknownOption(arg.clone()));
        } else if !arg.is_empty() {
            cmd.command = arg.clone();
        }
    }
    Ok(cmd)
}

/// Whether the command's own options need a multiprocess executable: any of -ipcbind,
/// -ipcconnect or -ipcfd set on its command line or in its configuration.
pub fn use_multiprocess(cmd: &CommandLine) -> bool {
    if let Some(m) = cmd.use_multiprocess {
        return m;
    }
    ipc_options_set(&cmd.args)
}

/// Whether -ipcbind, -ipcconnect or -ipcfd is set (even negated, as `IsArgSet` counts)
/// on the command line or in the configuration the command would read. Parse problems
/// are warnings: the command itself reports them properly.
fn ipc_options_set(args: &[String]) -> bool {
    let mut a = common::ArgsManager::empty();
    a.set_default_flags(Some(common::args::ArgFlags::ALLOW_ANY));
    if let Err(e) = a.parse_parameters(args.iter().cloned()) {
        eprintln!("Warning: failed to parse subcommand command line options: {e}");
    }
    if let Err(e) = a.read_config_files() {
        eprintln!("Warning: failed to parse subcommand config: {e}");
    }
    if let Ok(chain) = a.get_chain_type() {
        a.select_config_network(chain);
    }
    ["-ipcbind", "-ipcconnect", "-ipcfd"]
        .iter()
        .any(|o| a.is_arg_set(o))
}

/// The executable and leading arguments for `cmd`, or `None` for help and version.
pub fn target(cmd: &CommandLine) -> Result<Vec<String>, WrapperError> {
    let mp = || use_multiprocess(cmd);
    let mut args: Vec<String> = match cmd.command.as_str() {
        "gui" => vec![if mp() { "bitcoin-gui" } else { "bitcoin-qt" }.into()],
        "node" => vec![if mp() { "bitcoin-node" } else { "bitcoind" }.into()],
        // `bitcoin rpc` is new, so it turns on -named for convenience, as Core's does.
        "rpc" => vec!["bitcoin-cli".into(), "-named".into()],
        "wallet" => vec!["bitcoin-wallet".into()],
        "tx" => vec!["bitcoin-tx".into()],
        "bench" => vec!["bench_bitcoin".into()],
        "chainstate" => vec!["bitcoin-chainstate".into()],
        "test" => vec!["test_bitcoin".into()],
        "test-gui" => vec!["test_bitcoin-qt".into()],
        "util" => vec!["bitcoin-util".into()],
        other => return Err(WrapperError::UnrecognizedCommand(other.into())),
    };
    args.extend(cmd.args.iter().cloned());
    Ok(args)
}

/// Places to look for `name`, in order: `../libexec` when the wrapper is in a `bin`
/// directory, then beside the wrapper, then (only when the wrapper itself was found on
/// the PATH) the PATH.
pub fn candidates(wrapper_argv0: &str, name: &str) -> Vec<PathBuf> {
    let argv0 = Path::new(wrapper_argv0);
    let wrapper_path = if argv0.components().count() > 1 {
        argv0.to_path_buf()
    } else {
        std::env::current_exe().unwrap_or_else(|_| argv0.to_path_buf())
    };
    let dir = std::fs::canonicalize(&wrapper_path)
        .unwrap_or(wrapper_path)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let mut out = Vec::new();
    if dir.file_name().is_some_and(|n| n == "bin") {
        if let Some(parent) = dir.parent() {
            out.push(parent.join("libexec").join(name));
        }
    }
    if !dir.as_os_str().is_empty() {
        out.push(dir.join(name));
    }
    // Searching the PATH only when the wrapper was itself found there keeps a local
    // build from starting an installed executable by accident.
    if argv0.components().count() == 1 {
        out.push(PathBuf::from(name));
    }
    out
}

/// Runs the wrapper; returns only on failure or for help and version.
pub fn main(argv: &[String]) -> ExitCode {
    let argv0 = argv.first().cloned().unwrap_or_else(|| "bitcoin".into());
    match run(argv) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("Error: {e}\nTry '{argv0} --help' for more information.");
            ExitCode::FAILURE
        }
    }
}

fn run(argv: &[String]) -> Result<ExitCode, WrapperError> {
    let argv0 = argv.first().cloned().unwrap_or_else(|| "bitcoin".into());
    let cmd = parse_command_line(argv)?;
    if cmd.show_version {
        println!(
            "{} version {}",
            common::version::CLIENT_NAME,
            common::version::CLIENT_BUILD
        );
        return Ok(ExitCode::SUCCESS);
    }
    let exe_name = Path::new(&argv0)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "bitcoin".into());
    if cmd.show_help || cmd.command.is_empty() {
        print!("{}", HELP_USAGE.replace("{exe}", &exe_name));
        if cmd.show_help {
            print!("{HELP_FULL}");
            return Ok(ExitCode::SUCCESS);
        }
        print!("{}", HELP_SHORT.replace("{exe}", &exe_name));
        return Ok(ExitCode::FAILURE);
    }
    let args = target(&cmd)?;
    let name = args.first().cloned().unwrap_or_default();
    let paths = candidates(&argv0, &name);
    let last = paths.len().saturating_sub(1);
    for (k, path) in paths.iter().enumerate() {
        // exec only returns on failure.
        let err = Command::new(path)
            .arg0(OsString::from(path.as_os_str()))
            .args(&args[1..])
            .exec();
        if err.kind() == std::io::ErrorKind::NotFound && k < last {
            continue;
        }
        return Err(WrapperError::Exec(format!(
            "execvp failed to execute '{}': {err}",
            path.display()
        )));
    }
    Err(WrapperError::Exec(format!(
        "execvp failed to execute '{name}'"
    )))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn argv(a: &[&str]) -> Vec<String> {
        std::iter::once("bitcoin")
            .chain(a.iter().copied())
            .map(String::from)
            .collect()
    }

    #[test]
    fn options_before_the_command_only() {
        let c = parse_command_line(&argv(&["-m", "node", "-regtest", "-m"])).unwrap();
        assert_eq!(c.use_multiprocess, Some(true));
        assert_eq!(c.command, "node");
        assert_eq!(c.args, vec!["-regtest", "-m"]);
        assert_eq!(
            parse_command_line(&argv(&["-x"])).unwrap_err().to_string(),
            "Unknown option: -x"
        );
    }

    #[test]
    fn picks_executables() {
        let t = |a: &[&str]| target(&parse_command_line(&argv(a)).unwrap());
        assert_eq!(
            t(&["node", "-regtest"]).unwrap(),
            vec!["bitcoind", "-regtest"]
        );
        assert_eq!(t(&["-m", "node"]).unwrap(), vec!["bitcoin-node"]);
        assert_eq!(t(&["node", "-ipcbind=unix"]).unwrap()[0], "bitcoin-node");
        assert_eq!(t(&["-M", "node", "-ipcbind=unix"]).unwrap()[0], "bitcoind");
        assert_eq!(
            t(&["rpc", "getblockcount"]).unwrap(),
            vec!["bitcoin-cli", "-named", "getblockcount"]
        );
        assert_eq!(
            t(&["frob"]).unwrap_err().to_string(),
            "Unrecognized command: 'frob'"
        );
    }

    #[test]
    fn ipc_options_in_the_config_pick_the_multiprocess_node() {
        let dir = std::env::temp_dir().join(format!("wrapper-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("bitcoin.conf"),
            "regtest=1\n[regtest]\nipcbind=unix\n",
        )
        .unwrap();
        let datadir = format!("-datadir={}", dir.display());
        let t = target(&parse_command_line(&argv(&["node", &datadir])).unwrap()).unwrap();
        assert_eq!(t[0], "bitcoin-node");
        std::fs::write(
            dir.join("bitcoin.conf"),
            "regtest=1\n[main]\nipcbind=unix\n",
        )
        .unwrap();
        let t = target(&parse_command_line(&argv(&["node", &datadir])).unwrap()).unwrap();
        assert_eq!(t[0], "bitcoind");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn looks_beside_the_wrapper_first() {
        let c = candidates("/opt/x/bin/bitcoin", "bitcoind");
        assert_eq!(c[0], PathBuf::from("/opt/x/libexec/bitcoind"));
        assert_eq!(c[1], PathBuf::from("/opt/x/bin/bitcoind"));
        assert_eq!(c.len(), 2);
    }
}
