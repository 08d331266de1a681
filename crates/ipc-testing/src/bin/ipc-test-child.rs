//! Serves `TestInit` on the socket given as `-ipcfd N`, like a spawned Core process.

use std::process::ExitCode;
use std::sync::Arc;

use ipc_testing::{TestInitImpl, TestInitServer};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [flag, fd] = args.as_slice() else {
        eprintln!("usage: ipc-test-child -ipcfd N");
        return ExitCode::FAILURE;
    };
    let Ok(fd) = fd.parse::<i32>() else {
        eprintln!("invalid -ipcfd value");
        return ExitCode::FAILURE;
    };
    if flag != "-ipcfd" {
        eprintln!("usage: ipc-test-child -ipcfd N");
        return ExitCode::FAILURE;
    }
    match ipc::serve_fd(fd, Arc::new(TestInitServer::new(Arc::new(TestInitImpl)))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ipc-test-child: {e}");
            ExitCode::FAILURE
        }
    }
}
