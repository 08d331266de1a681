//! `bitcoin-node`: the node process of the multiprocess build.

use std::process::ExitCode;

fn main() -> ExitCode {
    match node::run(std::env::args().skip(1).collect()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
