//! `bitcoin-wallet`: the wallet process that `bitcoin-node` spawns (`-ipcfd N`), and
//! otherwise Core's offline wallet tool (`create`, `info`, `dump`, `createfromdump`).

use std::process::ExitCode;

fn main() -> ExitCode {
    ipc::log::set_exe_name("bitcoin-wallet");
    // Arguments that are not UTF-8 are taken lossily rather than aborting the process.
    let argv: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
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
    let out = wallet::tool::run(&argv);
    print!("{}", out.stdout);
    eprint!("{}", out.stderr);
    ExitCode::from(out.code)
}
