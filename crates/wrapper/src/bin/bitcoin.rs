//! `bitcoin [-m|-M] node|gui|rpc|wallet|... [ARGS]`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let argv: Vec<String> = std::env::args().collect();
    wrapper::main(&argv)
}
