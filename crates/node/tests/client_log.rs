//! `-debug=ipc` lines of an IPC client, in its own test binary because the log sink is global.

// Test helpers panic on failure by design.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;
use std::sync::{Arc, Mutex};

use interfaces::{Init, InitClient};

#[test]
fn client_lines_have_cores_format_and_values_only_at_trace() {
    let lines = Arc::new(Mutex::new(Vec::<(ipc::log::Level, String)>::new()));
    let sink = lines.clone();
    ipc::log::init("bitcoin-wallet", ipc::log::Level::Debug, move |lvl, msg| {
        sink.lock().unwrap().push((lvl, msg.to_string()));
    });
    let child = ipc::spawn(Path::new(env!("CARGO_BIN_EXE_bitcoin-node"))).unwrap();
    let init: InitClient = ipc::process::bootstrap(child.connection()).unwrap();
    let echo = init.make_echo().unwrap();
    assert_eq!(echo.echo("debug".into()).unwrap(), "debug");
    {
        let l = lines.lock().unwrap();
        assert!(
            !l.iter().any(|(lvl, _)| *lvl == ipc::log::Level::Trace),
            "no values below trace"
        );
        let me = format!("{{bitcoin-wallet-{}/", std::process::id());
        let send = l
            .iter()
            .find(|(_, m)| m.ends_with("} IPC client send Echo.echo$Params"))
            .expect("send line");
        assert!(send.1.starts_with(&me), "{}", send.1);
        assert!(
            l.iter()
                .any(|(_, m)| m.starts_with(&me)
                    && m.ends_with("} IPC client recv Echo.echo$Results"))
        );
        assert!(l
            .iter()
            .any(|(_, m)| m.starts_with("Process bitcoin-node pid ") && m.ends_with(" launched")));
    }
    ipc::log::set_level(ipc::log::Level::Trace);
    assert_eq!(echo.echo("traced".into()).unwrap(), "traced");
    {
        let l = lines.lock().unwrap();
        let data = l
            .iter()
            .find(|(lvl, m)| *lvl == ipc::log::Level::Trace && m.starts_with("send data: "))
            .expect("trace line");
        assert!(data.1.contains("echo = \"traced\""), "{}", data.1);
        assert!(l
            .iter()
            .any(|(_, m)| m.starts_with("recv data: ") && m.contains("result = \"traced\"")));
    }
    drop(echo);
    drop(init);
    assert!(child.wait().success());
    let l = lines.lock().unwrap();
    assert!(l
        .iter()
        .any(|(_, m)| m.starts_with("Process bitcoin-node pid ")
            && m.ends_with(" exited with status 0")));
}
