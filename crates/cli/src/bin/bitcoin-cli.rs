//! The `bitcoin-cli` executable: runs [`cli::run`] on the process's arguments and streams.

use std::io::{IsTerminal, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Switches terminal echo with `stty`, as Core does with termios before
/// reading a password; failures leave the terminal as it was.
fn set_echo(on: bool) {
    let _ = Command::new("stty")
        .arg(if on { "echo" } else { "-echo" })
        .stdin(Stdio::inherit())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn main() {
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let stdin = std::io::stdin();
    let stdin_is_terminal = stdin.is_terminal();
    let mut lock = stdin.lock();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0);
    let mut live = std::io::stderr();
    let mut env = cli::Env {
        stdin: &mut lock,
        stdin_is_terminal,
        stdout_is_terminal: std::io::stdout().is_terminal(),
        connector: &cli::DefaultConnector,
        retry_pause: Duration::from_secs(1),
        now,
        live_stderr: Some(&mut live),
        set_echo: Some(&set_echo),
    };
    let outcome = cli::run(&argv, &mut env);
    // Nothing useful can be done if the standard streams are closed.
    let _ = std::io::stdout().write_all(outcome.stdout.as_bytes());
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().write_all(outcome.stderr.as_bytes());
    let _ = std::io::stderr().flush();
    std::process::exit(outcome.code);
}
