//! Demo of the IPC layer: spawns `bitcoin-node`, calls `Echo.echo` in it, then calls the
//! same trait on an in-process object. Both go through `Box<dyn Echo>`.
//!
//! With `-ipcconnect=unix[:path]` (and `-datadir`, `-regtest`/`-chain`) it attaches to a
//! running `bitcoin-node -ipcbind=...` instead of spawning one.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use interfaces::{Echo, EchoImpl, Init, InitClient};

fn node_exe() -> PathBuf {
    let me = std::env::current_exe().unwrap_or_else(|_| PathBuf::from("ipc-echo-demo"));
    me.with_file_name("bitcoin-node")
}

fn run_echo(label: &str, echo: &dyn Echo) -> interfaces::Result<()> {
    let start = Instant::now();
    let reply = echo.echo("Hello from the echo demo".to_string())?;
    println!("{label}: echo returned {reply:?} in {:?}", start.elapsed());
    Ok(())
}

fn attach(args: &[String]) -> Result<(), String> {
    let mut am = common::ArgsManager::new(&[
        "ipcconnect",
        "datadir",
        "regtest",
        "testnet",
        "testnet4",
        "signet",
        "chain",
    ]);
    am.parse(args.iter().cloned()).map_err(|e| e.to_string())?;
    let chain = common::ChainType::from_args(&am).map_err(|e| e.to_string())?;
    let datadir = am
        .get_arg("-datadir")
        .map(PathBuf::from)
        .unwrap_or_else(common::chain::default_datadir);
    let address = am.get_arg("-ipcconnect").unwrap_or_else(|| "unix".into());
    let addr = ipc::SocketAddress::parse(&address, &chain.net_dir(&datadir), "bitcoin-node")
        .map_err(|e| e.to_string())?;
    let conn = ipc::connect(&addr).map_err(|e| e.to_string())?;
    let result = (|| -> interfaces::Result<()> {
        let init: InitClient = ipc::process::bootstrap(&conn)?;
        let remote = init.make_echo()?;
        run_echo(
            &format!("bitcoin-node at {} (IPC)", addr.path.display()),
            remote.as_ref(),
        )?;
        run_echo("in-process", &EchoImpl)
    })();
    conn.close();
    result.map_err(|e| e.to_string())
}

fn main() -> ExitCode {
    ipc::log::set_exe_name("ipc-echo-demo");
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.is_empty() {
        return match attach(&args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("echo demo failed: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let exe = node_exe();
    let child = match ipc::spawn(&exe) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("cannot spawn {}: {e}", exe.display());
            return ExitCode::FAILURE;
        }
    };
    println!("spawned {} as pid {}", exe.display(), child.pid());
    let result = (|| -> interfaces::Result<()> {
        let init: InitClient = ipc::process::bootstrap(child.connection())?;
        let remote = init.make_echo()?;
        run_echo("bitcoin-node (IPC)", remote.as_ref())?;
        run_echo("in-process", &EchoImpl)?;
        Ok(())
    })();
    let status = child.wait();
    println!("bitcoin-node exited with {status}");
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("echo demo failed: {e}");
            ExitCode::FAILURE
        }
    }
}
