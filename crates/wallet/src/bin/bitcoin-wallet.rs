//! `bitcoin-wallet`: the wallet process that `bitcoin-node` spawns (`-ipcfd N`).

use std::process::ExitCode;

fn main() -> ExitCode {
    ipc::log::set_exe_name("bitcoin-wallet");
    let argv: Vec<String> = std::env::args().skip(1).collect();
    if let [flag, fd] = argv.as_slice() {
        if flag == "-ipcfd" {
            let Ok(fd) = fd.parse::<i32>() else {
                eprintln!("Error: Invalid -ipcfd value '{fd}'");
                return ExitCode::FAILURE;
            };
            return match wallet::process::serve(fd) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            };
        }
    }
    eprintln!("Error: no command given (the wallet tool commands come with the wallet file tools)");
    ExitCode::FAILURE
}
